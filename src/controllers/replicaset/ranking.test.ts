import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { deleteBefore, deletionCost, podsToDelete } from './ranking.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const ago = (s: number): string => `${new Date(NOW - s * 1000).toISOString().slice(0, 19)}Z`;

interface P {
  name: string;
  node?: string;
  phase?: string;
  ready?: number; // seconds since ready
  created?: number; // seconds since creation
  restarts?: number;
  cost?: string;
  uid?: string;
}
function pod(p: P): Pod {
  return {
    metadata: { name: p.name, uid: p.uid ?? p.name, creationTimestamp: p.created === undefined ? undefined : ago(p.created), annotations: p.cost ? { 'controller.kubernetes.io/pod-deletion-cost': p.cost } : undefined },
    spec: { nodeName: p.node, containers: [] },
    status: {
      phase: p.phase ?? 'Running',
      conditions: p.ready === undefined ? [] : [{ type: 'Ready', status: 'True', lastTransitionTime: ago(p.ready) }],
      containerStatuses: [{ name: 'c', image: 'x', imageID: '', ready: p.ready !== undefined, restartCount: p.restarts ?? 0 }],
    },
  };
}

test('deleteBefore orders pods like upstream ActivePodsWithRanks', () => {
  const cases: Array<{ name: string; a: P; b: P; rankA?: number; rankB?: number; want: boolean }> = [
    { name: 'unassigned before assigned', a: { name: 'a' }, b: { name: 'b', node: 'n1' }, want: true },
    { name: 'assigned after unassigned', a: { name: 'a', node: 'n1' }, b: { name: 'b' }, want: false },
    { name: 'Pending before Running', a: { name: 'a', node: 'n', phase: 'Pending' }, b: { name: 'b', node: 'n' }, want: true },
    { name: 'Unknown before Running', a: { name: 'a', node: 'n', phase: 'Unknown' }, b: { name: 'b', node: 'n' }, want: true },
    { name: 'Pending before Unknown', a: { name: 'a', node: 'n', phase: 'Pending' }, b: { name: 'b', node: 'n', phase: 'Unknown' }, want: true },
    { name: 'not ready before ready', a: { name: 'a', node: 'n' }, b: { name: 'b', node: 'n', ready: 10 }, want: true },
    { name: 'lower deletion cost first', a: { name: 'a', node: 'n', ready: 10, cost: '-5' }, b: { name: 'b', node: 'n', ready: 10 }, want: true },
    { name: 'higher deletion cost later', a: { name: 'a', node: 'n', ready: 10, cost: '100' }, b: { name: 'b', node: 'n', ready: 1000 }, want: false },
    { name: 'doubled up first', a: { name: 'a', node: 'n1', ready: 10 }, b: { name: 'b', node: 'n2', ready: 10 }, rankA: 3, rankB: 1, want: true },
    { name: 'ready more recently first', a: { name: 'a', node: 'n', ready: 10 }, b: { name: 'b', node: 'n', ready: 1000 }, want: true },
    { name: 'ready longer ago later', a: { name: 'a', node: 'n', ready: 1000 }, b: { name: 'b', node: 'n', ready: 10 }, want: false },
    { name: 'same log2 bucket of readiness falls back to uid', a: { name: 'a', node: 'n', ready: 100, uid: '2' }, b: { name: 'b', node: 'n', ready: 101, uid: '1' }, want: false },
    { name: 'more restarts first', a: { name: 'a', node: 'n', restarts: 3 }, b: { name: 'b', node: 'n', restarts: 1 }, want: true },
    { name: 'newer first', a: { name: 'a', node: 'n', created: 10 }, b: { name: 'b', node: 'n', created: 5000 }, want: true },
    { name: 'missing creation time first', a: { name: 'a', node: 'n' }, b: { name: 'b', node: 'n', created: 5 }, want: true },
    { name: 'equal pods are not ordered', a: { name: 'a', node: 'n', created: 5 }, b: { name: 'b', node: 'n', created: 5 }, want: false },
  ];
  for (const c of cases) {
    assert.equal(deleteBefore({ pod: pod(c.a), rank: c.rankA ?? 0 }, { pod: pod(c.b), rank: c.rankB ?? 0 }, NOW), c.want, c.name);
  }
});

test('podsToDelete picks the cheapest pods, counting family pods on the same node', () => {
  const pods = [pod({ name: 'old-ready', node: 'n1', ready: 3600 }), pod({ name: 'pending', node: 'n2', phase: 'Pending' }), pod({ name: 'unassigned' }), pod({ name: 'crowded', node: 'n3', ready: 3600 })];
  const related = [...pods, pod({ name: 'sibling1', node: 'n3', ready: 3600 }), pod({ name: 'sibling2', node: 'n3', ready: 3600 })];
  assert.deepEqual(podsToDelete(pods, related, 3, NOW).map((p) => p.metadata?.name), ['unassigned', 'pending', 'crowded']);
  assert.deepEqual(podsToDelete(pods, related, 4, NOW).length, 4);
  assert.deepEqual(podsToDelete(pods, related, 0, NOW), []);
});

test('deletion cost is an int32 annotation, 0 when absent or invalid', () => {
  assert.equal(deletionCost(pod({ name: 'a', cost: '42' })), 42);
  assert.equal(deletionCost(pod({ name: 'a', cost: 'x' })), 0);
  assert.equal(deletionCost(pod({ name: 'a', cost: '99999999999' })), 0);
  assert.equal(deletionCost(pod({ name: 'a' })), 0);
});
