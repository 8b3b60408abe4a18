import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isWithin, nodePath, resolveHostPath } from './host-path.js';

const base = realpathSync(mkdtempSync(join(tmpdir(), 'skiff-hostpath-')));
after(() => rmSync(base, { recursive: true, force: true }));

describe('nodePath', () => {
  const root = '/data/nodes/node-1';
  const cases: Array<[string, string]> = [
    ['/var/log', '/data/nodes/node-1/var/log'],
    ['/var/log/', '/data/nodes/node-1/var/log'],
    ['//var///log', '/data/nodes/node-1/var/log'],
    ['/', '/data/nodes/node-1'],
    ['var/lib', '/data/nodes/node-1/var/lib'],
    ['/a/./b', '/data/nodes/node-1/a/b'],
  ];
  for (const [hp, want] of cases) test(`${hp} → ${want}`, () => assert.deepEqual(nodePath(root, hp), { path: want }));

  for (const bad of ['/var/../../etc', '../etc', '/a/..', '..', '/..', './..', '/var/log/../../../../etc/shadow', '//..//etc']) {
    test(`${bad} is refused`, () => assert.deepEqual(nodePath(root, bad), { error: `invalid HostPath \`${bad}\`: must not contain '..'` }));
  }
});

test('isWithin', () => {
  assert.equal(isWithin('/a/b', '/a/b'), true);
  assert.equal(isWithin('/a/b', '/a/b/c'), true);
  assert.equal(isWithin('/a/b', '/a/bc'), false);
  assert.equal(isWithin('/a/b', '/a'), false);
});

