/**
 * Extra processes reading the DNS server's UDP socket (see fork-worker.ts for why
 * processes): each gets the socket and answers from its own copy of the byte
 * cache, so both cores answer cluster names. The parent stays the only place
 * anything is resolved: a reader sends every query it has no cached answer for
 * to the parent, which answers it exactly as if it had read it itself, and every
 * answer the parent caches is copied to every reader with the projection
 * generation it belongs to. A change of the projection is pushed to the readers
 * within the same turn of the parent's event loop, and each drops its whole
 * cache, as the parent does. Until every reader has confirmed the change, the
 * parent holds the UDP queries it reads (at most {@link HOLD_LIMIT_MS}), so no
 * client sees a new answer from the parent and then an old one from a reader.
 *
 * Readers count what they answered per label set and report it every
 * {@link REPORT_INTERVAL_MS}; the parent adds it to its metrics.
 */
import type { ChildProcess } from 'node:child_process';
import type { SocketOptions, Socket as UdpSocket } from 'node:dgram';
import { forkWorker, siblingEntry } from '../client/fork-worker.js';
import type { Logger } from '../client/logger.js';
import type { CachedAnswer } from './answer-cache.js';
import type { HitCounter, HitRow } from './hit-counters.js';

/** How often a reader reports its counts. */
export const REPORT_INTERVAL_MS = 500;

/** Longest the parent holds queries for a reader's confirmation of a change (a reader that stalls longer is left behind). */
export const HOLD_LIMIT_MS = 100;

/** Parent → reader. `socket` comes with the UDP socket as the handle. */
export type ToReader =
  | { t: 'socket'; maxUdpSize: number; g: number }
  | { t: 'gen'; g: number }
  | { t: 'put'; g: number; bytes: Uint8Array; echoes: number[]; name: Uint8Array; variant: number; labels: [zone: string, type: string, rcode: string] | null };

/** Reader → parent: `ready` once it listens for messages (a handle sent earlier would be lost), queries it cannot answer, counts. */
export type FromReader = { t: 'ready' } | { t: 'gen'; g: number } | { t: 'miss'; buf: Uint8Array; address: string; port: number } | { t: 'hits'; rows: HitRow[] };

const ENTRY = siblingEntry('./reader-process', import.meta.url);

/** The `lookup` option for `createSocket` that hands an IP literal straight back (see {@link lookUpSynchronously}). */
export function syncLookup(family: 4 | 6): NonNullable<SocketOptions['lookup']> {
  return (address, _opts, cb) => (cb as (err: null, address: string, family: number) => void)(null, address, family);
}

/**
 * dgram passes the destination of every `send` through the socket's lookup
 * function, by default `dns.lookup`, which answers an IP literal only on the next
 * tick: one tick and two closures per reply. The parent's socket is made with a
 * synchronous lookup (`createSocket({ lookup })`), but a socket received from
 * another process is built by Node with the default, and child_process takes no
 * options for it. This swaps a synchronous lookup into the received socket's
 * handle (dnsperf against one reader: 12–15 % more answers). Returns false, and
 * leaves the socket as it was (correct, only slower), when Node's dgram internals
 * no longer look as expected; readers.test.ts pins that they do.
 */
export function lookUpSynchronously(udp: UdpSocket): boolean {
  for (const sym of Object.getOwnPropertySymbols(udp)) {
    const handle = (udp as unknown as Record<symbol, { handle?: { lookup?: unknown; send?: unknown } } | undefined>)[sym]?.handle;
    if (handle && typeof handle.lookup === 'function' && typeof handle.send === 'function') {
      handle.lookup = (address: string, cb: (err: null, address: string) => void) => cb(null, address);
      return true;
    }
  }
  return false;
}

/** Options of {@link DnsReaders}. */
export interface DnsReadersOptions {
  count: number;
  udp: UdpSocket;
  maxUdpSize: number;
  /** The parent's projection generation (the byte cache's). */
  generation: () => number;
  /** A query a reader could not answer from its cache: answer it as if read here. */
  onMiss: (buf: Buffer, address: string, port: number) => void;
  /** Answers a reader counted. */
  onHits: (row: HitRow) => void;
  log: Logger;
}

