/**
 * The proxy's Prometheus metrics, registered in a registry the caller passes (the
 * API server's, so `/metrics` shows them). Sync metrics keep upstream kube-proxy's
 * names so its dashboards work; data path metrics are skiff's own (upstream's
 * kernel data paths have none), labelled by Service and endpoint.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Labels of per-backend metrics. `endpoint` is `ip:port`, '' for service-level events. */
export const BACKEND_LABELS = ['namespace', 'service', 'port', 'protocol', 'endpoint'] as const;
type BackendLabel = (typeof BACKEND_LABELS)[number];

/**
 * Why a connection failed: `connect_failed` (dialling a backend failed; another
 * is tried), `connection_error` (an established connection broke), `no_endpoint`
 * (nothing usable for this client), `source_range` (outside
 * `loadBalancerSourceRanges`).
 */
export type ErrorReason = 'connect_failed' | 'connection_error' | 'no_endpoint' | 'source_range';

/**
 * Every proxy metric.
 *
 * @example
 * const metrics = new ProxyMetrics(cluster.server.metrics);
 * new ServiceProxy(ctx.informers, { metrics });
 */
export class ProxyMetrics {
  readonly connections: Counter<BackendLabel>;
  readonly activeConnections: Gauge<BackendLabel>;
  readonly receivedBytes: Counter<BackendLabel>;
  readonly sentBytes: Counter<BackendLabel>;
  readonly errors: Counter<BackendLabel | 'reason'>;
  readonly selections: Counter<BackendLabel>;
  readonly listeners: Gauge<'protocol'>;
  readonly syncDuration: Histogram;
  readonly networkProgramming: Histogram;
  readonly lastSync: Gauge;
  readonly syncErrors: Counter;
  private readonly collectHooks: Array<() => void> = [];

  /** Registers the metrics in `registry` (default: a new one, see {@link registry}). */
  constructor(readonly registry: Registry = new Registry()) {
    const registers = [registry];
    const hooks = this.collectHooks;
    const flush = (): void => {
      for (const h of hooks) h();
    };
    this.connections = new Counter({ name: 'skiff_proxy_connections_total', help: 'Connections (TCP) or associations (UDP) forwarded, per Service port and endpoint.', labelNames: BACKEND_LABELS, registers, collect: flush });
    this.activeConnections = new Gauge({ name: 'skiff_proxy_active_connections', help: 'Connections (TCP) or associations (UDP) open now, per Service port and endpoint.', labelNames: BACKEND_LABELS, registers, collect: flush });
    this.receivedBytes = new Counter({ name: 'skiff_proxy_received_bytes_total', help: 'Bytes received from clients and forwarded to the endpoint.', labelNames: BACKEND_LABELS, registers, collect: flush });
    this.sentBytes = new Counter({ name: 'skiff_proxy_sent_bytes_total', help: 'Bytes received from the endpoint and sent back to clients.', labelNames: BACKEND_LABELS, registers, collect: flush });
    this.errors = new Counter({ name: 'skiff_proxy_errors_total', help: 'Failed connections by reason (connect_failed, connection_error, no_endpoint, source_range).', labelNames: [...BACKEND_LABELS, 'reason'], registers });
    this.selections = new Counter({ name: 'skiff_proxy_backend_selections_total', help: 'Times the scheduler or session affinity chose the endpoint.', labelNames: BACKEND_LABELS, registers, collect: flush });
    this.listeners = new Gauge({ name: 'skiff_proxy_listeners', help: 'Service addresses the userspace data path listens on.', labelNames: ['protocol'], registers });
    this.syncDuration = new Histogram({
      name: 'kubeproxy_sync_proxy_rules_duration_seconds',
      help: 'How long one full sync of the data path took.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.networkProgramming = new Histogram({
      name: 'kubeproxy_network_programming_duration_seconds',
      help: 'From an endpoint change (its last-change-trigger-time, or when the proxy saw it) to the data path being programmed.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
      registers,
    });
    this.lastSync = new Gauge({ name: 'kubeproxy_sync_proxy_rules_last_timestamp_seconds', help: 'When the last successful sync finished (Unix seconds).', registers });
    this.syncErrors = new Counter({ name: 'skiff_proxy_sync_errors_total', help: 'Syncs that failed and were retried.', registers });
  }

  /** Runs `hook` before every scrape (the data path flushes live byte counts into the counters). */
  onCollect(hook: () => void): void {
    this.collectHooks.push(hook);
  }
}
