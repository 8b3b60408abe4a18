/**
 * Entry of one accept worker (see accept-workers.ts): serves the listening
 * sockets its parent sends with the data path's own TCP connection path and
 * reports per-backend counts back. Exits when the parent goes away.
 */
import type net from 'node:net';
import { Registry } from 'prom-client';
import { silentLogger } from '../../../client/logger.js';
import { ProxyMetrics } from '../../metrics.js';
import { NodeResolver } from '../../node-info.js';
import type { CountsRow, FromWorker, ToWorker } from './accept-workers.js';
import { REPORT_INTERVAL_MS } from './accept-workers.js';
import { ServicePortBalancer } from './balancer.js';
import type { Closable, FrontendContext } from './context.js';
import { Route } from './route.js';
import { TcpFrontend } from './tcp-frontend.js';

interface Served {
  fe: TcpFrontend;
  balancer: ServicePortBalancer;
  /** Backend key → counts already reported: connections, picks, in, out, errors. */
  reported: Map<string, [number, number, number, number, number]>;
}

const metrics = new ProxyMetrics(new Registry());
const resolver = new NodeResolver([]);
const open = new Set<Closable>();
const served = new Map<string, Served>();
let ctx: FrontendContext | undefined;

process.on('message', (m: ToWorker, handle: unknown) => {
  const now = Date.now();
  if (m.t === 'serve') {
    ctx ??= { now: Date.now, log: silentLogger, open, dialTimeoutsMs: m.dialTimeoutsMs, udpIdleTimeoutMs: 30_000 };
    served.get(m.key)?.fe.close();
    const balancer = new ServicePortBalancer(metrics);
    balancer.update(m.info, m.plan.endpoints, 'rr', now);
    const fe = new TcpFrontend(m.plan.ip, m.plan.port, new Route(m.plan, balancer, resolver), ctx, handle as net.Server);
    served.set(m.key, { fe, balancer, reported: new Map() });
  } else if (m.t === 'route') {
    const s = served.get(m.key);
    if (!s) return;
    s.balancer.update(m.info, m.plan.endpoints, 'rr', now);
    s.fe.route = new Route(m.plan, s.balancer, resolver);
  } else if (m.t === 'stop') {
    const s = served.get(m.key);
    if (!s) return;
    s.fe.close();
    s.balancer.retire();
    report();
    served.delete(m.key);
  }
});

function report(): void {
  const rows: CountsRow[] = [];
  for (const [key, s] of served) {
    for (const b of s.balancer.backends.values()) {
      b.flush();
      const r = s.reported.get(b.key) ?? [0, 0, 0, 0, 0];
      const row: CountsRow = [key, b.key, b.connectionsTotal - r[0], b.picks - r[1], b.bytesIn - r[2], b.bytesOut - r[3], b.errors - r[4]];
      if (row[2] || row[3] || row[4] || row[5] || row[6]) rows.push(row);
      s.reported.set(b.key, [b.connectionsTotal, b.picks, b.bytesIn, b.bytesOut, b.errors]);
    }
  }
  if (rows.length > 0 && process.connected) process.send!({ t: 'counts', rows } satisfies FromWorker);
}

setInterval(report, REPORT_INTERVAL_MS).unref();
process.send!({ t: 'ready' } satisfies FromWorker);
process.on('disconnect', () => {
  for (const c of open) c.destroy();
  process.exit(0);
});
