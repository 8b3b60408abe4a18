/**
 * A source address MASQUERADE can use on `lo`. kube-proxy masquerades some
 * Service traffic (from outside the pod network, NodePorts, hairpin), and the
 * kernel's MASQUERADE takes a global-scope address of the outgoing interface.
 * skiff's node InternalIPs live on `lo`, whose only address (127.0.0.1/8) has
 * host scope, so the kernel would drop those packets. Like a real node's
 * InternalIP on its NIC, each served node's 127.x InternalIP is put on `lo`
 * with scope global.
 */
import { isIPv4 } from 'node:net';
import type { CommandRunner } from './run-command.js';

/**
 * The addresses to put on `lo`: IPv4 loopback (127/8) ones other than 127.0.0.1, once each.
 *
 * @example loopbackSourceAddresses(['127.0.1.1', '10.0.0.1', '127.0.1.1']) // ['127.0.1.1']
 */
export function loopbackSourceAddresses(ips: Iterable<string>): string[] {
  const out = new Set<string>();
  for (const ip of ips) if (isIPv4(ip) && ip.startsWith('127.') && ip !== '127.0.0.1') out.add(ip);
  return [...out];
}

/** Adds node addresses to `lo` (scope global) and, on release, removes the ones it added. */
export class LoopbackSource {
  private readonly added = new Set<string>();
  private readonly present = new Set<string>();

  constructor(private readonly run: CommandRunner) {}

  /** Makes sure each loopback node IP is on `lo` with scope global; idempotent. */
  async ensure(ips: Iterable<string>): Promise<void> {
    for (const ip of loopbackSourceAddresses(ips)) {
      if (this.present.has(ip)) continue;
      const r = await this.run(['ip', 'addr', 'add', `${ip}/32`, 'dev', 'lo', 'scope', 'global']);
      // "File exists": someone put it there; it is not ours to remove.
      if (r.code !== 0 && !/exists/i.test(r.stderr)) throw new Error(`ip addr add ${ip}/32 dev lo scope global failed (exit ${r.code}): ${r.stderr.trim()}`);
      if (r.code === 0) this.added.add(ip);
      this.present.add(ip);
    }
  }

  /** Removes the addresses this instance added. */
  async release(): Promise<void> {
    for (const ip of this.added) await this.run(['ip', 'addr', 'del', `${ip}/32`, 'dev', 'lo']);
    this.added.clear();
    this.present.clear();
  }
}
