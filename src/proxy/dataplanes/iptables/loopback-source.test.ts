import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoopbackSource, loopbackSourceAddresses } from './loopback-source.js';
import type { CommandResult } from './run-command.js';

test('loopbackSourceAddresses keeps 127/8 IPv4 node addresses other than 127.0.0.1, once', () => {
  const cases: Array<[string[], string[]]> = [
    [[], []],
    [['127.0.1.1', '127.0.1.2'], ['127.0.1.1', '127.0.1.2']],
    [['127.0.1.1', '127.0.1.1'], ['127.0.1.1']],
    [['127.0.0.1'], []],
    [['10.0.0.1', '::1', 'fd00::1', '192.168.1.2'], []],
  ];
  for (const [input, want] of cases) assert.deepEqual(loopbackSourceAddresses(input), want, input.join(','));
});

test('LoopbackSource adds each address once and removes only the ones it added', async () => {
  const calls: string[] = [];
  const run = async (argv: readonly string[]): Promise<CommandResult> => {
    calls.push(argv.join(' '));
    if (argv[2] === 'add' && argv[3] === '127.0.1.2/32') return { code: 2, stdout: '', stderr: 'RTNETLINK answers: File exists' };
    return { code: 0, stdout: '', stderr: '' };
  };
  const lo = new LoopbackSource(run);
  await lo.ensure(['127.0.1.1', '127.0.1.2']);
  await lo.ensure(['127.0.1.1', '127.0.1.2']);
  await lo.release();
  assert.deepEqual(calls, ['ip addr add 127.0.1.1/32 dev lo scope global', 'ip addr add 127.0.1.2/32 dev lo scope global', 'ip addr del 127.0.1.1/32 dev lo']);
});

test('LoopbackSource reports other failures with the command and its error', async () => {
  const lo = new LoopbackSource(async () => ({ code: 2, stdout: '', stderr: 'RTNETLINK answers: Operation not permitted' }));
  await assert.rejects(lo.ensure(['127.0.1.1']), /ip addr add 127.0.1.1\/32 dev lo scope global failed \(exit 2\): RTNETLINK answers: Operation not permitted/);
});
