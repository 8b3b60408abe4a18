/**
 * API server benchmark: GET and PUT latency (p50/p99), LIST of 10,000 pods, and
 * creates per second over real HTTP with keep-alive, against `skiff up` running
 * as its own process (as kubectl sees it), for the memory store and the SQLite
 * store side by side (the ratio column is SQLite / memory). `runApi` is
 * shared with bench/store.ts (SQLite vs etcd), which reuses a run already made
 * in the same `npm run bench`.
 */
import { ratePerSecond, request } from './http.js';
import { makeRow, type BenchRow } from './row.js';
import { startServerProcess } from './server-process.js';

function pod(name: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'bench', shard: String(name.length % 7) } },
    spec: { nodeName: 'no-such-node', containers: [{ name: 'c', image: 'agnhost', args: ['pause'], ports: [{ containerPort: 8080 }] }] },
  };
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

/** What one API benchmark run measured; latencies in ms. */
export interface ApiResult {
  createsPerSec: number;
  getP50: number;
  getP99: number;
  putP50: number;
  putP99: number;
  list10k: number;
  /** Why the LIST failed (then `list10k` is NaN). */
  listError?: string;
}

async function runOne(store: string, n: number): Promise<ApiResult> {
  // No nodes: the benchmark measures the API server, not agents reacting to its pods.
  const c = await startServerProcess(store, ['--nodes', '0', '--runtime', 'simulated', '--proxy-mode', 'none', '--cluster-dns', 'off']);
  const base = c.url;
  const ns = '/api/v1/namespaces/default/pods';
  try {
    // Creates with 16 in flight.
    const createsPerSec = await ratePerSecond(n, 16, async (i) => {
      const r = await request(base, 'POST', ns, pod(`p-${i}`));
      if (r.status !== 201) throw new Error(`create failed: ${r.status} ${r.text}`);
    });
    const gets: number[] = [];
    for (let i = 0; i < 2000; i++) {
      let r: Awaited<ReturnType<typeof request>> | undefined;
      gets.push(await timed(async () => (r = await request(base, 'GET', `${ns}/p-${i % n}`))));
      if (r?.status !== 200) throw new Error(`GET pod p-${i % n} on the ${store} store returned HTTP ${r?.status}: ${r?.text.slice(0, 300)}`);
    }
    const puts: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const name = `p-${i % n}`;
      const cur = JSON.parse((await request(base, 'GET', `${ns}/${name}`)).text) as { metadata: { labels: Record<string, string> } };
      cur.metadata.labels.round = String(i);
      let r: Awaited<ReturnType<typeof request>> | undefined;
      puts.push(await timed(async () => (r = await request(base, 'PUT', `${ns}/${name}`, cur))));
      if (r?.status !== 200) throw new Error(`PUT pod ${name} on the ${store} store returned HTTP ${r?.status}: ${r?.text.slice(0, 300)}`);
    }
    const lists: number[] = [];
    let listError: string | undefined;
    for (let i = 0; i < 5 && !listError; i++) {
      let r: Awaited<ReturnType<typeof request>> | undefined;
      lists.push(await timed(async () => (r = await request(base, 'GET', '/api/v1/pods'))));
      // A LIST that fails fast must not pass for a fast LIST; the other numbers still stand.
      if (r?.status !== 200) listError = `LIST /api/v1/pods (${n} pods) on the ${store} store returned HTTP ${r?.status}: ${String(r?.json?.message ?? r?.text).slice(0, 200)}`;
    }
    if (listError) console.log(listError);
    return { createsPerSec, getP50: pct(gets, 50), getP99: pct(gets, 99), putP50: pct(puts, 50), putP99: pct(puts, 99), list10k: listError ? NaN : pct(lists, 50), ...(listError ? { listError } : {}) };
  } finally {
    await c.stop();
  }
}

const runs = new Map<string, Promise<ApiResult>>();

