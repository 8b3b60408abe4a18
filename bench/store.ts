/**
 * Store benchmark (`npm run bench -- store [--quick]`): the API benchmark of
 * bench/api.ts (creates/s, GET/PUT p50/p99, LIST) against `skiff up --store
 * sqlite` and `skiff up --store etcd://…` side by side, plus the same
 * operations straight against that etcd through the etcd3 client, measured in
 * the same run. The SQLite rows' peer is skiff on etcd; the etcd rows' peer is
 * raw etcd, so their ratio is skiff-on-etcd's cost over etcd itself.
 *
 * etcd is the Debian `etcd-server` binary on free loopback ports with a
 * temporary data dir (test/helpers/etcd.ts, which installs it with apt-get when
 * missing and running as root); without it the etcd rows say so.
 */
import { Etcd3 } from 'etcd3';
import { etcdUnavailable, startEtcd } from '../test/helpers/etcd.js';
import { apiPods, apiRows, runApi, type ApiResult } from './api.js';
import { failedRow, type BenchRow } from './row.js';
import { ratePerSecond } from './http.js';

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

/** A pod-sized JSON value, like the ones skiff stores for bench/api.ts's pods. */
function podValue(i: number): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `p-${i}`, namespace: 'default', uid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, resourceVersion: '', creationTimestamp: new Date().toISOString(), labels: { app: 'bench', shard: String(i % 7) } },
    spec: { nodeName: 'no-such-node', containers: [{ name: 'c', image: 'agnhost', args: ['pause'], ports: [{ containerPort: 8080, protocol: 'TCP' }], resources: {}, terminationMessagePath: '/dev/termination-log', imagePullPolicy: 'IfNotPresent' }], restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', schedulerName: 'default-scheduler' },
    status: { phase: 'Pending', qosClass: 'BestEffort' },
  });
}

/** The API benchmark's operations straight against etcd: puts with 16 in flight, sequential gets and puts, one range read of the prefix. */
async function rawEtcd(endpoint: string, n: number): Promise<ApiResult> {
  const client = new Etcd3({ hosts: [endpoint] });
  const prefix = '/bench-raw/pods/';
  try {
    const createsPerSec = await ratePerSecond(n, 16, (i) => client.put(`${prefix}p-${i}`).value(podValue(i)).exec());
    const gets: number[] = [];
    for (let i = 0; i < 2000; i++) gets.push(await timed(() => client.get(`${prefix}p-${i % n}`).string()));
    const puts: number[] = [];
    for (let i = 0; i < 1000; i++) puts.push(await timed(() => client.put(`${prefix}p-${i % n}`).value(podValue(i)).exec()));
    const lists: number[] = [];
    let listError: string | undefined;
    for (let i = 0; i < 5 && !listError; i++) {
      try {
        lists.push(await timed(() => client.getAll().prefix(prefix).buffers()));
      } catch (err) {
        listError = `range read of ${n} keys failed: ${err instanceof Error ? err.message : String(err)}`.slice(0, 200);
      }
    }
    return { createsPerSec, getP50: pct(gets, 50), getP99: pct(gets, 99), putP50: pct(puts, 50), putP99: pct(puts, 99), list10k: listError ? NaN : pct(lists, 50), ...(listError ? { listError } : {}) };
  } finally {
    client.close();
  }
}

/** Runs SQLite vs etcd (and raw etcd), prints a side-by-side table and returns the rows. */
export async function benchStore(): Promise<BenchRow[]> {
  const n = apiPods();
  const sqlite = await runApi('sqlite', n);
  const why = etcdUnavailable();
  if (why) {
    console.log(`etcd peer unavailable: ${why}`);
    return [...apiRows('sqlite', sqlite, n, 'store'), failedRow('store', 'skiff on etcd', `peer unavailable: ${why}`)];
  }
  const etcd = await startEtcd();
  let onEtcd: ApiResult;
  let raw: ApiResult;
  try {
    onEtcd = await runApi(etcd.url, n);
    raw = await rawEtcd(etcd.endpoint, n);
  } finally {
    await etcd.stop();
  }
  const keys: Array<[string, Exclude<keyof ApiResult, 'listError'>]> = [
    ['creates/s (16 in flight)', 'createsPerSec'],
    ['GET p50 ms', 'getP50'],
    ['GET p99 ms', 'getP99'],
    ['PUT p50 ms', 'putP50'],
    ['PUT p99 ms', 'putP99'],
    [`LIST ${n} ms`, 'list10k'],
  ];
  console.log(`${'metric'.padEnd(26)}${'sqlite'.padStart(12)}${'skiff/etcd'.padStart(12)}${'raw etcd'.padStart(12)}`);
  for (const [label, k] of keys) {
    const d = k === 'createsPerSec' ? 0 : 2;
    console.log(`${label.padEnd(26)}${sqlite[k].toFixed(d).padStart(12)}${onEtcd[k].toFixed(d).padStart(12)}${raw[k].toFixed(d).padStart(12)}`);
  }
  return [
    ...apiRows('sqlite', sqlite, n, 'store', { name: 'skiff on etcd', r: onEtcd }),
    ...apiRows('etcd', onEtcd, n, 'store', { name: 'raw etcd, etcd3 client', r: raw }),
  ];
}
