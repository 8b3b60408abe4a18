/**
 * The ReplicaSet and Deployment controllers against an in-process cluster, driven
 * by the real kubectl. No scheduler or node agent runs here, so a small fake
 * kubelet plays both: it binds every new pod to `node-1` through the `binding`
 * subresource, reports it Running and Ready with a pod IP, and finishes graceful
 * deletions. Every wait is bounded.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { startCluster, type Cluster } from '../../src/cli/cluster.js';
import { isReason } from '../../src/api/errors.js';
import type { Client, ResourceClient } from '../../src/client/client.js';
import { SharedInformer } from '../../src/client/informer.js';
import { keyOf, splitKey } from '../../src/client/indexer.js';
import { runWorkers, WorkQueue } from '../../src/client/workqueue.js';
import { ControllerManager, newControllerContext } from '../../src/controllers/runtime/index.js';
import { ReplicaSetController } from '../../src/controllers/replicaset/index.js';
import { DeploymentController } from '../../src/controllers/deployment/index.js';
import { eventually } from '../helpers/eventually.js';

const NS = 'default';
const FIXTURE = new URL('../fixtures/seeds/go-demo-2-rs.yaml', import.meta.url).pathname;


/**
 * Plays scheduler and kubelet: binds pods to node-1, makes them Running and Ready,
 * and completes graceful deletions at once.
 */
function fakeKubelet(client: Client, signal: AbortSignal): Promise<void> {
  const pods = client.resource<Pod>('', 'v1', 'pods');
  const informer = new SharedInformer<Pod>(pods);
  const queue = new WorkQueue({ name: 'fake-kubelet' });
  let ip = 0;
  informer.addEventHandler({ onAdd: (p) => queue.add(keyOf(p)), onUpdate: (_o, p) => queue.add(keyOf(p)) });
  const ignore = (err: unknown): void => {
    if (!isReason(err, 'NotFound') && !isReason(err, 'Conflict')) throw err;
  };
  const step = async (key: string): Promise<void> => {
    const pod = informer.indexer.get(key);
    if (!pod) return;
    const { namespace, name } = splitKey(key);
    if (pod.metadata?.deletionTimestamp) {
      await pods.delete(namespace, name, { gracePeriodSeconds: 0 }).catch(ignore);
      return;
    }
    if (pod.metadata?.annotations?.['test.skiff.io/unschedulable']) return;
    if (!pod.spec?.nodeName) {
      await pods.createSubresource(namespace, name, 'binding', { apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { kind: 'Node', name: 'node-1' } }).catch(ignore);
      return;
    }
    if (pod.status?.phase === 'Running') return;
    const now = `${new Date().toISOString().slice(0, 19)}Z`;
    const cond = (type: string) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: now });
    const status = {
      ...pod.status,
      phase: 'Running',
      hostIP: '127.0.1.1',
      podIP: `127.128.1.${++ip}`,
      podIPs: [{ ip: `127.128.1.${ip}` }],
      startTime: now,
      conditions: [cond('PodScheduled'), cond('Initialized'), cond('ContainersReady'), cond('Ready')],
      containerStatuses: (pod.spec.containers ?? []).map((c) => ({ name: c.name, image: c.image, imageID: '', ready: true, started: true, restartCount: 0, state: { running: { startedAt: now } } })),
    };
    await pods.updateStatus(namespace, { ...pod, status } as unknown as Pod).catch(ignore);
  };
  void informer.start(signal);
  return runWorkers(queue, 4, step, signal);
}

