import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { mountNamespaceSupport, planMountSteps, renderMountScript, shQuote, wrapWithMounts, type HostFs, type Mount, type MountSteps } from './mount-namespace.js';

/** A host filesystem made of listed directories, files and symlinks (absolute targets). */
function fakeFs(dirs: string[], files: string[], links: Record<string, string> = {}): HostFs {
  const kinds = new Map<string, 'dir' | 'file'>([['/', 'dir']]);
  for (const d of dirs) kinds.set(d, 'dir');
  for (const f of files) kinds.set(f, 'file');
  const resolve = (path: string): { real: string; existing: string } => {
    const parts = path.split('/').filter(Boolean);
    let cur = '/';
    for (let i = 0; i < parts.length; i++) {
      let next = posix.join(cur, parts[i]!);
      const link = links[next];
      if (link !== undefined) {
        const r = resolve(link);
        if (r.real !== r.existing) return { existing: r.existing, real: posix.join(r.real, ...parts.slice(i + 1)) };
        next = r.real;
      }
      if (!kinds.has(next)) return { existing: cur, real: posix.join(cur, ...parts.slice(i)) };
      cur = next;
    }
    return { existing: cur, real: cur };
  };
  return {
    resolve,
    kind(path) {
      const r = resolve(path);
      return r.real === r.existing ? kinds.get(r.real)! : 'missing';
    },
  };
}

const FS = fakeFs(
  ['/etc', '/usr', '/usr/lib', '/var', '/var/log', '/pods', '/pods/vol', '/pods/vol/sub', '/pods/empty', '/node', '/node/log', '/run', '/run/systemd'],
  ['/etc/hosts', '/pods/etc-hosts', '/pods/vol/key', '/run/systemd/stub-resolv.conf', '/pods/resolv.conf'],
  { '/etc/resolv.conf': '/run/systemd/stub-resolv.conf', '/pods/vol/evil': '/etc', '/lib': '/usr/lib' },
);

const m = (source: string, target: string, readOnly = false): Mount => ({ source, target, readOnly });