/**
 * @example
 * const readers = new DnsReaders({ count: 1, udp, maxUdpSize: 4096, generation, onMiss, onHits, log });
 * readers.put(entry);            // after the parent caches an answer
 * readers.generationChanged();   // after the projection changes
 * readers.close();
 */
export class DnsReaders {
  private readonly children: ChildProcess[] = [];
  private readonly ready = new Set<ChildProcess>();
  private genQueued = false;
  /** Readers that have not confirmed the latest generation sent, and what waits for them. */
  private readonly unconfirmed = new Set<ChildProcess>();
  private held: Array<() => void> = [];
  private holdTimer: NodeJS.Timeout | undefined;
  private sentGen = -1;
  private closed = false;

  constructor(private readonly opts: DnsReadersOptions) {
    for (let i = 0; i < opts.count; i++) this.children.push(this.spawn());
  }

  /** Readers that have the socket (they start in the background). */
  get readyCount(): number {
    return this.ready.size;
  }

  /** Copies an answer the parent just cached to every reader. */
  put(entry: CachedAnswer<HitCounter | undefined>): void {
    if (!this.ready.size) return;
    const l = entry.labels;
    const m: ToReader = { t: 'put', g: this.opts.generation(), bytes: entry.bytes, echoes: entry.echoes, name: entry.name, variant: entry.variant, labels: l ? [l.zone, l.type, l.rcode] : null };
    for (const c of this.ready) if (c.connected) c.send(m);
  }

  /** The projection changed: every reader drops its cache (sent once per turn of the event loop, before any later `put`). */
  generationChanged(): void {
    if (this.genQueued || !this.ready.size) return;
    this.genQueued = true;
    queueMicrotask(() => {
      this.genQueued = false;
      const g = this.opts.generation();
      this.sentGen = g;
      const m: ToReader = { t: 'gen', g };
      for (const c of this.ready) {
        if (!c.connected) continue;
        c.send(m);
        this.unconfirmed.add(c);
      }
      if (this.unconfirmed.size && !this.holdTimer) {
        this.holdTimer = setTimeout(() => {
          this.opts.log.warn({ readers: this.unconfirmed.size, ms: HOLD_LIMIT_MS }, 'a DNS reader did not confirm a change in time; answering without it');
          this.release();
        }, HOLD_LIMIT_MS);
      }
    });
  }

  /** True while a change is unconfirmed: the parent must {@link hold} what it reads. */
  get holding(): boolean {
    return this.unconfirmed.size > 0;
  }

  /** Runs `f` once every reader has confirmed the latest change. */
  hold(f: () => void): void {
    this.held.push(f);
  }

  private release(): void {
    this.unconfirmed.clear();
    clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    const held = this.held;
    this.held = [];
    for (const f of held) f();
  }

  /** Ends the readers. */
  close(): void {
    this.closed = true;
    this.release();
    for (const c of this.children) {
      if (c.connected) c.disconnect();
      c.kill();
    }
    this.ready.clear();
  }

  private spawn(): ChildProcess {
    const c = forkWorker(ENTRY);
    c.on('message', (m: FromReader) => {
      if (m.t === 'miss') this.opts.onMiss(Buffer.from(m.buf.buffer, m.buf.byteOffset, m.buf.byteLength), m.address, m.port);
      else if (m.t === 'gen') {
        if (m.g === this.sentGen && this.unconfirmed.delete(c) && !this.unconfirmed.size) this.release();
      }
      else if (m.t === 'hits') for (const row of m.rows) this.opts.onHits(row);
      else if (m.t === 'ready' && !this.closed) {
        this.ready.add(c);
        c.send({ t: 'socket', maxUdpSize: this.opts.maxUdpSize, g: this.opts.generation() } satisfies ToReader, this.opts.udp);
      }
    });
    c.on('error', (err) => this.opts.log.warn({ err: err.message }, 'DNS reader process failed'));
    c.on('exit', (code, signal) => {
      this.ready.delete(c);
      if (this.unconfirmed.delete(c) && !this.unconfirmed.size) this.release();
      if (this.closed) return;
      // The parent still reads the socket, so every query is still answered.
      this.opts.log.warn({ pid: c.pid, code, signal }, 'DNS reader process exited; the server continues in one process');
    });
    return c;
  }
}
