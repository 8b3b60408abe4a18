/**
 * The seam between the proxy's control loop and a data path: the proxy hands
 * the *whole* desired state to `sync` after every change (as kube-proxy renders
 * a complete ruleset); the data path makes reality match in one step. The
 * userspace data path implements it today; iptables, nftables and ipvsadm
 * renderers slot in behind the same interface.
 */
import type { EndpointInfo } from './endpoint.js';
import type { NodeInfo } from './node-info.js';
import type { SchedulerName } from './schedulers/scheduler.js';
import type { ServicePortInfo } from './service-port.js';

/** Everything a data path needs to program: the full desired state. */
export interface ProxyState {
  /** Every service port, by service port key. */
  readonly servicePorts: ReadonlyMap<string, ServicePortInfo>;
  /** All endpoints (every condition) per service port key; filtering by policy is the data path's job via `planFrontends`. */
  readonly endpoints: ReadonlyMap<string, readonly EndpointInfo[]>;
  /** The nodes this proxy serves (their InternalIPs get NodePorts). */
  readonly nodes: readonly NodeInfo[];
  /** Host addresses that also get NodePorts (default `127.0.0.1`). */
  readonly hostAddresses: readonly string[];
  /** The node the host's own traffic counts as, if configured. */
  readonly nodeName?: string;
  /** Scheduler for service ports without a `skiff.io/scheduler` annotation. */
  readonly defaultScheduler: SchedulerName;
}

/** Live numbers for one backend of one service port. */
export interface BackendSnapshot {
  /** `ip:port` */
  readonly endpoint: string;
  readonly nodeName: string;
  /** Still listed (false: removed, only old connections remain). */
  readonly listed: boolean;
  readonly weight: number;
  readonly activeConnections: number;
  readonly connectionsTotal: number;
  /** Bytes from clients to the backend, including connections still open. */
  readonly bytesIn: number;
  /** Bytes from the backend to clients, including connections still open. */
  readonly bytesOut: number;
  readonly errors: number;
  /** Times the scheduler (or affinity) chose this backend. */
  readonly picks: number;
}

/** Live numbers for one service port. */
export interface ServicePortSnapshot {
  readonly namespace: string;
  readonly name: string;
  readonly port: string;
  readonly protocol: string;
  readonly scheduler: SchedulerName;
  /** Addresses listened on right now (`ip:port`). */
  readonly listeners: readonly string[];
  /** Connections refused or dropped for lack of a usable endpoint. */
  readonly rejected: number;
  readonly backends: readonly BackendSnapshot[];
}

/** What {@link Dataplane.snapshot} returns. */
export interface DataplaneSnapshot {
  readonly mode: string;
  readonly servicePorts: readonly ServicePortSnapshot[];
}

/**
 * A data path. `sync` may be called often; it must leave unchanged services
 * (and their open connections) alone. A rejected `sync` makes the proxy retry
 * the full state later.
 */
export interface Dataplane {
  /** `userspace`, `iptables`, … */
  readonly mode: string;
  /** Makes the data path match `state`. Throws (after applying what it could) on partial failure. */
  sync(state: ProxyState): Promise<void>;
  /** Live per-backend traffic numbers. */
  snapshot(): DataplaneSnapshot;
  /** Stops serving: closes listeners and open connections. */
  close(): Promise<void>;
}