describe('resolveHostPath', () => {
  function freshNode(): string {
    const n = mkdtempSync(join(base, 'node-'));
    mkdirSync(join(n, 'var/log'), { recursive: true });
    writeFileSync(join(n, 'etc-file'), 'x');
    return n;
  }

  test('unset type resolves inside the node tree and creates a missing directory', async () => {
    const n = freshNode();
    assert.equal(await resolveHostPath(n, '/var/log', ''), join(n, 'var/log'));
    assert.equal(await resolveHostPath(n, '/var/lib/app'), join(n, 'var/lib/app'));
    assert.ok(statSync(join(n, 'var/lib/app')).isDirectory());
  });

  const typeCases: Array<{ type: string; path: string; want: string | RegExp }> = [
    { type: 'Directory', path: '/var/log', want: 'var/log' },
    { type: 'Directory', path: '/missing', want: /hostPath \/missing doesn't exist/ },
    { type: 'Directory', path: '/etc-file', want: /hostPath type check failed: \/etc-file is not a directory, it's a File/ },
    { type: 'DirectoryOrCreate', path: '/new/dir', want: 'new/dir' },
    { type: 'DirectoryOrCreate', path: '/etc-file', want: /is not a directory/ },
    { type: 'File', path: '/etc-file', want: 'etc-file' },
    { type: 'File', path: '/var/log', want: /\/var\/log is not a file, it's a Directory/ },
    { type: 'FileOrCreate', path: '/run/xtables.lock', want: 'run/xtables.lock' },
    { type: 'Socket', path: '/etc-file', want: /is not a socket file/ },
    { type: 'Bogus', path: '/var/log', want: /Bogus is an invalid volume type/ },
  ];
  for (const c of typeCases) {
    test(`type ${c.type} on ${c.path}`, async () => {
      const n = freshNode();
      if (typeof c.want === 'string') {
        assert.equal(await resolveHostPath(n, c.path, c.type), join(n, c.want));
        assert.ok(existsSync(join(n, c.want)));
      } else {
        await assert.rejects(resolveHostPath(n, c.path, c.type), c.want);
      }
    });
  }

  test('type Socket accepts a unix socket', async () => {
    const n = freshNode();
    const sock = join(n, 'agent.sock');
    const server = createServer();
    await new Promise<void>((r) => server.listen(sock, r));
    try {
      assert.equal(await resolveHostPath(n, '/agent.sock', 'Socket'), sock);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  test('a `..` escape is refused before anything is touched', async () => {
    const n = freshNode();
    await assert.rejects(resolveHostPath(n, '/var/../../outside', 'DirectoryOrCreate'), /must not contain '\.\.'/);
    assert.equal(existsSync(join(base, 'outside')), false);
  });

  test('a symlink escape is refused, and nothing is created outside', async () => {
    const n = freshNode();
    const outside = mkdtempSync(join(base, 'outside-'));
    symlinkSync(outside, join(n, 'var/evil'));
    symlinkSync('/etc', join(n, 'etc'));
    await assert.rejects(resolveHostPath(n, '/var/evil/sub', 'DirectoryOrCreate'), /outside the node's root/);
    assert.equal(existsSync(join(outside, 'sub')), false);
    await assert.rejects(resolveHostPath(n, '/etc', ''), /outside the node's root/);
    await assert.rejects(resolveHostPath(n, '/etc/passwd', 'File'), /outside the node's root/);
  });

  // Every way out through links in the node's tree, for every type that creates or checks.
  const escapes: Array<{ what: string; links: Array<[string, (outside: string, node: string) => string]>; path: string; types: string[]; created?: string }> = [
    { what: 'absolute link to an existing dir outside', links: [['var/out', (o) => o]], path: '/var/out/x', types: ['', 'DirectoryOrCreate', 'FileOrCreate', 'Directory'], created: 'x' },
    { what: 'relative link climbing out with ..', links: [['var/up', () => '../../..']], path: '/var/up/x', types: ['', 'DirectoryOrCreate', 'FileOrCreate'] },
    { what: 'dangling link to a missing file outside', links: [['var/dangle', (o) => join(o, 'created.txt')]], path: '/var/dangle', types: ['FileOrCreate', '', 'DirectoryOrCreate', 'File'], created: 'created.txt' },
    { what: 'dangling link to a missing dir outside, below it', links: [['var/dd', (o) => join(o, 'newdir')]], path: '/var/dd/sub', types: ['', 'DirectoryOrCreate', 'FileOrCreate'], created: 'newdir' },
    { what: 'chain of links ending outside', links: [['a', () => 'b'], ['b', (o) => o]], path: '/a/f', types: ['', 'FileOrCreate'], created: 'f' },
    { what: 'chain of dangling links ending outside', links: [['c', () => 'd'], ['d', (o) => join(o, 'viachain')]], path: '/c', types: ['FileOrCreate', 'DirectoryOrCreate'], created: 'viachain' },
    { what: 'link to the parent of the node root', links: [['var/root', (_o, n) => join(n, '..')]], path: '/var/root/escaped', types: ['', 'DirectoryOrCreate'], created: 'escaped' },
  ];
  for (const e of escapes) {
    for (const type of e.types) {
      test(`escape refused: ${e.what} (type ${type || 'unset'})`, async () => {
        const n = freshNode();
        const outside = mkdtempSync(join(base, 'outside-'));
        for (const [at, target] of e.links) symlinkSync(target(outside, n), join(n, at));
        await assert.rejects(resolveHostPath(n, e.path, type), /outside the node's root/);
        if (e.created) assert.equal(existsSync(join(outside, e.created)), false, `nothing created outside: ${e.created}`);
        assert.equal(existsSync(join(base, 'escaped')), false);
      });
    }
  }

  test('a dangling link that stays inside the node is followed and created inside', async () => {
    const n = freshNode();
    symlinkSync('data', join(n, 'var/current'));
    assert.equal(await resolveHostPath(n, '/var/current', 'DirectoryOrCreate'), join(n, 'var/data'));
    assert.ok(statSync(join(n, 'var/data')).isDirectory());
  });

  test('a relative symlink that stays inside the node is followed', async () => {
    const n = freshNode();
    symlinkSync('log', join(n, 'var/logs'));
    assert.equal(await resolveHostPath(n, '/var/logs', 'Directory'), join(n, 'var/log'));
  });
});
