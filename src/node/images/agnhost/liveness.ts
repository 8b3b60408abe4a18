/**
 * `agnhost liveness`: an HTTP server on :8080 whose `/healthz` is healthy for
 * the first 10 s and fails with 500 afterwards, plus upstream's helper
 * endpoints for probe tests (`/started`, `/redirect?loc=`, `/sleep-headers`,
 * `/sleep-body`, `/slow-response`, `/disconnect-headers`, `/disconnect-body`).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { FlagSpecs, FlagValues } from './flags.js';
import { formatGoDuration } from './go-compat.js';
import { decodedPath, listenOrDie, requestURL, writeBody, writeGoError, writeNotFound, writeRedirect } from './go-http.js';
import { bindAddress } from './pod-env.js';

/** liveness has no flags. */
export const flagSpecs: FlagSpecs = {};

interface Params {
  statusCode: number;
  sleepSec: number;
  bodySize: number;
  writeInterval: number;
}

/** Query parameters of the sleep/disconnect endpoints (`code` 500, `time`, `size` in KiB, `interval`), or an error text. */
export function parseLivenessParams(q: URLSearchParams): Params | string {
  const names: [keyof Params, string, number][] = [
    ['statusCode', 'code', 500],
    ['sleepSec', 'time', 0],
    ['bodySize', 'size', 0],
    ['writeInterval', 'interval', 0],
  ];
  const out = {} as Params;
  for (const [field, name, def] of names) {
    const v = q.get(name) ?? '';
    if (v === '') out[field] = def;
    else if (/^[+-]?\d+$/.test(v)) out[field] = Number(v);
    else return `parameter '${name}' is invalid: strconv.Atoi: parsing ${JSON.stringify(v)}: invalid syntax`;
  }
  return out;
}

/**
 * `/healthz` of the liveness server: healthy for the first 10 s of its life,
 * then 500 with the age in seconds.
 *
 * @example
 * livenessHealth(3) // → { status: 200, body: 'ok' }
 * livenessHealth(10.5) // → { status: 500, body: 'error: 10.5' }
 */
export function livenessHealth(ageSeconds: number): { status: number; body: string } {
  return ageSeconds > 10 ? { status: 500, body: `error: ${ageSeconds}` } : { status: 200, body: 'ok' };
}

const sleep = (s: number): Promise<void> => new Promise((r) => setTimeout(r, s * 1000));

/** `size` KiB of hex noise, optionally pausing `interval` s before each KiB. */
async function writeNoise(res: ServerResponse, size: number, interval: number): Promise<void> {
  for (let kb = 0; kb < size; kb++) {
    if (interval > 0) await sleep(interval);
    let chunk = '';
    for (let b = 0; b < 1024; b += 16) chunk += randomBytes(8).readBigUInt64BE().toString(16).padStart(16, ' ');
    res.write(chunk);
  }
}

/** Starts the server on the pod IP, port 8080. */
export function run(_flags: FlagValues): void {
  const started = process.hrtime.bigint();
  const elapsedNs = (): number => Number(process.hrtime.bigint() - started);
  const server = createServer((req, res) => {
    const url = requestURL(req.url ?? '/');
    const path = decodedPath(url);
    const withParams = (fn: (p: Params) => Promise<void>): void => {
      const p = parseLivenessParams(url.searchParams);
      if (typeof p === 'string') {
        writeGoError(res, p, 400);
        return;
      }
      fn(p).catch(() => res.destroy());
    };
    switch (path) {
      case '/started':
        writeBody(res, 200, formatGoDuration(elapsedNs()));
        return;
      case '/healthz': {
        const { status, body } = livenessHealth(elapsedNs() / 1e9);
        writeBody(res, status, body);
        return;
      }
      case '/redirect': {
        // Upstream unescapes `loc` once more after the query parsing did.
        const raw = url.searchParams.get('loc') ?? '';
        let loc: string;
        try {
          loc = decodeURIComponent(raw.replace(/\+/g, ' '));
        } catch {
          writeGoError(res, `invalid redirect: ${JSON.stringify(raw)}`, 400);
          return;
        }
        writeRedirect(res, req.method ?? 'GET', path, loc, 302);
        return;
      }
      case '/sleep-headers':
        return withParams(async (p) => {
          if (p.sleepSec > 0) await sleep(p.sleepSec);
          res.writeHead(p.statusCode);
          res.write(`Slept for ${p.sleepSec} secs\n`);
          await writeNoise(res, p.bodySize, 0);
          res.end();
        });
      case '/disconnect-headers':
        req.socket.destroy();
        return;
      case '/sleep-body':
        return withParams(async (p) => {
          res.writeHead(p.statusCode);
          await writeNoise(res, p.bodySize, p.writeInterval);
          res.write(`Sleeping for ${p.sleepSec} secs\n`);
          if (p.sleepSec > 0) await sleep(p.sleepSec);
          res.end(`Slept for ${p.sleepSec} secs\n`);
        });
      case '/disconnect-body':
        return withParams(async (p) => {
          res.writeHead(p.statusCode);
          await writeNoise(res, p.bodySize, 0);
          res.write('Disconnecting\n', () => req.socket.destroy());
        });
      case '/slow-response':
        return withParams(async (p) => {
          res.writeHead(p.statusCode);
          await writeNoise(res, p.bodySize, p.writeInterval);
          res.end();
        });
      default:
        writeNotFound(res);
    }
  });
  listenOrDie(server, bindAddress(), 8080);
}
