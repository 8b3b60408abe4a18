import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Affinity, Pod } from 'kubernetes-types/core/v1.js';
import { compareDaemonPods, isPodAvailable, isPodUpdated, newDaemonPod, replaceNodeNameAffinity, targetNodeName, templateGeneration } from './pods.js';

const DS: DaemonSet = {
  metadata: { name: 'fluentd', namespace: 'kube-system', uid: 'u1', generation: 3 },
  spec: {
    selector: { matchLabels: { name: 'fluentd' } },
    template: {
      metadata: { labels: { name: 'fluentd' }, annotations: { a: '1' } },
      spec: { containers: [{ name: 'c', image: 'i' }], tolerations: [{ key: 'node-role.kubernetes.io/master', effect: 'NoSchedule' }] },
    },
  },
};

test('newDaemonPod: name prefix, owner, labels, tolerations and node affinity', () => {
  const p = newDaemonPod(DS, 'node-1', 'h4sh');
  assert.equal(p.metadata!.generateName, 'fluentd-');
  assert.equal(p.metadata!.name, undefined);
  assert.equal(p.metadata!.namespace, 'kube-system');
  assert.deepEqual(p.metadata!.labels, { name: 'fluentd', 'pod-template-generation': '3', 'controller-revision-hash': 'h4sh' });
  assert.deepEqual(p.metadata!.annotations, { a: '1' });
  assert.deepEqual(p.metadata!.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'fluentd', uid: 'u1', controller: true, blockOwnerDeletion: true }]);
  assert.equal(p.spec!.tolerations!.length, 7);
  assert.equal(p.spec!.nodeName, undefined, 'the scheduler binds it');
  assert.deepEqual(p.spec!.affinity, {
    nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-1'] }] }] } },
  });
  assert.equal(DS.spec!.template.spec!.tolerations!.length, 1, 'the DaemonSet is not modified');
  assert.equal(targetNodeName(p), 'node-1');
});

test('replaceNodeNameAffinity: table', () => {
  const want = { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n'] }] }] };
  const pref = [{ weight: 1, preference: { matchExpressions: [{ key: 'z', operator: 'In', values: ['a'] }] } }];
  const cases: Array<{ name: string; in: Affinity | undefined; out: Affinity }> = [
    { name: 'no affinity', in: undefined, out: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: want } } },
    { name: 'pod affinity only', in: { podAffinity: {} }, out: { podAffinity: {}, nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: want } } },
    {
      name: 'preferred kept',
      in: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: pref } },
      out: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: pref, requiredDuringSchedulingIgnoredDuringExecution: want } },
    },
    {
      name: 'existing terms (label and metadata.name) replaced',
      in: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: 'z', operator: 'In', values: ['a'] }] }, { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['old'] }] }],
          },
        },
      },
      out: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: want } },
    },
  ];
  for (const c of cases) assert.deepEqual(replaceNodeNameAffinity(c.in, 'n'), c.out, c.name);
});

test('targetNodeName: bound node, affinity, or none', () => {
  assert.equal(targetNodeName({ spec: { containers: [], nodeName: 'a' } }), 'a');
  assert.equal(targetNodeName({ spec: { containers: [] } }), undefined);
  assert.equal(targetNodeName(newDaemonPod(DS, 'b', '')), 'b');
});

test('isPodUpdated: hash or template generation', () => {
  const pod = (labels: Record<string, string>): Pod => ({ metadata: { labels } });
  const cases: Array<[Record<string, string>, string, number | undefined, boolean]> = [
    [{ 'controller-revision-hash': 'h1' }, 'h1', 2, true],
    [{ 'controller-revision-hash': 'h0', 'pod-template-generation': '2' }, 'h1', 2, true],
    [{ 'controller-revision-hash': 'h0', 'pod-template-generation': '1' }, 'h1', 2, false],
    [{}, '', undefined, false],
  ];
  for (const [labels, hash, gen, want] of cases) assert.equal(isPodUpdated(pod(labels), hash, gen), want, JSON.stringify(labels));
});

test('templateGeneration prefers the upstream annotation', () => {
  assert.equal(templateGeneration({ metadata: { generation: 4 } }), 4);
  assert.equal(templateGeneration({ metadata: { generation: 4, annotations: { 'deprecated.daemonset.template.generation': '2' } } }), 2);
});

test('isPodAvailable honours minReadySeconds', () => {
  const at = Date.parse('2024-01-01T00:00:00Z');
  const pod: Pod = { status: { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2024-01-01T00:00:00Z' }] } };
  assert.equal(isPodAvailable(pod, 0, at), true);
  assert.equal(isPodAvailable(pod, 5, at + 5000), false);
  assert.equal(isPodAvailable(pod, 5, at + 5001), true);
  assert.equal(isPodAvailable({ status: { conditions: [{ type: 'Ready', status: 'False' }] } }, 0, at), false);
});

test('compareDaemonPods: bound first, then oldest, then name', () => {
  const p = (name: string, ts: string, node?: string): Pod => ({ metadata: { name, creationTimestamp: ts }, spec: { containers: [], nodeName: node } });
  const sorted = [p('d', '2024-01-01T00:00:00Z'), p('c', '2024-01-02T00:00:00Z', 'n'), p('b', '2024-01-01T00:00:00Z', 'n'), p('a', '2024-01-01T00:00:00Z', 'n')].sort(compareDaemonPods);
  assert.deepEqual(sorted.map((x) => x.metadata!.name), ['a', 'b', 'c', 'd']);
});
