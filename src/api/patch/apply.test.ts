import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fieldsetOf, serverSideApply, updateManagedFields, type ManagedFieldsEntry } from './apply.js';
import { patchMetaFor } from './patch-meta.js';
import { ApiError } from '../errors.js';
import type { JsonObject } from './json.js';

const meta = patchMetaFor('apps/v1', 'Deployment');
const svcMeta = patchMetaFor('v1', 'Service');
const T0 = '2026-11-21T22:51:08Z';
const T1 = '2026-11-21T23:00:00Z';

const deploy = (spec: JsonObject, labels: JsonObject = { app: 'web' }): JsonObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default', labels },
  spec,
});
const tmpl = (containers: unknown[]) => ({ metadata: { labels: { app: 'web' } }, spec: { containers } });

test('fieldsetOf writes upstream fieldsV1 with list-map keys, key defaults and member markers', () => {
  const obj = deploy({
    replicas: 3,
    selector: { matchLabels: { app: 'web' } },
    template: tmpl([{ name: 'nginx', image: 'nginx', ports: [{ containerPort: 80 }], env: [{ name: 'A', value: '1' }] }]),
  });
  assert.deepEqual(fieldsetOf(obj, meta), {
    'f:apiVersion': {},
    'f:kind': {},
    'f:metadata': { 'f:labels': { 'f:app': {} }, 'f:name': {}, 'f:namespace': {} },
    'f:spec': {
      'f:replicas': {},
      'f:selector': {},
      'f:template': {
        'f:metadata': { 'f:labels': { 'f:app': {} } },
        'f:spec': {
          'f:containers': {
            'k:{"name":"nginx"}': {
              '.': {},
              'f:env': { 'k:{"name":"A"}': { '.': {}, 'f:name': {}, 'f:value': {} } },
              'f:image': {},
              'f:name': {},
              'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
            },
          },
        },
      },
    },
  });
});

test('fieldsetOf records set items as v: and service ports by port and protocol', () => {
  const svc = { metadata: { finalizers: ['a'] }, spec: { ports: [{ port: 80, protocol: 'UDP' }], selector: { app: 'x' } } };
  assert.deepEqual(fieldsetOf(svc, svcMeta), {
    'f:metadata': { 'f:finalizers': { 'v:"a"': {} } },
    'f:spec': { 'f:ports': { 'k:{"port":80,"protocol":"UDP"}': { '.': {}, 'f:port': {}, 'f:protocol': {} } }, 'f:selector': {} },
  });
});

test('apply creates an object owned by the applier', () => {
  const applied = deploy({ replicas: 2, template: tmpl([{ name: 'nginx', image: 'nginx:1.26' }]) });
  const r = serverSideApply(undefined, applied, { manager: 'kubectl', force: false, meta, now: T0 });
  assert.equal(r.managedFields.length, 1);
  const e = r.managedFields[0] as ManagedFieldsEntry;
  assert.deepEqual({ ...e, fieldsV1: undefined }, { manager: 'kubectl', operation: 'Apply', apiVersion: 'apps/v1', time: T0, fieldsType: 'FieldsV1', fieldsV1: undefined });
  assert.deepEqual(e.fieldsV1['f:spec'], {
    'f:replicas': {},
    'f:template': { 'f:metadata': { 'f:labels': { 'f:app': {} } }, 'f:spec': { 'f:containers': { 'k:{"name":"nginx"}': { '.': {}, 'f:image': {}, 'f:name': {} } } } },
  });
  assert.equal((r.object['spec'] as JsonObject)['replicas'], 2);
  assert.deepEqual((r.object['metadata'] as JsonObject)['managedFields'], r.managedFields);
});

test('applying again merges into the live object and keeps fields others set', () => {
  const first = serverSideApply(undefined, deploy({ replicas: 2, template: tmpl([{ name: 'nginx', image: 'nginx:1.26' }]) }), { manager: 'kubectl', force: false, meta, now: T0 });
  const live = structuredClone(first.object);
  ((live['spec'] as JsonObject)['template'] as JsonObject)['spec'] = { containers: [{ name: 'nginx', image: 'nginx:1.26', imagePullPolicy: 'Always' }] };
  const r = serverSideApply(live, deploy({ replicas: 2, template: tmpl([{ name: 'nginx', image: 'nginx:1.27' }]) }), { manager: 'kubectl', force: false, meta, now: T1 });
  const c = (((r.object['spec'] as JsonObject)['template'] as JsonObject)['spec'] as JsonObject)['containers'];
  assert.deepEqual(c, [{ name: 'nginx', image: 'nginx:1.27', imagePullPolicy: 'Always' }]);
});

test('applying without a field the applier owned removes it', () => {
  const first = serverSideApply(undefined, deploy({ replicas: 2, paused: true, template: tmpl([{ name: 'a', image: 'a' }, { name: 'b', image: 'b' }]) }), { manager: 'kubectl', force: false, meta, now: T0 });
  const r = serverSideApply(first.object, deploy({ replicas: 2, template: tmpl([{ name: 'a', image: 'a' }]) }), { manager: 'kubectl', force: false, meta, now: T1 });
  const spec = r.object['spec'] as JsonObject;
  assert.equal(spec['paused'], undefined);
  assert.deepEqual(((spec['template'] as JsonObject)['spec'] as JsonObject)['containers'], [{ name: 'a', image: 'a' }]);
});

test('a field the applier drops survives when another manager owns it too', () => {
  const first = serverSideApply(undefined, deploy({ replicas: 2, paused: true }), { manager: 'kubectl', force: false, meta, now: T0 });
  const second = serverSideApply(first.object, deploy({ paused: true }), { manager: 'other', force: false, meta, now: T0 });
  const r = serverSideApply(second.object, deploy({ replicas: 2 }), { manager: 'kubectl', force: false, meta, now: T1 });
  assert.equal((r.object['spec'] as JsonObject)['paused'], true);
  assert.deepEqual(r.managedFields.map((e) => e.manager), ['other', 'kubectl'], 'ordered by time as upstream');
});

