/**
 * R2, DaemonSet invariant: a real `skiff up` (SQLite store, simulated runtime, no
 * nodes of its own) gets hundreds of random node operations in bursts — create
 * (KWOK-style Node objects the simulated pool adopts), delete, relabel, taint,
 * untaint, cordon, uncordon — and is killed with SIGKILL and restarted in the middle
 * of bursts. After every burst and every restart, and again after a quiet period,
 * every DaemonSet must have exactly one live daemon pod on each eligible node, none on
 * an ineligible or deleted node, and a status that says so. Eligibility comes from an
 * oracle written here from upstream semantics (not the controller's predicate).
 * Quick mode (in `npm test`): 360 operations, ~150 nodes at peak, 2 restarts in
 * bursts; `SKIFF_RELIABILITY=long`: 2,040 operations, 5 restarts in bursts. Both end
 * with one more restart of a quiet cluster. `SKIFF_SEED` pins the seed (printed).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Node, Pod, Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { ApiError } from '../../src/api/errors.js';
import { Client, HttpTransport, type ResourceClient } from '../../src/client/index.js';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { prng } from '../helpers/prng.js';

const LONG = process.env.SKIFF_RELIABILITY === 'long';
const SEED = process.env.SKIFF_SEED ? Number(process.env.SKIFF_SEED) : Math.floor(Math.random() * 2 ** 31);
const NS = 'r2';
/** Nodes alive at the end of each burst (the op mix steers toward it); the quick plan peaks at 150. */
const QUICK_TARGETS = [70, 130, 150, 150, 110, 60];
const TARGETS = LONG ? Array.from({ length: 34 }, (_, i) => QUICK_TARGETS[i % QUICK_TARGETS.length]!) : QUICK_TARGETS;
const OPS_PER_BURST = 60;
/** Bursts during which the server is killed with SIGKILL and restarted. */
const RESTART_BURSTS = new Set(LONG ? [2, 8, 15, 22, 29] : [1, 4]);
const CONVERGE_MS = 60_000;
const QUIET_MS = 2_000;
const CONCURRENCY = 8;


// ---------------------------------------------------------------------------
// The workload: two DaemonSets and the custom taints the test plays with.

/** Untolerated by `everywhere` (NoSchedule: existing pods may stay), tolerated by `pool-x`. */
const DEDICATED: Taint = { key: 'dedicated', value: 'a', effect: 'NoSchedule' };
/** Tolerated by `everywhere` (a key-less Exists NoExecute), untolerated by `pool-x`: its pods must go. */
const EVICT: Taint = { key: 'evict', value: 'now', effect: 'NoExecute' };
/** Tolerated by `everywhere` only, but NoSchedule: `pool-x` pods created before it may stay. */
const TEAM: Taint = { key: 'team', value: 't', effect: 'NoSchedule' };
/** Never blocks anything. */
const SOFT: Taint = { key: 'soft', value: 'p', effect: 'PreferNoSchedule' };
const CUSTOM_TAINTS = [DEDICATED, EVICT, TEAM, SOFT];
const CUSTOM_KEYS = new Set(CUSTOM_TAINTS.map((t) => t.key));

function daemonSet(name: string, nodeSelector: Record<string, string> | undefined, tolerations: Toleration[]): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: NS },
    spec: {
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { ...(nodeSelector ? { nodeSelector } : {}), tolerations, terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'pause' }] },
      },
    },
  };
}

const DAEMONSETS: DaemonSet[] = [
  daemonSet('everywhere', undefined, [
    { operator: 'Exists', effect: 'NoExecute' },
    { key: 'team', operator: 'Exists', effect: 'NoSchedule' },
  ]),
  daemonSet('pool-x', { pool: 'x' }, [{ key: 'dedicated', operator: 'Equal', value: 'a', effect: 'NoSchedule' }]),
];

