import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Node, PodSpec, Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { daemonPodTolerations, nodeShouldRunDaemonPod } from './predicate.js';

function node(name: string, labels: Record<string, string> = {}, taints: Taint[] = [], unschedulable = false): Node {
  return { metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } }, spec: { taints, unschedulable } };
}

function ds(spec: Partial<PodSpec> = {}): DaemonSet {
  return {
    metadata: { name: 'd', namespace: 'ns' },
    spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }], ...spec } } },
  };
}

const T = (key: string, effect: Taint['effect'], value?: string): Taint => ({ key, effect, ...(value ? { value } : {}) });

test('nodeShouldRunDaemonPod: table', () => {
  const cases: Array<{ name: string; node: Node; spec?: Partial<PodSpec>; run: boolean; cont: boolean }> = [
    { name: 'plain node', node: node('n1'), run: true, cont: true },
    { name: 'nodeSelector matches', node: node('n1', { disk: 'ssd' }), spec: { nodeSelector: { disk: 'ssd' } }, run: true, cont: true },
    { name: 'nodeSelector does not match', node: node('n1', { disk: 'hdd' }), spec: { nodeSelector: { disk: 'ssd' } }, run: false, cont: false },
    {
      name: 'required affinity does not match',
      node: node('n1', { zone: 'a' }),
      spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] }] } } } },
      run: false,
      cont: false,
    },
    {
      name: 'preferred affinity never restricts',
      node: node('n1', { zone: 'a' }),
      spec: { affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] } }] } } },
      run: true,
      cont: true,
    },
    {
      name: 'matchFields metadata.name',
      node: node('n2'),
      spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }] } } } },
      run: false,
      cont: false,
    },
    { name: 'template nodeName elsewhere', node: node('n1'), spec: { nodeName: 'n2' }, run: false, cont: false },
    { name: 'untolerated NoSchedule keeps running pods', node: node('n1', {}, [T('dedicated', 'NoSchedule', 'x')]), run: false, cont: true },
    { name: 'untolerated NoExecute evicts', node: node('n1', {}, [T('dedicated', 'NoExecute', 'x')]), run: false, cont: false },
    { name: 'PreferNoSchedule is ignored', node: node('n1', {}, [T('dedicated', 'PreferNoSchedule')]), run: true, cont: true },
    {
      name: 'tolerated NoSchedule',
      node: node('n1', {}, [T('dedicated', 'NoSchedule', 'x')]),
      spec: { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'x', effect: 'NoSchedule' }] },
      run: true,
      cont: true,
    },
    {
      name: 'NoSchedule toleration does not tolerate NoExecute',
      node: node('n1', {}, [T('dedicated', 'NoExecute', 'x')]),
      spec: { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'x', effect: 'NoSchedule' }] },
      run: false,
      cont: false,
    },
    { name: 'tolerate everything', node: node('n1', {}, [T('a', 'NoExecute'), T('b', 'NoSchedule')]), spec: { tolerations: [{ operator: 'Exists' }] }, run: true, cont: true },
    { name: 'unschedulable node (taint auto-tolerated)', node: node('n1', {}, [T('node.kubernetes.io/unschedulable', 'NoSchedule')], true), run: true, cont: true },
    { name: 'not-ready NoExecute auto-tolerated', node: node('n1', {}, [T('node.kubernetes.io/not-ready', 'NoExecute')]), run: true, cont: true },
    { name: 'unreachable NoExecute auto-tolerated', node: node('n1', {}, [T('node.kubernetes.io/unreachable', 'NoExecute')]), run: true, cont: true },
    { name: 'memory-pressure auto-tolerated', node: node('n1', {}, [T('node.kubernetes.io/memory-pressure', 'NoSchedule')]), run: true, cont: true },
    { name: 'network-unavailable not tolerated without hostNetwork', node: node('n1', {}, [T('node.kubernetes.io/network-unavailable', 'NoSchedule')]), run: false, cont: true },
    { name: 'network-unavailable tolerated with hostNetwork', node: node('n1', {}, [T('node.kubernetes.io/network-unavailable', 'NoSchedule')]), spec: { hostNetwork: true }, run: true, cont: true },
    { name: 'master taint untolerated', node: node('m', {}, [T('node-role.kubernetes.io/master', 'NoSchedule')]), run: false, cont: true },
    {
      name: 'master taint tolerated (fluentd)',
      node: node('m', {}, [T('node-role.kubernetes.io/master', 'NoSchedule')]),
      spec: { tolerations: [{ key: 'node-role.kubernetes.io/master', effect: 'NoSchedule' }] },
      run: true,
      cont: true,
    },
  ];
  for (const c of cases) {
    assert.deepEqual(nodeShouldRunDaemonPod(c.node, ds(c.spec)), { shouldRun: c.run, shouldContinueRunning: c.cont }, c.name);
  }
});

test('daemonPodTolerations adds the six automatic tolerations, plus network-unavailable for hostNetwork', () => {
  const keys = (ts: Toleration[]) => ts.map((t) => `${t.key}:${t.operator}:${t.effect}`);
  assert.deepEqual(keys(daemonPodTolerations({})), [
    'node.kubernetes.io/not-ready:Exists:NoExecute',
    'node.kubernetes.io/unreachable:Exists:NoExecute',
    'node.kubernetes.io/disk-pressure:Exists:NoSchedule',
    'node.kubernetes.io/memory-pressure:Exists:NoSchedule',
    'node.kubernetes.io/pid-pressure:Exists:NoSchedule',
    'node.kubernetes.io/unschedulable:Exists:NoSchedule',
  ]);
  assert.equal(daemonPodTolerations({ hostNetwork: true }).length, 7);
  assert.equal(daemonPodTolerations({ hostNetwork: true })[6]!.key, 'node.kubernetes.io/network-unavailable');
  const own: Toleration = { key: 'node-role.kubernetes.io/master', effect: 'NoSchedule' };
  const withOwn = daemonPodTolerations({ tolerations: [own] });
  assert.equal(withOwn.length, 7, 'one from the manifest + 6 automatic');
  assert.deepEqual(withOwn[0], own);
  // An identical toleration is not duplicated.
  const dup = daemonPodTolerations({ tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' }] });
  assert.equal(dup.length, 6);
  // A not-ready toleration with tolerationSeconds differs from the automatic one only in seconds: it is kept, the automatic one added.
  const secs = daemonPodTolerations({ tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 }] });
  assert.equal(secs[0]!.tolerationSeconds, undefined, 'a matching toleration is replaced by the infinite one (upstream AddOrUpdateTolerationInPodSpec)');
  assert.equal(secs.length, 6);
});

test('the input spec is not modified', () => {
  const spec: Partial<PodSpec> = { tolerations: [{ key: 'x', operator: 'Exists' }] };
  daemonPodTolerations(spec);
  assert.equal(spec.tolerations!.length, 1);
});
