import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { PodGCController } from '../../src/controllers/podgc/index.js';
import { newControllerContext } from '../../src/controllers/runtime/index.js';
import { startCluster, type Cluster } from '../../src/cli/cluster.js';
import { eventually } from '../helpers/eventually.js';

describe('pod garbage collector', () => {
  let cluster: Cluster;
  let dir: string;
  const stop = new AbortController();
  let gc: PodGCController;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-podgc-'));
    cluster = await startCluster({ dataDir: dir, store: 'memory', port: 0, controllers: 'core' });
    const ctx = newControllerContext(cluster.client);
    gc = new PodGCController(ctx, { quarantineMs: 0, periodMs: 3_600_000, terminatedPodThreshold: 2 });
    void ctx.informers.start(stop.signal);
    await ctx.informers.synced();
  });
  after(async () => {
    stop.abort();
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const pods = () => cluster.client.resource<Pod>('', 'v1', 'pods');
  const mkPod = async (name: string, nodeName?: string, phase?: string): Promise<void> => {
    await pods().create('default', { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'c', image: 'pause' }] } });
    if (phase) await pods().patch('default', name, 'merge', { status: { phase } }, { subresource: 'status' });
  };
  const names = async (): Promise<string[]> => (await pods().list('default')).items.map((p) => p.metadata!.name!).sort();

  test('orphans of a vanished node are marked Failed with DisruptionTarget and deleted; terminated pods over the threshold go oldest first', async () => {
    await mkPod('orphan', 'no-such-node', 'Running');
    for (const n of ['done-1', 'done-2', 'done-3']) await mkPod(n, 'no-such-node-either', 'Succeeded');
    await eventually('the informer sees the pods', async () => ((gc as unknown as { pods: { indexer: { list(): Pod[] } } }).pods.indexer.list().length >= 4 ? true : undefined), 5000);
    await gc.gc(); // first sight of the orphans starts their quarantine; the threshold trims one terminated pod
    assert.deepEqual(await names(), ['done-2', 'done-3', 'orphan']);
    await gc.gc(); // quarantine (0 ms) is over: the orphans are confirmed with a GET and collected
    await eventually('orphans gone', async () => ((await names()).length === 0 ? true : undefined), 5000);
  });
});
