import { test } from 'node:test';
import assert from 'node:assert/strict';
import { componentSchemas, reachableSchemas, resolveRef, schemaBuildStats, schemaName } from './schemas.js';

const core = (k: string) => `io.k8s.api.core.v1.${k}`;
const meta = (k: string) => `io.k8s.apimachinery.pkg.apis.meta.v1.${k}`;

test('the schemas build once from kubernetes-types', () => {
  const stats = schemaBuildStats();
  assert.ok(stats.schemas > 150, `only ${stats.schemas} schemas`);
  assert.ok(stats.modules.includes('core/v1') && stats.modules.includes('meta/v1'));
  assert.equal(componentSchemas(), componentSchemas());
});

test('every served kind, its list and subresource kinds have a schema', () => {
  const all = componentSchemas();
  for (const name of [core('Service'), core('ServiceList'), core('Pod'), core('Binding'), 'io.k8s.api.apps.v1.DaemonSet', 'io.k8s.api.apps.v1.DeploymentList',
    'io.k8s.api.discovery.v1.EndpointSlice', 'io.k8s.api.coordination.v1.Lease', 'io.k8s.api.events.v1.Event',
    'io.k8s.api.autoscaling.v1.Scale', 'io.k8s.api.policy.v1.Eviction', meta('Status'), meta('DeleteOptions'), meta('WatchEvent'), meta('Patch')]) {
    assert.ok(all.has(name), name);
  }
});

test('top-level kinds carry their group-version-kind', () => {
  assert.deepEqual(componentSchemas().get(core('Service'))!['x-kubernetes-group-version-kind'], [{ group: '', kind: 'Service', version: 'v1' }]);
  assert.deepEqual(componentSchemas().get('io.k8s.api.apps.v1.DaemonSet')!['x-kubernetes-group-version-kind'], [{ group: 'apps', kind: 'DaemonSet', version: 'v1' }]);
  assert.equal(componentSchemas().get(core('ServiceSpec'))!['x-kubernetes-group-version-kind'], undefined);
  const del = componentSchemas().get(meta('DeleteOptions'))!['x-kubernetes-group-version-kind'] as unknown[];
  assert.ok(del.length >= 5);
});

test('properties have types, descriptions, formats and required lists like upstream', () => {
  const port = componentSchemas().get(core('ServicePort'))!;
  assert.deepEqual(port.required, ['port']);
  assert.equal(port.properties!.port!.type, 'integer');
  assert.equal(port.properties!.port!.format, 'int32');
  assert.match(port.properties!.port!.description!, /The port that will be exposed by this service/);
  assert.deepEqual(port.properties!.targetPort!.allOf, [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString' }]);
  const meta_ = componentSchemas().get(meta('ObjectMeta'))!;
  assert.equal(meta_.properties!.generation!.format, 'int64');
  assert.deepEqual(meta_.properties!.labels, { type: 'object', additionalProperties: { type: 'string' }, description: meta_.properties!.labels!.description });
  assert.equal(componentSchemas().get(meta('Time'))!.format, 'date-time');
  const limits = componentSchemas().get(core('ResourceRequirements'))!.properties!.limits!;
  assert.deepEqual(limits.additionalProperties, { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity' });
  assert.deepEqual(componentSchemas().get('io.k8s.apimachinery.pkg.util.intstr.IntOrString')!.oneOf, [{ type: 'integer' }, { type: 'string' }]);
});

test('arrays of objects wrap the item reference in allOf', () => {
  const ports = componentSchemas().get(core('ServiceSpec'))!.properties!.ports!;
  assert.equal(ports.type, 'array');
  assert.deepEqual(ports.items, { allOf: [{ $ref: '#/components/schemas/io.k8s.api.core.v1.ServicePort' }] });
});

test('multi-line JSDoc becomes a multi-line description without the stars', () => {
  const q = componentSchemas().get('io.k8s.apimachinery.pkg.api.resource.Quantity')!;
  assert.match(q.description!, /^Quantity is a fixed-point representation of a number\./);
  assert.match(q.description!, /\n\nThe serialization format is:\n/);
  assert.doesNotMatch(q.description!, /\n \*/);
});

test('patch strategies and list types come from the table', () => {
  const containers = componentSchemas().get(core('PodSpec'))!.properties!.containers!;
  assert.equal(containers['x-kubernetes-patch-merge-key'], 'name');
  assert.equal(containers['x-kubernetes-patch-strategy'], 'merge');
  const ports = componentSchemas().get(core('ServiceSpec'))!.properties!.ports!;
  assert.deepEqual(ports['x-kubernetes-list-map-keys'], ['port', 'protocol']);
  assert.equal(ports['x-kubernetes-list-type'], 'map');
  assert.equal(componentSchemas().get('io.k8s.api.apps.v1.DeploymentSpec')!.properties!.strategy!['x-kubernetes-patch-strategy'], 'retainKeys');
});

test('reachableSchemas follows $refs transitively and resolveRef finds them', () => {
  const names = reachableSchemas([core('Service')]);
  for (const n of [core('Service'), core('ServiceSpec'), core('ServicePort'), meta('ObjectMeta'), meta('ManagedFieldsEntry'), 'io.k8s.apimachinery.pkg.util.intstr.IntOrString']) {
    assert.ok(names.includes(n), n);
  }
  assert.ok(!names.includes(core('Pod')));
  assert.equal(resolveRef('#/components/schemas/' + core('Service')), componentSchemas().get(core('Service')));
  assert.equal(schemaName('events.k8s.io', 'v1', 'Event'), 'io.k8s.api.events.v1.Event');
});
