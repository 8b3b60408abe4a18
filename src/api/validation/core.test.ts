import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults } from '../defaults/index.js';
import { isDNS1123Label, isQualifiedName, isValidLabelValue, renderFieldError, validateCreate, validateUpdate } from './index.js';

const msgs = (apiVersion: string, kind: string, o: unknown): string[] => validateCreate(apiVersion, kind, o).map(renderFieldError);

test('a DNS-1123 label with dots says so instead of quoting the regex', () => {
  assert.deepEqual(isDNS1123Label('a.b'), ['must not contain dots']);
});

test('a label value with a space gets the upstream regex message', () => {
  assert.deepEqual(isValidLabelValue('a b'), [
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
  ]);
});

test('a qualified name with an empty prefix reports the prefix part', () => {
  assert.deepEqual(isQualifiedName('/x'), ['prefix part must be non-empty']);
});

test('a Pod without containers needs them', () => {
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' }, spec: { containers: [] } };
  applyDefaults('v1', 'Pod', pod);
  assert.deepEqual(msgs('v1', 'Pod', pod), ['spec.containers: Required value']);
});

test('container names must be unique labels and images are required', () => {
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' }, spec: { containers: [{ name: 'a', image: 'x' }, { name: 'a' }, { name: 'B_', image: 'y' }] } };
  applyDefaults('v1', 'Pod', pod);
  const m = msgs('v1', 'Pod', pod);
  assert.ok(m.includes('spec.containers[1].name: Duplicate value: "a"'));
  assert.ok(m.includes('spec.containers[1].image: Required value'));
  assert.ok(m.some((x) => x.startsWith('spec.containers[2].name: Invalid value: "B_": a lowercase RFC 1123 label')));
});

test('a container port of 0 is required and a bad restartPolicy is unsupported', () => {
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' }, spec: { restartPolicy: 'Sometimes', containers: [{ name: 'a', image: 'x', ports: [{ containerPort: 0 }] }] } };
  applyDefaults('v1', 'Pod', pod);
  assert.deepEqual(msgs('v1', 'Pod', pod), [
    'spec.containers[0].ports[0].containerPort: Required value',
    'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
  ]);
});

test('a Namespace name must be a DNS-1123 label', () => {
  const m = msgs('v1', 'Namespace', { metadata: { name: 'a.b' } });
  assert.deepEqual(m, ['metadata.name: Invalid value: "a.b": must not contain dots']);
});

test('a cluster-scoped Node may not carry a namespace', () => {
  assert.deepEqual(msgs('v1', 'Node', { metadata: { name: 'n', namespace: 'x' } }), ['metadata.namespace: Forbidden: not allowed on this type']);
});

test('a Node taint without effect is required', () => {
  assert.deepEqual(msgs('v1', 'Node', { metadata: { name: 'n' }, spec: { taints: [{ key: 'gpu' }] } }), ['spec.taints[0].effect: Required value']);
});

test('ConfigMap keys follow the config-key rule', () => {
  const m = msgs('v1', 'ConfigMap', { metadata: { name: 'c', namespace: 'ns' }, data: { 'a b': 'x' } });
  assert.deepEqual(m, ["data[a b]: Invalid value: \"a b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"]);
});

test('a Secret type may not change', () => {
  const old = { metadata: { name: 's', namespace: 'ns' }, type: 'Opaque' };
  const next = { metadata: { name: 's', namespace: 'ns' }, type: 'kubernetes.io/tls', data: { 'tls.crt': '', 'tls.key': '' } };
  assert.deepEqual(validateUpdate('v1', 'Secret', next, old).map(renderFieldError), ['type: Invalid value: "kubernetes.io/tls": field is immutable']);
});

test('Endpoints on loopback addresses are accepted (skiff pods live on 127/8)', () => {
  const ep = { metadata: { name: 'e', namespace: 'ns' }, subsets: [{ addresses: [{ ip: '127.128.0.5' }], ports: [{ port: 80 }] }] };
  applyDefaults('v1', 'Endpoints', ep);
  assert.deepEqual(msgs('v1', 'Endpoints', ep), []);
});

test('an EndpointSlice needs a supported addressType and valid addresses', () => {
  const es = { metadata: { name: 'e', namespace: 'ns' }, addressType: 'IPv4', endpoints: [{ addresses: ['nope'] }], ports: [{ port: 80 }] };
  applyDefaults('discovery.k8s.io/v1', 'EndpointSlice', es);
  assert.deepEqual(msgs('discovery.k8s.io/v1', 'EndpointSlice', es), ['endpoints[0].addresses[0]: Invalid value: "nope": must be a valid IPv4 address']);
  assert.deepEqual(msgs('discovery.k8s.io/v1', 'EndpointSlice', { ...es, addressType: 'IPX', endpoints: [] }), ['addressType: Unsupported value: "IPX": supported values: "FQDN", "IPv4", "IPv6"']);
});

test('a Lease with a zero duration is invalid', () => {
  assert.deepEqual(msgs('coordination.k8s.io/v1', 'Lease', { metadata: { name: 'n', namespace: 'kube-node-lease' }, spec: { leaseDurationSeconds: 0 } }), [
    'spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0',
  ]);
});

test('a missing name asks for name or generateName', () => {
  assert.deepEqual(msgs('v1', 'ConfigMap', { metadata: { namespace: 'ns' } }), ['metadata.name: Required value: name or generateName is required']);
});

test('renaming an object is immutable', () => {
  const m = validateUpdate('v1', 'ConfigMap', { metadata: { name: 'b', namespace: 'ns' } }, { metadata: { name: 'a', namespace: 'ns' } }).map(renderFieldError);
  assert.deepEqual(m, ['metadata.name: Invalid value: "b": field is immutable']);
});
