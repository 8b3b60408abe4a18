import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DaemonSet, DaemonSetUpdateStrategy } from 'kubernetes-types/apps/v1.js';
import type { Node, Pod, Taint } from 'kubernetes-types/core/v1.js';
import { computeStatus, groupPodsByNode, nodeVerdicts, planManage, planRollingUpdate, scaledValue, slowStartBatches } from './plan.js';

const NOW = Date.parse('2024-06-01T00:00:00Z');
const H_NEW = 'new';
const H_OLD = 'old';

function ds(updateStrategy: DaemonSetUpdateStrategy = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } }, extra: Partial<NonNullable<DaemonSet['spec']>> = {}): DaemonSet {
  return {
    metadata: { name: 'd', namespace: 'ns', uid: 'u', generation: 2 },
    spec: {
      selector: { matchLabels: { a: 'b' } },
      template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }], nodeSelector: { role: 'worker' } } },
      updateStrategy,
      ...extra,
    },
  };
}

function node(name: string, labels: Record<string, string> = { role: 'worker' }, taints: Taint[] = []): Node {
  return { metadata: { name, labels }, spec: { taints } };
}

let seq = 0;
interface PodOpts {
  hash?: string;
  ready?: boolean;
  phase?: string;
  deleting?: boolean;
  bound?: boolean;
  age?: number;
  readySince?: number;
}
function pod(nodeName: string, o: PodOpts = {}): Pod {
  const n = seq++;
  const { hash = H_NEW, ready = true, phase = 'Running', deleting = false, bound = true, age = 100, readySince = 100 } = o;
  return {
    metadata: {
      name: `p${n}-${nodeName}-${hash}`,
      uid: `uid${n}`,
      labels: { a: 'b', 'controller-revision-hash': hash, 'pod-template-generation': hash === H_NEW ? '2' : '1' },
      creationTimestamp: new Date(NOW - age * 1000).toISOString(),
      ...(deleting ? { deletionTimestamp: new Date(NOW).toISOString() } : {}),
    },
    spec: {
      containers: [],
      ...(bound ? { nodeName } : { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }] } } } }),
    },
    status: { phase, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: new Date(NOW - readySince * 1000).toISOString() }] },
  };
}
const names = (ps: Pod[]) => ps.map((p) => p.metadata!.name!).sort();

test('planManage: one pod per eligible node, ineligible and excess pods deleted', () => {
  const d = ds();
  const nodes = [node('n1'), node('n2'), node('n3', { role: 'db' }), node('n4', { role: 'worker' }, [{ key: 'k', effect: 'NoExecute' }]), node('n5', { role: 'worker' }, [{ key: 'k', effect: 'NoSchedule' }])];
  const keep2 = pod('n2', { age: 200 });
  const extra2 = pod('n2', { age: 50 });
  const on3 = pod('n3');
  const on4 = pod('n4');
  const on5 = pod('n5');
  const deleting3 = pod('n3', { deleting: true });
  const plan = planManage(d, nodeVerdicts(nodes, d), groupPodsByNode([keep2, extra2, on3, on4, on5, deleting3]), H_NEW, NOW);
  assert.deepEqual(plan.nodesNeedingPods, ['n1']);
  assert.deepEqual(names(plan.podsToDelete), names([extra2, on3, on4]), 'the younger extra pod, the pod on the unlabelled node and the NoExecute-tainted node; NoSchedule keeps its pod');
  assert.deepEqual(plan.orphanedPods, []);
});

test('planManage: a node with only a terminating pod waits for it to go', () => {
  const d = ds();
  const plan = planManage(d, nodeVerdicts([node('n1')], d), groupPodsByNode([pod('n1', { deleting: true })]), H_NEW, NOW);
  assert.deepEqual(plan.nodesNeedingPods, []);
  assert.deepEqual(plan.podsToDelete, []);
});

test('planManage: failed pods are deleted unless backing off; succeeded pods go', () => {
  const d = ds();
  const failed = pod('n1', { phase: 'Failed' });
  const succeeded = pod('n2', { phase: 'Succeeded' });
  const held = pod('n3', { phase: 'Failed' });
  const plan = planManage(d, nodeVerdicts([node('n1'), node('n2'), node('n3')], d), groupPodsByNode([failed, succeeded, held]), H_NEW, NOW, (n) => (n === 'n3' ? 700 : 0));
  assert.deepEqual(names(plan.podsToDelete), names([failed, succeeded]));
  assert.deepEqual(plan.failedPods.map((f) => [f.pod.metadata!.name, f.node]), [[failed.metadata!.name, 'n1']]);
  assert.equal(plan.retryAfterMs, 700);
});

