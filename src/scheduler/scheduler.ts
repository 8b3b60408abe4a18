/**
 * The scheduler component (upstream `kube-scheduler`, default profile): watches
 * pending pods that name it in `spec.schedulerName`, decides a node for each with
 * {@link schedulePod}, assumes the pod onto that node in its cache and binds it
 * through `pods/<name>/binding`. A pod that fits nowhere gets
 * `PodScheduled=False` (reason `Unschedulable`) and a `FailedScheduling` event
 * with the upstream message, and waits for a cluster change that may help.
 */
import type { Namespace, Node, Pod, PodCondition } from 'kubernetes-types/core/v1.js';
import { isReason } from '../api/errors.js';
import { deletedObject, keyOf, runWorkers, errorMessage, type Logger, type SharedInformer } from '../client/index.js';
import type { Controller, ControllerContext, EventRecorder } from '../controllers/runtime/index.js';
import { podTerminal, SchedulerCache } from './cache.js';
import { fitErrorMessage, preemptionMessage, truncateMessage, type Diagnosis } from './fit-error.js';
import { runFilters, type PodToSchedule } from './filters.js';
import { podInfoOf, type PodInfo } from './node-info.js';
import { SchedulingQueue } from './queue.js';
import { NO_NODES_AVAILABLE, schedulePod, type ScheduleState } from './schedule.js';
import type { NamespaceLabels } from './inter-pod-affinity.js';

/** Options of {@link Scheduler}. */
export interface SchedulerOptions {
  /** Pods with this `spec.schedulerName` are ours. Default `default-scheduler`. */
  schedulerName?: string;
  /** Scheduling/binding cycles in flight at once. Default 32. */
  workers?: number;
  /** Random source in [0, 1) for tie breaks. Default `Math.random`. */
  random?: () => number;
  /** Per-pod back-off after a failed attempt. Default 1 s doubling to 10 s. */
  backoff?: { initialMs?: number; maxMs?: number };
}

const PERIODIC_FLUSH_MS = 30_000;

/** The pod a scheduling attempt works on, with requests and ports computed once. */
export function podToSchedule(pod: Pod): PodToSchedule & { info: PodInfo } {
  const info = podInfoOf(pod, '');
  return { pod, requests: info.requests, ports: info.ports, owner: info.owner, info };
}

/** Compact reference for events. */
function podRef(pod: Pod): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: pod.metadata };
}

/**
 * Binds pending pods to nodes.
 *
 * @example
 * const ctx = newControllerContext(client);
 * const scheduler = new Scheduler(ctx);            // schedulerName 'default-scheduler'
 * void ctx.informers.start(signal);
 * await scheduler.start(signal);
 */
export class Scheduler implements Controller {
  readonly name = 'scheduler';
  /** Resolves once the caches have synced and workers run. */
  readonly ready: Promise<void>;
  readonly schedulerName: string;
  private readonly cache = new SchedulerCache();
  private readonly queue: SchedulingQueue;
  private readonly state: ScheduleState = { nextStartNodeIndex: 0 };
  private readonly pods: SharedInformer<Pod>;
  private readonly nodes: SharedInformer<Node>;
  private readonly namespaces: SharedInformer<Namespace>;
  private readonly namespaceLabels: NamespaceLabels;
  private readonly recorder: EventRecorder;
  private readonly log: Logger;
  private readonly workers: number;
  private readonly random: () => number;
  private markReady!: () => void;

  constructor(
    private readonly ctx: ControllerContext,
    opts: SchedulerOptions = {},
  ) {
    this.schedulerName = opts.schedulerName ?? 'default-scheduler';
    this.workers = opts.workers ?? 32;
    this.random = opts.random ?? Math.random;
    this.queue = new SchedulingQueue({ initialBackoffMs: opts.backoff?.initialMs, maxBackoffMs: opts.backoff?.maxMs });
    this.recorder = ctx.recorder(this.schedulerName);
    this.log = ctx.logger('scheduler');
    this.ready = new Promise((r) => (this.markReady = r));
    // The shared informers may have been created by others without selectors, so filter here.
    this.pods = ctx.informers.forResource<Pod>('', 'v1', 'pods');
    this.nodes = ctx.informers.forResource<Node>('', 'v1', 'nodes');
    this.namespaces = ctx.informers.forResource<Namespace>('', 'v1', 'namespaces');
    const namespaces = this.namespaces;
    this.namespaceLabels = {
      labelsOf: (ns) => namespaces.indexer.get(ns)?.metadata?.labels,
      all: () => namespaces.indexer.list().map((n) => ({ name: n.metadata?.name ?? '', labels: n.metadata?.labels })),
    };
    this.pods.addEventHandler({
      onAdd: (p) => this.onPod(undefined, p),
      onUpdate: (o, p) => this.onPod(o, p),
      onDelete: (p) => this.onPodDelete(deletedObject(p)),
    });
    this.nodes.addEventHandler({
      onAdd: (n) => {
        this.cache.setNode(n);
        this.queue.moveAllToActive();
      },
      onUpdate: (o, n) => {
        this.cache.setNode(n);
        if (nodeChangeMayHelp(o, n)) this.queue.moveAllToActive();
      },
      onDelete: (n) => this.cache.removeNode(deletedObject(n).metadata?.name ?? ''),
    });
  }

