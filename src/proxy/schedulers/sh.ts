/**
 * Source hashing (IPVS `ip_vs_sh`): the client's source address picks a bucket of
 * a 256-entry table in which each backend holds `weight` consecutive buckets, so
 * one client address always reaches the same backend while the set is unchanged.
 */
import { addressValue, hash32, TABLE_BITS, TABLE_SIZE, TableCache } from './hash-table.js';
import type { Backend, Scheduler } from './scheduler.js';

/**
 * Source-hashing scheduler with IPVS's `sh-fallback` behaviour: when the hashed
 * backend is quiesced (weight 0) it walks the table from that bucket to the next
 * usable backend, so the choice stays stable per client yet never fails while
 * any backend is usable.
 *
 * @example new SourceHashScheduler().pick(backends, '127.0.0.1', vip) // same backend on every call
 */
export class SourceHashScheduler implements Scheduler {
  readonly name = 'sh' as const;
  private readonly cache = new TableCache(true);

  pick<B extends Backend>(backends: readonly B[], source: string, _destination?: string): B | undefined {
    if (backends.length === 0) return undefined;
    const table = this.cache.tableFor(backends);
    const value = addressValue(source);
    const first = hash32(value, TABLE_BITS);
    const b = backends[table[first]!];
    if (b && b.weight > 0) return b;
    for (let offset = 0; offset < TABLE_SIZE; offset++) {
      const roffset = (offset + first) % TABLE_SIZE;
      const c = backends[table[(roffset + hash32(value, TABLE_BITS)) % TABLE_SIZE]!];
      if (c && c.weight > 0) return c;
    }
    return undefined;
  }
}
