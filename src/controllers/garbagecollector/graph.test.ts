import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { findResource, RESOURCES } from '../../api/resources.js';
import { changeTriggers, Graph, toGcObject } from './graph.js';
import { collectedResources } from './garbagecollector.js';
import type { GcObject } from './plan.js';

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
  ...extra,
});

/** Applies a change to the graph as the collector does and returns the sorted triggers. */
function observe(g: Graph, prev: GcObject | undefined, cur: GcObject | undefined): string[] {
  if (cur) prev = g.upsert(cur);
  else if (prev) g.remove(prev.uid);
  return changeTriggers(prev, cur, g).sort();
}

test('the graph keeps dependents of owners it has not observed, and forgets edges when refs change', () => {
  const g = new Graph();
  g.upsert(obj('d1', { ownerReferences: [ref('o')] }));
  g.upsert(obj('d2', { ownerReferences: [ref('o'), ref('p')] }));
  assert.deepEqual(g.dependents('o').map((d) => d.uid).sort(), ['d1', 'd2']);
  g.upsert(obj('d2', { ownerReferences: [ref('p')] }));
  assert.deepEqual(g.dependents('o').map((d) => d.uid), ['d1']);
  g.remove('d1');
  assert.deepEqual(g.dependents('o'), []);
  assert.equal(g.size(), 1);
});

test('changeTriggers: which uids a change queues', () => {
  const cases: Array<{ name: string; setup: GcObject[]; prev?: GcObject; cur?: GcObject; want: string[] }> = [
    { name: 'a new object without owners', setup: [], cur: obj('x'), want: [] },
    { name: 'a new object whose owner is observed', setup: [obj('o')], cur: obj('x', { ownerReferences: [ref('o')] }), want: [] },
    { name: 'a new object whose owner is not observed', setup: [], cur: obj('x', { ownerReferences: [ref('o')] }), want: ['x'] },
    {
      name: 'a new object whose owner waits for its dependents',
      setup: [obj('o', { deleting: true, finalizers: ['foregroundDeletion'] })],
      cur: obj('x', { ownerReferences: [ref('o')] }),
      want: ['x'],
    },
    { name: 'an update that changes nothing the GC cares about', setup: [obj('x', { ownerReferences: [ref('o')] }), obj('o')], cur: obj('x', { ownerReferences: [ref('o')] }), want: [] },
    {
      name: 'starting to orphan queues the owner',
      setup: [obj('o'), obj('d', { ownerReferences: [ref('o')] })],
      cur: obj('o', { deleting: true, finalizers: ['orphan'] }),
      want: ['o'],
    },
    {
      name: 'starting foreground deletion queues the owner and all its dependents',
      setup: [obj('o'), obj('d1', { ownerReferences: [ref('o', { blockOwnerDeletion: true })] }), obj('d2', { ownerReferences: [ref('o')] })],
      cur: obj('o', { deleting: true, finalizers: ['foregroundDeletion'] }),
      want: ['d1', 'd2', 'o'],
    },
    {
      name: 'a deleted owner queues its dependents',
      setup: [obj('o'), obj('d1', { ownerReferences: [ref('o')] })],
      prev: obj('o'),
      want: ['d1'],
    },
    {
      name: 'a deleted dependent queues its owner that waits for dependents',
      setup: [obj('o', { deleting: true, finalizers: ['foregroundDeletion'] }), obj('p'), obj('d', { ownerReferences: [ref('o'), ref('p')] })],
      prev: obj('d', { ownerReferences: [ref('o'), ref('p')] }),
      want: ['o'],
    },
    {
      name: 'a dependent that drops its reference queues itself and the waiting owner',
      setup: [obj('o', { deleting: true, finalizers: ['foregroundDeletion'] }), obj('d', { ownerReferences: [ref('o', { blockOwnerDeletion: true })] })],
      cur: obj('d'),
      want: ['d', 'o'],
    },
  ];
  for (const c of cases) {
    const g = new Graph();
    for (const o of c.setup) g.upsert(o);
    assert.deepEqual(observe(g, c.prev, c.cur), c.want, c.name);
  }
});

test('toGcObject projects metadata, with namespace only for namespaced resources', () => {
  const nodes = findResource('', 'v1', 'nodes')!;
  const o = toGcObject({ metadata: { uid: 'u', name: 'n', namespace: 'ns', deletionTimestamp: '2026-01-01T00:00:00Z', finalizers: ['orphan'], resourceVersion: '3' } }, CM);
  assert.deepEqual(o, { uid: 'u', info: CM, namespace: 'ns', name: 'n', ownerReferences: [], deleting: true, finalizers: ['orphan'], resourceVersion: '3' });
  assert.equal(toGcObject({ metadata: { uid: 'u', name: 'n1', namespace: 'x' } }, nodes)?.namespace, '');
  assert.equal(toGcObject({ metadata: { name: 'no-uid' } }, CM), undefined);
});

test('collected resources: each storage once, no events, cluster-scoped ones included', () => {
  const got = collectedResources().map((r) => `${r.group}/${r.resource}`);
  assert.ok(!got.some((n) => n.endsWith('/events')), got.join(' '));
  for (const want of ['/namespaces', '/nodes', '/pods', '/configmaps', 'apps/replicasets']) assert.ok(got.includes(want), `${want} missing from ${got.join(' ')}`);
  assert.equal(new Set(collectedResources().map((r) => r.storagePrefix)).size, got.length);
  assert.ok(got.length < RESOURCES.length);
});
