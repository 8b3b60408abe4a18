/**
 * The response cache in front of forwarding (CoreDNS `plugin/cache`): positive
 * answers live for their smallest TTL, denials (NXDOMAIN, NODATA) for the SOA's
 * negative TTL (RFC 2308), both clamped to [min, max]; hits come back with TTLs
 * counted down. Cluster answers are not cached: they are computed from memory and
 * must change the moment a Service does.
 */
import type { Answer } from 'dns-packet';
import type { DnsMetrics } from './metrics.js';
import type { DnsHandler, DnsQuery, DnsReply, Next } from './query.js';

/** Options of {@link DnsCache}. Defaults are CoreDNS's. */
export interface CacheOptions {
  /** Most entries kept; the oldest go first. Default 10 000. */
  capacity?: number;
  /** Cap on positive TTLs, seconds. Default 3600. */
  maxTTL?: number;
  /** Cap on negative TTLs, seconds. Default 1800. */
  maxDenialTTL?: number;
  /** Floor on positive TTLs, seconds. Default 5. */
  minTTL?: number;
  /** Floor on negative TTLs, seconds. Default 5. */
  minDenialTTL?: number;
  /** Milliseconds clock, injectable for tests. */
  now?: () => number;
}

/** How a reply is cached: kind and lifetime in seconds; undefined when it must not be cached. */
export interface CachePlan {
  kind: 'success' | 'denial';
  ttl: number;
}

/** TTL used for a denial that carries no SOA (CoreDNS `MinimalDefaultTTL`). */
const DEFAULT_DENIAL_TTL = 5;

/**
 * Decides whether and how long to cache `reply` (CoreDNS `response.Typify` +
 * `dnsutil.MinimalTTL`): NOERROR with answers → success for the smallest TTL of
 * every record; NXDOMAIN and NOERROR without answers → denial for min(SOA TTL,
 * SOA minimum); truncated replies and every other rcode → not cached.
 *
 * @example cachePlan({ rcode: 'NOERROR', answers: [{ type: 'A', ttl: 30, … }], … }) // { kind: 'success', ttl: 30 }
 */
export function cachePlan(reply: DnsReply, opts: CacheOptions = {}): CachePlan | undefined {
  if (reply.truncated) return undefined;
  const clamp = (v: number, lo: number, hi: number): number => Math.min(Math.max(v, lo), hi);
  if (reply.rcode === 'NOERROR' && reply.answers.length) {
    let min = Infinity;
    for (const rr of [...reply.answers, ...reply.authorities, ...reply.additionals]) min = Math.min(min, rr.type === 'OPT' ? Infinity : (rr.ttl ?? 0));
    return { kind: 'success', ttl: clamp(min, opts.minTTL ?? 5, opts.maxTTL ?? 3600) };
  }
  if (reply.rcode === 'NXDOMAIN' || reply.rcode === 'NOERROR') {
    let ttl = DEFAULT_DENIAL_TTL;
    for (const rr of reply.authorities) {
      if (rr.type === 'SOA') ttl = Math.min(rr.ttl ?? 0, rr.data.minimum ?? 0);
    }
    return { kind: 'denial', ttl: clamp(ttl, opts.minDenialTTL ?? 5, opts.maxDenialTTL ?? 1800) };
  }
  return undefined;
}

/** The cache key of a query: name (case-folded), type, class and the DO/CD bits that change answers. */
export function cacheKey(q: Pick<DnsQuery, 'name' | 'type' | 'class' | 'dnssecOk' | 'cd'>): string {
  return `${q.name.toLowerCase().replace(/\.$/, '')}|${q.type}|${q.class}|${q.dnssecOk ? 1 : 0}${q.cd ? 1 : 0}`;
}

interface Entry {
  reply: DnsReply;
  kind: CachePlan['kind'];
  stored: number;
  ttl: number;
}

/**
 * A TTL-honouring reply cache with a capacity bound.
 *
 * @example
 * const cache = new DnsCache({ capacity: 1000 });
 * cache.set(cacheKey(q), reply);
 * cache.get(cacheKey(q)); // the reply with TTLs counted down, or undefined
 */
export class DnsCache {
  private readonly entries = new Map<string, Entry>();
  private readonly counts = { success: 0, denial: 0 };
  private readonly now: () => number;

  constructor(private readonly opts: CacheOptions = {}) {
    this.now = opts.now ?? Date.now;
  }

  /** The live entry under `key` with every TTL set to its remaining lifetime, or undefined. */
  get(key: string): { reply: DnsReply; kind: CachePlan['kind'] } | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    const remaining = e.ttl - Math.floor((this.now() - e.stored) / 1000);
    if (remaining <= 0) {
      this.remove(key);
      return undefined;
    }
    const age = (rrs: Answer[]): Answer[] => rrs.map((rr) => (rr.type === 'OPT' ? rr : ({ ...rr, ttl: remaining } as Answer)));
    return { kind: e.kind, reply: { ...e.reply, answers: age(e.reply.answers), authorities: age(e.reply.authorities), additionals: age(e.reply.additionals) } };
  }

  /** Stores `reply` when {@link cachePlan} allows; returns the plan (undefined: not cached). */
  set(key: string, reply: DnsReply): CachePlan | undefined {
    const plan = cachePlan(reply, this.opts);
    if (!plan) return undefined;
    this.remove(key);
    this.entries.set(key, { reply, kind: plan.kind, stored: this.now(), ttl: plan.ttl });
    this.counts[plan.kind]++;
    const cap = this.opts.capacity ?? 10_000;
    while (this.entries.size > cap) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.remove(oldest);
    }
    return plan;
  }

  /** Entries per kind (expired ones count until touched or evicted). */
  sizes(): { success: number; denial: number } {
    return { ...this.counts };
  }

  clear(): void {
    this.entries.clear();
    this.counts.success = 0;
    this.counts.denial = 0;
  }

  private remove(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    this.counts[e.kind]--;
  }
}

/**
 * The cache as a chain link: answers hits, passes misses on and stores what comes
 * back (concurrent misses for one key each go upstream, as in CoreDNS).
 */
export class CacheHandler implements DnsHandler {
  readonly name = 'cache';

  constructor(
    private readonly cache: DnsCache,
    private readonly metrics?: DnsMetrics,
  ) {}

  serve(q: DnsQuery, next: Next): DnsReply | Promise<DnsReply> {
    const key = cacheKey(q);
    const hit = this.cache.get(key);
    if (hit) {
      this.metrics?.cacheHits.inc({ server: this.metrics.server, type: hit.kind });
      return hit.reply;
    }
    this.metrics?.cacheMisses.inc({ server: this.metrics.server });
    const store = (reply: DnsReply): DnsReply => {
      if (this.cache.set(key, reply) && this.metrics) {
        const sizes = this.cache.sizes();
        this.metrics.cacheEntries.set({ server: this.metrics.server, type: 'success' }, sizes.success);
        this.metrics.cacheEntries.set({ server: this.metrics.server, type: 'denial' }, sizes.denial);
      }
      return reply;
    };
    const r = next(q);
    return r instanceof Promise ? r.then(store) : store(r);
  }
}
