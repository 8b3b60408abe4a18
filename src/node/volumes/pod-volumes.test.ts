import { test, describe, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigMap, Pod, Secret } from 'kubernetes-types/core/v1.js';
import { Client } from '../../client/client.js';
import { FakeTransport, jsonResponse } from '../../client/testing.js';
import type { Cluster } from '../../cli/cluster.js';
import { mountNamespaceSupport, wrapWithMounts } from './mount-namespace.js';
import { preparePodVolumes } from './pod-volumes.js';
import { VolumeError } from './volume-error.js';

const base = realpathSync(mkdtempSync(join(tmpdir(), 'skiff-podvol-')));
after(() => rmSync(base, { recursive: true, force: true }));
const CLUSTER_DNS = { nameserver: '127.96.0.10', searches: [], options: [] };

/** A client answering GETs from `objects` (keyed by URL path) and 404 otherwise. */
function fakeClient(objects: Map<string, unknown>): Client {
  const t = new FakeTransport();
  t.onRequest = (req) => {
    const o = objects.get(req.path);
    if (o) return jsonResponse(200, o);
    const name = req.path.split('/').pop();
    return jsonResponse(404, { kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404, message: `"${name}" not found` });
  };
  return new Client(t);
}

const cmPath = (name: string) => `/api/v1/namespaces/shop/configmaps/${name}`;
const secretPath = (name: string) => `/api/v1/namespaces/shop/secrets/${name}`;

function newPod(spec: Partial<NonNullable<Pod['spec']>>, labels: Record<string, string> = { app: 'web' }): Pod {
  return {
    metadata: { name: 'web-0', namespace: 'shop', uid: `uid-${Math.random().toString(36).slice(2)}`, labels },
    spec: { nodeName: 'node-1', containers: [{ name: 'app', image: 'x' }], ...spec },
  };
}

function dirs(): { podDir: string; nodeRoot: string } {
  const d = mkdtempSync(join(base, 'case-'));
  return { podDir: join(d, 'pod'), nodeRoot: join(d, 'nodes/node-1') };
}

function stored(): Map<string, unknown> {
  const cm: ConfigMap = { metadata: { name: 'app', namespace: 'shop' }, data: { 'app.conf': 'x=1', other: 'y' } };
  const secret: Secret = { metadata: { name: 'creds', namespace: 'shop' }, data: { password: Buffer.from('hunter2').toString('base64'), user: Buffer.from('admin').toString('base64') } };
  return new Map<string, unknown>([
    [cmPath('app'), cm],
    [secretPath('creds'), secret],
  ]);
}