  /** Runs until `signal` aborts. */
  async start(signal: AbortSignal): Promise<void> {
    const aborted = new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
    try {
      await Promise.race([Promise.all([this.pods.synced, this.nodes.synced, this.namespaces.synced]), aborted]);
    } catch (err) {
      if (!signal.aborted) throw err;
    }
    if (signal.aborted) return;
    const timer = setInterval(() => this.queue.flushLeftover(), PERIODIC_FLUSH_MS);
    timer.unref();
    this.log.info({ schedulerName: this.schedulerName, workers: this.workers, nodes: this.cache.nodeCount() }, 'scheduler started');
    this.markReady();
    try {
      await runWorkers(this.queue.active, this.workers, (key) => this.scheduleOne(key), signal, this.log);
    } finally {
      clearInterval(timer);
    }
  }

  /** Whether this scheduler should place `pod` now. */
  responsibleFor(pod: Pod): boolean {
    const s = pod.spec;
    return (
      (s?.schedulerName ?? 'default-scheduler') === this.schedulerName &&
      !s?.nodeName &&
      !pod.metadata?.deletionTimestamp &&
      !podTerminal(pod) &&
      !(s?.schedulingGates && s.schedulingGates.length > 0)
    );
  }

  private onPod(old: Pod | undefined, pod: Pod): void {
    const key = keyOf(pod);
    if (pod.spec?.nodeName) {
      const cached = this.cache.pod(key);
      const confirmed = cached !== undefined && !this.cache.isAssumed(key);
      this.cache.setPod(pod);
      // A pod that finished frees its node's resources.
      if (cached && podTerminal(pod) && !(old && podTerminal(old))) this.queue.moveAllToActive();
      // A pod newly seen on its node, or relabelled, may satisfy a waiting pod's affinity
      // (upstream's AssignedPodAdd / AssignedPodUpdate events for InterPodAffinity).
      else if (this.queue.unschedulableCount() > 0 && (!confirmed || cached !== this.cache.pod(key))) this.queue.moveAllToActive();
      if (!old || !old.spec?.nodeName) this.queue.done(key);
      return;
    }
    if (!this.responsibleFor(pod)) {
      if (old) this.queue.done(key);
      return;
    }
    // Our own status write comes back as an update: only a spec change retries a parked pod.
    if (old && this.queue.isUnschedulable(key) && JSON.stringify(old.spec) === JSON.stringify(pod.spec)) return;
    this.queue.add(key);
  }

  private onPodDelete(pod: Pod): void {
    const key = keyOf(pod);
    if (this.cache.removePod(key)) this.queue.moveAllToActive();
    this.queue.done(key);
  }

  /** One scheduling cycle and, on success, the binding cycle for `key`. */
  private async scheduleOne(key: string): Promise<void> {
    const pod = this.pods.indexer.get(key);
    if (!pod || !this.responsibleFor(pod)) {
      this.queue.done(key);
      return;
    }
    // Bound (or binding) but not yet seen by the informer.
    if (this.cache.isAssumed(key)) return;
    this.queue.recordAttempt(key);
    const p = podToSchedule(pod);
    const out = schedulePod(p, this.cache, this.state, { random: this.random, namespaces: this.namespaceLabels });
    if (out.kind === 'fit') return this.bind(pod, key, out.node, p.info);
    if (out.kind === 'error') return this.fail(pod, key, out.message === NO_NODES_AVAILABLE ? 'Unschedulable' : 'SchedulerError', out.message);
    return this.fail(pod, key, 'Unschedulable', this.unschedulableMessage(p, out.diagnosis));
  }

