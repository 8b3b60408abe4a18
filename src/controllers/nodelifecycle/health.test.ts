import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, NodeCondition, Taint } from 'kubernetes-types/core/v1.js';
import { desiredManagedTaints, effectiveGraceMs, planTaints, unknownConditions } from './health.js';

const T0 = Date.parse('2025-01-01T00:00:00Z');
const healthy: NodeCondition[] = [
  { type: 'MemoryPressure', status: 'False', lastHeartbeatTime: 'hb', lastTransitionTime: 't' },
  { type: 'DiskPressure', status: 'False', lastHeartbeatTime: 'hb', lastTransitionTime: 't' },
  { type: 'PIDPressure', status: 'False', lastHeartbeatTime: 'hb', lastTransitionTime: 't' },
  { type: 'Ready', status: 'True', lastHeartbeatTime: 'hb', lastTransitionTime: 't' },
];

function node(conds: NodeCondition[], taints?: Taint[], unschedulable?: boolean): Node {
  return { metadata: { name: 'n', creationTimestamp: '2024-12-31T00:00:00Z' }, spec: { taints, unschedulable }, status: { conditions: conds } };
}

function setReady(status: string): NodeCondition[] {
  return healthy.map((c) => (c.type === 'Ready' ? { ...c, status } : c));
}

test('the grace period is the configured one unless the Lease announces a longer duration', () => {
  const table: Array<[number, number | undefined, number]> = [
    [40, 40, 40_000],
    [40, undefined, 40_000],
    [3, 4, 4000],
    [40, 400, 400_000],
  ];
  for (const [grace, lease, want] of table) assert.equal(effectiveGraceMs(grace, lease), want);
});

test('a node silent for longer than the grace period goes Unknown; within it, or already Unknown, nothing changes', () => {
  const table: Array<[string, Node, number, boolean]> = [
    ['within grace', node(healthy), 40_000, false],
    ['past grace', node(healthy), 40_001, true],
    ['already unknown', node(healthy.map((c) => ({ ...c, status: 'Unknown' }))), 90_000, false],
  ];
  for (const [name, n, silent, changes] of table) assert.equal(unknownConditions(n, silent, 40_000, T0) !== undefined, changes, name);
  const conds = unknownConditions(node(healthy), 50_000, 40_000, T0)!;
  for (const c of conds) {
    assert.equal(c.status, 'Unknown');
    assert.equal(c.reason, 'NodeStatusUnknown');
    assert.equal(c.message, 'Kubelet stopped posting node status.');
    assert.equal(c.lastHeartbeatTime, 'hb', 'heartbeat time kept');
    assert.equal(c.lastTransitionTime, '2025-01-01T00:00:00Z');
  }
});

test('conditions the agent never posted are added as NodeStatusNeverUpdated', () => {
  const conds = unknownConditions(node([]), 50_000, 40_000, T0)!;
  assert.deepEqual(conds.map((c) => [c.type, c.status, c.reason, c.message]), [
    ['Ready', 'Unknown', 'NodeStatusNeverUpdated', 'Kubelet never posted node status.'],
    ['MemoryPressure', 'Unknown', 'NodeStatusNeverUpdated', 'Kubelet never posted node status.'],
    ['DiskPressure', 'Unknown', 'NodeStatusNeverUpdated', 'Kubelet never posted node status.'],
    ['PIDPressure', 'Unknown', 'NodeStatusNeverUpdated', 'Kubelet never posted node status.'],
  ]);
  assert.equal(conds[0]!.lastHeartbeatTime, '2024-12-31T00:00:00Z');
});

test('managed taints follow the conditions and spec.unschedulable', () => {
  const k = (ts: Taint[]): string[] => ts.map((t) => `${t.key}:${t.effect}`);
  const table: Array<[string, Node, string[]]> = [
    ['healthy', node(healthy), []],
    ['Ready=Unknown', node(setReady('Unknown')), ['node.kubernetes.io/unreachable:NoSchedule', 'node.kubernetes.io/unreachable:NoExecute']],
    ['Ready=False', node(setReady('False')), ['node.kubernetes.io/not-ready:NoSchedule', 'node.kubernetes.io/not-ready:NoExecute']],
    ['cordoned', node(healthy, undefined, true), ['node.kubernetes.io/unschedulable:NoSchedule']],
    ['memory pressure', node(healthy.map((c) => (c.type === 'MemoryPressure' ? { ...c, status: 'True' } : c))), ['node.kubernetes.io/memory-pressure:NoSchedule']],
    ['network unavailable', node([...healthy, { type: 'NetworkUnavailable', status: 'True' }]), ['node.kubernetes.io/network-unavailable:NoSchedule']],
  ];
  for (const [name, n, want] of table) assert.deepEqual(k(desiredManagedTaints(n)), want, name);
});

test('planning taints adds missing ones with timeAdded on NoExecute, removes stale managed ones and never touches user taints', () => {
  const user: Taint = { key: 'dedicated', value: 'x', effect: 'NoExecute', timeAdded: '2020-01-01T00:00:00Z' };
  const added = planTaints(node(setReady('Unknown'), [user]), T0)!;
  assert.deepEqual(added, [
    user,
    { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: '2025-01-01T00:00:00Z' },
  ]);
  assert.equal(planTaints(node(setReady('Unknown'), added), T0 + 5000), undefined, 'already right: no write, timeAdded kept');
  assert.deepEqual(planTaints(node(healthy, added), T0), [user], 'node came back');
  assert.deepEqual(planTaints(node(setReady('False'), added), T0), [
    user,
    { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute', timeAdded: '2025-01-01T00:00:00Z' },
  ], 'unreachable swapped for not-ready');
  assert.equal(planTaints(node(healthy, [user]), T0), undefined);
});
