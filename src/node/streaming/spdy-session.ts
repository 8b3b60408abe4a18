/**
 * A SPDY/3.1 session over any byte stream (a socket after an `Upgrade:
 * SPDY/3.1`, or a WebSocket tunnel): streams as Node duplexes, SYN_REPLY,
 * FIN half-close, RST_STREAM, PING echo and GOAWAY — the subset
 * `moby/spdystream` (kubectl's SPDY library) uses. No flow control: like
 * spdystream, WINDOW_UPDATE and SETTINGS are read and ignored; backpressure
 * comes from the transport. Incoming frames are handled one at a time
 * because header blocks share one zlib stream per direction.
 */
import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';
import {
  encodeFrame,
  FrameParser,
  HeaderCompressor,
  HeaderDecompressor,
  RstStatus,
  SpdyProtocolError,
  type SpdyFrame,
  type SpdyHeaders,
} from './spdy-framer.js';

/** The largest DATA payload written in one frame. */
const MAX_DATA = 64 * 1024;

/** Options of {@link SpdySession}. */
export interface SpdySessionOptions {
  /** Server sessions accept odd (client) stream ids and open even ones. */
  server: boolean;
  /** Called for every stream the peer opens (reply to it with `stream.reply()`). */
  onStream?: (stream: SpdyStream) => void;
}

/**
 * One SPDY stream. Readable side: the peer's DATA until its FIN; writable
 * side: our DATA, `end()` sends FIN. `headers` are the SYN_STREAM headers.
 */
export class SpdyStream extends Duplex {
  /** Resolves with the SYN_REPLY headers (streams we opened). */
  readonly replied: Promise<SpdyHeaders>;
  remoteEnded = false;
  localEnded = false;
  reset = false;
  private resolveReply!: (h: SpdyHeaders) => void;
  private rejectReply!: (err: Error) => void;
  private sentReply = false;

  constructor(
    private readonly session: SpdySession,
    readonly id: number,
    readonly headers: SpdyHeaders,
  ) {
    super({ allowHalfOpen: true });
    this.replied = new Promise((resolve, reject) => {
      this.resolveReply = resolve;
      this.rejectReply = reject;
    });
    this.replied.catch(() => {});
  }

  /** Sends SYN_REPLY (servers answer every stream the peer opens). */
  reply(headers: SpdyHeaders = {}, fin = false): void {
    if (this.sentReply || this.reset) return;
    this.sentReply = true;
    this.session.sendHeaders('syn_reply', this.id, headers, fin);
    if (fin) this.markLocalEnd();
  }

  /** Aborts the stream with RST_STREAM (default CANCEL). */
  resetStream(status: number = RstStatus.CANCEL): void {
    if (this.reset) return;
    this.reset = true;
    this.session.send({ type: 'rst_stream', streamId: this.id, status });
    this.session.forget(this);
    this.destroy();
  }

  override _read(): void {
    // Data is pushed as frames arrive.
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.reset || this.localEnded) return cb(new Error(`SPDY stream ${this.id} is closed for writing`));
    this.session.sendData(this.id, chunk, false, cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (!this.reset && !this.localEnded) this.session.sendData(this.id, Buffer.alloc(0), true, () => undefined);
    this.markLocalEnd();
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    // Torn down before both sides finished: tell the peer.
    if (!this.reset && !(this.localEnded && this.remoteEnded) && this.session.alive) {
      this.reset = true;
      this.session.send({ type: 'rst_stream', streamId: this.id, status: RstStatus.CANCEL });
    }
    this.session.forget(this);
    this.rejectReply(new Error(`SPDY stream ${this.id} closed before a reply`));
    cb(err);
  }

  /** @internal */
  onReply(headers: SpdyHeaders, fin: boolean): void {
    this.resolveReply(headers);
    if (fin) this.onRemoteEnd();
  }

  /** @internal */
  onData(data: Buffer, fin: boolean): void {
    if (this.remoteEnded || this.reset) return;
    if (data.length) this.push(data);
    if (fin) this.onRemoteEnd();
  }

  /** @internal */
  onRemoteEnd(): void {
    if (this.remoteEnded) return;
    this.remoteEnded = true;
    this.push(null);
    if (this.localEnded) this.session.forget(this);
  }

  /** @internal */
  onReset(): void {
    this.reset = true;
    this.remoteEnded = true;
    this.localEnded = true;
    this.session.forget(this);
    this.destroy();
  }

  private markLocalEnd(): void {
    this.localEnded = true;
    if (this.remoteEnded) this.session.forget(this);
  }
}

/**
 * @example
 * const session = new SpdySession(socket, { server: true, onStream: (s) => { s.reply(); s.pipe(s); } });
 * await session.closed;
 */
export class SpdySession extends EventEmitter {
  /** Resolves when the transport has closed and every stream is gone. */
  readonly closed: Promise<void>;
  alive = true;
  private readonly parser = new FrameParser();
  private readonly compressor = new HeaderCompressor();
  private readonly decompressor = new HeaderDecompressor();
  private readonly streams = new Map<number, SpdyStream>();
  private readonly inbox: SpdyFrame[] = [];
  private draining = false;
  private nextId: number;
  private lastPeerId = 0;
  private goneAway = false;
  private resolveClosed!: () => void;

  constructor(
    private readonly transport: Duplex,
    private readonly opts: SpdySessionOptions,
  ) {
    super();
    this.nextId = opts.server ? 2 : 1;
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    transport.on('data', (chunk: Buffer) => this.receive(chunk));
    transport.on('end', () => this.shutdown());
    transport.on('close', () => this.shutdown());
    transport.on('error', () => this.shutdown());
  }

