import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { findResource } from '../../api/resources.js';
import {
  classifyReferences,
  dependentView,
  plan,
  policyFromFinalizers,
  unblockedOwners,
  withoutOwners,
  type DependentView,
  type GcObject,
  type OwnerState,
} from './plan.js';

const CM = findResource('', 'v1', 'configmaps')!;
const ref = (uid: string, extra: Partial<OwnerReference> = {}): OwnerReference => ({ apiVersion: 'v1', kind: 'ConfigMap', name: `cm-${uid}`, uid, ...extra });
const obj = (uid: string, extra: Partial<GcObject> = {}): GcObject => ({
  uid,
  info: CM,
  namespace: 'default',
  name: `cm-${uid}`,
  ownerReferences: [],
  deleting: false,
  finalizers: [],
  resourceVersion: '7',
  ...extra,
});
const dep = (uid: string, extra: Partial<DependentView> = {}): DependentView => ({
  id: { uid, info: CM, namespace: 'default', name: `cm-${uid}` },
  blockOwnerDeletion: false,
  deleting: false,
  deletingDependents: false,
  ...extra,
});
const states = (m: Record<string, OwnerState>) => (r: OwnerReference): OwnerState => m[r.uid] ?? { state: 'absent' };
const PRESENT: OwnerState = { state: 'present', deletingDependents: false };
const WAITING: OwnerState = { state: 'present', deletingDependents: true };
const ABSENT: OwnerState = { state: 'absent' };
const UNKNOWN: OwnerState = { state: 'unresolvable', reason: 'no such kind' };

test('classifyReferences sorts owners into solid, dangling, waiting and unresolvable', () => {
  const refs = [ref('a'), ref('b'), ref('c'), ref('d')];
  const got = classifyReferences(refs, states({ a: PRESENT, b: ABSENT, c: WAITING, d: UNKNOWN }));
  assert.deepEqual(got.solid.map((r) => r.uid), ['a']);
  assert.deepEqual(got.dangling.map((r) => r.uid), ['b']);
  assert.deepEqual(got.waitingForDependentsDeletion.map((r) => r.uid), ['c']);
  assert.deepEqual(got.unresolvable.map((r) => r.uid), ['d']);
});

/** Renders actions compactly so the table reads as a spec. */
function render(actions: ReturnType<typeof plan>['actions']): string[] {
  return actions.map((a) => {
    switch (a.type) {
      case 'delete':
        return `delete ${a.target.uid} ${a.propagationPolicy}${a.resourceVersion ? ` rv=${a.resourceVersion}` : ''}`;
      case 'removeOwnerReferences':
        return `unref ${a.target.uid} -${a.ownerUIDs.join(',')}`;
      case 'unblockOwnerReferences':
        return `unblock ${a.target.uid}`;
      case 'removeFinalizer':
        return `unfinalize ${a.target.uid} ${a.finalizer}`;
      case 'enqueue':
        return `enqueue ${a.uids.join(',')}`;
    }
  });
}

const DELETING = { deleting: true };

