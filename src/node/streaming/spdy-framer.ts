/**
 * A minimal SPDY/3.1 framer (the wire format of `moby/spdystream`, which
 * kubectl uses for port-forward and as the exec fallback): control frames
 * SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS, PING, GOAWAY, HEADERS and
 * WINDOW_UPDATE, and DATA frames; an incremental parser; header blocks
 * (name/value pairs) and their compression.
 *
 * Header blocks are zlib streams primed with the SPDY dictionary and shared
 * by every block of one direction of a session. Outgoing blocks are written
 * as zlib *stored* blocks ending in the sync-flush marker (valid deflate,
 * byte-aligned, nothing to carry between blocks), so encoding stays
 * synchronous and frames leave in the order they are made; incoming blocks
 * go through a real inflater.
 */
import { constants, createInflate, type Inflate } from 'node:zlib';
import { SPDY3_DICTIONARY } from './spdy-dictionary.js';

/** The protocol version in every control frame. */
export const SPDY_VERSION = 3;

/** Control frame types. */
export const FrameType = {
  SYN_STREAM: 1,
  SYN_REPLY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PING: 6,
  GOAWAY: 7,
  HEADERS: 8,
  WINDOW_UPDATE: 9,
} as const;

/** FLAG_FIN on DATA, SYN_STREAM, SYN_REPLY and HEADERS. */
export const FLAG_FIN = 0x01;
/** FLAG_UNIDIRECTIONAL on SYN_STREAM. */
export const FLAG_UNIDIRECTIONAL = 0x02;

/** RST_STREAM status codes used here. */
export const RstStatus = { PROTOCOL_ERROR: 1, INVALID_STREAM: 2, REFUSED_STREAM: 3, CANCEL: 5, INTERNAL_ERROR: 6, STREAM_ALREADY_CLOSED: 9 } as const;

/** A decoded frame; header blocks are still compressed. */
export type SpdyFrame =
  | { type: 'data'; streamId: number; fin: boolean; data: Buffer }
  | { type: 'syn_stream'; streamId: number; associatedId: number; priority: number; fin: boolean; unidirectional: boolean; headerBlock: Buffer }
  | { type: 'syn_reply'; streamId: number; fin: boolean; headerBlock: Buffer }
  | { type: 'headers'; streamId: number; fin: boolean; headerBlock: Buffer }
  | { type: 'rst_stream'; streamId: number; status: number }
  | { type: 'settings'; clearPrevious: boolean; entries: Array<{ flags: number; id: number; value: number }> }
  | { type: 'ping'; id: number }
  | { type: 'goaway'; lastGoodStreamId: number; status: number }
  | { type: 'window_update'; streamId: number; delta: number }
  | { type: 'unknown'; frameType: number; version: number; flags: number; payload: Buffer };

const MAX_LENGTH = 0xffffff;

function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  if (payload.length > MAX_LENGTH) throw new Error(`SPDY control frame of ${payload.length} bytes is over the 24-bit length limit`);
  const head = Buffer.alloc(8);
  head.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  head.writeUInt16BE(type, 2);
  head.writeUInt32BE(((flags & 0xff) << 24) | payload.length, 4);
  return Buffer.concat([head, payload]);
}

function u31(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n & 0x7fffffff);
  return b;
}

/**
 * Encodes one frame. Header-carrying frames take an already compressed
 * `headerBlock` (see {@link HeaderCompressor}).
 *
 * @example
 * encodeFrame({ type: 'ping', id: 1 }) // <Buffer 80 03 00 06 00 00 00 04 00 00 00 01>
 */