test('planManage: pods whose node is gone are orphans, bound or not', () => {
  const d = ds();
  const bound = pod('gone');
  const pending = pod('gone2', { bound: false });
  const plan = planManage(d, nodeVerdicts([node('n1')], d), groupPodsByNode([bound, pending, pod('n1')]), H_NEW, NOW);
  assert.deepEqual(names(plan.orphanedPods), names([bound, pending]));
});

test('planManage with surge: keeps the oldest new and old pod until the new one is available', () => {
  const d = ds({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
  const nodes = [node('n1'), node('n2'), node('n3')];
  const oldReady1 = pod('n1', { hash: H_OLD, age: 300 });
  const newNotReady1 = pod('n1', { ready: false });
  const oldReady2 = pod('n2', { hash: H_OLD, age: 300 });
  const newReady2 = pod('n2');
  const oldNotReady3 = pod('n3', { hash: H_OLD, ready: false, age: 300 });
  const newNotReady3 = pod('n3', { ready: false });
  const plan = planManage(d, nodeVerdicts(nodes, d), groupPodsByNode([oldReady1, newNotReady1, oldReady2, newReady2, oldNotReady3, newNotReady3]), H_NEW, NOW);
  assert.deepEqual(names(plan.podsToDelete), names([oldReady2, oldNotReady3]));
  assert.deepEqual(plan.nodesNeedingPods, []);
});

test('planRollingUpdate without surge: never more than maxUnavailable nodes down', () => {
  const cases: Array<{ name: string; strategy: DaemonSetUpdateStrategy; pods: () => Pod[]; nodes: number; deletes: number; why?: string }> = [
    { name: 'all old and available, maxUnavailable 1', strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } }, nodes: 4, pods: () => ['n0', 'n1', 'n2', 'n3'].map((n) => pod(n, { hash: H_OLD })), deletes: 1 },
    { name: 'maxUnavailable 2', strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 2 } }, nodes: 4, pods: () => ['n0', 'n1', 'n2', 'n3'].map((n) => pod(n, { hash: H_OLD })), deletes: 2 },
    { name: 'maxUnavailable 50% of 4', strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '50%' } }, nodes: 4, pods: () => ['n0', 'n1', 'n2', 'n3'].map((n) => pod(n, { hash: H_OLD })), deletes: 2 },
    { name: 'maxUnavailable 30% of 4 rounds up', strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '30%' } }, nodes: 4, pods: () => ['n0', 'n1', 'n2', 'n3'].map((n) => pod(n, { hash: H_OLD })), deletes: 2 },
    {
      name: 'a new pod not yet ready uses the budget',
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
      nodes: 3,
      pods: () => [pod('n0', { ready: false }), pod('n1', { hash: H_OLD }), pod('n2', { hash: H_OLD })],
      deletes: 0,
    },
    {
      name: 'a node without a pod uses the budget',
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
      nodes: 3,
      pods: () => [pod('n1', { hash: H_OLD }), pod('n2', { hash: H_OLD })],
      deletes: 0,
    },
    {
      name: 'unavailable old pods are always replaced',
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
      nodes: 3,
      pods: () => [pod('n0', { hash: H_OLD, ready: false }), pod('n1', { hash: H_OLD, ready: false }), pod('n2', { hash: H_OLD })],
      deletes: 2,
    },
    {
      name: 'minReadySeconds: a freshly ready new pod is not yet available',
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
      nodes: 2,
      pods: () => [pod('n0', { readySince: 2 }), pod('n1', { hash: H_OLD })],
      deletes: 0,
    },
    { name: 'both zero behaves as maxUnavailable 1', strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } }, nodes: 3, pods: () => ['n0', 'n1', 'n2'].map((n) => pod(n, { hash: H_OLD })), deletes: 1 },
    { name: 'all updated', strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } }, nodes: 3, pods: () => ['n0', 'n1', 'n2'].map((n) => pod(n)), deletes: 0 },
  ];
  for (const c of cases) {
    const d = ds(c.strategy, { minReadySeconds: c.name.startsWith('minReadySeconds') ? 10 : 0 });
    const nodes = Array.from({ length: c.nodes }, (_, i) => node(`n${i}`));
    const plan = planRollingUpdate(d, nodeVerdicts(nodes, d), groupPodsByNode(c.pods()), H_NEW, NOW);
    assert.equal(plan.podsToDelete.length, c.deletes, c.name);
    assert.ok(plan.podsToDelete.every((p) => p.metadata!.labels!['controller-revision-hash'] === H_OLD), `${c.name}: only old pods are deleted`);
    assert.deepEqual(plan.nodesNeedingPods, [], c.name);
  }
});

