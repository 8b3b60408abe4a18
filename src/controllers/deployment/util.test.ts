import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { maxSurge, maxUnavailable, resolveFenceposts, setNewReplicaSetAnnotations } from './util.js';
import { planHistoryCleanup } from './history.js';

const deploy = (replicas: number, surge?: number | string, unavailable?: number | string, annotations?: Record<string, string>): Deployment => ({
  metadata: { name: 'web', annotations },
  spec: { replicas, selector: {}, template: {}, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: surge, maxUnavailable: unavailable } } },
});

test('resolveFenceposts rounds surge up and unavailable down, never both zero', () => {
  const cases: Array<[number | string, number | string, number, number, number]> = [
    ['25%', '25%', 10, 3, 2],
    ['25%', '25%', 3, 1, 0],
    ['25%', '25%', 1, 1, 0],
    [0, 0, 10, 0, 1],
    ['0%', '0%', 5, 0, 1],
    [2, '50%', 5, 2, 2],
    ['100%', 0, 7, 7, 0],
  ];
  for (const [s, u, n, ws, wu] of cases) assert.deepEqual(resolveFenceposts(s, u, n), { surge: ws, unavailable: wu }, `${s}/${u} of ${n}`);
  assert.throws(() => resolveFenceposts('25', 0, 4), /invalid value for IntOrString/);
});

test('maxSurge and maxUnavailable follow the strategy', () => {
  assert.equal(maxSurge(deploy(10, '25%', '25%')), 3);
  assert.equal(maxUnavailable(deploy(10, '25%', '25%')), 2);
  assert.equal(maxUnavailable(deploy(2, 0, 5)), 2, 'capped at replicas');
  assert.equal(maxUnavailable(deploy(0, 1, 1)), 0);
  const recreate: Deployment = { ...deploy(5), spec: { ...deploy(5).spec!, strategy: { type: 'Recreate' } } };
  assert.equal(maxSurge(recreate), 0);
  assert.equal(maxUnavailable(recreate), 0);
});

test('revision bookkeeping: new sets, rollbacks raise the revision and keep history', () => {
  const d = deploy(3, '25%', '25%', { 'kubernetes.io/change-cause': 'v2', 'kubectl.kubernetes.io/last-applied-configuration': '{}', 'deployment.kubernetes.io/revision': '7' });
  const fresh: ReplicaSet = { metadata: { name: 'web-a' } };
  assert.equal(setNewReplicaSetAnnotations(d, fresh, 1, false), true);
  assert.deepEqual(fresh.metadata?.annotations, {
    'kubernetes.io/change-cause': 'v2',
    'deployment.kubernetes.io/revision': '1',
    'deployment.kubernetes.io/desired-replicas': '3',
    'deployment.kubernetes.io/max-replicas': '4',
  });
  // rollback to it as revision 3, then again as 5
  const ann = (): Record<string, string> => fresh.metadata?.annotations ?? {};
  assert.equal(setNewReplicaSetAnnotations(d, fresh, 3, true), true);
  assert.equal(ann()['deployment.kubernetes.io/revision'], '3');
  assert.equal(ann()['deployment.kubernetes.io/revision-history'], '1');
  setNewReplicaSetAnnotations(d, fresh, 5, true);
  assert.equal(ann()['deployment.kubernetes.io/revision-history'], '1,3');
  // a lower computed revision never lowers it
  assert.equal(setNewReplicaSetAnnotations(d, fresh, 2, true), false);
  assert.equal(ann()['deployment.kubernetes.io/revision'], '5');
});

test('history cleanup removes the oldest empty revisions beyond the limit', () => {
  const rs = (name: string, rev: number, replicas: number, statusReplicas = replicas): ReplicaSet => ({
    metadata: { name, generation: 1, annotations: { 'deployment.kubernetes.io/revision': String(rev) } },
    spec: { replicas, selector: {} },
    status: { replicas: statusReplicas, observedGeneration: 1 },
  });
  const d = { ...deploy(3), spec: { ...deploy(3).spec!, revisionHistoryLimit: 1 } };
  assert.deepEqual(planHistoryCleanup(d, [rs('r3', 3, 0), rs('r1', 1, 0), rs('r2', 2, 0, 1)]), ['r1']);
  assert.deepEqual(planHistoryCleanup({ ...d, spec: { ...d.spec!, revisionHistoryLimit: 5 } }, [rs('r1', 1, 0)]), []);
});
