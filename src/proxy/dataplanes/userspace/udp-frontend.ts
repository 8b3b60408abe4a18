/**
 * The UDP listener of one Service address: datagrams from each client address
 * (ip:port) form an association with one backend, through a socket of its own
 * connected to that backend, so replies find their way back; an association ends
 * after `udpIdleTimeoutMs` without traffic, when its backend leaves the route
 * (upstream clears such conntrack entries too), or when its backend answers
 * with ICMP unreachable.
 */
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import { normalizeAddress } from '../../address.js';
import type { UserspaceBackend } from './backend.js';
import type { Closable, FrontendContext } from './context.js';
import type { Route } from './route.js';

/** Datagrams kept while an association's socket is still connecting. */
const MAX_QUEUED = 64;

/**
 * Listens on one UDP `ip:port`. Closing it also ends its associations, since
 * their replies can only leave through this socket.
 */
export class UdpFrontend {
  /** Swapped by each sync. */
  private current: Route;
  private readonly socket: dgram.Socket;
  private readonly assocs = new Map<string, UdpAssociation>();
  private sweeper: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    readonly ip: string,
    readonly port: number,
    route: Route,
    readonly ctx: FrontendContext,
  ) {
    this.current = route;
    this.socket = dgram.createSocket({ type: isIPv6(ip) ? 'udp6' : 'udp4' });
    this.socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
    this.socket.on('error', (err) => ctx.log.warn({ address: `${ip}:${port}`, err: err.message }, 'UDP service listener failed'));
  }

  get route(): Route {
    return this.current;
  }

  /** Swaps the route; associations whose backend is no longer reachable end. */
  set route(r: Route) {
    this.current = r;
    for (const a of this.assocs.values()) if (!r.reaches(a.backend)) a.destroy();
  }

  /** Binds the address; rejects with the bind error. */
  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.socket.once('error', onError);
      this.socket.bind({ address: this.ip, port: this.port, exclusive: true }, () => {
        this.socket.off('error', onError);
        const every = Math.max(50, Math.floor(this.ctx.udpIdleTimeoutMs / 2));
        this.sweeper = setInterval(() => this.sweep(), every);
        this.sweeper.unref();
        resolve();
      });
    });
  }

  /** Closes the socket and every association. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.sweeper) clearInterval(this.sweeper);
    for (const a of [...this.assocs.values()]) a.destroy();
    try {
      this.socket.close();
    } catch {
      // never bound
    }
  }

  /** Sends a backend's reply to the client. */
  reply(msg: Buffer, port: number, address: string): void {
    if (!this.closed) this.socket.send(msg, port, address);
  }

  /** Forgets an ended association. */
  remove(a: UdpAssociation): void {
    if (this.assocs.get(a.key) === a) this.assocs.delete(a.key);
  }

  private onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const key = `${rinfo.address}|${rinfo.port}`;
    let a = this.assocs.get(key);
    if (!a) {
      const route = this.current;
      const client = normalizeAddress(rinfo.address);
      if (!route.allows(client)) {
        route.balancer.rejected++;
        return;
      }
      const b = route.balancer.choose(route.candidates(client), client, route.destination, this.ctx.now());
      if (!b) {
        route.balancer.rejected++;
        return;
      }
      a = new UdpAssociation(this, key, b, rinfo.address, rinfo.port);
      this.assocs.set(key, a);
    }
    a.send(msg, this.ctx.now());
  }

  private sweep(): void {
    const cutoff = this.ctx.now() - this.ctx.udpIdleTimeoutMs;
    for (const a of this.assocs.values()) if (a.last <= cutoff) a.destroy();
  }
}

/** One client address's flow to one backend. */
class UdpAssociation implements Closable {
  last = 0;
  private readonly socket: dgram.Socket;
  private connected = false;
  private queue: Buffer[] | undefined = [];
  private done = false;

  constructor(
    private readonly fe: UdpFrontend,
    readonly key: string,
    readonly backend: UserspaceBackend,
    private readonly clientAddress: string,
    private readonly clientPort: number,
  ) {
    backend.opened();
    fe.ctx.open.add(this);
    this.socket = dgram.createSocket({ type: isIPv6(backend.ip) ? 'udp6' : 'udp4' });
    this.socket.on('message', (reply) => {
      this.last = fe.ctx.now();
      backend.bytesOut += reply.length;
      fe.reply(reply, this.clientPort, this.clientAddress);
    });
    this.socket.on('error', () => {
      // ICMP unreachable on the connected socket: the backend is gone; the next datagram picks another.
      backend.failed('connection_error');
      this.destroy();
    });
    this.socket.connect(backend.port, backend.ip, () => {
      this.connected = true;
      const q = this.queue ?? [];
      this.queue = undefined;
      for (const m of q) this.socket.send(m);
    });
  }

  /** Forwards a client datagram. */
  send(msg: Buffer, now: number): void {
    if (this.done) return;
    this.last = now;
    this.backend.bytesIn += msg.length;
    if (this.connected) this.socket.send(msg);
    else if (this.queue && this.queue.length < MAX_QUEUED) this.queue.push(msg);
  }

  destroy(): void {
    if (this.done) return;
    this.done = true;
    this.fe.remove(this);
    this.fe.ctx.open.delete(this);
    this.backend.closed();
    try {
      this.socket.close();
    } catch {
      // already closed
    }
  }
}