// ---------------------------------------------------------------------------
// The oracle, from upstream semantics: `NodeShouldRunDaemonPod` in
// pkg/controller/daemon, `Toleration.ToleratesTaint` in k8s.io/api/core/v1, and the
// tolerations `AddOrUpdateDaemonPodTolerations` gives every daemon pod.

/** The tolerations every daemon pod gets on top of its template's (the pods here are not hostNetwork). */
const AUTOMATIC: Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];

function tolerates(tol: Toleration, taint: Taint): boolean {
  if (tol.effect && tol.effect !== taint.effect) return false;
  if (tol.key && tol.key !== taint.key) return false;
  // An empty key with Exists matches every key; Equal (or no operator) needs the same value.
  if (tol.operator === 'Exists') return true;
  return (tol.value ?? '') === (taint.value ?? '');
}

type Verdict = 'run' | 'may-stay' | 'none';

/**
 * `run`: exactly one pod must be there; `may-stay`: only an untolerated NoSchedule
 * taint blocks it, so a pod that was there before may stay but no new one comes
 * (zero or one); `none`: selector mismatch or untolerated NoExecute taint.
 */
function verdict(node: Node, ds: DaemonSet): Verdict {
  const spec = ds.spec!.template.spec!;
  const labels = node.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(spec.nodeSelector ?? {})) if (labels[k] !== v) return 'none';
  const tolerations = [...(spec.tolerations ?? []), ...AUTOMATIC];
  let blocked = false;
  for (const taint of node.spec?.taints ?? []) {
    if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
    if (tolerations.some((t) => tolerates(t, taint))) continue;
    if (taint.effect === 'NoExecute') return 'none';
    blocked = true;
  }
  return blocked ? 'may-stay' : 'run';
}

/** The node a daemon pod is for: its binding, else its required `metadata.name` node affinity. */
function targetNode(pod: Pod): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  for (const term of pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) {
    for (const f of term.matchFields ?? []) if (f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1) return f.values[0];
  }
  return undefined;
}

function isReady(pod: Pod): boolean {
  return pod.status?.phase === 'Running' && !!pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
}

/** What the cluster looks like for one check. */
interface World {
  nodes: Node[];
  pods: Pod[];
  daemonSets: DaemonSet[];
}

/**
 * Every violation of the invariant in `w`, as lines naming DaemonSet, node and pods;
 * empty when it holds. `pristine` names, per DaemonSet, nodes that had a blocking
 * NoSchedule taint from their creation (under a never-used name) and were not touched
 * since: no pod can ever have been allowed there, so `may-stay` means zero for them.
 */
