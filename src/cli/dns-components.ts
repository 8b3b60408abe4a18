/**
 * The cluster DNS as a component, and a components thread that runs only it
 * (`skiff up` gives the DNS a thread of its own, which loads none of the
 * controllers, the proxy or the node runtimes).
 */
import pino from 'pino';
import { Registry } from 'prom-client';
import type { Client } from '../client/client.js';
import { newControllerContext, ControllerManager, type Controller, type ControllerContext } from '../controllers/runtime/index.js';
import { ClusterDns, METRICS_PORT, clusterDnsAddress } from '../dns/index.js';
import { runManager, type ComponentOptions, type Components } from './components-base.js';

/** The controller context and manager every components thread starts from. */
export function newManager(client: Client, opts: ComponentOptions, onLeadershipLost: (lease: string) => void): { ctx: ControllerContext; manager: ControllerManager } {
  const logger = pino({ name: 'skiff', level: opts.logLevel ?? 'warn' }, pino.destination(2));
  const ctx = newControllerContext(client, logger);
  return { ctx, manager: new ControllerManager(ctx, onLeadershipLost) };
}

/** Starts the cluster DNS alone over `client` (`only: 'dns'`). */
export function startDnsComponents(client: Client, opts: ComponentOptions, log: (line: string) => void = () => {}, onLeadershipLost: (lease: string) => void = () => {}): Components {
  const { ctx, manager } = newManager(client, opts, onLeadershipLost);
  return runManager(manager.add(clusterDns(client, ctx, opts, log)), undefined, undefined, opts, log);
}

/**
 * The cluster DNS server as a component: it answers from the shared informers, publishes
 * the kube-dns Service and Endpoints, serves CoreDNS metrics on :9153, and reports the
 * address to query (`CLUSTER_DNS=…`, which `npm run acceptance` reads).
 */
export function clusterDns(client: Client, ctx: ControllerContext, opts: ComponentOptions, log: (line: string) => void): Controller {
  const clusterIP = opts.clusterDNS!;
  const dns = new ClusterDns({
    informers: ctx.informers,
    ...(opts.clusterDomain ? { zone: opts.clusterDomain } : {}),
    ...(opts.dnsUpstreams?.length ? { upstreams: opts.dnsUpstreams } : {}),
    ...(opts.dnsReaders ? { readers: opts.dnsReaders } : {}),
    registry: new Registry(),
    metricsPort: METRICS_PORT,
    publish: { client, clusterIP },
    logger: ctx.logger('cluster-dns'),
  });
  return {
    name: 'cluster-dns',
    start: async (signal) => {
      const run = dns.start(signal);
      try {
        const listen = await dns.ready;
        const address = clusterDnsAddress({ clusterIP, direct: listen, proxy: !!opts.proxy });
        const upstreams = dns.forwarder.list().map((u) => `${u.host}:${u.port}`).join(', ') || 'none';
        log(`cluster dns: CLUSTER_DNS=${address} (zone ${dns.zone.zone}; kube-system/kube-dns ${clusterIP}:53 → ${listen.host}:${listen.port}; upstreams ${upstreams})`);
      } catch (err) {
        log(`cluster dns: not started: ${(err as Error).message}`);
      }
      await run;
    },
  };
}
