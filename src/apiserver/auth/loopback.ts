/**
 * Which bind addresses count as loopback. The API server stays on plain HTTP
 * without authentication only when it is reachable from this machine alone;
 * anything else (a specific interface address, or the wildcards `0.0.0.0` and
 * `::`, which listen on every interface) switches on HTTPS and bearer tokens.
 */
import { isIPv4, isIPv6 } from 'node:net';

/**
 * True for 127.0.0.0/8, `::1`, `::ffff:127.x.y.z` and `localhost`; false for
 * the wildcards `0.0.0.0` / `::` and every other address or name.
 *
 * @example isLoopbackHost('127.0.0.1') // true
 * @example isLoopbackHost('0.0.0.0')   // false: listens everywhere
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIPv4(h)) return h.split('.')[0] === '127';
  if (isIPv6(h)) {
    const mapped = /^(?:0{0,4}:){0,5}(?::|0{0,4}:)?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
    if (mapped) return isLoopbackHost(mapped[1]!);
    return expandIPv6(h) === '0000:0000:0000:0000:0000:0000:0000:0001';
  }
  return false;
}

/** True for the any-address binds `0.0.0.0` and `::` (clients should dial 127.0.0.1 instead). */
export function isWildcardHost(host: string): boolean {
  const h = host.trim().replace(/^\[|\]$/g, '');
  if (h === '0.0.0.0') return true;
  return isIPv6(h) && expandIPv6(h) === '0000:0000:0000:0000:0000:0000:0000:0000';
}

/**
 * Whether the API server must serve HTTPS with authentication: when it binds
 * beyond loopback, or when the user asked for it (`--secure`).
 */
export function secureModeFor(host: string, forced = false): boolean {
  return forced || !isLoopbackHost(host);
}

/** The host clients should dial for a bind address (`127.0.0.1` for wildcards), bracketed for IPv6 URLs. */
export function dialHost(host: string): string {
  if (isWildcardHost(host)) return '127.0.0.1';
  const h = host.replace(/^\[|\]$/g, '');
  return isIPv6(h) ? `[${h}]` : h;
}

function expandIPv6(ip: string): string {
  const [head = '', tail] = ip.split('::');
  const parts = (s: string): string[] => (s ? s.split(':') : []);
  const h = parts(head);
  const t = tail === undefined ? [] : parts(tail);
  const fill = tail === undefined ? [] : Array<string>(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((p) => p.padStart(4, '0')).join(':');
}
