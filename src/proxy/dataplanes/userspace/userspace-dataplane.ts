/**
 * The userspace data path (the seeds' "userspace mode", upstream's old
 * `pkg/proxy/userspace`): Node.js listeners on every Service address forward
 * connections to endpoints chosen by the configured scheduler. `sync` reconciles
 * listeners with the full desired state — opens new ones, closes removed ones and
 * swaps the route of unchanged ones — so unrelated changes never touch open
 * connections.
 *
 * Addresses that cannot be bound for good reasons (EACCES for ports below 1024
 * without privileges, EADDRNOTAVAIL for non-local external IPs) are reported
 * once and retried quietly on later syncs; other bind errors fail the sync so
 * the proxy retries with back-off.
 *
 * A Service address with no usable endpoint is not listened on: clients get
 * ECONNREFUSED (TCP RST, or ICMP port unreachable for UDP), the same answer as
 * upstream's REJECT rule. Caveat: a process listening on the wildcard address at
 * the same port would then receive those connections instead.
 */
import { errorMessage, silentLogger, type Logger } from '../../../client/logger.js';
import type { Dataplane, DataplaneSnapshot, ProxyState, ServicePortSnapshot } from '../../dataplane.js';
import type { EndpointInfo } from '../../endpoint.js';
import type { FrontendPlan } from '../../frontends.js';
import { ProxyMetrics } from '../../metrics.js';
import { NodeResolver } from '../../node-info.js';
import type { SchedulerOptions } from '../../schedulers/index.js';
import type { Protocol } from '../../service-port.js';
import { AcceptWorkers, type CountsRow } from './accept-workers.js';
import { ServicePortBalancer } from './balancer.js';
import type { Closable, FrontendContext } from './context.js';
import { IncrementalPlanner } from './incremental-planner.js';
import { Route } from './route.js';
import { TcpFrontend } from './tcp-frontend.js';
import { UdpFrontend } from './udp-frontend.js';

/** Options of {@link UserspaceDataplane}. */
export interface UserspaceDataplaneOptions {
  /** Metrics to update (default: a private registry). */
  metrics?: ProxyMetrics;
  logger?: Logger;
  /** Milliseconds clock for affinity and UDP idleness. Default `Date.now`. */
  now?: () => number;
  /** Connect timeout per attempt (and so the number of attempts). Default `[250, 500, 1000, 2000]`, upstream's `EndpointDialTimeouts`. */
  dialTimeoutsMs?: readonly number[];
  /** Idle time after which a UDP association ends. Default 30 000 (conntrack's unreplied-UDP timeout). */
  udpIdleTimeoutMs?: number;
  /** Passed to schedulers (the `random` source). */
  scheduler?: SchedulerOptions;
  /**
   * Processes accepting TCP connections, this one included. Default 1. With
   * more, extra processes ({@link AcceptWorkers}) accept on every plain round
   * robin TCP address too, so forwarding uses more than one core; their counts
   * reach snapshots and metrics within half a second.
   *
   * @example new UserspaceDataplane({ workers: os.availableParallelism() })
   */
  workers?: number;
}

const PROTOCOLS: readonly Protocol[] = ['TCP', 'UDP'];
/** One shared empty list, so service ports without endpoints compare unchanged between syncs. */
const NO_ENDPOINTS: readonly EndpointInfo[] = [];

type Frontend = TcpFrontend | UdpFrontend;

/**
 * The userspace data path.
 *
 * @example
 * const dp = new UserspaceDataplane({ metrics });
 * await dp.sync(state);   // listeners now match `state`
 * dp.snapshot();          // live per-backend numbers
 * await dp.close();
 */
export class UserspaceDataplane implements Dataplane {
  readonly mode = 'userspace';
  private readonly metrics: ProxyMetrics;
  private readonly log: Logger;
  private readonly ctx: FrontendContext;
  private readonly schedulerOptions: SchedulerOptions;
  private readonly balancers = new Map<string, ServicePortBalancer>();
  private readonly frontends = new Map<string, Frontend>();
  private readonly warned = new Set<string>();
  private readonly workers: AcceptWorkers | undefined;
  private readonly planner = new IncrementalPlanner();
  /** Balancers {@link sync} must visit even when their service port did not change (see `ServicePortBalancer.needsSweep`, retiring ones). */
  private readonly sweeping = new Set<string>();
  /** A listener failed to open: the next sync reconciles every frontend. */
  private retryListeners = false;
  /** The node resolver routes use; rebuilt on every full plan (the planner plans everything when nodes change). */
  private resolver: NodeResolver | undefined;
  private closed = false;

