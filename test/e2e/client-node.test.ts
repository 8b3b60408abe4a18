/**
 * skiff driven by the official JavaScript client, @kubernetes/client-node 1.4.0:
 * the kubeconfig skiff writes loads as-is, the typed APIs do CRUD and patches,
 * and informers and watches see events.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';

const NS = 'client-node';

/** Resolves with `p`, or rejects after `ms` with a message naming what was awaited. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Parses a dotted IPv4 address into an unsigned 32-bit number. */
function ipv4(ip: string): number {
  const parts = ip.split('.').map(Number);
  assert.equal(parts.length, 4, `not an IPv4 address: ${ip}`);
  return parts.reduce((acc, p) => acc * 256 + p, 0);
}

/** Collects events and lets a test wait until one matching a predicate has arrived. */
class EventLog<E> {
  readonly events: E[] = [];
  private waiters: { match: (e: E) => boolean; resolve: (e: E) => void }[] = [];

  push(e: E): void {
    this.events.push(e);
    for (const w of [...this.waiters]) {
      if (w.match(e)) {
        this.waiters = this.waiters.filter((x) => x !== w);
        w.resolve(e);
      }
    }
  }

  waitFor(match: (e: E) => boolean, what: string, ms = 10_000): Promise<E> {
    const seen = this.events.find(match);
    if (seen) return Promise.resolve(seen);
    const p = new Promise<E>((resolve) => this.waiters.push({ match, resolve }));
    return within(p, ms, `${what}; events so far: ${JSON.stringify(this.events)}`);
  }
}

