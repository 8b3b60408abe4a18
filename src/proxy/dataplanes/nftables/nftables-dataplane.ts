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
import { renderNftables, type NftablesRenderOptions } from './render-nftables.js';

/** Options of {@link NftablesDataplane}. */
export interface NftablesDataplaneOptions extends NftablesRenderOptions {
  /** Network namespace (`ip netns` name) to program. Default: this process's namespace. */
  readonly netns?: string;
  /** Runs the tools; default spawns them (in `netns`). */
  readonly run?: CommandRunner;
  readonly logger?: Logger;
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
  private lastText: string | undefined;
  private lastState: ProxyState | undefined;

  constructor(private readonly opts: NftablesDataplaneOptions = {}) {
    this.run = opts.run ?? commandRunner(opts.netns);
    this.log = opts.logger ?? silentLogger;
  }

  async sync(state: ProxyState): Promise<void> {
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

  /** Leaves the table in place (as kube-proxy does on exit). */
  async close(): Promise<void> {}
}
