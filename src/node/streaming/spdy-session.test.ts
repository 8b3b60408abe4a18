import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import { encodeFrame, FrameParser, type SpdyFrame } from './spdy-framer.js';
import { SpdySession, type SpdyStream } from './spdy-session.js';

/** Two connected in-memory transports. */
function pipePair(): [Duplex, Duplex] {
  const ends: Duplex[] = [];
  const make = (peer: () => Duplex): Duplex =>
    new Duplex({
      write(chunk: Buffer, _enc, cb) {
        peer().push(chunk);
        cb();
      },
      final(cb) {
        peer().push(null);
        cb();
      },
      read() {},
      destroy(err, cb) {
        if (!peer().destroyed) peer().push(null);
        cb(err);
      },
    });
  ends.push(make(() => ends[1]!), make(() => ends[0]!));
  return [ends[0]!, ends[1]!];
}

function collect(stream: SpdyStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = '';
    stream.on('data', (b: Buffer) => (s += b.toString()));
    stream.on('end', () => resolve(s));
    stream.on('error', reject);
  });
}

function withTimeout<T>(p: Promise<T>, what: string, ms = 5000): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<T>((_r, reject) => (t = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms)))]).finally(() => clearTimeout(t));
}

describe('SpdySession', () => {
  test('a client stream is replied to, carries data both ways and half-closes', async () => {
    const [a, b] = pipePair();
    const seen: Array<Record<string, string>> = [];
    const server = new SpdySession(b, {
      server: true,
      onStream: (s) => {
        seen.push(s.headers);
        s.reply({ answer: 'yes' });
        // Echo upper-cased, then end once the client ended.
        s.on('data', (d: Buffer) => s.write(d.toString().toUpperCase()));
        s.on('end', () => s.end('!'));
      },
    });
    const client = new SpdySession(a, { server: false });
    const stream = client.openStream({ streamtype: 'data', port: '80', requestID: '0' });
    assert.equal(stream.id, 1);
    assert.deepEqual(await withTimeout(stream.replied, 'SYN_REPLY'), { answer: 'yes' });
    const body = collect(stream);
    stream.write('hello ');
    stream.end('world');
    assert.equal(await withTimeout(body, 'the echo'), 'HELLO WORLD!');
    assert.deepEqual(seen, [{ streamtype: 'data', port: '80', requestid: '0' }]);
    client.close();
    await withTimeout(server.closed, 'server close');
  });

  test('many streams share one header compression context each way', async () => {
    const [a, b] = pipePair();
    const server = new SpdySession(b, {
      server: true,
      onStream: (s) => {
        s.reply();
        s.end(`${s.headers['requestid']}`);
        s.resume();
      },
    });
    const client = new SpdySession(a, { server: false });
    const bodies = await withTimeout(
      Promise.all(
        Array.from({ length: 20 }, (_, i) => {
          const s = client.openStream({ requestid: String(i) }, true);
          return collect(s);
        }),
      ),
      '20 streams',
    );
    assert.deepEqual(bodies, Array.from({ length: 20 }, (_, i) => String(i)));
    client.destroy();
    await server.closed;
  });

  test('a reset stream ends on both sides', async () => {
    const [a, b] = pipePair();
    let serverStream: SpdyStream | undefined;
    new SpdySession(b, {
      server: true,
      onStream: (s) => {
        serverStream = s;
        s.reply();
      },
    });
    const client = new SpdySession(a, { server: false });
    const s = client.openStream({});
    await withTimeout(s.replied, 'reply');
    const closed = new Promise((r) => serverStream!.once('close', r));
    s.resetStream();
    await withTimeout(closed, 'server stream close');
    assert.equal(serverStream!.reset, true);
    client.destroy();
  });

  test('a server without a stream handler refuses streams', async () => {
    const [a, b] = pipePair();
    new SpdySession(b, { server: true });
    const client = new SpdySession(a, { server: false });
    const s = client.openStream({});
    await assert.rejects(withTimeout(s.replied, 'refusal'));
    client.destroy();
  });

  test('pings from the peer are echoed, our own are not', async () => {
    const [a, b] = pipePair();
    new SpdySession(b, { server: true });
    const parser = new FrameParser();
    const got: SpdyFrame[] = [];
    a.on('data', (d: Buffer) => got.push(...parser.push(d)));
    a.write(encodeFrame({ type: 'ping', id: 1 }));
    a.write(encodeFrame({ type: 'ping', id: 2 }));
    a.write(encodeFrame({ type: 'ping', id: 3 }));
    await withTimeout(
      (async () => {
        while (got.length < 2) await new Promise((r) => setTimeout(r, 5));
      })(),
      'ping echoes',
    );
    assert.deepEqual(got, [
      { type: 'ping', id: 1 },
      { type: 'ping', id: 3 },
    ]);
    a.destroy();
  });

  test('a malformed frame ends the session with GOAWAY', async () => {
    const [a, b] = pipePair();
    const server = new SpdySession(b, { server: true });
    const parser = new FrameParser();
    const got: SpdyFrame[] = [];
    a.on('data', (d: Buffer) => got.push(...parser.push(d)));
    a.write(Buffer.from([0x80, 0x02, 0x00, 0x01, 0, 0, 0, 0]));
    await withTimeout(server.closed, 'session close');
    await new Promise((r) => setImmediate(r));
    assert.equal(got[0]?.type, 'goaway');
  });
});
