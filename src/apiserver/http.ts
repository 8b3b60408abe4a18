/**
 * Small HTTP helpers for the API server: reading bounded bodies, writing JSON
 * and `metav1.Status` responses, the `Warning` header format, and parsing the
 * boolean query values Go's `strconv.ParseBool` accepts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, internalError } from '../api/errors.js';

/** Largest request body accepted (upstream: 3 MiB). */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

/**
 * Where an in-process request (local-transport.ts) carries its whole body: such a
 * request is no stream, so its body is read with no chunks, events or copies.
 */
export const LOCAL_BODY = Symbol('skiff.localBody');

/** Reads the whole body; 413 past `limit`. */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const local = (req as IncomingMessage & { [LOCAL_BODY]?: Buffer })[LOCAL_BODY];
  if (local !== undefined) {
    return local.length > limit ? Promise.reject(new ApiError('RequestEntityTooLarge', `Request entity too large: limit is ${limit}`)) : Promise.resolve(local);
  }
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      req.resume();
      reject(new ApiError('RequestEntityTooLarge', `Request entity too large: limit is ${limit}`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > limit) {
        failed = true;
        reject(new ApiError('RequestEntityTooLarge', `Request entity too large: limit is ${limit}`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on('error', (e) => {
      if (!failed) reject(e);
    });
  });
}

/** Writes a JSON body with the given status code. */
export function sendJSON(res: ServerResponse, code: number, body: unknown, contentType = 'application/json', extraHeaders: Record<string, string | string[]> = {}): void {
  // One UTF-8 encoding pass: the buffer gives both the length and the bytes.
  const buf = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8');
  res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': buf.length, ...extraHeaders });
  res.end(buf);
}

/** Turns any thrown value into a Status response (unknown errors become 500s, logged). */
export function sendError(res: ServerResponse, err: unknown): void {
  const e = err instanceof ApiError ? err : internalError(err);
  if (!(err instanceof ApiError)) console.error('apiserver: internal error:', err);
  if (res.headersSent) {
    res.end();
    return;
  }
  sendJSON(res, e.code, e.toStatus());
}

/** `Warning: 299 - "text"` with quotes and backslashes escaped, as kubectl requires. */
export function warningHeader(text: string): string {
  return `299 - "${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Go's `strconv.ParseBool` truth values (the Python client sends `watch=True`). */
export function parseBool(v: string | null | undefined): boolean {
  return v === '1' || v === 't' || v === 'T' || v === 'true' || v === 'TRUE' || v === 'True';
}
