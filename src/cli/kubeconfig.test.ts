import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeKubeconfig, userKubeconfigPath } from './kubeconfig.js';

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
