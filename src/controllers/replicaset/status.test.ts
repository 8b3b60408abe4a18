import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { calculateReplicaSetStatus, replicaSetStatusChanged, slowStartBatch } from './status.js';
import { planReplicas, podFromTemplate } from './controller.js';
import { planClaims } from './claim.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const ago = (s: number): string => `${new Date(NOW - s * 1000).toISOString().slice(0, 19)}Z`;
const rs = (replicas: number, minReadySeconds = 0): ReplicaSet => ({
  metadata: { name: 'web', namespace: 'default', uid: 'rs-1', generation: 2 },
  spec: { replicas, minReadySeconds, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web', tier: 'fe' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } },
  status: { replicas: 0, observedGeneration: 1 },
});
const pod = (name: string, labels: Record<string, string>, readyFor?: number, owner?: string): Pod => ({
  metadata: { name, uid: name, labels, ownerReferences: owner ? [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'x', uid: owner, controller: true }] : undefined },
  spec: { containers: [] },
  status: { phase: 'Running', conditions: readyFor === undefined ? [] : [{ type: 'Ready', status: 'True', lastTransitionTime: ago(readyFor) }] },
});

test('status counts fully labeled, ready and available (minReadySeconds) pods', () => {
  const pods = [pod('a', { app: 'web', tier: 'fe' }, 100), pod('b', { app: 'web' }, 5), pod('c', { app: 'web', tier: 'fe' })];
  const s = calculateReplicaSetStatus(rs(3, 10), pods, undefined, NOW);
  assert.deepEqual({ r: s.replicas, f: s.fullyLabeledReplicas, rd: s.readyReplicas, a: s.availableReplicas }, { r: 3, f: 2, rd: 2, a: 1 });
  assert.equal(replicaSetStatusChanged(rs(3), s), true);
});

test('a create error sets ReplicaFailure/FailedCreate once; success removes it', () => {
  const r = rs(3);
  const s = calculateReplicaSetStatus(r, [], new Error('pods "web-" is forbidden: quota'), NOW);
  assert.equal(s.conditions?.[0]?.type, 'ReplicaFailure');
  assert.equal(s.conditions?.[0]?.reason, 'FailedCreate');
  assert.equal(s.conditions?.[0]?.message, 'pods "web-" is forbidden: quota');
  const cleared = calculateReplicaSetStatus({ ...r, status: s }, [], undefined, NOW);
  assert.equal(cleared.conditions, undefined);
});

test('planReplicas creates the missing, bounded by the burst, and deletes the surplus', () => {
  const three = [pod('a', {}, 1), pod('b', {}), pod('c', {}, 100)];
  assert.deepEqual(planReplicas(rs(5), three, [], 500, NOW), { create: 2 });
  assert.deepEqual(planReplicas(rs(900), [], [], 500, NOW), { create: 500 });
  assert.deepEqual(planReplicas(rs(3), three, [], 500, NOW), {});
  const plan = planReplicas(rs(1), three, [], 500, NOW);
  assert.ok('delete' in plan);
  assert.deepEqual(plan.delete.map((p) => p.metadata?.name), ['b', 'a']);
});

test('slowStartBatch runs 1, 2, 4… and stops at the first failing batch', async () => {
  let calls = 0;
  assert.deepEqual(await slowStartBatch(10, 1, async () => void calls++), { successes: 10 });
  assert.equal(calls, 10);
  calls = 0;
  const r = await slowStartBatch(10, 1, async () => {
    if (++calls > 2) throw new Error('quota');
  });
  // batches 1 and 2 ran (3 calls), the 2-batch had one failure: 1 + 1 successes, then stop
  assert.equal(r.successes, 2);
  assert.equal(r.error?.message, 'quota');
  assert.equal(calls, 3);
});

test('podFromTemplate copies labels and sets generateName and the controller reference', () => {
  const ref = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'rs-1', controller: true, blockOwnerDeletion: true };
  const p = podFromTemplate(rs(1).spec!.template!, 'web', ref);
  assert.equal(p.metadata?.generateName, 'web-');
  assert.deepEqual(p.metadata?.labels, { app: 'web', tier: 'fe' });
  assert.deepEqual(p.metadata?.ownerReferences, [ref]);
});

test('planClaims adopts matching orphans, releases non-matching owned pods, ignores others', () => {
  const owner = rs(1);
  const match = (p: Pod) => p.metadata?.labels?.['app'] === 'web';
  const plan = planClaims(owner, match, [
    pod('mine', { app: 'web' }, 1, 'rs-1'),
    pod('orphan', { app: 'web' }),
    pod('orphan-other', { app: 'db' }),
    pod('strayed', { app: 'db' }, 1, 'rs-1'),
    pod('theirs', { app: 'web' }, 1, 'rs-2'),
    { ...pod('dying', { app: 'web' }), metadata: { ...pod('dying', { app: 'web' }).metadata, deletionTimestamp: ago(0) } },
  ]);
  assert.deepEqual(plan.owned.map((p) => p.metadata?.name), ['mine']);
  assert.deepEqual(plan.adopt.map((p) => p.metadata?.name), ['orphan']);
  assert.deepEqual(plan.release.map((p) => p.metadata?.name), ['strayed']);
  const deleting = planClaims({ ...owner, metadata: { ...owner.metadata, deletionTimestamp: ago(0) } }, match, [pod('orphan', { app: 'web' }), pod('strayed', { app: 'db' }, 1, 'rs-1')]);
  assert.deepEqual([deleting.adopt.length, deleting.release.length], [0, 0]);
});
