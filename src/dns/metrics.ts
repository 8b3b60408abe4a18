/**
 * Prometheus metrics of the DNS server under CoreDNS's names, so dashboards and
 * alerts written for CoreDNS read skiff's numbers: `coredns_dns_requests_total`,
 * `coredns_dns_responses_total`, `coredns_dns_request_duration_seconds`,
 * `coredns_cache_*` and `coredns_proxy_request_duration_seconds` (the forward
 * plugin's latency). The caller owns the registry and exposes it.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Query types that get their own label value; everything else is `other` (bounded cardinality, as CoreDNS). */
const TYPE_LABELS = new Set(['A', 'AAAA', 'CNAME', 'MX', 'NS', 'PTR', 'SOA', 'SRV', 'TXT', 'HINFO', 'ANY', 'AXFR', 'IXFR', 'DS', 'DNSKEY', 'NAPTR', 'CAA', 'UNKNOWN_64', 'UNKNOWN_65']);

/** The `type` label of a query type. */
export function typeLabel(type: string): string {
  if (!TYPE_LABELS.has(type)) return 'other';
  return type === 'UNKNOWN_64' ? 'SVCB' : type === 'UNKNOWN_65' ? 'HTTPS' : type;
}

const DURATION_BUCKETS = [0.00025, 0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096, 8.192];

/**
 * The DNS server's metric families, registered on one registry. Register one
 * server per registry (prom-client rejects duplicate names).
 *
 * @example
 * const metrics = new DnsMetrics(apiServer.metrics, 'dns://127.0.2.53:53');
 */
export class DnsMetrics {
  readonly requests: Counter<'server' | 'zone' | 'proto' | 'family' | 'type'>;
  readonly responses: Counter<'server' | 'zone' | 'rcode'>;
  readonly duration: Histogram<'server' | 'zone' | 'type'>;
  readonly cacheHits: Counter<'server' | 'type'>;
  readonly cacheMisses: Counter<'server'>;
  readonly cacheEntries: Gauge<'server' | 'type'>;
  readonly forwardDuration: Histogram<'proxy_name' | 'to' | 'rcode'>;
  readonly registry: Registry;
  /** Fast-path answers not yet added to `requests`/`responses` (prom-client's label hashing costs more than the answer). */
  private readonly pendingHits = new Map<string, { zone: string; type: string; rcode: string; proto: string; family: string; n: number }>();

  constructor(
    registry: Registry = new Registry(),
    /** The `server` label, `dns://host:port`; the server fills it in when bound if left ''. */
    public server = '',
  ) {
    this.registry = registry;
    const registers = [registry];
    const flush = (): void => this.flushHits();
    this.requests = new Counter({ name: 'coredns_dns_requests_total', help: 'Counter of DNS requests made per zone, protocol and family.', labelNames: ['server', 'zone', 'proto', 'family', 'type'], registers, collect: flush });
    this.responses = new Counter({ name: 'coredns_dns_responses_total', help: 'Counter of response status codes.', labelNames: ['server', 'zone', 'rcode'], registers, collect: flush });
    this.duration = new Histogram({ name: 'coredns_dns_request_duration_seconds', help: 'Histogram of the time (in seconds) each request took.', labelNames: ['server', 'zone', 'type'], buckets: DURATION_BUCKETS, registers });
    this.cacheHits = new Counter({ name: 'coredns_cache_hits_total', help: 'The count of cache hits.', labelNames: ['server', 'type'], registers });
    this.cacheMisses = new Counter({ name: 'coredns_cache_misses_total', help: 'The count of cache misses.', labelNames: ['server'], registers });
    this.cacheEntries = new Gauge({ name: 'coredns_cache_entries', help: 'The number of elements in the cache.', labelNames: ['server', 'type'], registers });
    this.forwardDuration = new Histogram({
      name: 'coredns_proxy_request_duration_seconds',
      help: 'Histogram of the time each request took.',
      labelNames: ['proxy_name', 'to', 'rcode'],
      buckets: DURATION_BUCKETS,
      registers,
    });
  }

  /**
   * Counts one request answered from the server's byte cache in both
   * `coredns_dns_requests_total` and `coredns_dns_responses_total`; the counts
   * reach the counters whenever either is read (scrape) or {@link DnsMetrics.flushHits} runs.
   */
  countHit(zone: string, type: string, rcode: string, proto: 'udp' | 'tcp', family: '1' | '2'): void {
    const key = `${zone}|${type}|${rcode}|${proto}|${family}`;
    const p = this.pendingHits.get(key);
    if (p) p.n++;
    else this.pendingHits.set(key, { zone, type, rcode, proto, family, n: 1 });
  }

  /** Adds the counted fast-path hits to the counters. */
  flushHits(): void {
    for (const p of this.pendingHits.values()) {
      if (!p.n) continue;
      this.requests.inc({ server: this.server, zone: p.zone, proto: p.proto, family: p.family, type: p.type }, p.n);
      this.responses.inc({ server: this.server, zone: p.zone, rcode: p.rcode }, p.n);
      p.n = 0;
    }
  }
}

export { serveMetrics } from '../client/metrics-server.js';
