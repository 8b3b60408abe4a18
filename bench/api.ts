/**
 * API server benchmark: GET and PUT latency (p50/p99), LIST of 10,000 pods, and
 * creates per second over real HTTP with keep-alive, against `skiff up` running
 * as its own process (as kubectl sees it), for the memory store and the SQLite
 * store side by side (the ratio column is SQLite / memory).
 */
import { request } from './http.js';
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

interface Result {
  createsPerSec: number;
  getP50: number;
  getP99: number;
  putP50: number;
  putP99: number;
  list10k: number;
}

async function runOne(store: string, n: number): Promise<Result> {
  // No nodes: the benchmark measures the API server, not agents reacting to its pods.
  const c = await startServerProcess(store, ['--nodes', '0', '--runtime', 'simulated', '--proxy-mode', 'none', '--cluster-dns', 'off']);
  const base = c.url;
  const ns = '/api/v1/namespaces/default/pods';
  try {
    // Creates with 16 in flight.
    let next = 0;
    const t0 = Date.now();
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < n) {
          const i = next++;
          const r = await request(base, 'POST', ns, pod(`p-${i}`));
          if (r.status !== 201) throw new Error(`create failed: ${r.status} ${r.text}`);
        }
      }),
    );
    const createsPerSec = n / ((Date.now() - t0) / 1000);
    const gets: number[] = [];
    for (let i = 0; i < 2000; i++) gets.push(await timed(() => request(base, 'GET', `${ns}/p-${i % n}`)));
    const puts: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const name = `p-${i % n}`;
      const cur = JSON.parse((await request(base, 'GET', `${ns}/${name}`)).text) as { metadata: { labels: Record<string, string> } };
      cur.metadata.labels.round = String(i);
      puts.push(await timed(() => request(base, 'PUT', `${ns}/${name}`, cur)));
    }
    const lists: number[] = [];
    for (let i = 0; i < 5; i++) lists.push(await timed(() => request(base, 'GET', '/api/v1/pods')));
    return { createsPerSec, getP50: pct(gets, 50), getP99: pct(gets, 99), putP50: pct(puts, 50), putP99: pct(puts, 99), list10k: pct(lists, 50) };
  } finally {
    await c.stop();
  }
}

/** Prints the API benchmark table. */
export async function benchApi(): Promise<void> {
  const n = Number(process.env.BENCH_PODS ?? 10000);
  const mem = await runOne('memory', n);
  const sql = await runOne('sqlite', n);
  const rows: Array<[string, keyof Result, string, string]> = [
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
}