function violations(w: World, pristine: ReadonlyMap<string, ReadonlySet<string>> = new Map()): string[] {
  const out: string[] = [];
  const nodes = new Map(w.nodes.map((n) => [n.metadata!.name!, n]));
  for (const want of DAEMONSETS) {
    const name = want.metadata!.name!;
    const ds = w.daemonSets.find((d) => d.metadata?.name === name);
    if (!ds) {
      out.push(`${name}: DaemonSet missing`);
      continue;
    }
    const byNode = new Map<string, Pod[]>();
    for (const p of w.pods) {
      if (p.metadata?.labels?.app !== name || p.metadata.deletionTimestamp) continue;
      if (!p.metadata.ownerReferences?.some((o) => o.controller && o.uid === ds.metadata?.uid)) {
        out.push(`${name}: pod ${p.metadata.name} is not controlled by the DaemonSet (ownerReferences ${JSON.stringify(p.metadata.ownerReferences ?? [])})`);
        continue;
      }
      const node = targetNode(p) ?? '<none>';
      byNode.set(node, [...(byNode.get(node) ?? []), p]);
    }
    const podNames = (ps: Pod[] | undefined): string => (ps ?? []).map((p) => `${p.metadata!.name}${p.spec?.nodeName ? '' : '(unbound)'}${isReady(p) ? '' : `(${p.status?.phase ?? 'no phase'}, not ready)`}`).join(', ') || '-';
    let desired = 0;
    let misscheduled = 0;
    for (const [nodeName, node] of nodes) {
      const v = verdict(node, want);
      const pods = byNode.get(nodeName);
      const n = pods?.length ?? 0;
      if (v === 'run') {
        desired++;
        if (n !== 1) out.push(`${name}: eligible node ${nodeName} has ${n} pods (want 1): ${podNames(pods)}`);
        else if (!isReady(pods![0]!) || pods![0]!.spec?.nodeName !== nodeName) out.push(`${name}: eligible node ${nodeName}: pod not bound and ready: ${podNames(pods)}`);
      } else if (v === 'may-stay') {
        if (pristine.get(name)?.has(nodeName) && n > 0) out.push(`${name}: node ${nodeName} was created with an untolerated NoSchedule taint and never changed, yet has pods: ${podNames(pods)}`);
        else if (n > 1) out.push(`${name}: node ${nodeName} (untolerated NoSchedule taint) has ${n} pods (want at most 1): ${podNames(pods)}`);
        if (n > 0) misscheduled++;
      } else if (n > 0) out.push(`${name}: ineligible node ${nodeName} (labels ${JSON.stringify(node.metadata?.labels ?? {})}, taints ${JSON.stringify(node.spec?.taints ?? [])}) has pods: ${podNames(pods)}`);
    }
    for (const [nodeName, pods] of byNode) if (!nodes.has(nodeName)) out.push(`${name}: node ${nodeName} does not exist but has pods: ${podNames(pods)}`);
    const s = ds.status;
    // Upstream `updateDaemonSetStatus`; zero counters may be omitted (omitempty).
    const got = {
      observedGeneration: s?.observedGeneration,
      desiredNumberScheduled: s?.desiredNumberScheduled ?? 0,
      currentNumberScheduled: s?.currentNumberScheduled ?? 0,
      updatedNumberScheduled: s?.updatedNumberScheduled ?? 0,
      numberReady: s?.numberReady ?? 0,
      numberAvailable: s?.numberAvailable ?? 0,
      numberUnavailable: s?.numberUnavailable ?? 0,
      numberMisscheduled: s?.numberMisscheduled ?? 0,
    };
    const exp = {
      observedGeneration: ds.metadata?.generation,
      desiredNumberScheduled: desired,
      currentNumberScheduled: desired,
      updatedNumberScheduled: desired,
      numberReady: desired,
      numberAvailable: desired,
      numberUnavailable: 0,
      numberMisscheduled: misscheduled,
    };
    if (JSON.stringify(got) !== JSON.stringify(exp)) out.push(`${name}: status ${JSON.stringify(got)}, want ${JSON.stringify(exp)}`);
  }
  return out;
}

/** How many nodes each DaemonSet must run on, may stay on, and must avoid, e.g. `everywhere 90/4/0`. */
function tally(nodes: Node[]): string {
  return DAEMONSETS.map((ds) => {
    const c = { run: 0, 'may-stay': 0, none: 0 };
    for (const n of nodes) c[verdict(n, ds)]++;
    return `${ds.metadata!.name} ${c.run}/${c['may-stay']}/${c.none}`;
  }).join(', ');
}

// ---------------------------------------------------------------------------
// Random operations.

interface Model {
  /** Nodes the test believes exist (refreshed from the server after every burst). */
  alive: Set<string>;
  /** Per DaemonSet, nodes created under a fresh name with a taint that blocks it and untouched since (see {@link violations}). */
  pristine: Map<string, Set<string>>;
  /** Names once used and now deleted: sometimes reused, to test recreation under one name. */
  dead: string[];
  next: number;
}

type Op =
  | { kind: 'create'; name: string; labels: Record<string, string>; taints: Taint[] }
  | { kind: 'delete'; name: string }
  | { kind: 'relabel'; name: string; pool: string | null }
  | { kind: 'taint'; name: string; taint: Taint }
  | { kind: 'untaint'; name: string; key: string }
  | { kind: 'cordon'; name: string; unschedulable: boolean };