test('plan: what the garbage collector does with one object', () => {
  const table: Array<{ name: string; item: GcObject; dependents?: DependentView[]; owners?: Record<string, OwnerState>; want: string[] }> = [
    { name: 'no owners, not deleting: nothing', item: obj('x'), want: [] },
    { name: 'a solid owner: nothing', item: obj('x', { ownerReferences: [ref('o')] }), owners: { o: PRESENT }, want: [] },
    { name: 'the only owner is gone: delete in the background', item: obj('x', { ownerReferences: [ref('o')] }), owners: { o: ABSENT }, want: ['delete x Background rv=7'] },
    {
      name: 'all owners gone: delete honouring its own orphan finalizer',
      item: obj('x', { ownerReferences: [ref('o')], finalizers: ['orphan'] }),
      owners: { o: ABSENT },
      want: ['delete x Orphan rv=7'],
    },
    {
      name: 'one owner gone, another solid: patch away only the dangling reference',
      item: obj('x', { ownerReferences: [ref('a'), ref('b')] }),
      owners: { a: ABSENT, b: PRESENT },
      want: ['unref x -a'],
    },
    {
      name: 'a solid owner and a waiting one: patch away the waiting reference',
      item: obj('x', { ownerReferences: [ref('a'), ref('b')] }),
      owners: { a: WAITING, b: PRESENT },
      want: ['unref x -a'],
    },
    {
      name: 'the owner waits for its dependents and the item has none: delete in the background',
      item: obj('x', { ownerReferences: [ref('o', { blockOwnerDeletion: true })] }),
      owners: { o: WAITING },
      want: ['delete x Background rv=7'],
    },
    {
      name: 'the owner waits for its dependents and the item has dependents: delete in the foreground',
      item: obj('x', { ownerReferences: [ref('o')] }),
      dependents: [dep('d1')],
      owners: { o: WAITING },
      want: ['delete x Foreground rv=7'],
    },
    {
      name: 'waiting owner, and a dependent deleting its own dependents: unblock first to break cycles',
      item: obj('x', { ownerReferences: [ref('o', { blockOwnerDeletion: true })] }),
      dependents: [dep('d1', { deletingDependents: true, deleting: true })],
      owners: { o: WAITING },
      want: ['unblock x', 'delete x Foreground rv=7'],
    },
    {
      name: 'only an unresolvable owner besides a dangling one: hold, change nothing',
      item: obj('x', { ownerReferences: [ref('a'), ref('u')] }),
      owners: { a: ABSENT, u: UNKNOWN },
      want: [],
    },
    {
      name: 'being deleted without GC finalizers: nothing, even with dangling owners',
      item: obj('x', { ...DELETING, finalizers: ['example.com/hold'], ownerReferences: [ref('o')] }),
      owners: { o: ABSENT },
      want: [],
    },
    {
      name: 'orphaning: strip the owner from every dependent, then drop the finalizer',
      item: obj('o', { ...DELETING, finalizers: ['orphan'] }),
      dependents: [dep('d1'), dep('d2', { blockOwnerDeletion: true })],
      want: ['unref d1 -o', 'unref d2 -o', 'unfinalize o orphan'],
    },
    {
      name: 'orphaning without dependents: drop the finalizer',
      item: obj('o', { ...DELETING, finalizers: ['orphan', 'example.com/keep'] }),
      want: ['unfinalize o orphan'],
    },
    {
      name: 'foreground with no blocking dependent: drop the finalizer',
      item: obj('o', { ...DELETING, finalizers: ['foregroundDeletion'] }),
      dependents: [dep('d1', { blockOwnerDeletion: false })],
      want: ['unfinalize o foregroundDeletion'],
    },
    {
      name: 'foreground with blocking dependents: make them reconsider (not those already deleting theirs)',
      item: obj('o', { ...DELETING, finalizers: ['foregroundDeletion'] }),
      dependents: [dep('d1', { blockOwnerDeletion: true }), dep('d2', { blockOwnerDeletion: true, deleting: true, deletingDependents: true }), dep('d3')],
      want: ['enqueue d1'],
    },
    {
      name: 'foreground with only foreground-deleting blocking dependents: wait',
      item: obj('o', { ...DELETING, finalizers: ['foregroundDeletion'] }),
      dependents: [dep('d2', { blockOwnerDeletion: true, deleting: true, deletingDependents: true })],
      want: [],
    },
  ];
  for (const c of table) {
    const got = plan({ item: c.item, dependents: c.dependents ?? [], owners: states(c.owners ?? {}) });
    assert.deepEqual(render(got.actions), c.want, c.name);
  }
});

test('plan: a deleting item never consults its owners', () => {
  let asked = 0;
  plan({ item: obj('o', { ...DELETING, finalizers: ['foregroundDeletion'], ownerReferences: [ref('p')] }), dependents: [], owners: () => (asked++, ABSENT) });
  assert.equal(asked, 0);
});

test('policyFromFinalizers honours existing finalizers, default Background', () => {
  assert.equal(policyFromFinalizers([]), 'Background');
  assert.equal(policyFromFinalizers(['orphan']), 'Orphan');
  assert.equal(policyFromFinalizers(['foregroundDeletion']), 'Foreground');
});

test('withoutOwners keeps other references in order; unblockedOwners clears only blockOwnerDeletion', () => {
  const refs = [ref('a'), ref('b', { controller: true, blockOwnerDeletion: true }), ref('c')];
  assert.deepEqual(withoutOwners(refs, ['a', 'c']), [refs[1]]);
  assert.deepEqual(withoutOwners(refs, ['z']), refs);
  assert.deepEqual(unblockedOwners(refs), [refs[0], { ...refs[1], blockOwnerDeletion: false }, refs[2]]);
});

test('dependentView reads blockOwnerDeletion from the reference to that owner', () => {
  const d = obj('d', { ownerReferences: [ref('a', { blockOwnerDeletion: true }), ref('b')], deleting: true, finalizers: ['foregroundDeletion'] });
  assert.equal(dependentView(d, 'a').blockOwnerDeletion, true);
  assert.equal(dependentView(d, 'b').blockOwnerDeletion, false);
  assert.equal(dependentView(d, 'a').deletingDependents, true);
});
