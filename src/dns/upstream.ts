/**
 * Upstream resolver addresses: parsing `ip`, `ip:port` and `[ipv6]:port`, reading
 * the host's `/etc/resolv.conf` (CoreDNS `forward . /etc/resolv.conf`), and the
 * static half of the loop guard — an upstream that is this server itself.
 */
import { readFileSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import { canonicalIP } from './names.js';

/** One upstream resolver. */
export interface Upstream {
  /** Canonical IP. */
  host: string;
  port: number;
}

/** `host:port`, with brackets for IPv6. */
export function formatUpstream(u: Upstream): string {
  return isIPv6(u.host) ? `[${u.host}]:${u.port}` : `${u.host}:${u.port}`;
}

/**
 * Parses `1.2.3.4`, `1.2.3.4:5353`, `::1`, `[::1]:5353` and `dns://…` forms; the
 * port defaults to 53. Throws on anything else (resolvers are IPs, not names: a
 * name would need a resolver to resolve).
 *
 * @example parseUpstream('127.0.0.1:5353') // { host: '127.0.0.1', port: 5353 }
 */
export function parseUpstream(text: string): Upstream {
  const s = text.trim().replace(/^dns:\/\//, '');
  let host = s;
  let port = 53;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (bracket) {
    host = bracket[1]!;
    if (bracket[2]) port = Number(bracket[2]);
  } else if (!isIPv6(s)) {
    const i = s.lastIndexOf(':');
    if (i > 0) {
      host = s.slice(0, i);
      port = Number(s.slice(i + 1));
    }
  }
  const ip = canonicalIP(host.split('%')[0]!);
  if (!ip || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`invalid DNS upstream "${text}": want an IP address with an optional port, e.g. 10.0.0.2 or 10.0.0.2:5353 or [fd00::2]:53`);
  }
  return { host: ip, port };
}

/**
 * The `nameserver` entries of a resolv.conf text, in order (port 53; IPv6 zone
 * suffixes dropped; malformed lines skipped).
 */
export function parseResolvConf(text: string): Upstream[] {
  const out: Upstream[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const m = /^nameserver\s+(\S+)/.exec(line);
    if (!m) continue;
    const ip = canonicalIP(m[1]!.split('%')[0]!);
    if (ip) out.push({ host: ip, port: 53 });
  }
  return out;
}

/** The resolvers of the host (`/etc/resolv.conf` unless `path` says otherwise); [] when unreadable. */
export function hostResolvers(path = '/etc/resolv.conf'): Upstream[] {
  try {
    return parseResolvConf(readFileSync(path, 'utf8'));
  } catch {
    return [];
  }
}

function isLoopbackOrAny(ip: string): boolean {
  return (isIPv4(ip) && (ip.startsWith('127.') || ip === '0.0.0.0')) || ip === '::1' || ip === '::';
}

/**
 * True when `u` reaches one of `self`: the same address and port, or — when a
 * self address is a wildcard (0.0.0.0, ::) — any loopback or wildcard address on
 * that port.
 */
export function isSelf(u: Upstream, self: readonly Upstream[]): boolean {
  return self.some((s) => s.port === u.port && (s.host === u.host || ((s.host === '0.0.0.0' || s.host === '::') && isLoopbackOrAny(u.host))));
}

/**
 * Splits upstreams into those to use and those that are this server itself
 * (forwarding to them would loop, CoreDNS `loop`'s static twin).
 *
 * @example
 * filterUpstreams([{ host: '127.0.2.53', port: 53 }, { host: '10.0.0.2', port: 53 }], [{ host: '127.0.2.53', port: 53 }])
 * // { kept: [10.0.0.2:53], dropped: [127.0.2.53:53] }
 */
export function filterUpstreams(upstreams: readonly Upstream[], self: readonly Upstream[]): { kept: Upstream[]; dropped: Upstream[] } {
  const kept: Upstream[] = [];
  const dropped: Upstream[] = [];
  for (const u of upstreams) (isSelf(u, self) ? dropped : kept).push(u);
  return { kept, dropped };
}
