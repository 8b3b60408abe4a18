import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SchedulerCache } from './cache.js';
import { fitErrorMessage } from './fit-error.js';
import type { FilterPlugin } from './filters.js';
import { nodeAffinity, DEFAULT_FILTERS } from './filters.js';
import { podInfoOf } from './node-info.js';
import { nodeNamesFromAffinity, numFeasibleNodesToFind, schedulePod } from './schedule.js';
import { podToSchedule } from './scheduler.js';
import { makeNode, makePod, pinnedTo } from './testing.js';

function cacheWith(n: number, o: Parameters<typeof makeNode>[1] = {}): SchedulerCache {
  const c = new SchedulerCache();
  for (let i = 1; i <= n; i++) c.setNode(makeNode(`node-${i}`, o));
  return c;
}

test('nodeNamesFromAffinity: matchFields pins, a term without it frees, empty intersection conflicts', () => {
  assert.deepEqual(nodeNamesFromAffinity(pinnedTo('n1')), new Set(['n1']));
  assert.equal(nodeNamesFromAffinity({}), undefined);
  const twoTerms = {
    affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['a'] }] }, { matchExpressions: [{ key: 'x', operator: 'Exists' }] }] } } },
  };
  assert.equal(nodeNamesFromAffinity(twoTerms), undefined);
  const conflict = {
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            {
              matchFields: [
                { key: 'metadata.name', operator: 'In', values: ['a'] },
                { key: 'metadata.name', operator: 'In', values: ['b'] },
              ],
            },
          ],
        },
      },
    },
  };
  assert.equal(nodeNamesFromAffinity(conflict), 'conflict');
});

test('numFeasibleNodesToFind follows the adaptive percentage', () => {
  const cases: Array<[number, number]> = [
    [10, 10],
    [99, 99],
    [100, 100],
    [1000, 420],
    [5000, 500],
    [10000, 500],
  ];
  for (const [n, want] of cases) assert.equal(numFeasibleNodesToFind(n), want, String(n));
});

test('a DaemonSet-pinned pod is filtered against its node only', () => {
  const cache = cacheWith(1000);
  let calls = 0;
  const counting: FilterPlugin[] = DEFAULT_FILTERS.map((f) => ({ name: f.name, filter: (p, n) => (calls++, f.filter(p, n)) }));
  const out = schedulePod(podToSchedule(makePod('ds-x', { spec: pinnedTo('node-777') })), cache, { nextStartNodeIndex: 0 }, { filters: counting });
  assert.deepEqual(out, { kind: 'fit', node: 'node-777' });
  assert.equal(calls, DEFAULT_FILTERS.length);
});

test('a pinned pod whose node is missing or full explains itself like upstream', () => {
  const cache = cacheWith(3, { pods: '0' });
  const gone = schedulePod(podToSchedule(makePod('p', { spec: pinnedTo('node-9') })), cache, { nextStartNodeIndex: 0 });
  assert.equal(gone.kind, 'unschedulable');
  if (gone.kind === 'unschedulable') assert.equal(fitErrorMessage(gone.diagnosis), "0/3 nodes are available: 3 node(s) didn't satisfy plugin(s) [NodeAffinity].");
  const full = schedulePod(podToSchedule(makePod('p', { spec: pinnedTo('node-2') })), cache, { nextStartNodeIndex: 0 });
  if (full.kind !== 'unschedulable') assert.fail('expected unschedulable');
  assert.equal(fitErrorMessage(full.diagnosis), "0/3 nodes are available: 1 Too many pods, 2 node(s) didn't satisfy plugin(s) [NodeAffinity].");
});

test('no nodes at all is its own outcome', () => {
  assert.deepEqual(schedulePod(podToSchedule(makePod('p')), new SchedulerCache(), { nextStartNodeIndex: 0 }), { kind: 'error', message: 'no nodes available to schedule pods' });
});

test('only fitting nodes are chosen: nodeSelector, taints and resources', () => {
  const cache = new SchedulerCache();
  cache.setNode(makeNode('small', { cpu: '1' }));
  cache.setNode(makeNode('tainted', { cpu: '8', taints: [{ key: 'k', effect: 'NoSchedule' }] }));
  cache.setNode(makeNode('big', { cpu: '8', labels: { disk: 'ssd' } }));
  cache.setNode(makeNode('other', { cpu: '8' }));
  for (let i = 0; i < 20; i++) {
    const out = schedulePod(podToSchedule(makePod(`p${i}`, { requests: { cpu: '2' }, spec: { nodeSelector: { disk: 'ssd' } } })), cache, { nextStartNodeIndex: i });
    assert.deepEqual(out, { kind: 'fit', node: 'big' });
  }
  const out = schedulePod(podToSchedule(makePod('p', { requests: { cpu: '2' } })), cache, { nextStartNodeIndex: 0 });
  assert.ok(out.kind === 'fit' && (out.node === 'big' || out.node === 'other'), JSON.stringify(out));
});

test('scheduling many pods spreads them evenly (incremental accounting via assume)', () => {
  const cache = cacheWith(10);
  const state = { nextStartNodeIndex: 0 };
  const counts = new Map<string, number>();
  for (let i = 0; i < 200; i++) {
    const pod = makePod(`p${i}`, { owner: 'rs-1' });
    const out = schedulePod(podToSchedule(pod), cache, state);
    if (out.kind !== 'fit') assert.fail(`p${i} did not fit`);
    cache.assume(podInfoOf(pod, out.node));
    counts.set(out.node, (counts.get(out.node) ?? 0) + 1);
  }
  assert.equal(counts.size, 10);
  for (const [node, n] of counts) assert.equal(n, 20, `${node} got ${n}`);
});

test('the full scan rotates its start and stops after enough feasible nodes', () => {
  const cache = cacheWith(1000);
  const state = { nextStartNodeIndex: 0 };
  let calls = 0;
  const counting: FilterPlugin[] = [{ name: 'NodeAffinity', filter: (p, n) => (calls++, nodeAffinity.filter(p, n)) }];
  schedulePod(podToSchedule(makePod('p')), cache, state, { filters: counting });
  assert.equal(calls, 420);
  assert.equal(state.nextStartNodeIndex, 420);
});
