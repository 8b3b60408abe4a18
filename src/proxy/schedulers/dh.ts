/**
 * Destination hashing (IPVS `ip_vs_dh`): the connection's destination address
 * picks a bucket of a 256-entry table filled with the backends in turn, so every
 * client of one destination reaches the same backend (a cache-affinity scheduler).
 * In the userspace data path the destination is the address the client dialled —
 * the ClusterIP, a node IP, a LoadBalancer or external IP — so one Service
 * address maps to one backend, exactly as IPVS would do for that virtual server.
 */
import { addressValue, hash32, TableCache } from './hash-table.js';
import type { Backend, Scheduler } from './scheduler.js';

/**
 * Destination-hashing scheduler. Returns undefined when the hashed backend is
 * quiesced (weight 0), as IPVS does: `dh` has no fallback.
 *
 * @example new DestinationHashScheduler().pick(backends, client, '127.96.0.20') // same result for every client
 */
export class DestinationHashScheduler implements Scheduler {
  readonly name = 'dh' as const;
  private readonly cache = new TableCache(false);

  pick<B extends Backend>(backends: readonly B[], _source: string, destination: string): B | undefined {
    if (backends.length === 0) return undefined;
    const table = this.cache.tableFor(backends);
    const b = backends[table[hash32(addressValue(destination))]!];
    return b && b.weight > 0 ? b : undefined;
  }
}