  private unschedulableMessage(p: PodToSchedule, d: Diagnosis): string {
    const priority = p.pod.spec?.priority ?? 0;
    const post = preemptionMessage(d, p.pod.spec?.preemptionPolicy, {
      hasLowerPriorityPods: (node) => [...(this.cache.node(node)?.pods.values() ?? [])].some((x) => x.priority < priority),
      refilterWithoutLowerPriority: (node) => {
        const n = this.cache.node(node);
        if (!n) return undefined;
        const victims = [...n.pods.values()].filter((x) => x.priority < priority);
        for (const v of victims) n.removePod(v.key);
        try {
          return runFilters(p, n);
        } finally {
          for (const v of victims) n.addPod(v);
        }
      },
    });
    return fitErrorMessage(d, post);
  }

  private async bind(pod: Pod, key: string, node: string, info: PodInfo): Promise<void> {
    const ns = pod.metadata?.namespace ?? '';
    const name = pod.metadata?.name ?? '';
    this.cache.assume({ ...info, nodeName: node });
    try {
      await this.ctx.client.resource('', 'v1', 'pods').createSubresource(ns, name, 'binding', {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name, namespace: ns, uid: pod.metadata?.uid },
        target: { apiVersion: 'v1', kind: 'Node', name: node },
      });
    } catch (err) {
      this.cache.forget(key);
      // Someone else bound it, or it is gone or going: nothing left to do.
      if (isReason(err, 'Conflict') || isReason(err, 'NotFound')) {
        this.log.info({ pod: key, node, err: errorMessage(err) }, 'binding not needed any more');
        this.queue.done(key);
        return;
      }
      this.queue.moveAllToActive();
      this.recorder.event(podRef(pod), 'Warning', 'FailedScheduling', truncateMessage(`running Bind plugin "DefaultBinder": ${errorMessage(err)}`));
      throw err;
    }
    this.recorder.event(podRef(pod), 'Normal', 'Scheduled', `Successfully assigned ${ns}/${name} to ${node}`);
    this.queue.done(key);
  }

  private async fail(pod: Pod, key: string, reason: string, message: string): Promise<void> {
    // Park first: the status write below comes back as an update that must not retry the pod.
    this.queue.markUnschedulable(key);
    this.log.info({ pod: key, reason, message }, 'pod is unschedulable');
    this.recorder.event(podRef(pod), 'Warning', 'FailedScheduling', truncateMessage(message));
    const cond = plannedCondition(pod, reason, message, new Date(this.ctx.now()));
    if (!cond) return;
    try {
      await this.ctx.client
        .resource('', 'v1', 'pods')
        .patch(pod.metadata?.namespace, pod.metadata?.name ?? '', 'strategic', { status: { conditions: [cond] } }, { subresource: 'status', fieldManager: this.schedulerName === 'default-scheduler' ? 'kube-scheduler' : this.schedulerName });
    } catch (err) {
      if (!isReason(err, 'NotFound')) this.log.warn({ pod: key, err: errorMessage(err) }, 'could not update the PodScheduled condition');
    }
  }
}

/**
 * The `PodScheduled=False` condition to write, or undefined when the pod already
 * carries it (upstream `UpdatePodCondition`: the transition time moves only when
 * the status does).
 */
export function plannedCondition(pod: Pod, reason: string, message: string, now: Date): PodCondition | undefined {
  const cur = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (cur && cur.status === 'False' && cur.reason === reason && cur.message === message) return undefined;
  const at = cur && cur.status === 'False' && cur.lastTransitionTime ? cur.lastTransitionTime : `${now.toISOString().slice(0, 19)}Z`;
  return { type: 'PodScheduled', status: 'False', reason, message, lastProbeTime: null as unknown as string, lastTransitionTime: at };
}

/** Whether a node update can make a parked pod fit (not a heartbeat). */
export function nodeChangeMayHelp(old: Node, cur: Node): boolean {
  if (!!old.spec?.unschedulable !== !!cur.spec?.unschedulable) return true;
  if (JSON.stringify(old.spec?.taints ?? []) !== JSON.stringify(cur.spec?.taints ?? [])) return true;
  if (JSON.stringify(old.metadata?.labels ?? {}) !== JSON.stringify(cur.metadata?.labels ?? {})) return true;
  return JSON.stringify(old.status?.allocatable ?? {}) !== JSON.stringify(cur.status?.allocatable ?? {});
}
