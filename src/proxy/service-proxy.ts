/**
 * The service proxy (upstream kube-proxy): informer handlers for Services,
 * EndpointSlices and Nodes feed the change trackers; one rate-limited full sync
 * folds the net changes into the service and endpoints maps and hands the whole
 * desired state to the data path. A failed sync is retried with back-off, and a
 * periodic sync repairs anything the data path lost.
 *
 * One proxy serves the whole machine: every Node it serves (all, by default)
 * gets its NodePorts on its InternalIPs, and the host addresses (127.0.0.1) get
 * them too.
 */
import type { Node, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { Registry } from 'prom-client';
import { realClock, type Clock } from '../client/clock.js';
import { deletedObject, type SharedInformer, type SharedInformerFactory } from '../client/informer.js';
import { errorMessage, silentLogger, type Logger } from '../client/logger.js';
import type { Dataplane, DataplaneSnapshot, ProxyState } from './dataplane.js';
import { UserspaceDataplane } from './dataplanes/userspace/userspace-dataplane.js';
import { IptablesDataplane } from './dataplanes/iptables/iptables-dataplane.js';
import { NftablesDataplane } from './dataplanes/nftables/nftables-dataplane.js';
import type { EndpointInfo } from './endpoint.js';
import { applyEndpointsChanges, EndpointsChangeTracker } from './endpoints-change-tracker.js';
import { ProxyMetrics } from './metrics.js';
import { nodeInfoFromNode, sameNodeInfo, type NodeInfo } from './node-info.js';
import { isSchedulerName, type SchedulerName } from './schedulers/scheduler.js';
import { applyServiceChanges, ServiceChangeTracker } from './service-change-tracker.js';
import { SCHEDULER_ANNOTATION, type ServicePortInfo } from './service-port.js';
import { SyncRunner } from './sync-runner.js';
import { HealthCheckServers, planHealthChecks } from './health-check.js';
import { PROXY_MODES, type ProxyMode } from './modes.js';

export { PROXY_MODES, type ProxyMode };

/** Options of {@link ServiceProxy}. */
export interface ServiceProxyOptions {
  /** Data path (flag `--proxy-mode`). Default `userspace`. Ignored when `dataplane` is given. */
  mode?: ProxyMode;
  /** A ready-made data path (tests). */
  dataplane?: Dataplane;
  /** Kernel modes: the network namespace (`ip netns` name) to program. Default: this process's. */
  netns?: string;
  /** Kernel modes: the pod network, for kube-proxy's masquerade rules (upstream `--cluster-cidr`). */
  clusterCIDR?: string;
  /** Kernel modes: remove the rules when the proxy stops (`kube-proxy --cleanup`). Default false. */
  cleanupOnStop?: boolean;
  /** Scheduler for Services without a `skiff.io/scheduler` annotation (flag `--proxy-scheduler`). Default `rr`. */
  scheduler?: SchedulerName;
  /**
   * The node the host itself counts as for Local traffic policies (127.0.0.1
   * NodePorts and clients of unknown node). Default: none — host traffic may use
   * endpoints on any served node.
   */
  nodeName?: string;
  /** Which Nodes this proxy serves (listens on their InternalIPs). Default: all. */
  servesNode?: (node: Node) => boolean;
  /** Host addresses that also get every NodePort. Default `['127.0.0.1']`. */
  hostAddresses?: readonly string[];
  /** Minimum time between syncs (upstream `--iptables-min-sync-period`). Default 1000 ms. */
  minSyncPeriodMs?: number;
  /** Periodic full sync (upstream `--iptables-sync-period`). Default 30 000 ms. */
  syncPeriodMs?: number;
  /** Registry for the proxy's metrics, e.g. the API server's `server.metrics`. Default: a private one. */
  registry?: Registry;
  logger?: Logger;
  clock?: Clock;
  /** Userspace mode: UDP association idle timeout. Default 30 000 ms. */
  udpIdleTimeoutMs?: number;
  /**
   * Userspace mode: processes accepting TCP connections (flag `--proxy-workers`). Extra ones
   * share the listening sockets of plain round-robin Services (see accept-workers.ts). Default 1.
   */
  workers?: number;
  /** Userspace mode: connect timeout per attempt. Default `[250, 500, 1000, 2000]`. */
  dialTimeoutsMs?: readonly number[];
}

/** What {@link ServiceProxy.snapshot} returns: the data path's live numbers plus sync facts. */
export interface ProxySnapshot extends DataplaneSnapshot {
  /** When the last successful sync finished (ms), undefined before the first. */
  readonly lastSyncAt?: number;
  readonly syncs: number;
}

const MAX_RETRY_MS = 30_000;

/**
 * Watches Services, EndpointSlices and Nodes and keeps a data path programmed.
 * Informers come from the shared factory; the caller starts the factory (the
 * ControllerManager does in `skiff up`).
 *
 * @example
 * const ctx = newControllerContext(client);
 * const proxy = new ServiceProxy(ctx.informers, { scheduler: 'lc', registry: server.metrics });
 * void ctx.informers.start(signal);
 * void proxy.start(signal);
 * await proxy.ready;
 */
export class ServiceProxy {
  /** Lets a ControllerManager run the proxy (`manager.add(proxy)`). */
  readonly name = 'service-proxy';
  /**
   * Resolves after the informers synced and the first sync was applied (a sync
   * that could not bind some address counts; those are retried in the
   * background). Rejects if the proxy stops before.
   */
  readonly ready: Promise<void>;
  readonly metrics: ProxyMetrics;
  readonly dataplane: Dataplane;
  private readonly services: SharedInformer<Service>;
  private readonly slices: SharedInformer<EndpointSlice>;
  private readonly nodeInformer: SharedInformer<Node>;
  private readonly serviceTracker = new ServiceChangeTracker();
  private readonly endpointsTracker: EndpointsChangeTracker;
  private readonly serviceMap = new Map<string, ServicePortInfo>();
  private readonly endpointsMap = new Map<string, readonly EndpointInfo[]>();
  private readonly nodes = new Map<string, NodeInfo>();
  private readonly runner: SyncRunner;
  private readonly log: Logger;
  /** The healthCheckNodePort listeners (every data path: kube-proxy serves them in userspace too). */
  private readonly healthChecks: HealthCheckServers;
  private readonly clock: Clock;
  private readonly defaultScheduler: SchedulerName;
  private readonly hostAddresses: readonly string[];
  private pendingTriggers: number[] = [];
  private retryMs = 0;
  private lastSyncAt: number | undefined;
  private syncs = 0;
  private resolveReady!: () => void;
  private rejectReady!: (err: unknown) => void;

  constructor(
    informers: SharedInformerFactory,
    private readonly opts: ServiceProxyOptions = {},
  ) {
    this.log = opts.logger ?? silentLogger;
    this.clock = opts.clock ?? realClock;
    this.defaultScheduler = opts.scheduler ?? 'rr';
    if (!isSchedulerName(this.defaultScheduler)) throw new Error(`unknown proxy scheduler "${String(this.defaultScheduler)}": use one of rr, wrr, lc, dh, sh, sed, nq, random`);
    const mode = opts.mode ?? 'userspace';
    if (!PROXY_MODES.includes(mode)) throw new Error(`unknown proxy mode "${String(mode)}": use one of ${PROXY_MODES.join(', ')}`);
    this.hostAddresses = opts.hostAddresses ?? ['127.0.0.1'];
    this.healthChecks = new HealthCheckServers(this.log);
    this.metrics = new ProxyMetrics(opts.registry);
    this.endpointsTracker = new EndpointsChangeTracker(() => this.clock.now());
    const kernel = {
      logger: this.log,
      ...(opts.netns ? { netns: opts.netns } : {}),
      ...(opts.clusterCIDR ? { clusterCIDR: opts.clusterCIDR } : {}),
      ...(opts.cleanupOnStop ? { cleanupOnClose: true } : {}),
    };
    this.dataplane =
      opts.dataplane ??
      (mode === 'iptables' ? new IptablesDataplane(kernel) : undefined) ??
      (mode === 'nftables' ? new NftablesDataplane(kernel) : undefined) ??
      new UserspaceDataplane({
        metrics: this.metrics,
        logger: this.log,
        now: () => this.clock.now(),
        ...(opts.udpIdleTimeoutMs !== undefined ? { udpIdleTimeoutMs: opts.udpIdleTimeoutMs } : {}),
        ...(opts.dialTimeoutsMs !== undefined ? { dialTimeoutsMs: opts.dialTimeoutsMs } : {}),
        ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
      });
    this.services = informers.forResource<Service>('', 'v1', 'services');
    this.slices = informers.forResource<EndpointSlice>('discovery.k8s.io', 'v1', 'endpointslices');
    this.nodeInformer = informers.forResource<Node>('', 'v1', 'nodes');
    this.runner = new SyncRunner(() => this.syncOnce(), { minIntervalMs: opts.minSyncPeriodMs ?? 1000, maxIntervalMs: opts.syncPeriodMs ?? 30_000, clock: this.clock });
    this.ready = new Promise<void>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(() => {});
  }

  /** Runs until `signal` aborts; then closes the data path (listeners and open connections). */
  async start(signal: AbortSignal): Promise<void> {
    const unsubscribe = [
      this.services.addEventHandler({
        onAdd: (s) => this.onService(undefined, s),
        onUpdate: (o, s) => this.onService(o, s),
        onDelete: (s) => this.onService(deletedObject(s), undefined),
      }),
      this.slices.addEventHandler({
        onAdd: (s) => this.onSlice(undefined, s),
        onUpdate: (o, s) => this.onSlice(o, s),
        onDelete: (s) => this.onSlice(deletedObject(s), undefined),
      }),
      this.nodeInformer.addEventHandler({
        onAdd: (n) => this.onNode(n, false),
        onUpdate: (_o, n) => this.onNode(n, false),
        onDelete: (n) => this.onNode(deletedObject(n), true),
      }),
    ];
    try {
      const synced = Promise.all([this.services.synced, this.slices.synced, this.nodeInformer.synced]);
      synced.catch(() => {});
      await Promise.race([synced, new Promise((r) => signal.addEventListener('abort', r, { once: true }))]);
      if (!signal.aborted) {
        this.log.info({ mode: this.dataplane.mode, scheduler: this.defaultScheduler }, 'service proxy started');
        await this.runner.start(signal);
      }
    } finally {
      for (const u of unsubscribe) u();
      this.rejectReady(new Error('the service proxy stopped before its first sync'));
      await this.dataplane.close();
      await this.healthChecks.close();
    }
  }

  /** Live per-backend traffic numbers and the last sync time. */
  snapshot(): ProxySnapshot {
    return { ...this.dataplane.snapshot(), ...(this.lastSyncAt !== undefined ? { lastSyncAt: this.lastSyncAt } : {}), syncs: this.syncs };
  }

  private onService(previous: Service | undefined, current: Service | undefined): void {
    const value = current?.metadata?.annotations?.[SCHEDULER_ANNOTATION];
    if (value !== undefined && value !== previous?.metadata?.annotations?.[SCHEDULER_ANNOTATION] && !isSchedulerName(value)) {
      this.log.warn({ service: `${current?.metadata?.namespace}/${current?.metadata?.name}`, annotation: SCHEDULER_ANNOTATION, value }, 'unknown scheduler in annotation; using the proxy default (rr, wrr, lc, dh, sh, sed, nq, random are known)');
    }
    if (this.serviceTracker.update(previous, current)) this.runner.request();
  }

  private onSlice(previous: EndpointSlice | undefined, current: EndpointSlice | undefined): void {
    if (this.endpointsTracker.update(previous, current)) this.runner.request();
  }

  private onNode(node: Node, deleted: boolean): void {
    const name = node.metadata?.name ?? '';
    const serves = !deleted && (this.opts.servesNode?.(node) ?? true);
    const next = serves ? nodeInfoFromNode(node) : undefined;
    if (sameNodeInfo(this.nodes.get(name), next)) return;
    if (next) this.nodes.set(name, next);
    else this.nodes.delete(name);
    this.runner.request();
  }

  private async syncOnce(): Promise<void> {
    const began = this.clock.now();
    applyServiceChanges(this.serviceMap, this.serviceTracker.checkout());
    const { changes, triggerTimes } = this.endpointsTracker.checkout();
    applyEndpointsChanges(this.endpointsMap, changes);
    this.pendingTriggers.push(...triggerTimes);
    const state: ProxyState = {
      servicePorts: new Map(this.serviceMap),
      endpoints: new Map(this.endpointsMap),
      nodes: [...this.nodes.values()].sort((a, b) => (a.name < b.name ? -1 : 1)),
      hostAddresses: this.hostAddresses,
      ...(this.opts.nodeName ? { nodeName: this.opts.nodeName } : {}),
      defaultScheduler: this.defaultScheduler,
    };
    try {
      await this.dataplane.sync(state);
    } catch (err) {
      // The data path may be half-programmed: the next sync hands it the whole state again.
      this.retryMs = Math.min(MAX_RETRY_MS, this.retryMs ? this.retryMs * 2 : 200);
      this.metrics.syncErrors.inc();
      this.log.warn({ err: errorMessage(err), retryInMs: this.retryMs }, 'service proxy sync failed; retrying');
      this.runner.retryAfter(this.retryMs);
      // Everything else was applied: the proxy is serving, just not completely yet.
      this.resolveReady();
      return;
    }
    this.retryMs = 0;
    await this.healthChecks.sync(planHealthChecks(state));
    const done = this.clock.now();
    this.metrics.syncDuration.observe((done - began) / 1000);
    for (const t of this.pendingTriggers) this.metrics.networkProgramming.observe(Math.max(0, done - t) / 1000);
    this.pendingTriggers = [];
    this.metrics.lastSync.set(done / 1000);
    this.lastSyncAt = done;
    this.syncs++;
    this.log.debug?.({ servicePorts: state.servicePorts.size, nodes: state.nodes.length, ms: done - began }, 'service proxy synced');
    this.resolveReady();
  }
}
