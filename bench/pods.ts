/**
 * Pod startup benchmark: `skiff up` with the process runtime (3 nodes) in its
 * own process, 100 agnhost `pause` pods created through the API, and for each
 * the time from sending its create request to the first watch event showing
 * it Running and Ready — upstream's pod startup latency SLI (schedulable
 * stateless pods, no image pull, observed by watch). Prints p50, p99 and max.
 *
 * Options: `--pods N` (default `BENCH_POD_COUNT`, else 100; 30 with
 * `--quick`), `--pod-rate R` pods per second (default
 * 5, the rate at which upstream's density test created its latency pods; 0
 * creates them all at once — then the numbers include queueing behind the
 * whole burst), `--from dist|src`: run the compiled CLI as `bin/skiff.js`
 * does (default when `dist/` is built), or the TypeScript sources through tsx
 * — then every agnhost container is a `node --import tsx` process too, which
 * costs several times the CPU to start. The anchor is upstream's SLO: p99 ≤
 * 5 s; skiff's goal is p99 ≤ 1 s.
 */
import http from 'node:http';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { peakRssMiB, request } from './http.js';
import { makeRow, type BenchRow } from './row.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { startServerProcess } from './server-process.js';

const ROOT = new URL('..', import.meta.url).pathname;

const NS = 'default';
const LABEL = 'skiff-bench=pods';

function stringOption(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const v = Number(i > 0 ? process.argv[i + 1] : NaN);
  return Number.isFinite(v) ? v : fallback;
}

