/**
 * `skiff up --sim-ready-delay`: pods on simulated nodes turn Ready only after the delay,
 * and a malformed value stops `skiff up` before anything starts, naming the flag.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { Client } from '../../src/client/client.js';
import { isPodReady } from '../../src/controllers/daemonset/pods.js';
import { HttpTransport } from '../../src/client/transport.js';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { eventually } from '../helpers/eventually.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const DELAY_MS = 1500;
let c: TestCluster;

before(async () => {
  c = await startTestCluster({ store: 'memory', extraArgs: ['--nodes', '1', '--cluster-dns', 'off', '--sim-ready-delay', String(DELAY_MS)] });
});
after(async () => {
  await c?.stop();
});

test('a pod on a simulated node turns Ready after --sim-ready-delay, not before', { timeout: 30_000 }, async () => {
  const pods = new Client(new HttpTransport({ server: c.url })).resource<Pod>('', 'v1', 'pods');
  const t0 = Date.now();
  await pods.create('default', { metadata: { name: 'slow' }, spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10' }] } });
  // Well inside the delay the pod is accepted by its node but not Ready.
  await new Promise((r) => setTimeout(r, DELAY_MS / 3));
  assert.equal(isPodReady(await pods.get('default', 'slow')), false, `Ready after ${Date.now() - t0} ms, before the ${DELAY_MS} ms delay`);
  const p = await eventually('pod slow Ready', async () => {
    const p = await pods.get('default', 'slow');
    return isPodReady(p) ? p : undefined;
  }, 15_000);
  const elapsed = Date.now() - t0;
  assert.ok(elapsed >= DELAY_MS, `Ready after ${elapsed} ms, the delay is ${DELAY_MS} ms`);
  assert.equal(p.status?.phase, 'Running');
});

test('a malformed --sim-ready-delay stops skiff up with a message naming the flag', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'up', '--store', 'memory', '--port', '0', '--no-kubeconfig-merge', '--data-dir', join(c.dataDir, 'bad'), '--sim-ready-delay', '900-100'], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });
  assert.notEqual(r.status, 0, `skiff up exited ${r.status}: ${r.stdout}${r.stderr}`);
  assert.match(r.stderr + r.stdout, /--sim-ready-delay: "900-100" is not a delay in milliseconds/);
});
