/**
 * The DNS server: UDP and TCP on one address and port, each packet checked
 * ({@link parseRequest}), resolved through the handler chain and encoded to fit
 * the client's limit ({@link encodeReply}). Cluster names are answered in the
 * same tick as the packet arrives; only forwarded names wait. No packet, however
 * malformed, can throw out of the socket handlers.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server as TcpServer, type Socket } from 'node:net';
import { errorMessage, silentLogger, type Logger } from '../client/logger.js';
import { AnswerCache, parsePlainQuery, type PlainQuery } from './answer-cache.js';
import { hitSlot, type HitCounter } from './hit-counters.js';
import { DnsMetrics, typeLabel } from './metrics.js';
import { DnsReaders, syncLookup } from './readers.js';
import { rcodeReply, type DnsQuery, type DnsReply, type Next } from './query.js';
import { encodeReply, errorReply, parseRequest, replyLimit, type ParsedRequest } from './wire.js';

/** skiff's address for the DNS server itself (the kube-dns Endpoints point here): 127.0.2.53 — outside the node (127.0.1.0/24), service and pod ranges. */
export const DEFAULT_DNS_HOST = '127.0.2.53';

/** Options of {@link DnsServer}. */
export interface DnsServerOptions {
  /** The chain that resolves queries. */
  handler: Next;
  /** Default {@link DEFAULT_DNS_HOST}. */
  host?: string;
  /** Default 53. */
  port?: number;
  /**
   * When `port` cannot be bound (no root or CAP_NET_BIND_SERVICE, or taken), bind a
   * free port instead. Default true.
   */
  fallbackToFreePort?: boolean;
  /** The EDNS0 payload size we accept and advertise. Default 4096. */
  maxUdpSize?: number;
  /** Set RA in replies (true when a forwarder is configured). Default true. */
  recursionAvailable?: boolean;
  /** Idle TCP connections are closed after this long. Default 10 000 ms. */
  tcpIdleTimeoutMs?: number;
  /** The `zone` metric label of a query name. Default '.'. */
  zoneOf?: (name: string) => string;
  /**
   * The projection's change counter. When given, replies the chain marks
   * `cacheable` are kept as encoded bytes per question and reused (id, RD, CD and
   * the question's case patched) until the counter moves. Default: no fast path.
   */
  generation?: () => number;
  /** Most encoded replies the fast path keeps. Default 20 000. */
  answerCacheSize?: number;
  /**
   * Processes reading the UDP socket, this one included (`--dns-readers`): the
   * others answer from copies of the fast path's bytes and hand everything else
   * to this one (see readers.ts). Needs `generation`. Default 1.
   */
  readers?: number;
  metrics?: DnsMetrics;
  logger?: Logger;
}

/** The address the server is bound to. */
export interface BoundAddress {
  host: string;
  port: number;
}

function isBindError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === 'EACCES' || code === 'EADDRINUSE' || code === 'EPERM';
}

/**
 * @example
 * const server = new DnsServer({ handler: chain([k8s, cache, forward]), host: '127.0.2.53', port: 53 });
 * void server.start(signal);
 * const { host, port } = await server.ready; // port 53, or a free port without privileges
 */
export class DnsServer {
  /** Resolves with the bound address once both sockets listen; rejects when binding fails. */
  readonly ready: Promise<BoundAddress>;
  private resolveReady!: (a: BoundAddress) => void;
  private rejectReady!: (err: unknown) => void;
  private bound: BoundAddress | undefined;
  private udp: UdpSocket | undefined;
  private tcp: TcpServer | undefined;
  private readonly conns = new Set<Socket>();
  private readonly logger: Logger;
  private readonly maxUdpSize: number;
  private readonly metrics: DnsMetrics | undefined;
  /** Cached answers carry the counter of their labels (undefined without metrics). */
  private readonly answers: AnswerCache<HitCounter | undefined> | undefined;
  private readers: DnsReaders | undefined;
  /** Queries reader processes answered from their caches, as reported so far. */
  private readerAnswers = 0;

