import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runAgnhost } from './cli.js';

async function run(argv: string[]): Promise<{ code: number | undefined; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runAgnhost(argv, { stdout: (t) => (out += t), stderr: (t) => (err += t) });
  return { code, out, err };
}

test('no subcommand prints the usage to stderr and exits 1', async () => {
  const r = await run([]);
  assert.equal(r.code, 1);
  assert.equal(r.out, '');
  assert.match(r.err, /^Usage:\n {2}app \[command\]/);
  for (const c of ['netexec', 'serve-hostname', 'pause', 'liveness', 'test-webserver']) assert.match(r.err, new RegExp(`\\n  ${c} +\\S`));
});

test('an unknown subcommand says so, prints the usage to stderr and exits 1', async () => {
  const r = await run(['bogus', '--x']);
  assert.equal(r.code, 1);
  assert.match(r.err, /^Error: unknown command "bogus" for "app"\nUsage:/);
});

test('--help and the help subcommand print to stdout and exit 0', async () => {
  const root = await run(['--help']);
  assert.equal(root.code, 0);
  assert.match(root.out, /Available Commands:/);
  const sub = await run(['netexec', '--help']);
  assert.equal(sub.code, 0);
  assert.match(sub.out, /--http-port int +HTTP Listen Port \(default 8080\)/);
  const help = await run(['help', 'serve-hostname']);
  assert.equal(help.code, 0);
  assert.match(help.out, /--port int +Port number\. \(default 9376\)/);
});

test('a bad flag or a positional argument is a usage error with exit 1', async () => {
  const flag = await run(['netexec', '--nope']);
  assert.equal(flag.code, 1);
  assert.match(flag.err, /^Error: unknown flag: --nope\nUsage:\n {2}app netexec \[flags\]/);
  const arg = await run(['pause', 'extra']);
  assert.equal(arg.code, 1);
  assert.match(arg.err, /^Error: accepts at most 0 arg\(s\), received 1/);
});

test('klog flags are accepted on every subcommand', async () => {
  const r = await run(['--v=2', 'netexec', '--logtostderr', '--help']);
  assert.equal(r.code, 0);
});