describe('planMountSteps', () => {
  const cases: Array<{ name: string; mounts: Mount[]; want: MountSteps | string }> = [
    {
      name: 'existing targets are bound in place, no new root',
      mounts: [m('/pods/etc-hosts', '/etc/hosts'), m('/node/log', '/var/log', true)],
      want: {
        newRoot: false,
        mirrors: [],
        binds: [
          { source: '/pods/etc-hosts', target: '/etc/hosts', readOnly: false },
          { source: '/node/log', target: '/var/log', readOnly: true },
        ],
      },
    },
    {
      name: 'a symlinked target is bound at its real path',
      mounts: [m('/pods/resolv.conf', '/etc/resolv.conf')],
      want: { newRoot: false, mirrors: [], binds: [{ source: '/pods/resolv.conf', target: '/run/systemd/stub-resolv.conf', readOnly: false }] },
    },
    {
      name: 'a missing top-level target needs a new root mirroring /',
      mounts: [m('/pods/vol', '/config', true)],
      want: { newRoot: true, mirrors: [{ dir: '/', skip: [] }], binds: [{ source: '/pods/vol', target: '/config', readOnly: true, create: 'dir', firstMissing: '/config' }] },
    },
    {
      name: 'a missing deeper target mirrors every directory on the way',
      mounts: [m('/pods/vol/key', '/etc/app/conf/key')],
      want: {
        newRoot: true,
        mirrors: [
          { dir: '/', skip: ['etc'] },
          { dir: '/etc', skip: [] },
        ],
        binds: [{ source: '/pods/vol/key', target: '/etc/app/conf/key', readOnly: false, create: 'file', firstMissing: '/etc/app' }],
      },
    },
    {
      name: 'a target under a symlinked directory is placed at the real path',
      mounts: [m('/pods/empty', '/lib/newmod')],
      want: {
        newRoot: true,
        mirrors: [
          { dir: '/', skip: ['usr'] },
          { dir: '/usr', skip: ['lib'] },
          { dir: '/usr/lib', skip: [] },
        ],
        binds: [{ source: '/pods/empty', target: '/usr/lib/newmod', readOnly: false, create: 'dir', firstMissing: '/usr/lib/newmod' }],
      },
    },
    {
      name: 'targets nested in an earlier volume are created inside it, parents first whatever the order given',
      mounts: [m('/pods/empty', '/data/cache'), m('/pods/vol', '/data', true), m('/pods/empty', '/data/sub')],
      want: {
        newRoot: true,
        mirrors: [{ dir: '/', skip: [] }],
        binds: [
          { source: '/pods/vol', target: '/data', readOnly: true, create: 'dir', firstMissing: '/data' },
          { source: '/pods/empty', target: '/data/cache', readOnly: false, create: 'dir' },
          { source: '/pods/empty', target: '/data/sub', readOnly: false },
        ],
      },
    },
    { name: 'a mix of existing, nested and missing targets plans without error', mounts: [m('/node/log', '/var/log'), m('/pods/vol', '/var/log/x'), m('/pods/empty', '/mnt/v'), m('/pods/vol', '/v')], want: 'ok' },
    { name: 'a nested target escaping its volume through a symlink is refused', mounts: [m('/pods/vol', '/data'), m('/pods/empty', '/data/evil/x')], want: 'mount point /data/evil/x escapes the volume mounted at /data through a symlink (resolves to /etc/x)' },
    { name: 'missing source', mounts: [m('/nope', '/x')], want: 'mount source /nope for /x does not exist' },
    { name: 'directory onto a file', mounts: [m('/pods/vol', '/etc/hosts')], want: 'cannot mount directory /pods/vol onto /etc/hosts, which is not a directory' },
    { name: 'file onto a directory', mounts: [m('/pods/etc-hosts', '/var/log')], want: 'cannot mount file /pods/etc-hosts onto directory /var/log' },
    { name: 'mount point under a file', mounts: [m('/pods/vol', '/etc/hosts/x')], want: 'cannot create mount point /etc/hosts/x: /etc/hosts is not a directory' },
    { name: 'relative target', mounts: [m('/pods/vol', 'config')], want: 'mount target "config" must be an absolute path' },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const r = planMountSteps(c.mounts, FS);
      if (c.want === 'ok') assert.ok(!('error' in r), JSON.stringify(r));
      else if (typeof c.want === 'string') assert.deepEqual(r, { error: c.want });
      else assert.deepEqual(r, c.want);
    });
  }
});

test('shQuote survives quotes, spaces and $', () => {
  for (const s of ["it's", 'a b', '$(rm -rf /)', '`x`', '"q"', '']) {
    const r = spawnSync('/bin/sh', ['-c', `printf %s ${shQuote(s)}`]);
    assert.equal(r.stdout.toString(), s);
  }
});

