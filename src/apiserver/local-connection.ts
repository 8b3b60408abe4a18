/**
 * In-process connections to the API server: an `http.Agent` whose sockets are
 * in-memory duplex pairs handed straight to the server's connection handler.
 * The client code path is the HTTP one, byte for byte, but no TCP socket, port
 * or kernel round trip is involved — this is the "in-process" client transport.
 */
import http from 'node:http';
import { Duplex } from 'node:stream';

/** Two cross-wired duplex streams: what one writes, the other reads. */
export function duplexPair(): [Duplex, Duplex] {
  const ends: Duplex[] = [];
  const make = (peer: () => Duplex): Duplex => {
    const d = new Duplex({
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
        const p = peer();
        if (!p.destroyed) p.push(null);
        cb(err);
      },
    });
    // Socket-like no-ops the http machinery may call.
    const socketish = d as Duplex & { setTimeout(): Duplex; setNoDelay(): Duplex; setKeepAlive(): Duplex; ref(): Duplex; unref(): Duplex };
    socketish.setTimeout = () => d;
    socketish.setNoDelay = () => d;
    socketish.setKeepAlive = () => d;
    socketish.ref = () => d;
    socketish.unref = () => d;
    Object.defineProperty(d, 'remoteAddress', { value: '127.0.0.1' });
    return d;
  };
  ends.push(make(() => ends[1]!), make(() => ends[0]!));
  return [ends[0]!, ends[1]!];
}

/** An agent that connects to `server` in memory (keep-alive, like a real client). */
export class LocalAgent extends http.Agent {
  constructor(private readonly server: http.Server) {
    super({ keepAlive: true, maxSockets: 64 });
  }

  override createConnection(): Duplex {
    const [client, serverEnd] = duplexPair();
    this.server.emit('connection', serverEnd);
    return client;
  }
}
