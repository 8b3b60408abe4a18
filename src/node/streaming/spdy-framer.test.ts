import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync, constants, createDeflate } from 'node:zlib';
import { SPDY3_DICTIONARY } from './spdy-dictionary.js';
import {
  adler32,
  decodeHeaderBlock,
  encodeFrame,
  encodeHeaderBlock,
  FrameParser,
  HeaderCompressor,
  HeaderDecompressor,
  SpdyProtocolError,
  type SpdyFrame,
} from './spdy-framer.js';

test('the dictionary is the 1 423-byte SPDY/3 dictionary (its zlib id is e3c6a7c2)', () => {
  assert.equal(SPDY3_DICTIONARY.length, 1423);
  assert.equal(adler32(SPDY3_DICTIONARY), 0xe3c6a7c2);
  // zlib agrees on the id it writes after FDICT.
  assert.equal(deflateSync(Buffer.from('x'), { dictionary: SPDY3_DICTIONARY }).readUInt32BE(2), 0xe3c6a7c2);
});

describe('frames round-trip through encodeFrame and FrameParser', () => {
  const frames: SpdyFrame[] = [
    { type: 'data', streamId: 1, fin: false, data: Buffer.from('hello') },
    { type: 'data', streamId: 0x7fffffff, fin: true, data: Buffer.alloc(0) },
    { type: 'syn_stream', streamId: 3, associatedId: 0, priority: 7, fin: true, unidirectional: false, headerBlock: Buffer.from([1, 2, 3]) },
    { type: 'syn_stream', streamId: 5, associatedId: 1, priority: 0, fin: false, unidirectional: true, headerBlock: Buffer.alloc(0) },
    { type: 'syn_reply', streamId: 2, fin: false, headerBlock: Buffer.from('hb') },
    { type: 'headers', streamId: 2, fin: true, headerBlock: Buffer.from('hb') },
    { type: 'rst_stream', streamId: 9, status: 5 },
    { type: 'settings', clearPrevious: false, entries: [{ flags: 1, id: 7, value: 65536 }] },
    { type: 'ping', id: 0xfffffffe },
    { type: 'goaway', lastGoodStreamId: 11, status: 0 },
    { type: 'window_update', streamId: 1, delta: 1024 },
    { type: 'unknown', frameType: 0x20, version: 3, flags: 0, payload: Buffer.from('?') },
  ];
  for (const f of frames) {
    test(f.type, () => {
      const wire = encodeFrame(f);
      assert.deepEqual(new FrameParser().push(wire), [f]);
    });
  }
  test('any chunking yields the same frames', () => {
    const wire = Buffer.concat(frames.map(encodeFrame));
    for (const size of [1, 2, 7, 64]) {
      const parser = new FrameParser();
      const got: SpdyFrame[] = [];
      for (let i = 0; i < wire.length; i += size) got.push(...parser.push(wire.subarray(i, i + size)));
      assert.deepEqual(got, frames, `chunks of ${size}`);
    }
  });
  test('a ping is twelve bytes: version 3, type 6, length 4, id', () => {
    assert.deepEqual(encodeFrame({ type: 'ping', id: 1 }), Buffer.from([0x80, 0x03, 0x00, 0x06, 0, 0, 0, 4, 0, 0, 0, 1]));
  });
  test('another SPDY version is a protocol error', () => {
    assert.throws(() => new FrameParser().push(Buffer.from([0x80, 0x02, 0x00, 0x06, 0, 0, 0, 4, 0, 0, 0, 1])), SpdyProtocolError);
  });
});

describe('header blocks', () => {
  test('encode and decode round-trip with lowercased names and NUL-joined repeats', () => {
    const raw = encodeHeaderBlock({ StreamType: 'data', port: '8080', requestid: '0' });
    assert.deepEqual(decodeHeaderBlock(raw), { streamtype: 'data', port: '8080', requestid: '0' });
    const twice = Buffer.concat([Buffer.from([0, 0, 0, 2]), encodeHeaderBlock({ a: '1' }).subarray(4), encodeHeaderBlock({ a: '2' }).subarray(4)]);
    assert.deepEqual(decodeHeaderBlock(twice), { a: '1\u00002' });
  });
  test('truncated blocks are protocol errors', () => {
    assert.throws(() => decodeHeaderBlock(Buffer.from([0, 0, 0, 1, 0, 0, 0, 9, 65])), SpdyProtocolError);
  });

  test('compressed blocks decompress in order across one zlib stream', async () => {
    const c = new HeaderCompressor();
    const d = new HeaderDecompressor();
    const blocks: Array<Record<string, string>> = [{ streamtype: 'error', port: '80', requestid: '0' }, {}, { streamtype: 'data', port: '80', requestid: '0' }, { big: 'x'.repeat(70_000) }];
    for (const h of blocks) assert.deepEqual(await d.decompress(c.compress(h)), h);
    d.close();
  });

  test('every compressed block ends with the sync-flush marker (Go hands out stored bytes only after it)', () => {
    const c = new HeaderCompressor();
    for (const h of [{}, { a: 'b' }] as Array<Record<string, string>>) assert.deepEqual(c.compress(h).subarray(-5), Buffer.from([0, 0, 0, 0xff, 0xff]));
  });

  test('the first compressed block announces the SPDY dictionary', () => {
    const first = new HeaderCompressor().compress({});
    assert.equal((first[0]! * 256 + first[1]!) % 31, 0, 'valid zlib header check');
    assert.ok(first[1]! & 0x20, 'FDICT set');
    assert.equal(first.readUInt32BE(2), 0xe3c6a7c2);
  });

  test('blocks compressed by a real deflater with the dictionary (as Go writes them) decode', async () => {
    const deflate = createDeflate({ dictionary: SPDY3_DICTIONARY });
    const compress = (h: Record<string, string>): Promise<Buffer> =>
      new Promise((resolve) => {
        const chunks: Buffer[] = [];
        const onData = (b: Buffer): number => chunks.push(b);
        deflate.on('data', onData);
        deflate.write(encodeHeaderBlock(h));
        deflate.flush(constants.Z_SYNC_FLUSH, () => {
          setImmediate(() => {
            deflate.removeListener('data', onData);
            resolve(Buffer.concat(chunks));
          });
        });
      });
    const d = new HeaderDecompressor();
    for (const h of [{ streamtype: 'error', port: '8080', requestid: '1' }, { streamtype: 'data', port: '8080', requestid: '1' }]) {
      assert.deepEqual(await d.decompress(await compress(h)), h);
    }
    d.close();
    deflate.close();
  });

  test('garbage fails decompression with a protocol error', async () => {
    const d = new HeaderDecompressor();
    await assert.rejects(d.decompress(Buffer.from('not zlib at all')), SpdyProtocolError);
    d.close();
  });
});
