import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyPatch, fieldMeta, patchMetaFor } from './index.js';
import { ApiError } from '../errors.js';

const now = '2026-11-21T22:51:08Z';
const ds = {
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name: 'agent', namespace: 'default' },
  spec: { template: { spec: { containers: [{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:1' }] } } },
};
const ctx = { apiVersion: 'apps/v1', kind: 'DaemonSet', now };

const ok: { name: string; type: string; body: string; check: (o: Record<string, unknown>) => void }[] = [
  {
    name: 'merge patch replaces the containers list',
    type: 'application/merge-patch+json',
    body: '{"spec":{"template":{"spec":{"containers":[{"name":"a","image":"a:2"}]}}}}',
    check: (o) => assert.equal(JSON.stringify(o['spec']), '{"template":{"spec":{"containers":[{"name":"a","image":"a:2"}]}}}'),
  },
  {
    name: 'strategic merge patch with a charset parameter merges by name',
    type: 'application/strategic-merge-patch+json; charset=utf-8',
    body: '{"spec":{"template":{"spec":{"containers":[{"name":"a","image":"a:2"}]}}}}',
    check: (o) => assert.equal(JSON.stringify(o['spec']), '{"template":{"spec":{"containers":[{"name":"a","image":"a:2"},{"name":"b","image":"b:1"}]}}}'),
  },
  {
    name: 'json patch replaces one image',
    type: 'application/json-patch+json',
    body: '[{"op":"replace","path":"/spec/template/spec/containers/1/image","value":"b:2"}]',
    check: (o) => assert.match(JSON.stringify(o), /"b:2"/),
  },
  {
    name: 'apply parses YAML and records the manager',
    type: 'application/apply-patch+yaml',
    body: 'apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: agent\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n        image: a:3\n',
    check: (o) => {
      assert.match(JSON.stringify(o), /"a:3"/);
      assert.equal(((o['metadata'] as Record<string, unknown>)['managedFields'] as unknown[]).length, 2);
    },
  },
];

for (const c of ok) {
  test(`applyPatch: ${c.name}`, () => {
    const r = applyPatch(c.type, structuredClone(ds), c.body, { ...ctx, manager: 'kubectl', live: { ...structuredClone(ds), metadata: { ...ds.metadata, managedFields: [{ manager: 'kubectl-create', operation: 'Update', apiVersion: 'apps/v1', time: now, fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"b"}': { '.': {}, 'f:image': {}, 'f:name': {} } } } } } } }] } } });
    c.check(r.object);
  });
}

test('applyPatch: apply on a missing object creates it', () => {
  const r = applyPatch('application/apply-patch+yaml', undefined, JSON.stringify(ds), { ...ctx, manager: 'kubectl', force: false });
  assert.equal(r.managedFields?.[0]?.operation, 'Apply');
  assert.equal((r.object['metadata'] as Record<string, unknown>)['name'], 'agent');
});

const bad: { name: string; type: string; body: string; kind?: string; code: number; match: RegExp }[] = [
  { name: 'an unknown content type is 415 worded as upstream', type: 'application/json', body: '{}', code: 415, match: /^the body of the request was in an unknown format - accepted media types include: application\/json-patch\+json, application\/merge-patch\+json, application\/strategic-merge-patch\+json, application\/apply-patch\+yaml$/ },
  { name: 'strategic merge patch on a kind without metadata is 415', type: 'application/strategic-merge-patch+json', body: '{}', kind: 'Widget', code: 415, match: /accepted media types include: application\/json-patch\+json, application\/merge-patch\+json, application\/apply-patch\+yaml$/ },
  { name: 'malformed JSON is 400', type: 'application/merge-patch+json', body: '{"spec":', code: 400, match: /error decoding patch/ },
  { name: 'malformed strategic JSON is 400', type: 'application/strategic-merge-patch+json', body: 'nope', code: 400, match: /error decoding patch/ },
  { name: 'malformed YAML is 400', type: 'application/apply-patch+yaml', body: 'a: [1', code: 400, match: /error decoding YAML/ },
  { name: 'a YAML list body is 400', type: 'application/apply-patch+yaml', body: '- a', code: 400, match: /error decoding YAML/ },
  { name: 'apply without a field manager is 400', type: 'application/apply-patch+yaml', body: '{"apiVersion":"apps/v1"}', code: 400, match: /fieldManager: Required value/ },
  { name: 'a merge patch that is not an object result is 400', type: 'application/merge-patch+json', body: '[1]', code: 400, match: /not a JSON object/ },
];

for (const c of bad) {
  test(`applyPatch: ${c.name}`, () => {
    assert.throws(
      () => applyPatch(c.type, structuredClone(ds), c.body, { ...ctx, kind: c.kind ?? 'DaemonSet' }),
      (err: unknown) => err instanceof ApiError && err.code === c.code && c.match.test(err.message),
    );
  });
}

const metaCases: { name: string; apiVersion: string; kind: string; path: string[]; field: string; want: unknown }[] = [
  { name: 'PodSpec containers merge by name', apiVersion: 'v1', kind: 'Pod', path: ['PodSpec'], field: 'containers', want: 'name' },
  { name: 'PodSpec volumes merge and retain keys', apiVersion: 'v1', kind: 'Pod', path: ['PodSpec'], field: 'volumes', want: 'merge,retainKeys' },
  { name: 'topology spread constraints are keyed by topologyKey and whenUnsatisfiable', apiVersion: 'v1', kind: 'Pod', path: ['PodSpec'], field: 'topologySpreadConstraints', want: ['topologyKey', 'whenUnsatisfiable'] },
  { name: 'DeploymentSpec strategy retains keys', apiVersion: 'apps/v1', kind: 'Deployment', path: ['DeploymentSpec'], field: 'strategy', want: 'retainKeys' },
  { name: 'node taints are atomic (no metadata)', apiVersion: 'v1', kind: 'Node', path: ['NodeSpec'], field: 'taints', want: undefined },
];

for (const c of metaCases) {
  test(`patch metadata: ${c.name}`, () => {
    const m = patchMetaFor(c.apiVersion, c.kind);
    assert.ok(m);
    const f = fieldMeta(m, c.path[0], c.field);
    const got = Array.isArray(c.want) ? f?.listMapKeys : typeof c.want === 'string' && c.want.includes('retainKeys') ? f?.patchStrategy : f?.patchMergeKey;
    assert.deepEqual(got, c.want);
  });
}

test('patch metadata: every built-in kind skiff serves has metadata and unknown kinds have none', () => {
  const kinds = [
    ['v1', 'Namespace'], ['v1', 'Node'], ['v1', 'Pod'], ['v1', 'Service'], ['v1', 'Endpoints'], ['v1', 'ConfigMap'], ['v1', 'Secret'],
    ['v1', 'ServiceAccount'], ['v1', 'Event'], ['apps/v1', 'DaemonSet'], ['apps/v1', 'Deployment'], ['apps/v1', 'ReplicaSet'],
    ['apps/v1', 'ControllerRevision'], ['discovery.k8s.io/v1', 'EndpointSlice'], ['coordination.k8s.io/v1', 'Lease'],
    ['events.k8s.io/v1', 'Event'], ['autoscaling/v1', 'Scale'],
  ];
  for (const [v, k] of kinds) {
    const m = patchMetaFor(v as string, k as string);
    assert.ok(m && m.types[m.root], `${v} ${k}`);
  }
  assert.equal(patchMetaFor('example.com/v1', 'Widget'), undefined);
});
