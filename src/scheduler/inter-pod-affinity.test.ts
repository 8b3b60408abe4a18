import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, PodAffinityTerm } from 'kubernetes-types/core/v1.js';
import { SchedulerCache } from './cache.js';
import { INTER_POD_REASONS, interPodAffinityScores, interPodAffinityVerdict, preFilterInterPodAffinity, type NamespaceLabels } from './inter-pod-affinity.js';
import { podToSchedule } from './scheduler.js';
import { schedulePod } from './schedule.js';
import { fitErrorMessage } from './fit-error.js';
import { makeNode, makePod } from './testing.js';

const HOST = 'kubernetes.io/hostname';
const ZONE = 'topology.kubernetes.io/zone';

function term(labels: Record<string, string>, topologyKey = HOST, extra: Partial<PodAffinityTerm> = {}): PodAffinityTerm {
  return { labelSelector: { matchLabels: labels }, topologyKey, ...extra };
}

function labelled(name: string, labels: Record<string, string>, o: { node?: string; ns?: string; affinity?: PodAffinityTerm[]; anti?: PodAffinityTerm[] } = {}): Pod {
  const p = makePod(name, { ...(o.node ? { nodeName: o.node } : {}) });
  p.metadata!.labels = labels;
  if (o.ns) p.metadata!.namespace = o.ns;
  p.spec!.affinity = {
    ...(o.affinity ? { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: o.affinity } } : {}),
    ...(o.anti ? { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: o.anti } } : {}),
  };
  return p;
}

/** Three nodes: a and b in zone 1, c in zone 2; `pods` placed. */
function cluster(...pods: Pod[]): SchedulerCache {
  const c = new SchedulerCache();
  c.setNode(makeNode('a', { labels: { [ZONE]: 'z1' } }));
  c.setNode(makeNode('b', { labels: { [ZONE]: 'z1' } }));
  c.setNode(makeNode('c', { labels: { [ZONE]: 'z2' } }));
  for (const p of pods) c.setPod(p);
  return c;
}

/** The verdict per node a, b, c: '' when it fits, else the reason. */
function verdicts(pod: Pod, c: SchedulerCache, namespaces?: NamespaceLabels): string[] {
  const state = preFilterInterPodAffinity(pod, c, namespaces);
  return ['a', 'b', 'c'].map((n) => (state ? (interPodAffinityVerdict(state, c.node(n)!.node!.metadata!.labels!)?.reason ?? '') : ''));
}

const { affinity, antiAffinity, existingAntiAffinity } = INTER_POD_REASONS;

