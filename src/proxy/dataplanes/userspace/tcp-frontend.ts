/**
 * The TCP listener of one Service address and the connection path behind it (the
 * HOT PATH): accept, choose a backend, dial it — on failure dial another, with
 * upstream userspace's growing timeouts (250 ms, 500 ms, 1 s, 2 s) — then splice
 * both sockets with backpressure (pause on a full write, resume on `drain`) and
 * half-close support. Event handlers are module-level functions that find their
 * connection through a symbol on the socket: no closures, no promises and no
 * `pipe()` bookkeeping (a dozen listeners per pipe) per connection; the client
 * address is read (a `getpeername` call) only when the route decides by it.
 */
import net from 'node:net';
import { normalizeAddress } from '../../address.js';
import type { UserspaceBackend } from './backend.js';
import type { Closable, FrontendContext } from './context.js';
import type { Route } from './route.js';

const kConn = Symbol('skiff.proxy.tcp-connection');
const kFrontend = Symbol('skiff.proxy.tcp-frontend');

type Tagged = net.Socket & { [kConn]?: TcpConnection };

/**
 * Backend → client is where the bytes go (responses), so each backend socket
 * reads into a buffer of its own of this size, reused from read to read: no
 * allocation per read and four times fewer reads than Node's 64 KiB. A write
 * that cannot finish at once keeps a view of it, and then the next read gets
 * another one ({@link onUpstreamRead}). Buffers come from a small pool and go
 * back when their connection ends with nothing left to write: a fresh 256 KiB
 * per connection would cost a garbage collection every few hundred connections.
 */
const READ_BUFFER_BYTES = 256 * 1024;
const READ_BUFFER_POOL_MAX = 64;
const readBufferPool: Buffer[] = [];

function takeReadBuffer(): Buffer {
  return readBufferPool.pop() ?? Buffer.allocUnsafe(READ_BUFFER_BYTES);
}
type TaggedServer = net.Server & { [kFrontend]?: TcpFrontend };

/**
 * Listens on one `ip:port` and forwards every accepted connection along the
 * current {@link Route}. Closing stops accepting; open connections keep going.
 */
export class TcpFrontend {
  /** Swapped by each sync; read once per new connection. */
  route: Route;
  private readonly server: TaggedServer;

  /**
   * @param adopted a listening server received from another process (the
   *   accept workers): it is served as is and {@link listen} is not called.
   */
  constructor(
    readonly ip: string,
    readonly port: number,
    route: Route,
    readonly ctx: FrontendContext,
    adopted?: net.Server,
  ) {
    this.route = route;
    this.server = adopted ?? net.createServer({ allowHalfOpen: true, noDelay: true });
    if (adopted) {
      // A server rebuilt from a passed handle has default options; these two are
      // read for every accepted socket, so setting them now is enough.
      const o = adopted as net.Server & { allowHalfOpen: boolean; noDelay: boolean };
      o.allowHalfOpen = true;
      o.noDelay = true;
    }
    this.server[kFrontend] = this;
    this.server.on('connection', onConnection);
    this.server.on('error', onServerError);
  }

  /** Binds the address; rejects with the bind error (e.g. EADDRINUSE). */
  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen({ host: this.ip, port: this.port, exclusive: true }, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
  }

  /** The listening server (to share it with accept workers). */
  get listener(): net.Server {
    return this.server;
  }

  /** Stops accepting connections (the kernel refuses new ones); open connections are untouched. */
  close(): void {
    this.server.close();
  }
}

function onServerError(this: TaggedServer, err: Error): void {
  const fe = this[kFrontend];
  fe?.ctx.log.warn({ address: `${fe.ip}:${fe.port}`, err: err.message }, 'service listener failed');
}

