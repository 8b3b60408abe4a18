/**
 * R5, node failure: `skiff server` with two `skiff agent` processes (process
 * runtime). `kill -9` of one agent must turn its node's Ready condition Unknown
 * within the grace period, add the `unreachable` NoSchedule and NoExecute
 * taints, evict the Deployment's pods there after their `tolerationSeconds`
 * (the ReplicaSet recreates them on the other node, where they become Ready),
 * and leave the DaemonSet pod alone (DaemonSet pods tolerate `unreachable`
 * forever). Restarting the agent with the same name and data dir brings the
 * node back Ready, removes the taints, runs the DaemonSet pod again and
 * finishes the evicted pods. Quick mode (in `npm test`) runs one kill/restart
 * cycle; `SKIFF_RELIABILITY=long` runs five, alternating nodes. Prints its
 * figures (seconds after the kill, or after the restart).
 */
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { DaemonSet, Deployment } from 'kubernetes-types/apps/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { Client } from '../../src/client/client.js';
import { HttpTransport } from '../../src/client/transport.js';
import { allPodDirs, readRecords, reapRecord, type ProcessRecord } from '../../src/node/runtime/process-record.js';
import { listProcs, readProcStat } from '../../src/node/runtime/process-tree.js';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { eventually } from '../helpers/eventually.js';
import { terminate } from '../helpers/terminate.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const LONG = process.env.SKIFF_RELIABILITY === 'long';
const CYCLES = LONG ? 5 : 1;
const NS = 'default';
const NODES = ['worker-1', 'worker-2'] as const;
const GRACE_SECONDS = 4;
const TOLERATION_SECONDS = 3;
/** `--node-monitor-period` of the lifecycle controller (not a flag: its 5 s default). */
const MONITOR_PERIOD_MS = 5_000;
const IMAGE = 'registry.k8s.io/e2e-test-images/agnhost:2.53';
const APP = { app: 'r5-web' };
const DS = { app: 'r5-ds' };

const sec = (ms: number): string => (ms / 1000).toFixed(1);

function readyOf(obj: Node | Pod | undefined): string | undefined {
  return obj?.status?.conditions?.find((c) => c.type === 'Ready')?.status;
}

function hasTaint(node: Node, key: string, effect: string): boolean {
  return (node.spec?.taints ?? []).some((t) => t.key === key && t.effect === effect);
}

/** Recorded pod process groups of `node` under an agent's data dir, with whether each still runs. */
function podProcesses(dataDir: string, node: string): Array<{ rec: ProcessRecord; alive: boolean }> {
  const out: Array<{ rec: ProcessRecord; alive: boolean }> = [];
  for (const dir of allPodDirs(dataDir)) {
    if (!dir.includes(`/nodes/${node}/`)) continue;
    for (const { rec } of readRecords(dir)) {
      const s = readProcStat(rec.pid);
      out.push({ rec, alive: !!s && s.startTicks === rec.startTicks && s.state !== 'Z' });
    }
  }
  return out;
}

function deployment(): Deployment {
  const tolerations = ['node.kubernetes.io/unreachable', 'node.kubernetes.io/not-ready'].map((key) => ({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: TOLERATION_SECONDS }));
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'r5-web', namespace: NS },
    spec: {
      replicas: 4,
      selector: { matchLabels: APP },
      template: {
        metadata: { labels: APP },
        spec: { terminationGracePeriodSeconds: 2, tolerations, containers: [{ name: 'pause', image: IMAGE, args: ['pause'] }] },
      },
    },
  };
}

function daemonSet(): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'r5-ds', namespace: NS },
    spec: {
      selector: { matchLabels: DS },
      template: { metadata: { labels: DS }, spec: { terminationGracePeriodSeconds: 2, containers: [{ name: 'pause', image: IMAGE, args: ['pause'] }] } },
    },
  };
}

