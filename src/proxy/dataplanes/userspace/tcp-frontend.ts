/**
 * The TCP listener of one Service address and the connection path behind it (the
 * HOT PATH): accept, choose a backend, dial it — on failure dial another, with
 * upstream userspace's growing timeouts (250 ms, 500 ms, 1 s, 2 s) — then
 * forward bytes both ways with backpressure (a write the kernel cannot take at
 * once stops reading its source until it completes) and half-close (an orderly
 * FIN is passed on as a shutdown; the other direction keeps flowing).
 *
 * Connections are Node's TCP handles themselves (raw-tcp.ts), not `net.Socket`
 * streams: no stream state, no events, no listeners. Callbacks are module-level
 * functions that find their connection through a symbol on the handle: no
 * closures and no promises per connection. The client address is read (a
 * `getpeername` call) only when the route decides by it, and the client is read
 * only once its backend is connected (until then the kernel holds its bytes).
 */
import net from 'node:net';
import { normalizeAddress } from '../../address.js';
import type { UserspaceBackend } from './backend.js';
import type { Closable, FrontendContext } from './context.js';
import type { Route } from './route.js';
import {
  ConnectWrap,
  kArrayBufferOffset,
  kLastWriteWasAsync,
  kReadBytesOrError,
  newSocketHandle,
  readState,
  serverHandle,
  ShutdownWrap,
  UV_EOF,
  WriteWrap,
  type ConnectReq,
  type RawTcp,
  type ShutdownReq,
  type WriteReq,
} from './raw-tcp.js';

const kConn = Symbol('skiff.proxy.tcp-connection');
const kFrontend = Symbol('skiff.proxy.tcp-frontend');

type Tagged = RawTcp & { [kConn]?: TcpConnection };
type TaggedListener = RawTcp & { [kFrontend]?: TcpFrontend };

/**
 * Each handle reads into a buffer of its own (`useUserBuffer`) while there are
 * buffers to spare: no allocation per read, and a backend handle reads 256 KiB
 * at once, four times Node's 64 KiB (responses are where the bytes go). A write
 * the kernel cannot take at once stops its source's reads until it completes,
 * so a buffer is never overwritten while a write still holds it. Buffers are
 * reused from connection to connection (fresh ones would cost a garbage
 * collection every few hundred connections), and a pool hands out at most
 * `max`: a connection opened while all are in use reads into Node's own
 * per-read allocations instead, so ten thousand idle connections do not hold
 * gigabytes.
 */
class ReadBuffers {
  private readonly free: Buffer[] = [];
  private out = 0;

  constructor(
    private readonly bytes: number,
    private readonly max: number,
  ) {}

  take(): Buffer | undefined {
    if (this.free.length === 0 && this.out >= this.max) return undefined;
    this.out++;
    return this.free.pop() ?? Buffer.allocUnsafe(this.bytes);
  }

  give(buf: Buffer): void {
    this.out--;
    this.free.push(buf);
  }
}

const upstreamBuffers = new ReadBuffers(256 * 1024, 64);
const clientBuffers = new ReadBuffers(64 * 1024, 64);

/**
 * Listens on one `ip:port` and forwards every accepted connection along the
 * current {@link Route}. Closing stops accepting; open connections keep going.
 */
