/**
 * The node lifecycle controller (upstream `pkg/controller/nodelifecycle`):
 * watches node Leases and status heartbeats; a node not heard from within the
 * grace period gets its conditions set to Unknown, its pods marked not Ready,
 * and (like every node) the controller-owned taints that follow from its
 * conditions — `unreachable`/`not-ready` NoSchedule and NoExecute, pressure
 * taints, `unschedulable` for cordoned nodes — which are removed again once
 * it is healthy. Evicting pods from NoExecute taints is the
 * {@link TaintEvictionController}'s job, which this controller runs too.
 *
 * Not modelled (on purpose, for one-machine clusters): zones and the
 * "full disruption" mode that stops evictions when every node is down, and
 * the NoExecute tainting rate limit.
 */
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { isReason } from '../../api/errors.js';
import { keyOf, splitKey } from '../../client/indexer.js';
import { deletedObject, type SharedInformer } from '../../client/informer.js';
import type { Logger } from '../../client/logger.js';
import type { ResourceClient } from '../../client/client.js';
import { runWorkers, WorkQueue } from '../../client/workqueue.js';
import type { Controller, ControllerContext } from '../runtime/context.js';
import type { EventRecorder } from '../runtime/events.js';
import { effectiveGraceMs, planTaints, unknownConditions } from './health.js';
import { TaintEvictionController } from './taint-eviction.js';

/** Options of {@link NodeLifecycleController}. */
export interface NodeLifecycleOptions {
  /**
   * How long a node may stay silent before it is Unknown (`--node-monitor-grace-period`). Default 40.
   * A node whose Lease announces a longer `leaseDurationSeconds` (skiff agents: 4 renew intervals, 40 s) gets that instead.
   */
  nodeMonitorGracePeriodSeconds?: number;
  /** How often every node is checked (`--node-monitor-period`). Default 5000. */
  monitorPeriodMs?: number;
  /** Also run taint-based eviction. Default true. */
  taintEviction?: boolean;
}

const LEASE_NAMESPACE = 'kube-node-lease';

function readyStatus(node: Node | undefined): string {
  return node?.status?.conditions?.find((c) => c.type === 'Ready')?.status ?? 'Unknown';
}

function heartbeat(node: Node): string {
  return node.status?.conditions?.find((c) => c.type === 'Ready')?.lastHeartbeatTime ?? '';
}

/**
 * @example
 * const c = new NodeLifecycleController(ctx, { nodeMonitorGracePeriodSeconds: 40 });
 * void c.start(signal);
 */
export class NodeLifecycleController implements Controller {
  readonly name = 'node-lifecycle-controller';
  private readonly nodes: SharedInformer<Node>;
  private readonly leases: SharedInformer<Lease>;
  private readonly pods: SharedInformer<Pod>;
  private readonly nodesApi: ResourceClient<Node>;
  private readonly podsApi: ResourceClient<Pod>;
  private readonly queue = new WorkQueue({ name: 'node-lifecycle' });
  private readonly recorder: EventRecorder;
  private readonly log: Logger;
  private readonly graceSeconds: number;
  private readonly periodMs: number;
  private readonly eviction: TaintEvictionController | undefined;
  /** Local time at which each node was last heard from (Lease renewal or status heartbeat change). */
  private readonly probeAt = new Map<string, number>();
  /** Last Ready status this controller acted on, to notice True → not True. */
  private readonly observedReady = new Map<string, string>();
  /** Effective grace periods (ms) already reported as stretched by a Lease duration. */
  private readonly stretched = new Set<number>();

  constructor(
    private readonly ctx: ControllerContext,
    opts: NodeLifecycleOptions = {},
  ) {
    this.nodes = ctx.informers.forResource<Node>('', 'v1', 'nodes');
    this.leases = ctx.informers.forResource<Lease>('coordination.k8s.io', 'v1', 'leases');
    this.pods = ctx.informers.forResource<Pod>('', 'v1', 'pods');
    this.nodesApi = ctx.client.resource<Node>('', 'v1', 'nodes');
    this.podsApi = ctx.client.resource<Pod>('', 'v1', 'pods');
    this.recorder = ctx.recorder(this.name);
    this.log = ctx.logger(this.name);
    this.graceSeconds = opts.nodeMonitorGracePeriodSeconds ?? 40;
    this.periodMs = opts.monitorPeriodMs ?? 5000;
    this.eviction = opts.taintEviction === false ? undefined : new TaintEvictionController(ctx);
  }

