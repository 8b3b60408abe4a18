/**
 * Forwarding to upstream resolvers (CoreDNS `plugin/forward`): a fresh query per
 * attempt over UDP from a random port with a random ID, retried over TCP when the
 * answer comes back truncated; upstreams tried in random order with the recently
 * failing ones last; SERVFAIL when none answers. Replies are matched on source,
 * ID and question so a stray or spoofed datagram is ignored.
 */
import { createSocket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { connect } from 'node:net';
import { decode, encode, CHECKING_DISABLED, DNSSEC_OK, RECURSION_DESIRED } from 'dns-packet';
import type { Answer, DecodedPacket, OptAnswer } from 'dns-packet';
import { errorMessage, silentLogger, type Logger } from '../client/logger.js';
import type { DnsMetrics } from './metrics.js';
import type { LoopDetector } from './loop.js';
import { normalizeName } from './names.js';
import { rcodeName, rcodeReply, type DnsHandler, type DnsQuery, type DnsReply } from './query.js';
import { filterUpstreams, formatUpstream, type Upstream } from './upstream.js';

/** Options of {@link Forwarder}. */
export interface ForwarderOptions {
  upstreams: readonly Upstream[];
  /** Per-attempt timeout. Default 2000 ms (CoreDNS's read timeout). */
  timeoutMs?: number;
  /** `random` (default, as CoreDNS) or `sequential` (in the given order). */
  policy?: 'random' | 'sequential';
  /** Consecutive failures after which an upstream goes to the back of the line. Default 2 (CoreDNS `max_fails`). */
  maxFails?: number;
  /** EDNS0 payload size we advertise upstream. Default 1232 (the DNS Flag Day value). */
  udpSize?: number;
  metrics?: DnsMetrics;
  logger?: Logger;
}

/** Why an exchange failed. */
export class ExchangeError extends Error {
  constructor(
    message: string,
    readonly upstream: Upstream,
  ) {
    super(message);
    this.name = 'ExchangeError';
  }
}

/** The query packet sent upstream for `q`. */
export function upstreamQuery(q: DnsQuery, id: number, udpSize: number): Buffer {
  let flags = 0;
  if (q.rd) flags |= RECURSION_DESIRED;
  if (q.cd) flags |= CHECKING_DISABLED;
  const opt = { type: 'OPT', name: '.', udpPayloadSize: udpSize, extendedRcode: 0, ednsVersion: 0, flags: q.dnssecOk ? DNSSEC_OK : 0, flag_do: q.dnssecOk, options: [] } satisfies OptAnswer;
  return encode({ type: 'query', id, flags, questions: [{ name: q.name, type: q.type as 'A', class: 'IN' }], additionals: [opt] });
}

/** Decodes an upstream answer when it is the reply to (id, q); undefined otherwise. */
export function matchReply(buf: Buffer, id: number, q: Pick<DnsQuery, 'name' | 'type'>): DecodedPacket | undefined {
  let pkt: DecodedPacket;
  try {
    pkt = decode(buf);
  } catch {
    return undefined;
  }
  if (pkt.id !== id || !pkt.flag_qr) return undefined;
  const rq = pkt.questions?.[0];
  // Some servers answer errors without echoing the question; accept those by ID alone.
  if (rq && (normalizeName(rq.name) !== normalizeName(q.name) || rq.type !== q.type)) return undefined;
  return pkt;
}

/** Turns a decoded upstream packet into a reply (OPT dropped, extended rcode folded in). */
export function replyFromPacket(pkt: DecodedPacket): DnsReply {
  const additionals = (pkt.additionals ?? []).filter((a) => a.type !== 'OPT');
  const opt = (pkt.additionals ?? []).find((a): a is OptAnswer => a.type === 'OPT');
  const rcode = ((opt?.extendedRcode ?? 0) << 4) | ((pkt.flags ?? 0) & 0xf);
  return {
    rcode: rcodeName(rcode),
    authoritative: pkt.flag_aa,
    recursionAvailable: pkt.flag_ra,
    truncated: pkt.flag_tc,
    answers: (pkt.answers ?? []) as Answer[],
    authorities: (pkt.authorities ?? []) as Answer[],
    additionals: additionals as Answer[],
  };
}

/** One UDP exchange: resolves with the matching reply or rejects on timeout. */
export function exchangeUdp(up: Upstream, q: DnsQuery, id: number, timeoutMs: number, udpSize: number): Promise<DecodedPacket> {
  return new Promise((resolve, reject) => {
    const sock = createSocket(up.host.includes(':') ? 'udp6' : 'udp4');
    let done = false;
    const finish = (err: Error | undefined, pkt?: DecodedPacket): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.close();
      if (err) reject(err);
      else resolve(pkt!);
    };
    const timer = setTimeout(() => finish(new ExchangeError(`no answer from ${formatUpstream(up)} over UDP within ${timeoutMs} ms`, up)), timeoutMs);
    sock.on('error', (err) => finish(new ExchangeError(`UDP to ${formatUpstream(up)} failed: ${err.message}`, up)));
    sock.on('message', (msg, rinfo) => {
      if (rinfo.port !== up.port || rinfo.address !== up.host) return;
      const pkt = matchReply(msg, id, q);
      if (pkt) finish(undefined, pkt);
    });
    sock.send(upstreamQuery(q, id, udpSize), up.port, up.host, (err) => {
      if (err) finish(new ExchangeError(`UDP to ${formatUpstream(up)} failed: ${err.message}`, up));
    });
  });
}

