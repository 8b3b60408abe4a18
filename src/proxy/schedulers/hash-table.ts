/**
 * The hash tables of IPVS `dh` and `sh` (`ip_vs_dh.c`, `ip_vs_sh.c`): 256 buckets,
 * each naming one backend, indexed by the kernel's multiplicative `hash_32` of an
 * address. Shared by both schedulers so their tables are built one way.
 */
import { ipv4ToInt } from '../address.js';
import type { Backend } from './scheduler.js';

/** Table bits and size (`IP_VS_DH_TAB_BITS` / `IP_VS_SH_TAB_BITS` default 8). */
export const TABLE_BITS = 8;
export const TABLE_SIZE = 1 << TABLE_BITS;

/** Linux `hash_32(val, bits)`: multiply by GOLDEN_RATIO_32, keep the top `bits`. */
export function hash32(value: number, bits: number = TABLE_BITS): number {
  return Math.imul(value >>> 0, 0x61c88647) >>> (32 - bits);
}

/**
 * The 32-bit value IPVS hashes for an address: the IPv4 address in host order.
 * Other text (IPv6) folds through FNV-1a so it still hashes stably.
 */
export function addressValue(ip: string): number {
  const n = ipv4ToInt(ip);
  if (n >= 0) return n;
  let h = 0x811c9dc5;
  for (let i = 0; i < ip.length; i++) h = Math.imul(h ^ ip.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * Fills the buckets as the kernel's `*_reassign` does: walk the backends
 * cyclically, giving each one bucket (`dh`), or `weight` consecutive buckets and at
 * least one (`sh`). The result holds indexes into `backends`; -1 when empty.
 */
export function buildTable(backends: readonly Backend[], weighted: boolean): Int32Array {
  const table = new Int32Array(TABLE_SIZE).fill(-1);
  const n = backends.length;
  if (n === 0) return table;
  let d = 0;
  let count = 0;
  for (let i = 0; i < TABLE_SIZE; i++) {
    table[i] = d;
    count++;
    if (!weighted || count >= backends[d]!.weight) {
      d = (d + 1) % n;
      count = 0;
    }
  }
  return table;
}

/**
 * Caches one table per backend list: rebuilt only when the keys or weights change,
 * so a sync that hands over an equal list keeps the table (and the hashing stable).
 */
export class TableCache {
  private list: readonly Backend[] | undefined;
  private signature = '';
  private table: Int32Array = new Int32Array(TABLE_SIZE).fill(-1);

  constructor(private readonly weighted: boolean) {}

  /** The table for `backends`. */
  tableFor(backends: readonly Backend[]): Int32Array {
    if (backends === this.list) return this.table;
    let sig = '';
    for (const b of backends) sig += `${b.key}*${this.weighted ? b.weight : 1},`;
    this.list = backends;
    if (sig !== this.signature) {
      this.signature = sig;
      this.table = buildTable(backends, this.weighted);
    }
    return this.table;
  }
}