export function encodeFrame(frame: SpdyFrame): Buffer {
  switch (frame.type) {
    case 'data': {
      if (frame.data.length > MAX_LENGTH) throw new Error(`SPDY data frame of ${frame.data.length} bytes is over the 24-bit length limit`);
      const head = Buffer.alloc(8);
      head.writeUInt32BE(frame.streamId & 0x7fffffff, 0);
      head.writeUInt32BE(((frame.fin ? FLAG_FIN : 0) << 24) | frame.data.length, 4);
      return Buffer.concat([head, frame.data]);
    }
    case 'syn_stream': {
      const fixed = Buffer.alloc(10);
      fixed.writeUInt32BE(frame.streamId & 0x7fffffff, 0);
      fixed.writeUInt32BE(frame.associatedId & 0x7fffffff, 4);
      fixed[8] = (frame.priority & 0x7) << 5;
      const flags = (frame.fin ? FLAG_FIN : 0) | (frame.unidirectional ? FLAG_UNIDIRECTIONAL : 0);
      return controlFrame(FrameType.SYN_STREAM, flags, Buffer.concat([fixed, frame.headerBlock]));
    }
    case 'syn_reply':
      return controlFrame(FrameType.SYN_REPLY, frame.fin ? FLAG_FIN : 0, Buffer.concat([u31(frame.streamId), frame.headerBlock]));
    case 'headers':
      return controlFrame(FrameType.HEADERS, frame.fin ? FLAG_FIN : 0, Buffer.concat([u31(frame.streamId), frame.headerBlock]));
    case 'rst_stream': {
      const p = Buffer.alloc(8);
      p.writeUInt32BE(frame.streamId & 0x7fffffff, 0);
      p.writeUInt32BE(frame.status >>> 0, 4);
      return controlFrame(FrameType.RST_STREAM, 0, p);
    }
    case 'settings': {
      const p = Buffer.alloc(4 + 8 * frame.entries.length);
      p.writeUInt32BE(frame.entries.length, 0);
      frame.entries.forEach((e, i) => {
        p.writeUInt32BE((((e.flags & 0xff) << 24) | (e.id & 0xffffff)) >>> 0, 4 + 8 * i);
        p.writeUInt32BE(e.value >>> 0, 8 + 8 * i);
      });
      return controlFrame(FrameType.SETTINGS, frame.clearPrevious ? 1 : 0, p);
    }
    case 'ping': {
      const p = Buffer.alloc(4);
      p.writeUInt32BE(frame.id >>> 0);
      return controlFrame(FrameType.PING, 0, p);
    }
    case 'goaway': {
      const p = Buffer.alloc(8);
      p.writeUInt32BE(frame.lastGoodStreamId & 0x7fffffff, 0);
      p.writeUInt32BE(frame.status >>> 0, 4);
      return controlFrame(FrameType.GOAWAY, 0, p);
    }
    case 'window_update': {
      const p = Buffer.alloc(8);
      p.writeUInt32BE(frame.streamId & 0x7fffffff, 0);
      p.writeUInt32BE(frame.delta & 0x7fffffff, 4);
      return controlFrame(FrameType.WINDOW_UPDATE, 0, p);
    }
    case 'unknown': {
      const head = Buffer.alloc(8);
      head.writeUInt16BE(0x8000 | frame.version, 0);
      head.writeUInt16BE(frame.frameType, 2);
      head.writeUInt32BE(((frame.flags & 0xff) << 24) | frame.payload.length, 4);
      return Buffer.concat([head, frame.payload]);
    }
  }
}

/** A framing error: the session must end (GOAWAY with PROTOCOL_ERROR). */
export class SpdyProtocolError extends Error {
  override readonly name = 'SpdyProtocolError';
}

