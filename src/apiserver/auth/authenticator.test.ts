import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TokenAuthenticator, bearerToken, tokensEqual, unauthorized } from './authenticator.js';
import { loadOrCreateTokens, tokensPath } from './tokens.js';

test('tokensEqual compares whole secrets of any length', () => {
  const table: Array<[string, string, boolean]> = [
    ['abc', 'abc', true],
    ['abc', 'abd', false],
    ['abc', 'abcd', false],
    ['', '', true],
    ['', 'x', false],
    ['a'.repeat(1000), 'a'.repeat(1000), true],
  ];
  for (const [a, b, want] of table) assert.equal(tokensEqual(a, b), want, `${a.slice(0, 8)} vs ${b.slice(0, 8)}`);
});

test('bearer token parsing', () => {
  const table: Array<[string | undefined, string | undefined]> = [
    ['Bearer abc', 'abc'],
    ['bearer abc', 'abc'],
    ['Bearer  abc ', 'abc'],
    ['Basic abc', undefined],
    ['Bearer', undefined],
    ['Bearer a b', undefined],
    [undefined, undefined],
  ];
  for (const [h, want] of table) assert.equal(bearerToken(h), want, String(h));
});

test('tokens map to the admin and bootstrap users', () => {
  const auth = new TokenAuthenticator({ admin: 'admin-secret-1', join: 'join-secret-1' });
  assert.equal(auth.authenticate('admin-secret-1')?.name, 'skiff-admin');
  assert.ok(auth.authenticate('admin-secret-1')?.groups.includes('system:masters'));
  const node = auth.authenticate('join-secret-1');
  assert.match(node?.name ?? '', /^system:bootstrap:[0-9a-f]{6}$/);
  assert.ok(node?.groups.includes('system:bootstrappers'));
  assert.equal(auth.authenticate('wrong'), undefined);
  assert.equal(auth.authenticate(undefined), undefined);
});

test('the 401 body is the upstream Status', () => {
  assert.deepEqual(unauthorized().toStatus(), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
});

test('tokens are generated once (mode 0600), reused, and --join-token overrides', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-tokens-'));
  try {
    const a = loadOrCreateTokens(dir);
    assert.match(a.admin, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a.admin, a.join);
    assert.equal(statSync(tokensPath(dir)).mode & 0o777, 0o600);
    assert.deepEqual(loadOrCreateTokens(dir), a);
    const b = loadOrCreateTokens(dir, 'my-join-token');
    assert.deepEqual(b, { admin: a.admin, join: 'my-join-token' });
    assert.deepEqual(loadOrCreateTokens(dir), b);
    assert.throws(() => loadOrCreateTokens(dir, 'short'), /--join-token/);
    writeFileSync(tokensPath(dir), 'not json');
    assert.throws(() => loadOrCreateTokens(dir), /not a valid tokens file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
