import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostnameOf, hostPathFor, memoryLimit, shouldRestart, terminatedReason, type RestartPolicy } from './process-container.js';

const restarts: Array<[RestartPolicy, number, boolean]> = [
  ['Always', 0, true],
  ['Always', 1, true],
  ['OnFailure', 0, false],
  ['OnFailure', 2, true],
  ['Never', 0, false],
  ['Never', 137, false],
];
for (const [policy, code, want] of restarts) test(`shouldRestart(${policy}, ${code}) = ${want}`, () => assert.equal(shouldRestart(policy, code), want));

const reasons: Array<[number, boolean, string]> = [
  [0, false, 'Completed'],
  [1, false, 'Error'],
  [143, false, 'Error'],
  [137, true, 'OOMKilled'],
];
for (const [code, oom, want] of reasons) test(`terminatedReason(${code}, oom=${oom}) = ${want}`, () => assert.equal(terminatedReason(code, oom), want));

const mounts = [
  { source: '/pods/u/volumes/data', target: '/data', readOnly: false },
  { source: '/pods/u/volumes/deep', target: '/data/deep/', readOnly: true },
];
const paths: Array<[string, string]> = [
  ['/data', '/pods/u/volumes/data'],
  ['/data/sub/dir', '/pods/u/volumes/data/sub/dir'],
  ['/data/deep/x', '/pods/u/volumes/deep/x'],
  ['/database', '/database'],
  ['/tmp', '/tmp'],
];
for (const [p, want] of paths) test(`hostPathFor(${p}) = ${want}`, () => assert.equal(hostPathFor(p, mounts), want));

const limits: Array<[string | undefined, number | undefined]> = [
  [undefined, undefined],
  ['128Mi', 128 * 1024 * 1024],
  ['1G', 1e9],
  ['0', undefined],
  ['garbage', undefined],
];
for (const [q, want] of limits) {
  test(`memoryLimit(${q}) = ${want}`, () => assert.equal(memoryLimit({ name: 'c', ...(q ? { resources: { limits: { memory: q } } } : {}) }), want));
}

test('HOSTNAME is spec.hostname, else the pod name, at most 63 characters', () => {
  assert.equal(hostnameOf({ metadata: { name: 'web-0' }, spec: { containers: [], hostname: 'custom' } }), 'custom');
  assert.equal(hostnameOf({ metadata: { name: 'web-0' } }), 'web-0');
  assert.equal(hostnameOf({ metadata: { name: 'x'.repeat(70) } }).length, 63);
});
