/**
 * skiff's userspace data path alone, for the proxy benchmark: a process of its
 * own (so the load generator and the backends never share its thread) that
 * drives `UserspaceDataplane` with a hand-built state of one Service port →
 * the given endpoints, exactly what the service proxy would hand it after
 * reading a Service and its EndpointSlice. No API server is involved: the
 * benchmark measures the connection path, not the control loop.
 *
 * Usage: `node --import tsx skiff-proxy.ts VIP VPORT BACKEND_PORT BACKEND_IP…`;
 * prints `ready` once the ClusterIP listens. `BENCH_PROXY_WORKERS` passes the
 * data path's `workers` option (default: the data path's own default).
 */
import { Registry } from 'prom-client';
import type { ProxyState } from '../../src/proxy/dataplane.js';
import { ProxyMetrics } from '../../src/proxy/metrics.js';
import { testEndpoint, testServicePort } from '../../src/proxy/testing.js';
import { UserspaceDataplane, type UserspaceDataplaneOptions } from '../../src/proxy/dataplanes/userspace/index.js';

const [vip, vport, bport, ...ips] = process.argv.slice(2);
if (!vip || !vport || !bport || ips.length === 0) {
  console.error('usage: skiff-proxy.ts VIP VPORT BACKEND_PORT BACKEND_IP…');
  process.exit(2);
}
const sp = testServicePort('bench', { clusterIPs: [vip], port: Number(vport) });
const state: ProxyState = {
  servicePorts: new Map([[sp.key, sp]]),
  endpoints: new Map([[sp.key, ips.map((ip) => testEndpoint(ip, Number(bport)))]]),
  nodes: [],
  hostAddresses: [],
  defaultScheduler: 'rr',
};
const opts: UserspaceDataplaneOptions = { metrics: new ProxyMetrics(new Registry()) };
if (process.env.BENCH_PROXY_WORKERS) opts.workers = Number(process.env.BENCH_PROXY_WORKERS);
const dp = new UserspaceDataplane(opts);
await dp.sync(state);
const extra = (opts.workers ?? 1) - 1;
for (let waited = 0; dp.workersReady < extra; waited += 50) {
  if (waited > 30_000) throw new Error(`only ${dp.workersReady} of ${extra} accept workers started within 30 s`);
  await new Promise((r) => setTimeout(r, 50));
}
console.log('ready');
process.on('SIGTERM', () => {
  void dp.close().then(() => process.exit(0));
});
