import { test } from 'node:test';
import assert from 'node:assert/strict';
import { strategicMergePatch } from './strategic-merge.js';
import { patchMetaFor } from './patch-meta.js';
import { ApiError } from '../errors.js';

const deployMeta = patchMetaFor('apps/v1', 'Deployment');
const dsMeta = patchMetaFor('apps/v1', 'DaemonSet');
const nodeMeta = patchMetaFor('v1', 'Node');
const podMeta = patchMetaFor('v1', 'Pod');
const svcMeta = patchMetaFor('v1', 'Service');

const container = (name: string, extra: Record<string, unknown> = {}) => ({ name, image: `${name}:1`, ...extra });
const deploy = (containers: unknown[], spec: Record<string, unknown> = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web' } },
  spec: { replicas: 1, template: { metadata: { labels: { app: 'web' } }, spec: { containers } }, ...spec },
});

interface Case {
  name: string;
  meta: ReturnType<typeof patchMetaFor>;
  original: unknown;
  patch: unknown;
  want: unknown;
}

const cases: Case[] = [
  {
    name: 'maps merge and null deletes a key',
    meta: deployMeta,
    original: { metadata: { labels: { a: '1', b: '2' } } },
    patch: { metadata: { labels: { b: null, c: '3' } } },
    want: { metadata: { labels: { a: '1', c: '3' } } },
  },
  {
    name: 'kubectl set image changes one container by name',
    meta: deployMeta,
    original: deploy([container('web'), container('sidecar')]),
    patch: { spec: { template: { spec: { containers: [{ name: 'sidecar', image: 'sidecar:2' }] } } } },
    want: deploy([container('web'), { name: 'sidecar', image: 'sidecar:2' }]),
  },
  {
    name: 'a new list item without $setElementOrder goes before the server-only items, as upstream',
    meta: deployMeta,
    original: deploy([container('web')]),
    patch: { spec: { template: { spec: { containers: [container('log')] } } } },
    want: deploy([container('log'), container('web')]),
  },
  {
    name: "kubectl apply's three-way patch follows $setElementOrder/containers",
    meta: deployMeta,
    original: deploy([container('web'), container('log')]),
    patch: {
      metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}\n' } },
      spec: {
        replicas: 3,
        template: { spec: { '$setElementOrder/containers': [{ name: 'log' }, { name: 'web' }], containers: [{ image: 'nginx:1.26', name: 'web' }] } },
      },
    },
    want: {
      ...deploy([container('log'), { name: 'web', image: 'nginx:1.26' }], { replicas: 3 }),
      metadata: { name: 'web', labels: { app: 'web' }, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}\n' } },
    },
  },
  {
    name: '$setElementOrder alone reorders the live list and keeps server-only items in place',
    meta: deployMeta,
    original: deploy(['1', '2', '7', '9', '8', '3', '4'].map((n) => container(n))),
    patch: { spec: { template: { spec: { '$setElementOrder/containers': [{ name: '2' }, { name: '1' }, { name: '4' }, { name: '3' }] } } } },
    want: deploy(['2', '1', '7', '9', '8', '4', '3'].map((n) => container(n))),
  },
  {
    name: '$setElementOrder ignores names the list does not have',
    meta: deployMeta,
    original: deploy([container('a'), container('c')]),
    patch: { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'c' }, { name: 'b' }, { name: 'a' }] } } } },
    want: deploy([container('c'), container('a')]),
  },
  {
    name: 'an env var is deleted by name with $patch: delete',
    meta: deployMeta,
    original: deploy([container('web', { env: [{ name: 'X', value: '1' }, { name: 'Y', value: '2' }] })]),
    patch: { spec: { template: { spec: { containers: [{ name: 'web', env: [{ name: 'X', $patch: 'delete' }] }] } } } },
    want: deploy([container('web', { env: [{ name: 'Y', value: '2' }] })]),
  },
  {
    name: 'merge keys work three lists deep (container ports by containerPort)',
    meta: deployMeta,
    original: deploy([container('web', { ports: [{ containerPort: 80, protocol: 'TCP' }, { containerPort: 443, protocol: 'TCP' }] })]),
    patch: { spec: { template: { spec: { containers: [{ name: 'web', ports: [{ containerPort: 443, name: 'https' }] }] } } } },
    want: deploy([container('web', { ports: [{ containerPort: 80, protocol: 'TCP' }, { containerPort: 443, protocol: 'TCP', name: 'https' }] })]),
  },
  {
    name: 'volumeMounts merge by mountPath',
    meta: podMeta,
    original: { spec: { containers: [container('c', { volumeMounts: [{ mountPath: '/a', name: 'v1' }] })] } },
    patch: { spec: { containers: [{ name: 'c', volumeMounts: [{ mountPath: '/a', readOnly: true }] }] } },
    want: { spec: { containers: [container('c', { volumeMounts: [{ mountPath: '/a', name: 'v1', readOnly: true }] })] } },
  },
  {
    name: 'service ports merge by port',
    meta: svcMeta,
    original: { spec: { ports: [{ port: 80, targetPort: 8080 }, { port: 443 }] } },
    patch: { spec: { ports: [{ port: 80, targetPort: 9090 }] } },
    want: { spec: { ports: [{ port: 80, targetPort: 9090 }, { port: 443 }] } },
  },
  {
    name: 'lists without a merge strategy are replaced (tolerations)',
    meta: podMeta,
    original: { spec: { tolerations: [{ key: 'a' }, { key: 'b' }] } },
    patch: { spec: { tolerations: [{ key: 'c' }] } },
    want: { spec: { tolerations: [{ key: 'c' }] } },
  },
  {
    name: 'kubectl taint replaces the atomic taints list',
    meta: nodeMeta,
    original: { spec: { taints: [{ key: 'a', effect: 'NoSchedule' }] } },
    patch: { spec: { taints: [{ key: 'a', effect: 'NoSchedule' }, { key: 'b', value: 'x', effect: 'NoExecute' }] } },
    want: { spec: { taints: [{ key: 'a', effect: 'NoSchedule' }, { key: 'b', value: 'x', effect: 'NoExecute' }] } },
  },
  { name: 'cordon sets unschedulable', meta: nodeMeta, original: { spec: { podCIDR: 'x' } }, patch: { spec: { unschedulable: true } }, want: { spec: { podCIDR: 'x', unschedulable: true } } },
  { name: 'uncordon removes unschedulable', meta: nodeMeta, original: { spec: { unschedulable: true } }, patch: { spec: { unschedulable: null } }, want: { spec: {} } },
  { name: 'rollout pause sets paused', meta: deployMeta, original: { spec: { replicas: 1 } }, patch: { spec: { paused: true } }, want: { spec: { replicas: 1, paused: true } } },
  { name: 'rollout resume removes paused', meta: deployMeta, original: { spec: { paused: true } }, patch: { spec: { paused: null } }, want: { spec: {} } },
  {
    name: 'rollout restart adds a template annotation',
    meta: dsMeta,
    original: { spec: { template: { metadata: { labels: { a: 'b' } } } } },
    patch: { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-11-21T22:45:31Z' } } } } },
    want: { spec: { template: { metadata: { labels: { a: 'b' }, annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-11-21T22:45:31Z' } } } } },
  },
  {
    name: 'rollout undo of a DaemonSet replaces the template with $patch: replace',
    meta: dsMeta,
    original: { spec: { updateStrategy: { type: 'RollingUpdate' }, template: { metadata: { labels: { a: 'b' }, annotations: { x: 'y' } }, spec: { containers: [container('new'), container('extra')] } } } },
    patch: { spec: { template: { $patch: 'replace', metadata: { labels: { a: 'b' } }, spec: { containers: [container('old')] } } } },
    want: { spec: { updateStrategy: { type: 'RollingUpdate' }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [container('old')] } } } },
  },
  {
    name: '$retainKeys switches the strategy from RollingUpdate to Recreate',
    meta: deployMeta,
    original: { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } } } },
    patch: { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: null } } },
    want: { spec: { strategy: { type: 'Recreate' } } },
  },
  {
    name: '$retainKeys clears keys the patch does not mention',
    meta: deployMeta,
    original: { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } },
    patch: { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } },
    want: { spec: { strategy: { type: 'Recreate' } } },
  },
  {
    name: '$patch: delete on a map removes its contents',
    meta: deployMeta,
    original: { metadata: { labels: { a: '1' } } },
    patch: { metadata: { labels: { $patch: 'delete' } } },
    want: { metadata: { labels: {} } },
  },
  {
    name: '$patch: merge on a map merges as usual',
    meta: deployMeta,
    original: { metadata: { labels: { a: '1' } } },
    patch: { metadata: { labels: { $patch: 'merge', b: '2' } } },
    want: { metadata: { labels: { a: '1', b: '2' } } },
  },
  {
    name: '$patch: replace inside a list replaces the whole list',
    meta: deployMeta,
    original: deploy([container('a'), container('b')]),
    patch: { spec: { template: { spec: { containers: [container('c'), { $patch: 'replace' }] } } } },
    want: deploy([container('c')]),
  },
  {
    name: 'finalizers merge as a set',
    meta: podMeta,
    original: { metadata: { finalizers: ['a', 'b'] } },
    patch: { metadata: { finalizers: ['b', 'c'] } },
    want: { metadata: { finalizers: ['a', 'b', 'c'] } },
  },
  {
    name: '$deleteFromPrimitiveList removes values from a primitive merge list',
    meta: podMeta,
    original: { metadata: { finalizers: ['a', 'b', 'c'] } },
    patch: { metadata: { '$deleteFromPrimitiveList/finalizers': ['b', 'zz'] } },
    want: { metadata: { finalizers: ['a', 'c'] } },
  },
  {
    name: '$deleteFromPrimitiveList on a missing list adds nothing',
    meta: podMeta,
    original: { metadata: { name: 'p' } },
    patch: { metadata: { '$deleteFromPrimitiveList/finalizers': ['b'] } },
    want: { metadata: { name: 'p' } },
  },
  {
    name: 'ownerReferences merge by uid',
    meta: podMeta,
    original: { metadata: { ownerReferences: [{ uid: '1', name: 'a' }] } },
    patch: { metadata: { ownerReferences: [{ uid: '1', controller: true }] } },
    want: { metadata: { ownerReferences: [{ uid: '1', name: 'a', controller: true }] } },
  },
  {
    name: 'status conditions merge by type',
    meta: podMeta,
    original: { status: { conditions: [{ type: 'Ready', status: 'False' }, { type: 'Initialized', status: 'True' }] } },
    patch: { status: { conditions: [{ type: 'Ready', status: 'True' }] } },
    want: { status: { conditions: [{ type: 'Ready', status: 'True' }, { type: 'Initialized', status: 'True' }] } },
  },
  {
    name: 'node addresses merge by type',
    meta: nodeMeta,
    original: { status: { addresses: [{ type: 'InternalIP', address: '10.0.0.1' }] } },
    patch: { status: { addresses: [{ type: 'Hostname', address: 'n1' }] } },
    want: { status: { addresses: [{ type: 'Hostname', address: 'n1' }, { type: 'InternalIP', address: '10.0.0.1' }] } },
  },
  {
    name: 'unknown fields behave as a JSON merge patch',
    meta: deployMeta,
    original: { spec: { custom: { list: [1, 2], keep: true } } },
    patch: { spec: { custom: { list: [3] } } },
    want: { spec: { custom: { list: [3], keep: true } } },
  },
  {
    name: 'without metadata lists are replaced',
    meta: undefined,
    original: { spec: { containers: [container('a')] } },
    patch: { spec: { containers: [container('b')] } },
    want: { spec: { containers: [container('b')] } },
  },
  {
    name: 'directives in a value added from nothing are not stored',
    meta: deployMeta,
    original: { spec: {} },
    patch: { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: null } } },
    want: { spec: { strategy: { type: 'Recreate' } } },
  },
];

