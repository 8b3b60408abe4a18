import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NodeInfo, podInfoOf } from './node-info.js';
import { podToSchedule } from './scheduler.js';
import { balancedAllocationScore, leastAllocatedScore, normalize, preferNoScheduleCount, preferredAffinityWeight, scoreNodes, selectHost } from './scores.js';
import { makeNode, makePod } from './testing.js';

test('least allocated prefers emptier nodes, counting 100m/200Mi for pods without requests', () => {
  const empty = new NodeInfo('a', makeNode('a', { cpu: '1', memory: '1000Mi' }));
  const busy = new NodeInfo('b', makeNode('b', { cpu: '1', memory: '1000Mi' }));
  busy.addPod(podInfoOf(makePod('x'), 'b'));
  const p = podToSchedule(makePod('p'));
  assert.equal(leastAllocatedScore(p, empty), 85); // cpu (1000-100)/1000 → 90, memory (1000-200)/1000 → 80
  assert.equal(leastAllocatedScore(p, busy), 70);
});

test('balanced allocation rewards even cpu/memory use', () => {
  const n = new NodeInfo('a', makeNode('a', { cpu: '2', memory: '2Gi' }));
  assert.equal(balancedAllocationScore(podToSchedule(makePod('p', { requests: { cpu: '1', memory: '1Gi' } })), n), 100);
  assert.equal(balancedAllocationScore(podToSchedule(makePod('p', { requests: { cpu: '2' } })), n), 50);
});

test('PreferNoSchedule taints and preferred affinity feed their scores', () => {
  const n = new NodeInfo('a', makeNode('a', { labels: { zone: 'z1' }, taints: [{ key: 'soft', effect: 'PreferNoSchedule' }, { key: 'hard', effect: 'NoSchedule' }] }));
  assert.equal(preferNoScheduleCount(podToSchedule(makePod('p')), n), 1);
  assert.equal(preferNoScheduleCount(podToSchedule(makePod('p', { spec: { tolerations: [{ key: 'soft', operator: 'Exists' }] } })), n), 0);
  const pref = makePod('p', { spec: { affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 7, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['z1'] }] } }] } } } });
  assert.equal(preferredAffinityWeight(podToSchedule(pref), n), 7);
});

test('normalize scales by the maximum, reversed when fewer is better', () => {
  assert.deepEqual(normalize([0, 1, 2], false), [0, 50, 100]);
  assert.deepEqual(normalize([0, 1, 2], true), [100, 50, 0]);
  assert.deepEqual(normalize([0, 0], true), [100, 100]);
});

test('pods of one owner spread: a node already holding a sibling scores lower', () => {
  const a = new NodeInfo('a', makeNode('a'));
  const b = new NodeInfo('b', makeNode('b'));
  a.addPod(podInfoOf(makePod('sib', { owner: 'rs-1', requests: { cpu: '0', memory: '0' } }), 'a'));
  const [sa, sb] = scoreNodes(podToSchedule(makePod('p', { owner: 'rs-1' })), [a, b]);
  assert.ok(sb! > sa!, `${sb} > ${sa}`);
});

test('selectHost picks the best and breaks ties with the random source', () => {
  assert.equal(selectHost([1, 5, 3]), 1);
  assert.equal(
    selectHost([5, 5, 5], () => 0),
    2,
  );
  assert.equal(
    selectHost([5, 5, 5], () => 0.99),
    0,
  );
});
