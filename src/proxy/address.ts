/**
 * IPv4 address arithmetic for the proxy's decisions: which node a client address
 * belongs to (node InternalIP or pod CIDR) and whether a client may use a
 * LoadBalancer (`loadBalancerSourceRanges`). IPv6 addresses are compared as text:
 * skiff's address plan is IPv4 (DESIGN.md), so a v6 CIDR never matches.
 */
import { isIPv4 } from 'node:net';

/** A parsed IPv4 CIDR: network and mask as unsigned 32-bit integers. */
export interface Cidr {
  readonly text: string;
  readonly network: number;
  readonly mask: number;
}

/**
 * The address as an unsigned 32-bit integer, or -1 when it is not IPv4.
 *
 * @example ipv4ToInt('127.0.1.2') // 0x7f000102
 */
export function ipv4ToInt(ip: string): number {
  let n = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  // A hand loop, not split('.'): this runs per connection for Local traffic policies.
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || part > 255) return -1;
      n = n * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      if (++digits > 3) return -1;
    } else return -1;
  }
  if (dots !== 3 || digits === 0 || part > 255) return -1;
  return n * 256 + part;
}

/**
 * Parses `a.b.c.d/n` (a bare address means /32). Returns undefined for anything
 * else, including IPv6.
 *
 * @example parseCidr('127.128.1.0/24')?.mask // 0xffffff00
 */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  const ip = slash < 0 ? text : text.slice(0, slash);
  const bits = slash < 0 ? 32 : Number(text.slice(slash + 1));
  const n = ipv4ToInt(ip.trim());
  if (n < 0 || !Number.isInteger(bits) || bits < 0 || bits > 32) return undefined;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return { text, network: (n & mask) >>> 0, mask };
}

/** Whether IPv4 address `ip` (text or integer) lies in `cidr`. */
export function cidrContains(cidr: Cidr, ip: string | number): boolean {
  const n = typeof ip === 'number' ? ip : ipv4ToInt(ip);
  return n >= 0 && ((n & cidr.mask) >>> 0) === cidr.network;
}

/**
 * The plain form of a socket's remote address: IPv4-mapped IPv6 (`::ffff:1.2.3.4`,
 * as dual-stack sockets report) becomes `1.2.3.4`; anything else is returned as is.
 */
export function normalizeAddress(addr: string | undefined): string {
  if (!addr) return '';
  if (addr.length > 7 && addr.charCodeAt(0) === 58 && addr.startsWith('::ffff:')) {
    const v4 = addr.slice(7);
    if (isIPv4(v4)) return v4;
  }
  return addr;
}
