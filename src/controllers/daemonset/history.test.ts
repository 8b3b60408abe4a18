import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ControllerRevision, DaemonSet } from 'kubernetes-types/apps/v1.js';
import { canonicalJSON, computeHash, newRevision, planHistory, planHistoryCleanup, revisionData, revisionMatches, safeEncodeString } from './history.js';

function ds(image: string): DaemonSet {
  return {
    metadata: { name: 'roll', namespace: 'ns', uid: 'u1', annotations: { 'kubernetes.io/change-cause': 'x' } },
    spec: { selector: { matchLabels: { app: 'roll' } }, template: { metadata: { labels: { app: 'roll' } }, spec: { containers: [{ name: 'c', image }] } } },
  };
}

const rev = (d: DaemonSet, n: number): ControllerRevision => newRevision(d, n, computeHash(d.spec!.template));

test('computeHash is stable, key-order independent, and sensitive to template and collisionCount', () => {
  const a = computeHash({ spec: { b: 1, a: 2 } });
  assert.equal(a, computeHash({ spec: { a: 2, b: 1 } }));
  assert.match(a, /^[bcdfghjklmnpqrstvwxz2456789]+$/);
  assert.notEqual(a, computeHash({ spec: { a: 3, b: 1 } }));
  assert.notEqual(computeHash({ x: 1 }, 1), computeHash({ x: 1 }));
  assert.notEqual(computeHash({ x: 1 }, 1), computeHash({ x: 1 }, 2));
  assert.equal(safeEncodeString('0123456789'), '456789bcdf');
});

test('revisionData is the upstream SMP patch that replaces the template', () => {
  const d = ds('v1');
  assert.equal(canonicalJSON(revisionData(d)), '{"spec":{"template":{"$patch":"replace","metadata":{"labels":{"app":"roll"}},"spec":{"containers":[{"image":"v1","name":"c"}]}}}}');
});

test('newRevision: name, labels, owner, annotations', () => {
  const d = ds('v1');
  const h = computeHash(d.spec!.template);
  const r = newRevision(d, 1, h);
  assert.equal(r.metadata!.name, `roll-${h}`);
  assert.deepEqual(r.metadata!.labels, { app: 'roll', 'controller-revision-hash': h });
  assert.equal(r.metadata!.ownerReferences![0]!.uid, 'u1');
  assert.equal(r.metadata!.ownerReferences![0]!.controller, true);
  assert.deepEqual(r.metadata!.annotations, { 'kubernetes.io/change-cause': 'x' });
  assert.equal(r.revision, 1);
  assert.ok(revisionMatches(d, r));
  assert.ok(!revisionMatches(ds('v2'), r));
});

test('planHistory: table', () => {
  const v1 = ds('v1');
  const v2 = ds('v2');
  const v3 = ds('v3');
  const r1 = rev(v1, 1);
  const r2 = rev(v2, 2);
  const cases: Array<{ name: string; ds: DaemonSet; revs: ControllerRevision[]; current?: string; revision: number; old: number; dups: number }> = [
    { name: 'first revision', ds: v1, revs: [], current: undefined, revision: 1, old: 0, dups: 0 },
    { name: 'unchanged', ds: v1, revs: [r1], current: r1.metadata!.name, revision: 1, old: 0, dups: 0 },
    { name: 'new template', ds: v3, revs: [r1, r2], current: undefined, revision: 3, old: 2, dups: 0 },
    { name: 'rollback to v1 re-uses its revision with number 3', ds: v1, revs: [r1, r2], current: r1.metadata!.name, revision: 3, old: 1, dups: 0 },
    { name: 'duplicates: the highest revision wins', ds: v1, revs: [r1, { ...rev(v1, 5), metadata: { ...r1.metadata, name: 'dup' } }, r2], current: 'dup', revision: 3, old: 1, dups: 1 },
  ];
  for (const c of cases) {
    const p = planHistory(c.ds, c.revs);
    assert.equal(p.current?.metadata?.name, c.current, c.name);
    assert.equal(p.revision, c.revision, c.name);
    assert.equal(p.old.length, c.old, c.name);
    assert.equal(p.duplicates.length, c.dups, c.name);
  }
});

test('planHistoryCleanup keeps the limit and every revision a live pod uses', () => {
  const olds = [1, 2, 3, 4].map((n) => rev(ds(`v${n}`), n));
  const hash = (i: number) => olds[i]!.metadata!.labels!['controller-revision-hash']!;
  assert.deepEqual(planHistoryCleanup(olds, 10, new Set()), []);
  assert.deepEqual(planHistoryCleanup(olds, 2, new Set()).map((r) => r.revision), [1, 2]);
  assert.deepEqual(planHistoryCleanup(olds, 2, new Set([hash(0)])).map((r) => r.revision), [2, 3]);
  assert.deepEqual(planHistoryCleanup(olds, 0, new Set([hash(1)])).map((r) => r.revision), [1, 3, 4]);
});