function decodeControl(type: number, version: number, flags: number, p: Buffer): SpdyFrame {
  if (version !== SPDY_VERSION) throw new SpdyProtocolError(`unsupported SPDY version ${version} (only 3 is spoken)`);
  const need = (n: number): void => {
    if (p.length < n) throw new SpdyProtocolError(`SPDY control frame type ${type} is ${p.length} bytes, needs at least ${n}`);
  };
  const fin = (flags & FLAG_FIN) !== 0;
  switch (type) {
    case FrameType.SYN_STREAM:
      need(10);
      return {
        type: 'syn_stream',
        streamId: p.readUInt32BE(0) & 0x7fffffff,
        associatedId: p.readUInt32BE(4) & 0x7fffffff,
        priority: p[8]! >> 5,
        fin,
        unidirectional: (flags & FLAG_UNIDIRECTIONAL) !== 0,
        headerBlock: p.subarray(10),
      };
    case FrameType.SYN_REPLY:
      need(4);
      return { type: 'syn_reply', streamId: p.readUInt32BE(0) & 0x7fffffff, fin, headerBlock: p.subarray(4) };
    case FrameType.HEADERS:
      need(4);
      return { type: 'headers', streamId: p.readUInt32BE(0) & 0x7fffffff, fin, headerBlock: p.subarray(4) };
    case FrameType.RST_STREAM:
      need(8);
      return { type: 'rst_stream', streamId: p.readUInt32BE(0) & 0x7fffffff, status: p.readUInt32BE(4) };
    case FrameType.SETTINGS: {
      need(4);
      const n = p.readUInt32BE(0);
      need(4 + 8 * n);
      const entries = Array.from({ length: n }, (_, i) => {
        const word = p.readUInt32BE(4 + 8 * i);
        return { flags: word >>> 24, id: word & 0xffffff, value: p.readUInt32BE(8 + 8 * i) };
      });
      return { type: 'settings', clearPrevious: (flags & 1) !== 0, entries };
    }
    case FrameType.PING:
      need(4);
      return { type: 'ping', id: p.readUInt32BE(0) };
    case FrameType.GOAWAY:
      need(4);
      return { type: 'goaway', lastGoodStreamId: p.readUInt32BE(0) & 0x7fffffff, status: p.length >= 8 ? p.readUInt32BE(4) : 0 };
    case FrameType.WINDOW_UPDATE:
      need(8);
      return { type: 'window_update', streamId: p.readUInt32BE(0) & 0x7fffffff, delta: p.readUInt32BE(4) & 0x7fffffff };
    default:
      return { type: 'unknown', frameType: type, version, flags, payload: p };
  }
}

/**
 * Splits a byte stream into frames, whatever the chunking.
 *
 * @example
 * const parser = new FrameParser();
 * for (const frame of parser.push(chunk)) handle(frame);
 */
export class FrameParser {
  private buf: Buffer = Buffer.alloc(0);

  /** Adds bytes; returns every frame completed by them. Throws {@link SpdyProtocolError} on garbage. */
  push(chunk: Buffer): SpdyFrame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: SpdyFrame[] = [];
    while (this.buf.length >= 8) {
      const length = this.buf.readUInt32BE(4) & 0xffffff;
      if (this.buf.length < 8 + length) break;
      const flags = this.buf[4]!;
      const payload = this.buf.subarray(8, 8 + length);
      const first = this.buf.readUInt32BE(0);
      if (first & 0x80000000) {
        out.push(decodeControl(first & 0xffff, (first >>> 16) & 0x7fff, flags, payload));
      } else {
        out.push({ type: 'data', streamId: first & 0x7fffffff, fin: (flags & FLAG_FIN) !== 0, data: Buffer.from(payload) });
      }
      this.buf = this.buf.subarray(8 + length);
    }
    return out;
  }
}

/** Header names and values; names are lowercase, several values of one name are joined with NUL. */
export type SpdyHeaders = Record<string, string>;

/**
 * The uncompressed header block: pair count, then length-prefixed names and
 * values (32-bit lengths in SPDY/3). Names are lowercased as the spec requires.
 */
export function encodeHeaderBlock(headers: SpdyHeaders): Buffer {
  const entries = Object.entries(headers);
  const parts: Buffer[] = [];
  const count = Buffer.alloc(4);
  count.writeUInt32BE(entries.length);
  parts.push(count);
  for (const [name, value] of entries) {
    for (const s of [name.toLowerCase(), value]) {
      const b = Buffer.from(s, 'utf8');
      const len = Buffer.alloc(4);
      len.writeUInt32BE(b.length);
      parts.push(len, b);
    }
  }
  return Buffer.concat(parts);
}

/** Parses an uncompressed header block (names lowercased, repeated names joined with NUL). */
export function decodeHeaderBlock(raw: Buffer): SpdyHeaders {
  if (raw.length < 4) throw new SpdyProtocolError('SPDY header block is shorter than its pair count');
  const n = raw.readUInt32BE(0);
  let pos = 4;
  const str = (): string => {
    if (pos + 4 > raw.length) throw new SpdyProtocolError('SPDY header block is truncated');
    const len = raw.readUInt32BE(pos);
    pos += 4;
    if (pos + len > raw.length) throw new SpdyProtocolError('SPDY header block is truncated');
    const s = raw.subarray(pos, pos + len).toString('utf8');
    pos += len;
    return s;
  };
  const out: SpdyHeaders = {};
  for (let i = 0; i < n; i++) {
    const name = str().toLowerCase();
    const value = str();
    out[name] = name in out ? `${out[name]}\0${value}` : value;
  }
  return out;
}

