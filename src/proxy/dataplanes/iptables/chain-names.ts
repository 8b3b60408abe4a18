/**
 * kube-proxy's chain names: a hash of the service port (and endpoint), so names
 * are stable across restarts and fit iptables' 28-character limit. iptables
 * uses 16 base32 characters of sha256 of `ns/svc:port` + protocol (+ endpoint);
 * nftables uses 8 characters of the same hash of a readable base, followed by
 * the base itself.
 */
import { createHash } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 (upper case, no padding) of `bytes`. */
export function base32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = ((value << 8) | b) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

/** The first `length` base32 characters of sha256(`text`). */
export function hashName(text: string, length: number): string {
  return base32(createHash('sha256').update(text).digest()).slice(0, length);
}

/**
 * The hash part of KUBE-SVC-, KUBE-SVL-, KUBE-EXT- and KUBE-FW- chain names.
 *
 * @example portProtoHash('ns1/svc1:p80', 'tcp') // 'XPGD46QRK7WJZT7O'
 */
export function portProtoHash(servicePortName: string, proto: string): string {
  return hashName(servicePortName + proto, 16);
}

/** `KUBE-SVC-<hash>` and its siblings for one service port. */
export function serviceChains(servicePortName: string, proto: string): { svc: string; svl: string; ext: string; fw: string } {
  const h = portProtoHash(servicePortName, proto);
  return { svc: `KUBE-SVC-${h}`, svl: `KUBE-SVL-${h}`, ext: `KUBE-EXT-${h}`, fw: `KUBE-FW-${h}` };
}

/**
 * `KUBE-SEP-<hash>` of one endpoint (`ip:port`) of a service port.
 *
 * @example endpointChain('ns1/svc1:p80', 'tcp', '10.180.0.1:80') // 'KUBE-SEP-SXIVWICOYRO3J4NJ'
 */
export function endpointChain(servicePortName: string, proto: string, endpoint: string): string {
  return `KUBE-SEP-${hashName(servicePortName + proto + endpoint, 16)}`;
}
