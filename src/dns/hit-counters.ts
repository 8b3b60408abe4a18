/**
 * Counts of answers served from the DNS byte cache, kept as plain numbers per
 * label set (zone, type, rcode) and protocol/family slot, with their durations
 * bucketed as `coredns_dns_request_duration_seconds` buckets them. A hit only
 * bumps numbers; {@link DnsMetrics.flushHits} adds them to the prom-client
 * families when they are read. No prom-client here: reader processes use it too.
 */

/** The bucket bounds (seconds) of the request duration histogram, CoreDNS's. */
export const DURATION_BUCKETS = [0.00025, 0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096, 8.192];

/** The slot of a protocol and address family in {@link HitCounter}: udp/IPv4 0, udp/IPv6 1, tcp/IPv4 2, tcp/IPv6 3. */
export function hitSlot(proto: 'udp' | 'tcp', ipv6: boolean): number {
  return (proto === 'tcp' ? 2 : 0) | (ipv6 ? 1 : 0);
}

/** Index in a bucket array of a duration in seconds: the first bound it fits under, or the bucket count (above every bound). */
function bucketIndex(seconds: number): number {
  let i = 0;
  while (i < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[i]!) i++;
  return i;
}

/** Counted fast-path answers of one label set and slot: zone, type, rcode, slot, answers, seconds, per-bucket counts (non-cumulative). */
export type HitRow = [zone: string, type: string, rcode: string, slot: number, n: number, sum: number, buckets: number[]];

/** The counts of one label set (zone, type, rcode), interned so a hit only bumps numbers. */
export class HitCounter {
  private readonly n = new Float64Array(4);
  private readonly sum = new Float64Array(4);
  private readonly buckets = new Float64Array(4 * DURATION_BUCKETS.length);

  constructor(
    readonly zone: string,
    readonly type: string,
    readonly rcode: string,
  ) {}

  /** One answer in `slot` ({@link hitSlot}) that took `seconds`. */
  add(slot: number, seconds: number): void {
    this.n[slot] = this.n[slot]! + 1;
    this.sum[slot] = this.sum[slot]! + seconds;
    const b = bucketIndex(seconds);
    if (b < DURATION_BUCKETS.length) {
      const i = slot * DURATION_BUCKETS.length + b;
      this.buckets[i] = this.buckets[i]! + 1;
    }
  }

  /** The rows counted since the last drain, then zero. */
  drain(out: (row: HitRow) => void): void {
    const nb = DURATION_BUCKETS.length;
    for (let slot = 0; slot < 4; slot++) {
      const n = this.n[slot]!;
      if (!n) continue;
      out([this.zone, this.type, this.rcode, slot, n, this.sum[slot]!, Array.from(this.buckets.subarray(slot * nb, (slot + 1) * nb))]);
      this.n[slot] = 0;
      this.sum[slot] = 0;
      this.buckets.fill(0, slot * nb, (slot + 1) * nb);
    }
  }
}

/** {@link HitCounter}s by label set. */
export class HitCounters {
  private readonly byKey = new Map<string, HitCounter>();

  /** The one counter of these labels. */
  get(zone: string, type: string, rcode: string): HitCounter {
    const key = `${zone}|${type}|${rcode}`;
    let c = this.byKey.get(key);
    if (!c) this.byKey.set(key, (c = new HitCounter(zone, type, rcode)));
    return c;
  }

  /** Every row counted since the last drain. */
  drain(out: (row: HitRow) => void): void {
    for (const c of this.byKey.values()) c.drain(out);
  }
}