describe('@kubernetes/client-node 1.4.0 against skiff', () => {
  let c: TestCluster;
  let kc: k8s.KubeConfig;
  let core: k8s.CoreV1Api;
  let apps: k8s.AppsV1Api;

  before(async () => {
    c = await startTestCluster();
    kc = new k8s.KubeConfig();
    kc.loadFromFile(c.kubeconfig);
    core = kc.makeApiClient(k8s.CoreV1Api);
    apps = kc.makeApiClient(k8s.AppsV1Api);
    await within(core.createNamespace({ body: { metadata: { name: NS } } }), 10_000, `namespace ${NS} to be created`);
  });
  after(async () => {
    await c?.stop();
  });

  test('the kubeconfig skiff writes loads and points at the server', () => {
    const cluster = kc.getCurrentCluster();
    assert.ok(cluster, 'kubeconfig has no current cluster');
    assert.equal(cluster.server, c.url);
    assert.equal(cluster.skipTLSVerify, true);
    assert.equal(kc.getContextObject(kc.getCurrentContext())?.namespace, 'default');
  });

  test('ConfigMap: create, read, list, replace, delete', async () => {
    const created = await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'cm1', labels: { app: 'cn' } }, data: { a: '1' } } });
    assert.equal(created.metadata?.name, 'cm1');
    assert.equal(created.metadata?.namespace, NS);
    assert.ok(created.metadata?.uid, 'created ConfigMap has no uid');
    assert.ok(created.metadata?.resourceVersion, 'created ConfigMap has no resourceVersion');
    assert.ok(created.metadata?.creationTimestamp instanceof Date, 'creationTimestamp did not deserialize as a Date');
    assert.deepEqual(created.data, { a: '1' });

    const read = await core.readNamespacedConfigMap({ name: 'cm1', namespace: NS });
    assert.deepEqual(read.data, { a: '1' });
    assert.equal(read.metadata?.uid, created.metadata?.uid);

    const list = await core.listNamespacedConfigMap({ namespace: NS, labelSelector: 'app=cn' });
    assert.deepEqual(list.items.map((i) => i.metadata?.name), ['cm1']);
    assert.ok(list.metadata?.resourceVersion, 'list has no resourceVersion');

    read.data = { a: '1', b: '2' };
    const replaced = await core.replaceNamespacedConfigMap({ name: 'cm1', namespace: NS, body: read });
    assert.deepEqual(replaced.data, { a: '1', b: '2' });
    assert.notEqual(replaced.metadata?.resourceVersion, created.metadata?.resourceVersion);

    // A replace carrying the old resourceVersion is a conflict.
    await assert.rejects(
      core.replaceNamespacedConfigMap({ name: 'cm1', namespace: NS, body: { ...read, metadata: { ...read.metadata, resourceVersion: created.metadata?.resourceVersion } } }),
      (e: unknown) => e instanceof k8s.ApiException && e.code === 409,
    );

    await core.deleteNamespacedConfigMap({ name: 'cm1', namespace: NS });
    await assert.rejects(core.readNamespacedConfigMap({ name: 'cm1', namespace: NS }), (e: unknown) => e instanceof k8s.ApiException && e.code === 404);
  });

  test('Service: create gets a ClusterIP in 127.96.0.0/12 and the defaults; read, list, replace, delete', async () => {
    const created = await core.createNamespacedService({
      namespace: NS,
      body: { metadata: { name: 'web', labels: { app: 'web' } }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } },
    });
    const ip = created.spec?.clusterIP;
    assert.ok(ip, 'Service got no clusterIP');
    const base = ipv4('127.96.0.0');
    assert.ok(ipv4(ip) >= base && ipv4(ip) < base + 2 ** 20, `clusterIP ${ip} is not in 127.96.0.0/12`);
    assert.deepEqual(created.spec?.clusterIPs, [ip]);
    assert.equal(created.spec?.type, 'ClusterIP');
    assert.equal(created.spec?.sessionAffinity, 'None');
    assert.equal(created.spec?.ports?.[0]?.protocol, 'TCP');
    assert.equal(created.spec?.ports?.[0]?.targetPort, 8080);

    const read = await core.readNamespacedService({ name: 'web', namespace: NS });
    assert.equal(read.spec?.clusterIP, ip);

    const list = await core.listNamespacedService({ namespace: NS });
    assert.deepEqual(list.items.map((i) => i.metadata?.name), ['web']);

    read.metadata = { ...read.metadata, labels: { app: 'web', tier: 'front' } };
    const replaced = await core.replaceNamespacedService({ name: 'web', namespace: NS, body: read });
    assert.deepEqual(replaced.metadata?.labels, { app: 'web', tier: 'front' });
    assert.equal(replaced.spec?.clusterIP, ip, 'replace changed the clusterIP');

    await core.deleteNamespacedService({ name: 'web', namespace: NS });
    await assert.rejects(core.readNamespacedService({ name: 'web', namespace: NS }), (e: unknown) => e instanceof k8s.ApiException && e.code === 404);
  });

  test('Deployment: create, read, and a JSON merge patch through setHeaderOptions', async () => {
    const body: k8s.V1Deployment = {
      metadata: { name: 'dep1', labels: { app: 'dep1' } },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'dep1' } },
        template: { metadata: { labels: { app: 'dep1' } }, spec: { containers: [{ name: 'c', image: 'busybox:1.36', command: ['sleep', '3600'] }] } },
      },
    };
    const created = await apps.createNamespacedDeployment({ namespace: NS, body });
    assert.equal(created.metadata?.name, 'dep1');
    assert.equal(created.spec?.replicas, 1);
    assert.ok(created.metadata?.generation, 'created Deployment has no generation');

    const read = await apps.readNamespacedDeployment({ name: 'dep1', namespace: NS });
    assert.equal(read.spec?.template.spec?.containers[0]?.image, 'busybox:1.36');

    const patched = await apps.patchNamespacedDeployment(
      { name: 'dep1', namespace: NS, body: { metadata: { labels: { patched: 'yes' } }, spec: { replicas: 3 } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    assert.equal(patched.spec?.replicas, 3);
    assert.deepEqual(patched.metadata?.labels, { app: 'dep1', patched: 'yes' });
    // A merge patch replaces lists wholesale and null deletes a key.
    const patched2 = await apps.patchNamespacedDeployment(
      { name: 'dep1', namespace: NS, body: { metadata: { labels: { patched: null } }, spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox:1.37' }] } } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    assert.deepEqual(patched2.metadata?.labels, { app: 'dep1' });
    assert.equal(patched2.spec?.template.spec?.containers.length, 1);
    assert.equal(patched2.spec?.template.spec?.containers[0]?.image, 'busybox:1.37');
    assert.equal(patched2.spec?.template.spec?.containers[0]?.command, undefined, 'merge patch should replace the containers list');
    assert.ok((patched2.metadata?.generation ?? 0) > (created.metadata?.generation ?? 0), 'spec change did not bump generation');

    await apps.deleteNamespacedDeployment({ name: 'dep1', namespace: NS });
  });

  test('informer on configmaps sees ADDED for a created ConfigMap and DELETED after deletion', async () => {
    const path = `/api/v1/namespaces/${NS}/configmaps`;
    const informer = k8s.makeInformer<k8s.V1ConfigMap>(kc, path, () => core.listNamespacedConfigMap({ namespace: NS }));
    const log = new EventLog<{ type: string; name: string | undefined }>();
    const errors: unknown[] = [];
    informer.on('add', (o) => log.push({ type: 'ADDED', name: o.metadata?.name }));
    informer.on('update', (o) => log.push({ type: 'MODIFIED', name: o.metadata?.name }));
    informer.on('delete', (o) => log.push({ type: 'DELETED', name: o.metadata?.name }));
    informer.on('error', (e) => errors.push(e));
    try {
      await within(informer.start(), 10_000, 'informer.start() (initial list + watch)');
      await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'inf1' }, data: { k: 'v' } } });
      await log.waitFor((e) => e.type === 'ADDED' && e.name === 'inf1', 'informer ADDED inf1');
      assert.equal(informer.get('inf1', NS)?.data?.k, 'v', 'informer cache does not hold inf1');

      await core.patchNamespacedConfigMap(
        { name: 'inf1', namespace: NS, body: { data: { k: 'v2' } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
      await log.waitFor((e) => e.type === 'MODIFIED' && e.name === 'inf1', 'informer MODIFIED inf1');

      await core.deleteNamespacedConfigMap({ name: 'inf1', namespace: NS });
      await log.waitFor((e) => e.type === 'DELETED' && e.name === 'inf1', 'informer DELETED inf1');
      assert.equal(informer.get('inf1', NS), undefined, 'informer cache still holds inf1 after deletion');
      assert.deepEqual(errors, [], `informer reported errors: ${errors.map(String).join('; ')}`);
    } finally {
      await informer.stop();
    }
  });

  test('Watch streams ADDED, MODIFIED and DELETED events', async () => {
    const list = await core.listNamespacedConfigMap({ namespace: NS });
    const log = new EventLog<{ type: string; name: string | undefined; rv: string | undefined }>();
    let doneErr: unknown = 'not done';
    const watch = new k8s.Watch(kc);
    const ctl = await within(
      watch.watch(
        `/api/v1/namespaces/${NS}/configmaps`,
        { resourceVersion: list.metadata?.resourceVersion, allowWatchBookmarks: true },
        (type, obj: k8s.V1ConfigMap) => log.push({ type, name: obj.metadata?.name, rv: obj.metadata?.resourceVersion }),
        (err) => (doneErr = err),
      ),
      10_000,
      'the watch request to be answered',
    );
    try {
      await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'w1' }, data: { x: '1' } } });
      const added = await log.waitFor((e) => e.type === 'ADDED' && e.name === 'w1', 'watch ADDED w1');
      await core.replaceNamespacedConfigMap({ name: 'w1', namespace: NS, body: { metadata: { name: 'w1' }, data: { x: '2' } } });
      const modified = await log.waitFor((e) => e.type === 'MODIFIED' && e.name === 'w1', 'watch MODIFIED w1');
      assert.ok(Number(modified.rv) > Number(added.rv), `resourceVersion did not grow: ${added.rv} -> ${modified.rv}`);
      await core.deleteNamespacedConfigMap({ name: 'w1', namespace: NS });
      await log.waitFor((e) => e.type === 'DELETED' && e.name === 'w1', 'watch DELETED w1');
      assert.equal(doneErr, 'not done', `watch ended early: ${String(doneErr)}`);
    } finally {
      ctl.abort();
    }
  });

  test('a missing object surfaces as an ApiException with code 404 and a NotFound Status', async () => {
    await assert.rejects(core.readNamespacedConfigMap({ name: 'nope', namespace: NS }), (e: unknown) => {
      assert.ok(e instanceof k8s.ApiException, `expected ApiException, got ${String(e)}`);
      assert.equal(e.code, 404);
      const body = (typeof e.body === 'string' ? JSON.parse(e.body) : e.body) as { kind?: string; reason?: string; code?: number; details?: { name?: string } };
      assert.equal(body.kind, 'Status');
      assert.equal(body.reason, 'NotFound');
      assert.equal(body.code, 404);
      assert.equal(body.details?.name, 'nope');
      return true;
    });
    await assert.rejects(apps.readNamespacedDeployment({ name: 'nope', namespace: NS }), (e: unknown) => e instanceof k8s.ApiException && e.code === 404);
  });

  // Runs last: it restarts the server.
  test('after a restart, an informer resuming from an old resourceVersion gets 410 Gone, relists and catches up', async () => {
    const path = `/api/v1/namespaces/${NS}/configmaps`;
    const informer = k8s.makeInformer<k8s.V1ConfigMap>(kc, path, () => core.listNamespacedConfigMap({ namespace: NS }));
    const log = new EventLog<{ type: string; name: string | undefined }>();
    const errors: unknown[] = [];
    informer.on('add', (o) => log.push({ type: 'ADDED', name: o.metadata?.name }));
    informer.on('delete', (o) => log.push({ type: 'DELETED', name: o.metadata?.name }));
    informer.on('error', (e) => errors.push(e));
    try {
      await within(informer.start(), 10_000, 'informer.start()');
      await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'keep' } } });
      const gone = await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'gone' } } });
      await log.waitFor((e) => e.type === 'ADDED' && e.name === 'gone', 'informer ADDED gone');
      // The informer resumes from the last resourceVersion it saw: this one.
      const staleRv = gone.metadata?.resourceVersion;
      await informer.stop();

      // Changes the informer misses, then a restart: the new watch cache starts
      // after them, so resuming from staleRv is too old.
      await core.deleteNamespacedConfigMap({ name: 'gone', namespace: NS });
      await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'new' } } });
      await within(c.kill9().then(() => c.restart()), 15_000, 'the server to restart');

      // The server itself answers a watch from staleRv with an ERROR event carrying 410 and ends the stream.
      const raw = new EventLog<{ type: string; code: number | undefined; reason: string | undefined }>();
      let ended = false;
      await new k8s.Watch(kc).watch(path, { resourceVersion: staleRv }, (type, obj: k8s.V1Status) => raw.push({ type, code: obj.code, reason: obj.reason }), () => (ended = true));
      const err = await raw.waitFor((e) => e.type === 'ERROR', `an ERROR event for a watch from resourceVersion ${staleRv}`);
      assert.deepEqual(err, { type: 'ERROR', code: 410, reason: 'Expired' });
      await within(
        (async () => {
          while (!ended) await new Promise((r) => setTimeout(r, 50));
        })(),
        5_000,
        'the server to end the watch stream after the 410 ERROR event',
      );

      errors.length = 0;
      await within(informer.start(), 10_000, 'informer.start() after the restart');
      await log.waitFor((e) => e.type === 'DELETED' && e.name === 'gone', 'informer DELETED gone after relisting');
      await log.waitFor((e) => e.type === 'ADDED' && e.name === 'new', 'informer ADDED new after relisting');
      assert.deepEqual(informer.list(NS).map((o) => o.metadata?.name).sort(), ['keep', 'new']);
      assert.deepEqual(errors, [], `informer reported errors: ${errors.map(String).join('; ')}`);
    } finally {
      await informer.stop();
    }
  });
});
