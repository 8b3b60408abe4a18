/**
 * The per-service-port brain of the userspace data path (upstream userspace
 * `roundrobin.go` `LoadBalancerRR`, generalised to every scheduler): it owns the
 * backends with their live counts, the scheduler instance and the ClientIP
 * affinity table, and chooses a backend for each new connection. Pure apart from
 * metric counters; time is passed in.
 */
import type { EndpointInfo } from '../../endpoint.js';
import type { ProxyMetrics } from '../../metrics.js';
import { createScheduler, type SchedulerOptions } from '../../schedulers/index.js';
import type { Scheduler, SchedulerName } from '../../schedulers/scheduler.js';
import { AffinityTable } from '../../session-affinity.js';
import type { ServicePortInfo } from '../../service-port.js';
import { UserspaceBackend } from './backend.js';

/**
 * Chooses backends for one service port.
 *
 * @example
 * const b = new ServicePortBalancer(metrics);
 * b.update(info, endpoints, 'rr');
 * const backend = b.choose(b.listed, '127.0.0.1', '127.96.0.20', Date.now());
 */
export class ServicePortBalancer {
  info: ServicePortInfo | undefined;
  scheduler: Scheduler | undefined;
  affinity: AffinityTable | undefined;
  /** Every backend known, listed or still carrying connections, by `ip:port`. */
  readonly backends = new Map<string, UserspaceBackend>();
  /** Connections refused or dropped for lack of a usable endpoint. */
  rejected = 0;
  /** The endpoint list last given to {@link update}, to skip unchanged service ports cheaply. */
  private endpoints: readonly EndpointInfo[] | undefined;
  /** Unlisted backends still carrying connections: a later update must drop them once idle. */
  private lingering = false;

  constructor(
    private readonly metrics: ProxyMetrics,
    private readonly schedulerOptions: SchedulerOptions = {},
  ) {}

  /**
   * Takes a new projection and endpoint list: backends are kept (with their
   * counts) by `ip:port`, new ones added, vanished ones unlisted and dropped once
   * idle; the scheduler is replaced only when its name changes, the affinity
   * table only when the timeout changes. The same `info` and `endpoints` objects
   * as last time (the proxy keeps unchanged entries) cost nothing, unless an
   * affinity table needs sweeping: a sync over 10,000 Services touches only the
   * changed ones.
   */
  update(info: ServicePortInfo, endpoints: readonly EndpointInfo[], defaultScheduler: SchedulerName, now: number): void {
    const name = info.scheduler ?? defaultScheduler;
    if (info === this.info && endpoints === this.endpoints && this.scheduler?.name === name && !this.affinity && !this.lingering) return;
    this.info = info;
    this.endpoints = endpoints;
    if (this.scheduler?.name !== name) this.scheduler = createScheduler(name, this.schedulerOptions);
    const timeoutMs = info.affinityTimeoutSeconds !== undefined ? info.affinityTimeoutSeconds * 1000 : undefined;
    if (timeoutMs === undefined) this.affinity = undefined;
    else if (this.affinity?.timeoutMs !== timeoutMs) this.affinity = new AffinityTable(timeoutMs);
    const seen = new Set<string>();
    for (const ep of endpoints) {
      seen.add(ep.key);
      const b = this.backends.get(ep.key);
      if (b) {
        b.listed = true;
        b.weight = ep.weight;
        b.nodeName = ep.nodeName;
      } else this.backends.set(ep.key, new UserspaceBackend(ep, info, this.metrics));
    }
    this.unlistExcept(seen);
    this.affinity?.sweep(now, (key) => this.backends.get(key)?.listed === true);
  }

  /** True when {@link update} has work even for an unchanged service port: an affinity table to sweep, or unlisted backends to drop once idle. */
  get needsSweep(): boolean {
    return this.affinity !== undefined || this.lingering;
  }

  /** Unlists every backend (the service port is gone). Returns whether nothing is left to track. */
  retire(): boolean {
    this.endpoints = undefined;
    this.unlistExcept(new Set());
    return this.backends.size === 0;
  }

  /** The backend objects for `endpoints` (which {@link update} has seen). */
  backendsFor(endpoints: readonly EndpointInfo[]): UserspaceBackend[] {
    const out: UserspaceBackend[] = [];
    for (const ep of endpoints) {
      const b = this.backends.get(ep.key);
      if (b) out.push(b);
    }
    return out;
  }

  /**
   * The backend for a new connection from `client` to `destination` among
   * `candidates` (the frontend's usable backends), skipping `exclude` (backends
   * that just failed to connect). A fresh affinity entry whose backend is among
   * the candidates wins; otherwise the scheduler decides and, with affinity, the
   * choice is remembered. Undefined when nothing is usable.
   */
  choose(candidates: readonly UserspaceBackend[], client: string, destination: string, now: number, exclude?: readonly UserspaceBackend[]): UserspaceBackend | undefined {
    let list = candidates;
    if (exclude && exclude.length > 0) list = candidates.filter((b) => !exclude.includes(b));
    const affinity = this.affinity;
    if (affinity) {
      const key = affinity.lookup(client, now);
      if (key !== undefined) {
        for (const b of list) {
          if (b.key === key) {
            affinity.record(client, key, now);
            b.picked();
            return b;
          }
        }
      }
    }
    const b = this.scheduler?.pick(list, client, destination);
    if (!b) return undefined;
    affinity?.record(client, b.key, now);
    b.picked();
    return b;
  }

  /** Forgets `client`'s affinity (its backend failed). */
  forgetClient(client: string): void {
    this.affinity?.forget(client);
  }

  private unlistExcept(keep: ReadonlySet<string>): void {
    this.lingering = false;
    for (const [key, b] of this.backends) {
      if (keep.has(key)) continue;
      b.listed = false;
      if (b.active === 0) {
        b.flush();
        b.forgetMetrics();
        this.backends.delete(key);
      } else this.lingering = true;
    }
  }
}