/** One TCP exchange (RFC 1035 §4.2.2 length-prefixed). */
export function exchangeTcp(up: Upstream, q: DnsQuery, id: number, timeoutMs: number, udpSize: number): Promise<DecodedPacket> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: up.host, port: up.port });
    let buf: Buffer = Buffer.alloc(0);
    let done = false;
    const finish = (err: Error | undefined, pkt?: DecodedPacket): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(pkt!);
    };
    const timer = setTimeout(() => finish(new ExchangeError(`no answer from ${formatUpstream(up)} over TCP within ${timeoutMs} ms`, up)), timeoutMs);
    sock.on('error', (err) => finish(new ExchangeError(`TCP to ${formatUpstream(up)} failed: ${err.message}`, up)));
    sock.on('close', () => finish(new ExchangeError(`TCP to ${formatUpstream(up)} closed before an answer`, up)));
    sock.on('connect', () => {
      const body = upstreamQuery(q, id, udpSize);
      const len = Buffer.alloc(2);
      len.writeUInt16BE(body.length);
      sock.write(Buffer.concat([len, body]));
    });
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2) {
        const n = buf.readUInt16BE(0);
        if (buf.length < 2 + n) return;
        const pkt = matchReply(buf.subarray(2, 2 + n), id, q);
        buf = buf.subarray(2 + n);
        if (pkt) return finish(undefined, pkt);
      }
    });
  });
}

/**
 * Sends queries to a set of upstreams.
 *
 * @example
 * const fwd = new Forwarder({ upstreams: hostResolvers() });
 * fwd.exclude([{ host: '127.0.2.53', port: 53 }]); // never forward to ourselves
 * const reply = await fwd.resolve(query);
 */
export class Forwarder {
  private upstreams: Upstream[];
  private readonly fails = new Map<string, number>();
  private readonly timeoutMs: number;
  private readonly maxFails: number;
  private readonly udpSize: number;
  private readonly logger: Logger;

  constructor(private readonly opts: ForwarderOptions) {
    this.upstreams = [...opts.upstreams];
    this.timeoutMs = opts.timeoutMs ?? 2000;
    this.maxFails = opts.maxFails ?? 2;
    this.udpSize = opts.udpSize ?? 1232;
    this.logger = opts.logger ?? silentLogger;
  }

  /** The upstreams in use. */
  list(): readonly Upstream[] {
    return this.upstreams;
  }

  /** Drops upstreams that are this server (`self`); returns what was dropped. */
  exclude(self: readonly Upstream[]): Upstream[] {
    const { kept, dropped } = filterUpstreams(this.upstreams, self);
    this.upstreams = kept;
    return dropped;
  }

  /** Forwards `q`; SERVFAIL when every upstream failed, REFUSED when there are none. */
  async resolve(q: DnsQuery): Promise<DnsReply> {
    if (!this.upstreams.length) return rcodeReply('REFUSED');
    for (const up of this.order()) {
      const key = formatUpstream(up);
      const t0 = process.hrtime.bigint();
      try {
        let pkt = await exchangeUdp(up, q, randomInt(65536), this.timeoutMs, this.udpSize);
        if (pkt.flag_tc) pkt = await exchangeTcp(up, q, randomInt(65536), this.timeoutMs, this.udpSize);
        this.fails.delete(key);
        const reply = replyFromPacket(pkt);
        this.opts.metrics?.forwardDuration.observe({ proxy_name: 'forward', to: key, rcode: String(reply.rcode) }, Number(process.hrtime.bigint() - t0) / 1e9);
        return reply;
      } catch (err) {
        this.fails.set(key, (this.fails.get(key) ?? 0) + 1);
        this.logger.warn({ upstream: key, name: q.name, type: q.type, err: errorMessage(err) }, 'upstream did not answer; trying the next one');
      }
    }
    return rcodeReply('SERVFAIL');
  }

  private order(): Upstream[] {
    const list = [...this.upstreams];
    if ((this.opts.policy ?? 'random') === 'random') {
      for (let i = list.length - 1; i > 0; i--) {
        const j = randomInt(i + 1);
        [list[i], list[j]] = [list[j]!, list[i]!];
      }
    }
    const healthy = list.filter((u) => (this.fails.get(formatUpstream(u)) ?? 0) < this.maxFails);
    const failing = list.filter((u) => (this.fails.get(formatUpstream(u)) ?? 0) >= this.maxFails);
    return [...healthy, ...failing];
  }
}

/** The forwarder as the last chain link; refuses everything once a loop was detected. */
export class ForwardHandler implements DnsHandler {
  readonly name = 'forward';

  constructor(
    private readonly forwarder: Forwarder,
    private readonly loop?: LoopDetector,
  ) {}

  serve(q: DnsQuery): Promise<DnsReply> | DnsReply {
    if (this.loop?.detected) return rcodeReply('REFUSED');
    return this.forwarder.resolve(q);
  }
}
