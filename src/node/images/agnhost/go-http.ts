/**
 * The parts of Go's net/http behaviour that agnhost clients can observe:
 * content-type sniffing of text bodies, `http.Error`, `http.Redirect` (with its
 * relative-path resolution and HTML body), `ServeMux` path cleaning, `FormValue`
 * (form body before query) and `RemoteAddr`. Pure helpers plus thin writers.
 */
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Server } from 'node:net';
import { cleanPath, htmlEscape } from './go-compat.js';
import { fatalf } from './log.js';
import { joinHostPort, listenErrorText } from './pod-env.js';

const HTML_SIGNATURES = ['<!doctype html', '<html', '<head', '<script', '<iframe', '<h1', '<div', '<font', '<table', '<a', '<style', '<title', '<b', '<body', '<br', '<p', '<!--'];

/**
 * A simplified `http.DetectContentType` for the bodies agnhost writes: HTML
 * when it starts (after whitespace) with an HTML tag, octet-stream when it has
 * binary control bytes, else UTF-8 text.
 *
 * @example
 * sniffContentType('NOW: 2024-…') // → 'text/plain; charset=utf-8'
 */
export function sniffContentType(body: string | Buffer): string {
  const head = (typeof body === 'string' ? body.slice(0, 512) : body.subarray(0, 512).toString('latin1')).replace(/^[\t\n\f\r ]+/, '').toLowerCase();
  for (const sig of HTML_SIGNATURES) {
    if (head.startsWith(sig) && (head.length === sig.length || head[sig.length] === ' ' || head[sig.length] === '>')) return 'text/html; charset=utf-8';
  }
  if (head.startsWith('<?xml')) return 'text/xml; charset=utf-8';
  if (/[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]/.test(head)) return 'application/octet-stream';
  return 'text/plain; charset=utf-8';
}

/** Writes a complete response; a non-empty body without a Content-Type gets a sniffed one, as Go does. */
export function writeBody(res: ServerResponse, status: number, body: string | Buffer = ''): void {
  if (body.length > 0 && !res.hasHeader('content-type')) res.setHeader('Content-Type', sniffContentType(body));
  // An explicit length keeps Node from chunking, as Go does for small bodies.
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.writeHead(status);
  res.end(body);
}

/** `http.Error`: plain text, `nosniff`, the message plus a newline. */
export function writeGoError(res: ServerResponse, message: string, status: number): void {
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  writeBody(res, status, `${message}\n`);
}

/** `http.NotFound`: 404 with `404 page not found`. */
export function writeNotFound(res: ServerResponse): void {
  writeGoError(res, '404 page not found', 404);
}

/**
 * Go's `ServeMux` cleaning of a request path: rooted, `path.Clean`ed, keeping
 * a trailing slash. A request whose path differs gets a 301 to the clean one.
 *
 * @example
 * muxCleanPath('//echo') // → '/echo'
 */
export function muxCleanPath(p: string): string {
  if (p === '') return '/';
  if (!p.startsWith('/')) p = `/${p}`;
  let np = cleanPath(p);
  if (p.endsWith('/') && np !== '/') np = p.length === np.length + 1 && p.startsWith(np) ? p : `${np}/`;
  return np;
}

/**
 * The Location `http.Redirect` sends: an absolute URL or `//host` reference is
 * kept; a relative one is resolved against the request path's directory and
 * cleaned (keeping a trailing slash and the query).
 *
 * @example
 * redirectLocation('/redirect', '/echo?msg=foobar') // → '/echo?msg=foobar'
 * redirectLocation('/a/redirect', '../b/') // → '/b/'
 */
export function redirectLocation(requestPath: string, location: string): string {
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(location) || location.startsWith('//')) return location;
  let url = location;
  if (url === '' || !url.startsWith('/')) {
    const old = requestPath || '/';
    url = old.slice(0, old.lastIndexOf('/') + 1) + url;
  }
  let query = '';
  const q = url.indexOf('?');
  if (q >= 0) {
    query = url.slice(q);
    url = url.slice(0, q);
  }
  const trailing = url.endsWith('/');
  url = cleanPath(url);
  if (trailing && !url.endsWith('/')) url += '/';
  return url + query;
}

