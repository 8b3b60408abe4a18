import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node } from 'kubernetes-types/core/v1.js';
import { healthyConditions, leaseDurationSecondsFor, leaseRenewIntervalMs, microTime, newNodeObject, nodeLease, nodeStatusFor, nodeStatusNeedsUpdate, shouldAdopt } from './node-object.js';

const T0 = Date.parse('2025-01-01T00:00:00Z');
const facts = { internalIP: '127.0.1.4', podCIDR: '127.128.4.0/24', runtimeName: 'simulated', runtimeVersion: 'skiff-simulated://0.1', host: { osImage: 'Debian', kernelVersion: '6.1.0', architecture: 'amd64' } };

test('a new node carries the well-known labels, the runtime annotation, its pod CIDR, addresses, capacity, conditions and nodeInfo', () => {
  const n = newNodeObject({ name: 'node-4', labels: { gpu: 'true' }, taints: [{ key: 'k', effect: 'NoSchedule' }] }, facts, T0);
  assert.deepEqual(
    Object.fromEntries(['kubernetes.io/hostname', 'kubernetes.io/os', 'kubernetes.io/arch', 'skiff.io/runtime', 'gpu'].map((k) => [k, n.metadata!.labels![k]])),
    { 'kubernetes.io/hostname': 'node-4', 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', 'skiff.io/runtime': 'simulated', gpu: 'true' },
  );
  assert.equal(n.metadata!.annotations!['skiff.io/runtime'], 'simulated');
  assert.deepEqual(n.spec, { podCIDR: '127.128.4.0/24', podCIDRs: ['127.128.4.0/24'], taints: [{ key: 'k', effect: 'NoSchedule' }] });
  assert.deepEqual(n.status!.addresses, [{ type: 'InternalIP', address: '127.0.1.4' }, { type: 'Hostname', address: 'node-4' }]);
  assert.equal(n.status!.capacity!['cpu'], '8');
  assert.equal(n.status!.allocatable!['memory'], '32Gi');
  assert.deepEqual(n.status!.conditions!.map((c) => [c.type, c.status, c.reason]), [
    ['MemoryPressure', 'False', 'KubeletHasSufficientMemory'],
    ['DiskPressure', 'False', 'KubeletHasNoDiskPressure'],
    ['PIDPressure', 'False', 'KubeletHasSufficientPID'],
    ['Ready', 'True', 'KubeletReady'],
  ]);
  const info = n.status!.nodeInfo!;
  assert.deepEqual([info.kubeletVersion, info.containerRuntimeVersion, info.operatingSystem, info.architecture, info.kernelVersion, info.osImage], ['v1.32.0-skiff', 'skiff-simulated://0.1', 'linux', 'amd64', '6.1.0', 'Debian']);
  assert.equal(nodeStatusNeedsUpdate(n), false);
});

test('adopting a KWOK node keeps what it brought and fills in what it lacks', () => {
  const kwok: Node = {
    metadata: { name: 'kwok-1' },
    status: {
      capacity: { cpu: '32', pods: '110' },
      conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: 'old', lastTransitionTime: '2024-01-01T00:00:00Z' }],
      nodeInfo: { kubeletVersion: 'v1.32.0', containerRuntimeVersion: '', kernelVersion: '', osImage: '', machineID: '', systemUUID: '', bootID: '', architecture: 'amd64', operatingSystem: 'linux', kubeProxyVersion: '' },
    },
  };
  assert.equal(nodeStatusNeedsUpdate(kwok), true);
  const s = nodeStatusFor(kwok, facts, T0);
  assert.equal(s.capacity!['cpu'], '32');
  assert.deepEqual(s.allocatable, { cpu: '32', pods: '110' });
  assert.equal(s.nodeInfo!.kubeletVersion, 'v1.32.0');
  assert.equal(s.nodeInfo!.containerRuntimeVersion, 'skiff-simulated://0.1');
  assert.equal(s.addresses![0]!.address, '127.0.1.4');
  const ready = s.conditions!.find((c) => c.type === 'Ready')!;
  assert.equal(ready.lastTransitionTime, '2024-01-01T00:00:00Z', 'still True: transition time kept');
  assert.equal(ready.lastHeartbeatTime, '2025-01-01T00:00:00Z');
});

test('a node the lifecycle controller marked Unknown needs its status posted again, with a new transition time', () => {
  const n = newNodeObject({ name: 'n' }, facts, T0);
  const unknown: Node = { ...n, status: { ...n.status, conditions: n.status!.conditions!.map((c) => (c.type === 'Ready' ? { ...c, status: 'Unknown' } : c)) } };
  assert.equal(nodeStatusNeedsUpdate(unknown), true);
  const back = healthyConditions(unknown.status!.conditions, T0 + 60_000).find((c) => c.type === 'Ready')!;
  assert.equal(back.status, 'True');
  assert.equal(back.lastTransitionTime, '2025-01-01T00:01:00Z');
});

test('nodes are adopted unless the process runtime claims them or they are being deleted', () => {
  const table: Array<[Node, boolean]> = [
    [{ metadata: { name: 'a' } }, true],
    [{ metadata: { name: 'b', annotations: { 'skiff.io/runtime': 'simulated' } } }, true],
    [{ metadata: { name: 'c', annotations: { 'skiff.io/runtime': 'process' } } }, false],
    [{ metadata: { name: 'd', deletionTimestamp: 'x' } }, false],
  ];
  for (const [n, want] of table) assert.equal(shouldAdopt(n), want, n.metadata!.name);
});

test('the renew interval stretches with the node count to stay within the write budget, and the lease duration follows', () => {
  const table: Array<[number, number, number, number]> = [
    // nodes, heartbeatSeconds, maxWrites/s, expected interval ms
    [3, 10, 100, 10_000],
    [1000, 10, 100, 10_000],
    [5000, 10, 100, 50_000],
    [10_000, 10, 100, 100_000],
    [3, 1, 100, 1000],
    [500, 10, 10, 50_000],
  ];
  for (const [n, hb, max, want] of table) assert.equal(leaseRenewIntervalMs(n, hb, max), want, `${n} nodes`);
  assert.equal(leaseDurationSecondsFor(10_000), 40);
  assert.equal(leaseDurationSecondsFor(100_000), 400);
});

test('the node Lease is owned by its Node and holds a MicroTime renewTime', () => {
  const l = nodeLease({ metadata: { name: 'node-1', uid: 'u1' } }, 40, T0 + 123);
  assert.equal(l.metadata!.namespace, 'kube-node-lease');
  assert.deepEqual(l.metadata!.ownerReferences, [{ apiVersion: 'v1', kind: 'Node', name: 'node-1', uid: 'u1' }]);
  assert.deepEqual(l.spec, { holderIdentity: 'node-1', leaseDurationSeconds: 40, renewTime: '2025-01-01T00:00:00.123000Z' });
  assert.equal(microTime(T0), '2025-01-01T00:00:00.000000Z');
});
