/**
 * Raw HTTP helpers for wire-level API tests: one request with a bounded wait,
 * and a watch stream reader that hands out newline-delimited JSON events one at
 * a time. Nothing here knows about skiff; it speaks plain HTTP to a URL.
 */
import http from 'node:http';

/** What came back from one request; `json` is undefined when the body is not JSON. */
export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: any;
}

export interface RawRequestOptions {
  /** A string or Buffer is sent as is; anything else is JSON-encoded. */
  body?: unknown;
  /** Content-Type for the body; default `application/json`. `null` sends none. */
  contentType?: string | null;
  headers?: Record<string, string>;
  /** Default 10 s. */
  timeoutMs?: number;
}

/** Sends one request and resolves with the whole response; rejects after `timeoutMs`. */
export function rawRequest(baseUrl: string, method: string, path: string, o: RawRequestOptions = {}): Promise<RawResponse> {
  const timeoutMs = o.timeoutMs ?? 10_000;
  let payload: Buffer | undefined;
  if (o.body !== undefined) {
    payload = Buffer.isBuffer(o.body) ? o.body : Buffer.from(typeof o.body === 'string' ? o.body : JSON.stringify(o.body));
  }
  const headers: Record<string, string> = { accept: 'application/json', ...o.headers };
  if (payload) {
    headers['content-length'] = String(payload.length);
    const ct = o.contentType === undefined ? 'application/json' : o.contentType;
    if (ct !== null) headers['content-type'] = ct;
  }
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(path, baseUrl), { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('error', reject);
      res.on('end', () => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`${method} ${path}: no complete response within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${method} ${path}: ${err.message}`));
    });
    if (payload) req.write(payload);
    req.end();
  });
}

/** One decoded watch event. */
export interface WatchEvent {
  type: string;
  object: any;
}

/** An open watch stream. Always `close()` it. */
export interface RawWatch {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Every event received so far, in order. */
  events: WatchEvent[];
  /** Raw chunks as they arrived, for framing checks. */
  chunks: string[];
  /** Next not yet taken event; rejects after `timeoutMs` (default 10 s) or when the stream ends first. */
  next(timeoutMs?: number): Promise<WatchEvent>;
  /** Takes events until `pred` matches one, returning all taken (the matching one last). */
  until(what: string, pred: (e: WatchEvent) => boolean, timeoutMs?: number): Promise<WatchEvent[]>;
  /** Waits `ms` and returns whatever events arrived but were not yet taken. */
  drain(ms: number): Promise<WatchEvent[]>;
  /** Resolves when the server ends the stream (never rejects). */
  ended: Promise<void>;
  isEnded(): boolean;
  close(): void;
}

/** Opens a watch (any GET that streams JSON lines); resolves once response headers arrive. */
export function openWatch(baseUrl: string, path: string, headers: Record<string, string> = {}, timeoutMs = 10_000): Promise<RawWatch> {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(path, baseUrl), { method: 'GET', headers: { accept: 'application/json', ...headers }, agent: false });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`watch ${path}: no response headers within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`watch ${path}: ${err.message}`));
    });
    req.on('response', (res) => {
      clearTimeout(timer);
      const events: WatchEvent[] = [];
      const chunks: string[] = [];
      let taken = 0;
      let buf = '';
      let ended = false;
      let parseError: Error | undefined;
      let wake: (() => void) | undefined;
      let endResolve!: () => void;
      const endedP = new Promise<void>((r) => (endResolve = r));
      const notify = (): void => {
        const w = wake;
        wake = undefined;
        w?.();
      };
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        chunks.push(d);
        buf += d;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i).trim();
          buf = buf.slice(i + 1);
          if (!line) continue;
          try {
            events.push(JSON.parse(line) as WatchEvent);
          } catch {
            parseError = new Error(`watch ${path}: line is not JSON: ${line.slice(0, 200)}`);
          }
        }
        notify();
      });
      const finish = (): void => {
        if (ended) return;
        ended = true;
        if (buf.trim()) {
          try {
            events.push(JSON.parse(buf) as WatchEvent);
          } catch {
            parseError = new Error(`watch ${path}: trailing data is not JSON: ${buf.slice(0, 200)}`);
          }
        }
        endResolve();
        notify();
      };
      res.on('end', finish);
      res.on('close', finish);
      res.on('error', finish);
      const waitChange = (deadline: number): Promise<boolean> =>
        new Promise((r) => {
          const t = setTimeout(() => {
            wake = undefined;
            r(false);
          }, Math.max(0, deadline - Date.now()));
          wake = () => {
            clearTimeout(t);
            r(true);
          };
        });
      const w: RawWatch = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        events,
        chunks,
        async next(ms = 10_000) {
          const deadline = Date.now() + ms;
          for (;;) {
            if (parseError) throw parseError;
            if (taken < events.length) return events[taken++]!;
            if (ended) throw new Error(`watch ${path}: stream ended before the next event (got ${events.length}: ${summary(events)})`);
            if (!(await waitChange(deadline))) throw new Error(`watch ${path}: no event within ${ms} ms (got so far: ${summary(events)})`);
          }
        },
        async until(what, pred, ms = 10_000) {
          const deadline = Date.now() + ms;
          const out: WatchEvent[] = [];
          for (;;) {
            const e = await w.next(Math.max(1, deadline - Date.now())).catch((err: Error) => {
              throw new Error(`waiting for ${what}: ${err.message}`);
            });
            out.push(e);
            if (pred(e)) return out;
          }
        },
        async drain(ms) {
          await new Promise((r) => setTimeout(r, ms));
          if (parseError) throw parseError;
          const out = events.slice(taken);
          taken = events.length;
          return out;
        },
        ended: endedP,
        isEnded: () => ended,
        close() {
          req.destroy();
          res.destroy();
        },
      };
      resolve(w);
    });
    req.end();
  });
}

/** `TYPE name@rv` for each event, for failure messages. */
export function summary(events: WatchEvent[]): string {
  return (
    events
      .map((e) => `${e.type} ${e.object?.metadata?.name ?? e.object?.reason ?? e.object?.kind ?? '?'}@${e.object?.metadata?.resourceVersion ?? ''}`)
      .join(', ') || '(none)'
  );
}
