import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { newRSNewReplicas, planOldReplicaSetsScaleDown, planScale } from './rolling.js';

const deploy = (replicas: number, surge: number | string = '25%', unavailable: number | string = '25%', type = 'RollingUpdate', statusReplicas = 0): Deployment => ({
  metadata: { name: 'web' },
  spec: { replicas, selector: {}, template: {}, strategy: type === 'RollingUpdate' ? { type, rollingUpdate: { maxSurge: surge, maxUnavailable: unavailable } } : { type } },
  status: { replicas: statusReplicas },
});
/** A ReplicaSet created `age` minutes ago with `replicas` (spec), `available`, and the max-replicas annotation. */
const rs = (name: string, replicas: number, available: number, age: number, maxReplicas?: number, desired?: number): ReplicaSet => ({
  metadata: {
    name,
    uid: name,
    creationTimestamp: `${new Date(Date.parse('2026-01-01T12:00:00Z') - age * 60_000).toISOString().slice(0, 19)}Z`,
    annotations: {
      ...(maxReplicas !== undefined ? { 'deployment.kubernetes.io/max-replicas': String(maxReplicas) } : {}),
      ...(desired !== undefined ? { 'deployment.kubernetes.io/desired-replicas': String(desired) } : {}),
    },
  },
  spec: { replicas, selector: {} },
  status: { replicas, availableReplicas: available },
});
const sizes = (ops: Array<{ name: string; to: number }>): Record<string, number> => Object.fromEntries(ops.map((o) => [o.name, o.to]));

test('newRSNewReplicas grows the new ReplicaSet within maxSurge', () => {
  const cases: Array<{ name: string; d: Deployment; all: ReplicaSet[]; newRS: ReplicaSet; want: number }> = [
    { name: 'first step of 10 with 25% surge', d: deploy(10), all: [rs('old', 10, 10, 10)], newRS: rs('new', 0, 0, 0), want: 3 },
    { name: 'at the surge limit nothing grows', d: deploy(10), all: [rs('old', 10, 10, 10), rs('new', 3, 0, 0)], newRS: rs('new', 3, 0, 0), want: 3 },
    { name: 'room after old shrank', d: deploy(10), all: [rs('old', 8, 8, 10), rs('new', 3, 3, 0)], newRS: rs('new', 3, 3, 0), want: 5 },
    { name: 'never beyond replicas', d: deploy(3, '100%'), all: [rs('new', 2, 2, 0)], newRS: rs('new', 2, 2, 0), want: 3 },
    { name: 'maxSurge 0 waits for old to shrink', d: deploy(3, 0, 1), all: [rs('old', 3, 3, 10)], newRS: rs('new', 0, 0, 0), want: 0 },
    { name: 'Recreate goes straight to replicas', d: deploy(4, 0, 0, 'Recreate'), all: [], newRS: rs('new', 0, 0, 0), want: 4 },
  ];
  for (const c of cases) assert.equal(newRSNewReplicas(c.d, c.all, c.newRS), c.want, c.name);
});

test('planOldReplicaSetsScaleDown keeps replicas - maxUnavailable available, unhealthy first', () => {
  const cases: Array<{ name: string; d: Deployment; olds: ReplicaSet[]; newRS: ReplicaSet; want: Array<{ name: string; to: number }> }> = [
    { name: 'new not available yet: scale old by maxUnavailable', d: deploy(10), olds: [rs('old', 10, 10, 10)], newRS: rs('new', 3, 0, 0), want: [{ name: 'old', to: 8 }] },
    { name: 'unavailable new pods block further scale down', d: deploy(10), olds: [rs('old', 8, 8, 10)], newRS: rs('new', 5, 0, 0), want: [] },
    { name: 'unhealthy old replicas go first, then available ones', d: deploy(10), olds: [rs('old', 10, 7, 10)], newRS: rs('new', 3, 3, 0), want: [{ name: 'old', to: 7 }, { name: 'old', to: 5 }] },
    { name: 'oldest ReplicaSet first', d: deploy(4, 1, 0), olds: [rs('older', 2, 2, 20), rs('old', 2, 2, 10)], newRS: rs('new', 1, 1, 0), want: [{ name: 'older', to: 1 }] },
    { name: 'no old pods: nothing to do', d: deploy(4), olds: [rs('old', 0, 0, 10)], newRS: rs('new', 4, 4, 0), want: [] },
  ];
  for (const c of cases) assert.deepEqual(planOldReplicaSetsScaleDown(c.d, c.olds, c.newRS), c.want, c.name);
});