export class TcpFrontend {
  /** Swapped by each sync; read once per new connection. */
  route: Route;
  private readonly server: net.Server;

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
    this.server = adopted ?? net.createServer();
    this.server.on('error', (err) => this.ctx.log.warn({ address: `${this.ip}:${this.port}`, err: err.message }, 'service listener failed'));
    if (adopted) this.acceptOnHandle();
  }

  /** Binds the address; rejects with the bind error (e.g. EADDRINUSE). */
  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen({ host: this.ip, port: this.port, exclusive: true }, () => {
        this.server.off('error', onError);
        this.acceptOnHandle();
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

  /** Takes accepted connections straight from the listening handle, before `net` wraps them in sockets. */
  private acceptOnHandle(): void {
    const h = serverHandle(this.server) as TaggedListener | undefined;
    if (!h) throw new Error(`the listener of ${this.ip}:${this.port} has no handle`);
    h[kFrontend] = this;
    h.onconnection = onConnection;
  }
}

function onConnection(this: TaggedListener, status: number, client: RawTcp | undefined): void {
  const fe = this[kFrontend]!;
  if (status < 0 || !client) {
    // What net would emit as the server's 'error' (e.g. EMFILE); the listener goes on.
    fe.ctx.log.warn({ address: `${fe.ip}:${fe.port}`, status }, 'accepting a connection failed');
    return;
  }
  const route = fe.route;
  let clientIP = '';
  if (route.needsClient) {
    const peer: { address?: string } = {};
    client.getpeername(peer);
    clientIP = normalizeAddress(peer.address);
  }
  if (!route.allows(clientIP)) {
    route.balancer.rejected++;
    client.reset();
    return;
  }
  new TcpConnection(fe.ctx, route, client, clientIP).dial();
}

/** One proxied client connection. */
class TcpConnection implements Closable {
  up: Tagged | undefined;
  backend: UserspaceBackend | undefined;
  private failed: UserspaceBackend[] | undefined;
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  private connected = false;
  closed = false;
  /** The client's FIN, and the backend's, arrived. */
  private clientEnded = false;
  private upEnded = false;
  /** Where the backend handle reads (kept across dial attempts), and the client's; undefined: Node allocates. */
  upBuffer: Buffer | undefined;
  clientBuffer: Buffer | undefined;
  readonly client: Tagged;

  constructor(
    private readonly ctx: FrontendContext,
    private readonly route: Route,
    client: RawTcp,
    private readonly clientIP: string,
  ) {
    this.client = client as Tagged;
    this.client[kConn] = this;
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
    const up = newSocketHandle() as Tagged;
    up[kConn] = this;
    this.up = up;
    const req = new ConnectWrap();
    req.oncomplete = onConnect;
    const err = b.ip.includes(':') ? up.connect6(req, b.ip, b.port) : up.connect(req, b.ip, b.port);
    if (err !== 0) return this.dialFailed();
    // Reading can start now: libuv reads only once connected, and registering
    // both interests at once spares the event loop an epoll_ctl per connection.
    this.upBuffer ??= upstreamBuffers.take();
    if (this.upBuffer) up.useUserBuffer(this.upBuffer);
    up.onread = onRead;
    up.readStart();
    this.timer = setTimeout(onDialTimeout, this.ctx.dialTimeoutsMs[this.attempt] ?? 2000, this);
  }

  /** The connect attempt finished with `status` (0 or a libuv error). */
  dialed(status: number): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (status < 0) return this.dialFailed();
    const up = this.up!;
    const c = this.client;
    this.connected = true;
    this.backend!.opened();
    c.setNoDelay(true);
    up.setNoDelay(true);
    this.clientBuffer = clientBuffers.take();
    if (this.clientBuffer) c.useUserBuffer(this.clientBuffer);
    c.onread = onRead;
    c.readStart();
  }

  /** The attempt failed or timed out: count it, then try another backend or refuse the client. */
  dialFailed(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const b = this.backend!;
    b.failed('connect_failed');
    (this.failed ??= []).push(b);
    this.route.balancer.forgetClient(this.clientIP);
    // A pending connect completes as cancelled and finds no connection on the handle.
    const up = this.up!;
    up[kConn] = undefined;
    up.close();
    this.up = undefined;
    if (++this.attempt < this.ctx.dialTimeoutsMs.length) this.dial();
    else this.reject();
  }

  /** `from` read `n` bytes: into its own buffer when it has one, else into Node's `arrayBuffer`. Counts and forwards them. */
  received(from: Tagged, arrayBuffer: ArrayBuffer | undefined, n: number): void {
    const fromClient = from === this.client;
    if (fromClient) this.backend!.bytesIn += n;
    else this.backend!.bytesOut += n;
    const own = fromClient ? this.clientBuffer : this.upBuffer;
    this.forward(from, fromClient ? this.up! : this.client, own ? own.subarray(0, n) : Buffer.from(arrayBuffer!, readState[kArrayBufferOffset], n));
  }

  /** Writes what `from` read to the other side; a write left queued stops `from` until it completes. */
  forward(from: Tagged, to: Tagged, buf: Buffer): void {
    const req = new WriteWrap();
    req.handle = to;
    req.oncomplete = onWritten;
    req.async = false;
    if (to.writeBuffer(req, buf) !== 0) return this.close();
    if (readState[kLastWriteWasAsync]) {
      req.buffer = buf;
      from.readStop();
    }
  }

  /** `from` ended with `status`: an orderly FIN goes on as a half-close, anything else closes both. */
  ended(from: Tagged, status: number): void {
    if (status !== UV_EOF) {
      // An established connection broke: the other side sees it broken too.
      if (from === this.up) this.backend!.failed('connection_error');
      return this.close();
    }
    const to = from === this.client ? this.up! : this.client;
    // The second FIN: closing both sends the last FIN (and replaces a shutdown
    // still queued), and loses nothing — a side only reads while no write to
    // the other is queued, and neither has anything unread after its FIN.
    if (from === this.client ? this.upEnded : this.clientEnded) return this.close();
    if (from === this.client) this.clientEnded = true;
    else this.upEnded = true;
    const req = new ShutdownWrap();
    req.handle = to;
    req.oncomplete = onShutDown;
    if (to.shutdown(req) !== 0) this.close();
  }

  /** Closes both handles (queued writes are dropped) and settles the counts. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.client[kConn] = undefined;
    this.client.close();
    if (this.up) {
      this.up[kConn] = undefined;
      this.up.close();
    }
    this.finish();
  }

  destroy(): void {
    this.close();
  }

  private reject(): void {
    // A reset right after accept is as close to REJECT as an accepted socket gets.
    this.closed = true;
    this.client[kConn] = undefined;
    this.client.reset();
    this.finish();
  }

  private finish(): void {
    this.ctx.open.delete(this);
    // Closing stopped both handles' I/O at once: no queued write can still read their buffers.
    if (this.upBuffer) upstreamBuffers.give(this.upBuffer);
    if (this.clientBuffer) clientBuffers.give(this.clientBuffer);
    this.upBuffer = this.clientBuffer = undefined;
    if (this.connected) this.backend!.closed();
  }
}

function onConnect(this: ConnectReq, status: number, handle: RawTcp): void {
  (handle as Tagged)[kConn]?.dialed(status);
}

function onDialTimeout(conn: TcpConnection): void {
  if (!conn.closed) conn.dialFailed();
}

/** Bytes (or the end) from either side; the byte count is in the shared read state. */
function onRead(this: Tagged, arrayBuffer: ArrayBuffer | undefined): void {
  const conn = this[kConn];
  if (!conn) return;
  const n = readState[kReadBytesOrError]!;
  if (n > 0) conn.received(this, arrayBuffer, n);
  else if (n < 0) conn.ended(this, n);
}

function onWritten(this: WriteReq, status: number): void {
  this.buffer = undefined;
  const conn = (this.handle as Tagged)[kConn];
  if (!conn) return;
  if (status < 0) return conn.close();
  // The source of this write stopped reading when it queued; it may read again.
  (this.handle === conn.client ? conn.up! : conn.client).readStart();
}

function onShutDown(this: ShutdownReq, status: number): void {
  if (status < 0) (this.handle as Tagged)[kConn]?.close();
}
