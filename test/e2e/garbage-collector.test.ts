/**
 * The garbage collector against a real in-process cluster: Background, Orphan and
 * Foreground cascading deletion of ConfigMaps owned by ConfigMaps, a ReplicaSet →
 * Pod chain, and an object with two owners. Every wait is bounded.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { startCluster, type Cluster } from '../../src/cli/cluster.js';
import { isReason } from '../../src/api/errors.js';
import type { KubeObject, ResourceClient } from '../../src/client/client.js';
import { GarbageCollector } from '../../src/controllers/garbagecollector/index.js';
import { eventually } from '../helpers/eventually.js';

const NS = 'default';


async function getOrUndefined(rc: ResourceClient, name: string): Promise<KubeObject | undefined> {
  try {
    return await rc.get(NS, name);
  } catch (err) {
    if (isReason(err, 'NotFound')) return undefined;
    throw err;
  }
}

/** Resolves when the object is gone. */
function gone(rc: ResourceClient, name: string): Promise<true> {
  return eventually(`${rc.info.kind} ${name} to be deleted`, async () => ((await getOrUndefined(rc, name)) ? undefined : true));
}

function ownerRef(owner: KubeObject, extra: Partial<OwnerReference> = {}): OwnerReference {
  return { apiVersion: owner.apiVersion ?? 'v1', kind: owner.kind ?? 'ConfigMap', name: owner.metadata!.name!, uid: owner.metadata!.uid!, ...extra };
}

