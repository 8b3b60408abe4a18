import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, Taint, TopologySpreadConstraint } from 'kubernetes-types/core/v1.js';
import { SchedulerCache } from './cache.js';
import { podToSchedule } from './scheduler.js';
import { schedulePod } from './schedule.js';
import { SPREAD_REASONS, preFilterTopologySpread, topologySpreadVerdict } from './topology-spread.js';
import { makeNode, makePod } from './testing.js';

const HOST = 'kubernetes.io/hostname';
const ZONE = 'topology.kubernetes.io/zone';
const { constraints: skewed, missingLabel } = SPREAD_REASONS;

function spread(topologyKey: string, extra: Partial<TopologySpreadConstraint> = {}): TopologySpreadConstraint {
  return { maxSkew: 1, topologyKey, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'web' } }, ...extra };
}

function web(name: string, o: { node?: string; ns?: string; labels?: Record<string, string>; constraints?: TopologySpreadConstraint[]; nodeSelector?: Record<string, string>; deleting?: boolean } = {}): Pod {
  const p = makePod(name, { ...(o.node ? { nodeName: o.node } : {}) });
  p.metadata!.labels = o.labels ?? { app: 'web' };
  if (o.ns) p.metadata!.namespace = o.ns;
  if (o.deleting) (p.metadata as { deletionTimestamp?: string }).deletionTimestamp = '2026-01-01T00:00:00Z';
  if (o.constraints) p.spec!.topologySpreadConstraints = o.constraints;
  if (o.nodeSelector) p.spec!.nodeSelector = o.nodeSelector;
  return p;
}

/** Nodes a, b (zone z1), c (zone z2) and d (no zone label); `pods` placed. */
function cluster(pods: Pod[], o: { taintC?: Taint } = {}): SchedulerCache {
  const c = new SchedulerCache();
  c.setNode(makeNode('a', { labels: { [ZONE]: 'z1' } }));
  c.setNode(makeNode('b', { labels: { [ZONE]: 'z1' } }));
  c.setNode(makeNode('c', { labels: { [ZONE]: 'z2' }, ...(o.taintC ? { taints: [o.taintC] } : {}) }));
  c.setNode(makeNode('d'));
  for (const p of pods) c.setPod(p);
  return c;
}

/** The verdict per node a, b, c, d: '' when it fits, else the reason. */
function verdicts(pod: Pod, c: SchedulerCache): string[] {
  const state = preFilterTopologySpread(pod, c);
  return ['a', 'b', 'c', 'd'].map((n) => (state ? (topologySpreadVerdict(state, c.node(n)!.node!.metadata!.labels!)?.reason ?? '') : ''));
}

const on = (node: string, n: number, o: Parameters<typeof web>[1] = {}): Pod[] => Array.from({ length: n }, (_, i) => web(`${node}-${i}-${o.ns ?? ''}${o.deleting ? 'x' : ''}${JSON.stringify(o.labels ?? {}).length}`, { ...o, node }));

