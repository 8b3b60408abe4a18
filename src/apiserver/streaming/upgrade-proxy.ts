/**
 * The two ways the API server relays a pod stream to a kubelet: a plain GET
 * whose body is streamed through unbuffered (`pods/log`), and an HTTP
 * upgrade (`pods/exec`, `attach`, `portforward`) whose raw sockets are piped
 * together once the kubelet answered 101 — like upstream's
 * `UpgradeAwareHandler`, a kubelet that refuses the upgrade has its response
 * echoed to the client as it is. Upgrade requests reach the route handlers
 * through {@link upgradeResponse}, so they are routed, validated and
 * answered like any other request until the socket is handed over.
 */
import http, { ServerResponse, STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { ApiError, type StatusReason } from '../../api/errors.js';
import type { KubeletLocation } from './kubelet-location.js';

interface Upgrade {
  socket: Duplex;
  head: Buffer;
}

const upgrades = new WeakMap<IncomingMessage, Upgrade>();

/** Longest kubelet error body relayed (upstream `maxReadLength`). */
const MAX_ERROR_BODY = 50_000;

/**
 * A `ServerResponse` for a request that arrived through the server's
 * `upgrade` event, so the normal handler can answer it (errors as Status),
 * or take the socket over with {@link upgradeOf}.
 *
 * @example
 * server.on('upgrade', (req, socket, head) => void api.handle(req, upgradeResponse(req, socket, head)));
 */
export function upgradeResponse(req: IncomingMessage, socket: Duplex, head: Buffer): ServerResponse {
  upgrades.set(req, { socket, head });
  const res = new ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket as Socket);
  socket.on('error', () => socket.destroy());
  res.on('finish', () => {
    res.detachSocket(socket as Socket);
    socket.end();
  });
  return res;
}

/** The raw socket of an upgrade request (see {@link upgradeResponse}), or undefined for a plain request. */
export function upgradeOf(req: IncomingMessage): Upgrade | undefined {
  return upgrades.get(req);
}