const cases: Array<{ name: string; pod: Pod; placed: Pod[]; want: string[] }> = [
  { name: 'no terms anywhere: every node fits', pod: labelled('p', { app: 'web' }), placed: [labelled('x', { app: 'web' }, { node: 'a' })], want: ['', '', ''] },
  { name: 'anti-affinity on hostname keeps off the node with a match', pod: labelled('p', { app: 'web' }, { anti: [term({ app: 'web' })] }), placed: [labelled('x', { app: 'web' }, { node: 'a' })], want: [antiAffinity, '', ''] },
  { name: 'anti-affinity on zone keeps off the whole zone', pod: labelled('p', { app: 'web' }, { anti: [term({ app: 'web' }, ZONE)] }), placed: [labelled('x', { app: 'web' }, { node: 'a' })], want: [antiAffinity, antiAffinity, ''] },
  { name: 'anti-affinity ignores pods of other namespaces', pod: labelled('p', { app: 'web' }, { anti: [term({ app: 'web' })] }), placed: [labelled('x', { app: 'web' }, { node: 'a', ns: 'other' })], want: ['', '', ''] },
  { name: 'an empty namespaceSelector looks in every namespace', pod: labelled('p', { app: 'web' }, { anti: [term({ app: 'web' }, HOST, { namespaceSelector: {} })] }), placed: [labelled('x', { app: 'web' }, { node: 'a', ns: 'other' })], want: [antiAffinity, '', ''] },
  { name: 'a term without labelSelector matches no pod', pod: labelled('p', { app: 'web' }, { anti: [{ topologyKey: HOST }] }), placed: [labelled('x', { app: 'web' }, { node: 'a' })], want: ['', '', ''] },
  { name: 'affinity needs a matching pod in the same zone', pod: labelled('p', { app: 'web' }, { affinity: [term({ app: 'db' }, ZONE)] }), placed: [labelled('db', { app: 'db' }, { node: 'c' })], want: [affinity, affinity, ''] },
  { name: 'affinity with no match anywhere: unschedulable unless the pod matches itself', pod: labelled('p', { app: 'web' }, { affinity: [term({ app: 'db' })] }), placed: [], want: [affinity, affinity, affinity] },
  { name: 'the first pod of a self-affine group goes anywhere', pod: labelled('p', { app: 'web' }, { affinity: [term({ app: 'web' }, ZONE)] }), placed: [], want: ['', '', ''] },
  { name: 'later pods of a self-affine group follow the first', pod: labelled('p', { app: 'web' }, { affinity: [term({ app: 'web' }, ZONE)] }), placed: [labelled('w1', { app: 'web' }, { node: 'c' })], want: [affinity, affinity, ''] },
  { name: "an existing pod's anti-affinity keeps the newcomer off its node", pod: labelled('p', { app: 'web' }), placed: [labelled('x', { app: 'cache' }, { node: 'b', anti: [term({ app: 'web' })] })], want: ['', existingAntiAffinity, ''] },
  { name: "an existing pod's zone anti-affinity keeps it off the zone", pod: labelled('p', { app: 'web' }), placed: [labelled('x', { app: 'cache' }, { node: 'c', anti: [term({ app: 'web' }, ZONE)] })], want: ['', '', existingAntiAffinity] },
  { name: "an existing pod's anti-affinity for other labels does not matter", pod: labelled('p', { app: 'web' }), placed: [labelled('x', { app: 'cache' }, { node: 'b', anti: [term({ app: 'db' })] })], want: ['', '', ''] },
  { name: 'affinity is checked before anti-affinity', pod: labelled('p', { app: 'web' }, { affinity: [term({ app: 'db' })], anti: [term({ app: 'web' })] }), placed: [labelled('db', { app: 'db' }, { node: 'a' }), labelled('w', { app: 'web' }, { node: 'a' })], want: [antiAffinity, affinity, affinity] },
];

for (const c of cases) {
  test(`InterPodAffinity: ${c.name}`, () => {
    assert.deepEqual(verdicts(c.pod, cluster(...c.placed)), c.want);
  });
}

test('InterPodAffinity: a namespaceSelector picks namespaces by their labels', () => {
  const namespaces: NamespaceLabels = {
    labelsOf: (ns) => ({ team: ns === 'blue' ? 'blue' : 'red' }),
    all: () => ['default', 'blue'].map((name) => ({ name, labels: { team: name === 'blue' ? 'blue' : 'red' } })),
  };
  const pod = labelled('p', { app: 'web' }, { anti: [term({ app: 'web' }, HOST, { namespaceSelector: { matchLabels: { team: 'blue' } } })] });
  assert.deepEqual(verdicts(pod, cluster(labelled('x', { app: 'web' }, { node: 'a', ns: 'blue' }), labelled('y', { app: 'web' }, { node: 'b' })), namespaces), [antiAffinity, '', '']);
});

test('InterPodAffinity: the PreFilter skips pods without terms when no placed pod has anti-affinity', () => {
  assert.equal(preFilterInterPodAffinity(labelled('p', { app: 'web' }), cluster(labelled('x', { app: 'web' }, { node: 'a' }))), undefined);
});

