/**
 * Prometheus metrics of the DNS server under CoreDNS's names, so dashboards and
 * alerts written for CoreDNS read skiff's numbers: `coredns_dns_requests_total`,
 * `coredns_dns_responses_total`, `coredns_dns_request_duration_seconds`,
 * `coredns_cache_*` and `coredns_proxy_request_duration_seconds` (the forward
 * plugin's latency). The caller owns the registry and exposes it.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DURATION_BUCKETS, HitCounters, type HitRow } from './hit-counters.js';

/** Query types that get their own label value; everything else is `other` (bounded cardinality, as CoreDNS). */
const TYPE_LABELS = new Set(['A', 'AAAA', 'CNAME', 'MX', 'NS', 'PTR', 'SOA', 'SRV', 'TXT', 'HINFO', 'ANY', 'AXFR', 'IXFR', 'DS', 'DNSKEY', 'NAPTR', 'CAA', 'UNKNOWN_64', 'UNKNOWN_65']);

/** The `type` label of a query type. */
export function typeLabel(type: string): string {
  if (!TYPE_LABELS.has(type)) return 'other';
  return type === 'UNKNOWN_64' ? 'SVCB' : type === 'UNKNOWN_65' ? 'HTTPS' : type;
}


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
  /** Fast-path answers not yet added to the counters and the histogram (prom-client's label hashing costs more than the answer). */
  readonly hits = new HitCounters();

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
    this.duration = new Histogram({ name: 'coredns_dns_request_duration_seconds', help: 'Histogram of the time (in seconds) each request took.', labelNames: ['server', 'zone', 'type'], buckets: DURATION_BUCKETS, registers, collect: flush });
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
   * Adds the fast-path answers counted since the last flush (this process's and
   * those reader processes reported) to `coredns_dns_requests_total`,
   * `coredns_dns_responses_total` and `coredns_dns_request_duration_seconds`. Runs
   * whenever any of them is read (scrape).
   */
  flushHits(): void {
    this.hits.drain((row) => this.addHits(row));
  }

  /** Adds one row of counted fast-path answers. */
  addHits(r: HitRow): void {
    const [zone, type, rcode, slot, n, sum, buckets] = r;
    if (!n) return;
    const proto = slot & 2 ? 'tcp' : 'udp';
    const family = slot & 1 ? '2' : '1';
    this.requests.inc({ server: this.server, zone, proto, family, type }, n);
    this.responses.inc({ server: this.server, zone, rcode }, n);
    observeMany(this.duration, { server: this.server, zone, type }, n, sum, buckets);
  }
}

/** The per-label-set values prom-client's Histogram keeps (15.x; the unit test pins the shape). */
interface HistogramEntry {
  labels: Record<string, string>;
  bucketValues: Record<number, number>;
  sum: number;
  count: number;
}

/**
 * Adds `n` observations summing to `sum` seconds, `buckets[i]` of them under
 * DURATION_BUCKETS[i], to a prom-client Histogram in one step (prom-client has no
 * bulk observe, and one `observe` per answer costs more than the answer). One
 * real `observe` creates the label set's entry; the rest is added to it.
 */
function observeMany(h: Histogram<'server' | 'zone' | 'type'>, labels: Record<'server' | 'zone' | 'type', string>, n: number, sum: number, buckets: readonly number[]): void {
  h.observe(labels, 0);
  const map = (h as unknown as { hashMap: Record<string, HistogramEntry> }).hashMap;
  const e = Object.values(map).find((v) => v.labels.server === labels.server && v.labels.zone === labels.zone && v.labels.type === labels.type);
  if (!e) throw new Error('prom-client Histogram internals changed: cannot add fast-path observations');
  e.count += n - 1;
  e.sum += sum;
  e.bucketValues[DURATION_BUCKETS[0]!]! -= 1;
  for (let i = 0; i < DURATION_BUCKETS.length; i++) e.bucketValues[DURATION_BUCKETS[i]!]! += buckets[i] ?? 0;
}

export { serveMetrics } from '../client/metrics-server.js';