test('renderMountScript needs a scratch directory for a new root', () => {
  const steps = planMountSteps([m('/pods/vol', '/config')], FS) as MountSteps;
  assert.deepEqual(renderMountScript(steps, { chroot: '/usr/sbin/chroot' }), { error: 'a mount point is missing on the host and the mount plan has no scratchDir to build a private root in' });
  const script = renderMountScript(steps, { chroot: '/usr/sbin/chroot', scratchDir: '/pods/mnt-root' });
  assert.equal(typeof script, 'string');
  assert.match(script as string, /mount --bind '\/pods\/vol' "\$S"'\/config'/);
  assert.match(script as string, /mount --move \. \//);
});

test('wrapWithMounts leaves an argv with nothing to mount unchanged', () => {
  assert.deepEqual(wrapWithMounts({ mounts: [] }, ['sh', '-c', 'true']), { argv: ['sh', '-c', 'true'] });
});

describe('a real private mount namespace', () => {
  const support = mountNamespaceSupport();
  const skip = support.ok ? false : `mount namespaces unavailable: ${support.reason}`;
  if (skip) console.log(`# skipping real mount namespace tests: ${skip}`);
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'skiff-mntns-')));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const top = `/skiff-mntns-test-${process.pid}`;

  function run(argv: string[], plan: Parameters<typeof wrapWithMounts>[0], opts: Parameters<typeof wrapWithMounts>[2] = {}): { code: number | null; out: string; err: string } {
    const w = wrapWithMounts(plan, argv, opts);
    assert.ok('argv' in w, 'error' in w ? w.error : '');
    const r = spawnSync(w.argv[0]!, w.argv.slice(1), { timeout: 20_000, env: { ...process.env, KEEP: 'me' } });
    return { code: r.status, out: r.stdout.toString(), err: r.stderr.toString() };
  }

  test('binds volumes over existing and missing paths, read-only where asked, without touching the host', { skip }, () => {
    const vol = join(dir, 'vol');
    const cache = join(dir, 'cache');
    const hosts = join(dir, 'etc-hosts');
    const scratch = join(dir, 'mnt-root');
    for (const d of [vol, cache, scratch]) mkdirSync(d, { recursive: true });
    writeFileSync(join(vol, 'key'), 'value-from-volume');
    writeFileSync(hosts, '# pod hosts\n');
    const hostHostsBefore = readFileSync('/etc/hosts', 'utf8');
    const plan = {
      mounts: [
        { source: vol, target: `${top}/config`, readOnly: true },
        { source: cache, target: `${top}/config/cache`, readOnly: false },
      ],
      etcHosts: hosts,
      scratchDir: scratch,
    };
    const script = [
      `cat ${top}/config/key; echo`,
      'cat /etc/hosts',
      `touch ${top}/config/nope 2>/dev/null && echo WRITABLE || echo READONLY`,
      `echo cached > ${top}/config/cache/f && echo CACHE-OK`,
      'echo "keep=$KEEP pwd=$(pwd)"',
      'echo "args:$1|$2"',
      'env | grep -c -E "^(S|_d|_e|_n|_t|_x|_skip|OLDPWD)=" || true',
    ].join('; ');
    const r = run(['sh', '-c', script, 'sh', "it's a", '$HOME'], plan, { workingDir: '/tmp' });
    assert.equal(r.code, 0, r.err);
    assert.equal(
      r.out,
      `value-from-volume\n# pod hosts\nREADONLY\nCACHE-OK\nkeep=me pwd=/tmp\nargs:it's a|$HOME\n0\n`,
    );
    assert.equal(readFileSync(join(cache, 'f'), 'utf8'), 'cached\n', 'writes reach the volume');
    assert.equal(existsSync(top), false, 'the missing mount point was not created on the host');
    assert.equal(existsSync(join(vol, 'cache')), true, 'the nested mount point lives in the parent volume, as with runc');
    assert.equal(readFileSync('/etc/hosts', 'utf8'), hostHostsBefore, "the host's /etc/hosts is untouched");
  });

  test('only existing targets: no new root, the process keeps the host view', { skip }, () => {
    const resolv = join(dir, 'resolv.conf');
    writeFileSync(resolv, 'nameserver 127.96.0.10\n');
    const r = run(['sh', '-c', 'cat /etc/resolv.conf; pwd'], { mounts: [], resolvConf: resolv }, { workingDir: dir });
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, `nameserver 127.96.0.10\n${dir}\n`);
  });

  test('a failing setup exits 126 with the reason on stderr', { skip }, () => {
    const gone = join(dir, 'gone');
    mkdirSync(gone);
    const w = wrapWithMounts({ mounts: [{ source: gone, target: '/tmp', readOnly: false }] }, ['true']);
    assert.ok('argv' in w);
    rmSync(gone, { recursive: true });
    const r = spawnSync(w.argv[0]!, w.argv.slice(1), { timeout: 20_000 });
    assert.equal(r.status, 126);
    assert.match(r.stderr.toString(), /setting up the pod's mounts failed/);
  });
});
