/**
 * The iptables data path: renders the full state with {@link renderIptables}
 * and applies it with one `iptables-restore --noflush` per sync (atomic per
 * table, other chains untouched), inside a network namespace when one is
 * given. The first sync also installs the jumps from the built-in chains into
 * the KUBE-* chains, as kube-proxy does outside its restore.
 */
import { silentLogger, type Logger } from '../../../client/logger.js';
import type { Dataplane, DataplaneSnapshot, ProxyState } from '../../dataplane.js';
import { kernelSnapshot } from './kernel-snapshot.js';
import { chainsOf, renderIptables, type IptablesRenderOptions } from './render-iptables.js';
import { commandRunner, mustSucceed, type CommandRunner } from './run-command.js';
import { LoopbackSource } from './loopback-source.js';

/** Options of {@link IptablesDataplane}. */
export interface IptablesDataplaneOptions extends Omit<IptablesRenderOptions, 'existingNatChains'> {
  /** Network namespace (`ip netns` name) to program. Default: this process's namespace. */
  readonly netns?: string;
  /** Runs the tools; default spawns them (in `netns`). */
  readonly run?: CommandRunner;
  readonly logger?: Logger;
  /**
   * Remove every jump and KUBE-* chain this data path installed when it closes
   * (what `kube-proxy --cleanup` does). Default false: the rules stay, as kube-proxy
   * leaves them on exit for the next proxy to take over.
   */
  readonly cleanupOnClose?: boolean;
}

/** Jumps from built-in chains into kube-proxy's (upstream `iptablesJumpChains`). */
export const IPTABLES_JUMPS: ReadonlyArray<{ table: string; chain: string; args: readonly string[] }> = [
  { table: 'filter', chain: 'INPUT', args: ['-m', 'conntrack', '--ctstate', 'NEW', '-m', 'comment', '--comment', 'kubernetes externally-visible service portals', '-j', 'KUBE-EXTERNAL-SERVICES'] },
  { table: 'filter', chain: 'FORWARD', args: ['-m', 'conntrack', '--ctstate', 'NEW', '-m', 'comment', '--comment', 'kubernetes externally-visible service portals', '-j', 'KUBE-EXTERNAL-SERVICES'] },
  { table: 'filter', chain: 'INPUT', args: ['-m', 'comment', '--comment', 'kubernetes health check service ports', '-j', 'KUBE-NODEPORTS'] },
  { table: 'filter', chain: 'FORWARD', args: ['-m', 'conntrack', '--ctstate', 'NEW', '-m', 'comment', '--comment', 'kubernetes service portals', '-j', 'KUBE-SERVICES'] },
  { table: 'filter', chain: 'OUTPUT', args: ['-m', 'conntrack', '--ctstate', 'NEW', '-m', 'comment', '--comment', 'kubernetes service portals', '-j', 'KUBE-SERVICES'] },
  { table: 'filter', chain: 'FORWARD', args: ['-m', 'comment', '--comment', 'kubernetes forwarding rules', '-j', 'KUBE-FORWARD'] },
  { table: 'filter', chain: 'INPUT', args: ['-m', 'conntrack', '--ctstate', 'NEW', '-m', 'comment', '--comment', 'kubernetes load balancer firewall', '-j', 'KUBE-PROXY-FIREWALL'] },
  { table: 'filter', chain: 'OUTPUT', args: ['-m', 'conntrack', '--ctstate', 'NEW', '-m', 'comment', '--comment', 'kubernetes load balancer firewall', '-j', 'KUBE-PROXY-FIREWALL'] },
  { table: 'filter', chain: 'FORWARD', args: ['-m', 'conntrack', '--ctstate', 'NEW', '-m', 'comment', '--comment', 'kubernetes load balancer firewall', '-j', 'KUBE-PROXY-FIREWALL'] },
  { table: 'nat', chain: 'OUTPUT', args: ['-m', 'comment', '--comment', 'kubernetes service portals', '-j', 'KUBE-SERVICES'] },
  { table: 'nat', chain: 'PREROUTING', args: ['-m', 'comment', '--comment', 'kubernetes service portals', '-j', 'KUBE-SERVICES'] },
  { table: 'nat', chain: 'POSTROUTING', args: ['-m', 'comment', '--comment', 'kubernetes postrouting rules', '-j', 'KUBE-POSTROUTING'] },
];

