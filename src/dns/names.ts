/**
 * Domain-name and address helpers shared by the projection and the answers:
 * case folding, zone trimming, the dashed forms of IPs that Kubernetes DNS uses
 * for endpoint and pod names, and reverse (`in-addr.arpa` / `ip6.arpa`) names.
 * All pure; names are handled without the trailing dot.
 */
import { isIP, isIPv4, isIPv6 } from 'node:net';

/**
 * Lower-cases `name` and strips one trailing dot, so names compare as DNS does
 * (RFC 4343: case-insensitive). The root is ''.
 *
 * @example normalizeName('Web.Default.SVC.cluster.local.') // 'web.default.svc.cluster.local'
 */
export function normalizeName(name: string): string {
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  return n.toLowerCase();
}

/**
 * The part of `name` left of `zone` ('' for the apex), or undefined when `name`
 * is not inside `zone`. Both arguments are normalized names.
 *
 * @example trimZone('a.b.cluster.local', 'cluster.local') // 'a.b'
 */
export function trimZone(name: string, zone: string): string | undefined {
  if (zone === '') return name;
  if (name === zone) return '';
  if (name.endsWith(`.${zone}`)) return name.slice(0, name.length - zone.length - 1);
  return undefined;
}

/** `name` with a trailing dot, as record targets print (`web.default.svc.cluster.local.`). */
export function fqdn(name: string): string {
  return name.endsWith('.') ? name : `${name}.`;
}

/** 4 for IPv4, 6 for IPv6, 0 for anything else. */
export function ipFamily(ip: string): 0 | 4 | 6 {
  return isIP(ip) as 0 | 4 | 6;
}

/**
 * The 16 bytes of an IPv6 address (with `::` compression and an optional dotted
 * IPv4 tail), or undefined when `ip` is not IPv6.
 */
export function ipv6Bytes(ip: string): number[] | undefined {
  if (!isIPv6(ip)) return undefined;
  const addr = ip.split('%')[0]!;
  let groups: number[] = [];
  const parseGroups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const pieces = part.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i]!;
      if (i === pieces.length - 1 && p.includes('.')) {
        const v4 = p.split('.').map(Number);
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else out.push(parseInt(p, 16));
    }
    return out;
  };
  const dbl = addr.indexOf('::');
  if (dbl >= 0) {
    const head = parseGroups(addr.slice(0, dbl)) ?? [];
    const tail = parseGroups(addr.slice(dbl + 2)) ?? [];
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else groups = parseGroups(addr) ?? [];
  if (groups.length !== 8) return undefined;
  return groups.flatMap((g) => [g >> 8, g & 0xff]);
}

/**
 * One spelling per address, so indexes keyed by IP match however the address was
 * written: IPv4 unchanged, IPv6 compressed and lower-case (RFC 5952). Returns
 * undefined for anything that is not an IP.
 *
 * @example canonicalIP('2001:DB8:0:0:0:0:0:1') // '2001:db8::1'
 */
export function canonicalIP(ip: string): string | undefined {
  if (isIPv4(ip)) return ip;
  const bytes = ipv6Bytes(ip);
  if (!bytes) return undefined;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  // The longest run (≥ 2) of zero groups becomes `::`; the first wins a tie.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/**
 * The _hostname_ of an endpoint (DNS spec 2.1, CoreDNS `endpointHostname`): its
 * `hostname` when set, else its IP with `.`/`:` replaced by `-` (an IPv6 address
 * ending in `::` gets a trailing `0`, so the label does not end with a dash).
 *
 * @example endpointHostname('127.128.0.5') // '127-128-0-5'
 */
export function endpointHostname(ip: string, hostname?: string): string {
  if (hostname) return hostname.toLowerCase();
  if (ip.includes('.')) return ip.replaceAll('.', '-');
  const dashed = ip.replaceAll(':', '-');
  return dashed.endsWith('-') ? `${dashed}0` : dashed;
}

/**
 * The IP a pod-record label names (`1-2-3-4` → `1.2.3.4`, `fd00--1` → `fd00::1`),
 * or undefined when the label is not a dashed IP.
 */
export function podLabelToIP(label: string): string | undefined {
  const ip = (label.split('-').length === 4 && !label.includes('--')) ? label.replaceAll('-', '.') : label.replaceAll('-', ':');
  return ipFamily(ip) ? canonicalIP(ip) : undefined;
}

/**
 * The address a full reverse name names (`4.3.2.1.in-addr.arpa` → `1.2.3.4`, 32
 * nibbles under `ip6.arpa` → IPv6), or undefined for partial or malformed names.
 */
export function reverseNameToIP(name: string): string | undefined {
  const n = normalizeName(name);
  if (n.endsWith('.in-addr.arpa')) {
    const labels = n.slice(0, -'.in-addr.arpa'.length).split('.');
    if (labels.length !== 4) return undefined;
    const ip = labels.reverse().join('.');
    return isIPv4(ip) ? ip : undefined;
  }
  if (n.endsWith('.ip6.arpa')) {
    const labels = n.slice(0, -'.ip6.arpa'.length).split('.');
    if (labels.length !== 32 || !labels.every((l) => /^[0-9a-f]$/.test(l))) return undefined;
    const nibbles = labels.reverse().join('');
    const groups: string[] = [];
    for (let i = 0; i < 32; i += 4) groups.push(nibbles.slice(i, i + 4));
    return canonicalIP(groups.join(':'));
  }
  return undefined;
}

/**
 * The reverse name of `ip` (no trailing dot), or undefined when it is not an IP.
 *
 * @example reverseName('127.96.0.10') // '10.0.96.127.in-addr.arpa'
 */
export function reverseName(ip: string): string | undefined {
  if (isIPv4(ip)) return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
  const bytes = ipv6Bytes(ip);
  if (!bytes) return undefined;
  const nibbles = bytes.flatMap((b) => [(b >> 4).toString(16), (b & 0xf).toString(16)]);
  return `${nibbles.reverse().join('.')}.ip6.arpa`;
}

/** True when `name` (normalized) is inside `in-addr.arpa` or `ip6.arpa`. */
export function isReverseName(name: string): boolean {
  return name === 'in-addr.arpa' || name === 'ip6.arpa' || name.endsWith('.in-addr.arpa') || name.endsWith('.ip6.arpa');
}