/**
 * The API benchmark against `skiff up --store <store>` with `n` pods, run at
 * most once per (store, n) in this process: `api` and `store` both need the
 * SQLite numbers, and measuring them twice would only add minutes.
 */
export function runApi(store: string, n: number): Promise<ApiResult> {
  const key = `${store} ${n}`;
  let r = runs.get(key);
  if (!r) {
    r = runOne(store, n);
    runs.set(key, r);
  }
  return r;
}

/** Pods per API run: `BENCH_PODS`, else 10,000 (2,000 with `--quick`). */
export function apiPods(): number {
  return Number(process.env.BENCH_PODS ?? (process.argv.includes('--quick') ? 2000 : 10000));
}

/** Prints the API benchmark table (memory and SQLite stores) and returns its rows. */
export async function benchApi(): Promise<BenchRow[]> {
  const n = apiPods();
  const mem = await runApi('memory', n);
  const sql = await runApi('sqlite', n);
  const rows: Array<[string, Exclude<keyof ApiResult, 'listError'>, string, string]> = [
    ['creates/s (16 in flight)', 'createsPerSec', '', '>= 2000'],
    ['GET p50', 'getP50', 'ms', ''],
    ['GET p99', 'getP99', 'ms', '<= 5 ms'],
    ['PUT p50', 'putP50', 'ms', ''],
    ['PUT p99', 'putP99', 'ms', '<= 5 ms'],
    [`LIST ${n} pods`, 'list10k', 'ms', '<= 100 ms'],
  ];
  console.log(`${'metric'.padEnd(26)}${'memory'.padStart(12)}${'sqlite'.padStart(12)}${'sqlite/mem'.padStart(12)}   goal`);
  for (const [label, k, unit, goal] of rows) {
    const a = mem[k];
    const b = sql[k];
    console.log(`${label.padEnd(26)}${(a.toFixed(k === 'createsPerSec' ? 0 : 2) + unit).padStart(12)}${(b.toFixed(k === 'createsPerSec' ? 0 : 2) + unit).padStart(12)}${(b / a).toFixed(2).padStart(12)}   ${goal}`);
  }
  return [...apiRows('memory', mem, n), ...apiRows('sqlite', sql, n)];
}

/** The report rows of one API run, with the goals (LIST judged only at 10,000 pods). */
export function apiRows(store: string, r: ApiResult, n: number, group = 'api', peer?: { name: string; r: ApiResult }): BenchRow[] {
  const p = (k: Exclude<keyof ApiResult, 'listError'>): { peer?: number; peerName?: string } => (peer ? { peer: peer.r[k], peerName: peer.name } : {});
  const s = `(${store} store)`;
  return [
    makeRow({ group, measure: `creates/s, 16 in flight ${s}`, skiff: r.createsPerSec, unit: '/s', better: 'higher', min: 2000, ...p('createsPerSec') }),
    makeRow({ group, measure: `GET p50 ${s}`, skiff: r.getP50, unit: 'ms', better: 'lower', ...p('getP50') }),
    makeRow({ group, measure: `GET p99 ${s}`, skiff: r.getP99, unit: 'ms', better: 'lower', max: 5, ...p('getP99') }),
    makeRow({ group, measure: `PUT p50 ${s}`, skiff: r.putP50, unit: 'ms', better: 'lower', ...p('putP50') }),
    makeRow({ group, measure: `PUT p99 ${s}`, skiff: r.putP99, unit: 'ms', better: 'lower', max: 5, ...p('putP99') }),
    makeRow({ group, measure: `LIST ${n.toLocaleString('en-US')} pods ${s}`, skiff: r.list10k, unit: 'ms', better: 'lower', max: 100, judge: n >= 10000, ...(n < 10000 ? { goal: '<= 100 ms at 10,000 pods' } : {}), ...p('list10k'), ...(r.listError || peer?.r.listError ? { note: [r.listError, peer?.r.listError && `peer: ${peer.r.listError}`].filter(Boolean).join('; ') } : {}) }),
  ];
}
