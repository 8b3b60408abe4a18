/**
 * The address pool LoadBalancer IPs come from: an IPv4 CIDR (network and
 * broadcast addresses excluded, as a cloud would) or an explicit
 * `first-last` range. Pure parsing and arithmetic.
 */

/** skiff's default LoadBalancer pool (DESIGN.md address plan). */
export const DEFAULT_LB_POOL = '127.112.0.0/16';

/** An inclusive range of IPv4 addresses as 32-bit numbers. */
export interface IPv4Pool {
  first: number;
  last: number;
  /** The text it was parsed from. */
  spec: string;
}

/** Parses dotted-quad IPv4; undefined when invalid. */
export function parseIPv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s.trim());
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return (((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!) >>> 0;
}

/** Formats a 32-bit number as dotted-quad IPv4. */
export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/**
 * Parses a pool: `10.0.0.0/24` (usable hosts .1–.254; /31 and /32 use every address) or
 * `10.0.0.10-10.0.0.20`. Throws an error naming the bad value otherwise.
 *
 * @example
 * parsePool('127.112.0.0/16') // { first: 127.112.0.1, last: 127.112.255.254 } as numbers
 */
export function parsePool(spec: string): IPv4Pool {
  const text = spec.trim();
  const range = /^([^-\s]+)\s*-\s*([^-\s]+)$/.exec(text);
  if (range) {
    const first = parseIPv4(range[1]!);
    const last = parseIPv4(range[2]!);
    if (first === undefined || last === undefined || first > last) {
      throw new Error(`invalid LoadBalancer IP range "${spec}": expected FIRST-LAST with two IPv4 addresses, FIRST <= LAST (e.g. 127.112.0.10-127.112.0.200)`);
    }
    return { first, last, spec: text };
  }
  const cidr = /^([^/]+)\/(\d{1,2})$/.exec(text);
  const base = cidr ? parseIPv4(cidr[1]!) : undefined;
  const bits = cidr ? Number(cidr[2]) : NaN;
  if (base === undefined || !(bits >= 0 && bits <= 32)) {
    throw new Error(`invalid LoadBalancer IP pool "${spec}": expected an IPv4 CIDR (e.g. 127.112.0.0/16) or a range FIRST-LAST`);
  }
  const size = 2 ** (32 - bits);
  const network = bits === 0 ? 0 : (base & ((0xffffffff << (32 - bits)) >>> 0)) >>> 0;
  if (size <= 2) return { first: network, last: network + size - 1, spec: text };
  return { first: network + 1, last: network + size - 2, spec: text };
}

/** True when `ip` (dotted quad) is inside the pool. */
export function poolContains(pool: IPv4Pool, ip: string): boolean {
  const n = parseIPv4(ip);
  return n !== undefined && n >= pool.first && n <= pool.last;
}