function describeOp(op: Op): string {
  switch (op.kind) {
    case 'create':
      return `create ${op.name} ${JSON.stringify(op.labels)} ${op.taints.map((t) => `${t.key}=${t.value}:${t.effect}`).join(',')}`;
    case 'relabel':
      return `relabel ${op.name} pool=${op.pool ?? '(none)'}`;
    case 'taint':
      return `taint ${op.name} ${op.taint.key}=${op.taint.value}:${op.taint.effect}`;
    case 'untaint':
      return `untaint ${op.name} ${op.key}`;
    case 'cordon':
      return `${op.unschedulable ? 'cordon' : 'uncordon'} ${op.name}`;
    default:
      return `${op.kind} ${op.name}`;
  }
}

/** The next operation; the mix steers the node count toward `target`. Updates `m` as if it succeeds. */
function nextOp(r: () => number, m: Model, target: number): Op {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const alive = [...m.alive];
  const pCreate = alive.length === 0 ? 1 : alive.length < target - 10 ? 0.85 : alive.length < target ? 0.45 : 0.1;
  const pDelete = alive.length > target + 10 ? 0.6 : alive.length > target ? 0.3 : 0.08;
  const x = r();
  if (x < pCreate) {
    const reuse = m.dead.length > 0 && r() < 0.15;
    const name = reuse ? m.dead.splice(Math.floor(r() * m.dead.length), 1)[0]! : `n-${m.next++}`;
    const labels: Record<string, string> = r() < 0.5 ? { pool: 'x' } : r() < 0.5 ? { pool: 'y' } : {};
    const taints = r() < 0.25 ? [pick(CUSTOM_TAINTS)] : [];
    m.alive.add(name);
    if (!reuse) {
      const fresh: Node = { metadata: { name, labels }, spec: { taints } };
      for (const ds of DAEMONSETS) if (verdict(fresh, ds) === 'may-stay') m.pristine.get(ds.metadata!.name!)!.add(name);
    }
    return { kind: 'create', name, labels, taints };
  }
  const name = pick(alive);
  // Any change (even one that fails or races with the create) ends the guarantee.
  for (const set of m.pristine.values()) set.delete(name);
  if (x < pCreate + pDelete) {
    m.alive.delete(name);
    m.dead.push(name);
    return { kind: 'delete', name };
  }
  const y = r();
  if (y < 0.3) return { kind: 'relabel', name, pool: pick(['x', 'x', 'y', null]) };
  if (y < 0.6) return { kind: 'taint', name, taint: pick(CUSTOM_TAINTS) };
  if (y < 0.85) return { kind: 'untaint', name, key: pick(CUSTOM_TAINTS).key! };
  return { kind: 'cordon', name, unschedulable: r() < 0.6 };
}

/** Errors of a server being killed or starting: the operation is retried. */
function transient(err: unknown): boolean {
  if (err instanceof ApiError) return err.code >= 500 || err.code === 429;
  return true;
}

