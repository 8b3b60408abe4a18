/**
 * The in-process client transport: requests go straight into the API server's
 * request handler as small request/response objects, with no HTTP framing, no
 * parser and no socket on either side. Everything above the transport (status
 * codes, headers, JSON bodies, watch lines) is exactly what the HTTP transport
 * sees, so controllers behave the same in one process and across machines.
 *
 * Only the subset of `IncomingMessage` / `ServerResponse` the API server's
 * handler uses is implemented: method, url, headers and the body (handed to
 * `readBody` whole) on the request; `writeHead`, `write`, `end`, `flushHeaders`, `headersSent`,
 * `statusCode` and the `close` event on the response.
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorFromResponse } from '../client/status.js';
import { LOCAL_BODY } from './http.js';
import { encodeQuery, type Transport, type TransportRequest, type TransportResponse } from '../client/transport.js';

/** What the transport needs of the server: its request handler. */
export interface RequestHandler {
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

type Headers = Record<string, string | string[] | undefined>;

/** The response side handed to the handler; reports to the transport through callbacks. */
class LocalResponse extends EventEmitter {
  statusCode = 200;
  headersSent = false;
  private headers: Headers = {};

  constructor(
    private readonly onHead: (status: number, headers: Headers) => void,
    private readonly onData: (chunk: string | Buffer) => void,
    private readonly onEnd: () => void,
  ) {
    super();
  }

  writeHead(status: number, headers?: Record<string, string | number | string[]>): this {
    this.statusCode = status;
    if (headers) for (const [k, v] of Object.entries(headers)) this.headers[k.toLowerCase()] = typeof v === 'number' ? String(v) : v;
    return this;
  }

  flushHeaders(): void {
    this.sendHead();
  }

  write(chunk: string | Buffer): boolean {
    this.sendHead();
    this.onData(chunk);
    return true;
  }

  end(chunk?: string | Buffer): this {
    this.sendHead();
    if (chunk !== undefined && chunk.length) this.onData(chunk);
    this.onEnd();
    return this;
  }

  private sendHead(): void {
    if (this.headersSent) return;
    this.headersSent = true;
    this.onHead(this.statusCode, this.headers);
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * The request side: method, url, lower-cased headers, and the whole body where
 * `readBody` takes it ({@link LOCAL_BODY}); `close` is emitted when the client goes away.
 */
class LocalRequest extends EventEmitter {
  readonly headers: Headers;
  readonly url: string;
  readonly method: string;
  readonly [LOCAL_BODY]: Buffer;

  constructor(t: TransportRequest, userAgent: string) {
    super();
    this.method = t.method;
    this.url = `${t.path}${encodeQuery(t.query)}`;
    const headers: Headers = { accept: 'application/json', 'user-agent': userAgent };
    for (const [k, v] of Object.entries(t.headers ?? {})) headers[k.toLowerCase()] = v;
    if (t.body !== undefined) {
      const body = typeof t.body === 'string' ? Buffer.from(t.body) : t.body;
      headers['content-type'] = t.contentType ?? 'application/json';
      headers['content-length'] = String(body.length);
      this[LOCAL_BODY] = body;
    } else {
      this[LOCAL_BODY] = EMPTY;
    }
    this.headers = headers;
  }

  /** What a handler refusing a body calls on a stream; there is nothing to drain. */
  resume(): this {
    return this;
  }
}

/**
 * A {@link Transport} that calls the API server's handler in memory.
 *
 * @example
 * const client = new Client(new LocalTransport(apiServer, { userAgent: 'skiff-controller-manager' }));
 */
export class LocalTransport implements Transport {
  private readonly userAgent: string;
  private readonly open = new Set<() => void>();

  constructor(private readonly server: RequestHandler, opts: { userAgent?: string } = {}) {
    this.userAgent = opts.userAgent ?? 'skiff';
  }

  request(t: TransportRequest): Promise<TransportResponse> {
    return new Promise((resolve, reject) => {
      let status = 0;
      let headers: Headers = {};
      const chunks: Buffer[] = [];
      const res = new LocalResponse(
        (s, h) => {
          status = s;
          headers = h;
        },
        (c) => chunks.push(typeof c === 'string' ? Buffer.from(c) : c),
        () => resolve({ status, headers, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) }),
      );
      this.server.handle(new LocalRequest(t, this.userAgent) as unknown as IncomingMessage, res as unknown as ServerResponse).catch(reject);
    });
  }

  stream(t: TransportRequest, onLine: (line: string) => void, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const req = new LocalRequest(t, this.userAgent);
      let settled = false;
      let failed = false;
      let status = 0;
      let pending = '';
      const errorBody: Buffer[] = [];
      const finish = (err?: unknown): void => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', close);
        this.open.delete(close);
        if (err === undefined) resolve();
        else reject(err);
      };
      // The client going away: the handler sees `close` on both sides, as with a socket.
      const close = (): void => {
        if (settled) return;
        finish();
        req.emit('close');
        res.emit('close');
      };
      const emit = (line: string): void => {
        if (settled) return;
        const l = line.endsWith('\r') ? line.slice(0, -1) : line;
        if (!l.trim()) return;
        try {
          onLine(l);
        } catch (e) {
          finish(e);
          req.emit('close');
          res.emit('close');
        }
      };
      const res = new LocalResponse(
        (s) => {
          status = s;
          failed = s < 200 || s >= 300;
        },
        (c) => {
          if (failed) {
            errorBody.push(typeof c === 'string' ? Buffer.from(c) : c);
            return;
          }
          let text = pending + (typeof c === 'string' ? c : c.toString('utf8'));
          let nl = text.indexOf('\n');
          while (nl >= 0 && !settled) {
            emit(text.slice(0, nl));
            text = text.slice(nl + 1);
            nl = text.indexOf('\n');
          }
          pending = text;
        },
        () => {
          if (failed) return finish(errorFromResponse(status, Buffer.concat(errorBody), t.method, t.path));
          if (pending) emit(pending);
          pending = '';
          finish();
        },
      );
      signal.addEventListener('abort', close, { once: true });
      this.open.add(close);
      this.server.handle(req as unknown as IncomingMessage, res as unknown as ServerResponse).catch((e: unknown) => finish(e));
    });
  }

  /** Ends every open stream, as closing a connection pool would. */
  close(): void {
    for (const c of [...this.open]) c();
  }
}
