/**
 * What every benchmark needs around the server under test: JSON requests over a
 * keep-alive agent, bounded polling, and the server process's peak RSS and CPU
 * time read from /proc.
 */
import http from 'node:http';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const defaultAgent = new http.Agent({ keepAlive: true, maxSockets: 16 });

/** One JSON request; `json` is the parsed body (undefined when empty or not JSON; parsed on first read), `text` the raw one. */
export function request(base: string, method: string, path: string, body?: unknown, agent: http.Agent = defaultAgent): Promise<{ status: number; text: string; json: any }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const headers = { 'Content-Type': 'application/json', Accept: 'application/json', ...(data ? { 'Content-Length': Buffer.byteLength(data) } : {}) };
    const req = http.request(`${base}${path}`, { method, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        // Parsed only when read: timing a 17 MB LIST must not time the client's JSON.parse.
        let parsed: { v: unknown } | undefined;
        resolve({
          status: res.statusCode ?? 0,
          text,
          get json(): any {
            if (!parsed) {
              try {
                parsed = { v: text ? JSON.parse(text) : undefined };
              } catch {
                parsed = { v: undefined };
              }
            }
            return parsed.v;
          },
        });
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

/**
 * Watches `path` (a watch URL without `watch=1`) until an event's object satisfies `done`;
 * resolves with `Date.now()` at that event, so a measurement is not rounded up to a poll
 * interval. Throws after `timeoutMs` saying what it waited for, or when the stream ends first.
 *
 * @example
 * const at = await watchUntil(base, '/apis/apps/v1/namespaces/default/daemonsets?fieldSelector=metadata.name%3Dbench', 'all ready', 60_000, (ds) => ds.status?.numberReady >= 5000);
 */
export function watchUntil(base: string, path: string, what: string, timeoutMs: number, done: (obj: any) => boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const url = `${base}${path}${path.includes('?') ? '&' : '?'}watch=1`;
    let settled = false;
    const finish = (err: Error | undefined, at = Date.now()): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      if (err) reject(err);
      else resolve(at);
    };
    const timer = setTimeout(() => finish(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
    const req = http.get(url, { agent: false, headers: { Accept: 'application/json' } }, (res) => {
      if (res.statusCode !== 200) return finish(new Error(`watch ${path} answered ${res.statusCode} while waiting for ${what}`));
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (!line.trim()) continue;
          const at = Date.now();
          const ev = JSON.parse(line) as { type: string; object: any };
          if (ev.type === 'ERROR') return finish(new Error(`watch ${path} failed while waiting for ${what}: ${ev.object?.message}`));
          if (done(ev.object)) return finish(undefined, at);
        }
      });
      res.on('end', () => finish(new Error(`watch ${path} ended before ${what}`)));
    });
    req.on('error', (err) => finish(err));
  });
}

/** Polls `fn` every `everyMs` until it returns a value; throws after `timeoutMs` saying what it waited for. */
export async function waitFor<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined>, everyMs = 250): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Peak resident memory of process `pid` in MiB (VmHWM). */
export function peakRssMiB(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** CPU seconds (user + system, all threads) process `pid` has used so far. */
export function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/**
 * Calls `op(0)`…`op(n - 1)` with `inFlight` calls outstanding at a time; resolves with the
 * calls per second. The creates/s figure of the API and store benchmarks.
 *
 * @example const perSec = await ratePerSecond(2000, 16, (i) => createPod(i));
 */
export async function ratePerSecond(n: number, inFlight: number, op: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < n) await op(next++);
    }),
  );
  return n / ((Date.now() - t0) / 1000);
}

/**
 * Counts the user-space instructions process `pid` (all its threads) executes
 * until `stop()`, with `perf stat`. The count is the work done, whatever the
 * machine's speed at the moment: on the development machine, wall and CPU time of
 * one benchmark moved up to 2x within minutes while its instruction count stayed
 * within 3 %. `stop()` resolves undefined where perf is missing or not allowed
 * (kernel.perf_event_paranoid), so the number is optional.
 */
export function countInstructions(pid: number): { stop(): Promise<number | undefined> } {
  const out = join(mkdtempSync(join(tmpdir(), 'skiff-perf-')), 'stat.csv');
  let child: ChildProcess | undefined;
  try {
    child = spawn('perf', ['stat', '-x', ',', '-e', 'instructions:u', '-p', String(pid), '-o', out], { stdio: 'ignore' });
    child.on('error', () => {});
  } catch {
    child = undefined;
  }
  return {
    async stop() {
      if (!child || child.exitCode !== null || child.pid === undefined) return undefined;
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGINT');
      const timer = setTimeout(() => child!.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
      try {
        const line = readFileSync(out, 'utf8').split('\n').find((l) => l.includes('instructions'));
        const n = Number(line?.split(',')[0]);
        return Number.isFinite(n) && n > 0 ? n : undefined;
      } catch {
        return undefined;
      } finally {
        rmSync(dirname(out), { recursive: true, force: true });
      }
    },
  };
}
