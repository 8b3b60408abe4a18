import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Container } from 'kubernetes-types/core/v1.js';
import { lookupIn } from '../expansion.js';
import { mapImageBinary, resolveCommand, type CommandPlan, type ImageFallback, type ImageProgram } from './process-command.js';

const agnhost: ImageProgram = { name: 'agnhost', entrypoint: ['node', '/skiff/agnhost/main.js'], cmd: ['pause'], binaries: ['/agnhost', 'agnhost'] };
const env = lookupIn({ PORT: '8080', MSG: 'hello' });

const table: Array<{ name: string; c: Partial<Container>; image?: ImageProgram; fallback?: ImageFallback; want: CommandPlan | RegExp }> = [
  { name: 'builtin image without command or args runs entrypoint + CMD', c: {}, image: agnhost, want: { kind: 'run', argv: ['node', '/skiff/agnhost/main.js', 'pause'] } },
  { name: 'builtin image with args replaces CMD', c: { args: ['netexec', '--http-port=$(PORT)'] }, image: agnhost, want: { kind: 'run', argv: ['node', '/skiff/agnhost/main.js', 'netexec', '--http-port=8080'] } },
  { name: 'builtin binary path as command means the entrypoint', c: { command: ['/agnhost'], args: ['serve-hostname'] }, image: agnhost, want: { kind: 'run', argv: ['node', '/skiff/agnhost/main.js', 'serve-hostname'] } },
  { name: 'builtin binary with its subcommand in command', c: { command: ['/agnhost', 'netexec', '--http-port', '$(PORT)'] }, image: agnhost, want: { kind: 'run', argv: ['node', '/skiff/agnhost/main.js', 'netexec', '--http-port', '8080'] } },
  { name: 'builtin image with a shell command runs the shell on the host', c: { command: ['sh', '-c', 'echo $(MSG)'] }, image: agnhost, want: { kind: 'run', argv: ['sh', '-c', 'echo hello'] } },
  { name: 'any image with a command runs it', c: { image: 'busybox', command: ['sh', '-c'], args: ['echo $(MSG); echo $$(MSG) $(NOPE)'] }, want: { kind: 'run', argv: ['sh', '-c', 'echo hello; echo $(MSG) $(NOPE)'] } },
  { name: 'empty args keep CMD', c: { args: [] }, image: agnhost, want: { kind: 'run', argv: ['node', '/skiff/agnhost/main.js', 'pause'] } },
  { name: 'unknown image without command is simulated by default', c: { image: 'nginx:1.27' }, want: /^image "nginx:1\.27" has no built-in program in skiff .* simulated: Running with no process/ },
  { name: 'unknown image with args only is still not runnable', c: { image: 'nginx', args: ['-g', 'daemon off;'] }, fallback: 'fail', want: /give the container a command .* --image-fallback simulate/ },
];

for (const t of table) {
  test(t.name, () => {
    const got = resolveCommand({ name: 'c', ...t.c }, t.image, env, t.fallback ?? 'simulate');
    if (t.want instanceof RegExp) {
      assert.ok(got.kind === 'simulate' || got.kind === 'fail', `got ${got.kind}`);
      assert.match(got.message, t.want);
      assert.equal(got.kind, t.fallback ?? 'simulate');
      if (got.kind === 'fail') assert.equal(got.reason, 'ErrImageNeverPull');
    } else {
      assert.deepEqual(got, t.want);
    }
  });
}

test('mapImageBinary maps exec commands that name the image binary', () => {
  assert.deepEqual(mapImageBinary(['agnhost', 'dns-suffix'], agnhost), ['node', '/skiff/agnhost/main.js', 'dns-suffix']);
  assert.deepEqual(mapImageBinary(['cat', '/etc/hosts'], agnhost), ['cat', '/etc/hosts']);
  assert.deepEqual(mapImageBinary(['/agnhost'], undefined), ['/agnhost']);
});
