/**
 * The DaemonSet controller against a real in-process cluster (API server, garbage
 * collector) with KWOK-style Node objects created through the API. A small fake
 * plays scheduler (binds pods through `binding` to the node their affinity names)
 * and kubelet (marks bound pods Running/Ready after a short delay, finishes graceful
 * deletions). Real kubectl checks `rollout status|history|undo`. Every wait is bounded.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ControllerRevision, DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Event, Node, Pod, Taint } from 'kubernetes-types/core/v1.js';
import { startCluster, type Cluster } from '../../src/cli/cluster.js';
import { isReason } from '../../src/api/errors.js';
import type { ResourceClient } from '../../src/client/client.js';
import type { SharedInformer } from '../../src/client/informer.js';
import { newControllerContext } from '../../src/controllers/runtime/context.js';
import { DaemonSetController } from '../../src/controllers/daemonset/index.js';
import { eventually } from '../helpers/eventually.js';

const NS = 'default';


function findKubectl(): string | undefined {
  return (process.env.PATH ?? '').split(':').map((d) => join(d, 'kubectl')).find((f) => existsSync(f));
}

/**
 * The fake scheduler + kubelet: binds unbound pods to the node their required
 * affinity names, makes bound pods Running/Ready after `readyDelayMs` (unless the
 * node is listed in `notReadyNodes`, or `failNodes` → phase Failed), and completes
 * graceful deletions.
 */
class FakeNodes {
  readyDelayMs = 150;
  readonly notReadyNodes = new Set<string>();
  readonly failNodes = new Set<string>();
  private readonly busy = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pods: ResourceClient<Pod>,
    private readonly informer: SharedInformer<Pod>,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.sweep(), 30);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private sweep(): void {
    for (const p of this.informer.indexer.list()) {
      const uid = p.metadata!.uid!;
      if (this.busy.has(uid)) continue;
      const act = this.action(p);
      if (!act) continue;
      this.busy.add(uid);
      act()
        .catch(() => {})
        .finally(() => this.busy.delete(uid));
    }
  }

  private action(p: Pod): (() => Promise<unknown>) | undefined {
    const ns = p.metadata!.namespace!;
    const name = p.metadata!.name!;
    if (p.metadata?.deletionTimestamp) return () => this.pods.delete(ns, name, { gracePeriodSeconds: 0 });
    const target = p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms?.[0]?.matchFields?.[0]?.values?.[0];
    if (!p.spec?.nodeName) {
      if (!target) return undefined;
      return () => this.pods.createSubresource(ns, name, 'binding', { apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { kind: 'Node', name: target } });
    }
    const node = p.spec.nodeName;
    if (p.status?.phase === 'Failed') return undefined;
    if (this.failNodes.has(node)) {
      return () => this.pods.updateStatus(ns, { ...p, status: { ...p.status, phase: 'Failed', conditions: [{ type: 'Ready', status: 'False' }] } });
    }
    if (p.status?.phase === 'Running' || this.notReadyNodes.has(node)) return undefined;
    return async () => {
      await new Promise((r) => setTimeout(r, this.readyDelayMs));
      const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      const fresh = await this.pods.get(ns, name);
      if (fresh.metadata?.deletionTimestamp || fresh.metadata?.uid !== p.metadata?.uid) return;
      await this.pods.updateStatus(ns, {
        ...fresh,
        status: {
          ...fresh.status,
          phase: 'Running',
          conditions: [
            { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
            { type: 'Initialized', status: 'True', lastTransitionTime: now },
            { type: 'ContainersReady', status: 'True', lastTransitionTime: now },
            { type: 'Ready', status: 'True', lastTransitionTime: now },
          ],
        },
      });
    };
  }
}

function nodeObject(name: string, labels: Record<string, string>, taints: Taint[] = []): Node {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', type: 'kwok', ...labels }, annotations: { 'kwok.x-k8s.io/node': 'fake' } },
    spec: { taints },
    status: {
      allocatable: { cpu: '32', memory: '256Gi', pods: '110' },
      capacity: { cpu: '32', memory: '256Gi', pods: '110' },
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: now, lastTransitionTime: now }],
    },
  };
}

function dsObject(name: string, group: string, env = 'v1', extra: Partial<NonNullable<DaemonSet['spec']>> = {}): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name },
    spec: {
      selector: { matchLabels: { 'daemonset-name': name } },
      template: {
        metadata: { labels: { 'daemonset-name': name } },
        spec: {
          nodeSelector: { group },
          terminationGracePeriodSeconds: 1,
          containers: [{ name: 'app', image: 'registry.k8s.io/e2e-test-images/agnhost:2.53', args: ['serve-hostname'], env: [{ name: 'VERSION', value: env }] }],
        },
      },
      ...extra,
    },
  };
}