for (const c of cases) {
  test(`strategic merge: ${c.name}`, () => {
    const before = JSON.stringify([c.original, c.patch]);
    const once = strategicMergePatch(c.original, c.patch, c.meta);
    assert.deepEqual(once, c.want);
    assert.equal(JSON.stringify([c.original, c.patch]), before, 'inputs unchanged');
    assert.deepEqual(strategicMergePatch(once, c.patch, c.meta), once, 'applying the same patch twice gives the same result');
  });
}

const errors: { name: string; patch: unknown; match: RegExp }[] = [
  { name: 'a list item without its merge key is rejected', patch: { spec: { template: { spec: { containers: [{ image: 'x' }] } } } }, match: /does not contain declared merge key: name/ },
  { name: 'an unknown $patch value is rejected', patch: { metadata: { $patch: 'explode' } }, match: /unknown patch type: explode/ },
  { name: 'a $retainKeys that misses a patched key is rejected', patch: { spec: { strategy: { $retainKeys: ['type'], rollingUpdate: { maxSurge: 1 } } } }, match: /invalid patch format of retainKeys/ },
  { name: 'a $retainKeys that is not a list is rejected', patch: { spec: { strategy: { $retainKeys: 'type' } } }, match: /invalid patch format of retainKeys/ },
  {
    name: 'a patch list out of $setElementOrder order is rejected',
    patch: { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'a' }, { name: 'b' }], containers: [container('b'), container('a')] } } } },
    match: /doesn't match \$setElementOrder list/,
  },
  { name: 'a patch that is not an object is rejected', patch: [1], match: /cannot unmarshal array/ },
];

for (const c of errors) {
  test(`strategic merge: ${c.name} with 400 BadRequest`, () => {
    assert.throws(
      () => strategicMergePatch(deploy([container('a'), container('b')]), c.patch, deployMeta),
      (err: unknown) => err instanceof ApiError && err.code === 400 && c.match.test(err.message),
    );
  });
}