/**
 * `iptables-restore --noflush` input that empties and deletes every chain of
 * `applied` (a text {@link renderIptables} produced), table by table.
 *
 * @example cleanupText('*nat\n:KUBE-SERVICES - [0:0]\nCOMMIT\n') // '*nat\n:KUBE-SERVICES - [0:0]\n-X KUBE-SERVICES\nCOMMIT\n'
 */
export function cleanupText(applied: string): string {
  const out: string[] = [];
  for (const table of ['filter', 'nat'] as const) {
    const chains = chainsOf(applied, table);
    if (!chains.length) continue;
    // Declaring a chain in a --noflush restore flushes it; then nothing refers to it and -X succeeds.
    out.push(`*${table}`, ...chains.map((c) => `:${c} - [0:0]`), ...chains.map((c) => `-X ${c}`), 'COMMIT');
  }
  return out.length ? `${out.join('\n')}\n` : '';
}

/**
 * Programs the kernel through iptables.
 *
 * @example
 * const dp = new IptablesDataplane({ netns: 'skiff-node-1', clusterCIDR: '10.244.0.0/16' });
 * await dp.sync(state); // one iptables-restore
 */
export class IptablesDataplane implements Dataplane {
  readonly mode = 'iptables';
  private readonly run: CommandRunner;
  private readonly log: Logger;
  /** Node IPs on `lo` with global scope, so MASQUERADE has a source address (see loopback-source.ts). */
  private readonly loopback: LoopbackSource;
  private lastText: string | undefined;
  private lastState: ProxyState | undefined;
  private jumpsInstalled = false;

  constructor(private readonly opts: IptablesDataplaneOptions = {}) {
    this.run = opts.run ?? commandRunner(opts.netns);
    this.log = opts.logger ?? silentLogger;
    this.loopback = new LoopbackSource(this.run);
  }

  async sync(state: ProxyState): Promise<void> {
    await this.loopback.ensure(state.nodes.flatMap((n) => n.internalIPs));
    const text = renderIptables(state, { ...this.opts, existingNatChains: this.lastText ? chainsOf(this.lastText, 'nat') : [] });
    // Applied even when unchanged, so the periodic sync repairs rules someone
    // removed (the `recent` affinity lists live outside the chains and survive).
    mustSucceed(`iptables-restore${this.where()}`, await this.run(['iptables-restore', '-w', '--noflush'], text));
    // Remember what is applied before the jumps: a failed jump install must not make the next sync forget chains to delete.
    this.lastText = text;
    if (!this.jumpsInstalled) {
      await this.installJumps();
      this.jumpsInstalled = true;
    }
    this.lastState = state;
    this.log.debug?.({ bytes: text.length }, 'iptables rules applied');
  }

  snapshot(): DataplaneSnapshot {
    return kernelSnapshot(this.mode, this.lastState);
  }

  /**
   * Leaves the rules in place (as kube-proxy does on exit; the next proxy takes them
   * over), unless `cleanupOnClose`: then removes the jumps and every chain it wrote.
   */
  async close(): Promise<void> {
    if (!this.opts.cleanupOnClose || this.lastText === undefined) return;
    for (const j of IPTABLES_JUMPS) await this.run(['iptables', '-w', '-t', j.table, '-D', j.chain, ...j.args]);
    mustSucceed(`iptables-restore (cleanup)${this.where()}`, await this.run(['iptables-restore', '-w', '--noflush'], cleanupText(this.lastText)));
    this.lastText = undefined;
    this.jumpsInstalled = false;
    await this.loopback.release();
  }

  private async installJumps(): Promise<void> {
    for (const j of IPTABLES_JUMPS) {
      const check = await this.run(['iptables', '-w', '-t', j.table, '-C', j.chain, ...j.args]);
      if (check.code === 0) continue;
      mustSucceed(`iptables -t ${j.table} -I ${j.chain}${this.where()}`, await this.run(['iptables', '-w', '-t', j.table, '-I', j.chain, ...j.args]));
    }
  }

  private where(): string {
    return this.opts.netns ? ` in network namespace ${this.opts.netns}` : '';
  }
}
