/**
 * The seam between client logic and the wire. Everything above {@link Transport}
 * (typed clients, informers, work queues) is transport-agnostic: the API server
 * provides an in-process transport that calls its handler directly
 * (`apiserver/local-transport.ts`), and
 * {@link HttpTransport} speaks HTTP(S) to a remote server.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { errorFromResponse } from './status.js';

/** Query values; `undefined` entries are omitted, booleans and numbers are stringified. */
export type QueryParams = Record<string, string | number | boolean | undefined>;

/** One HTTP-shaped request. `path` starts with `/` and carries no query string. */
export interface TransportRequest {
  method: string;
  path: string;
  query?: QueryParams;
  body?: Buffer | string;
  /** Content-Type of `body`; defaults to `application/json` when a body is present. */
  contentType?: string;
  headers?: Record<string, string>;
  /**
   * The caller will not read the body of a successful answer: a transport may leave it
   * out. The port transport does (the bytes are neither copied across threads nor
   * parsed); HTTP reads them and drops them. Error answers always keep their body.
   */
  discardBody?: boolean;
  /**
   * The caller drops `metadata.managedFields` from every object it receives: a transport
   * may leave them out. The port transport cuts them from watch lines before they cross
   * threads; HTTP sends them and the client drops them after parsing.
   */
  trimManagedFields?: boolean;
}

/** A fully read response. Non-2xx responses are returned, not thrown. */
export interface TransportResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/**
 * The wire contract.
 *
 * - `request` resolves with any HTTP status; it rejects only when no response arrived.
 * - `stream` calls `onLine` for every non-empty newline-terminated line of a 2xx
 *   response body (a final unterminated line included), resolves when the server ends
 *   the response or when `signal` aborts (closing the connection), rejects with an
 *   `ApiError` on a non-2xx response and with the underlying error on I/O failure.
 */
export interface Transport {
  request(req: TransportRequest): Promise<TransportResponse>;
  stream(req: TransportRequest, onLine: (line: string) => void, signal: AbortSignal): Promise<void>;
}

/** `?a=1&b=x` (or '') from query params, skipping undefined values. */
export function encodeQuery(query: QueryParams | undefined): string {
  if (!query) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) p.append(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

/**
 * Splits a byte stream into lines. Splitting on the byte 0x0A is safe for UTF-8
 * because no multi-byte sequence contains it, so a character split across chunks
 * is decoded only once its line is complete.
 */
export class LineSplitter {
  private pending: Buffer[] = [];

  constructor(private readonly onLine: (line: string) => void) {}

  /** Feeds one chunk; emits every line it completes. */
  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl < 0) break;
      const part = chunk.subarray(start, nl);
      const line = this.pending.length ? Buffer.concat([...this.pending, part]) : part;
      this.pending = [];
      this.emit(line);
      start = nl + 1;
    }
    if (start < chunk.length) this.pending.push(chunk.subarray(start));
  }

  /** Emits the unterminated tail, if any. */
  end(): void {
    if (this.pending.length) {
      const line = Buffer.concat(this.pending);
      this.pending = [];
      this.emit(line);
    }
  }

  private emit(buf: Buffer): void {
    const line = buf.toString('utf8').replace(/\r$/, '');
    if (line.trim()) this.onLine(line);
  }
}

/** Options of {@link HttpTransport}. */
export interface HttpTransportOptions {
  /** Base URL, e.g. `https://127.0.0.1:6443` (a path prefix is kept). */
  server: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** PEM CA bundle that signs the server certificate. */
  ca?: string | Buffer;
  /** PEM client certificate and key for mutual TLS. */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** Skip server certificate verification (kubeconfig `insecure-skip-tls-verify`). */
  insecureSkipTLSVerify?: boolean;
  /** Per-request timeout for `request` (not `stream`), in ms. Default 60 000; 0 disables. */
  timeoutMs?: number;
  /** User-Agent header. Default `skiff`. */
  userAgent?: string;
  /** A ready agent to use instead of a new keep-alive one. */
  agent?: http.Agent;
}

