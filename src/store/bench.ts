/**
 * A micro-benchmark any `Store` can run, for `npm run bench`: create throughput,
 * get and update latency, and the time to list 10,000 keys at the current revision.
 */
import { performance } from 'node:perf_hooks';
import type { Store } from './types.js';

/** What `benchStore` measured. Latencies in milliseconds. */
export interface StoreBenchResult {
  createsPerSec: number;
  getP50Ms: number;
  getP99Ms: number;
  updateP50Ms: number;
  updateP99Ms: number;
  /** Median of 5 lists of 10,000 keys (with one watcher open on the prefix). */
  list10kMs: number;
}

/**
 * Runs `n` sequential creates, `n` gets and `n` compare-and-swap updates of ~600-byte
 * JSON values under a fresh prefix, with one watcher open as the API server keeps one,
 * then times listing 10,000 keys (topping the prefix up to 10,000 keys first if `n` is
 * smaller). Leaves its keys behind; use a throwaway store.
 *
 * @example
 * const r = await benchStore(new MemoryStore(), 10_000); // r.createsPerSec, r.list10kMs, …
 */
export async function benchStore(store: Store, n: number): Promise<StoreBenchResult> {
  const prefix = `/registry/bench/configmaps/run-${await store.currentRevision()}/`;
  const key = (i: number): string => `${prefix}cm-${String(i).padStart(6, '0')}`;
  const value = (i: number, gen: number): string =>
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `cm-${i}`, namespace: 'bench', uid: `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`, labels: { app: 'bench', gen: String(gen) } },
      data: { 'config.yaml': 'x'.repeat(400) },
    });

  let seen = 0;
  const watcher = store.watch(prefix, { afterRevision: await store.currentRevision(), onEvents: (evs) => (seen += evs.length) });
  try {
    const revs: number[] = [];
    let t0 = performance.now();
    for (let i = 0; i < n; i++) revs.push(await store.create(key(i), value(i, 0)));
    const createsPerSec = n / ((performance.now() - t0) / 1000);

    const gets: number[] = [];
    for (let i = 0; i < n; i++) {
      const k = key(Math.floor(Math.random() * n));
      t0 = performance.now();
      await store.get(k);
      gets.push(performance.now() - t0);
    }

    const updates: number[] = [];
    for (let i = 0; i < n; i++) {
      const v = value(i, 1);
      t0 = performance.now();
      await store.update(key(i), v, revs[i] as number);
      updates.push(performance.now() - t0);
    }

    for (let i = n; i < 10_000; i++) await store.create(key(i), value(i, 0));
    const lists: number[] = [];
    for (let run = 0; run < 5; run++) {
      t0 = performance.now();
      const res = await store.list(prefix, { limit: 10_000 });
      lists.push(performance.now() - t0);
      if (res.items.length !== 10_000) throw new Error(`bench: listed ${res.items.length} keys, expected 10000`);
    }
    if (seen === 0) throw new Error('bench: the watcher saw no events');

    return {
      createsPerSec: Math.round(createsPerSec),
      getP50Ms: quantile(gets, 0.5),
      getP99Ms: quantile(gets, 0.99),
      updateP50Ms: quantile(updates, 0.5),
      updateP99Ms: quantile(updates, 0.99),
      list10kMs: quantile(lists, 0.5),
    };
  } finally {
    watcher.stop();
  }
}

function quantile(samples: number[], q: number): number {
  if (samples.length === 0) return 0;
  const sorted = [...samples].sort((a, b) => a - b);
  const v = sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
  return Math.round(v * 1000) / 1000;
}
