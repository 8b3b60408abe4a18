/**
 * Forwarding-loop detection (CoreDNS `plugin/loop`): at start the server sends
 * itself `HINFO <random>.<random>.`, which only the upstreams can answer. If that
 * query comes back in more than twice, an upstream is sending our own forwarded
 * queries back to us. CoreDNS then exits; skiff keeps serving the cluster zone,
 * refuses the probe (which breaks the cycle) and refuses all forwarding.
 */
import { randomInt } from 'node:crypto';
import { silentLogger, type Logger } from '../client/logger.js';
import { normalizeName } from './names.js';
import { rcodeReply, type DnsHandler, type DnsQuery, type DnsReply, type Next } from './query.js';

/** A fresh probe name: two random integers under the root. */
export function probeName(): string {
  return `${randomInt(2 ** 47)}.${randomInt(2 ** 47)}`;
}

/**
 * Counts sightings of the probe and decides "loop". Put it first in the chain and
 * make the forwarder consult {@link LoopDetector.detected}.
 *
 * @example
 * const loop = new LoopDetector({ logger });
 * const resolve = chain([loop, kubernetes, cache, forward]);
 * await loop.probe(resolve);
 */
export class LoopDetector implements DnsHandler {
  readonly name = 'loop';
  /** The probe name (no trailing dot). */
  readonly qname: string;
  private seen = 0;
  private isDetected = false;
  private disabled = false;
  private readonly logger: Logger;
  private readonly onDetected?: (qname: string) => void;

  constructor(opts: { qname?: string; logger?: Logger; onDetected?: (qname: string) => void } = {}) {
    this.qname = opts.qname ?? probeName();
    this.logger = opts.logger ?? silentLogger;
    if (opts.onDetected) this.onDetected = opts.onDetected;
  }

  /** True once a loop was seen; forwarding stays off from then on. */
  get detected(): boolean {
    return this.isDetected;
  }

  serve(q: DnsQuery, next: Next): DnsReply | Promise<DnsReply> {
    if (q.type !== 'HINFO' || normalizeName(q.name) !== this.qname) return next(q);
    if (this.isDetected) return rcodeReply('REFUSED');
    if (this.disabled) return next(q);
    this.seen++;
    if (this.seen > 2) {
      this.isDetected = true;
      this.logger.error(
        { query: `HINFO ${this.qname}.`, from: q.remote },
        'forwarding loop detected: an upstream resolver sends our forwarded queries back to this DNS server; forwarding is off until restart — point --dns-upstream (or /etc/resolv.conf) at a resolver that is not this server',
      );
      this.onDetected?.(this.qname);
      return rcodeReply('REFUSED');
    }
    return next(q);
  }

  /**
   * Sends the probe through `resolve` (the whole chain, as if from outside) and,
   * `settleMs` after it returns, stops counting — later sightings are not loops
   * (CoreDNS disables the plugin 2 s after its first successful probe).
   */
  async probe(resolve: Next, settleMs = 2000, signal?: AbortSignal): Promise<void> {
    const q: DnsQuery = { name: this.qname, type: 'HINFO', class: 'IN', rd: true, cd: false, dnssecOk: false, proto: 'udp', remote: '' };
    try {
      await resolve(q);
    } catch {
      // A failed probe proves nothing either way.
    }
    await new Promise<void>((r) => {
      const t = setTimeout(r, settleMs);
      t.unref?.();
      signal?.addEventListener('abort', () => {
        clearTimeout(t);
        r();
      }, { once: true });
    });
    this.disabled = true;
  }
}