  async start(signal: AbortSignal): Promise<void> {
    const evicting = this.eviction?.start(signal);
    await Promise.all([this.nodes.synced, this.leases.synced, this.pods.synced]);
    const heard = (name: string): void => {
      this.probeAt.set(name, this.ctx.now());
    };
    const unNodes = this.nodes.addEventHandler({
      onAdd: (n) => {
        const name = n.metadata?.name ?? '';
        if (!this.probeAt.has(name)) heard(name);
        this.queue.add(name);
      },
      onUpdate: (o, n) => {
        const name = n.metadata?.name ?? '';
        if (heartbeat(o) !== heartbeat(n)) heard(name);
        this.queue.add(name);
      },
      onDelete: (o) => {
        const name = deletedObject(o).metadata?.name ?? '';
        this.probeAt.delete(name);
        this.observedReady.delete(name);
      },
    });
    const onLease = (old: Lease | undefined, l: Lease): void => {
      if (l.metadata?.namespace !== LEASE_NAMESPACE) return;
      const name = l.metadata.name ?? '';
      if (old && old.spec?.renewTime === l.spec?.renewTime) return;
      heard(name);
      this.queue.add(name);
    };
    const unLeases = this.leases.addEventHandler({ onAdd: (l) => onLease(undefined, l), onUpdate: onLease });
    const ticker = setInterval(() => {
      for (const name of this.nodes.indexer.keys()) this.queue.add(name);
    }, this.periodMs);
    ticker.unref();
    try {
      await Promise.all([runWorkers(this.queue, 4, (k) => this.reconcile(k), signal, this.log), evicting]);
    } finally {
      clearInterval(ticker);
      unNodes();
      unLeases();
    }
  }

  private async reconcile(name: string): Promise<void> {
    let node = this.nodes.indexer.get(name);
    if (!node) return;
    const now = this.ctx.now();
    const lease = this.leases.indexer.get(`${LEASE_NAMESPACE}/${name}`);
    const grace = effectiveGraceMs(this.graceSeconds, lease?.spec?.leaseDurationSeconds);
    if (grace > this.graceSeconds * 1000 && !this.stretched.has(grace)) {
      // Said once per Lease duration (not per node: pools of thousands share one): otherwise a short --node-monitor-grace-period looks ignored.
      this.stretched.add(grace);
      this.log.info({ node: name, gracePeriodSeconds: this.graceSeconds, leaseDurationSeconds: lease?.spec?.leaseDurationSeconds }, 'node Lease duration is longer than --node-monitor-grace-period; such nodes are marked Unknown only after their Lease duration');
    }
    const silentFor = now - (this.probeAt.get(name) ?? now);
    const conditions = unknownConditions(node, silentFor, grace, now);
    if (conditions) {
      this.log.info({ node: name, silentForMs: silentFor }, 'node stopped posting status; marking it Unknown');
      node = await this.nodesApi.patch(undefined, name, 'merge', { status: { conditions } }, { subresource: 'status' });
    }
    const ready = readyStatus(node);
    const was = this.observedReady.get(name);
    this.observedReady.set(name, ready);
    if (was === 'True' && ready !== 'True') {
      this.recorder.event(node as never, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
      await this.markPodsNotReady(name);
    }
    const taints = planTaints(node, now);
    if (taints) {
      try {
        await this.nodesApi.update(undefined, { ...node, spec: { ...node.spec, taints } });
      } catch (err) {
        if (isReason(err, 'NotFound')) return;
        throw err; // Conflict: retried against the fresher cache
      }
    }
  }

  /** Upstream `MarkPodsNotReady`: pods on a node that went away are no longer Ready. */
  private async markPodsNotReady(nodeName: string): Promise<void> {
    const now = `${new Date(this.ctx.now()).toISOString().slice(0, 19)}Z`;
    for (const key of this.pods.indexer.indexKeys('byNodeName', nodeName)) {
      const pod = this.pods.indexer.get(key);
      const ready = pod?.status?.conditions?.find((c) => c.type === 'Ready');
      if (!pod || ready?.status !== 'True') continue;
      const { namespace, name } = splitKey(keyOf(pod));
      try {
        await this.podsApi.patch(namespace, name, 'strategic', { status: { conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: now }] } }, { subresource: 'status' });
        this.recorder.event(pod as never, 'Warning', 'NodeNotReady', 'Node is not ready');
      } catch (err) {
        if (!isReason(err, 'NotFound')) this.log.warn({ pod: key, err: (err as Error).message }, 'could not mark pod not ready');
      }
    }
  }
}
