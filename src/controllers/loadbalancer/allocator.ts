/**
 * Which LoadBalancer IP belongs to which Service: an in-memory map over an
 * {@link IPv4Pool}, rebuilt from the Services' own status at start (so a
 * restart never hands one IP out twice). No I/O.
 */
import { formatIPv4, parseIPv4, poolContains, type IPv4Pool } from './pool.js';

/** The holder of an IP: Service key (`namespace/name`) and UID. */
export interface LBOwner {
  key: string;
  uid: string;
}

/**
 * The allocation map.
 *
 * @example
 * const a = new LoadBalancerAllocator(parsePool('127.112.0.0/16'));
 * a.assign({ key: 'ns/web', uid }, a.nextFree()!); // '127.112.0.1'
 */
export class LoadBalancerAllocator {
  private readonly byIP = new Map<string, LBOwner>();
  private readonly byKey = new Map<string, { ip: string; uid: string }>();
  /** Where the next search for a free address starts (wraps), so released IPs are not reused at once. */
  private cursor: number;

  constructor(readonly pool: IPv4Pool) {
    this.cursor = pool.first;
  }

  /** True when `ip` lies in the pool. */
  contains(ip: string): boolean {
    return poolContains(this.pool, ip);
  }

  /** The holder of `ip`, if any. */
  holderOf(ip: string): LBOwner | undefined {
    return this.byIP.get(ip);
  }

  /** The IP (and holder UID) the Service key holds, if any. */
  heldBy(key: string): { ip: string; uid: string } | undefined {
    return this.byKey.get(key);
  }

  /** Number of addresses handed out. */
  get size(): number {
    return this.byIP.size;
  }

  /**
   * A free address, searching round-robin from after the last one handed out;
   * undefined when the pool is exhausted.
   */
  nextFree(): string | undefined {
    const span = this.pool.last - this.pool.first + 1;
    for (let i = 0; i < span; i++) {
      const n = this.pool.first + ((this.cursor - this.pool.first + i) % span);
      const ip = formatIPv4(n);
      if (!this.byIP.has(ip)) return ip;
    }
    return undefined;
  }

  /**
   * Gives `ip` to `owner`, releasing what the owner held before. Throws when the IP is
   * outside the pool or held by someone else (callers check first).
   */
  assign(owner: LBOwner, ip: string): void {
    if (!this.contains(ip)) throw new Error(`IP ${ip} is not in the LoadBalancer pool ${this.pool.spec}`);
    const holder = this.byIP.get(ip);
    if (holder && holder.key !== owner.key) throw new Error(`IP ${ip} is already allocated to Service ${holder.key}`);
    this.release(owner.key);
    this.byIP.set(ip, owner);
    this.byKey.set(owner.key, { ip, uid: owner.uid });
    const n = parseIPv4(ip) as number;
    this.cursor = n >= this.pool.last ? this.pool.first : n + 1;
  }

  /** Frees what the Service key holds; returns the freed IP. */
  release(key: string): string | undefined {
    const held = this.byKey.get(key);
    if (!held) return undefined;
    this.byKey.delete(key);
    this.byIP.delete(held.ip);
    return held.ip;
  }
}