/** Adler-32 (RFC 1950) of `data`, continuing from `start`. */
export function adler32(data: Buffer, start = 1): number {
  let a = start & 0xffff;
  let b = (start >>> 16) & 0xffff;
  for (let i = 0; i < data.length; ) {
    // 3800 bytes keep the sums far from overflow before the modulo.
    const end = Math.min(data.length, i + 3800);
    for (; i < end; i++) {
      a += data[i]!;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

const SYNC_FLUSH_MARKER = Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]);

/**
 * Compresses header blocks for one direction of a session: the first block
 * opens a zlib stream bound to the SPDY dictionary (FDICT), every block is a
 * run of stored deflate blocks, so a peer's zlib reader with the dictionary
 * decodes it as one continuous stream.
 *
 * @example
 * const c = new HeaderCompressor();
 * encodeFrame({ type: 'syn_reply', streamId: 1, fin: false, headerBlock: c.compress({}) });
 */
export class HeaderCompressor {
  private started = false;

  compress(headers: SpdyHeaders): Buffer {
    const raw = encodeHeaderBlock(headers);
    const parts: Buffer[] = [];
    if (!this.started) {
      this.started = true;
      // CMF 0x78 (deflate, 32K window), FLG with FDICT; FCHECK makes CMF*256+FLG a multiple of 31.
      const cmf = 0x78;
      const flg = 0x20 + ((31 - ((cmf * 256 + 0x20) % 31)) % 31);
      const dictId = Buffer.alloc(4);
      dictId.writeUInt32BE(adler32(SPDY3_DICTIONARY));
      parts.push(Buffer.from([cmf, flg]), dictId);
    }
    for (let i = 0; i < raw.length; i += 0xffff) {
      const piece = raw.subarray(i, i + 0xffff);
      const head = Buffer.alloc(5);
      head[0] = 0; // BFINAL=0, BTYPE=00 (stored): the stream never ends
      head.writeUInt16LE(piece.length, 1);
      head.writeUInt16LE(~piece.length & 0xffff, 3);
      parts.push(head, piece);
    }
    // The empty stored block a sync flush ends with: Go's inflater hands out a stored
    // block's bytes only once it has read the next block header, which must be in this frame.
    parts.push(SYNC_FLUSH_MARKER);
    return Buffer.concat(parts);
  }
}

/**
 * Decompresses the header blocks of one direction of a session, in order
 * (the zlib stream spans blocks, so calls must not overlap; the session
 * handles incoming frames one at a time).
 */
export class HeaderDecompressor {
  private readonly inflate: Inflate = createInflate({ dictionary: SPDY3_DICTIONARY, flush: constants.Z_SYNC_FLUSH });
  private failed: Error | undefined;
  private out: Buffer[] = [];

  constructor() {
    this.inflate.on('error', (err: Error) => (this.failed = err));
    // Drain as output appears: a large block must not stall the inflater on its read buffer.
    this.inflate.on('readable', () => this.collect());
  }

  /** The headers of one compressed block. */
  decompress(block: Buffer): Promise<SpdyHeaders> {
    if (this.failed) return Promise.reject(new SpdyProtocolError(`SPDY header decompression failed: ${this.failed.message}`));
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(new SpdyProtocolError(`SPDY header decompression failed: ${err.message}`));
      this.inflate.once('error', onError);
      this.inflate.write(block, (err) => {
        this.inflate.removeListener('error', onError);
        if (err) return;
        // The write is processed: all of this block's output has been pushed.
        this.collect();
        const raw = Buffer.concat(this.out);
        this.out = [];
        try {
          resolve(decodeHeaderBlock(raw));
        } catch (e) {
          reject(e);
        }
      });
    });
  }

  private collect(): void {
    for (let c = this.inflate.read() as Buffer | null; c; c = this.inflate.read() as Buffer | null) this.out.push(c);
  }

  close(): void {
    this.inflate.destroy();
  }
}
