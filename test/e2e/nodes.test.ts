/**
 * Simulated nodes and node lifecycle against an in-process cluster: a pool of
 * three nodes registers with Leases, runs bound pods (IPs from each node's pod
 * CIDR), finishes graceful deletions, adopts a KWOK-style Node, removes nodes;
 * real kubectl shows the nodes and cordons/drains them; stopping the pool makes
 * the lifecycle controller mark nodes Unknown, taint them and evict the pods
 * whose tolerationSeconds ran out; a new pool brings everything back.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Event, Node, Pod } from 'kubernetes-types/core/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { startCluster, type Cluster } from '../../src/cli/cluster.js';
import { isReason } from '../../src/api/errors.js';
import type { ResourceClient } from '../../src/client/client.js';
import { newControllerContext, type ControllerContext } from '../../src/controllers/runtime/context.js';
import { NodeLifecycleController } from '../../src/controllers/nodelifecycle/index.js';
import { SimulatedNodePool } from '../../src/node/index.js';
import { cidrContains, parseCidr } from '../../src/node/ipam.js';
import { findKubectl } from '../helpers/cluster.js';
import { eventually } from '../helpers/eventually.js';

const NS = 'default';
const kubectlPath = findKubectl();


function isReady(p: Pod | Node): boolean {
  return (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

describe('simulated nodes and node lifecycle', () => {
  let cluster: Cluster;
  let dataDir: string;
  let ctx: ControllerContext;
  let pool: SimulatedNodePool;
  let nodes: ResourceClient<Node>;
  let pods: ResourceClient<Pod>;
  let leases: ResourceClient<Lease>;
  const infStop = new AbortController();
  const ctlStop = new AbortController();
  let poolStop = new AbortController();
  const running: Array<Promise<unknown>> = [];

  const kubectl = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      const env = { ...process.env, KUBECONFIG: join(dataDir, 'kubeconfig'), KUBECACHEDIR: join(dataDir, 'kubecache'), HOME: dataDir };
      const child = spawn(kubectlPath!, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, stdout, stderr });
      });
    });

  const makePod = async (name: string, node: string, extra: Partial<NonNullable<Pod['spec']>> = {}): Promise<Pod> => {
    await pods.create(NS, { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image: 'registry.k8s.io/e2e-test-images/agnhost:2.53', args: ['pause'] }], ...extra } } as Pod);
    await pods.createSubresource(NS, name, 'binding', { apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { apiVersion: 'v1', kind: 'Node', name: node } });
    return eventually(`pod ${name} Running and Ready on ${node}`, async () => {
      const p = await pods.get(NS, name);
      return p.status?.phase === 'Running' && isReady(p) ? p : undefined;
    });
  };

  const gone = (rc: ResourceClient<Pod> | ResourceClient<Node>, ns: string | undefined, name: string): Promise<true> =>
    eventually(`${rc.info.kind} ${name} to disappear`, async () => {
      try {
        await rc.get(ns, name);
        return undefined;
      } catch (err) {
        if (isReason(err, 'NotFound')) return true;
        throw err;
      }
    });

  const startPool = (): SimulatedNodePool => {
    poolStop = new AbortController();
    const p = new SimulatedNodePool(ctx, {
      nodes: [{ name: 'node-1' }, { name: 'node-2' }, { name: 'node-3' }],
      heartbeatSeconds: 1,
      readyDelayMs: [0, 100],
    });
    running.push(p.start(poolStop.signal));
    return p;
  };

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'skiff-nodes-'));
    cluster = await startCluster({ dataDir, store: 'memory', port: 0, controllers: 'core' });
    writeFileSync(
      join(dataDir, 'kubeconfig'),
      `apiVersion: v1\nkind: Config\nclusters:\n- name: t\n  cluster:\n    server: ${cluster.url}\n    insecure-skip-tls-verify: true\ncontexts:\n- name: t\n  context:\n    cluster: t\n    user: t\ncurrent-context: t\nusers:\n- name: t\n  user:\n    token: x\n`,
    );
    ctx = newControllerContext(cluster.client);
    nodes = cluster.client.resource<Node>('', 'v1', 'nodes');
    pods = cluster.client.resource<Pod>('', 'v1', 'pods');
    leases = cluster.client.resource<Lease>('coordination.k8s.io', 'v1', 'leases');
    pool = startPool();
    const lifecycle = new NodeLifecycleController(ctx, { nodeMonitorGracePeriodSeconds: 3, monitorPeriodMs: 300 });
    running.push(ctx.informers.start(infStop.signal));
    running.push(lifecycle.start(ctlStop.signal));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([pool.ready, new Promise((_r, reject) => (timer = setTimeout(() => reject(new Error('pool not ready within 15 s')), 15_000)))]).finally(() => clearTimeout(timer));
  });

  after(async () => {
    poolStop.abort();
    ctlStop.abort();
    infStop.abort();
    await Promise.allSettled(running);
    await cluster?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('the pool registers three Ready nodes with addresses, pod CIDRs and Leases', async () => {
    const list = await nodes.list();
    const names = list.items.map((n) => n.metadata!.name).sort();
    assert.deepEqual(names, ['node-1', 'node-2', 'node-3']);
    for (const n of list.items) {
      assert.ok(isReady(n), `${n.metadata!.name} is Ready`);
      assert.equal(n.metadata!.labels!['kubernetes.io/hostname'], n.metadata!.name);
      assert.equal(n.metadata!.labels!['kubernetes.io/os'], 'linux');
      assert.equal(n.metadata!.annotations!['skiff.io/runtime'], 'simulated');
      assert.match(n.status!.addresses!.find((a) => a.type === 'InternalIP')!.address, /^127\.0\.1\.\d+$/);
      assert.match(n.spec!.podCIDR!, /^127\.(1[2-9]\d|2[0-5]\d)\.\d+\.0\/24$/);
      assert.equal(n.status!.nodeInfo!.kubeletVersion, 'v1.32.0-skiff');
      assert.equal(n.status!.capacity!['pods'], '110');
      assert.deepEqual(n.status!.conditions!.map((c) => c.type), ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready']);
      const lease = await leases.get('kube-node-lease', n.metadata!.name!);
      assert.equal(lease.spec!.holderIdentity, n.metadata!.name);
      assert.ok(lease.spec!.renewTime, 'lease has a renewTime');
    }
    const cidrs = new Set(list.items.map((n) => n.spec!.podCIDR));
    assert.equal(cidrs.size, 3, 'every node has its own pod CIDR');
  });

  test('kubectl get nodes -o wide shows Ready, the InternalIP and the version', { skip: kubectlPath ? false : 'kubectl is not installed' }, async () => {
    const r = await kubectl(['get', 'nodes', '-o', 'wide']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0]!, /NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\s+INTERNAL-IP/);
    for (const name of ['node-1', 'node-2', 'node-3']) {
      const line = lines.find((l) => l.startsWith(`${name} `));
      assert.ok(line, `row for ${name} in:\n${r.stdout}`);
      assert.match(line, /\sReady\s/);
      assert.match(line, /v1\.32\.0-skiff/);
      assert.match(line, /127\.0\.1\.\d+/);
      assert.match(line, /skiff-simulated:\/\/0\.1/);
    }
  });

  test('a bound pod becomes Running and Ready with an IP from its node\'s pod CIDR, and graceful deletion removes it', async () => {
    const node = await nodes.get(undefined, 'node-1');
    const p = await makePod('sim-a', 'node-1');
    assert.ok(cidrContains(parseCidr(node.spec!.podCIDR!), p.status!.podIP!), `${p.status!.podIP} in ${node.spec!.podCIDR}`);
    assert.deepEqual(p.status!.podIPs, [{ ip: p.status!.podIP }]);
    assert.equal(p.status!.hostIP, node.status!.addresses!.find((a) => a.type === 'InternalIP')!.address);
    assert.equal(p.status!.qosClass, 'BestEffort');
    assert.ok(p.status!.startTime);
    assert.deepEqual(p.status!.conditions!.map((c) => [c.type, c.status]), [
      ['PodReadyToStartContainers', 'True'],
      ['Initialized', 'True'],
      ['Ready', 'True'],
      ['ContainersReady', 'True'],
      ['PodScheduled', 'True'],
    ]);
    const cs = p.status!.containerStatuses![0]!;
    assert.equal(cs.ready, true);
    assert.equal(cs.started, true);
    assert.equal(cs.restartCount, 0);
    assert.ok(cs.state?.running?.startedAt);
    assert.match(cs.imageID, /^registry\.k8s\.io\/e2e-test-images\/agnhost@sha256:[0-9a-f]{64}$/);
    await pods.delete(NS, 'sim-a');
    await gone(pods, NS, 'sim-a');
  });

  test('a KWOK-style Node created through the API is adopted and runs a pod; removeNode deletes a Node', async () => {
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    await nodes.create(undefined, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'kwok-1', labels: { 'kubernetes.io/hostname': 'kwok-1', type: 'kwok' }, annotations: { 'kwok.x-k8s.io/node': 'fake' } },
      spec: { taints: [] },
      status: {
        allocatable: { cpu: '32', memory: '256Gi', pods: '110' },
        capacity: { cpu: '32', memory: '256Gi', pods: '110' },
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: now, lastTransitionTime: now }],
        nodeInfo: { architecture: 'amd64', operatingSystem: 'linux', kubeletVersion: 'v1.32.0', kubeProxyVersion: 'v1.32.0', containerRuntimeVersion: '', kernelVersion: '', osImage: '', machineID: '', systemUUID: '', bootID: '' },
      },
    } as Node);
    const adopted = await eventually('kwok-1 to be adopted (pod CIDR, InternalIP, Lease)', async () => {
      const n = await nodes.get(undefined, 'kwok-1');
      if (!n.spec?.podCIDR || !n.status?.addresses?.some((a) => a.type === 'InternalIP')) return undefined;
      await leases.get('kube-node-lease', 'kwok-1');
      return n;
    });
    assert.equal(adopted.status!.capacity!['cpu'], '32', 'capacity the node brought is kept');
    assert.equal(adopted.metadata!.labels!['type'], 'kwok');
    const p = await makePod('on-kwok', 'kwok-1');
    assert.ok(cidrContains(parseCidr(adopted.spec!.podCIDR!), p.status!.podIP!));

    await pool.addNode({ name: 'extra-1', labels: { pool: 'extra' } });
    assert.equal((await nodes.get(undefined, 'extra-1')).metadata!.labels!['pool'], 'extra');
    await pool.removeNode('extra-1');
    await gone(nodes, undefined, 'extra-1');
    // Deleting a Node the pool ran: a pod left on it is still finished off when deleted (as ds-07 does).
    await nodes.delete(undefined, 'kwok-1');
    await gone(nodes, undefined, 'kwok-1');
    await pods.delete(NS, 'on-kwok');
    await gone(pods, NS, 'on-kwok');
    assert.deepEqual(pool.nodeNames().sort(), ['node-1', 'node-2', 'node-3']);
  });

  test('kubectl cordon, uncordon and drain work on a simulated node', { skip: kubectlPath ? false : 'kubectl is not installed' }, async () => {
    let r = await kubectl(['cordon', 'node-2']);
    assert.equal(r.code, 0, r.stderr);
    await eventually('node-2 to carry the unschedulable taint', async () => {
      const n = await nodes.get(undefined, 'node-2');
      return n.spec?.unschedulable === true && n.spec.taints?.some((t) => t.key === 'node.kubernetes.io/unschedulable' && t.effect === 'NoSchedule');
    });
    r = await kubectl(['get', 'node', 'node-2']);
    assert.match(r.stdout, /Ready,SchedulingDisabled/);
    r = await kubectl(['uncordon', 'node-2']);
    assert.equal(r.code, 0, r.stderr);
    await eventually('the unschedulable taint to go', async () => {
      const n = await nodes.get(undefined, 'node-2');
      return !n.spec?.unschedulable && !(n.spec?.taints ?? []).some((t) => t.key === 'node.kubernetes.io/unschedulable');
    });

    await makePod('drain-me', 'node-2');
    r = await kubectl(['drain', 'node-2', '--ignore-daemonsets', '--force', '--timeout=15s']);
    assert.equal(r.code, 0, `${r.stderr}\n${r.stdout}`);
    assert.match(r.stdout, /node\/node-2 (cordoned|drained)/);
    assert.match(r.stdout, /node\/node-2 drained/);
    await gone(pods, NS, 'drain-me');
    r = await kubectl(['uncordon', 'node-2']);
    assert.equal(r.code, 0, r.stderr);
  });

  test('a stopped pool makes nodes Unknown and tainted; pods go after their tolerationSeconds, DaemonSet-like ones stay; a new pool recovers', async () => {
    const unreachable = 'node.kubernetes.io/unreachable';
    await makePod('tol-2s', 'node-3', { tolerations: [{ key: unreachable, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 2 }] });
    await makePod('default-tol', 'node-3'); // admission adds the 300 s tolerations
    await makePod('tol-forever', 'node-3', { tolerations: [{ key: unreachable, operator: 'Exists', effect: 'NoExecute' }] });
    const plain = await pods.get(NS, 'default-tol');
    assert.ok(plain.spec!.tolerations!.some((t) => t.key === unreachable && t.tolerationSeconds === 300), 'DefaultTolerationSeconds admission');

    poolStop.abort();
    const n3 = await eventually('node-3 to go Unknown with the unreachable taints', async () => {
      const n = await nodes.get(undefined, 'node-3');
      const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
      const taints = n.spec?.taints ?? [];
      return ready?.status === 'Unknown' && taints.some((t) => t.key === unreachable && t.effect === 'NoExecute') && taints.some((t) => t.key === unreachable && t.effect === 'NoSchedule') ? n : undefined;
    });
    const ready = n3.status!.conditions!.find((c) => c.type === 'Ready')!;
    assert.equal(ready.reason, 'NodeStatusUnknown');
    assert.equal(ready.message, 'Kubelet stopped posting node status.');
    for (const type of ['MemoryPressure', 'DiskPressure', 'PIDPressure']) {
      assert.equal(n3.status!.conditions!.find((c) => c.type === type)!.status, 'Unknown', type);
    }
    assert.ok(n3.spec!.taints!.find((t) => t.effect === 'NoExecute')!.timeAdded, 'NoExecute taint has timeAdded');

    await eventually('tol-2s to be evicted', async () => {
      const p = await pods.get(NS, 'tol-2s');
      return p.metadata?.deletionTimestamp ? true : undefined;
    });
    const survivors = await Promise.all(['default-tol', 'tol-forever'].map((n) => pods.get(NS, n)));
    for (const p of survivors) {
      assert.equal(p.metadata!.deletionTimestamp, undefined, `${p.metadata!.name} must not be evicted yet`);
      assert.equal(isReady(p), false, `${p.metadata!.name} is marked not Ready`);
    }
    await eventually('the TaintManagerEviction and NodeNotReady events', async () => {
      const evs = (await cluster.client.resource<Event>('', 'v1', 'events').list()).items;
      const evicted = evs.some((e) => e.reason === 'TaintManagerEviction' && e.message === `Marking for deletion Pod ${NS}/tol-2s`);
      const notReady = evs.some((e) => e.reason === 'NodeNotReady' && e.involvedObject.kind === 'Node' && e.involvedObject.name === 'node-3');
      return evicted && notReady;
    });

    pool = startPool();
    await eventually('node-3 to be Ready again without the unreachable taints', async () => {
      const n = await nodes.get(undefined, 'node-3');
      return isReady(n) && !(n.spec?.taints ?? []).some((t) => t.key === unreachable);
    });
    await gone(pods, NS, 'tol-2s');
    for (const name of ['default-tol', 'tol-forever']) {
      await eventually(`${name} to be Ready again`, async () => isReady(await pods.get(NS, name)));
    }
  });
});
