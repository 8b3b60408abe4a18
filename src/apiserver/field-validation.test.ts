import { test } from 'node:test';
import assert from 'node:assert/strict';
import { removePath } from './field-validation.js';

test('removePath deletes nested fields and list items fields, and ignores missing paths', () => {
  const o = { spec: { foo: 1, template: { spec: { containers: [{ name: 'a', bar: 2 }] } } } };
  removePath(o, 'spec.foo');
  removePath(o, 'spec.template.spec.containers[0].bar');
  removePath(o, 'spec.nope.deeper');
  assert.deepEqual(o, { spec: { template: { spec: { containers: [{ name: 'a' }] } } } });
});