describe('R2 oracle', () => {
  const node = (name: string, labels: Record<string, string> = {}, taints: Taint[] = [], unschedulable = false): Node => ({ metadata: { name, labels }, spec: { taints, unschedulable } });
  const [everywhere, poolX] = DAEMONSETS as [DaemonSet, DaemonSet];

  test('verdicts follow upstream taint and selector semantics', () => {
    const table: Array<[Node, Verdict, Verdict]> = [
      [node('plain'), 'run', 'none'],
      [node('x', { pool: 'x' }), 'run', 'run'],
      [node('y', { pool: 'y' }), 'run', 'none'],
      [node('dedicated', { pool: 'x' }, [DEDICATED]), 'may-stay', 'run'],
      [node('evict', { pool: 'x' }, [EVICT]), 'run', 'none'],
      [node('team', { pool: 'x' }, [TEAM]), 'run', 'may-stay'],
      [node('soft', { pool: 'x' }, [SOFT]), 'run', 'run'],
      [node('cordoned', { pool: 'x' }, [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }], true), 'run', 'run'],
      [node('not-ready', { pool: 'x' }, [{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }]), 'may-stay', 'may-stay'],
      [node('unreachable-exec', { pool: 'x' }, [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }]), 'run', 'run'],
      [node('both', { pool: 'x' }, [DEDICATED, EVICT]), 'may-stay', 'none'],
      [node('dedicated-b', { pool: 'x' }, [{ key: 'dedicated', value: 'b', effect: 'NoSchedule' }]), 'may-stay', 'may-stay'],
    ];
    for (const [n, a, b] of table) {
      assert.equal(verdict(n, everywhere), a, `everywhere on ${n.metadata!.name}`);
      assert.equal(verdict(n, poolX), b, `pool-x on ${n.metadata!.name}`);
    }
  });

  test('violations name missing, doubled, misplaced and orphaned pods and wrong status', () => {
    const ds = (d: DaemonSet, status: NonNullable<DaemonSet['status']>): DaemonSet => ({ ...d, metadata: { ...d.metadata, uid: `uid-${d.metadata!.name}`, generation: 1 }, status: { observedGeneration: 1, ...status } });
    const pod = (dsName: string, name: string, nodeName: string, extra: Partial<Pod['metadata']> = {}): Pod => ({
      metadata: { name, labels: { app: dsName }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: dsName, uid: `uid-${dsName}`, controller: true }], ...extra },
      spec: { nodeName, containers: [] },
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
    });
    const nodes = [node('a', { pool: 'x' }), node('b'), node('c', {}, [DEDICATED])];
    const good: World = {
      nodes,
      pods: [pod('everywhere', 'e-a', 'a'), pod('everywhere', 'e-b', 'b'), pod('everywhere', 'e-c', 'c'), pod('pool-x', 'p-a', 'a'), pod('pool-x', 'gone', 'a', { deletionTimestamp: '2026-01-01T00:00:00Z' })],
      daemonSets: [
        ds(everywhere, { desiredNumberScheduled: 2, currentNumberScheduled: 2, updatedNumberScheduled: 2, numberReady: 2, numberAvailable: 2, numberMisscheduled: 1 }),
        ds(poolX, { desiredNumberScheduled: 1, currentNumberScheduled: 1, updatedNumberScheduled: 1, numberReady: 1, numberAvailable: 1, numberUnavailable: 0, numberMisscheduled: 0 }),
      ],
    };
    assert.deepEqual(violations(good), []);
    assert.match(violations(good, new Map([['everywhere', new Set(['c'])]])).join('\n'), /everywhere: node c was created with an untolerated NoSchedule taint and never changed, yet has pods: e-c/);
    const bad: World = {
      ...good,
      pods: [pod('everywhere', 'e-a', 'a'), pod('everywhere', 'e-a2', 'a'), pod('pool-x', 'p-b', 'b'), pod('pool-x', 'p-zz', 'zz')],
    };
    const v = violations(bad).join('\n');
    assert.match(v, /everywhere: eligible node a has 2 pods/);
    assert.match(v, /everywhere: eligible node b has 0 pods/);
    assert.match(v, /pool-x: eligible node a has 0 pods/);
    assert.match(v, /pool-x: ineligible node b .* has pods: p-b/);
    assert.match(v, /pool-x: node zz does not exist but has pods: p-zz/);
    assert.match(v, /everywhere: status .*numberMisscheduled":1.*want .*numberMisscheduled":0/);
  });
});

