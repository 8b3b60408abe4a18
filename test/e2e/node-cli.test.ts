/**
 * The seed's fluentd DaemonSet follows `skiff node add` and `skiff node rm`, run as
 * the real CLI against a running `skiff up`, as the README walks through: one Running
 * pod per node, a fourth for node-4, back to three when it goes, none once
 * `kubectl delete ds` has run. Every wait is bounded.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { Client } from '../../src/client/client.js';
import { findKubectl, startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { eventually } from '../helpers/eventually.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const SEED = new URL('../fixtures/seeds/fluentd-elasticsearch-ds.yaml', import.meta.url).pathname;
const kubectlPath = findKubectl();

/** Runs `skiff <args>` from the sources, as `node bin/skiff.js <args>` runs the build. */
function skiff(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args], { cwd: ROOT, timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

interface PodView {
  node: string;
  phase: string;
}

describe('skiff node add / rm with the seed fluentd DaemonSet', { skip: kubectlPath ? false : 'kubectl is not installed' }, () => {
  let c: TestCluster;

  before(async () => {
    c = await startTestCluster();
  });
  after(async () => {
    await c?.stop();
  });

  const fluentdPods = async (): Promise<PodView[]> => {
    const r = await c.kubectl(['get', 'pods', '-n', 'kube-system', '-l', 'name=fluentd-elasticsearch', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const items = (JSON.parse(r.stdout) as { items: Array<{ spec: { nodeName?: string }; status: { phase?: string }; metadata: { deletionTimestamp?: string } }> }).items;
    return items.filter((p) => !p.metadata.deletionTimestamp).map((p) => ({ node: p.spec.nodeName ?? '', phase: p.status.phase ?? '' }));
  };
  /** The nodes that have a Running fluentd pod, sorted, when every pod is Running and there are `n`. */
  const runningOn = async (n: number): Promise<string[] | undefined> => {
    const pods = await fluentdPods();
    if (pods.length !== n || pods.some((p) => p.phase !== 'Running')) return undefined;
    return pods.map((p) => p.node).sort();
  };

  test('one Running pod per node; node add gives node-4 its pod, node rm takes it away, delete ds removes all', async (t) => {
    const applied = await c.kubectl(['apply', '-f', SEED]);
    assert.equal(applied.code, 0, applied.stderr);
    assert.deepEqual(await eventually('a Running fluentd pod on each of the 3 nodes', () => runningOn(3)), ['node-1', 'node-2', 'node-3']);

    // Watches time the Node's creation and its daemon pod turning Running, as they happen.
    const client = await Client.fromKubeconfig(c.kubeconfig);
    const watching = new AbortController();
    const seen: { nodeAdded?: number; podRunning?: number } = {};
    const watches = [
      client.resource('', 'v1', 'nodes').watch(undefined, { fieldSelector: 'metadata.name=node-4' }, (ev) => {
        if (ev.type === 'ADDED') seen.nodeAdded ??= performance.now();
      }, watching.signal),
      client.resource<Pod>('', 'v1', 'pods').watch('kube-system', { labelSelector: 'name=fluentd-elasticsearch' }, (ev) => {
        if (ev.object.spec?.nodeName === 'node-4' && ev.object.status?.phase === 'Running') seen.podRunning ??= performance.now();
      }, watching.signal),
    ];
    try {
      const add = await skiff(['node', 'add', 'node-4', '--data-dir', c.dataDir, '--kubeconfig', c.kubeconfig]);
      assert.equal(add.code, 0, add.stderr);
      const ready = /^node\/node-4 added and Ready in (\d+) ms$/m.exec(add.stdout);
      assert.ok(ready, `skiff node add printed: ${add.stdout}`);
      assert.deepEqual(await eventually('a Running fluentd pod on node-4', () => runningOn(4)), ['node-1', 'node-2', 'node-3', 'node-4']);
      await eventually('the watches to see node-4 and its pod', () => seen.nodeAdded !== undefined && seen.podRunning !== undefined);
      t.diagnostic(`node-4 Ready ${ready[1]} ms after its Node was created; its daemon pod Running ${(seen.podRunning! - seen.nodeAdded!).toFixed(0)} ms after (--sim-ready-delay draws 0-500 ms of that)`);
    } finally {
      watching.abort();
      await Promise.allSettled(watches);
    }
    const ds = await c.kubectl(['get', 'ds', 'fluentd-elasticsearch', '-n', 'kube-system', '-o', 'jsonpath={.status.desiredNumberScheduled}']);
    assert.equal(ds.stdout, '4');

    const rm = await skiff(['node', 'rm', 'node-4', '--data-dir', c.dataDir, '--kubeconfig', c.kubeconfig]);
    assert.equal(rm.code, 0, rm.stderr);
    assert.match(rm.stdout, /^node\/node-4 removed$/m);
    assert.deepEqual(await eventually('node-4 and its daemon pod gone', () => runningOn(3)), ['node-1', 'node-2', 'node-3']);
    await eventually('desiredNumberScheduled back to 3', async () => {
      const r = await c.kubectl(['get', 'ds', 'fluentd-elasticsearch', '-n', 'kube-system', '-o', 'jsonpath={.status.desiredNumberScheduled}']);
      return r.stdout === '3';
    });

    const del = await c.kubectl(['delete', 'ds', 'fluentd-elasticsearch', '-n', 'kube-system']);
    assert.equal(del.code, 0, del.stderr);
    await eventually('every fluentd pod deleted', async () => (await fluentdPods()).length === 0);
  });
});