describe('daemonset controller', () => {
  let cluster: Cluster;
  let dataDir: string;
  const stop = new AbortController();
  let running: Promise<unknown>;
  let fake: FakeNodes;
  let podInformer: SharedInformer<Pod>;
  let nodes: ResourceClient<Node>;
  let pods: ResourceClient<Pod>;
  let dss: ResourceClient<DaemonSet>;
  let crs: ResourceClient<ControllerRevision>;
  let kubeconfig: string;
  const createdNodes: string[] = [];

  const live = (dsName: string): Pod[] =>
    podInformer.indexer.list().filter((p) => p.metadata?.labels?.['daemonset-name'] === dsName && p.metadata?.namespace === NS && !p.metadata?.deletionTimestamp);
  const podNodes = (dsName: string): string => live(dsName).map((p) => p.spec?.nodeName ?? '<unscheduled>').sort().join(' ');
  const readyNodes = (dsName: string): string =>
    live(dsName)
      .filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
      .map((p) => p.spec!.nodeName!)
      .sort()
      .join(' ');
  const waitNodes = (dsName: string, want: string[], ready = false): Promise<true> =>
    eventually(`${ready ? 'Ready ' : ''}pods of ${dsName} on [${want.join(' ')}] (have [${ready ? readyNodes(dsName) : podNodes(dsName)}])`, () =>
      (ready ? readyNodes(dsName) : podNodes(dsName)) === [...want].sort().join(' ') ? true : undefined,
    );
  const waitStatus = (dsName: string, pred: (s: NonNullable<DaemonSet['status']>, d: DaemonSet) => boolean, what: string): Promise<DaemonSet> => {
    let last: unknown;
    return eventually(`status of ${dsName}: ${what}`, async () => {
      const d = await dss.get(NS, dsName);
      last = d.status;
      return d.status && pred(d.status, d) ? d : undefined;
    }).catch((e: Error) => {
      throw new Error(`${e.message}; last status ${JSON.stringify(last)}`);
    });
  };
  const addNode = async (name: string, labels: Record<string, string>, taints: Taint[] = []): Promise<void> => {
    createdNodes.push(name);
    await nodes.create(undefined, nodeObject(name, labels, taints));
  };
  const kubectl = (...args: string[]): Promise<{ code: number; out: string }> =>
    new Promise((resolve) => {
      execFile('kubectl', ['--kubeconfig', kubeconfig, '--request-timeout=10s', ...args], { timeout: 15_000, env: { ...process.env, KUBECACHEDIR: join(dataDir, 'kubecache'), HOME: dataDir } }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` }),
      );
    });
  const revisionsOf = async (dsName: string): Promise<Array<[number, string]>> =>
    (await crs.list(NS, { labelSelector: `daemonset-name=${dsName}` })).items.map((r) => [r.revision, r.metadata!.labels!['controller-revision-hash']!] as [number, string]).sort((a, b) => a[0] - b[0]);

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'skiff-ds-'));
    cluster = await startCluster({ dataDir, store: 'memory', port: 0, controllers: 'core' });
    kubeconfig = join(dataDir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: ${cluster.url}\n    insecure-skip-tls-verify: true\nusers:\n- name: u\n  user: {}\ncontexts:\n- name: c\n  context: {cluster: c, user: u}\ncurrent-context: c\n`,
    );
    const ctx = newControllerContext(cluster.client);
    nodes = cluster.client.resource<Node>('', 'v1', 'nodes');
    pods = cluster.client.resource<Pod>('', 'v1', 'pods');
    dss = cluster.client.resource<DaemonSet>('apps', 'v1', 'daemonsets');
    crs = cluster.client.resource<ControllerRevision>('apps', 'v1', 'controllerrevisions');
    const dsc = new DaemonSetController(ctx, { workers: 2 });
    podInformer = ctx.informers.forResource<Pod>('', 'v1', 'pods');
    fake = new FakeNodes(pods, podInformer);
    running = Promise.all([ctx.informers.start(stop.signal), dsc.start(stop.signal)]);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([dsc.ready, new Promise((_r, rej) => (timer = setTimeout(() => rej(new Error('informers did not sync within 10 s')), 10_000)))]).finally(() => clearTimeout(timer));
    fake.start();
  });

  after(async () => {
    fake?.stop();
    stop.abort();
    await running?.catch(() => {});
    await cluster?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('one pod per eligible node, with upstream labels, owner, tolerations, affinity, status and events', async () => {
    await addNode('a-1', { group: 'a' });
    await addNode('a-2', { group: 'a' });
    await addNode('a-3', { group: 'a' }, [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }]);
    await addNode('b-1', { group: 'b' });
    const created = await dss.create(NS, dsObject('basic', 'a'));
    await waitNodes('basic', ['a-1', 'a-2'], true);
    const d = await waitStatus(
      'basic',
      (s, d) =>
        s.observedGeneration === d.metadata!.generation &&
        s.desiredNumberScheduled === 2 &&
        s.currentNumberScheduled === 2 &&
        s.numberReady === 2 &&
        s.updatedNumberScheduled === 2 &&
        s.numberAvailable === 2 &&
        s.numberMisscheduled === 0 &&
        (s.numberUnavailable ?? 0) === 0,
      'all counters 2',
    );
    assert.equal(d.metadata!.uid, created.metadata!.uid);
    const ps = live('basic');
    const [rev] = await revisionsOf('basic');
    assert.ok(rev, 'a ControllerRevision exists');
    for (const p of ps) {
      assert.match(p.metadata!.name!, /^basic-[a-z0-9]{5}$/);
      assert.deepEqual(p.metadata!.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'basic', uid: created.metadata!.uid, controller: true, blockOwnerDeletion: true }]);
      assert.equal(p.metadata!.labels!['pod-template-generation'], '1');
      assert.equal(p.metadata!.labels!['controller-revision-hash'], rev[1]);
      assert.equal(p.spec!.tolerations!.filter((t) => t.key?.startsWith('node.kubernetes.io/')).length, 6);
      assert.deepEqual(p.spec!.affinity!.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution!.nodeSelectorTerms, [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [p.spec!.nodeName!] }] }]);
    }
    const cr = await crs.get(NS, `basic-${rev[1]}`);
    assert.equal(cr.revision, 1);
    assert.equal(cr.metadata!.ownerReferences![0]!.uid, created.metadata!.uid);
    assert.equal((cr.data as { spec: { template: Record<string, unknown> } }).spec.template['$patch'], 'replace');
    const events = await eventually('SuccessfulCreate events', async () => {
      const evs = (await cluster.client.resource<Event>('', 'v1', 'events').list(NS)).items.filter((e) => e.involvedObject.name === 'basic' && e.reason === 'SuccessfulCreate');
      return evs.length >= 2 ? evs : undefined;
    });
    assert.ok(events.every((e) => /^Created pod: basic-[a-z0-9]{5}$/.test(e.message ?? '')));
    assert.equal(events[0]!.involvedObject.kind, 'DaemonSet');
  });

  test('nodes joining, relabelled, tainted and deleted gain and lose daemon pods', async () => {
    await addNode('c-1', { group: 'c' });
    await addNode('c-2', { group: 'c' });
    await dss.create(NS, dsObject('follow', 'c'));
    await waitNodes('follow', ['c-1', 'c-2'], true);

    await addNode('c-3', { group: 'c' });
    await waitNodes('follow', ['c-1', 'c-2', 'c-3']);
    await waitStatus('follow', (s) => s.desiredNumberScheduled === 3 && s.currentNumberScheduled === 3, 'desired 3');

    // Relabel: the node stops matching the nodeSelector.
    await nodes.patch(undefined, 'c-3', 'merge', { metadata: { labels: { group: 'other' } } });
    await waitNodes('follow', ['c-1', 'c-2']);
    await waitStatus('follow', (s) => s.desiredNumberScheduled === 2 && s.numberMisscheduled === 0, 'desired 2 after relabel');

    // NoSchedule keeps the running pod (misscheduled); NoExecute evicts it.
    await nodes.patch(undefined, 'c-2', 'merge', { spec: { taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }] } });
    await waitStatus('follow', (s) => s.desiredNumberScheduled === 1 && s.numberMisscheduled === 1, 'NoSchedule: desired 1, misscheduled 1');
    assert.equal(podNodes('follow'), 'c-1 c-2');
    await nodes.patch(undefined, 'c-2', 'merge', { spec: { taints: [{ key: 'k', value: 'v', effect: 'NoExecute' }] } });
    await waitNodes('follow', ['c-1']);
    await waitStatus('follow', (s) => s.desiredNumberScheduled === 1 && s.numberMisscheduled === 0, 'NoExecute: desired 1, misscheduled 0');

    // Deleting a node removes its pod.
    await nodes.patch(undefined, 'c-2', 'merge', { spec: { taints: [] } });
    await waitNodes('follow', ['c-1', 'c-2'], true);
    const onC2 = live('follow').find((p) => p.spec?.nodeName === 'c-2')!;
    await nodes.delete(undefined, 'c-2');
    await waitNodes('follow', ['c-1']);
    await eventually(`pod ${onC2.metadata!.name} on the deleted node to be removed`, async () => {
      try {
        await pods.get(NS, onC2.metadata!.name!);
        return undefined;
      } catch (err) {
        return isReason(err, 'NotFound') ? true : undefined;
      }
    });
    await waitStatus('follow', (s) => s.desiredNumberScheduled === 1 && s.currentNumberScheduled === 1, 'desired 1 after node deletion');
  });

  test('a rolling update never has more than maxUnavailable nodes without a Ready pod', async () => {
    const group = ['r-1', 'r-2', 'r-3', 'r-4'];
    for (const n of group) await addNode(n, { group: 'r' });
    await dss.create(NS, dsObject('roll', 'r'));
    await waitNodes('roll', group, true);
    const oldNames = new Set(live('roll').map((p) => p.metadata!.name!));
    const [[, h1]] = (await revisionsOf('roll')) as [[number, string]];

    fake.readyDelayMs = 250;
    await dss.patch(NS, 'roll', 'strategic', { spec: { template: { spec: { containers: [{ name: 'app', env: [{ name: 'VERSION', value: 'v2' }] }] } } } });
    let maxGap = 0;
    await eventually('the rollout to finish', () => {
      const ready = new Set(readyNodes('roll').split(' ').filter(Boolean));
      maxGap = Math.max(maxGap, group.filter((n) => !ready.has(n)).length);
      const ps = live('roll');
      const done = ps.length === 4 && ps.every((p) => p.metadata!.labels!['controller-revision-hash'] !== h1 && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      return done ? true : undefined;
    });
    fake.readyDelayMs = 150;
    assert.ok(maxGap <= 1, `at most 1 node without a Ready pod at once (saw ${maxGap})`);
    const ps = live('roll');
    assert.ok(ps.every((p) => !oldNames.has(p.metadata!.name!)), 'every pod was replaced');
    assert.deepEqual([...new Set(ps.map((p) => p.metadata!.labels!['pod-template-generation']))], ['2']);
    const revs = await revisionsOf('roll');
    assert.deepEqual(revs.map((r) => r[0]), [1, 2]);
    assert.equal(revs[0]![1], h1);
    await waitStatus('roll', (s) => s.observedGeneration === 2 && s.updatedNumberScheduled === 4 && s.numberAvailable === 4, 'rolled out');
  });

  test('kubectl rollout status, history and undo', { skip: !findKubectl() && 'kubectl not found' }, async () => {
    await addNode('k-1', { group: 'k' });
    await addNode('k-2', { group: 'k' });
    await dss.create(NS, dsObject('kc', 'k'));
    await waitNodes('kc', ['k-1', 'k-2'], true);
    let r = await kubectl('rollout', 'status', 'ds/kc', '-n', NS, '--timeout=10s');
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /daemon set "kc" successfully rolled out/);
    const [[, h1]] = (await revisionsOf('kc')) as [[number, string]];

    r = await kubectl('set', 'env', 'ds/kc', '-n', NS, 'VERSION=v2');
    assert.equal(r.code, 0, r.out);
    r = await kubectl('rollout', 'status', 'ds/kc', '-n', NS, '--timeout=12s');
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /successfully rolled out/);
    r = await kubectl('rollout', 'history', 'ds/kc', '-n', NS);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/, r.out);
    const h2 = (await revisionsOf('kc'))[1]![1];

    r = await kubectl('rollout', 'undo', 'ds/kc', '-n', NS);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /daemonset.apps\/kc rolled back/);
    await eventually('pods back on revision 1', () => {
      const ps = live('kc');
      return ps.length === 2 && ps.every((p) => p.metadata!.labels!['controller-revision-hash'] === h1 && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) ? true : undefined;
    });
    // The old revision is re-used with a new number instead of a third revision.
    await eventually('revisions [2,3]', async () => {
      const revs = await revisionsOf('kc');
      return JSON.stringify(revs) === JSON.stringify([[2, h2], [3, h1]]) ? true : undefined;
    });
    r = await kubectl('rollout', 'status', 'ds/kc', '-n', NS, '--timeout=12s');
    assert.equal(r.code, 0, r.out);

    // An undo that changes nothing restarts nothing.
    const before = live('kc').map((p) => p.metadata!.name!).sort();
    r = await kubectl('rollout', 'undo', 'ds/kc', '-n', NS, '--to-revision=3');
    assert.equal(r.code, 0, r.out);
    await new Promise((res) => setTimeout(res, 500));
    assert.deepEqual(live('kc').map((p) => p.metadata!.name!).sort(), before);
  });

  test('OnDelete updates only pods the user deletes', async () => {
    await addNode('o-1', { group: 'o' });
    await addNode('o-2', { group: 'o' });
    await dss.create(NS, dsObject('od', 'o', 'v1', { updateStrategy: { type: 'OnDelete' } }));
    await waitNodes('od', ['o-1', 'o-2'], true);
    const names = live('od').map((p) => p.metadata!.name!).sort();
    const h1 = live('od')[0]!.metadata!.labels!['controller-revision-hash'];
    await dss.patch(NS, 'od', 'strategic', { spec: { template: { spec: { containers: [{ name: 'app', env: [{ name: 'VERSION', value: 'v2' }] }] } } } });
    await eventually('two revisions', async () => ((await revisionsOf('od')).length === 2 ? true : undefined));
    await waitStatus('od', (s) => s.observedGeneration === 2 && s.updatedNumberScheduled === 0 && s.numberReady === 2, 'observed, nothing updated');
    assert.deepEqual(live('od').map((p) => p.metadata!.name!).sort(), names, 'pods untouched');
    const victim = live('od').find((p) => p.spec?.nodeName === 'o-1')!;
    await pods.delete(NS, victim.metadata!.name!);
    await eventually('a new-revision pod on o-1', () => {
      const p = live('od').find((x) => x.spec?.nodeName === 'o-1' && x.metadata!.name !== victim.metadata!.name);
      return p && p.metadata!.labels!['controller-revision-hash'] !== h1 && p.spec!.containers[0]!.env![0]!.value === 'v2' ? true : undefined;
    });
    assert.equal(live('od').find((p) => p.spec?.nodeName === 'o-2')!.metadata!.labels!['controller-revision-hash'], h1);
    await waitStatus('od', (s) => s.updatedNumberScheduled === 1, 'one updated');
  });

  test('a failed daemon pod is deleted with a FailedDaemonPod event and replaced', async () => {
    await addNode('f-1', { group: 'f' });
    fake.failNodes.add('f-1');
    await dss.create(NS, dsObject('fail', 'f'));
    const ev = await eventually('a FailedDaemonPod event', async () =>
      (await cluster.client.resource<Event>('', 'v1', 'events').list(NS)).items.find((e) => e.involvedObject.name === 'fail' && e.reason === 'FailedDaemonPod'),
    );
    assert.match(ev.message!, /^Found failed daemon pod default\/fail-[a-z0-9]{5} on node f-1, will try to kill it$/);
    assert.equal(ev.type, 'Warning');
    fake.failNodes.delete('f-1');
    await waitNodes('fail', ['f-1'], true);
  });

  test('deleting the DaemonSet deletes its pods through the garbage collector; orphan cascade keeps them', async () => {
    await addNode('g-1', { group: 'g' });
    await addNode('g-2', { group: 'g' });
    await dss.create(NS, dsObject('gc', 'g'));
    await waitNodes('gc', ['g-1', 'g-2'], true);
    await dss.delete(NS, 'gc', { propagationPolicy: 'Background' });
    await waitNodes('gc', []);
    await eventually('revisions of gc to be collected', async () => ((await revisionsOf('gc')).length === 0 ? true : undefined));

    await dss.create(NS, dsObject('orph', 'g'));
    await waitNodes('orph', ['g-1', 'g-2'], true);
    await dss.delete(NS, 'orph', { propagationPolicy: 'Orphan' });
    await eventually('orph to be gone', async () => {
      try {
        await dss.get(NS, 'orph');
        return undefined;
      } catch (err) {
        return isReason(err, 'NotFound') ? true : undefined;
      }
    });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(podNodes('orph'), 'g-1 g-2', 'orphaned pods stay');
    assert.ok(live('orph').every((p) => !p.metadata?.ownerReferences?.length));
  });
});