/**
 * HTTP(S) transport with a keep-alive agent, `Accept: application/json` and an
 * optional bearer token.
 *
 * @example
 * const t = new HttpTransport({ server: 'http://127.0.0.1:8080' });
 * const res = await t.request({ method: 'GET', path: '/api/v1/namespaces' });
 */
export class HttpTransport implements Transport {
  private readonly base: URL;
  private readonly agent: http.Agent;
  private readonly isHttps: boolean;
  private readonly timeoutMs: number;

  constructor(private readonly opts: HttpTransportOptions) {
    this.base = new URL(opts.server);
    this.isHttps = this.base.protocol === 'https:';
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.agent = opts.agent
      ? opts.agent
      : this.isHttps
      ? new https.Agent({
          keepAlive: true,
          ca: opts.ca,
          cert: opts.cert,
          key: opts.key,
          rejectUnauthorized: !opts.insecureSkipTLSVerify,
        })
      : new http.Agent({ keepAlive: true });
  }

  /** Closes idle keep-alive sockets; in-flight requests are not affected. */
  close(): void {
    this.agent.destroy();
  }

  request(req: TransportRequest): Promise<TransportResponse> {
    return new Promise((resolve, reject) => {
      const r = this.open(req, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      r.on('error', reject);
      if (this.timeoutMs > 0) {
        r.setTimeout(this.timeoutMs, () => r.destroy(new Error(`${req.method} ${req.path}: timed out after ${this.timeoutMs}ms`)));
      }
      r.end(req.body);
    });
  }

  stream(req: TransportRequest, onLine: (line: string) => void, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (err?: unknown): void => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        if (err === undefined) resolve();
        else reject(err);
      };
      const onAbort = (): void => {
        r.destroy();
        finish();
      };
      const r = this.open(req, (res) => {
        const code = res.statusCode ?? 0;
        if (code < 200 || code >= 300) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => finish(errorFromResponse(code, Buffer.concat(chunks), req.method, req.path)));
          res.on('error', (e) => finish(e));
          return;
        }
        const splitter = new LineSplitter((line) => {
          if (settled) return;
          try {
            onLine(line);
          } catch (e) {
            r.destroy();
            finish(e);
          }
        });
        res.on('data', (c: Buffer) => splitter.push(c));
        res.on('end', () => {
          splitter.end();
          finish();
        });
        // A connection lost mid-body closes the response without 'end'.
        res.on('close', () => finish(signal.aborted || res.complete ? undefined : new Error(`${req.method} ${req.path}: connection closed before the response ended`)));
        res.on('error', (e) => finish(signal.aborted ? undefined : e));
      });
      r.on('error', (e) => finish(signal.aborted ? undefined : e));
      signal.addEventListener('abort', onAbort, { once: true });
      r.end(req.body);
    });
  }

  private open(req: TransportRequest, onResponse: (res: http.IncomingMessage) => void): http.ClientRequest {
    const basePath = this.base.pathname.replace(/\/$/, '');
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'User-Agent': this.opts.userAgent ?? 'skiff',
      ...req.headers,
    };
    if (this.opts.token) headers['Authorization'] = `Bearer ${this.opts.token}`;
    if (req.body !== undefined) {
      headers['Content-Type'] = req.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(req.body));
    }
    const options: https.RequestOptions = {
      protocol: this.base.protocol,
      hostname: this.base.hostname.replace(/^\[|\]$/g, ''),
      port: this.base.port || (this.isHttps ? 443 : 80),
      method: req.method,
      path: `${basePath}${req.path}${encodeQuery(req.query)}`,
      headers,
      agent: this.agent,
    };
    return this.isHttps ? https.request(options, onResponse) : http.request(options, onResponse);
  }
}
