import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { applyPausedCondition, calculateStatus, planRolloutStatus, stuckRequeue } from './progress.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const at = (ms: number): string => `${new Date(ms).toISOString().slice(0, 19)}Z`;
const deploy = (replicas: number, status: Deployment['status'] = {}, paused = false): Deployment => ({
  metadata: { name: 'web', generation: 2 },
  spec: { replicas, paused, progressDeadlineSeconds: 600, selector: {}, template: {}, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } } },
  status,
});
const rs = (name: string, spec: number, ready: number, available: number): ReplicaSet => ({ metadata: { name, uid: name }, spec: { replicas: spec, selector: {} }, status: { replicas: spec, readyReplicas: ready, availableReplicas: available } });

test('calculateStatus sums the ReplicaSets and sets Available by minimum availability', () => {
  const newRS = rs('new', 3, 1, 1);
  const s = calculateStatus(deploy(4), [rs('old', 2, 2, 2), newRS], newRS, NOW);
  assert.deepEqual(
    { r: s.replicas, u: s.updatedReplicas, rd: s.readyReplicas, a: s.availableReplicas, un: s.unavailableReplicas, g: s.observedGeneration },
    { r: 5, u: 3, rd: 3, a: 3, un: 2, g: 2 },
  );
  assert.equal(s.conditions?.find((c) => c.type === 'Available')?.reason, 'MinimumReplicasAvailable');
  const low = calculateStatus(deploy(4), [rs('new', 4, 0, 0)], undefined, NOW);
  assert.deepEqual(low.conditions?.map((c) => [c.type, c.status, c.reason]), [['Available', 'False', 'MinimumReplicasUnavailable']]);
});

test('planRolloutStatus: complete → NewReplicaSetAvailable, progress → ReplicaSetUpdated, stall → ProgressDeadlineExceeded', () => {
  const newRS = rs('web-abc', 2, 2, 2);
  const done = planRolloutStatus(deploy(2), [newRS], newRS, NOW).status!;
  const p = done.conditions?.find((c) => c.type === 'Progressing');
  assert.deepEqual([p?.status, p?.reason, p?.message], ['True', 'NewReplicaSetAvailable', 'ReplicaSet "web-abc" has successfully progressed.']);

  const created = { type: 'Progressing', status: 'True', reason: 'NewReplicaSetCreated', message: 'x', lastUpdateTime: at(NOW - 1000), lastTransitionTime: at(NOW - 1000) };
  const moving = planRolloutStatus(deploy(2, { conditions: [created] }), [rs('old', 2, 2, 2), rs('web-abc', 1, 0, 0)], rs('web-abc', 1, 0, 0), NOW).status!;
  const m = moving.conditions?.find((c) => c.type === 'Progressing');
  assert.deepEqual([m?.reason, m?.message, m?.lastTransitionTime], ['ReplicaSetUpdated', 'ReplicaSet "web-abc" is progressing.', at(NOW - 1000)]);

  const stale = { ...created, lastUpdateTime: at(NOW - 601_000) };
  const prev = { replicas: 3, updatedReplicas: 1, readyReplicas: 2, availableReplicas: 2, conditions: [stale] };
  const stuck = planRolloutStatus(deploy(2, prev), [rs('old', 2, 2, 2), rs('web-abc', 1, 0, 0)], rs('web-abc', 1, 0, 0), NOW).status!;
  const t = stuck.conditions?.find((c) => c.type === 'Progressing');
  assert.deepEqual([t?.status, t?.reason, t?.message], ['False', 'ProgressDeadlineExceeded', 'ReplicaSet "web-abc" has timed out progressing.']);
});

test('an unchanged, unfinished rollout is requeued for its deadline', () => {
  const cond = { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', lastUpdateTime: at(NOW - 100_000), lastTransitionTime: at(NOW - 100_000) };
  const d = deploy(2, { conditions: [cond] });
  assert.equal(stuckRequeue(d, { replicas: 1 }, NOW), 501_000);
  assert.equal(stuckRequeue(deploy(2, { conditions: [{ ...cond, reason: 'ProgressDeadlineExceeded' }] }), {}, NOW), undefined);
});

test('pausing and resuming set Progressing=Unknown with DeploymentPaused / DeploymentResumed', () => {
  const d = deploy(1, {}, true);
  assert.equal(applyPausedCondition(d, NOW), true);
  assert.deepEqual(d.status?.conditions?.map((c) => [c.status, c.reason, c.message]), [['Unknown', 'DeploymentPaused', 'Deployment is paused']]);
  assert.equal(applyPausedCondition(d, NOW), false);
  d.spec!.paused = false;
  assert.equal(applyPausedCondition(d, NOW), true);
  assert.deepEqual(d.status?.conditions?.map((c) => [c.status, c.reason]), [['Unknown', 'DeploymentResumed']]);
});
