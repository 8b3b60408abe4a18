import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProcStat } from './process-tree.js';
import { ownerAlive, readRecords, removeRecord, shouldReap, writeRecord, type ProcessRecord, type RuntimeOwner } from './process-record.js';

const self: RuntimeOwner = { pid: 100, startTicks: 5, id: 'me' };
const stat = (alive: Record<number, number>) => (pid: number): ProcStat | undefined =>
  alive[pid] === undefined ? undefined : { pid, ppid: 1, pgid: pid, state: 'S', startTicks: alive[pid]!, rssPages: 0 };
const rec = (owner: RuntimeOwner): ProcessRecord => ({ kind: 'container', podUID: 'u', container: 'c', pid: 500, startTicks: 9, owner });

const table: Array<[string, RuntimeOwner, boolean, Record<number, number>, boolean]> = [
  ['our own group is never reaped', self, true, { 100: 5 }, false],
  ['owner process gone', { pid: 200, startTicks: 7, id: 'old' }, false, { 100: 5 }, true],
  ['owner pid reused by another process', { pid: 200, startTicks: 7, id: 'old' }, false, { 200: 99 }, true],
  ['owner alive elsewhere: left alone', { pid: 200, startTicks: 7, id: 'other' }, false, { 200: 7 }, false],
  ['owner alive but we take the pod over', { pid: 200, startTicks: 7, id: 'other' }, true, { 200: 7 }, true],
  ['another runtime instance in our own process, taking over', { pid: 100, startTicks: 5, id: 'sibling' }, true, { 100: 5 }, true],
];
for (const [name, owner, takeover, alive, want] of table) {
  test(`shouldReap: ${name}`, () => assert.equal(shouldReap(rec(owner), self, takeover, stat(alive)), want));
}

test('ownerAlive compares the start time', () => {
  assert.equal(ownerAlive(self, stat({ 100: 5 })), true);
  assert.equal(ownerAlive(self, stat({ 100: 6 })), false);
});

test('records round-trip through the pod directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-rec-'));
  try {
    const r = rec(self);
    writeRecord(dir, r);
    writeRecord(dir, { ...r, kind: 'exec', pid: 777 });
    assert.deepEqual(readRecords(dir).map((x) => x.rec.pid).sort(), [500, 777]);
    removeRecord(dir, r);
    assert.deepEqual(readRecords(dir).map((x) => x.rec.pid), [777]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
