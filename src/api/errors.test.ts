import { test } from 'node:test';
import assert from 'node:assert/strict';
import { invalid, field, notFound, conflict } from './errors.js';

test('invalid() words a single cause like kube-apiserver', () => {
  const e = invalid('Service', 'x', [field.invalid('spec.ports[0].nodePort', 40000, 'provided port is not in the valid range. The range of valid ports is 30000-32767')]);
  assert.equal(e.message, 'Service "x" is invalid: spec.ports[0].nodePort: Invalid value: 40000: provided port is not in the valid range. The range of valid ports is 30000-32767');
  assert.equal(e.code, 422);
  assert.equal(e.toStatus().details?.causes?.[0]?.field, 'spec.ports[0].nodePort');
});

test('invalid() joins several causes in brackets', () => {
  const e = invalid('Service', 'x', [field.required('spec.ports'), field.notSupported('spec.type', 'Foo', ['ClusterIP', 'NodePort'])]);
  assert.equal(e.message, 'Service "x" is invalid: [spec.ports: Required value, spec.type: Unsupported value: "Foo": supported values: "ClusterIP", "NodePort"]');
});

test('notFound and conflict name the qualified resource', () => {
  assert.equal(notFound('apps', 'deployments', 'web').message, 'deployments.apps "web" not found');
  assert.equal(notFound('', 'services', 'nope').toStatus().code, 404);
  assert.match(conflict('', 'services', 'web').message, /^Operation cannot be fulfilled on services "web": the object has been modified/);
});