  constructor(opts: UserspaceDataplaneOptions = {}) {
    this.metrics = opts.metrics ?? new ProxyMetrics();
    this.log = opts.logger ?? silentLogger;
    this.schedulerOptions = opts.scheduler ?? {};
    const now = opts.now ?? Date.now;
    this.ctx = {
      now,
      log: this.log,
      open: new Set<Closable>(),
      dialTimeoutsMs: opts.dialTimeoutsMs?.length ? opts.dialTimeoutsMs : [250, 500, 1000, 2000],
      udpIdleTimeoutMs: opts.udpIdleTimeoutMs ?? 30_000,
    };
    const extra = Math.max(0, Math.floor(opts.workers ?? 1) - 1);
    if (extra > 0) this.workers = new AcceptWorkers(extra, this.ctx.dialTimeoutsMs, this.log, (row) => this.addWorkerCounts(row));
    this.metrics.onCollect(() => {
      for (const b of this.balancers.values()) for (const be of b.backends.values()) be.flush();
    });
  }

  /**
   * Makes listeners and routes match `state`. Between two syncs usually one
   * service port changed, and then only its balancer and frontends are touched
   * (plus balancers with affinity to sweep or backends to retire): a sync over
   * 10,000 Services costs what the change costs. A full pass runs when the
   * planner planned everything (it does when nodes change) or a listener failed
   * to open.
   */
  async sync(state: ProxyState): Promise<void> {
    if (this.closed) throw new Error('the userspace data path is closed; create a new one');
    const now = this.ctx.now();
    const plan = this.planner.plan(state);
    const delta = this.planner.delta;
    for (const c of plan.conflicts) this.warnOnce(`conflict:${c.key}:${c.servicePort}`, { address: c.key, servicePort: c.servicePort, heldBy: c.heldBy }, 'Service address already used by another Service port; ignoring it here');
    if (delta.all || !this.resolver) this.resolver = new NodeResolver(state.nodes);
    const resolver = this.resolver;

    // Balancers: the changed service ports, and those with work of their own.
    const keys = delta.all ? new Set([...state.servicePorts.keys(), ...this.balancers.keys()]) : new Set([...delta.servicePorts, ...this.sweeping]);
    for (const key of keys) this.updateBalancer(key, state, now);

    // Routes and listeners: every frontend on a full pass, else the changed ones.
    const desired = new Map<string, Route>();
    const routeFor = (f: FrontendPlan): Route | undefined => {
      const b = this.balancers.get(f.servicePort);
      if (!f.listen || !b) return undefined;
      // The planner hands back the same plan object for an unchanged service port: its route stands.
      const current = this.frontends.get(f.key)?.route;
      return current && current.plan === f && current.balancer === b && current.resolver === resolver ? current : new Route(f, b, resolver);
    };
    // A listener that failed to open is retried on every sync until it opens: those go the full way.
    const full = delta.all || this.retryListeners;
    this.retryListeners = false;
    if (full) {
      for (const f of plan.frontends) {
        const r = routeFor(f);
        if (r) desired.set(f.key, r);
      }
      for (const key of [...this.frontends.keys()]) if (!desired.has(key)) this.closeFrontend(key);
    } else {
      for (const key of delta.gone) this.closeFrontend(key);
      for (const f of delta.frontends) {
        const r = routeFor(f);
        if (r) desired.set(f.key, r);
        else this.closeFrontend(f.key);
      }
    }
    const opening: Array<Promise<void>> = [];
    const failures: string[] = [];
    for (const [key, route] of desired) {
      const existing = this.frontends.get(key);
      if (existing) {
        if (existing.route === route) continue;
        existing.route = route;
        if (this.workers && existing instanceof TcpFrontend) this.workers.reconcile(key, existing);
        continue;
      }
      const { ip, port, protocol } = route.plan;
      const fe: Frontend = protocol === 'UDP' ? new UdpFrontend(ip, port, route, this.ctx) : new TcpFrontend(ip, port, route, this.ctx);
      this.frontends.set(key, fe);
      opening.push(
        fe.listen().then(
          () => {
            this.warned.delete(`bind:${key}`);
            if (this.workers && fe instanceof TcpFrontend && this.frontends.get(key) === fe) this.workers.reconcile(key, fe);
          },
          (err: unknown) => {
            this.retryListeners = true;
            fe.close();
            if (this.frontends.get(key) === fe) this.frontends.delete(key);
            const code = (err as NodeJS.ErrnoException).code;
            if (code === 'EACCES' || code === 'EADDRNOTAVAIL') {
              // Not going to change by retrying soon: say once what to do; every later sync tries again quietly.
              const remedy = code === 'EACCES' ? 'ports below 1024 need root, CAP_NET_BIND_SERVICE or `sysctl net.ipv4.ip_unprivileged_port_start=0`' : 'the address is not local to this machine';
              this.warnOnce(`bind:${key}`, { address: key, servicePort: route.plan.servicePort, err: errorMessage(err) }, `cannot listen on this Service address: ${remedy}`);
            } else failures.push(`${key} (${route.plan.servicePort}): ${errorMessage(err)}`);
          },
        ),
      );
    }
    await Promise.all(opening);
    let tcp = 0;
    for (const fe of this.frontends.values()) if (fe instanceof TcpFrontend) tcp++;
    this.metrics.listeners.labels({ protocol: 'TCP' }).set(tcp);
    this.metrics.listeners.labels({ protocol: 'UDP' }).set(this.frontends.size - tcp);
    if (failures.length > 0) {
      throw new Error(`could not listen on ${failures.length} Service address(es): ${failures.join('; ')}; free the address or port, the proxy retries`);
    }
  }

