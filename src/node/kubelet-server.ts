/**
 * The kubelet's streaming server (upstream `pkg/kubelet/server/server.go`):
 * `/containerLogs/{ns}/{pod}/{container}`, `/exec/…`, `/attach/…` and
 * `/portForward/{ns}/{pod}` for the pods of one node agent. The API server
 * reaches it the upstream way, at `<node InternalIP>:<status.daemonEndpoints.kubeletEndpoint.Port>`.
 *
 * Addressing. One agent may run many nodes, each with its own InternalIP on
 * loopback (127.0.1.N). There is ONE `http.Server` per agent and it never
 * listens itself; every served node gets a small `net.Server` bound to
 * `InternalIP:port` that hands its connections to the shared HTTP server
 * (`emit('connection')`). Nodes share one port when they can (the first
 * bind picks it, later nodes reuse it on their own IP) and fall back to a
 * port of their own when another process holds it there; the port is
 * published per node, so the API server never guesses. The address a
 * connection arrived on says which node it is for, so a request for a pod
 * of another node is answered 404, as a real kubelet would. Listeners exist
 * only for agents whose runtime streams (the process runtime): the
 * simulated runtime publishes port 0 and the API server answers for its
 * pods itself, so thousands of simulated nodes cost no sockets.
 *
 * Protocols: logs are plain chunked HTTP; exec and attach speak the
 * WebSocket channel protocols (`v5`/`v4.channel.k8s.io`, `channel.k8s.io`,
 * base64 variants); port-forward speaks SPDY/3.1 tunnelled in a WebSocket
 * (`SPDY/3.1+portforward.k8s.io`, what kubectl 1.31+ sends), plain SPDY
 * after `Upgrade: SPDY/3.1`, and the v4 WebSocket channel protocol.
 * Errors are plain text with the kubelet's wording; the API server turns
 * them into `metav1.Status`.
 */
import http, { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { createWebSocketStream, WebSocketServer, type WebSocket } from 'ws';
import { errorMessage, silentLogger, type Logger } from '../client/logger.js';
import type { ExecIO, Runtime, StreamingRuntime } from './runtime.js';
import { channelCodec, EXEC_PROTOCOLS, execStatus, negotiateProtocol, PORT_FORWARD_PROTOCOLS, PORT_FORWARD_TUNNEL_PROTOCOL, type ExecStatus } from './streaming/channel-protocol.js';
import { execTargetError, findContainerStatus, logInstanceFor, simulatedContainerMessage, type PodContainerStatuses } from './streaming/container-target.js';
import { logOptionsFromQuery, type LogOptions } from './streaming/cri-log.js';
import { serveChannelSession, streamOptionsFromQuery, type StreamOptions } from './streaming/exec-channels.js';
import { openLogStream } from './streaming/log-reader.js';
import { parsePort, servePortForwardChannels, servePortForwardSpdy, type PortForwardTarget } from './streaming/port-forward.js';
import type { SpdySession } from './streaming/spdy-session.js';

/** Options of {@link KubeletServer}. */
export interface KubeletServerOptions {
  /** The runtime whose pods are served. */
  runtime: Runtime & StreamingRuntime;
  /** The agent's view of a pod (its pod informer), by namespace and name. */
  pods: (namespace: string, name: string) => Pod | undefined;
  /** Port to try first for every node. Default 0: the first bind picks a free one. */
  port?: number;
  logger?: Logger;
  /** Milliseconds clock (for `sinceSeconds`). */
  now?: () => number;
}

interface NodeListener {
  node: string;
  server: net.Server;
  port: number;
}

/**
 * A failure with the HTTP status and body the kubelet answers: plain text,
 * like upstream, or — for skiff's own messages on upgrade requests — a
 * `metav1.Status`: kubectl reads a refused upgrade's body as a Status
 * (YAML included), and a text with `: ` in it would decode into an empty one.
 */
class KubeletError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly asStatus = false,
  ) {
    super(message);
  }
}

const REASONS: Record<number, string> = { 400: 'BadRequest', 403: 'Forbidden', 404: 'NotFound', 500: 'InternalError' };

const TRUE = new Set(['1', 't', 'T', 'true', 'TRUE', 'True']);
/** How long an address that could not be bound is left alone. */
const RETRY_BIND_MS = 30_000;