describe('R2 DaemonSet invariant under random node churn and controller restarts', { timeout: LONG ? 1_800_000 : 300_000 }, () => {
  let cluster: TestCluster;
  let nodesApi: ResourceClient<Node>;
  let podsApi: ResourceClient<Pod>;
  let dsApi: ResourceClient<DaemonSet>;
  const figures = { ops: 0, failedOps: 0, retries: 0, restarts: 0, checks: 0, peakNodes: 0, convergeMs: [] as number[] };

  before(async () => {
    cluster = await startTestCluster({ command: 'up', store: 'sqlite', runtime: 'simulated', extraArgs: ['--nodes', '0', '--cluster-dns', 'off'], timeoutMs: 60_000 });
    const client = new Client(new HttpTransport({ server: cluster.url, timeoutMs: 20_000 }));
    nodesApi = client.resource<Node>('', 'v1', 'nodes');
    podsApi = client.resource<Pod>('', 'v1', 'pods');
    dsApi = client.resource<DaemonSet>('apps', 'v1', 'daemonsets');
    await client.resource('', 'v1', 'namespaces').create(undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    for (const ds of DAEMONSETS) await dsApi.create(NS, ds);
  });
  after(async () => {
    await cluster?.stop();
  });

  /** Runs `fn`, retrying while the server is down or starting (bounded). */
  async function withRetry<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const end = Date.now() + 60_000;
    for (;;) {
      try {
        return await fn();
      } catch (err) {
        if (!transient(err)) throw err;
        if (Date.now() > end) throw new Error(`${what}: still failing after 60 s of retries: ${(err as Error).message}`);
        figures.retries++;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** Applies `op`; expected refusals (already exists, not found, conflict after retries) count as failed ops, not errors. */
  async function apply(op: Op): Promise<void> {
    const what = describeOp(op);
    try {
      await withRetry(what, async () => {
        switch (op.kind) {
          case 'create':
            await nodesApi.create(undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: op.name, labels: op.labels }, spec: op.taints.length ? { taints: op.taints } : {} });
            return;
          case 'delete':
            await nodesApi.delete(undefined, op.name);
            return;
          case 'relabel':
            await nodesApi.patch(undefined, op.name, 'merge', { metadata: { labels: { pool: op.pool } } });
            return;
          case 'cordon':
            await nodesApi.patch(undefined, op.name, 'merge', { spec: { unschedulable: op.unschedulable } });
            return;
          default: {
            // Taints: read-modify-write with the resourceVersion, so the node lifecycle
            // controller's own taints are never clobbered.
            for (let attempt = 0; ; attempt++) {
              const node = await nodesApi.get(undefined, op.name);
              const taints = (node.spec?.taints ?? []).filter((t) => (op.kind === 'taint' ? t.key !== op.taint.key : t.key !== op.key));
              if (op.kind === 'taint') taints.push(op.taint);
              try {
                await nodesApi.update(undefined, { ...node, spec: { ...node.spec, taints } });
                return;
              } catch (err) {
                if (!(err instanceof ApiError && err.code === 409) || attempt >= 5) throw err;
              }
            }
          }
        }
      });
    } catch (err) {
      // Concurrent operations on one node race (a taint before its create, a delete twice,
      // a create of a name whose previous node is still there): refusals, not failures.
      if (err instanceof ApiError && (err.code === 404 || err.code === 409)) {
        figures.failedOps++;
        return;
      }
      throw new Error(`seed ${SEED}: ${what} failed: ${(err as Error).message}`);
    }
  }

  async function world(): Promise<World> {
    const [nodes, pods, daemonSets] = await Promise.all([nodesApi.list(), podsApi.list(NS), dsApi.list(NS)]);
    return { nodes: nodes.items, pods: pods.items, daemonSets: daemonSets.items };
  }

  /** Polls until the invariant holds (bounded); fails with the diff, the seed and the last operations. */
  async function converge(label: string, recent: string[], pristine: Model['pristine']): Promise<World> {
    const t0 = Date.now();
    let last: string[] = [];
    for (;;) {
      const w = await withRetry(`LIST for ${label}`, world);
      figures.checks++;
      last = violations(w, pristine);
      if (last.length === 0) {
        figures.convergeMs.push(Date.now() - t0);
        return w;
      }
      if (Date.now() - t0 > CONVERGE_MS) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.fail(`seed ${SEED}: DaemonSet invariant did not hold ${CONVERGE_MS / 1000} s after ${label}:\n  ${last.slice(0, 40).join('\n  ')}${last.length > 40 ? `\n  … ${last.length - 40} more` : ''}\nlast operations:\n  ${recent.slice(-20).join('\n  ')}\nrerun with SKIFF_SEED=${SEED}`);
  }

  test(`${TARGETS.length * OPS_PER_BURST} random node operations, ${RESTART_BURSTS.size} kill -9 restarts: one daemon pod per eligible node`, async (t) => {
    t.diagnostic(`seed ${SEED} (rerun with SKIFF_SEED=${SEED})`);
    console.log(`R2: seed ${SEED}`);
    const r = prng(SEED);
    const m: Model = { alive: new Set(), pristine: new Map(DAEMONSETS.map((d) => [d.metadata!.name!, new Set<string>()])), dead: [], next: 1 };
    const log: string[] = [];
    const t0 = Date.now();
    for (let b = 0; b < TARGETS.length; b++) {
      const ops = Array.from({ length: OPS_PER_BURST }, () => nextOp(r, m, TARGETS[b]!));
      const killAt = RESTART_BURSTS.has(b) ? Math.floor(r() * OPS_PER_BURST) : -1;
      let next = 0;
      let restart: Promise<void> | undefined;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < ops.length) {
            const i = next++;
            if (i === killAt) {
              // Killed while other operations are in flight; they retry until it is back.
              log.push(`-- kill -9 and restart at burst ${b} op ${i}`);
              restart = (async () => {
                await cluster.kill9();
                await cluster.restart();
                figures.restarts++;
              })();
            }
            log.push(`burst ${b} op ${i}: ${describeOp(ops[i]!)}`);
            await apply(ops[i]!);
            figures.ops++;
          }
        }),
      );
      if (restart) await restart;
      const w = await converge(`burst ${b}${killAt >= 0 ? ' (with a restart)' : ''}`, log, m.pristine);
      // The test's picture of which nodes exist follows the server (ops may have failed).
      m.alive = new Set(w.nodes.map((n) => n.metadata!.name!));
      figures.peakNodes = Math.max(figures.peakNodes, m.alive.size);
      t.diagnostic(`burst ${b}: ${m.alive.size} nodes; run/may-stay/none: ${tally(w.nodes)}; converged in ${figures.convergeMs.at(-1)} ms`);
      // Late duplicates (a second create from a controller that forgot its expectations) show up after a quiet period.
      await new Promise((res) => setTimeout(res, QUIET_MS));
      const again = violations(await withRetry('LIST after the quiet period', world), m.pristine);
      figures.checks++;
      assert.deepEqual(again, [], `seed ${SEED}: the invariant broke during a ${QUIET_MS} ms quiet period after burst ${b}`);
    }
    // A restart with nothing going on must not disturb a converged cluster either.
    await cluster.kill9();
    await cluster.restart();
    figures.restarts++;
    await converge('a final restart', log, m.pristine);
    await new Promise((res) => setTimeout(res, QUIET_MS));
    const final = await withRetry('LIST after the final quiet period', world);
    assert.deepEqual(violations(final, m.pristine), [], `seed ${SEED}: the invariant broke after the final restart`);
    // Every deleted daemon pod is gone by now: none is left stuck terminating.
    const stuck = final.pods.filter((p) => p.metadata?.deletionTimestamp).map((p) => `${p.metadata!.name} on ${targetNode(p)} since ${p.metadata!.deletionTimestamp}`);
    assert.deepEqual(stuck, [], `seed ${SEED}: daemon pods stuck terminating`);
    const secs = (Date.now() - t0) / 1000;
    const cms = figures.convergeMs;
    const summary = `R2: ${figures.ops} node operations (${figures.failedOps} refused, ${figures.retries} retries) in ${secs.toFixed(1)} s, peak ${figures.peakNodes} nodes, ${figures.restarts} kill -9 restarts, ${figures.checks} checks; convergence max ${Math.max(...cms)} ms, median ${[...cms].sort((a, b) => a - b)[Math.floor(cms.length / 2)]} ms`;
    t.diagnostic(summary);
    console.log(summary);
  });
});