test('planRollingUpdate with surge: creates beside old pods, deletes old ones whose new pod is available', () => {
  const d = ds({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
  const nodes = ['n0', 'n1', 'n2', 'n3'].map((n) => node(n));
  // n0: old + available new → delete old. n1: old only, available → candidate. n2: old unavailable → allowed at once. n3: old only → candidate.
  const old0 = pod('n0', { hash: H_OLD });
  const pods = [old0, pod('n0'), pod('n1', { hash: H_OLD }), pod('n2', { hash: H_OLD, ready: false }), pod('n3', { hash: H_OLD })];
  const plan = planRollingUpdate(d, nodeVerdicts(nodes, d), groupPodsByNode(pods), H_NEW, NOW);
  assert.deepEqual(names(plan.podsToDelete), names([old0]));
  assert.deepEqual(plan.nodesNeedingPods, ['n2', 'n1'], 'the unavailable node at once, plus maxSurge (1) candidates');

  // A new pod still waiting to become available uses the surge budget.
  const waiting = [pod('n0', { hash: H_OLD }), pod('n0', { ready: false }), pod('n1', { hash: H_OLD })];
  const p2 = planRollingUpdate(d, nodeVerdicts(nodes.slice(0, 2), d), groupPodsByNode(waiting), H_NEW, NOW);
  assert.deepEqual(p2.nodesNeedingPods, []);
  assert.deepEqual(p2.podsToDelete, []);
});

test('computeStatus: counters from the same predicate', () => {
  const d = ds({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } }, { minReadySeconds: 10 });
  const nodes = [node('n1'), node('n2'), node('n3'), node('n4'), node('x', { role: 'db' })];
  const pods = [
    pod('n1'), // ready long ago, updated → ready + available + updated
    pod('n2', { hash: H_OLD, readySince: 2 }), // ready, not yet available, old
    pod('n3', { ready: false }), // scheduled, not ready
    pod('x'), // misscheduled
  ];
  assert.deepEqual(computeStatus(d, nodeVerdicts(nodes, d), groupPodsByNode(pods), H_NEW, NOW), {
    desiredNumberScheduled: 4,
    currentNumberScheduled: 3,
    numberMisscheduled: 1,
    numberReady: 2,
    updatedNumberScheduled: 2,
    numberAvailable: 1,
    numberUnavailable: 3,
  });
});

test('slowStartBatches and scaledValue', () => {
  assert.deepEqual(slowStartBatches(0), []);
  assert.deepEqual(slowStartBatches(1), [1]);
  assert.deepEqual(slowStartBatches(10), [1, 2, 4, 3]);
  assert.deepEqual(slowStartBatches(15), [1, 2, 4, 8]);
  assert.equal(scaledValue(3, 10, true), 3);
  assert.equal(scaledValue('25%', 10, true), 3);
  assert.equal(scaledValue('25%', 10, false), 2);
  assert.throws(() => scaledValue('x', 10, true));
});

test('nodeVerdicts with a cache judges each Node object once and a changed Node again', () => {
  const d = ds();
  const cache = new WeakMap<Node, ReturnType<typeof nodeVerdicts> extends Map<string, infer V> ? V : never>();
  const a = node('a');
  const b = node('b', { role: 'db' });
  const first = nodeVerdicts([a, b], d, cache);
  assert.deepEqual(first.get('a'), { shouldRun: true, shouldContinueRunning: true });
  assert.deepEqual(first.get('b'), { shouldRun: false, shouldContinueRunning: false });
  // The cached verdict is returned for the same object: poison it to prove the predicate did not run again.
  cache.set(a, { shouldRun: false, shouldContinueRunning: true });
  assert.deepEqual(nodeVerdicts([a, b], d, cache).get('a'), { shouldRun: false, shouldContinueRunning: true });
  // An informer update brings a new object: judged afresh.
  const b2 = node('b');
  assert.deepEqual(nodeVerdicts([a, b2], d, cache).get('b'), { shouldRun: true, shouldContinueRunning: true });
  // Without a cache every call judges.
  assert.deepEqual(nodeVerdicts([a], d).get('a'), { shouldRun: true, shouldContinueRunning: true });
});

test('planRollingUpdate: with no old pod left (unready, missing, doubled or deleting old ones aside) the plan is empty, with and without surge', () => {
  const nodes = [node('n1'), node('n2'), node('n3'), node('n4')];
  const pods = [pod('n1', { ready: false }), pod('n2'), pod('n2'), pod('n3', { hash: H_OLD, deleting: true })];
  for (const strategy of [{ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } }, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } }] as DaemonSetUpdateStrategy[]) {
    const d = ds(strategy);
    const plan = planRollingUpdate(d, nodeVerdicts(nodes, d), groupPodsByNode(pods), H_NEW, NOW);
    assert.deepEqual(plan.podsToDelete, []);
    assert.deepEqual(plan.nodesNeedingPods, []);
    assert.equal(plan.desiredNumberScheduled, 4);
  }
});