  /** Number of open streams. */
  get streamCount(): number {
    return this.streams.size;
  }

  /** Opens a stream (clients): SYN_STREAM with `headers`; `fin` for a stream we will not write to. */
  openStream(headers: SpdyHeaders, fin = false): SpdyStream {
    if (!this.alive || this.goneAway) throw new Error('SPDY session is closed');
    const id = this.nextId;
    this.nextId += 2;
    const stream = new SpdyStream(this, id, headers);
    this.streams.set(id, stream);
    this.send({ type: 'syn_stream', streamId: id, associatedId: 0, priority: 0, fin, unidirectional: false, headerBlock: this.compressor.compress(headers) });
    if (fin) stream.localEnded = true;
    return stream;
  }

  /** Sends GOAWAY and closes the transport once written; open streams are torn down. */
  close(): void {
    if (!this.alive) return;
    if (!this.goneAway) {
      this.goneAway = true;
      this.send({ type: 'goaway', lastGoodStreamId: this.lastPeerId, status: 0 });
    }
    this.transport.end();
    this.shutdown();
  }

  /** Tears everything down at once. */
  destroy(): void {
    this.transport.destroy();
    this.shutdown();
  }

  /** @internal */
  send(frame: SpdyFrame, cb?: () => void): void {
    if (!this.alive || this.transport.destroyed || this.transport.writableEnded) {
      cb?.();
      return;
    }
    if (this.transport.write(encodeFrame(frame)) || !cb) cb?.();
    else this.transport.once('drain', cb);
  }

  /** @internal */
  sendHeaders(kind: 'syn_reply' | 'headers', streamId: number, headers: SpdyHeaders, fin: boolean): void {
    this.send({ type: kind, streamId, fin, headerBlock: this.compressor.compress(headers) });
  }

  /** @internal */
  sendData(streamId: number, data: Buffer, fin: boolean, cb: () => void): void {
    if (data.length <= MAX_DATA) {
      this.send({ type: 'data', streamId, fin, data }, cb);
      return;
    }
    for (let i = 0; i < data.length; i += MAX_DATA) {
      const last = i + MAX_DATA >= data.length;
      this.send({ type: 'data', streamId, fin: fin && last, data: data.subarray(i, i + MAX_DATA) }, last ? cb : undefined);
    }
  }

  /** @internal */
  forget(stream: SpdyStream): void {
    if (this.streams.get(stream.id) === stream) this.streams.delete(stream.id);
    if (this.goneAway && this.streams.size === 0 && this.alive) this.transport.end();
  }

  private receive(chunk: Buffer): void {
    if (!this.alive) return;
    let frames: SpdyFrame[];
    try {
      frames = this.parser.push(chunk);
    } catch (err) {
      this.protocolError(err);
      return;
    }
    this.inbox.push(...frames);
    if (!this.draining) void this.drain();
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.inbox.length && this.alive) await this.handle(this.inbox.shift()!);
    } catch (err) {
      this.protocolError(err);
    } finally {
      this.draining = false;
    }
  }

  private protocolError(err: unknown): void {
    this.emit('protocolError', err instanceof Error ? err : new SpdyProtocolError(String(err)));
    if (this.alive && !this.goneAway) {
      this.goneAway = true;
      this.send({ type: 'goaway', lastGoodStreamId: this.lastPeerId, status: 1 });
    }
    this.destroy();
  }

  private async handle(frame: SpdyFrame): Promise<void> {
    switch (frame.type) {
      case 'syn_stream': {
        const headers = await this.decompressor.decompress(frame.headerBlock);
        const peerOdd = this.opts.server;
        if ((frame.streamId % 2 === 1) !== peerOdd || frame.streamId <= this.lastPeerId) {
          this.send({ type: 'rst_stream', streamId: frame.streamId, status: RstStatus.PROTOCOL_ERROR });
          return;
        }
        this.lastPeerId = frame.streamId;
        if (this.goneAway) {
          this.send({ type: 'rst_stream', streamId: frame.streamId, status: RstStatus.REFUSED_STREAM });
          return;
        }
        const stream = new SpdyStream(this, frame.streamId, headers);
        this.streams.set(frame.streamId, stream);
        if (frame.fin || frame.unidirectional) stream.onRemoteEnd();
        if (this.opts.onStream) this.opts.onStream(stream);
        else stream.resetStream(RstStatus.REFUSED_STREAM);
        return;
      }
      case 'syn_reply': {
        const headers = await this.decompressor.decompress(frame.headerBlock);
        this.streams.get(frame.streamId)?.onReply(headers, frame.fin);
        return;
      }
      case 'headers': {
        await this.decompressor.decompress(frame.headerBlock); // keeps the zlib stream in step
        if (frame.fin) this.streams.get(frame.streamId)?.onRemoteEnd();
        return;
      }
      case 'data':
        this.streams.get(frame.streamId)?.onData(frame.data, frame.fin);
        return;
      case 'rst_stream':
        this.streams.get(frame.streamId)?.onReset();
        return;
      case 'ping':
        // Echo the peer's pings (their ids have the peer's parity); ours coming back need nothing.
        if ((frame.id % 2 === 1) === this.opts.server) this.send(frame);
        return;
      case 'goaway':
        this.goneAway = true;
        if (this.streams.size === 0) this.transport.end();
        return;
      default:
        // SETTINGS, WINDOW_UPDATE and unknown frames: nothing to do without flow control.
        return;
    }
  }

  private shutdown(): void {
    if (!this.alive) return;
    this.alive = false;
    for (const s of [...this.streams.values()]) s.onReset();
    this.streams.clear();
    this.decompressor.close();
    this.resolveClosed();
    this.emit('close');
  }
}
