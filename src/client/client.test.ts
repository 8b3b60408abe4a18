import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ApiError } from '../api/errors.js';
import { findResource } from '../api/resources.js';
import { Client, loadKubeconfig } from './client.js';
import { FakeTransport, jsonResponse } from './testing.js';
import { HttpTransport } from './transport.js';

function setup(): { t: FakeTransport; client: Client } {
  const t = new FakeTransport();
  t.onRequest = () => jsonResponse(200, { metadata: {} });
  return { t, client: new Client(t, { fieldManager: 'tester' }) };
}

describe('ResourceClient URLs', () => {
  test('builds core, group, cluster-scoped and subresource paths', () => {
    const { client } = setup();
    const pods = client.resource('', 'v1', 'pods');
    assert.equal(pods.path('default'), '/api/v1/namespaces/default/pods');
    assert.equal(pods.path(undefined), '/api/v1/pods', 'all namespaces');
    assert.equal(pods.path('default', 'web-0', 'binding'), '/api/v1/namespaces/default/pods/web-0/binding');
    assert.equal(client.resource('apps', 'v1', 'deployments').path('prod', 'web', 'scale'), '/apis/apps/v1/namespaces/prod/deployments/web/scale');
    assert.equal(client.resource('', 'v1', 'nodes').path('ignored', 'node-1'), '/api/v1/nodes/node-1', 'cluster-scoped ignores ns');
  });

  test('an unknown resource is a NotFound ApiError', () => {
    const { client } = setup();
    assert.throws(() => client.resource('', 'v1', 'widgets'), (e: unknown) => e instanceof ApiError && e.reason === 'NotFound');
  });

  test('the same ResourceClient is returned for the same resource', () => {
    const { client } = setup();
    assert.equal(client.resource(findResource('', 'v1', 'services')!), client.resource('', 'v1', 'services'));
  });
});