describe('preparePodVolumes', () => {
  test('projects configMap and secret keys with items and modes, mounted read-only', async () => {
    const objects = stored();
    const pod = newPod({
      volumes: [
        { name: 'config', configMap: { name: 'app', defaultMode: 0o640, items: [{ key: 'app.conf', path: 'conf/app.conf' }, { key: 'other', path: 'o', mode: 0o600 }] } },
        { name: 'creds', secret: { secretName: 'creds', defaultMode: 0o400 } },
        { name: 'scratch', emptyDir: { medium: 'Memory' } },
      ],
      containers: [
        {
          name: 'app',
          image: 'x',
          volumeMounts: [
            { name: 'config', mountPath: '/etc/app' },
            { name: 'creds', mountPath: '/secrets', readOnly: false },
            { name: 'scratch', mountPath: '/scratch' },
          ],
        },
      ],
    });
    const { podDir, nodeRoot } = dirs();
    const v = await preparePodVolumes(pod, { podDir, nodeRoot, client: fakeClient(objects), podIP: '127.128.1.5', clusterDNS: CLUSTER_DNS });
    const cmDir = join(podDir, 'volumes/kubernetes.io~configmap/config');
    assert.equal(readFileSync(join(cmDir, 'conf/app.conf'), 'utf8'), 'x=1');
    assert.equal(statSync(join(cmDir, 'conf/app.conf')).mode & 0o777, 0o640);
    assert.equal(statSync(join(cmDir, 'o')).mode & 0o777, 0o600);
    assert.equal(readlinkSync(join(cmDir, 'conf')), '..data/conf');
    const secretDir = join(podDir, 'volumes/kubernetes.io~secret/creds');
    assert.equal(readFileSync(join(secretDir, 'password'), 'utf8'), 'hunter2');
    assert.equal(statSync(join(secretDir, 'user')).mode & 0o777, 0o400);
    const emptyDir = join(podDir, 'volumes/kubernetes.io~empty-dir/scratch');
    assert.equal(statSync(emptyDir).mode & 0o777, 0o777);

    assert.deepEqual(v.planFor('app'), {
      mounts: [
        { source: cmDir, target: '/etc/app', readOnly: true },
        { source: secretDir, target: '/secrets', readOnly: true },
        { source: emptyDir, target: '/scratch', readOnly: false },
      ],
      scratchDir: join(podDir, 'mnt-root'),
      etcHosts: join(podDir, 'etc-hosts'),
      resolvConf: join(podDir, 'resolv.conf'),
    });
    assert.match(readFileSync(join(podDir, 'etc-hosts'), 'utf8'), /\n127\.128\.1\.5\tweb-0\n$/);
    assert.equal(
      readFileSync(join(podDir, 'resolv.conf'), 'utf8').split('\n')[0],
      'search shop.svc.cluster.local svc.cluster.local cluster.local' + readFileSync('/etc/resolv.conf', 'utf8').split('\n').filter((l) => l.startsWith('search ')).map((l) => ` ${l.slice(7).trim()}`).join(''),
    );
    await v.cleanup();
    assert.equal(existsSync(join(podDir, 'volumes')), false);
    assert.equal(existsSync(join(podDir, 'etc-hosts')), false);
  });

  const failures: Array<{ name: string; volume: NonNullable<Pod['spec']>['volumes']; message: string | RegExp }> = [
    { name: 'missing configmap', volume: [{ name: 'config', configMap: { name: 'missing' } }], message: 'MountVolume.SetUp failed for volume "config" : configmap "missing" not found' },
    { name: 'missing secret', volume: [{ name: 'creds', secret: { secretName: 'missing' } }], message: 'MountVolume.SetUp failed for volume "creds" : secret "missing" not found' },
    {
      name: 'missing key',
      volume: [{ name: 'config', configMap: { name: 'app', items: [{ key: 'nope', path: 'n' }] } }],
      message: 'MountVolume.SetUp failed for volume "config" : configmap references non-existent config key: nope',
    },
    { name: 'hostPath `..`', volume: [{ name: 'h', hostPath: { path: '/var/../../etc' } }], message: "MountVolume.SetUp failed for volume \"h\" : invalid HostPath `/var/../../etc`: must not contain '..'" },
    { name: 'hostPath type', volume: [{ name: 'h', hostPath: { path: '/nope', type: 'Directory' } }], message: "MountVolume.SetUp failed for volume \"h\" : hostPath /nope doesn't exist" },
    { name: 'unsupported type', volume: [{ name: 'data', persistentVolumeClaim: { claimName: 'c' } }], message: /volume type persistentVolumeClaim is not supported by skiff's process runtime/ },
  ];
  for (const f of failures) {
    test(`fails with a kubelet-style VolumeError: ${f.name}`, async () => {
      const { podDir, nodeRoot } = dirs();
      const err = await preparePodVolumes(newPod({ volumes: f.volume }), { podDir, nodeRoot, client: fakeClient(stored()), podIP: '127.128.1.5' }).catch((e: unknown) => e);
      assert.ok(err instanceof VolumeError, String(err));
      assert.equal(err.reason, 'FailedMount');
      if (typeof f.message === 'string') assert.equal(err.message, f.message);
      else assert.match(err.message, f.message);
    });
  }

  test('optional sources that do not exist give empty volumes', async () => {
    const { podDir, nodeRoot } = dirs();
    const pod = newPod({ volumes: [{ name: 'c', configMap: { name: 'missing', optional: true } }, { name: 's', secret: { secretName: 'missing', optional: true } }] });
    await preparePodVolumes(pod, { podDir, nodeRoot, client: fakeClient(stored()), podIP: '127.128.1.5' });
    assert.ok(lstatSync(join(podDir, 'volumes/kubernetes.io~configmap/c/..data')).isSymbolicLink());
  });

  test('refresh swaps ..data when the configMap changes and keeps the files when it disappears', async () => {
    const objects = stored();
    const { podDir, nodeRoot } = dirs();
    const pod = newPod({ volumes: [{ name: 'config', configMap: { name: 'app' } }] });
    const v = await preparePodVolumes(pod, { podDir, nodeRoot, client: fakeClient(objects), podIP: '127.128.1.5' });
    const dir = join(podDir, 'volumes/kubernetes.io~configmap/config');
    const first = readlinkSync(join(dir, '..data'));
    objects.set(cmPath('app'), { metadata: { name: 'app', namespace: 'shop' }, data: { 'app.conf': 'x=2' } });
    await v.refresh();
    assert.notEqual(readlinkSync(join(dir, '..data')), first);
    assert.equal(readFileSync(join(dir, 'app.conf'), 'utf8'), 'x=2');
    assert.equal(existsSync(join(dir, 'other')), false, 'a removed key disappears');

    objects.delete(cmPath('app'));
    await assert.rejects(v.refresh(), /configmap "app" not found/);
    assert.equal(readFileSync(join(dir, 'app.conf'), 'utf8'), 'x=2', 'a failed refresh keeps the old content');
  });

  test('downwardAPI and projected volumes follow label changes on refresh', async () => {
    const objects = stored();
    const { podDir, nodeRoot } = dirs();
    const pod = newPod({
      volumes: [
        { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }, { path: 'mem', resourceFieldRef: { containerName: 'app', resource: 'limits.memory', divisor: '1Mi' } }] } },
        { name: 'all', projected: { sources: [{ configMap: { name: 'app', items: [{ key: 'other', path: 'other' }] } }, { downwardAPI: { items: [{ path: 'name', fieldRef: { fieldPath: 'metadata.name' } }] } }, { serviceAccountToken: { path: 'token' } }] } },
      ],
    });
    objects.set('/api/v1/nodes/node-1', { metadata: { name: 'node-1' }, status: { allocatable: { memory: '2Gi', cpu: '2' } } });
    const v = await preparePodVolumes(pod, { podDir, nodeRoot, client: fakeClient(objects), podIP: '127.128.1.5' });
    const info = join(podDir, 'volumes/kubernetes.io~downward-api/info');
    assert.equal(readFileSync(join(info, 'labels'), 'utf8'), 'app="web"');
    assert.equal(readFileSync(join(info, 'mem'), 'utf8'), '2048', 'an unset limit reads the node allocatable');
    const all = join(podDir, 'volumes/kubernetes.io~projected/all');
    assert.equal(readFileSync(join(all, 'other'), 'utf8'), 'y');
    assert.equal(readFileSync(join(all, 'name'), 'utf8'), 'web-0');
    assert.match(readFileSync(join(all, 'token'), 'utf8'), /^eyJ/);

    objects.set('/api/v1/namespaces/shop/pods/web-0', { ...pod, metadata: { ...pod.metadata, labels: { app: 'web', tier: 'front' } } });
    await v.refresh();
    assert.equal(readFileSync(join(info, 'labels'), 'utf8'), 'app="web"\ntier="front"');
  });

  test('hostPath resolves inside the node tree; subPath and subPathExpr resolve inside their volume', async () => {
    const objects = stored();
    const { podDir, nodeRoot } = dirs();
    const pod = newPod({
      volumes: [
        { name: 'logs', hostPath: { path: '/var/log', type: 'DirectoryOrCreate' } },
        { name: 'config', configMap: { name: 'app' } },
        { name: 'work', emptyDir: {} },
      ],
      containers: [
        {
          name: 'app',
          image: 'x',
          env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
          volumeMounts: [
            { name: 'logs', mountPath: '/var/log' },
            { name: 'config', mountPath: '/etc/app.conf', subPath: 'app.conf' },
            { name: 'work', mountPath: '/work', subPathExpr: 'pods/$(POD_NAME)' },
          ],
        },
        { name: 'bad', image: 'x', volumeMounts: [{ name: 'work', mountPath: '/w', subPath: 'evil/x' }] },
        { name: 'ghost', image: 'x', volumeMounts: [{ name: 'nope', mountPath: '/n' }] },
      ],
    });
    const v = await preparePodVolumes(pod, { podDir, nodeRoot, client: fakeClient(objects), podIP: '127.128.1.5' });
    const plan = v.planFor('app');
    const realNode = realpathSync(nodeRoot);
    assert.equal(plan.mounts[0]!.source, join(realNode, 'var/log'));
    assert.match(plan.mounts[1]!.source, /kubernetes\.io~configmap\/config\/\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\.\w+\/app\.conf$/, 'a configMap subPath pins the current file');
    assert.equal(plan.mounts[1]!.readOnly, true);
    assert.equal(plan.mounts[2]!.source, join(realpathSync(podDir), 'volumes/kubernetes.io~empty-dir/work/pods/web-0'));
    assert.ok(statSync(plan.mounts[2]!.source).isDirectory(), 'a missing subPath is created as a directory');

    symlinkSync('/etc', join(podDir, 'volumes/kubernetes.io~empty-dir/work/evil'));
    assert.throws(() => v.planFor('bad'), (e: unknown) => e instanceof VolumeError && e.reason === 'CreateContainerConfigError' && /outside the volume/.test(e.message));
    assert.equal(existsSync('/etc/x'), false);
    assert.throws(() => v.planFor('ghost'), /cannot find volume "nope" to mount into container "ghost"/);
    assert.throws(() => v.planFor('nobody'), /container "nobody" not found in pod shop\/web-0/);
  });

  test('a container mounting its own /etc/hosts does not get the generated one', async () => {
    const { podDir, nodeRoot } = dirs();
    const pod = newPod({ volumes: [{ name: 'h', hostPath: { path: '/etc/hosts', type: 'FileOrCreate' } }], containers: [{ name: 'app', image: 'x', volumeMounts: [{ name: 'h', mountPath: '/etc/hosts' }] }] });
    const v = await preparePodVolumes(pod, { podDir, nodeRoot, client: fakeClient(stored()), podIP: '127.128.1.5' });
    const plan = v.planFor('app');
    assert.equal(plan.etcHosts, undefined);
    assert.equal(plan.resolvConf, join(podDir, 'resolv.conf'));
  });

  test('without clusterDNS, ClusterFirst falls back to the host resolv.conf with a MissingClusterDNS warning', async () => {
    const { podDir, nodeRoot } = dirs();
    const hostResolv = join(podDir, '..', 'host-resolv.conf');
    mkdirSync(join(podDir, '..'), { recursive: true });
    writeFileSync(hostResolv, 'nameserver 10.9.9.9\nsearch corp\n');
    const v = await preparePodVolumes(newPod({}), { podDir, nodeRoot, client: fakeClient(stored()), podIP: '127.128.1.5', hostResolvConf: hostResolv });
    assert.equal(readFileSync(join(podDir, 'resolv.conf'), 'utf8'), 'search corp\nnameserver 10.9.9.9\n');
    assert.deepEqual(v.events.map((e) => e.reason), ['MissingClusterDNS']);
  });
});