  snapshot(): DataplaneSnapshot {
    const listeners = new Map<string, string[]>();
    for (const [key, fe] of this.frontends) {
      const sp = fe.route.plan.servicePort;
      let l = listeners.get(sp);
      if (!l) listeners.set(sp, (l = []));
      l.push(key.slice(key.indexOf('/') + 1));
    }
    const servicePorts: ServicePortSnapshot[] = [];
    for (const [key, b] of [...this.balancers].sort(([a], [c]) => (a < c ? -1 : 1))) {
      const info = b.info;
      if (!info) continue;
      servicePorts.push({
        namespace: info.namespace,
        name: info.name,
        port: info.portName,
        protocol: info.protocol,
        scheduler: b.scheduler?.name ?? 'rr',
        listeners: listeners.get(key) ?? [],
        rejected: b.rejected,
        backends: [...b.backends.values()].map((be) => {
          be.flush();
          return {
            endpoint: be.key,
            nodeName: be.nodeName,
            listed: be.listed,
            weight: be.weight,
            activeConnections: be.active,
            connectionsTotal: be.connectionsTotal,
            bytesIn: be.bytesIn,
            bytesOut: be.bytesOut,
            errors: be.errors,
            picks: be.picks,
          };
        }),
      });
    }
    return { mode: this.mode, servicePorts };
  }

  /** Updates or retires the balancer of one service port, and notes whether it needs attention at every sync. */
  private updateBalancer(key: string, state: ProxyState, now: number): void {
    const info = state.servicePorts.get(key);
    let b = this.balancers.get(key);
    if (info && PROTOCOLS.includes(info.protocol)) {
      if (!b) this.balancers.set(key, (b = new ServicePortBalancer(this.metrics, this.schedulerOptions)));
      b.update(info, state.endpoints.get(key) ?? NO_ENDPOINTS, state.defaultScheduler, now);
      if (b.needsSweep) this.sweeping.add(key);
      else this.sweeping.delete(key);
      return;
    }
    if (info) this.warnOnce(`protocol:${key}`, { servicePort: key, protocol: info.protocol }, 'the userspace data path serves only TCP and UDP; skipping this Service port');
    if (!b) return;
    // Gone (or not servable): kept, and looked at every sync, until its last connection ends.
    if (b.retire()) {
      this.balancers.delete(key);
      this.sweeping.delete(key);
    } else this.sweeping.add(key);
  }

  private closeFrontend(key: string): void {
    const fe = this.frontends.get(key);
    if (!fe) return;
    this.workers?.forget(key);
    fe.close();
    this.frontends.delete(key);
  }

  /** Accept workers started and ready (0 without the `workers` option); they start in the background. */
  get workersReady(): number {
    return this.workers?.readyCount ?? 0;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.workers?.close();
    for (const fe of this.frontends.values()) fe.close();
    this.frontends.clear();
    for (const c of [...this.ctx.open]) c.destroy();
    // Let the sockets' close events run so every count settles.
    await new Promise((r) => setImmediate(r));
  }

  /** Adds what an accept worker forwarded to the backend it reached. */
  private addWorkerCounts([key, backend, connections, picks, bytesIn, bytesOut, errors]: CountsRow): void {
    const fe = this.frontends.get(key);
    const b = fe?.route.balancer.backends.get(backend);
    if (!b) return;
    b.connectionsTotal += connections;
    b.picks += picks;
    b.bytesIn += bytesIn;
    b.bytesOut += bytesOut;
    b.errors += errors;
  }

  private warnOnce(id: string, obj: Record<string, unknown>, msg: string): void {
    if (this.warned.has(id)) return;
    this.warned.add(id);
    this.log.warn(obj, msg);
  }
}
