import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { groupAlive, parseProcStat, readProcStat, rssByGroup, signalExitCode, signalGroup, waitGroupGone } from './process-tree.js';

const table: Array<[string, string, ReturnType<typeof parseProcStat>]> = [
  [
    'a plain line',
    '3666 (cat) R 3658 3658 31449 0 -1 4194304 96 0 0 0 0 0 0 0 20 0 1 0 1009832 3133440 359 18446744073709551615 0',
    { pid: 3666, ppid: 3658, pgid: 3658, state: 'R', startTicks: 1009832, rssPages: 359 },
  ],
  [
    'a command name with spaces and parentheses',
    '42 (my (weird) cmd) S 1 40 40 0 -1 4194560 10 0 0 0 0 0 0 0 20 0 1 0 777 1000 12 1844 0',
    { pid: 42, ppid: 1, pgid: 40, state: 'S', startTicks: 777, rssPages: 12 },
  ],
  ['garbage', 'nonsense', undefined],
];
for (const [name, line, want] of table) test(`parseProcStat: ${name}`, () => assert.deepEqual(parseProcStat(line), want));

test('exit codes of signals are 128 + the signal number', () => {
  assert.equal(signalExitCode('SIGKILL'), 137);
  assert.equal(signalExitCode('SIGTERM'), 143);
});

test('a detached child leads its own group; signalling the group ends every member', async () => {
  const child = spawn('sh', ['-c', 'sleep 30 & sleep 30 & wait'], { detached: true, stdio: 'ignore' });
  await new Promise((r) => child.once('spawn', r));
  const pgid = child.pid!;
  try {
    assert.equal(readProcStat(pgid)?.pgid, pgid);
    assert.ok(groupAlive(pgid), 'group alive');
    // Between fork and exec the child can report no resident pages of its own: wait for sh.
    let rss = 0;
    for (const end = Date.now() + 5_000; rss === 0 && Date.now() < end; await new Promise((r) => setTimeout(r, 10))) {
      rss = rssByGroup([readProcStat(pgid)!], new Set([pgid])).get(pgid) ?? 0;
    }
    assert.ok(rss > 0, 'rss of the group, within 5 s');
    assert.ok(signalGroup(pgid, 'SIGKILL'), 'signal');
    assert.equal(await waitGroupGone(pgid, 5_000), true);
    assert.equal(groupAlive(pgid), false);
  } finally {
    signalGroup(pgid, 'SIGKILL');
  }
});
