/**
 * The cluster DNS component as `skiff up` runs it: the projection over the shared
 * informers, the chain `loop → kubernetes → cache → forward` (one list, as a
 * Corefile), the UDP/TCP server, the loop probe, optional `/metrics` and the
 * `kube-dns` Service + Endpoints. It meets the rest of skiff only through the API.
 */
import type { Registry } from 'prom-client';
import type { Client } from '../client/client.js';
import type { SharedInformerFactory } from '../client/informer.js';
import { errorMessage, silentLogger, type Logger } from '../client/logger.js';
import { CacheHandler, DnsCache, type CacheOptions } from './cache.js';
import { Forwarder, ForwardHandler } from './forward.js';
import { KubernetesHandler } from './kubernetes.js';
import { LoopDetector } from './loop.js';
import { DnsMetrics, serveMetrics } from './metrics.js';
import { isReverseName, normalizeName, trimZone } from './names.js';
import { publishClusterDns, DEFAULT_CLUSTER_DNS_IP } from './publish.js';
import { chain, type DnsHandler, type Next } from './query.js';
import { DnsRecords } from './records.js';
import { DEFAULT_DNS_HOST, DnsServer, type BoundAddress } from './server.js';
import { hostResolvers, parseUpstream, type Upstream } from './upstream.js';
import { DEFAULT_ZONE_CONFIG, type PodMode, type ZoneConfig } from './zone.js';

/** Options of {@link ClusterDns}. */
export interface ClusterDnsOptions {
  /** The shared informer factory (Services, EndpointSlices, Namespaces, Pods for `verified`). */
  informers: SharedInformerFactory;
  /** `--cluster-domain`. Default `cluster.local`. */
  zone?: string;
  /** Answer TTL in seconds. Default 5. */
  ttl?: number;
  /** Default `insecure`. */
  podMode?: PodMode;
  /** Listen address. Default {@link DEFAULT_DNS_HOST} (127.0.2.53). */
  host?: string;
  /** Default 53, falling back to a free port when 53 cannot be bound. */
  port?: number;
  /** `--dns-upstream` (repeatable): `ip[:port]`. Default: the nameservers of `resolvConf`. */
  upstreams?: string[];
  /** Default `/etc/resolv.conf`. */
  resolvConf?: string;
  /** Other addresses that reach this server (e.g. `127.96.0.10:53` through the proxy); never forwarded to. */
  selfAddresses?: string[];
  /** Cache options for forwarded answers, or false for none. */
  cache?: CacheOptions | false;
  /** Per-upstream timeout, default 2000 ms. */
  forwardTimeoutMs?: number;
  /** Registry for the `coredns_*` metrics (e.g. the API server's). Default: a private one. */
  registry?: Registry;
  /** Serve the registry at `<host>:<metricsPort>/metrics` (CoreDNS 9153); 0 = free port; undefined = not served. */
  metricsPort?: number;
  /** Ensure the kube-dns Service and Endpoints through this client once listening. */
  publish?: { client: Client; clusterIP?: string; namespace?: string };
  /** Processes reading the UDP socket, this one included (`--dns-readers`). Default 1. */
  readers?: number;
  /** Send the loop-detection probe at start. Default true. */
  loopProbe?: boolean;
  logger?: Logger;
}

/**
 * @example
 * const dns = new ClusterDns({ informers: ctx.informers, publish: { client } });
 * void dns.start(signal);
 * const { host, port } = await dns.ready;
 */
export class ClusterDns {
  readonly name = 'cluster-dns';
  readonly records: DnsRecords;
  readonly metrics: DnsMetrics;
  readonly server: DnsServer;
  readonly loop: LoopDetector;
  readonly forwarder: Forwarder;
  readonly zone: ZoneConfig;
  /** The chain, for in-process resolution (tests, the loop probe). */
  readonly resolve: Next;
  /** Resolves with the bound address once the server (and `/metrics`, if asked for) listen; rejects when binding fails. */
  readonly ready: Promise<BoundAddress>;
  private resolveReady!: (a: BoundAddress) => void;
  private rejectReady!: (err: unknown) => void;
  private readonly kubernetes: KubernetesHandler;
  private readonly logger: Logger;
  private metricsBound: number | undefined;
  /** Bumped when the zone config changes (the server's own IPs), so cached answers naming them are dropped. */
  private configChanges = 0;

