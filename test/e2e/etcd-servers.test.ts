/**
 * Two `skiff server` processes on one etcd: exactly one runs the controllers (it holds
 * the Lease kube-system/kube-controller-manager); when it is killed with SIGKILL, the
 * other takes the Lease once it expires and its controllers act. Skipped, saying why,
 * when etcd cannot be installed here.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { etcdUnavailable, startEtcd, type TestEtcd } from '../helpers/etcd.js';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { eventually } from '../helpers/eventually.js';

const why = etcdUnavailable();

describe('two skiff servers on one etcd', { skip: why ?? false, timeout: 180_000 }, () => {
  let etcd: TestEtcd;
  let a: TestCluster;
  let b: TestCluster;
  const args = (): string[] => ['--cluster-dns', 'off'];
  before(async () => {
    etcd = await startEtcd();
    a = await startTestCluster({ command: 'server', store: etcd.url, extraArgs: args(), timeoutMs: 30_000 });
    b = await startTestCluster({ command: 'server', store: etcd.url, extraArgs: args(), timeoutMs: 30_000 });
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await etcd?.stop();
  });

  const holder = async (c: TestCluster): Promise<string> => {
    const r = await c.kubectl(['get', 'lease', '-n', 'kube-system', 'kube-controller-manager', '-o', 'jsonpath={.spec.holderIdentity}']);
    return r.code === 0 ? r.stdout.trim() : '';
  };

  test('one leader; SIGKILL hands control to the other within the Lease duration', async () => {
    const first = await eventually('a leader', async () => (await holder(b)) || undefined, 20_000);
    // The leader is the server that started first (the other found the Lease held).
    assert.equal(first, await holder(a), 'both servers see the same Lease');
    await a.kubectl(['create', 'deployment', 'before', '--image=pause']);
    await eventually('the leader’s controllers make the ReplicaSet', async () => ((await b.kubectl(['get', 'rs', '-l', 'app=before', '-o', 'name'])).stdout.trim() || undefined), 20_000);
    await a.kill9();
    const t0 = Date.now();
    const next = await eventually('a new leader', async () => {
      const h = await holder(b);
      return h && h !== first ? h : undefined;
    }, 40_000);
    const handover = (Date.now() - t0) / 1000;
    console.log(`leader ${first} killed; ${next} took over in ${handover.toFixed(1)} s (Lease duration 15 s)`);
    assert.ok(handover < 25, `handover took ${handover} s`);
    await b.kubectl(['create', 'deployment', 'after', '--image=pause']);
    await eventually('the new leader’s controllers act', async () => ((await b.kubectl(['get', 'rs', '-l', 'app=after', '-o', 'name'])).stdout.trim() || undefined), 20_000);
  });
});
