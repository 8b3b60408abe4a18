/**
 * `kubectl port-forward` on the node side: every forwarded connection dials
 * `podIP:port` and copies bytes both ways. Two framings:
 *
 * - SPDY (`portforward.k8s.io`, upstream `cri/streaming/portforward/httpstream.go`):
 *   per connection the client opens an `error` and a `data` stream carrying
 *   the headers `port` and `requestID`; once both arrived the pod is dialled.
 *   A failure is written as text on the error stream. kubectl 1.31+ sends
 *   this SPDY session inside a WebSocket (`SPDY/3.1+portforward.k8s.io`).
 * - WebSocket channels (`v4.channel.k8s.io`, upstream `portforward/websocket.go`):
 *   the ports come from `?port=`, port i uses data channel 2i and error
 *   channel 2i+1, and each channel's first server message is the port as
 *   two little-endian bytes.
 */
import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { decodeChannelMessage, encodeChannelMessage, portPrefix, type ChannelCodec } from './channel-protocol.js';
import { SpdySession, type SpdyStream } from './spdy-session.js';

/** Where forwarded connections go and how failures are worded. */
export interface PortForwardTarget {
  /** The pod's IP (connections dial `podIP:port`). */
  podIP: string;
  /** `web-1 (uid 1234…)`, for error messages. */
  describe: string;
  /** Dials the pod; default `net.connect`. */
  dial?: (port: number, host: string) => net.Socket;
}

/** How long the second stream of a pair may lag behind the first (upstream: the stream creation timeout). */
const PAIR_TIMEOUT_MS = 30_000;
/** After one direction of a connection finished, how long the other may still run (containerd waits 1 s). */
const LINGER_MS = 1000;

/** `error forwarding port 80 to pod web (uid …): dial tcp …: connect: connection refused` */
export function forwardError(port: number, target: PortForwardTarget, err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const why = e?.code === 'ECONNREFUSED' ? `dial tcp ${target.podIP}:${port}: connect: connection refused` : e?.message ?? String(err);
  return `error forwarding port ${port} to pod ${target.describe}: ${why}`;
}

/** Parses a `port` header or query value; undefined when it is not a port number. */
export function parsePort(value: string | undefined): number | undefined {
  if (!value || !/^\d+$/.test(value)) return undefined;
  const n = Number(value);
  return n >= 1 && n <= 65535 ? n : undefined;
}

/**
 * Pipes `stream` and a new connection to the pod until both directions are
 * done (or one failed and the other had {@link LINGER_MS} to finish).
 * Resolves with the dial error, if any.
 */
function forwardConnection(stream: Duplex, port: number, target: PortForwardTarget): Promise<unknown> {
  return new Promise((resolve) => {
    const sock = (target.dial ?? ((p, h) => net.connect(p, h)))(port, target.podIP);
    let connected = false;
    let settled = false;
    let linger: NodeJS.Timeout | undefined;
    const finish = (err?: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(linger);
      sock.destroy();
      if (!stream.writableEnded && !stream.destroyed) stream.end();
      resolve(err);
    };
    const oneDirectionDone = (): void => {
      if (linger === undefined) linger = setTimeout(() => finish(), LINGER_MS);
    };
    sock.once('connect', () => {
      connected = true;
      stream.pipe(sock);
      sock.pipe(stream);
    });
    sock.once('error', (err) => finish(connected ? undefined : err));
    sock.once('close', () => finish());
    // Pod closed its side: the data stream was ended by the pipe; give the client's side a moment.
    sock.once('end', oneDirectionDone);
    stream.once('end', oneDirectionDone);
    stream.once('close', () => finish());
    stream.once('error', () => finish());
  });
}

/**
 * Serves port-forward streams of a SPDY session until it closes.
 *
 * @example
 * servePortForwardSpdy(new SpdySession(socket, { server: true }), { podIP: '127.128.1.5', describe: 'web' });
 */
export function servePortForwardSpdy(transport: Duplex, target: PortForwardTarget): SpdySession {
  const pairs = new Map<string, { error?: SpdyStream; data?: SpdyStream; timer: NodeJS.Timeout }>();
  const session = new SpdySession(transport, {
    server: true,
    onStream: (stream) => {
      const type = stream.headers['streamtype'];
      const port = parsePort(stream.headers['port']);
      if ((type !== 'error' && type !== 'data') || port === undefined) {
        // Upstream rejects such streams: reset instead of reply.
        stream.resetStream();
        return;
      }
      stream.reply();
      // Old clients send no requestID: then an error stream and the data stream after it pair up by id.
      const key = stream.headers['requestid'] ?? String(type === 'error' ? stream.id : stream.id - 2);
      const pair = pairs.get(key) ?? { timer: setTimeout(() => abandon(key), PAIR_TIMEOUT_MS) };
      pair[type] = stream;
      pairs.set(key, pair);
      if (!pair.error || !pair.data) return;
      clearTimeout(pair.timer);
      pairs.delete(key);
      const { error, data } = pair;
      error.resume(); // the client writes nothing on it; drain its FIN
      void forwardConnection(data, port, target).then((err) => {
        if (err) error.write(forwardError(port, target, err));
        error.end();
      });
    },
  });
  const abandon = (key: string): void => {
    const p = pairs.get(key);
    pairs.delete(key);
    p?.error?.end(`timeout waiting for the data stream of request ${key}`);
    p?.data?.resetStream();
  };
  void session.closed.then(() => {
    for (const p of pairs.values()) clearTimeout(p.timer);
    pairs.clear();
  });
  return session;
}

/**
 * Serves the WebSocket channel protocol for `ports` (one connection per port
 * for the life of the WebSocket); closes the WebSocket when all are done.
 */
export function servePortForwardChannels(ws: WebSocket, codec: ChannelCodec, ports: readonly number[], target: PortForwardTarget): Promise<void> {
  const send = (channel: number, data: Buffer): void => {
    if (ws.readyState === ws.OPEN) ws.send(encodeChannelMessage(codec, channel, data), { binary: !codec.base64 });
  };
  const sockets: net.Socket[] = [];
  const runs = ports.map(
    (port, i) =>
      new Promise<void>((resolve) => {
        send(2 * i, portPrefix(port));
        send(2 * i + 1, portPrefix(port));
        const sock = (target.dial ?? ((p, h) => net.connect(p, h)))(port, target.podIP);
        sockets[i] = sock;
        let connected = false;
        sock.on('connect', () => (connected = true));
        sock.on('data', (d: Buffer) => send(2 * i, d));
        sock.on('error', (err) => {
          if (!connected) send(2 * i + 1, Buffer.from(forwardError(port, target, err)));
        });
        sock.on('close', () => resolve());
      }),
  );
  ws.on('message', (raw: Buffer, isBinary: boolean) => {
    const msg = decodeChannelMessage(codec, isBinary ? raw : raw.toString('latin1'));
    if (msg?.kind !== 'data' || msg.channel % 2 !== 0) return;
    const sock = sockets[msg.channel / 2];
    if (sock && !sock.destroyed) sock.write(msg.data);
  });
  ws.on('close', () => {
    for (const s of sockets) s.destroy();
  });
  return Promise.all(runs).then(() => {
    if (ws.readyState === ws.OPEN) ws.close(1000);
  });
}
