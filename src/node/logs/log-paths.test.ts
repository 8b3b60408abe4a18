import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerLogFile, containerLogLink, logInstances, pickLogInstance } from './log-paths.js';

const pod = { namespace: 'default', name: 'web', uid: 'u-1' };

test('paths follow the kubelet layout under the node root', () => {
  assert.equal(containerLogFile('/d/nodes/node-1', pod, 'app', 2), '/d/nodes/node-1/var/log/pods/default_web_u-1/app/2.log');
  assert.equal(containerLogLink('/d/nodes/node-1', pod, 'app', 'abc'), '/d/nodes/node-1/var/log/containers/web_default_app-abc.log');
});

const picks: Array<[number[], boolean, number | undefined]> = [
  [[], false, undefined],
  [[0], false, 0],
  [[0], true, undefined],
  [[2, 0, 1], false, 2],
  [[2, 0, 1], true, 1],
  [[1, 10, 9], false, 10],
];
for (const [instances, previous, want] of picks) {
  test(`pickLogInstance(${JSON.stringify(instances)}, ${previous}) = ${want}`, () => assert.equal(pickLogInstance(instances, previous), want));
}

test('logInstances lists numbered log files only', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-logs-'));
  try {
    assert.deepEqual(logInstances(join(dir, 'missing')), []);
    mkdirSync(join(dir, 'c'));
    for (const f of ['0.log', '1.log', 'x.log', '2.log.tmp']) writeFileSync(join(dir, 'c', f), '');
    assert.deepEqual(logInstances(join(dir, 'c')).sort(), [0, 1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
