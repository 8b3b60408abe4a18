import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RESOURCES, groupVersions } from '../../api/resources.js';
import { gvPath, openapiSchemaFor, openapiV3Document, openapiV3Response, openapiV3Root } from './documents.js';

interface Op {
  operationId: string;
  parameters?: Array<{ name: string; in: string }>;
  'x-kubernetes-action'?: string;
  'x-kubernetes-group-version-kind'?: { group: string; version: string; kind: string };
}
type Doc = { openapi: string; info: object; paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, unknown> } };
const doc = (path: string): Doc => JSON.parse(openapiV3Document(path)!.body) as Doc;
const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;

test('the root lists every served group-version with a hash-pinned URL', () => {
  const root = openapiV3Root();
  assert.deepEqual(Object.keys(root.paths).sort(), groupVersions().map((g) => gvPath(g.group, g.version)).sort());
  assert.ok('api/v1' in root.paths && 'apis/apps/v1' in root.paths);
  for (const [key, { serverRelativeURL }] of Object.entries(root.paths)) {
    assert.equal(serverRelativeURL, `/openapi/v3/${key}?hash=${openapiV3Document(key)!.hash}`);
    assert.match(serverRelativeURL, /\?hash=[0-9A-F]{128}$/);
  }
  assert.deepEqual(openapiV3Root(), root, 'hashes are stable');
});

test('unknown group-versions have no document', () => {
  assert.equal(openapiV3Document('apis/batch/v1'), undefined);
  assert.equal(openapiV3Response('/openapi/v2'), undefined);
  assert.equal(openapiV3Response('/openapi/v3/apis/nope/v1'), undefined);
});

test('every resource has collection and item paths with GVK-tagged operations', () => {
  for (const r of RESOURCES) {
    const d = doc(gvPath(r.group, r.version));
    assert.equal(d.openapi, '3.0.0');
    const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
    const scope = r.namespaced ? '/namespaces/{namespace}' : '';
    const item = d.paths[`${base}${scope}/${r.resource}/{name}`] as Record<string, Op>;
    const coll = d.paths[`${base}${scope}/${r.resource}`] as Record<string, Op>;
    assert.ok(item && coll, `${r.resource} paths`);
    assert.deepEqual(item.patch!['x-kubernetes-group-version-kind'], { group: r.group, version: r.version, kind: r.kind });
    assert.equal(item.patch!['x-kubernetes-action'], 'patch');
    assert.equal(coll.get!['x-kubernetes-action'], 'list');
    if (r.namespaced) assert.ok(d.paths[`${base}/${r.resource}`], `${r.resource} for all namespaces`);
    for (const s of r.subresources) assert.ok(d.paths[`${base}${scope}/${r.resource}/{name}/${s.name}`], `${r.resource}/${s.name}`);
  }
});

test('every write operation takes fieldValidation; patch also dryRun, fieldManager and force', () => {
  for (const key of Object.keys(openapiV3Root().paths)) {
    for (const [path, item] of Object.entries(doc(key).paths)) {
      for (const m of METHODS) {
        const o = item[m] as Op | undefined;
        if (!o) continue;
        const names = (o.parameters ?? []).map((p) => p.name);
        if (m === 'patch') for (const n of ['dryRun', 'fieldManager', 'fieldValidation', 'force']) assert.ok(names.includes(n), `${n} on PATCH ${path}`);
        if ((m === 'put' || m === 'post') && o['x-kubernetes-action'] !== 'connect') assert.ok(names.includes('fieldValidation'), `fieldValidation on ${m} ${path}`);
        if (path.endsWith('/')) continue;
        assert.ok(o['x-kubernetes-group-version-kind'], `GVK on ${m} ${path}`);
      }
    }
  }
});

test('subresources carry the GVK of what they return', () => {
  const apps = doc('apis/apps/v1');
  const scale = apps.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale']!.patch as Op;
  assert.deepEqual(scale['x-kubernetes-group-version-kind'], { group: 'autoscaling', version: 'v1', kind: 'Scale' });
  const core = doc('api/v1');
  const eviction = core.paths['/api/v1/namespaces/{namespace}/pods/{name}/eviction']!.post as Op;
  assert.deepEqual(eviction['x-kubernetes-group-version-kind'], { group: 'policy', version: 'v1', kind: 'Eviction' });
  assert.equal(eviction.operationId, 'createCoreV1NamespacedPodEviction');
  assert.equal((core.paths['/api/v1/nodes/{name}']!.get as Op).operationId, 'readCoreV1Node');
  assert.equal((core.paths['/api/v1/services']!.get as Op).operationId, 'listCoreV1ServiceForAllNamespaces');
});

test('a document carries every schema its $refs reach, meta types included', () => {
  for (const key of Object.keys(openapiV3Root().paths)) {
    const body = openapiV3Document(key)!.body;
    const schemas = doc(key).components.schemas;
    for (const m of body.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)) assert.ok(schemas[m[1]!], `${key}: ${m[1]}`);
    for (const n of ['DeleteOptions', 'Status', 'Patch', 'WatchEvent', 'ObjectMeta']) assert.ok(schemas[`io.k8s.apimachinery.pkg.apis.meta.v1.${n}`], `${key}: ${n}`);
  }
  const apps = doc('apis/apps/v1').components.schemas;
  assert.ok(apps['io.k8s.api.core.v1.PodTemplateSpec'] && apps['io.k8s.api.autoscaling.v1.Scale']);
  assert.ok(!apps['io.k8s.api.core.v1.Service'], 'only what the GV needs');
});

test('openapiV3Response serves the root and documents with cache headers', () => {
  const root = openapiV3Response('/openapi/v3')!;
  assert.equal(root.status, 200);
  const url = new URL(`http://x${(JSON.parse(root.body) as { paths: Record<string, { serverRelativeURL: string }> }).paths['api/v1']!.serverRelativeURL}`);
  const pinned = openapiV3Response(url.pathname, url.search)!;
  assert.equal(pinned.headers['Cache-Control'], 'public, immutable');
  assert.equal(pinned.body, openapiV3Document('api/v1')!.body);
  assert.equal(openapiV3Response('/openapi/v3/api/v1')!.headers['Cache-Control'], 'no-cache, private');
});

test('openapiSchemaFor finds a kind by apiVersion', () => {
  assert.deepEqual(openapiSchemaFor('apps/v1', 'DaemonSet')!['x-kubernetes-group-version-kind'], [{ group: 'apps', kind: 'DaemonSet', version: 'v1' }]);
  assert.ok(openapiSchemaFor('v1', 'Service')!.properties!.spec);
  assert.equal(openapiSchemaFor('v1', 'Nope'), undefined);
});