function onConnection(this: TaggedServer, socket: net.Socket): void {
  const fe = this[kFrontend]!;
  const route = fe.route;
  const client = route.needsClient ? normalizeAddress(socket.remoteAddress) : '';
  if (!route.allows(client)) {
    route.balancer.rejected++;
    socket.on('error', ignore);
    socket.resetAndDestroy();
    return;
  }
  const conn = new TcpConnection(fe.ctx, route, socket as Tagged, client);
  conn.dial();
}

function ignore(): void {}

/** One proxied client connection. */
class TcpConnection implements Closable {
  private upstream: Tagged | undefined;
  private backend: UserspaceBackend | undefined;
  private failed: UserspaceBackend[] | undefined;
  private attempt = 0;
  private connected = false;
  private clientClosed = false;
  private upstreamClosed = false;
  private finished = false;
  private reportedIn = 0;
  private reportedOut = 0;
  /** Where the backend socket reads next; dropped when a pending write still holds it. */
  readBuffer: Buffer | undefined;

  constructor(
    private readonly ctx: FrontendContext,
    private readonly route: Route,
    private readonly client: Tagged,
    private readonly clientIP: string,
  ) {
    client[kConn] = this;
    client.on('error', onClientError);
    client.on('close', onClientClose);
    ctx.open.add(this);
  }

  /** Chooses a backend (skipping ones that failed) and connects to it, or refuses the client. */
  dial(): void {
    const r = this.route;
    const b = r.balancer.choose(r.candidates(this.clientIP), this.clientIP, r.destination, this.ctx.now(), this.failed);
    if (!b) {
      if (!this.failed) r.balancer.rejected++;
      this.reject();
      return;
    }
    this.backend = b;
    const s = net.connect({ host: b.ip, port: b.port, allowHalfOpen: true, noDelay: true, onread: { buffer: () => (this.readBuffer ??= takeReadBuffer()), callback: onUpstreamRead } }) as Tagged;
    s[kConn] = this;
    this.upstream = s;
    s.setTimeout(this.ctx.dialTimeoutsMs[this.attempt] ?? 2000);
    s.on('connect', onUpstreamConnect);
    s.on('timeout', onUpstreamTimeout);
    s.on('error', onUpstreamError);
    s.on('close', onUpstreamClose);
  }

  upstreamConnected(): void {
    const s = this.upstream!;
    const c = this.client;
    if (this.clientClosed) {
      s.destroy();
      return;
    }
    s.setTimeout(0);
    this.connected = true;
    const b = this.backend!;
    b.opened();
    b.live.add(this);
    // The server sets noDelay on accepted sockets; the backend side got it in connect().
    c.on('data', onClientData);
    c.on('end', onClientEnd);
    c.on('drain', onClientDrain);
    s.on('end', onUpstreamEnd);
    s.on('drain', onUpstreamDrain);
  }

  upstreamFailed(): void {
    if (this.connected) {
      // An established connection broke: the client sees it broken too.
      this.backend!.failed('connection_error');
      if (!this.client.destroyed) this.client.destroy();
      return;
    }
    const b = this.backend!;
    b.failed('connect_failed');
    (this.failed ??= []).push(b);
    this.route.balancer.forgetClient(this.clientIP);
    const s = this.upstream!;
    s[kConn] = undefined;
    s.destroy();
    this.upstream = undefined;
    if (this.clientClosed) return this.finish();
    if (++this.attempt < this.ctx.dialTimeoutsMs.length) this.dial();
    else this.reject();
  }

  upstreamClose(): void {
    this.upstreamClosed = true;
    // Closed without an orderly FIN from the backend: nothing more will come, end the client hard.
    if (!this.upstream!.readableEnded && !this.client.destroyed) this.client.destroy();
    if (this.clientClosed) this.finish();
  }

  clientClose(): void {
    this.clientClosed = true;
    const s = this.upstream;
    if (!this.connected) {
      if (s) {
        s[kConn] = undefined;
        s.destroy();
      }
      this.finish();
      return;
    }
    // The client vanished without an orderly FIN: drop the backend side as well.
    if (!this.client.readableEnded && s && !s.destroyed) s.destroy();
    if (this.upstreamClosed) this.finish();
  }

