import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { LeaderElector } from '../../src/controllers/runtime/index.js';
import { startCluster, type Cluster } from '../../src/cli/cluster.js';
import { eventually } from '../helpers/eventually.js';

describe('two candidates on one API server', () => {
  let cluster: Cluster;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-leader-'));
    cluster = await startCluster({ dataDir: dir, store: 'memory', port: 0, controllers: 'core' });
  });
  after(async () => {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('exactly one leads; when it stops, it releases the lease and the other takes over', async () => {
    const cfg = { namespace: 'kube-system', name: 'test-election', leaseDurationSeconds: 2, renewDeadlineSeconds: 1.5, retryPeriodSeconds: 0.1 };
    const leading = new Set<string>();
    const stopA = new AbortController();
    const stopB = new AbortController();
    const run = (id: string, stop: AbortController): Promise<void> =>
      new LeaderElector(cluster.client, { ...cfg, identity: id }).run(
        stop.signal,
        (s) =>
          new Promise<void>((r) => {
            leading.add(id);
            s.addEventListener('abort', () => (leading.delete(id), r()), { once: true });
          }),
        () => assert.fail(`${id} lost its lease`),
      );
    const a = run('a', stopA);
    await eventually('a leads', async () => leading.has('a'), 5000);
    const b = run('b', stopB);
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual([...leading], ['a'], 'b waits while a renews');
    stopA.abort();
    await a;
    await eventually('b leads after a released the lease', async () => leading.has('b'), 5000);
    const l = await cluster.client.resource<Lease>('coordination.k8s.io', 'v1', 'leases').get('kube-system', 'test-election');
    assert.equal(l.spec?.holderIdentity, 'b');
    assert.equal(l.spec?.leaseTransitions, 0, 'taking a released lease is not a transition');
    stopB.abort();
    await b;
  });

  test('the cluster runs its controllers under the kube-controller-manager lease', async () => {
    await eventually('kube-controller-manager lease held', async () => {
      try {
        const l = await cluster.client.resource<Lease>('coordination.k8s.io', 'v1', 'leases').get('kube-system', 'kube-controller-manager');
        return !!l.spec?.holderIdentity?.startsWith('skiff_');
      } catch {
        return false;
      }
    }, 5000);
  });
});