/** Go's `hexEscapeNonASCII` for header values (Node also refuses control characters in headers). */
function hexEscapeNonAscii(s: string): string {
  return Array.from(Buffer.from(s, 'utf8'))
    .map((b) => (b < 0x21 || b >= 0x7f ? `%${b.toString(16).padStart(2, '0')}` : String.fromCharCode(b)))
    .join('');
}

/** `http.Redirect`: Location, and for GET a small HTML body naming the status. */
export function writeRedirect(res: ServerResponse, method: string, requestPath: string, location: string, code: number): void {
  const url = redirectLocation(requestPath, location);
  res.setHeader('Location', hexEscapeNonAscii(url));
  if (method === 'GET' || method === 'HEAD') res.setHeader('Content-Type', 'text/html; charset=utf-8');
  const body = method === 'GET' ? `<a href="${htmlEscape(url)}">${STATUS_CODES[code] ?? ''}</a>.\n\n` : '';
  writeBody(res, code, body);
}

const bodies = new WeakMap<IncomingMessage, Promise<Buffer>>();

async function drain(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    if (size < limit) chunks.push(b.subarray(0, limit - size));
    size += b.length;
  }
  return Buffer.concat(chunks);
}

/**
 * Reads a request body up to `limit` bytes (more is cut off). Memoized per
 * request: form parsing and a handler may both need it, as Go keeps the parsed form.
 */
export function readBody(req: IncomingMessage, limit = 32 << 20): Promise<Buffer> {
  let body = bodies.get(req);
  if (!body) {
    body = drain(req, limit);
    bodies.set(req, body);
  }
  return body;
}

/**
 * A request URL as Go sees it: the raw target is a path, so `//echo` stays a
 * path (WHATWG parsing would read `echo` as a host).
 */
export function requestURL(target: string): URL {
  return new URL(`http://agnhost.invalid${target.startsWith('/') ? '' : '/'}${target}`);
}

/** `r.FormValue`: looks a name up in the form body first, then the query; '' when absent. */
export type FormValue = (name: string) => string;

/**
 * `r.FormValue` for a request: for POST, PUT and PATCH an urlencoded or
 * multipart body is read (its text fields win over the query), like Go's
 * `ParseMultipartForm`.
 */
export async function formValues(req: IncomingMessage, url: URL, method: string): Promise<FormValue> {
  const body = new URLSearchParams();
  const type = req.headers['content-type'] ?? '';
  if ((method === 'POST' || method === 'PUT' || method === 'PATCH') && req.method === method) {
    if (type.startsWith('application/x-www-form-urlencoded')) {
      for (const [k, v] of new URLSearchParams((await readBody(req)).toString('utf8'))) body.append(k, v);
    } else if (type.startsWith('multipart/form-data')) {
      try {
        const data = await new Response(await readBody(req), { headers: { 'content-type': type } }).formData();
        for (const [k, v] of data) if (typeof v === 'string') body.append(k, v);
      } catch {
        // A malformed multipart body leaves only the query, as Go's FormValue ignores parse errors.
      }
    }
  }
  return (name) => body.get(name) ?? url.searchParams.get(name) ?? '';
}

/** `r.RemoteAddr`: `ip:port` of the client (`[::1]:port` for IPv6). */
export function remoteAddr(req: IncomingMessage): string {
  const ip = (req.socket.remoteAddress ?? '').replace(/^::ffff:(?=\d+\.)/, '');
  return joinHostPort(ip, req.socket.remotePort ?? 0);
}

/** The request's decoded path (Go's `r.URL.Path`), or undefined when it has a bad escape. */
export function decodedPath(url: URL): string | undefined {
  try {
    return decodeURIComponent(url.pathname);
  } catch {
    return undefined;
  }
}

/** Listens on `host:port`; a failure is fatal with Go's text (`listen tcp …: bind: address already in use`). */
export function listenOrDie(server: Server, host: string, port: number, onListening?: () => void): void {
  server.once('error', (err: NodeJS.ErrnoException) => fatalf(listenErrorText('tcp', host, port, err)));
  server.listen(port, host, onListening);
}