describe('preparePodVolumes against a real API server', () => {
  let cluster: Cluster;
  before(async () => {
    // Imported here so the rest of this file does not depend on the whole cluster wiring loading.
    const { startCluster } = await import('../../cli/cluster.js');
    cluster = await startCluster({ dataDir: mkdtempSync(join(base, 'cluster-')), store: 'memory', port: 0, controllers: 'core', nodes: 0 });
  });
  after(async () => {
    await cluster?.stop();
  });

  test('secret stringData and configMap binaryData arrive as files', async () => {
    await cluster.client.resource('', 'v1', 'namespaces').create(undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } }).catch(() => {});
    await cluster.client.resource('', 'v1', 'secrets').create('shop', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db' }, stringData: { password: 's3cret' } } as Secret);
    await cluster.client.resource('', 'v1', 'configmaps').create('shop', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'bin' }, binaryData: { blob: Buffer.from([1, 2, 3]).toString('base64') } } as ConfigMap);
    const { podDir, nodeRoot } = dirs();
    const pod = newPod({ volumes: [{ name: 's', secret: { secretName: 'db', items: [{ key: 'password', path: 'pw', mode: 0o400 }] } }, { name: 'b', configMap: { name: 'bin' } }] });
    await preparePodVolumes(pod, { podDir, nodeRoot, client: cluster.client, podIP: '127.128.1.5' });
    assert.equal(readFileSync(join(podDir, 'volumes/kubernetes.io~secret/s/pw'), 'utf8'), 's3cret');
    assert.equal(statSync(join(podDir, 'volumes/kubernetes.io~secret/s/pw')).mode & 0o777, 0o400);
    assert.deepEqual([...readFileSync(join(podDir, 'volumes/kubernetes.io~configmap/b/blob'))], [1, 2, 3]);
    const err = await preparePodVolumes(newPod({ volumes: [{ name: 'x', configMap: { name: 'absent' } }] }), { podDir, nodeRoot, client: cluster.client, podIP: '127.128.1.5' }).catch((e: unknown) => e);
    assert.equal((err as Error).message, 'MountVolume.SetUp failed for volume "x" : configmap "absent" not found');
  });
});