  constructor(private readonly opts: ClusterDnsOptions) {
    this.logger = opts.logger ?? silentLogger;
    this.records = new DnsRecords();
    this.zone = {
      ...DEFAULT_ZONE_CONFIG,
      zone: normalizeName(opts.zone ?? DEFAULT_ZONE_CONFIG.zone),
      ttl: opts.ttl ?? DEFAULT_ZONE_CONFIG.ttl,
      podMode: opts.podMode ?? DEFAULT_ZONE_CONFIG.podMode,
      localIPs: [],
    };
    const podMode = this.zone.podMode;
    this.records.watch(opts.informers, { pods: podMode === 'verified' });
    this.metrics = new DnsMetrics(opts.registry);
    const upstreams: Upstream[] = opts.upstreams?.length ? opts.upstreams.map(parseUpstream) : hostResolvers(opts.resolvConf);
    this.forwarder = new Forwarder({ upstreams, metrics: this.metrics, logger: this.logger, ...(opts.forwardTimeoutMs ? { timeoutMs: opts.forwardTimeoutMs } : {}) });
    this.loop = new LoopDetector({ logger: this.logger });
    this.kubernetes = new KubernetesHandler(this.records, this.zone);
    const handlers: DnsHandler[] = [this.loop, this.kubernetes];
    if (opts.cache !== false) handlers.push(new CacheHandler(new DnsCache(opts.cache || {}), this.metrics));
    handlers.push(new ForwardHandler(this.forwarder, this.loop));
    this.resolve = chain(handlers);
    const zone = this.zone.zone;
    this.server = new DnsServer({
      handler: this.resolve,
      host: opts.host ?? DEFAULT_DNS_HOST,
      port: opts.port ?? 53,
      metrics: this.metrics,
      logger: this.logger,
      // Both counters only grow, so their sum moves whenever either does.
      generation: () => this.records.generation() + this.configChanges,
      ...(opts.readers ? { readers: opts.readers } : {}),
      zoneOf: (name) => {
        const n = normalizeName(name);
        if (trimZone(n, zone) !== undefined) return `${zone}.`;
        if (isReverseName(n)) return n.endsWith('ip6.arpa') ? 'ip6.arpa.' : 'in-addr.arpa.';
        return '.';
      },
    });
    this.records.onChange = () => this.server.generationChanged();
    this.ready = new Promise((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(() => {});
  }

  /** The bound address (after {@link ClusterDns.ready}). */
  address(): BoundAddress {
    return this.server.address();
  }

  /** The bound metrics port, if served. */
  metricsPort(): number | undefined {
    return this.metricsBound;
  }

  /** Serves until `signal` aborts. Rejects when the server cannot bind. */
  async start(signal: AbortSignal): Promise<void> {
    const serving = this.server.start(signal);
    // A bind failure rejects both; `ready` reports it, so `serving` must not go unhandled.
    serving.catch(() => {});
    let addr: BoundAddress;
    try {
      addr = await this.server.ready;
    } catch (err) {
      this.rejectReady(err);
      throw err;
    }
    this.zone.localIPs.push(addr.host);
    this.configChanges++;
    this.server.generationChanged();
    const self: Upstream[] = [{ host: addr.host, port: addr.port }];
    for (const s of this.opts.selfAddresses ?? []) self.push(parseUpstream(s));
    if (this.opts.publish) self.push({ host: this.opts.publish.clusterIP ?? DEFAULT_CLUSTER_DNS_IP, port: 53 });
    const dropped = this.forwarder.exclude(self);
    if (dropped.length) this.logger.warn({ dropped: dropped.map((u) => `${u.host}:${u.port}`) }, 'upstream resolvers that are this DNS server were dropped (forwarding to them would loop)');
    if (!this.forwarder.list().length) this.logger.warn({}, 'no upstream resolvers: names outside the cluster zone are REFUSED (set --dns-upstream)');
    if (this.opts.metricsPort !== undefined) {
      try {
        this.metricsBound = await serveMetrics(this.metrics.registry, addr.host, this.opts.metricsPort, signal);
      } catch (err) {
        this.metricsBound = await serveMetrics(this.metrics.registry, addr.host, 0, signal).catch(() => undefined);
        this.logger.warn({ port: this.opts.metricsPort, err: errorMessage(err), using: this.metricsBound }, 'cannot bind the DNS metrics port');
      }
    }
    this.resolveReady(addr);
    this.logger.info({ address: `${addr.host}:${addr.port}`, zone: this.zone.zone, upstreams: this.forwarder.list().map((u) => `${u.host}:${u.port}`) }, 'cluster DNS listening');
    const background: Array<Promise<void>> = [];
    if (this.opts.publish) background.push(this.publishUntilDone(this.opts.publish, addr, signal));
    if ((this.opts.loopProbe ?? true) && this.forwarder.list().length) background.push(this.loop.probe(this.resolve, 2000, signal));
    await serving;
    await Promise.allSettled(background);
  }

  private async publishUntilDone(p: NonNullable<ClusterDnsOptions['publish']>, addr: BoundAddress, signal: AbortSignal): Promise<void> {
    for (let delay = 500; !signal.aborted; delay = Math.min(delay * 2, 10_000)) {
      try {
        await publishClusterDns(p.client, {
          address: addr,
          ...(this.metricsBound ? { metricsPort: this.metricsBound } : {}),
          ...(p.clusterIP ? { clusterIP: p.clusterIP } : {}),
          ...(p.namespace ? { namespace: p.namespace } : {}),
        });
        return;
      } catch (err) {
        if (signal.aborted) return;
        this.logger.warn({ err: errorMessage(err), retryInMs: delay }, 'cannot publish the kube-dns Service; retrying');
        await new Promise<void>((r) => {
          const t = setTimeout(r, delay);
          signal.addEventListener('abort', () => {
            clearTimeout(t);
            r();
          }, { once: true });
        });
      }
    }
  }
}