describe('ResourceClient verbs', () => {
  test('list encodes selectors and paging; listAll follows continue', async () => {
    const { t, client } = setup();
    t.onRequest = (req) =>
      req.query?.['continue'] === 'p2'
        ? jsonResponse(200, { kind: 'PodList', metadata: { resourceVersion: '7' }, items: [{ metadata: { name: 'b' } }] })
        : jsonResponse(200, { kind: 'PodList', metadata: { resourceVersion: '7', continue: 'p2' }, items: [{ metadata: { name: 'a' } }] });
    const all = await client.resource('', 'v1', 'pods').listAll('default', { labelSelector: 'app=web', limit: 1 });
    assert.deepEqual(
      all.items.map((i) => i.metadata?.name),
      ['a', 'b'],
    );
    assert.equal(all.metadata.resourceVersion, '7');
    assert.equal(t.requests.length, 2);
    assert.equal(t.requests[0]?.query?.['labelSelector'], 'app=web');
    assert.equal(t.requests[0]?.query?.['limit'], 1);
    assert.equal(t.requests[1]?.query?.['continue'], 'p2');
    assert.equal(t.requests[1]?.query?.['labelSelector'], 'app=web');
  });

  test('create, update and updateStatus send the object with write options', async () => {
    const { t, client } = setup();
    const svc = client.resource('', 'v1', 'services');
    await svc.create('default', { metadata: { name: 'web' } }, { dryRun: true });
    await svc.update(undefined, { metadata: { name: 'web', namespace: 'ns1', resourceVersion: '3' } });
    await svc.updateStatus('default', { metadata: { name: 'web' } });
    const [c, u, s] = t.requests;
    assert.equal(c?.method, 'POST');
    assert.equal(c?.path, '/api/v1/namespaces/default/services');
    assert.equal(c?.query?.['dryRun'], 'All');
    assert.equal(c?.query?.['fieldManager'], 'tester');
    assert.equal(u?.method, 'PUT');
    assert.equal(u?.path, '/api/v1/namespaces/ns1/services/web', 'namespace taken from the object');
    assert.equal(s?.path, '/api/v1/namespaces/default/services/web/status');
  });

  test('patch sets the content type of each patch type, force and subresource', async () => {
    const { t, client } = setup();
    const deps = client.resource('apps', 'v1', 'deployments');
    await deps.patch('default', 'web', 'merge', { spec: { replicas: 3 } });
    await deps.patch('default', 'web', 'json', [{ op: 'remove', path: '/spec/paused' }]);
    await deps.patch('default', 'web', 'strategic', {}, { subresource: 'status' });
    await deps.patch('default', 'web', 'apply', 'apiVersion: apps/v1\nkind: Deployment\n', { force: true, fieldManager: 'kubectl' });
    assert.deepEqual(
      t.requests.map((r) => r.contentType),
      ['application/merge-patch+json', 'application/json-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'],
    );
    assert.equal(t.requests[2]?.path, '/apis/apps/v1/namespaces/default/deployments/web/status');
    assert.equal(t.requests[3]?.query?.['force'], true);
    assert.equal(t.requests[3]?.query?.['fieldManager'], 'kubectl');
    assert.equal(t.requests[3]?.body, 'apiVersion: apps/v1\nkind: Deployment\n');
    assert.equal(t.requests[0]?.body, '{"spec":{"replicas":3}}');
  });

  test('delete and deleteCollection send DeleteOptions in the body', async () => {
    const { t, client } = setup();
    const pods = client.resource('', 'v1', 'pods');
    await pods.delete('default', 'p', { propagationPolicy: 'Foreground', gracePeriodSeconds: 0, preconditions: { uid: 'u1' } });
    await pods.deleteCollection('default', { labelSelector: 'app=x', propagationPolicy: 'Background' });
    assert.deepEqual(JSON.parse(String(t.requests[0]?.body)), {
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      propagationPolicy: 'Foreground',
      gracePeriodSeconds: 0,
      preconditions: { uid: 'u1' },
    });
    assert.equal(t.requests[1]?.method, 'DELETE');
    assert.equal(t.requests[1]?.path, '/api/v1/namespaces/default/pods');
    assert.equal(t.requests[1]?.query?.['labelSelector'], 'app=x');
  });

  test('subresources: get scale, create binding and eviction', async () => {
    const { t, client } = setup();
    const pods = findResource('', 'v1', 'pods')!;
    await client.getSubresource(findResource('apps', 'v1', 'replicasets')!, 'default', 'rs', 'scale');
    await client.createSubresource(pods, 'default', 'p', 'binding', { target: { kind: 'Node', name: 'node-1' } });
    await client.createSubresource(pods, 'default', 'p', 'eviction', { apiVersion: 'policy/v1', kind: 'Eviction' });
    assert.deepEqual(
      t.requests.map((r) => `${r.method} ${r.path}`),
      ['GET /apis/apps/v1/namespaces/default/replicasets/rs/scale', 'POST /api/v1/namespaces/default/pods/p/binding', 'POST /api/v1/namespaces/default/pods/p/eviction'],
    );
  });

  test('a 409 Status keeps reason, message and details', async () => {
    const { t, client } = setup();
    t.onRequest = () =>
      jsonResponse(409, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'pods "db-0" already exists',
        reason: 'AlreadyExists',
        details: { name: 'db-0', kind: 'pods' },
        code: 409,
      });
    await assert.rejects(client.resource('', 'v1', 'pods').create('default', { metadata: { name: 'db-0' } }), (e: unknown) => {
      assert.ok(e instanceof ApiError);
      assert.equal(e.reason, 'AlreadyExists');
      assert.equal(e.code, 409);
      assert.equal(e.message, 'pods "db-0" already exists');
      assert.deepEqual(e.details, { name: 'db-0', kind: 'pods' });
      return true;
    });
  });

  test('watch passes options, delivers events and skips unknown types', async () => {
    const { t, client } = setup();
    t.streamScripts.push(async (_req, emit) => {
      emit({ type: 'ADDED', object: { metadata: { name: 'a' } } });
      emit({ type: 'WEIRD', object: {} });
      emit({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '9' } } });
    });
    const seen: string[] = [];
    await client.resource('', 'v1', 'pods').watch('default', { resourceVersion: '3', allowWatchBookmarks: true, timeoutSeconds: 400 }, (e) => seen.push(e.type), new AbortController().signal);
    assert.deepEqual(seen, ['ADDED', 'BOOKMARK']);
    assert.deepEqual(t.streams[0]?.query, { resourceVersion: '3', allowWatchBookmarks: true, timeoutSeconds: 400, watch: true });
  });
});

describe('kubeconfig', () => {
  test('reads server, token, CA data and insecure flag of the current context', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'skiff-kc-'));
    try {
      const path = join(dir, 'config');
      await writeFile(join(dir, 'token'), 'from-file\n');
      await writeFile(
        path,
        [
          'apiVersion: v1',
          'kind: Config',
          'current-context: skiff',
          'clusters:',
          '- name: other',
          '  cluster: {server: "https://wrong:1"}',
          '- name: local',
          '  cluster:',
          '    server: https://127.0.0.1:6443',
          `    certificate-authority-data: ${Buffer.from('PEM').toString('base64')}`,
          '    insecure-skip-tls-verify: true',
          'users:',
          '- name: admin',
          '  user: {tokenFile: token}',
          'contexts:',
          '- name: skiff',
          '  context: {cluster: local, user: admin, namespace: kube-system}',
        ].join('\n'),
      );
      const s = await loadKubeconfig(path);
      assert.equal(s.server, 'https://127.0.0.1:6443');
      assert.equal(s.token, 'from-file');
      assert.equal(s.ca?.toString(), 'PEM');
      assert.equal(s.insecureSkipTLSVerify, true);
      assert.equal(s.namespace, 'kube-system');
      const client = await Client.fromKubeconfig(path);
      assert.ok(client.transport instanceof HttpTransport);
      (client.transport as HttpTransport).close();
      await assert.rejects(loadKubeconfig(path, 'nope'), /context "nope" not found/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