function isRunningAndReady(p: Pod): boolean {
  return p.status?.phase === 'Running' && (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Nearest-rank percentile of sorted `xs` (`q` in 0..1). */
function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/**
 * Watches pods with the bench label from `resourceVersion` and calls
 * `onReady(name, ms)` (ms = `performance.now()`) the first time each is seen
 * Running and Ready. Returns a function that closes the watch.
 */
function watchReady(base: string, resourceVersion: string, onReady: (name: string, at: number) => void, onError: (err: Error) => void): () => void {
  const seen = new Set<string>();
  const req = http.get(`${base}/api/v1/namespaces/${NS}/pods?watch=true&labelSelector=${encodeURIComponent(LABEL)}&resourceVersion=${resourceVersion}&allowWatchBookmarks=false`, { agent: false }, (res) => {
    if (res.statusCode !== 200) {
      onError(new Error(`watch of pods returned HTTP ${res.statusCode}`));
      return;
    }
    let buf = '';
    res.on('data', (d: Buffer) => {
      const at = performance.now();
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        if (!line) continue;
        const ev = JSON.parse(line) as { type: string; object: Pod };
        const name = ev.object.metadata?.name ?? '';
        if ((ev.type === 'ADDED' || ev.type === 'MODIFIED') && !seen.has(name) && isRunningAndReady(ev.object)) {
          seen.add(name);
          onReady(name, at);
        }
      }
    });
  });
  req.on('error', (err) => {
    if (!closed) onError(err);
  });
  let closed = false;
  return () => {
    closed = true;
    req.destroy();
  };
}


const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs the pod startup benchmark (30 pods with `--quick`), prints its table and returns its rows. */
export async function benchPods(): Promise<BenchRow[]> {
  const count = option('--pods', Number(process.env.BENCH_POD_COUNT ?? (process.argv.includes('--quick') ? 30 : 100)));
  const rate = option('--pod-rate', Number(process.env.BENCH_POD_RATE ?? 5));
  const from = stringOption('--from') ?? process.env.BENCH_FROM ?? (existsSync(join(ROOT, 'dist/cli/main.js')) ? 'dist' : 'src');
  if (from !== 'dist' && from !== 'src') throw new Error(`--from must be dist or src, not ${JSON.stringify(from)}`);
  // No proxy, no cluster DNS: the kubelet does not wait for either to start a pod, and they would
  // take ports that a cluster running beside the benchmark may hold.
  const args = ['--nodes', '3', '--runtime', 'process', '--proxy-mode', 'none', '--cluster-dns', 'off'];
  const srv = from === 'dist' ? await startServerProcess('memory', args, { fromDist: true }) : await startServerProcess('memory', args);
  let stopWatch = (): void => {};
  try {
    const base = srv.url;
    const t0 = Date.now();
    for (;;) {
      const r = await request(base, 'GET', '/api/v1/nodes');
      const ready = ((r.json?.items ?? []) as { status?: { conditions?: { type: string; status: string }[] } }[]).filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
      if (ready >= 3) break;
      if (Date.now() - t0 > 60_000) throw new Error(`only ${ready} of 3 nodes Ready after 60 s`);
      await sleep(200);
    }
    const list = await request(base, 'GET', `/api/v1/namespaces/${NS}/pods?labelSelector=${encodeURIComponent(LABEL)}`);
    const sent = new Map<string, number>();
    const readyAt = new Map<string, number>();
    let watchError: Error | undefined;
    let allReady: () => void = () => {};
    const done = new Promise<void>((r) => (allReady = r));
    stopWatch = watchReady(
      base,
      String(list.json?.metadata?.resourceVersion ?? '0'),
      (name, at) => {
        readyAt.set(name, at);
        if (readyAt.size >= count) allReady();
      },
      (err) => {
        watchError = err;
        allReady();
      },
    );
    // Give the watch a moment to be established before the first create.
    await sleep(200);
    const creates: Promise<void>[] = [];
    const start = performance.now();
    for (let i = 0; i < count; i++) {
      if (rate > 0) {
        const due = start + (i * 1000) / rate;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
      }
      const name = `bench-pod-${i}`;
      const pod: Pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: NS, labels: { 'skiff-bench': 'pods' } },
        spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'pause', image: 'registry.k8s.io/e2e-test-images/agnhost:2.53', args: ['pause'] }] },
      };
      sent.set(name, performance.now());
      creates.push(
        request(base, 'POST', `/api/v1/namespaces/${NS}/pods`, pod).then((r) => {
          if (r.status !== 201) throw new Error(`creating pod ${name} returned HTTP ${r.status}: ${JSON.stringify(r.json?.message ?? r.json)}`);
        }),
      );
    }
    await Promise.all(creates);
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 180_000).unref());
    if ((await Promise.race([done, timeout])) === 'timeout') throw new Error(`only ${readyAt.size} of ${count} pods were Running and Ready within 180 s of the last create`);
    if (watchError) throw new Error(`the pod watch failed: ${watchError.message}`);
    const wall = (performance.now() - start) / 1000;
    const lat = [...sent].map(([n, t]) => readyAt.get(n)! - t).sort((a, b) => a - b);
    const p50 = percentile(lat, 0.5);
    const p99 = percentile(lat, 0.99);
    const max = lat[lat.length - 1]!;
    const ms = (v: number): string => `${v.toFixed(0)} ms`;
    const rows: [string, string, string, string][] = [
      ['measure', 'skiff', 'goal', 'upstream SLO (anchor)'],
      [`pod startup p50 (${count} agnhost pause pods)`, ms(p50), '', ''],
      [`pod startup p99`, ms(p99), '<= 1000 ms', `<= 5000 ms (SLO / skiff p99 = ${(5000 / p99).toFixed(1)}x)`],
      ['pod startup max', ms(max), '', ''],
      ['create rate', rate > 0 ? `${rate}/s` : 'all at once', '', ''],
      ['skiff run from', from === 'dist' ? 'dist/ (as bin/skiff.js)' : 'src/ through tsx', '', ''],
      [`all ${count} Running and Ready`, `${wall.toFixed(1)} s`, '', ''],
      ['server peak RSS (without pod processes)', `${peakRssMiB(srv.pid).toFixed(0)} MiB`, '', ''],
    ];
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
    console.log(`p99 ${p99 <= 1000 ? 'meets' : 'misses'} the goal of 1 s; latency = create request sent → first watch event with phase Running and Ready=True`);
    const g = 'pods';
    const cond = `${count} agnhost pause pods, ${rate > 0 ? `${rate}/s` : 'all at once'}, 3 process-runtime nodes`;
    return [
      makeRow({ group: g, measure: `pod startup p50 (${cond})`, skiff: p50, unit: 'ms' }),
      makeRow({ group: g, measure: 'pod startup p99', skiff: p99, unit: 'ms', max: 1000, goal: '<= 1000 ms (upstream SLO: <= 5000 ms)' }),
      makeRow({ group: g, measure: 'pod startup max', skiff: max, unit: 'ms' }),
      makeRow({ group: g, measure: 'server peak RSS during pod startup (without pod processes)', skiff: peakRssMiB(srv.pid), unit: 'MiB' }),
    ];
  } finally {
    stopWatch();
    await srv.stop();
  }
}