test('a fourth replica with hostname anti-affinity on three nodes is unschedulable, with the upstream message', () => {
  const replica = (n: string, node?: string): Pod => labelled(n, { app: 'web' }, { anti: [term({ app: 'web' })], ...(node ? { node } : {}) });
  const c = cluster(replica('r1', 'a'), replica('r2', 'b'), replica('r3', 'c'));
  const out = schedulePod(podToSchedule(replica('r4')), c, { nextStartNodeIndex: 0 });
  assert.equal(out.kind, 'unschedulable');
  if (out.kind === 'unschedulable') assert.equal(fitErrorMessage(out.diagnosis), "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules.");
  // Placed one at a time, three replicas take the three nodes.
  const fresh = cluster();
  const placed: string[] = [];
  for (const name of ['r1', 'r2', 'r3']) {
    const p = podToSchedule(replica(name));
    const o = schedulePod(p, fresh, { nextStartNodeIndex: 0 });
    assert.equal(o.kind, 'fit');
    if (o.kind === 'fit') {
      fresh.assume({ ...p.info, nodeName: o.node });
      placed.push(o.node);
    }
  }
  assert.deepEqual(placed.sort(), ['a', 'b', 'c']);
});

function weighted(weight: number, labels: Record<string, string>, topologyKey = HOST): { weight: number; podAffinityTerm: PodAffinityTerm } {
  return { weight, podAffinityTerm: term(labels, topologyKey) };
}

function preferring(name: string, labels: Record<string, string>, o: { node?: string; affinity?: ReturnType<typeof weighted>[]; anti?: ReturnType<typeof weighted>[]; requiredAffinity?: PodAffinityTerm[] } = {}): Pod {
  const p = labelled(name, labels, { ...(o.node ? { node: o.node } : {}), ...(o.requiredAffinity ? { affinity: o.requiredAffinity } : {}) });
  p.spec!.affinity = {
    podAffinity: { ...p.spec!.affinity?.podAffinity, ...(o.affinity ? { preferredDuringSchedulingIgnoredDuringExecution: o.affinity } : {}) },
    podAntiAffinity: { ...(o.anti ? { preferredDuringSchedulingIgnoredDuringExecution: o.anti } : {}) },
  };
  return p;
}

const scoreCases: Array<{ name: string; pod: Pod; placed: Pod[]; want: number[] | undefined }> = [
  { name: 'no terms anywhere: the plugin skips', pod: labelled('p', { app: 'web' }), placed: [labelled('x', { app: 'web' }, { node: 'a' })], want: undefined },
  { name: 'preferred anti-affinity on hostname favours the nodes without a match', pod: preferring('p', { app: 'web' }, { anti: [weighted(100, { app: 'web' })] }), placed: [labelled('x', { app: 'web' }, { node: 'a' })], want: [0, 100, 100] },
  { name: 'preferred affinity on zone favours the zone with a match', pod: preferring('p', { app: 'web' }, { affinity: [weighted(50, { app: 'db' }, ZONE)] }), placed: [labelled('db', { app: 'db' }, { node: 'a' })], want: [100, 100, 0] },
  { name: "a placed pod's preferred anti-affinity for the newcomer counts against its node", pod: labelled('p', { app: 'web' }), placed: [preferring('x', { app: 'cache' }, { node: 'b', anti: [weighted(10, { app: 'web' })] })], want: [100, 0, 100] },
  { name: "a placed pod's required affinity for the newcomer draws it (hardPodAffinityWeight)", pod: labelled('p', { app: 'web' }), placed: [labelled('x', { app: 'cache' }, { node: 'c', affinity: [term({ app: 'web' }, ZONE)] })], want: [0, 0, 100] },
  { name: 'weights add up and the scores spread between the lowest and highest', pod: preferring('p', { app: 'web' }, { affinity: [weighted(10, { app: 'db' })], anti: [weighted(5, { app: 'web' })] }), placed: [labelled('db', { app: 'db' }, { node: 'a' }), labelled('w1', { app: 'web' }, { node: 'a' }), labelled('w2', { app: 'web' }, { node: 'b' })], want: [100, 0, 50] },
];

for (const c of scoreCases) {
  test(`InterPodAffinity score: ${c.name}`, () => {
    const cache = cluster(...c.placed);
    assert.deepEqual(interPodAffinityScores(c.pod, ['a', 'b', 'c'].map((n) => cache.node(n)!), cache), c.want);
  });
}