/** Path parts after the verb, decoded; undefined when malformed. */
function pathParts(pathname: string): string[] | undefined {
  try {
    return pathname.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    return undefined;
  }
}

function isWebSocket(req: IncomingMessage): boolean {
  return (req.headers.upgrade ?? '').toLowerCase() === 'websocket' && /(^|,)\s*upgrade\s*(,|$)/i.test(req.headers.connection ?? '');
}

function isSpdyUpgrade(req: IncomingMessage): boolean {
  return (req.headers.upgrade ?? '').toLowerCase().startsWith('spdy/3.1');
}

function offeredProtocols(req: IncomingMessage): string[] {
  return (req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Writes an HTTP error on a raw (upgrade) socket and closes it. */
function rejectSocket(socket: Duplex, code: number, text: string, asStatus: boolean): void {
  const body = Buffer.from(asStatus ? JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: text, reason: REASONS[code] ?? 'InternalError', code }) : text, 'utf8');
  const type = asStatus ? 'application/json' : 'text/plain; charset=utf-8';
  const head = `HTTP/1.1 ${code} ${STATUS_CODES[code] ?? ''}\r\nContent-Type: ${type}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
  socket.end(Buffer.concat([Buffer.from(head, 'latin1'), body]));
}

/**
 * @example
 * const kubelet = new KubeletServer({ runtime, pods: (ns, n) => informer.indexer.get(`${ns}/${n}`) });
 * void kubelet.start(signal);
 * const port = await kubelet.serve('node-1', '127.0.1.1'); // publish as daemonEndpoints.kubeletEndpoint.Port
 */
export class KubeletServer {
  private readonly http: http.Server;
  private readonly wss: WebSocketServer;
  private readonly log: Logger;
  private readonly listeners = new Map<string, NodeListener>();
  private readonly binding = new Map<string, Promise<number>>();
  private readonly sockets = new Set<net.Socket>();
  private readonly chosenProtocol = new WeakMap<IncomingMessage, string>();
  private readonly failedAt = new Map<string, number>();
  private sharedPort: number | undefined;
  private closed = false;

  constructor(private readonly opts: KubeletServerOptions) {
    this.log = opts.logger ?? silentLogger;
    this.http = http.createServer({ requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 5_000 }, (req, res) => void this.onRequest(req, res));
    this.http.timeout = 0;
    this.http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.onUpgrade(req, socket, head));
    this.http.on('connection', (s: net.Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      handleProtocols: (_offered, req) => this.chosenProtocol.get(req) ?? false,
    });
  }

  /**
   * Serves node `node` at `ip` (idempotent) and resolves with the port to
   * publish in the Node's `status.daemonEndpoints.kubeletEndpoint.Port`; 0
   * when `ip` cannot be bound here (e.g. a Node whose InternalIP belongs to
   * another machine) — that is logged and retried after a while, and the
   * node keeps running without logs and exec.
   */
  serve(node: string, ip: string): Promise<number> {
    const existing = this.listeners.get(ip);
    if (existing) {
      existing.node = node;
      return Promise.resolve(existing.port);
    }
    const inflight = this.binding.get(ip);
    if (inflight) return inflight;
    if ((this.failedAt.get(ip) ?? -Infinity) > Date.now() - RETRY_BIND_MS) return Promise.resolve(0);
    const p = this.bind(node, ip)
      .catch((err: unknown) => {
        this.failedAt.set(ip, Date.now());
        this.log.warn({ node, address: ip, err: errorMessage(err) }, 'kubelet server cannot listen for this node: it gets no logs, exec or port-forward');
        return 0;
      })
      .finally(() => this.binding.delete(ip));
    this.binding.set(ip, p);
    return p;
  }

  /** The port published for `ip`, if it is served. */
  portFor(ip: string): number | undefined {
    return this.listeners.get(ip)?.port;
  }

  /** Stops accepting connections for `ip` (open streams finish on their own). */
  unserve(ip: string): void {
    const l = this.listeners.get(ip);
    if (!l) return;
    this.listeners.delete(ip);
    l.server.close();
  }

  /** Runs until `signal` aborts, then closes every listener and connection. */
  async start(signal: AbortSignal): Promise<void> {
    if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    await this.close();
  }

  /** Closes every listener, WebSocket and connection. */
  async close(): Promise<void> {
    this.closed = true;
    for (const ip of [...this.listeners.keys()]) this.unserve(ip);
    for (const ws of this.wss.clients) ws.terminate();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private async bind(node: string, ip: string): Promise<number> {
    if (this.closed) throw new Error(`kubelet server is closed; cannot serve node ${node}`);
    const wanted = this.sharedPort ?? this.opts.port ?? 0;
    let server: net.Server;
    try {
      server = await this.listen(ip, wanted);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || wanted === 0) {
        throw new Error(`kubelet server for node ${node} cannot listen on ${ip}:${wanted}: ${errorMessage(err)}`);
      }
      // Someone else holds the shared port on this IP: this node gets a port of its own.
      server = await this.listen(ip, 0);
    }
    const port = (server.address() as net.AddressInfo).port;
    this.sharedPort ??= port;
    this.failedAt.delete(ip);
    this.listeners.set(ip, { node, server, port });
    this.log.info({ node, address: `${ip}:${port}` }, 'kubelet server listening');
    return port;
  }

  private listen(ip: string, port: number): Promise<net.Server> {
    return new Promise((resolve, reject) => {
      const server = net.createServer((sock) => this.http.emit('connection', sock));
      server.once('error', reject);
      server.listen({ host: ip, port, exclusive: true }, () => {
        server.removeListener('error', reject);
        server.on('error', (err) => this.log.warn({ address: `${ip}:${port}`, err: errorMessage(err) }, 'kubelet listener failed'));
        resolve(server);
      });
    });
  }

  // ---- routing -------------------------------------------------------------

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://kubelet');
    const parts = pathParts(url.pathname);
    try {
      if (!parts) throw new KubeletError(400, `malformed path ${url.pathname}`);
      const [verb, ...rest] = parts;
      switch (verb) {
        case 'healthz':
          res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
          res.end('ok');
          return;
        case 'containerLogs':
          if (req.method !== 'GET') throw new KubeletError(405, 'Method Not Allowed');
          if (rest.length !== 3) throw new KubeletError(404, '404 page not found');
          await this.serveLogs(req, res, rest[0]!, rest[1]!, rest[2]!, url.searchParams);
          return;
        case 'exec':
        case 'attach':
        case 'portForward':
          throw new KubeletError(400, 'Upgrade request required');
        default:
          throw new KubeletError(404, '404 page not found');
      }
    } catch (err) {
      const code = err instanceof KubeletError ? err.code : 500;
      if (!(err instanceof KubeletError)) this.log.error({ path: url.pathname, err: errorMessage(err) }, 'kubelet request failed');
      if (res.headersSent) {
        res.end();
        return;
      }
      res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(errorMessage(err));
    }
  }

  private async onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://kubelet');
    const parts = pathParts(url.pathname);
    socket.on('error', () => socket.destroy());
    try {
      if (!parts) throw new KubeletError(400, `malformed path ${url.pathname}`);
      const [verb, ...rest] = parts;
      if (verb === 'exec' || verb === 'attach') {
        // /exec/{ns}/{pod}/{container} or /exec/{ns}/{pod}/{uid}/{container}
        if (rest.length !== 3 && rest.length !== 4) throw new KubeletError(404, '404 page not found');
        const container = rest[rest.length - 1]!;
        const uid = rest.length === 4 ? rest[2] : undefined;
        await this.serveExec(verb, req, socket, head, rest[0]!, rest[1]!, uid, container, url.searchParams);
        return;
      }
      if (verb === 'portForward') {
        if (rest.length !== 2 && rest.length !== 3) throw new KubeletError(404, '404 page not found');
        this.servePortForward(req, socket, head, rest[0]!, rest[1]!, rest[2], url.searchParams);
        return;
      }
      throw new KubeletError(404, '404 page not found');
    } catch (err) {
      if (!(err instanceof KubeletError)) this.log.error({ path: url.pathname, err: errorMessage(err) }, 'kubelet upgrade failed');
      if (!socket.destroyed && socket.writable) rejectSocket(socket, err instanceof KubeletError ? err.code : 500, errorMessage(err), err instanceof KubeletError ? err.asStatus : true);
    }
  }

  // ---- pods ----------------------------------------------------------------

  /** The pod, when it exists and runs on the node the connection came in for. */
  private findPod(req: IncomingMessage, namespace: string, name: string): Pod | undefined {
    const pod = this.opts.pods(namespace, name);
    if (!pod) return undefined;
    const node = this.listeners.get(req.socket.localAddress ?? '')?.node;
    if (node !== undefined && pod.spec?.nodeName !== node) return undefined;
    return pod;
  }

  private statuses(pod: Pod): PodContainerStatuses | undefined {
    return this.opts.runtime.podStatus(pod) ?? pod.status;
  }

  private containerSpec(pod: Pod, container: string): { image?: string } | undefined {
    const spec = pod.spec;
    return [...(spec?.containers ?? []), ...(spec?.initContainers ?? []), ...(spec?.ephemeralContainers ?? [])].find((c) => c.name === container);
  }

  /** A running container with no log file has no process: skiff simulates it. */
  private isSimulated(pod: Pod, container: string): boolean {
    return !!findContainerStatus(this.statuses(pod), container)?.state?.running && this.opts.runtime.containerLogPath(pod, container, false) === undefined;
  }

  // ---- logs ----------------------------------------------------------------

  private async serveLogs(req: IncomingMessage, res: ServerResponse, namespace: string, name: string, container: string, q: URLSearchParams): Promise<void> {
    const opts = logOptionsFromQuery(q, (this.opts.now ?? Date.now)());
    if (opts instanceof Error) throw new KubeletError(400, opts.message);
    const pod = this.findPod(req, namespace, name);
    if (!pod) throw new KubeletError(404, `pod ${JSON.stringify(name)} does not exist`);
    const spec = this.containerSpec(pod, container);
    if (!spec) throw new KubeletError(404, `container ${JSON.stringify(container)} not found in pod ${JSON.stringify(name)}`);
    const previous = TRUE.has(q.get('previous') ?? '');
    const target = logInstanceFor(name, this.statuses(pod), container, previous);
    if ('error' in target) throw new KubeletError(400, target.error);
    const path = this.opts.runtime.containerLogPath(pod, container, target.instance === 'beforeNewest');
    if (!path) {
      if (!previous && this.isSimulated(pod, container)) throw new KubeletError(400, simulatedContainerMessage(name, container, spec.image ?? '', 'logs'));
      throw new KubeletError(400, previous ? `previous terminated container ${JSON.stringify(container)} in pod ${JSON.stringify(name)} not found` : `container ${JSON.stringify(container)} in pod ${JSON.stringify(name)} has no log file yet`);
    }
    let run: Awaited<ReturnType<typeof openLogStream>>;
    try {
      run = await openLogStream(path, opts);
    } catch (err) {
      throw new KubeletError(400, `failed to open log file ${JSON.stringify(path)}: ${errorMessage(err)}`);
    }
    const abort = new AbortController();
    // The response closes when the client goes away (a request's own 'close' only means its body was read).
    const stop = (): void => abort.abort();
    res.on('close', stop);
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders();
    try {
      await run(
        async (_stream, bytes) => {
          if (!res.write(bytes)) await new Promise<void>((resolve) => {
            const done = (): void => {
              res.removeListener('drain', done);
              res.removeListener('close', done);
              resolve();
            };
            res.once('drain', done);
            res.once('close', done);
          });
        },
        { signal: abort.signal, stillRunning: () => this.stillWriting(pod, container, path) },
      );
    } finally {
      res.removeListener('close', stop);
      if (!res.writableEnded) res.end();
    }
  }

  /** Whether the file at `path` is still the running container's current log. */
  private stillWriting(pod: Pod, container: string, path: string): boolean {
    const current = this.opts.pods(pod.metadata?.namespace ?? '', pod.metadata?.name ?? '');
    if (!current || current.metadata?.uid !== pod.metadata?.uid) return false;
    return !!findContainerStatus(this.statuses(current), container)?.state?.running && this.opts.runtime.containerLogPath(current, container, false) === path;
  }

  // ---- exec and attach -----------------------------------------------------

  private async serveExec(verb: 'exec' | 'attach', req: IncomingMessage, socket: Duplex, head: Buffer, namespace: string, name: string, uid: string | undefined, container: string, q: URLSearchParams): Promise<void> {
    const streams = streamOptionsFromQuery(q);
    if (streams instanceof Error) throw new KubeletError(400, streams.message);
    const command = q.getAll('command');
    if (verb === 'exec' && command.length === 0) throw new KubeletError(400, 'no command given: pass the command to run as one or more command parameters', true);
    const pod = this.findPod(req, namespace, name);
    if (!pod || (uid && pod.metadata?.uid !== uid)) throw new KubeletError(404, 'pod does not exist');
    const spec = this.containerSpec(pod, container);
    const notRunning = spec ? execTargetError(this.statuses(pod), container) : `container not found (${JSON.stringify(container)})`;
    if (notRunning) throw new KubeletError(404, notRunning);
    if (this.isSimulated(pod, container)) throw new KubeletError(400, simulatedContainerMessage(name, container, spec?.image ?? '', verb), true);
    if (verb === 'attach' && streams.stdin) {
      throw new KubeletError(400, `attach with stdin is not supported by skiff: container ${JSON.stringify(container)} in pod ${JSON.stringify(name)} reads no terminal; attach without -i to follow its output, or use kubectl exec -i`, true);
    }
    if (!isWebSocket(req)) {
      throw new KubeletError(400, `skiff's kubelet serves ${verb} over WebSocket (${EXEC_PROTOCOLS.join(', ')}), not ${req.headers.upgrade ?? 'plain HTTP'}: use a client that speaks WebSocket (kubectl 1.30+)`, true);
    }
    const protocol = negotiateProtocol(offeredProtocols(req), EXEC_PROTOCOLS);
    if (protocol === undefined) {
      throw new KubeletError(400, `requested protocol(s) are not supported: [${offeredProtocols(req).join(' ')}]; supports [${EXEC_PROTOCOLS.join(' ')}]`, true);
    }
    // Attach opens the log before the session starts, so output written right after it is not missed.
    const attached = verb === 'attach' ? await this.openAttach(pod, container) : undefined;
    let ws: WebSocket;
    try {
      ws = await this.acceptWebSocket(req, socket, head, protocol);
    } catch (err) {
      // Running the opened log stream with an aborted signal just closes its file.
      await attached?.run(() => undefined, { signal: AbortSignal.abort(), stillRunning: () => false });
      throw err;
    }
    const codec = channelCodec(protocol);
    const run =
      verb === 'exec'
        ? async (io: ExecIO): Promise<ExecStatus> => {
            try {
              return execStatus({ exitCode: await this.opts.runtime.exec(pod, container, command, io), command });
            } catch (err) {
              return execStatus({ error: errorMessage(err) });
            }
          }
        : (io: ExecIO): Promise<ExecStatus> => this.attach(pod, container, streams, io, attached);
    this.log.info({ pod: `${namespace}/${name}`, container, verb, protocol }, `${verb} session started`);
    await serveChannelSession(ws, codec, streams, run);
  }

  /** The running container's log, positioned at its end. */
  private async openAttach(pod: Pod, container: string): Promise<{ path: string; run: Awaited<ReturnType<typeof openLogStream>> } | undefined> {
    const path = this.opts.runtime.containerLogPath(pod, container, false);
    if (!path) return undefined;
    const opts: LogOptions = { follow: true, timestamps: false, tailLines: 0 };
    try {
      return { path, run: await openLogStream(path, opts) };
    } catch (err) {
      throw new KubeletError(500, `failed to open log file ${JSON.stringify(path)}: ${errorMessage(err)}`, true);
    }
  }

  /** Attach without stdin: the container's output from now on, until it stops or the client leaves. */
  private async attach(pod: Pod, container: string, streams: StreamOptions, io: ExecIO, log: Awaited<ReturnType<KubeletServer['openAttach']>>): Promise<ExecStatus> {
    if (!log) return { metadata: {}, status: 'Success' };
    const { path, run } = log;
    await run(
      (stream, bytes) => {
        const out = stream === 'stderr' && !streams.tty ? io.stderr : io.stdout;
        out?.write(bytes);
      },
      { signal: io.signal, stillRunning: () => this.stillWriting(pod, container, path) },
    );
    return { metadata: {}, status: 'Success' };
  }

  private acceptWebSocket(req: IncomingMessage, socket: Duplex, head: Buffer, protocol: string): Promise<WebSocket> {
    this.chosenProtocol.set(req, protocol);
    // `ws` insists on RFC token syntax and would refuse `SPDY/3.1+portforward.k8s.io` (the `/`):
    // the protocol is already negotiated, so hand it a token and answer with the real choice.
    if (protocol) req.headers['sec-websocket-protocol'] = 'negotiated';
    return new Promise((resolve, reject) => {
      // `ws` answers a malformed handshake itself and never calls back: the socket closing ends the wait.
      socket.once('close', () => reject(new KubeletError(400, 'connection closed during the WebSocket handshake')));
      this.wss.handleUpgrade(req, socket, head, (ws) => resolve(ws));
    });
  }

  // ---- port-forward --------------------------------------------------------

  private watchSession(session: SpdySession, where: Record<string, unknown>): void {
    session.on('protocolError', (err: Error) => this.log.warn({ ...where, err: err.message }, 'port-forward session ended on a SPDY protocol error'));
  }

  private servePortForward(req: IncomingMessage, socket: Duplex, head: Buffer, namespace: string, name: string, uid: string | undefined, q: URLSearchParams): void {
    const pod = this.findPod(req, namespace, name);
    if (!pod) throw new KubeletError(404, 'pod does not exist');
    if (uid && pod.metadata?.uid !== uid) throw new KubeletError(404, 'pod not found');
    const podIP = pod.status?.podIP;
    if (!podIP) throw new KubeletError(400, `pod ${JSON.stringify(name)} has no IP address yet (phase ${pod.status?.phase ?? 'Pending'}): nothing to forward to until it runs`, true);
    const target: PortForwardTarget = { podIP, describe: `${name} (uid ${pod.metadata?.uid ?? ''})` };
    const where = { pod: `${namespace}/${name}`, podIP };
    if (isWebSocket(req)) {
      const offered = offeredProtocols(req);
      const protocol = negotiateProtocol(offered, PORT_FORWARD_PROTOCOLS);
      if (protocol === undefined) throw new KubeletError(400, `requested protocol(s) are not supported: [${offered.join(' ')}]; supports [${PORT_FORWARD_PROTOCOLS.join(' ')}]`, true);
      if (protocol === PORT_FORWARD_TUNNEL_PROTOCOL) {
        void this.acceptWebSocket(req, socket, head, protocol).then((ws) => {
          this.log.info({ ...where, protocol }, 'port-forward session started');
          const tunnel = createWebSocketStream(ws);
          tunnel.on('error', () => tunnel.destroy());
          this.watchSession(servePortForwardSpdy(tunnel, target), where);
        });
        return;
      }
      const ports = q
        .getAll('port')
        .flatMap((v) => v.split(','))
        .map((v) => v.trim())
        .filter(Boolean);
      if (!ports.length) throw new KubeletError(400, 'query parameter "port" is required');
      const parsed = ports.map((p) => parsePort(p));
      const bad = ports.find((_p, i) => parsed[i] === undefined);
      if (bad !== undefined) throw new KubeletError(400, `unable to parse ${JSON.stringify(bad)} as a port: must be a number between 1 and 65535`, true);
      void this.acceptWebSocket(req, socket, head, protocol).then((ws) => {
        this.log.info({ ...where, protocol, ports: parsed }, 'port-forward session started');
        void servePortForwardChannels(ws, channelCodec(protocol), parsed as number[], target);
      });
      return;
    }
    if (isSpdyUpgrade(req)) {
      const versions = String(req.headers['x-stream-protocol-version'] ?? '')
        .split(',')
        .map((s) => s.trim());
      if (!versions.includes('portforward.k8s.io')) {
        throw new KubeletError(403, `unable to upgrade: unable to negotiate protocol: client supports [${versions.join(' ')}], server supports [portforward.k8s.io]`, true);
      }
      socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\n\r\n');
      if (head.length) socket.unshift(head);
      this.log.info({ ...where, protocol: 'SPDY/3.1' }, 'port-forward session started');
      this.watchSession(servePortForwardSpdy(socket, target), where);
      return;
    }
    throw new KubeletError(400, 'unable to upgrade: missing upgrade headers in request', true);
  }
}
