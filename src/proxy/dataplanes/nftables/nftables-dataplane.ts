/**
 * The nftables data path (kube-proxy's nftables mode): renders the full state
 * with {@link renderNftables} and replaces table `ip kube-proxy` in one
 * `nft -f` transaction per sync (`add table` + `delete table` + the new
 * definition, so the swap is atomic and needs no diff), inside a network
 * namespace when one is given. Replacing the table also resets the ClientIP
 * affinity sets; upstream keeps them by diffing instead.
 */
import { silentLogger, type Logger } from '../../../client/logger.js';
import type { Dataplane, DataplaneSnapshot, ProxyState } from '../../dataplane.js';
import { kernelSnapshot } from '../iptables/kernel-snapshot.js';
import { commandRunner, mustSucceed, type CommandRunner } from '../iptables/run-command.js';
import { LoopbackSource } from '../iptables/loopback-source.js';
import { renderNftables, type NftablesRenderOptions } from './render-nftables.js';

/** Options of {@link NftablesDataplane}. */
export interface NftablesDataplaneOptions extends NftablesRenderOptions {
  /** Network namespace (`ip netns` name) to program. Default: this process's namespace. */
  readonly netns?: string;
  /** Runs the tools; default spawns them (in `netns`). */
  readonly run?: CommandRunner;
  readonly logger?: Logger;
  /** Delete the table when the data path closes (`kube-proxy --cleanup`). Default false: it stays, as kube-proxy leaves it. */
  readonly cleanupOnClose?: boolean;
}

/**
 * Programs the kernel through nftables.
 *
 * @example
 * const dp = new NftablesDataplane({ netns: 'skiff-node-1' });
 * await dp.sync(state); // one nft -f
 */
export class NftablesDataplane implements Dataplane {
  readonly mode = 'nftables';
  private readonly run: CommandRunner;
  private readonly log: Logger;
  /** Node IPs on `lo` with global scope, so MASQUERADE has a source address (see loopback-source.ts). */
  private readonly loopback: LoopbackSource;
  private lastText: string | undefined;
  private lastState: ProxyState | undefined;

  constructor(private readonly opts: NftablesDataplaneOptions = {}) {
    this.run = opts.run ?? commandRunner(opts.netns);
    this.log = opts.logger ?? silentLogger;
    this.loopback = new LoopbackSource(this.run);
  }

  async sync(state: ProxyState): Promise<void> {
    await this.loopback.ensure(state.nodes.flatMap((n) => n.internalIPs));
    const text = renderNftables(state, this.opts);
    // Skipped when unchanged: replacing the table would forget the affinity sets.
    if (text !== this.lastText) {
      const table = `ip ${this.opts.table ?? 'kube-proxy'}`;
      const where = this.opts.netns ? ` in network namespace ${this.opts.netns}` : '';
      mustSucceed(`nft -f${where}`, await this.run(['nft', '-f', '-'], `add table ${table}\ndelete table ${table}\n${text}`));
      this.lastText = text;
    }
    this.lastState = state;
    this.log.debug?.({ bytes: text.length }, 'nftables rules applied');
  }

  snapshot(): DataplaneSnapshot {
    return kernelSnapshot(this.mode, this.lastState);
  }

  /** Leaves the table in place (as kube-proxy does on exit), unless `cleanupOnClose`. */
  async close(): Promise<void> {
    if (!this.opts.cleanupOnClose || this.lastText === undefined) return;
    const table = `ip ${this.opts.table ?? 'kube-proxy'}`;
    mustSucceed(`nft delete table ${table}`, await this.run(['nft', '-f', '-'], `add table ${table}\ndelete table ${table}\n`));
    this.lastText = undefined;
    await this.loopback.release();
  }
}