const REASONS: Record<number, StatusReason> = { 400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 405: 'MethodNotAllowed', 409: 'Conflict', 422: 'Invalid', 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable', 504: 'Timeout' };

/** A kubelet error response as the API error upstream's `GenericHttpResponseChecker` makes of it. */
export function kubeletError(code: number, body: string): ApiError {
  const text = body.trim();
  if (code === 500) return new ApiError('InternalError', `Internal error occurred: ${text}`, { causes: [{ message: text }] });
  const reason = REASONS[code] ?? 'InternalError';
  return new ApiError(reason, text || `the server responded with the status code ${code} but did not return more information`, undefined, code);
}

/** `Get "http://127.0.1.1:38211/containerLogs/…": dial tcp 127.0.1.1:38211: connect: connection refused (…)` as a 503. */
function unreachable(method: string, loc: KubeletLocation, path: string, node: string, err: unknown): ApiError {
  const e = err as NodeJS.ErrnoException;
  const why = e?.code === 'ECONNREFUSED' ? `dial tcp ${loc.host}:${loc.port}: connect: connection refused` : e?.message ?? String(err);
  const verb = method.charAt(0) + method.slice(1).toLowerCase();
  return new ApiError('ServiceUnavailable', `${verb} "http://${loc.host}:${loc.port}${path}": ${why} (the node agent running node ${JSON.stringify(node)} is not reachable; is it running?)`);
}

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      if (size < MAX_ERROR_BODY) chunks.push(c);
      size += c.length;
    });
    res.on('end', () => resolve(Buffer.concat(chunks).subarray(0, MAX_ERROR_BODY).toString('utf8')));
    res.on('error', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

/**
 * Streams the kubelet's answer to `GET path` into `res` (chunk by chunk,
 * headers flushed at once so `logs -f` starts before the first line);
 * kubelet errors and an unreachable kubelet reject with an ApiError before
 * anything was written. Resolves when the stream ends or the client leaves.
 */
export function proxyGet(res: ServerResponse, loc: KubeletLocation, path: string, node: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const kreq = http.request({ host: loc.host, port: loc.port, path, method: 'GET', agent: false, headers: { accept: 'text/plain, */*' } });
    const abandon = (): void => {
      kreq.destroy();
      resolve();
    };
    // The response closes when the client goes away (or once it is complete).
    res.on('close', abandon);
    kreq.on('error', (err) => {
      if (res.headersSent) {
        res.destroy();
        resolve();
      } else reject(unreachable('GET', loc, path, node, err));
    });
    kreq.on('response', (kres) => {
      const code = kres.statusCode ?? 500;
      if (code < 200 || code > 206) {
        void readBody(kres).then((body) => reject(kubeletError(code, body)));
        return;
      }
      res.writeHead(200, { 'Content-Type': kres.headers['content-type'] ?? 'text/plain', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
      res.flushHeaders();
      kres.pipe(res);
      kres.on('end', () => resolve());
      kres.on('error', () => {
        res.destroy();
        resolve();
      });
    });
    kreq.end();
  });
}

/** Headers that must not travel to the kubelet: the client's credentials are the API server's business. */
const DROP = new Set(['host', 'authorization', 'cookie', 'proxy-authorization', 'impersonate-user', 'impersonate-group']);

/**
 * Relays an upgrade request to the kubelet at `path`. On 101 the kubelet's
 * response head goes to the client and the two sockets are piped until
 * either side closes; any other kubelet response is echoed and the
 * connection closed. Rejects with a 503 ApiError (still answerable through
 * `res`) when the kubelet cannot be reached.
 */
export function proxyUpgrade(req: IncomingMessage, res: ServerResponse, loc: KubeletLocation, path: string, node: string): Promise<void> {
  const up = upgradeOf(req);
  if (!up) return Promise.reject(new ApiError('BadRequest', 'Upgrade request required'));
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !DROP.has(k)) headers[k] = v;
  return new Promise((resolve, reject) => {
    const kreq = http.request({ host: loc.host, port: loc.port, path, method: req.method ?? 'GET', agent: false, headers });
    const client = up.socket;
    const onClientClose = (): void => void kreq.destroy();
    client.once('close', onClientClose);
    kreq.on('error', (err) => {
      client.removeListener('close', onClientClose);
      if (client.destroyed) return resolve();
      reject(unreachable(req.method ?? 'GET', loc, path, node, err));
    });
    kreq.on('upgrade', (kres: IncomingMessage, kubelet: Socket, khead: Buffer) => {
      client.removeListener('close', onClientClose);
      res.detachSocket(client as Socket);
      res.statusCode = 101; // for the request metrics
      const lines = [`HTTP/1.1 ${kres.statusCode ?? 101} ${kres.statusMessage || STATUS_CODES[101]}`];
      for (let i = 0; i + 1 < kres.rawHeaders.length; i += 2) lines.push(`${kres.rawHeaders[i]}: ${kres.rawHeaders[i + 1]}`);
      client.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (khead.length) client.write(khead);
      if (up.head.length) kubelet.write(up.head);
      kubelet.setNoDelay(true);
      const close = (): void => {
        kubelet.destroy();
        client.destroy();
        resolve();
      };
      kubelet.on('error', close);
      client.on('error', close);
      kubelet.on('close', close);
      client.on('close', close);
      kubelet.pipe(client);
      client.pipe(kubelet);
    });
    kreq.on('response', (kres) => {
      client.removeListener('close', onClientClose);
      void readBody(kres).then((body) => {
        res.detachSocket(client as Socket);
        res.statusCode = kres.statusCode ?? 500;
        const text = Buffer.from(body, 'utf8');
        const head =
          `HTTP/1.1 ${kres.statusCode ?? 500} ${kres.statusMessage || STATUS_CODES[kres.statusCode ?? 500] || ''}\r\n` +
          `Content-Type: ${kres.headers['content-type'] ?? 'text/plain; charset=utf-8'}\r\nContent-Length: ${text.length}\r\nConnection: close\r\n\r\n`;
        client.end(Buffer.concat([Buffer.from(head, 'latin1'), text]));
        resolve();
      });
    });
    kreq.end();
  });
}
