import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonMergePatch } from './merge-patch.js';
import { jsonPatch } from './json-patch.js';
import { ApiError } from '../errors.js';

const mergeCases: { name: string; target: unknown; patch: unknown; want: unknown }[] = [
  { name: 'a new key is added', target: { a: 'b' }, patch: { a: 'c' }, want: { a: 'c' } },
  { name: 'null removes a key', target: { a: 'b', b: 'c' }, patch: { a: null }, want: { b: 'c' } },
  { name: 'arrays are replaced whole', target: { a: [1, 2] }, patch: { a: [3] }, want: { a: [3] } },
  { name: 'nested maps merge', target: { a: { b: 1, c: 2 } }, patch: { a: { c: null, d: 3 } }, want: { a: { b: 1, d: 3 } } },
  { name: 'a non-object patch replaces the target', target: { a: 1 }, patch: ['x'], want: ['x'] },
  { name: 'an object patch on a scalar starts from an empty object', target: 'x', patch: { a: { b: null } }, want: { a: {} } },
  { name: 'kubectl label adds one label', target: { metadata: { labels: { app: 'db' } } }, patch: { metadata: { labels: { env: 'prod' } } }, want: { metadata: { labels: { app: 'db', env: 'prod' } } } },
];

for (const c of mergeCases) {
  test(`merge patch: ${c.name}`, () => {
    const before = JSON.stringify(c.target);
    assert.deepEqual(jsonMergePatch(c.target, c.patch), c.want);
    assert.equal(JSON.stringify(c.target), before, 'target unchanged');
    assert.deepEqual(jsonMergePatch(c.target, c.patch, true), c.want, 'sharing gives the same result');
    assert.equal(JSON.stringify(c.target), before, 'target unchanged when shared');
  });
}

test('merge patch with share: what the patch leaves alone is the target\'s own', () => {
  const target = { metadata: { name: 'p', labels: { a: '1' } }, spec: { containers: [{ name: 'c' }] }, status: { phase: 'Pending', conditions: [{ type: 'PodScheduled' }] } };
  const out = jsonMergePatch(target, { status: { phase: 'Running' } }, true) as typeof target;
  assert.equal(out.spec, target.spec);
  assert.equal(out.metadata, target.metadata);
  assert.equal(out.status.conditions, target.status.conditions);
  assert.notEqual(out.status, target.status);
  assert.equal(target.status.phase, 'Pending');
  const copied = jsonMergePatch(target, { status: { phase: 'Running' } }) as typeof target;
  assert.notEqual(copied.spec, target.spec);
});

const doc = { metadata: { name: 'web', annotations: { a: '1' } }, spec: { replicas: 3, list: ['x', 'y'] } };

const okCases: { name: string; ops: unknown; want: unknown }[] = [
  { name: 'replace sets a value', ops: [{ op: 'replace', path: '/spec/replicas', value: 5 }], want: { ...doc, spec: { replicas: 5, list: ['x', 'y'] } } },
  { name: 'add appends with -', ops: [{ op: 'add', path: '/spec/list/-', value: 'z' }], want: { ...doc, spec: { replicas: 3, list: ['x', 'y', 'z'] } } },
  { name: 'remove deletes an array item', ops: [{ op: 'remove', path: '/spec/list/0' }], want: { ...doc, spec: { replicas: 3, list: ['y'] } } },
  { name: 'a passing test changes nothing', ops: [{ op: 'test', path: '/spec/replicas', value: 3 }], want: doc },
  {
    name: 'rollout undo replaces the annotations map',
    ops: [{ op: 'replace', path: '/metadata/annotations', value: { b: '2' } }],
    want: { ...doc, metadata: { name: 'web', annotations: { b: '2' } } },
  },
];

for (const c of okCases) {
  test(`json patch: ${c.name}`, () => {
    const before = JSON.stringify(doc);
    assert.deepEqual(jsonPatch(doc, c.ops), c.want);
    assert.equal(JSON.stringify(doc), before, 'input unchanged');
  });
}

const badCases: { name: string; ops: unknown; code: number; match: RegExp }[] = [
  { name: 'a failed test is 422 Invalid', ops: [{ op: 'test', path: '/spec/replicas', value: 4 }], code: 422, match: /json patch operation 0 \(test\) failed at \/spec\/replicas: test failed/ },
  { name: 'replace of a missing path is 422', ops: [{ op: 'replace', path: '/spec/nope/x', value: 1 }], code: 422, match: /path does not exist/ },
  { name: 'an object instead of an array is 400', ops: { op: 'add' }, code: 400, match: /cannot unmarshal object into Go value of type jsonpatch.Patch/ },
  { name: 'an unknown op is 400', ops: [{ op: 'frob', path: '/a' }], code: 400, match: /Unexpected kind: frob/ },
  { name: 'a missing value is 400', ops: [{ op: 'add', path: '/a' }], code: 400, match: /missing "value"/ },
  { name: 'a path without a leading slash is 400', ops: [{ op: 'remove', path: 'spec' }], code: 400, match: /must start with "\/"/ },
  { name: 'a non-object operation is 400', ops: ['x'], code: 400, match: /is not an object/ },
];

for (const c of badCases) {
  test(`json patch: ${c.name}`, () => {
    assert.throws(() => jsonPatch(doc, c.ops), (err: unknown) => err instanceof ApiError && err.code === c.code && c.match.test(err.message));
  });
}