  constructor(private readonly opts: DnsServerOptions) {
    this.logger = opts.logger ?? silentLogger;
    this.maxUdpSize = opts.maxUdpSize ?? 4096;
    this.metrics = opts.metrics;
    if (opts.generation) this.answers = new AnswerCache({ generation: opts.generation, ...(opts.answerCacheSize ? { capacity: opts.answerCacheSize } : {}) });
    this.ready = new Promise((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(() => {});
  }

  /** The bound address (throws before {@link DnsServer.ready}). */
  address(): BoundAddress {
    if (!this.bound) throw new Error('the DNS server is not listening yet: await server.ready first');
    return this.bound;
  }

  /**
   * Answers one raw query: a Buffer to send back, undefined for no reply (runt
   * packets and responses), or a promise of those when the chain forwards.
   */
  handlePacket(buf: Buffer, proto: 'udp' | 'tcp', remote: string): Buffer | undefined | Promise<Buffer | undefined> {
    const t0 = process.hrtime.bigint();
    const plain = this.answers ? parsePlainQuery(buf, proto, this.maxUdpSize) : undefined;
    if (plain) {
      const hit = this.answers!.lookup(plain, buf);
      if (hit) {
        const out = AnswerCache.render(hit, buf, plain);
        hit.labels?.add(hitSlot(proto, remote.includes(':')), Number(process.hrtime.bigint() - t0) / 1e9);
        return out;
      }
    }
    return this.fullPath(buf, proto, remote, t0, plain);
  }

  /**
   * The projection behind `generation` changed: reader processes drop their
   * cached answers (this process's cache notices by itself on its next lookup).
   */
  generationChanged(): void {
    this.readers?.generationChanged();
  }

  /** Reader processes that have the socket (0 without the `readers` option; they start in the background). */
  get readersReady(): number {
    return this.readers?.readyCount ?? 0;
  }

  /** Queries reader processes answered from their own caches (reported every half second). */
  get answeredByReaders(): number {
    return this.readerAnswers;
  }

  /** Decode, resolve through the chain, encode; keeps cacheable replies to plain queries for the fast path. */
  private fullPath(buf: Buffer, proto: 'udp' | 'tcp', remote: string, t0: bigint, plain: PlainQuery | undefined): Buffer | undefined | Promise<Buffer | undefined> {
    let req: ParsedRequest | undefined;
    try {
      req = parseRequest(buf);
    } catch {
      req = undefined;
    }
    if (!req) return undefined;
    const limit = replyLimit(req, proto, this.maxUdpSize);
    const q = req.question;
    const zone = q && this.opts.zoneOf ? this.opts.zoneOf(q.name) : '.';
    const type = typeLabel(q?.type ?? 'other');
    const server = this.metrics?.server ?? '';
    this.metrics?.requests.inc({ server, zone, proto, family: remote.includes(':') ? '2' : '1', type });
    let last = undefined as DnsReply | undefined;
    const finish = (reply: DnsReply): Buffer => {
      let out: Buffer;
      try {
        out = encodeReply(req, reply, { limit, udpSize: this.maxUdpSize, recursionAvailable: this.opts.recursionAvailable ?? true });
      } catch (err) {
        // A record the codec cannot encode (e.g. from a strange upstream) must not kill the reply.
        this.logger.warn({ name: q?.name, type: q?.type, err: errorMessage(err) }, 'could not encode the reply; answering SERVFAIL');
        reply = rcodeReply('SERVFAIL');
        out = encodeReply(req, reply, { limit, udpSize: this.maxUdpSize, recursionAvailable: this.opts.recursionAvailable ?? true });
      }
      if (this.metrics) {
        this.metrics.responses.inc({ server, zone, rcode: String(reply.rcode) });
        this.metrics.duration.observe({ server, zone, type }, Number(process.hrtime.bigint() - t0) / 1e9);
      }
      last = reply;
      return out;
    };
    if (req.error || !q) return finish(errorReply(req));
    const query: DnsQuery = {
      name: q.name,
      type: q.type,
      class: q.class ?? 'IN',
      rd: req.rd,
      cd: req.cd,
      dnssecOk: req.edns?.dnssecOk ?? false,
      proto,
      remote,
    };
    let r: DnsReply | Promise<DnsReply>;
    try {
      r = this.opts.handler(query);
    } catch (err) {
      this.logger.error({ name: q.name, type: q.type, err: errorMessage(err) }, 'handler threw; answering SERVFAIL');
      r = rcodeReply('SERVFAIL');
    }
    if (r instanceof Promise) {
      // Forwarded answers age (TTLs count down), so they never enter the byte cache.
      return r.then(finish, (err: unknown) => {
        this.logger.error({ name: q.name, type: q.type, err: errorMessage(err) }, 'handler failed; answering SERVFAIL');
        return finish(rcodeReply('SERVFAIL'));
      });
    }
    const out = finish(r);
    // A reply is reused only when the chain vouches it is a function of the question and the projection alone.
    if (plain && last?.cacheable === true && last.rcode !== 'SERVFAIL') {
      const entry = this.answers!.store(plain, buf, out, this.metrics?.hits.get(zone, type, String(last.rcode)));
      if (entry && proto === 'udp') this.readers?.put(entry);
    }
    return out;
  }

  /** Binds UDP and TCP, serves until `signal` aborts, then closes every socket. */
  async start(signal: AbortSignal): Promise<void> {
    const host = this.opts.host ?? DEFAULT_DNS_HOST;
    const wanted = this.opts.port ?? 53;
    try {
      try {
        // Port 0: UDP picks the port and TCP may find it taken by another process, so retry.
        if (wanted === 0) await this.bindFree(host);
        else await this.bind(host, wanted);
      } catch (err) {
        if (!(this.opts.fallbackToFreePort ?? true) || wanted === 0 || !isBindError(err)) throw err;
        this.logger.info({ host, port: wanted, err: errorMessage(err) }, 'cannot bind the DNS port; using a free port instead');
        await this.bindFree(host);
      }
    } catch (err) {
      const e = new Error(`DNS server cannot listen on ${host}:${wanted}: ${errorMessage(err)} (pick another --cluster-dns address or port)`);
      this.rejectReady(e);
      throw e;
    }
    this.resolveReady(this.bound!);
    if (!signal.aborted) await new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
    await this.close();
  }

  private async bindFree(host: string): Promise<void> {
    // UDP picks the port; TCP must get the same one, which another process may hold.
    let last: unknown;
    for (let i = 0; i < 10; i++) {
      try {
        return await this.bind(host, 0);
      } catch (err) {
        last = err;
      }
    }
    throw last;
  }

  private async bind(host: string, port: number): Promise<void> {
    // Replies go to the IP the query came from: a synchronous lookup spares dgram a
    // dns.lookup round through process.nextTick for every reply.
    const family = host.includes(':') ? 6 : 4;
    const udp = createSocket({ type: family === 6 ? 'udp6' : 'udp4', lookup: syncLookup(family) });
    udp.on('message', (msg, rinfo) => this.onUdp(udp, msg, rinfo.address, rinfo.port));
    try {
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(port, host, () => {
          udp.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      udp.close();
      throw err;
    }
    udp.on('error', (err) => this.logger.warn({ err: errorMessage(err) }, 'UDP socket error'));
    const actual = udp.address().port;
    const tcp = createServer((s) => this.onTcp(s));
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(actual, host, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      udp.close();
      throw err;
    }
    tcp.on('error', (err) => this.logger.warn({ err: errorMessage(err) }, 'TCP listener error'));
    this.udp = udp;
    this.tcp = tcp;
    this.bound = { host, port: actual };
    const readers = Math.floor(this.opts.readers ?? 1) - 1;
    if (readers > 0 && this.opts.generation) {
      this.readers = new DnsReaders({
        count: readers,
        udp,
        maxUdpSize: this.maxUdpSize,
        generation: this.opts.generation,
        onMiss: (msg, address, port) => {
          // An answer cached here before the reader started: give it a copy, or it would ask every time.
          const plain = parsePlainQuery(msg, 'udp', this.maxUdpSize);
          const hit = plain && this.answers!.lookup(plain, msg);
          if (hit) this.readers?.put(hit);
          this.onUdp(udp, msg, address, port);
        },
        onHits: (row) => {
          this.readerAnswers += row[4];
          this.metrics?.addHits(row);
        },
        log: this.logger,
      });
    }
    if (this.metrics && !this.metrics.server) this.metrics.server = `dns://${host}:${actual}`;
  }

  private onUdp(udp: UdpSocket, msg: Buffer, address: string, port: number): void {
    if (this.readers?.holding) {
      // A change not yet confirmed by every reader: answering it here first could let a reader answer the old state after.
      this.readers.hold(() => this.onUdp(udp, msg, address, port));
      return;
    }
    // No closure per packet: this runs for every datagram and cluster answers are synchronous.
    let out: Buffer | undefined | Promise<Buffer | undefined>;
    try {
      out = this.handlePacket(msg, 'udp', address);
    } catch (err) {
      this.logger.error({ from: address, err: errorMessage(err) }, 'UDP packet handling failed');
      return;
    }
    if (out instanceof Promise) out.then((o) => this.sendUdp(udp, o, port, address), () => {});
    else this.sendUdp(udp, out, port, address);
  }

  private sendUdp(udp: UdpSocket, out: Buffer | undefined, port: number, address: string): void {
    if (!out || this.udp !== udp) return;
    try {
      // No callback: a failed UDP send is a lost datagram the client retries, and a
      // completion callback per reply is a measurable share of the per-packet cost.
      udp.send(out, port, address);
    } catch {
      // The socket closed while a forwarded answer was on its way.
    }
  }

  private onTcp(s: Socket): void {
    this.conns.add(s);
    s.on('close', () => this.conns.delete(s));
    s.on('error', () => s.destroy());
    s.setTimeout(this.opts.tcpIdleTimeoutMs ?? 10_000, () => s.destroy());
    const remote = s.remoteAddress ?? '';
    let buf: Buffer = Buffer.alloc(0);
    const send = (out: Buffer | undefined): void => {
      if (!out || s.destroyed) return;
      const len = Buffer.alloc(2);
      len.writeUInt16BE(out.length);
      s.write(Buffer.concat([len, out]));
    };
    s.on('data', (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      while (buf.length >= 2) {
        const n = buf.readUInt16BE(0);
        if (n < 12) {
          // Not a DNS message; nothing sensible can follow on this stream.
          s.destroy();
          return;
        }
        if (buf.length < 2 + n) return;
        const frame = buf.subarray(2, 2 + n);
        buf = buf.subarray(2 + n);
        try {
          const out = this.handlePacket(frame, 'tcp', remote);
          if (out instanceof Promise) out.then(send, () => {});
          else send(out);
        } catch (err) {
          this.logger.error({ from: remote, err: errorMessage(err) }, 'TCP message handling failed');
        }
      }
    });
  }

  private async close(): Promise<void> {
    const udp = this.udp;
    const tcp = this.tcp;
    this.readers?.close();
    this.readers = undefined;
    this.udp = undefined;
    this.tcp = undefined;
    for (const s of this.conns) s.destroy();
    await Promise.all([
      udp ? new Promise<void>((r) => udp.close(() => r())) : undefined,
      tcp ? new Promise<void>((r) => tcp.close(() => r())) : undefined,
    ]);
  }
}