describe('R5 node failure: kill -9 of an agent', { timeout: LONG ? 900_000 : 240_000 }, () => {
  let c: TestCluster;
  let client: Client;
  let transport: HttpTransport;
  const agents = new Map<string, ChildProcess>();
  const output: string[] = [];
  const agentDir = (name: string): string => join(c.dataDir, `agent-${name}`);

  const getNode = async (name: string): Promise<Node> => (await client.resource<Node>('', 'v1', 'nodes').get(undefined, name)) as Node;
  const listPods = async (labels: Record<string, string>): Promise<Pod[]> => {
    const sel = Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',');
    return (await client.resource<Pod>('', 'v1', 'pods').list(NS, { labelSelector: sel })).items;
  };

  const startAgent = (name: string): ChildProcess => {
    const p = spawn(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'agent', '--server', c.url, '--name', name, '--data-dir', agentDir(name), '--proxy-mode', 'none', '--cluster-cidr', '127.237.0.0/16', '--cluster-dns', 'off', '--node-lease-duration-seconds', '4'],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    p.stdout!.on('data', (d: Buffer) => output.push(`[${name}] ${d.toString()}`));
    p.stderr!.on('data', (d: Buffer) => output.push(`[${name}] ${d.toString()}`));
    agents.set(name, p);
    return p;
  };
  const tail = (): string => output.join('').split('\n').slice(-40).join('\n');
  const nodeReady = async (name: string, ms: number): Promise<void> => {
    try {
      await eventually(`node ${name} Ready`, async () => readyOf(await getNode(name)) === 'True', ms);
    } catch (err) {
      throw new Error(`${(err as Error).message}; agent output tail:\n${tail()}`);
    }
  };

  before(async () => {
    c = await startTestCluster({ command: 'server', store: 'memory', extraArgs: ['--cluster-dns', 'off', '--node-monitor-grace-period', String(GRACE_SECONDS), '--cluster-cidr', '127.237.0.0/16'] });
    transport = new HttpTransport({ server: c.url, userAgent: 'r5-node-failure-test' });
    client = new Client(transport);
    // One after the other: each agent allocates its node's podCIDR and IP while avoiding those of Nodes it already sees.
    for (const name of NODES) {
      startAgent(name);
      await nodeReady(name, 30_000);
    }
  });

  after(async () => {
    for (const p of agents.values()) await terminate(p, 10_000);
    // Whatever pod process a killed agent left behind (a real kubelet crash leaves containers running too).
    if (c) for (const name of NODES) for (const { rec, alive } of podProcesses(agentDir(name), name)) if (alive) reapRecord(rec, listProcs);
    transport?.close();
    await c?.stop();
  });

  test(`${CYCLES} kill -9/restart cycle(s): NotReady, taints, eviction and replacement, recovery`, async (t: TestContext) => {
    const cidrs = await Promise.all(NODES.map(async (n) => (await getNode(n)).spec?.podCIDR));
    assert.notEqual(cidrs[0], cidrs[1], `the two agents got the same podCIDR ${cidrs[0]}`);

    await client.resource<DaemonSet>('apps', 'v1', 'daemonsets').create(NS, daemonSet());
    await client.resource<Deployment>('apps', 'v1', 'deployments').create(NS, deployment());
    const active = (p: Pod): boolean => !p.metadata?.deletionTimestamp;
    const readyOn = (pods: Pod[]): Map<string, number> => {
      const m = new Map<string, number>();
      for (const p of pods) if (active(p) && readyOf(p) === 'True') m.set(p.spec?.nodeName ?? '', (m.get(p.spec?.nodeName ?? '') ?? 0) + 1);
      return m;
    };
    await eventually('4 Ready r5-web pods and a Ready r5-ds pod on each node', async () => {
      const web = readyOn(await listPods(APP));
      const ds = readyOn(await listPods(DS));
      return [...web.values()].reduce((a, b) => a + b, 0) === 4 && NODES.every((n) => ds.get(n) === 1);
    }, 60_000);
    // The scheduler spreads pods of one owner over nodes (a score, not a rule): check, and nudge when needed.
    for (let i = 0; ; i++) {
      const pods = (await listPods(APP)).filter(active);
      const on = (n: string): Pod[] => pods.filter((p) => p.spec?.nodeName === n);
      if (NODES.every((n) => on(n).length > 0)) break;
      assert.ok(i < 5, `r5-web pods are all on one node after ${i} re-placements: ${pods.map((p) => p.spec?.nodeName).join(', ')}`);
      const crowded = NODES.find((n) => on(n).length > 1)!;
      await client.resource<Pod>('', 'v1', 'pods').delete(NS, on(crowded)[0]!.metadata!.name!, { gracePeriodSeconds: 0 });
      await eventually('4 Ready r5-web pods after a re-placement', async () => [...readyOn(await listPods(APP)).values()].reduce((a, b) => a + b, 0) === 4, 30_000);
    }

    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const victim = NODES[cycle % 2]!;
      const survivor = NODES[(cycle + 1) % 2]!;
      const label = `cycle ${cycle + 1}, ${victim}`;
      const before = await listPods(APP);
      const onVictim = before.filter((p) => active(p) && p.spec?.nodeName === victim).map((p) => p.metadata!.uid!);
      const dsPod = (await listPods(DS)).find((p) => active(p) && p.spec?.nodeName === victim);
      assert.ok(dsPod, `${label}: no r5-ds pod on ${victim}`);
      const lease = (await client.resource<Lease>('coordination.k8s.io', 'v1', 'leases').get('kube-node-lease', victim)) as Lease;
      // The lifecycle controller waits max(grace period, the Lease's leaseDurationSeconds), checking every monitor period.
      const effectiveGraceMs = Math.max(GRACE_SECONDS, lease.spec?.leaseDurationSeconds ?? 0) * 1000;

      // kill -9 the agent.
      const agent = agents.get(victim)!;
      const exited = new Promise((r) => agent.once('exit', r));
      const t0 = Date.now();
      agent.kill('SIGKILL');
      await exited;
      const left = podProcesses(agentDir(victim), victim);
      t.diagnostic(`${label}: after kill -9, ${left.filter((x) => x.alive).length} of ${left.length} recorded pod process groups still run (like containers after a kubelet crash)`);

      // NotReady (Ready=Unknown) within the effective grace period plus one monitor period and a margin.
      const notReadyBound = effectiveGraceMs + MONITOR_PERIOD_MS + 10_000;
      // Start of the last read that found no unreachable:NoExecute taint: the taint came later.
      let untaintedAt = t0;
      const untaintedRead = async (): Promise<Node> => {
        const at = Date.now();
        const n = await getNode(victim);
        if (!hasTaint(n, 'node.kubernetes.io/unreachable', 'NoExecute')) untaintedAt = at;
        return n;
      };
      await eventually(`${label}: node Ready condition Unknown within ${notReadyBound} ms`, async () => readyOf(await untaintedRead()) === 'Unknown', notReadyBound);
      const tNotReady = Date.now() - t0;
      const tainted = await eventually(`${label}: unreachable NoSchedule and NoExecute taints`, async () => {
        const n = await untaintedRead();
        return hasTaint(n, 'node.kubernetes.io/unreachable', 'NoExecute') && hasTaint(n, 'node.kubernetes.io/unreachable', 'NoSchedule') ? n : undefined;
      }, 10_000);
      const tTaint = Date.now() - t0;
      const noExecute = tainted.spec?.taints?.find((x) => x.key === 'node.kubernetes.io/unreachable' && x.effect === 'NoExecute');
      assert.ok(noExecute?.timeAdded, `${label}: the unreachable:NoExecute taint has no timeAdded: ${JSON.stringify(noExecute)}`);
      // Upstream MarkPodsNotReady: the pods of a node that went away are no longer Ready.
      await eventually(`${label}: r5-ds pod on ${victim} marked not Ready`, async () => readyOf((await listPods(DS)).find((p) => p.metadata?.uid === dsPod.metadata?.uid)) === 'False', 10_000);

      // Eviction after tolerationSeconds: the pods are deleted (they stay Terminating while their node is gone, as upstream).
      await eventually(`${label}: r5-web pods on ${victim} evicted`, async () => {
        const pods = await listPods(APP);
        return onVictim.every((uid) => {
          const p = pods.find((x) => x.metadata?.uid === uid);
          return !p || !!p.metadata?.deletionTimestamp;
        });
      }, TOLERATION_SECONDS * 1000 + 10_000);
      const evictedBy = Date.now();
      const tEvict = evictedBy - t0;
      // Not a timing assertion that slowness can break: the eviction was seen by `evictedBy` and the
      // taint came after `untaintedAt`, so a smaller gap than tolerationSeconds proves an early eviction.
      assert.ok(evictedBy - untaintedAt >= TOLERATION_SECONDS * 1000, `${label}: r5-web pods on ${victim} were evicted at most ${evictedBy - untaintedAt} ms after the unreachable:NoExecute taint, before their tolerationSeconds (${TOLERATION_SECONDS} s) ran out`);

      await eventually(`${label}: 4 Ready r5-web replicas on ${survivor}`, async () => {
        const pods = (await listPods(APP)).filter(active);
        return pods.length === 4 && pods.every((p) => p.spec?.nodeName === survivor && readyOf(p) === 'True');
      }, 30_000);
      const tReplaced = Date.now() - t0;
      const dsNow = (await listPods(DS)).find((p) => p.metadata?.uid === dsPod.metadata?.uid);
      assert.ok(dsNow && !dsNow.metadata?.deletionTimestamp, `${label}: the DaemonSet pod ${dsPod.metadata?.name} on the dead node was evicted; DaemonSet pods tolerate unreachable:NoExecute forever`);

      // Restart the agent: same name, same data dir.
      const t1 = Date.now();
      startAgent(victim);
      await nodeReady(victim, 30_000);
      const tBack = Date.now() - t1;
      await eventually(`${label}: unreachable taints removed after the restart`, async () => !(await getNode(victim)).spec?.taints?.some((x) => x.key === 'node.kubernetes.io/unreachable'), 15_000);
      const tUntaint = Date.now() - t1;
      await eventually(`${label}: r5-ds pod Running and Ready on ${victim} again`, async () => {
        const p = (await listPods(DS)).find((x) => active(x) && x.spec?.nodeName === victim);
        return p?.status?.phase === 'Running' && readyOf(p) === 'True';
      }, 30_000);
      const tDs = Date.now() - t1;
      await eventually(`${label}: the evicted r5-web pods finish on ${victim}`, async () => {
        const pods = await listPods(APP);
        return onVictim.every((uid) => !pods.some((p) => p.metadata?.uid === uid));
      }, 30_000);
      const tGone = Date.now() - t1;
      const evictedLeft = podProcesses(agentDir(victim), victim).filter((x) => x.alive && onVictim.includes(x.rec.podUID));
      assert.deepEqual(evictedLeft.map((x) => x.rec.pid), [], `${label}: processes of evicted pods still run after the agent restarted`);
      assert.equal((await listPods(APP)).filter(active).length, 4, `${label}: the Deployment should keep exactly 4 replicas`);

      t.diagnostic(
        `${label}: after kill -9 (effective grace ${sec(effectiveGraceMs)} s = max(--node-monitor-grace-period ${GRACE_SECONDS}, lease ${lease.spec?.leaseDurationSeconds} s)): ` +
          `NotReady ${sec(tNotReady)} s, tainted ${sec(tTaint)} s, ${onVictim.length} pod(s) evicted ${sec(tEvict)} s, 4 replicas Ready elsewhere ${sec(tReplaced)} s; ` +
          `after restart: node Ready ${sec(tBack)} s, untainted ${sec(tUntaint)} s, DaemonSet pod Ready ${sec(tDs)} s, evicted pods gone ${sec(tGone)} s`,
      );
    }
  });
});
