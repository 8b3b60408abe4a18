/**
 * The scheduler against a real in-process cluster: KWOK-style Node objects
 * created through the API, pods bound only to nodes that fit (nodeSelector,
 * taints, resources), an unschedulable pod that gets PodScheduled=False and a
 * FailedScheduling event (checked with the real `kubectl describe`) and is
 * scheduled once a fitting node appears, and 200 pods spread over 10 nodes.
 * Every wait is bounded.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Event, Node, Pod, Taint } from 'kubernetes-types/core/v1.js';
import { startCluster, type Cluster } from '../../src/cli/cluster.js';
import { writeKubeconfig } from '../../src/cli/kubeconfig.js';
import type { ResourceClient } from '../../src/client/client.js';
import { newControllerContext } from '../../src/controllers/runtime/index.js';
import { Scheduler } from '../../src/scheduler/index.js';
import { findKubectl } from '../helpers/cluster.js';
import { eventually } from '../helpers/eventually.js';

const NS = 'default';


function kwokNode(name: string, o: { cpu: string; labels?: Record<string, string>; taints?: Taint[]; pods?: string }): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, type: 'kwok', ...o.labels }, annotations: { 'kwok.x-k8s.io/node': 'fake' } },
    spec: o.taints ? { taints: o.taints } : {},
    status: {
      allocatable: { cpu: o.cpu, memory: '16Gi', pods: o.pods ?? '110' },
      capacity: { cpu: o.cpu, memory: '16Gi', pods: o.pods ?? '110' },
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kwok', lastHeartbeatTime: new Date().toISOString(), lastTransitionTime: new Date().toISOString() }],
    },
  };
}

function pod(name: string, spec: Partial<Pod['spec']> = {}, cpu?: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS },
    spec: { containers: [{ name: 'c', image: 'agnhost', ...(cpu ? { resources: { requests: { cpu } } } : {}) }], ...spec },
  };
}

describe('scheduler', () => {
  let cluster: Cluster;
  let dataDir: string;
  let kubeconfig: string;
  const stop = new AbortController();
  let running: Promise<unknown>;
  let pods: ResourceClient<Pod>;
  let nodes: ResourceClient<Node>;

  async function createNode(n: Node): Promise<void> {
    const created = await nodes.create(undefined, n);
    // Some servers drop status on create, as for most resources: write it through the status subresource then.
    if (!created.status?.allocatable) await nodes.updateStatus(undefined, { ...created, status: n.status });
  }

  const nodeOf = (name: string): Promise<string> =>
    eventually(`pod ${name} to be bound`, async () => {
      const p = await pods.get(NS, name);
      return p.spec?.nodeName || undefined;
    });

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'skiff-sched-'));
    kubeconfig = join(dataDir, 'kubeconfig');
    cluster = await startCluster({ dataDir, store: 'memory', port: 0, controllers: 'core' });
    writeKubeconfig(kubeconfig, { name: 'skiff', server: cluster.url });
    pods = cluster.client.resource<Pod>('', 'v1', 'pods');
    nodes = cluster.client.resource<Node>('', 'v1', 'nodes');
    const ctx = newControllerContext(cluster.client);
    const scheduler = new Scheduler(ctx);
    running = Promise.all([ctx.informers.start(stop.signal), scheduler.start(stop.signal)]);
    await Promise.race([scheduler.ready, new Promise((_, reject) => setTimeout(() => reject(new Error('scheduler not ready within 10 s')), 10_000))]);
    await createNode(kwokNode('kwok-a', { cpu: '2', labels: { disk: 'ssd' } }));
    await createNode(kwokNode('kwok-b', { cpu: '8', taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }));
    await createNode(kwokNode('kwok-c', { cpu: '1' }));
  });

  after(async () => {
    stop.abort();
    await Promise.race([running, new Promise((r) => setTimeout(r, 3000))]);
    await cluster?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('pods are bound only to nodes that fit their selector, taints and requests', async () => {
    await pods.create(NS, pod('ssd', { nodeSelector: { disk: 'ssd' } }));
    await pods.create(NS, pod('gpu', { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }], nodeSelector: { 'kubernetes.io/hostname': 'kwok-b' } }, '6'));
    await pods.create(NS, pod('mid', {}, '1500m'));
    assert.equal(await nodeOf('ssd'), 'kwok-a');
    assert.equal(await nodeOf('gpu'), 'kwok-b');
    assert.equal(await nodeOf('mid'), 'kwok-a', 'only kwok-a has 1.5 cpu free without an untolerated taint');
    const ev = await eventually('a Scheduled event', async () => {
      const list = await cluster.client.resource<Event>('', 'v1', 'events').list(NS, { fieldSelector: 'involvedObject.name=mid' });
      return list.items.find((e) => e.reason === 'Scheduled');
    });
    assert.equal(ev.message, 'Successfully assigned default/mid to kwok-a');
    assert.equal(ev.source?.component, 'default-scheduler');
  });

  test('an unschedulable pod says why, in its condition and a FailedScheduling event, and is placed once a node fits', async () => {
    await pods.create(NS, pod('big', {}, '4'));
    const want =
      '0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod..';
    const cond = await eventually('PodScheduled=False on big', async () => {
      const p = await pods.get(NS, 'big');
      const c = p.status?.conditions?.find((x) => x.type === 'PodScheduled');
      return c?.status === 'False' ? c : undefined;
    });
    assert.equal(cond.reason, 'Unschedulable');
    assert.equal(cond.message, want);
    const ev = await eventually('a FailedScheduling event', async () => {
      const list = await cluster.client.resource<Event>('', 'v1', 'events').list(NS, { fieldSelector: 'involvedObject.name=big' });
      return list.items.find((e) => e.reason === 'FailedScheduling');
    });
    assert.equal(ev.type, 'Warning');
    assert.equal(ev.message, want);

    const kubectl = findKubectl();
    if (kubectl) {
      const cache = join(dataDir, 'kubecache');
      // Asynchronous: the API server answering kubectl runs in this process.
      const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(kubectl, ['describe', 'pod', 'big'], { encoding: 'utf8', timeout: 15_000, env: { ...process.env, KUBECONFIG: kubeconfig, KUBECACHEDIR: cache } }, (err, stdout, stderr) =>
          resolve({ code: err ? 1 : 0, stdout, stderr: stderr || (err?.message ?? '') }),
        );
      });
      assert.equal(r.code, 0, r.stderr);
      const events = r.stdout.slice(r.stdout.indexOf('Events:'));
      assert.match(events, /Warning\s+FailedScheduling\s+\S+\s+default-scheduler\s+0\/3 nodes are available: 1 node\(s\) had untolerated taint \{dedicated: gpu\}, 2 Insufficient cpu\./);
      assert.match(r.stdout, /PodScheduled\s+False/);
    }

    await createNode(kwokNode('kwok-d', { cpu: '16' }));
    assert.equal(await nodeOf('big'), 'kwok-d');
  });

  test('a host port is given once per node', async () => {
    const hp = (name: string): Pod =>
      pod(name, { nodeSelector: { 'kubernetes.io/hostname': 'kwok-c' }, containers: [{ name: 'c', image: 'agnhost', ports: [{ containerPort: 9100, hostPort: 9100 }] }] });
    await pods.create(NS, hp('exporter-1'));
    assert.equal(await nodeOf('exporter-1'), 'kwok-c');
    await pods.create(NS, hp('exporter-2'));
    const cond = await eventually('exporter-2 to be unschedulable', async () => {
      const c = (await pods.get(NS, 'exporter-2')).status?.conditions?.find((x) => x.type === 'PodScheduled');
      return c?.status === 'False' ? c : undefined;
    });
    assert.equal(
      cond.message,
      "0/4 nodes are available: 1 node(s) didn't have free ports for the requested pod ports, 1 node(s) had untolerated taint {dedicated: gpu}, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/4 nodes are available: 1 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling..",
    );
    // Deleting the holder frees the port, and the parked pod is retried.
    await pods.delete(NS, 'exporter-1', { gracePeriodSeconds: 0 });
    assert.equal(await nodeOf('exporter-2'), 'kwok-c');
  });

  test('200 pods over 10 nodes spread evenly', async () => {
    for (let i = 0; i < 10; i++) await createNode(kwokNode(`spread-${i}`, { cpu: '4', labels: { pool: 'spread' } }));
    const names = Array.from({ length: 200 }, (_, i) => `spread-pod-${i}`);
    for (let i = 0; i < names.length; i += 50) await Promise.all(names.slice(i, i + 50).map((n) => pods.create(NS, pod(n, { nodeSelector: { pool: 'spread' } }))));
    const counts = await eventually('200 pods to be bound', async () => {
      const list = await pods.list(NS, { labelSelector: '' });
      const bound = list.items.filter((p) => p.metadata?.name?.startsWith('spread-pod-') && p.spec?.nodeName);
      if (bound.length < 200) return undefined;
      const c = new Map<string, number>();
      for (const p of bound) c.set(p.spec!.nodeName!, (c.get(p.spec!.nodeName!) ?? 0) + 1);
      return c;
    });
    assert.equal(counts.size, 10, `used nodes: ${JSON.stringify([...counts])}`);
    for (const [node, n] of counts) assert.ok(n <= 40, `${node} got ${n} pods (mean 20)`);
  });

  test('required pod anti-affinity keeps replicas apart, and pod affinity brings a pod to its peer', async () => {
    for (const n of ['anti-0', 'anti-1']) await createNode(kwokNode(n, { cpu: '4', labels: { pool: 'anti' } }));
    const replica = (name: string): Pod => {
      const p = pod(name, {
        nodeSelector: { pool: 'anti' },
        affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'anti' } }, topologyKey: 'kubernetes.io/hostname' }] } },
      });
      p.metadata!.labels = { app: 'anti' };
      return p;
    };
    await Promise.all(['anti-pod-0', 'anti-pod-1', 'anti-pod-2'].map((n) => pods.create(NS, replica(n))));
    const cond = await eventually('one replica to be unschedulable', async () => {
      for (const n of ['anti-pod-0', 'anti-pod-1', 'anti-pod-2']) {
        const c = (await pods.get(NS, n)).status?.conditions?.find((x) => x.type === 'PodScheduled');
        if (c?.status === 'False') return { name: n, message: c.message ?? '' };
      }
      return undefined;
    });
    // Reasons are sorted as strings, so the nodes of the other tests come first.
    assert.match(cond.message, /^0\/\d+ nodes are available: .*, 2 node\(s\) didn't match pod anti-affinity rules\. preemption: .*2 No preemption victims found for incoming pod\.\.$/);
    const placed = await Promise.all(['anti-pod-0', 'anti-pod-1', 'anti-pod-2'].filter((n) => n !== cond.name).map((n) => nodeOf(n)));
    assert.deepEqual(placed.sort(), ['anti-0', 'anti-1']);
    // A third node of the pool: the waiting replica goes there.
    await createNode(kwokNode('anti-2', { cpu: '4', labels: { pool: 'anti' } }));
    assert.equal(await nodeOf(cond.name), 'anti-2');

    const follower = pod('anti-follower', { affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'anti' } }, namespaces: [NS], topologyKey: 'kubernetes.io/hostname' }] } } });
    await pods.create(NS, follower);
    assert.match(await nodeOf('anti-follower'), /^anti-[012]$/, 'only nodes running an app=anti pod qualify');
  });

  test('DoNotSchedule topology spread places pods where the skew allows, and says so when no node has the key', async () => {
    for (const n of ['tsc-0', 'tsc-1']) await createNode(kwokNode(n, { cpu: '4', labels: { pool: 'tsc' } }));
    const labelled = (p: Pod): Pod => ({ ...p, metadata: { ...p.metadata, labels: { app: 'tsc' } } });
    // Two pods already on tsc-0 (placed by name, without the scheduler).
    for (const n of ['tsc-pinned-0', 'tsc-pinned-1']) await pods.create(NS, labelled(pod(n, { nodeName: 'tsc-0' })));
    const spreadPod = (name: string, topologyKey = 'kubernetes.io/hostname'): Pod =>
      labelled(pod(name, { nodeSelector: { pool: 'tsc' }, topologySpreadConstraints: [{ maxSkew: 1, topologyKey, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'tsc' } } }] }));
    await pods.create(NS, spreadPod('tsc-a'));
    assert.equal(await nodeOf('tsc-a'), 'tsc-1', 'tsc-0 is two ahead');
    await pods.create(NS, spreadPod('tsc-b'));
    assert.equal(await nodeOf('tsc-b'), 'tsc-1', 'tsc-0 is still one ahead');
    await pods.create(NS, spreadPod('tsc-rack', 'rack'));
    const cond = await eventually('tsc-rack to be unschedulable', async () => {
      const c = (await pods.get(NS, 'tsc-rack')).status?.conditions?.find((x) => x.type === 'PodScheduled');
      return c?.status === 'False' ? c : undefined;
    });
    assert.match(cond.message ?? '', /, 2 node\(s\) didn't match pod topology spread constraints \(missing required label\)\. preemption: /);
  });
});
