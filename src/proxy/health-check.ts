/**
 * Service health checks (upstream `pkg/proxy/healthcheck/service_health.go`): a
 * LoadBalancer Service with `externalTrafficPolicy: Local` gets a
 * `healthCheckNodePort`, and on every node the proxy answers HTTP there — 200
 * when the node has ready endpoints of the Service, 503 when it has none — so a
 * load balancer sends traffic only to nodes that can serve it locally. One
 * proxy serves several nodes here, so each node's InternalIP gets its own
 * answer (and the host addresses the answer of `nodeName`, when set).
 */
import http from 'node:http';
import { errorMessage, silentLogger, type Logger } from '../client/logger.js';
import type { ProxyState } from './dataplane.js';

/** One health check listener: where, for which Service, and what it answers. */
export interface HealthCheckTarget {
  readonly address: string;
  readonly port: number;
  readonly namespace: string;
  readonly name: string;
  /** Ready endpoints of the Service on this node, each Service port counted (upstream `LocalReadyEndpoints`). */
  readonly localEndpoints: number;
}

/**
 * The listeners the state needs: for each served node address (and host address
 * when the host counts as a node), each Service with a health check node port.
 *
 * @example planHealthChecks(state) // [{ address: '127.0.1.1', port: 32001, namespace: 'default', name: 'web', localEndpoints: 2 }]
 */
export function planHealthChecks(state: ProxyState): HealthCheckTarget[] {
  const services = new Map<string, { namespace: string; name: string; port: number; keys: string[] }>();
  for (const sp of state.servicePorts.values()) {
    if (!sp.healthCheckNodePort) continue;
    const id = `${sp.namespace}/${sp.name}`;
    const s = services.get(id) ?? { namespace: sp.namespace, name: sp.name, port: sp.healthCheckNodePort, keys: [] };
    s.keys.push(sp.key);
    services.set(id, s);
  }
  if (services.size === 0) return [];
  const places: Array<{ address: string; node: string }> = [];
  for (const n of state.nodes) for (const ip of n.internalIPs) places.push({ address: ip, node: n.name });
  if (state.nodeName) for (const ip of state.hostAddresses) places.push({ address: ip, node: state.nodeName });
  const out: HealthCheckTarget[] = [];
  for (const s of services.values()) {
    for (const { address, node } of places) {
      let localEndpoints = 0;
      for (const key of s.keys) for (const e of state.endpoints.get(key) ?? []) if (e.ready && e.nodeName === node) localEndpoints++;
      out.push({ address, port: s.port, namespace: s.namespace, name: s.name, localEndpoints });
    }
  }
  return out;
}

/** Upstream's answer: status, headers and body for `t`. */
export function healthCheckResponse(t: HealthCheckTarget): { status: number; headers: Record<string, string>; body: string } {
  return {
    status: t.localEndpoints > 0 ? 200 : 503,
    headers: { 'Content-Type': 'application/json', 'X-Content-Type-Options': 'nosniff', 'X-Load-Balancing-Endpoint-Weight': String(t.localEndpoints) },
    body: JSON.stringify({ service: { namespace: t.namespace, name: t.name }, localEndpoints: t.localEndpoints, serviceProxyHealthy: true }),
  };
}

/**
 * Keeps one HTTP listener per planned target. `sync` opens new ones, closes
 * unneeded ones and changes the answers of the others in place; an address
 * that cannot be bound is retried on the next sync.
 *
 * @example
 * const hc = new HealthCheckServers();
 * await hc.sync(planHealthChecks(state));
 */
export class HealthCheckServers {
  private readonly servers = new Map<string, { server: http.Server; target: HealthCheckTarget }>();

  constructor(private readonly log: Logger = silentLogger) {}

  async sync(targets: readonly HealthCheckTarget[]): Promise<void> {
    const wanted = new Map(targets.map((t) => [`${t.address}:${t.port}`, t]));
    for (const [key, s] of this.servers) {
      if (wanted.has(key)) continue;
      this.servers.delete(key);
      s.server.close();
      s.server.closeAllConnections();
    }
    for (const [key, target] of wanted) {
      const have = this.servers.get(key);
      if (have) {
        have.target = target;
        continue;
      }
      const entry = { server: http.createServer((_req, res) => {
        const r = healthCheckResponse(entry.target);
        res.writeHead(r.status, r.headers);
        res.end(r.body);
      }), target };
      try {
        await new Promise<void>((resolve, reject) => {
          entry.server.once('error', reject);
          entry.server.listen(target.port, target.address, () => resolve());
        });
        this.servers.set(key, entry);
      } catch (err) {
        this.log.warn({ address: key, service: `${target.namespace}/${target.name}`, err: errorMessage(err) }, 'cannot serve the health check node port; retrying on the next sync');
      }
    }
  }

  /** The addresses served now (`ip:port`). */
  addresses(): string[] {
    return [...this.servers.keys()];
  }

  async close(): Promise<void> {
    const all = [...this.servers.values()];
    this.servers.clear();
    await Promise.all(
      all.map(
        (s) =>
          new Promise<void>((r) => {
            s.server.close(() => r());
            s.server.closeAllConnections();
          }),
      ),
    );
  }
}