describe('a process pod sees its volumes through wrapWithMounts', () => {
  const support = mountNamespaceSupport();
  const skip = support.ok ? false : `mount namespaces unavailable: ${support.reason}`;
  if (skip) console.log(`# skipping the real mount test: ${skip}`);

  test("sh -c 'cat /etc/resolv.conf; ls /var/log/pods; cat /config/key' sees the pod's files, the host's stay untouched", { skip }, async () => {
    const objects = stored();
    objects.set(cmPath('cfg'), { metadata: { name: 'cfg', namespace: 'shop' }, data: { key: 'value-from-configmap' } });
    const { podDir, nodeRoot } = dirs();
    const logDir = join(nodeRoot, 'var/log/pods/shop_web-0_uid/app');
    mkdirSync(logDir, { recursive: true });
    writeFileSync(join(logDir, '0.log'), '');
    const pod = newPod({
      volumes: [
        { name: 'config', configMap: { name: 'cfg' } },
        { name: 'varlog', hostPath: { path: '/var/log' } },
      ],
      containers: [{ name: 'app', image: 'x', volumeMounts: [{ name: 'config', mountPath: '/config' }, { name: 'varlog', mountPath: '/var/log', readOnly: true }] }],
    });
    const hostResolvBefore = readFileSync('/etc/resolv.conf', 'utf8');
    const hostPodsExisted = existsSync('/var/log/pods');
    const v = await preparePodVolumes(pod, { podDir, nodeRoot, client: fakeClient(objects), podIP: '127.128.1.5', clusterDNS: CLUSTER_DNS });
    const w = wrapWithMounts(v.planFor('app'), ['sh', '-c', 'cat /etc/resolv.conf; ls /var/log/pods; cat /config/key; echo; cat /etc/hosts | tail -n 1']);
    assert.ok('argv' in w, 'error' in w ? w.error : '');
    const r = spawnSync(w.argv[0]!, w.argv.slice(1), { timeout: 20_000 });
    assert.equal(r.status, 0, r.stderr.toString());
    const lines = r.stdout.toString().split('\n');
    assert.match(lines[0]!, /^search shop\.svc\.cluster\.local svc\.cluster\.local cluster\.local/);
    assert.equal(lines[1], 'nameserver 127.96.0.10');
    assert.equal(lines[2], 'options ndots:5');
    assert.equal(lines[3], 'shop_web-0_uid');
    assert.equal(lines[4], 'value-from-configmap');
    assert.equal(lines[5], '127.128.1.5\tweb-0');

    assert.equal(readFileSync('/etc/resolv.conf', 'utf8'), hostResolvBefore, "the host's resolv.conf is untouched");
    assert.equal(existsSync('/config'), false, 'no /config was created on the host');
    assert.equal(existsSync('/var/log/pods'), hostPodsExisted, "the host's /var/log is untouched");
    await v.cleanup();
  });
});