describe('garbage collector', () => {
  let cluster: Cluster;
  let dataDir: string;
  const stopGc = new AbortController();
  let gcDone: Promise<void>;
  let cms: ResourceClient;
  let pods: ResourceClient;
  let rss: ResourceClient;

  const cm = (name: string, owners: OwnerReference[] = []): Promise<KubeObject> =>
    cms.create(NS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ownerReferences: owners.length ? owners : undefined }, data: { k: 'v' } } as KubeObject);

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'skiff-gc-'));
    cluster = await startCluster({ dataDir, store: 'memory', port: 0, controllers: 'core' });
    cms = cluster.client.resource('', 'v1', 'configmaps');
    pods = cluster.client.resource('', 'v1', 'pods');
    rss = cluster.client.resource('apps', 'v1', 'replicasets');
    const gc = new GarbageCollector(cluster.client);
    gcDone = gc.start(stopGc.signal);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise((_r, reject) => (timer = setTimeout(() => reject(new Error('garbage collector did not sync within 10 s')), 10_000)));
    await Promise.race([gc.ready, timeout]).finally(() => clearTimeout(timer));
  });

  after(async () => {
    stopGc.abort();
    await gcDone?.catch(() => {});
    await cluster?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('Background: the dependent of a deleted owner is deleted', async () => {
    const owner = await cm('bg-owner');
    await cm('bg-dep', [ownerRef(owner)]);
    await cms.delete(NS, 'bg-owner', { propagationPolicy: 'Background' });
    await gone(cms, 'bg-owner');
    await gone(cms, 'bg-dep');
  });

  test('Orphan: the dependent stays without its reference, and the owner disappears', async () => {
    const owner = await cm('or-owner');
    const other = await cm('or-other');
    await cm('or-dep', [ownerRef(owner), ownerRef(other)]);
    const deleting = await cms.delete(NS, 'or-owner', { propagationPolicy: 'Orphan' });
    assert.deepEqual((deleting as KubeObject).metadata?.finalizers, ['orphan']);
    await gone(cms, 'or-owner');
    const dep = await cms.get(NS, 'or-dep');
    assert.deepEqual(dep.metadata?.ownerReferences?.map((r) => r.name), ['or-other'], 'only the orphaning owner’s reference is removed');
    await cms.delete(NS, 'or-other', { propagationPolicy: 'Orphan' });
    await gone(cms, 'or-other');
    const alone = await cms.get(NS, 'or-dep');
    assert.equal(alone.metadata?.ownerReferences, undefined, 'the dependent keeps living with no owner references');
  });

  test('Foreground: the owner stays deleting until its blocking dependent is gone', async () => {
    const owner = await cm('fg-owner');
    // A finalizer of our own keeps the dependent around, so the waiting owner can be observed.
    await cms.create(NS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'fg-dep', finalizers: ['example.com/hold'], ownerReferences: [ownerRef(owner, { blockOwnerDeletion: true })] } } as KubeObject);
    await cms.delete(NS, 'fg-owner', { propagationPolicy: 'Foreground' });
    const dep = await eventually('fg-dep to be marked for deletion', async () => {
      const d = await cms.get(NS, 'fg-dep');
      return d.metadata?.deletionTimestamp ? d : undefined;
    });
    assert.ok(dep.metadata?.deletionTimestamp);
    // The owner is still there, deleting, with the foreground finalizer.
    await new Promise((r) => setTimeout(r, 300));
    const waiting = await cms.get(NS, 'fg-owner');
    assert.ok(waiting.metadata?.deletionTimestamp, 'owner has a deletionTimestamp');
    assert.deepEqual(waiting.metadata?.finalizers, ['foregroundDeletion']);
    await cms.patch(NS, 'fg-dep', 'merge', { metadata: { finalizers: null } });
    await gone(cms, 'fg-dep');
    await gone(cms, 'fg-owner');
  });

  test('Foreground: a dependent that does not block is deleted too, and does not hold the owner', async () => {
    const owner = await cm('fg2-owner');
    await cm('fg2-dep', [ownerRef(owner, { blockOwnerDeletion: false })]);
    await cms.delete(NS, 'fg2-owner', { propagationPolicy: 'Foreground' });
    await gone(cms, 'fg2-owner');
    await gone(cms, 'fg2-dep');
  });

  describe('ReplicaSet → Pod', () => {
    const rs = (name: string): Promise<KubeObject> =>
      rss.create(NS, {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { name },
        spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'pause' }] } } },
      } as KubeObject);
    const pod = (name: string, owner: KubeObject, app: string): Promise<KubeObject> =>
      pods.create(NS, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, labels: { app }, ownerReferences: [ownerRef(owner, { apiVersion: 'apps/v1', kind: 'ReplicaSet', controller: true, blockOwnerDeletion: true })] },
        spec: { containers: [{ name: 'c', image: 'pause' }] },
      } as KubeObject);

    test('Background deletes the pod', async () => {
      const owner = await rs('rs-bg');
      await pod('rs-bg-pod', owner, 'rs-bg');
      await rss.delete(NS, 'rs-bg', { propagationPolicy: 'Background' });
      await gone(rss, 'rs-bg');
      await gone(pods, 'rs-bg-pod');
    });

    test('Orphan keeps the pod without its controller reference', async () => {
      const owner = await rs('rs-or');
      await pod('rs-or-pod', owner, 'rs-or');
      await rss.delete(NS, 'rs-or', { propagationPolicy: 'Orphan' });
      await gone(rss, 'rs-or');
      const p = await pods.get(NS, 'rs-or-pod');
      assert.equal(p.metadata?.ownerReferences, undefined);
      await pods.delete(NS, 'rs-or-pod');
    });

    test('Foreground deletes the pod first, then the ReplicaSet', async () => {
      const owner = await rs('rs-fg');
      await pod('rs-fg-pod', owner, 'rs-fg');
      const deleting = await rss.delete(NS, 'rs-fg', { propagationPolicy: 'Foreground' });
      assert.ok((deleting as KubeObject).metadata?.deletionTimestamp, 'the ReplicaSet waits for its pod');
      await gone(pods, 'rs-fg-pod');
      await gone(rss, 'rs-fg');
    });
  });

  test('an object with two owners keeps living with one reference when one owner is deleted', async () => {
    const a = await cm('two-a');
    const b = await cm('two-b');
    await cm('two-dep', [ownerRef(a), ownerRef(b)]);
    await cms.delete(NS, 'two-a', { propagationPolicy: 'Background' });
    await gone(cms, 'two-a');
    const dep = await eventually('two-dep to lose its reference to two-a', async () => {
      const d = await cms.get(NS, 'two-dep');
      return d.metadata?.ownerReferences?.length === 1 ? d : undefined;
    });
    assert.deepEqual(dep.metadata?.ownerReferences, [ownerRef(b)]);
    // And once the last owner goes, so does the dependent.
    await cms.delete(NS, 'two-b');
    await gone(cms, 'two-dep');
  });
});