describe('ReplicaSet and Deployment controllers with kubectl', () => {
  let cluster: Cluster;
  let dataDir: string;
  let kubeconfig: string;
  const stop = new AbortController();
  let running: Promise<unknown>;
  let pods: ResourceClient<Pod>;
  let rss: ResourceClient<ReplicaSet>;
  let deploys: ResourceClient<Deployment>;

  const kubectl = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile(
        'kubectl',
        ['--kubeconfig', kubeconfig, '--request-timeout=10s', '-n', NS, ...args],
        { timeout: 30_000, env: { ...process.env, KUBECACHEDIR: join(dataDir, 'kubecache'), HOME: dataDir } },
        (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  const ok = async (args: string[]): Promise<string> => {
    const r = await kubectl(args);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };

  /** Live (not terminating) pods matching `selector`. */
  const livePods = async (selector: string): Promise<Pod[]> => (await pods.list(NS, { labelSelector: selector })).items.filter((p) => !p.metadata?.deletionTimestamp);
  const ownedRSs = async (d: string): Promise<ReplicaSet[]> => {
    const dep = await deploys.get(NS, d);
    return (await rss.list(NS)).items.filter((rs) => rs.metadata?.ownerReferences?.some((r) => r.uid === dep.metadata?.uid && r.controller));
  };
  /** Waits until the Deployment reports a finished rollout of `n` replicas. */
  const rolledOut = (name: string, n: number): Promise<Deployment> =>
    eventually(`deployment ${name} to roll out ${n} replicas`, async () => {
      const d = await deploys.get(NS, name);
      const s = d.status ?? {};
      const done = (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 1) && s.replicas === n && s.updatedReplicas === n && s.availableReplicas === n;
      return done && (await livePods(`app=${name}`)).length === n ? d : undefined;
    });

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'skiff-workloads-'));
    cluster = await startCluster({ dataDir, store: 'memory', port: 0, controllers: 'core' });
    kubeconfig = join(dataDir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      `apiVersion: v1\nkind: Config\nclusters:\n- name: skiff\n  cluster:\n    server: ${cluster.url}\n    insecure-skip-tls-verify: true\ncontexts:\n- name: skiff\n  context:\n    cluster: skiff\n    user: skiff\n    namespace: ${NS}\ncurrent-context: skiff\nusers:\n- name: skiff\n  user: {}\n`,
    );
    pods = cluster.client.resource<Pod>('', 'v1', 'pods');
    rss = cluster.client.resource<ReplicaSet>('apps', 'v1', 'replicasets');
    deploys = cluster.client.resource<Deployment>('apps', 'v1', 'deployments');
    const ctx = newControllerContext(cluster.client);
    const mgr = new ControllerManager(ctx).add(new ReplicaSetController(ctx), new DeploymentController(ctx));
    running = Promise.all([mgr.start(stop.signal), fakeKubelet(cluster.client, stop.signal)]);
  });

  after(async () => {
    stop.abort();
    await running?.catch(() => {});
    await cluster?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('a ReplicaSet from the go-demo-2 seed gets 2 pods with the template labels', async () => {
    assert.match(await ok(['create', '-f', FIXTURE]), /replicaset.apps\/go-demo-2 created/);
    const rs = await rss.get(NS, 'go-demo-2');
    const ready = await eventually('2 ready go-demo-2 pods', async () => {
      const ps = await livePods('type=backend,service=go-demo-2');
      return ps.length === 2 && ps.every((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) ? ps : undefined;
    });
    for (const p of ready) {
      assert.deepEqual(p.metadata?.labels, { type: 'backend', service: 'go-demo-2', db: 'mongo', language: 'go' });
      assert.match(p.metadata?.name ?? '', /^go-demo-2-[a-z0-9]{5}$/);
      assert.deepEqual(p.metadata?.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'go-demo-2', uid: rs.metadata?.uid, controller: true, blockOwnerDeletion: true }]);
    }
    const status = await eventually('go-demo-2 status', async () => {
      const s = (await rss.get(NS, 'go-demo-2')).status;
      return s?.readyReplicas === 2 && s.availableReplicas === 2 ? s : undefined;
    });
    assert.equal(status.replicas, 2);
    assert.equal(status.fullyLabeledReplicas, 2);
    assert.equal(status.observedGeneration, 1);
    const events = await eventually('SuccessfulCreate events', async () => {
      const out = await ok(['get', 'events', '--field-selector', 'involvedObject.name=go-demo-2', '-o', 'jsonpath={range .items[*]}{.reason}:{.message}{"\\n"}{end}']);
      return out.split('\n').filter((l) => l.startsWith('SuccessfulCreate:')).length === 2 ? out : undefined;
    });
    assert.match(events, /SuccessfulCreate:Created pod: go-demo-2-[a-z0-9]{5}/);
    // A surplus hand-made pod with the selector's labels is adopted, then deleted first (it is unassigned).
    await pods.create(NS, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'stray', labels: { type: 'backend', service: 'go-demo-2' }, annotations: { 'test.skiff.io/unschedulable': 'true' } }, spec: { containers: [{ name: 'c', image: 'x' }] } });
    await eventually('the stray pod to be adopted and removed', async () => ((await livePods('type=backend,service=go-demo-2')).some((p) => p.metadata?.name === 'stray') ? undefined : true));
    assert.equal((await livePods('type=backend,service=go-demo-2')).length, 2);
    await ok(['delete', 'rs', 'go-demo-2']);
  });

  test('kubectl create deployment, scale to 5 and back to 2', async () => {
    await ok(['create', 'deployment', 'web', '--image=agnhost', '--replicas=3']);
    const d = await rolledOut('web', 3);
    const [rs] = await ownedRSs('web');
    assert.ok(rs, 'the deployment owns a replica set');
    const hash = rs.metadata?.labels?.['pod-template-hash'];
    assert.match(hash ?? '', /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
    assert.equal(rs.metadata?.name, `web-${hash}`);
    assert.equal(rs.spec?.selector?.matchLabels?.['pod-template-hash'], hash);
    assert.equal(rs.spec?.template?.metadata?.labels?.['pod-template-hash'], hash);
    assert.equal(rs.metadata?.annotations?.['deployment.kubernetes.io/revision'], '1');
    assert.equal(rs.metadata?.annotations?.['deployment.kubernetes.io/desired-replicas'], '3');
    assert.equal(rs.metadata?.annotations?.['deployment.kubernetes.io/max-replicas'], '4');
    const conds = Object.fromEntries((d.status?.conditions ?? []).map((c) => [c.type, c.reason]));
    assert.equal(conds['Available'], 'MinimumReplicasAvailable');
    assert.equal(conds['Progressing'], 'NewReplicaSetAvailable');

    await ok(['scale', 'deploy/web', '--replicas=5']);
    await rolledOut('web', 5);
    await ok(['scale', 'deploy/web', '--replicas=2']);
    await rolledOut('web', 2);
    const events = await eventually('ScalingReplicaSet events', async () => {
      const out = await ok(['get', 'events', '--field-selector', 'involvedObject.name=web,reason=ScalingReplicaSet', '-o', 'jsonpath={range .items[*]}{.message}{"\\n"}{end}']);
      return out.includes(`from 5 to 2`) ? out : undefined;
    });
    assert.match(events, new RegExp(`Scaled up replica set web-${hash} from 0 to 3`));
    assert.match(events, new RegExp(`Scaled up replica set web-${hash} from 3 to 5`));
    assert.match(events, new RegExp(`Scaled down replica set web-${hash} from 5 to 2`));
  });

  test('set image rolls out revision 2; history, undo, pause and resume', async () => {
    await ok(['set', 'image', 'deploy/web', 'agnhost=agnhost:2.53']);
    const status = await ok(['rollout', 'status', 'deploy/web', '--timeout=30s']);
    assert.match(status, /deployment "web" successfully rolled out/);
    await rolledOut('web', 2);
    const two = await ownedRSs('web');
    assert.equal(two.length, 2);
    const byRev = Object.fromEntries(two.map((rs) => [rs.metadata?.annotations?.['deployment.kubernetes.io/revision'], rs]));
    assert.equal(byRev['2']?.spec?.template?.spec?.containers?.[0]?.image, 'agnhost:2.53');
    assert.equal(byRev['2']?.spec?.replicas, 2);
    assert.equal(byRev['1']?.spec?.replicas, 0);
    const history = await ok(['rollout', 'history', 'deploy/web']);
    assert.match(history, /^1\s/m);
    assert.match(history, /^2\s/m);

    await ok(['rollout', 'undo', 'deploy/web']);
    await eventually('undo to bring back the first replica set as revision 3', async () => {
      const rs = (await ownedRSs('web')).find((x) => x.metadata?.uid === byRev['1']?.metadata?.uid);
      return rs?.metadata?.annotations?.['deployment.kubernetes.io/revision'] === '3' && rs.spec?.replicas === 2 ? rs : undefined;
    });
    await rolledOut('web', 2);
    const afterUndo = await ownedRSs('web');
    assert.equal(afterUndo.length, 2, 'undo reuses the old replica set');
    const first = afterUndo.find((x) => x.metadata?.uid === byRev['1']?.metadata?.uid);
    assert.equal(first?.metadata?.annotations?.['deployment.kubernetes.io/revision-history'], '1');
    assert.equal((await deploys.get(NS, 'web')).spec?.template?.spec?.containers?.[0]?.image, 'agnhost');
    assert.equal((await deploys.get(NS, 'web')).metadata?.annotations?.['deployment.kubernetes.io/revision'], '3');

    await ok(['rollout', 'pause', 'deploy/web']);
    await ok(['set', 'image', 'deploy/web', 'agnhost=agnhost:2.52']);
    const paused = await eventually('the paused condition on the new generation', async () => {
      const d = await deploys.get(NS, 'web');
      const p = d.status?.conditions?.find((c) => c.type === 'Progressing');
      return p?.reason === 'DeploymentPaused' && p.status === 'Unknown' && d.status?.observedGeneration === d.metadata?.generation ? d : undefined;
    });
    assert.ok(paused);
    assert.equal((await ownedRSs('web')).length, 2, 'no rollout while paused');
    await ok(['rollout', 'resume', 'deploy/web']);
    assert.match(await ok(['rollout', 'status', 'deploy/web', '--timeout=30s']), /deployment "web" successfully rolled out/);
    await rolledOut('web', 2);
    const three = await ownedRSs('web');
    assert.equal(three.length, 3);
    const newest = three.find((x) => x.metadata?.annotations?.['deployment.kubernetes.io/revision'] === '4');
    assert.equal(newest?.spec?.template?.spec?.containers?.[0]?.image, 'agnhost:2.52');
    for (const p of await livePods('app=web')) assert.equal(p.spec?.containers?.[0]?.image, 'agnhost:2.52');
  });
  test('Recreate scales the old ReplicaSet to 0 before the new one comes up', async () => {
    await deploys.create(NS, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'rec' },
      spec: { replicas: 2, strategy: { type: 'Recreate' }, selector: { matchLabels: { app: 'rec' } }, template: { metadata: { labels: { app: 'rec' } }, spec: { containers: [{ name: 'c', image: 'agnhost' }] } } },
    });
    await rolledOut('rec', 2);
    await deploys.patch(NS, 'rec', 'strategic', { spec: { template: { spec: { containers: [{ name: 'c', image: 'agnhost:2.53' }] } } } });
    assert.match(await ok(['rollout', 'status', 'deploy/rec', '--timeout=30s']), /deployment "rec" successfully rolled out/);
    await rolledOut('rec', 2);
    const rsets = await ownedRSs('rec');
    const oldRS = rsets.find((r) => r.metadata?.annotations?.['deployment.kubernetes.io/revision'] === '1');
    const newRS = rsets.find((r) => r.metadata?.annotations?.['deployment.kubernetes.io/revision'] === '2');
    assert.equal(oldRS?.spec?.replicas, 0);
    assert.equal(newRS?.spec?.replicas, 2);
    const out = await eventually('Recreate events', async () => {
      const o = await ok(['get', 'events', '--field-selector', 'involvedObject.name=rec,reason=ScalingReplicaSet', '--sort-by=.lastTimestamp', '-o', 'jsonpath={range .items[*]}{.message}{"\\n"}{end}']);
      return o.includes(`${newRS?.metadata?.name} from 0 to 2`) ? o : undefined;
    });
    const lines = out.trim().split('\n');
    assert.ok(lines.indexOf(`Scaled down replica set ${oldRS?.metadata?.name} from 2 to 0`) >= 0, out);
    assert.ok(lines.indexOf(`Scaled down replica set ${oldRS?.metadata?.name} from 2 to 0`) < lines.indexOf(`Scaled up replica set ${newRS?.metadata?.name} from 0 to 2`), out);
  });
});
