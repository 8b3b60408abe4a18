import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { mergeKubeconfig, userKubeconfigPath, writeKubeconfig } from './kubeconfig.js';

test('merging keeps other clusters and makes skiff current', () => {
  const doc = mergeKubeconfig(
    { clusters: [{ name: 'kind', cluster: { server: 'https://x' } }], 'current-context': 'kind' },
    { name: 'skiff', server: 'http://127.0.0.1:6443' },
  );
  assert.deepEqual(doc.clusters?.map((c) => c.name), ['kind', 'skiff']);
  assert.equal(doc['current-context'], 'skiff');
  assert.equal(doc.clusters?.[1]?.cluster['insecure-skip-tls-verify'], true);
});

test('merging twice replaces the entry instead of duplicating it', () => {
  const once = mergeKubeconfig({}, { name: 'skiff', server: 'http://127.0.0.1:1' });
  const twice = mergeKubeconfig(once, { name: 'skiff', server: 'http://127.0.0.1:2' });
  assert.equal(twice.clusters?.length, 1);
  assert.equal(twice.clusters?.[0]?.cluster.server, 'http://127.0.0.1:2');
});

test('the user kubeconfig is the first KUBECONFIG entry', () => {
  assert.equal(userKubeconfigPath({ KUBECONFIG: '/a/b:/c/d' }), '/a/b');
  assert.match(userKubeconfigPath({}), /\.kube\/config$/);
});

test('a secure entry carries the CA data and the token, and never skips TLS verification', () => {
  const doc = mergeKubeconfig({}, { name: 'skiff', server: 'https://127.0.0.1:6443', token: 'tok', caData: 'Q0E=' });
  assert.deepEqual(doc.clusters?.[0]?.cluster, { server: 'https://127.0.0.1:6443', 'certificate-authority-data': 'Q0E=' });
  assert.deepEqual(doc.users?.[0]?.user, { token: 'tok' });
  const dir = mkdtempSync(join(tmpdir(), 'skiff-kc-'));
  try {
    const path = join(dir, 'sub', 'config');
    writeKubeconfig(path, { name: 'skiff', server: 'https://127.0.0.1:6443', token: 'tok', caData: 'Q0E=' });
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'sub')).mode & 0o777, 0o700);
    assert.equal((YAML.parse(readFileSync(path, 'utf8')) as { users: Array<{ user: { token: string } }> }).users[0]?.user.token, 'tok');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