test('applying the same value another manager set shares ownership without conflict', () => {
  const created = updateManagedFields(undefined, deploy({ replicas: 3 }), { manager: 'kubectl-client-side-apply', operation: 'Update', now: T0, meta });
  const live = { ...deploy({ replicas: 3 }), metadata: { ...(deploy({}).metadata as JsonObject), managedFields: created } };
  const r = serverSideApply(live, deploy({ replicas: 3 }), { manager: 'kubectl', force: false, meta, now: T1 });
  for (const e of r.managedFields) assert.deepEqual((e.fieldsV1['f:spec'] as JsonObject)['f:replicas'], {});
});

test('changing a field another manager owns is a 409 worded like upstream', () => {
  const created = updateManagedFields(undefined, { apiVersion: 'v1', kind: 'x', spec: { replicas: 3 } }, { manager: 'kubectl-client-side-apply', operation: 'Update', now: T0, meta });
  const live = { ...deploy({ replicas: 3 }), metadata: { ...(deploy({}).metadata as JsonObject), managedFields: created } };
  assert.throws(
    () => serverSideApply(live, deploy({ replicas: 5 }), { manager: 'kubectl', force: false, meta, now: T1 }),
    (err: unknown) =>
      err instanceof ApiError &&
      err.code === 409 &&
      err.reason === 'Conflict' &&
      err.message === 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: .spec.replicas' &&
      err.details?.causes?.[0]?.field === '.spec.replicas',
  );
});

test('several conflicts are listed per manager', () => {
  const mf = updateManagedFields(undefined, deploy({ replicas: 3, paused: true }), { manager: 'ctl', operation: 'Update', now: T0, meta });
  const live = { ...deploy({ replicas: 3, paused: true }), metadata: { ...(deploy({}).metadata as JsonObject), managedFields: mf } };
  assert.throws(
    () => serverSideApply(live, deploy({ replicas: 5, paused: false }), { manager: 'kubectl', force: false, meta, now: T1 }),
    (err: unknown) => err instanceof ApiError && err.message === 'Apply failed with 2 conflicts: conflicts with "ctl" using apps/v1:\n- .spec.paused\n- .spec.replicas',
  );
});

test('force takes the conflicting field from its previous owner', () => {
  const mf = updateManagedFields(undefined, deploy({ replicas: 3, paused: true }), { manager: 'ctl', operation: 'Update', now: T0, meta });
  const live = { ...deploy({ replicas: 3, paused: true }), metadata: { ...(deploy({}).metadata as JsonObject), managedFields: mf } };
  const r = serverSideApply(live, deploy({ replicas: 5 }), { manager: 'kubectl', force: true, meta, now: T1 });
  assert.equal((r.object['spec'] as JsonObject)['replicas'], 5);
  const ctl = r.managedFields.find((e) => e.manager === 'ctl') as ManagedFieldsEntry;
  assert.deepEqual(ctl.fieldsV1['f:spec'], { 'f:paused': {} });
  const kubectl = r.managedFields.find((e) => e.manager === 'kubectl') as ManagedFieldsEntry;
  assert.deepEqual(kubectl.fieldsV1['f:spec'], { 'f:replicas': {} });
});

test('applying to an object without managedFields conflicts with before-first-apply', () => {
  assert.throws(
    () => serverSideApply(deploy({ replicas: 1 }), deploy({ replicas: 2 }), { manager: 'kubectl', force: false, meta, now: T1 }),
    /conflict with "before-first-apply" using apps\/v1: \.spec\.replicas/,
  );
});

test('a list-map item without its key and without a default is 400', () => {
  assert.throws(
    () => serverSideApply(undefined, deploy({ template: tmpl([{ image: 'x' }]) }), { manager: 'kubectl', force: false, meta, now: T0 }),
    (err: unknown) => err instanceof ApiError && err.code === 400 && /omits key field "name"/.test(err.message),
  );
});

test('an update records the writer and takes changed fields from the previous owner', () => {
  const created = updateManagedFields(undefined, deploy({ replicas: 1, paused: true }), { manager: 'kubectl-create', operation: 'Update', now: T0, meta });
  assert.deepEqual(created[0]?.fieldsV1, {
    'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
    'f:spec': { 'f:paused': {}, 'f:replicas': {} },
  });
  const old = { ...deploy({ replicas: 1, paused: true }), metadata: { ...(deploy({}).metadata as JsonObject), managedFields: created } };
  const mf = updateManagedFields(old, deploy({ replicas: 4, paused: true }), { manager: 'kubectl-scale', operation: 'Update', subresource: 'scale', now: T1, meta });
  assert.deepEqual(
    mf.map((e) => [e.manager, e.time, e.subresource, e.fieldsV1['f:spec']]),
    [
      ['kubectl-create', T0, undefined, { 'f:paused': {} }],
      ['kubectl-scale', T1, 'scale', { 'f:replicas': {} }],
    ],
  );
});

test('an update that removes a field removes it from every manager', () => {
  const created = updateManagedFields(undefined, deploy({ paused: true }), { manager: 'a', operation: 'Update', now: T0, meta });
  const old = { ...deploy({ paused: true }), metadata: { ...(deploy({}).metadata as JsonObject), managedFields: created } };
  const mf = updateManagedFields(old, deploy({}), { manager: 'b', operation: 'Update', now: T1, meta });
  assert.deepEqual(mf.map((e) => e.manager), ['a']);
  assert.equal(mf[0]?.fieldsV1['f:spec'], undefined);
});