const cases: Array<{ name: string; pod: Pod; placed: Pod[]; taintC?: Taint; want: string[] }> = [
  { name: 'hostname, maxSkew 1: the node already ahead is refused', pod: web('p', { constraints: [spread(HOST)] }), placed: [...on('a', 1)], want: [skewed, '', '', ''] },
  { name: 'zone: the zone ahead is refused, a node without the key never fits', pod: web('p', { constraints: [spread(ZONE)] }), placed: [...on('a', 1), ...on('b', 1)], want: [skewed, skewed, '', missingLabel] },
  { name: 'ScheduleAnyway does not filter', pod: web('p', { constraints: [spread(HOST, { whenUnsatisfiable: 'ScheduleAnyway' })] }), placed: [...on('a', 3)], want: ['', '', '', ''] },
  { name: 'pods of other namespaces and terminating pods do not count', pod: web('p', { constraints: [spread(HOST)] }), placed: [...on('a', 2, { ns: 'other' }), ...on('b', 2, { deleting: true })], want: ['', '', '', ''] },
  { name: 'a pod that does not match its own selector adds nothing', pod: web('p', { labels: { app: 'db' }, constraints: [spread(HOST)] }), placed: [...on('a', 1)], want: ['', '', '', ''] },
  { name: 'minDomains above the domain count makes the global minimum 0', pod: web('p', { constraints: [spread(ZONE, { minDomains: 3 })] }), placed: [...on('a', 1), ...on('c', 1)], want: [skewed, skewed, skewed, missingLabel] },
  { name: 'without minDomains the same pods leave room everywhere', pod: web('p', { constraints: [spread(ZONE)] }), placed: [...on('a', 1), ...on('c', 1)], want: ['', '', '', missingLabel] },
  { name: 'nodeAffinityPolicy Honor: nodes outside the nodeSelector are no domain', pod: web('p', { constraints: [spread(HOST)], nodeSelector: { [ZONE]: 'z1' } }), placed: [...on('a', 1), ...on('c', 3), ...on('d', 3)], want: [skewed, '', '', ''] },
  { name: 'nodeAffinityPolicy Ignore: they are', pod: web('p', { constraints: [spread(HOST, { nodeAffinityPolicy: 'Ignore' })], nodeSelector: { [ZONE]: 'z1' } }), placed: [...on('a', 1), ...on('b', 1), ...on('c', 1)], want: [skewed, skewed, skewed, ''] },
  { name: 'nodeTaintsPolicy Honor: a node with an untolerated taint is no domain', pod: web('p', { constraints: [spread(HOST, { nodeTaintsPolicy: 'Honor' })] }), placed: [...on('a', 1), ...on('b', 1), ...on('d', 1)], taintC: { key: 'k', effect: 'NoSchedule' }, want: ['', '', '', ''] },
  { name: 'nodeTaintsPolicy Ignore (default): it is one, and the empty tainted node holds the minimum', pod: web('p', { constraints: [spread(HOST)] }), placed: [...on('a', 1), ...on('b', 1), ...on('d', 1)], taintC: { key: 'k', effect: 'NoSchedule' }, want: [skewed, skewed, '', skewed] },
  { name: 'matchLabelKeys narrows the count to pods with the same values', pod: web('p', { labels: { app: 'web', version: 'v2' }, constraints: [spread(HOST, { matchLabelKeys: ['version'] })] }), placed: [...on('a', 2, { labels: { app: 'web', version: 'v1' } }), ...on('b', 1, { labels: { app: 'web', version: 'v2' } })], want: ['', skewed, '', ''] },
];

for (const c of cases) {
  test(`PodTopologySpread: ${c.name}`, () => {
    assert.deepEqual(verdicts(c.pod, cluster(c.placed, c.taintC ? { taintC: c.taintC } : {})), c.want);
  });
}

test('six replicas spread over three nodes two by two; the seventh, with minDomains above the domain count, goes to the empty node', () => {
  const c = new SchedulerCache();
  for (const n of ['a', 'b', 'c']) c.setNode(makeNode(n));
  const counts = new Map<string, number>();
  for (let i = 0; i < 6; i++) {
    const p = podToSchedule(web(`r${i}`, { constraints: [spread(HOST)] }));
    const out = schedulePod(p, c, { nextStartNodeIndex: 0 });
    assert.equal(out.kind, 'fit');
    if (out.kind !== 'fit') return;
    c.assume({ ...p.info, nodeName: out.node });
    counts.set(out.node, (counts.get(out.node) ?? 0) + 1);
  }
  assert.deepEqual([...counts.values()], [2, 2, 2]);
  c.setNode(makeNode('d', { labels: { spare: 'x' } }));
  c.setPod(web('d0', { node: 'd', labels: { app: 'other' } }));
  const out = schedulePod(podToSchedule(web('r6', { constraints: [spread(HOST, { minDomains: 5 })] })), c, { nextStartNodeIndex: 0 });
  // d has none: skew there is 1 (global minimum 0 with fewer than 5 domains); a, b, c are at 2 + 1 - 0.
  assert.equal(out.kind, 'fit');
  if (out.kind === 'fit') assert.equal(out.node, 'd');
});