test('planScale resizes one active ReplicaSet, empties old ones when saturated, else proportionally', () => {
  const cases: Array<{ name: string; d: Deployment; newRS?: ReplicaSet; olds: ReplicaSet[]; want: Record<string, number> }> = [
    { name: 'single active 10 → 12', d: deploy(12, 0, 0), newRS: rs('new', 10, 10, 0, 10, 10), olds: [], want: { new: 12 } },
    { name: 'single active 10 → 5', d: deploy(5, 0, 0), newRS: rs('new', 10, 10, 0, 10, 10), olds: [rs('old', 0, 0, 5)], want: { new: 5 } },
    { name: 'nothing active: the new one takes it', d: deploy(3, 0, 0), newRS: rs('new', 0, 0, 0), olds: [rs('old', 0, 0, 5)], want: { new: 3 } },
    { name: 'proportional 5 → 10', d: deploy(10, 0, 0), newRS: rs('new', 2, 0, 0, 5), olds: [rs('old', 3, 3, 5, 5)], want: { new: 4, old: 6 } },
    { name: 'proportional 5 → 3', d: deploy(3, 0, 0), newRS: rs('new', 2, 0, 0, 5), olds: [rs('old', 3, 3, 5, 5)], want: { new: 1, old: 2 } },
    { name: 'proportional 9 → 4', d: deploy(4, 0, 0), newRS: rs('new', 8, 0, 0, 9), olds: [rs('old', 1, 1, 5, 9)], want: { new: 4, old: 0 } },
    { name: 'proportional 7 → 10', d: deploy(10, 0, 0), newRS: rs('new', 2, 0, 0, 7), olds: [rs('old', 3, 3, 5, 7), rs('older', 2, 2, 10, 7)], want: { new: 3, old: 4, older: 3 } },
    { name: 'proportional 13 → 8', d: deploy(8, 0, 0), newRS: rs('new', 2, 0, 0, 13), olds: [rs('old', 8, 8, 5, 13), rs('older', 3, 3, 10, 13)], want: { new: 1, old: 5, older: 2 } },
    { name: 'leftover goes to the newest of equal sizes (3 → 4)', d: deploy(4, 0, 0), newRS: rs('new', 1, 0, 0, 3), olds: [rs('old', 1, 1, 5, 3), rs('older', 1, 1, 10, 3)], want: { new: 2, old: 1, older: 1 } },
    { name: 'leftover removal 12 → 2', d: deploy(2, 0, 0), newRS: rs('new', 6, 0, 0, 12), olds: [rs('old', 6, 6, 5, 12)], want: { new: 1, old: 1 } },
    { name: 'with surge: 10 → 15, max-replicas 13', d: deploy(15), newRS: rs('new', 5, 0, 0, 13), olds: [rs('old', 8, 8, 5, 13)], want: { new: 7, old: 12 } },
    { name: 'saturated new set empties old ones', d: deploy(3, 0, 0), newRS: rs('new', 3, 3, 0, 3, 3), olds: [rs('old', 1, 1, 5)], want: { old: 0 } },
    { name: 'scale to zero', d: deploy(0), newRS: rs('new', 2, 0, 0, 5), olds: [rs('old', 3, 3, 5, 5)], want: { new: 0, old: 0 } },
  ];
  for (const c of cases) assert.deepEqual(sizes(planScale(c.d, c.newRS, c.olds)), c.want, c.name);
  const ops = planScale(deploy(10, 0, 0), rs('new', 2, 0, 0, 5), [rs('old', 3, 3, 5, 5)]);
  assert.ok(ops.every((o) => o.operation === 'up'), 'proportional scaling reports one direction');
});
