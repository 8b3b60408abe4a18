/**
 * One endpoint of one service port as the userspace data path keeps it: the
 * scheduler's view (weight, active count) plus live counters and the metric
 * children, created once per backend so the connection path only adds numbers.
 */
import type { Counter, Gauge } from 'prom-client';
import type { EndpointInfo } from '../../endpoint.js';
import type { ErrorReason, ProxyMetrics } from '../../metrics.js';
import type { Backend } from '../../schedulers/scheduler.js';
import type { ServicePortInfo } from '../../service-port.js';

type Child = Counter.Internal;

/** A backend of the userspace data path. */
export class UserspaceBackend implements Backend {
  readonly key: string;
  readonly ip: string;
  readonly port: number;
  nodeName: string;
  weight: number;
  /** Open connections / associations. */
  active = 0;
  /** False once the endpoint left the Service (old connections may remain). */
  listed = true;
  connectionsTotal = 0;
  bytesIn = 0;
  bytesOut = 0;
  errors = 0;
  picks = 0;
  private reportedIn = 0;
  private reportedOut = 0;
  private reportedConnections = 0;
  private reportedPicks = 0;
  private reportedActive = 0;
  private readonly labels: Record<string, string>;
  private readonly cConnections: Child;
  private readonly gActive: Gauge.Internal<string>;
  private readonly cIn: Child;
  private readonly cOut: Child;
  private readonly cPicks: Child;
  private readonly cErrors = new Map<ErrorReason, Child>();

  constructor(
    ep: EndpointInfo,
    sp: ServicePortInfo,
    private readonly metrics: ProxyMetrics,
  ) {
    this.key = ep.key;
    this.ip = ep.ip;
    this.port = ep.port;
    this.nodeName = ep.nodeName;
    this.weight = ep.weight;
    this.labels = { namespace: sp.namespace, service: sp.name, port: sp.portName, protocol: sp.protocol, endpoint: ep.key };
    this.cConnections = metrics.connections.labels(this.labels);
    this.gActive = metrics.activeConnections.labels(this.labels);
    this.cIn = metrics.receivedBytes.labels(this.labels);
    this.cOut = metrics.sentBytes.labels(this.labels);
    this.cPicks = metrics.selections.labels(this.labels);
    this.gActive.set(0);
  }

  /** Counts a scheduler (or affinity) choice. */
  picked(): void {
    this.picks++;
  }

  /** Counts a connection that reached the backend. */
  opened(): void {
    this.active++;
    this.connectionsTotal++;
  }

  /** Counts the end of an opened connection. */
  closed(): void {
    this.active--;
  }

  /** Counts a failure. */
  failed(reason: ErrorReason): void {
    this.errors++;
    let c = this.cErrors.get(reason);
    if (!c) this.cErrors.set(reason, (c = this.metrics.errors.labels({ ...this.labels, reason })));
    c.inc();
  }

  /**
   * Brings every metric up to date: byte counts (the connection path adds each
   * read as it forwards it, so open connections are included), connections, selections and the active gauge. The connection path only adds
   * to plain numbers because a prom-client child hashes its labels on every
   * `inc`; the metrics' collect hook calls this before each scrape.
   */
  flush(): void {
    if (this.connectionsTotal > this.reportedConnections) this.cConnections.inc(this.connectionsTotal - this.reportedConnections);
    if (this.picks > this.reportedPicks) this.cPicks.inc(this.picks - this.reportedPicks);
    if (this.active !== this.reportedActive) this.gActive.set(this.active);
    this.reportedConnections = this.connectionsTotal;
    this.reportedPicks = this.picks;
    this.reportedActive = this.active;
    if (this.bytesIn > this.reportedIn) this.cIn.inc(this.bytesIn - this.reportedIn);
    if (this.bytesOut > this.reportedOut) this.cOut.inc(this.bytesOut - this.reportedOut);
    this.reportedIn = this.bytesIn;
    this.reportedOut = this.bytesOut;
  }

  /** Removes this backend's metric series (it left the Service and has no connections). */
  forgetMetrics(): void {
    this.metrics.connections.remove(this.labels);
    this.metrics.activeConnections.remove(this.labels);
    this.metrics.receivedBytes.remove(this.labels);
    this.metrics.sentBytes.remove(this.labels);
    this.metrics.selections.remove(this.labels);
    for (const reason of this.cErrors.keys()) this.metrics.errors.remove({ ...this.labels, reason });
  }
}