  /** The accepted socket. */
  get clientSocket(): net.Socket {
    return this.client;
  }

  /** The backend socket while connected (undefined while dialling). */
  get upstreamSocket(): net.Socket | undefined {
    return this.connected ? this.upstream : undefined;
  }

  clientError(): void {
    // 'close' follows; a reset client means the backend connection goes too.
    const s = this.upstream;
    if (s && !s.destroyed) s.destroy();
  }

  /** Adds bytes moved since the last flush to the backend. */
  flush(): void {
    const b = this.backend;
    if (!b || !this.connected) return;
    const inNow = this.client.bytesRead;
    const outNow = this.client.bytesWritten;
    b.bytesIn += inNow - this.reportedIn;
    b.bytesOut += outNow - this.reportedOut;
    this.reportedIn = inNow;
    this.reportedOut = outNow;
  }

  destroy(): void {
    this.client.destroy();
    this.upstream?.destroy();
  }

  private reject(): void {
    // A reset right after accept is as close to REJECT as an accepted socket gets.
    if (!this.client.destroyed) this.client.resetAndDestroy();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.ctx.open.delete(this);
    // Both sockets are closed; the buffer is free unless a write to the client never finished.
    if (this.readBuffer && this.client.writableLength === 0 && readBufferPool.length < READ_BUFFER_POOL_MAX) readBufferPool.push(this.readBuffer);
    this.readBuffer = undefined;
    this.client[kConn] = undefined;
    if (this.upstream) this.upstream[kConn] = undefined;
    if (this.connected) {
      const b = this.backend!;
      this.flush();
      b.live.delete(this);
      b.closed();
    }
  }
}

// Forwarding with backpressure: a write that fills the other side's buffer
// pauses this side until that side drains. An orderly end (FIN) is passed on as
// a half-close; the other direction keeps flowing (allowHalfOpen).

function onClientData(this: Tagged, chunk: Buffer): void {
  const up = this[kConn]?.upstreamSocket;
  if (up && !up.write(chunk)) this.pause();
}

/** Backend bytes (the `onread` callback of backend sockets): returning false pauses the backend until the client drains. */
function onUpstreamRead(this: Tagged, nread: number, buf: Buffer): boolean {
  const conn = this[kConn];
  const c = conn?.clientSocket;
  if (!c || c.destroyed) return true;
  const ok = c.write(buf.subarray(0, nread));
  // Still queued: the write holds a view of this buffer, so the next read needs another.
  if (c.writableLength > 0 && conn!.readBuffer === buf) conn!.readBuffer = undefined;
  return ok;
}

function onClientDrain(this: Tagged): void {
  this[kConn]?.upstreamSocket?.resume();
}

function onUpstreamDrain(this: Tagged): void {
  this[kConn]?.clientSocket.resume();
}

function onClientEnd(this: Tagged): void {
  const up = this[kConn]?.upstreamSocket;
  if (up && !up.destroyed) up.end();
}

function onUpstreamEnd(this: Tagged): void {
  const c = this[kConn]?.clientSocket;
  if (c && !c.destroyed) c.end();
}

function onClientError(this: Tagged): void {
  this[kConn]?.clientError();
}

function onClientClose(this: Tagged): void {
  this[kConn]?.clientClose();
}

function onUpstreamConnect(this: Tagged): void {
  this[kConn]?.upstreamConnected();
}

function onUpstreamTimeout(this: Tagged): void {
  // Only connect attempts have a timeout (cleared once connected).
  this[kConn]?.upstreamFailed();
}

function onUpstreamError(this: Tagged): void {
  this[kConn]?.upstreamFailed();
}

function onUpstreamClose(this: Tagged): void {
  this[kConn]?.upstreamClose();
}
