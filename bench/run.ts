/**
 * `npm run bench [-- NAME…] [--quick] [--nodes N]`: runs the named benchmarks
 * (default: all), each printing its own detail, then prints ONE table over all
 * their rows (measure | skiff | peer | ratio | goal | met) and writes the rows
 * with the machine's facts to bench/results/latest.json and a timestamped copy.
 * A benchmark that fails (a peer tool missing, a timeout) becomes a row saying
 * why; the others still run. `--quick` keeps the whole run under 5 minutes on
 * 2 cores.
 */
import { join } from 'node:path';
import { benchApi } from './api.js';
import { benchDaemonSet } from './daemonset.js';
import { benchDns } from './dns.js';
import { benchPods } from './pods.js';
import { benchProxy } from './proxy.js';
import { formatReport, machineInfo, speedProbeMs, writeResults } from './report.js';
import { failedRow, type BenchRow } from './row.js';
import { benchStartup } from './startup.js';
import { benchStore } from './store.js';

const ROOT = new URL('..', import.meta.url).pathname;

// In run order: startup first, while the machine has not yet been warmed by the others.
const BENCHES: Record<string, () => Promise<BenchRow[]>> = {
  startup: benchStartup,
  api: benchApi,
  store: benchStore,
  daemonset: benchDaemonSet,
  pods: benchPods,
  proxy: benchProxy,
  dns: benchDns,
};

// Options take a value (`--nodes 10000`) except the flags listed here; names are the other words.
const FLAGS = new Set(['--quick']);
const argv = process.argv.slice(2);
const wanted = argv.filter((a, i) => !a.startsWith('-') && !(i > 0 && argv[i - 1]!.startsWith('--') && !FLAGS.has(argv[i - 1]!)));
const names = wanted.length ? wanted : Object.keys(BENCHES);
for (const n of names) {
  if (!BENCHES[n]) {
    console.error(`unknown benchmark "${n}"; known: ${Object.keys(BENCHES).join(', ')}`);
    process.exit(2);
  }
}
const quick = argv.includes('--quick');
const startedAt = new Date();
const t0 = performance.now();
const rows: BenchRow[] = [];
const probes: Record<string, number> = {};
for (const n of names) {
  console.log(`\n== ${n}${quick ? ' (quick)' : ''}`);
  probes[n] = speedProbeMs();
  console.log(`(machine speed probe: ${probes[n]} ms for 10^8 additions; lower is faster, and every absolute number below moves with it)`);
  const tb = performance.now();
  try {
    rows.push(...(await BENCHES[n]!()));
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    console.error(`benchmark ${n} failed: ${msg}`);
    rows.push(failedRow(n, `${n} benchmark`, `failed: ${msg.split('\n')[0]}`));
  }
  console.log(`(${n}: ${((performance.now() - tb) / 1000).toFixed(0)} s)`);
}
const durationSeconds = (performance.now() - t0) / 1000;
console.log(`\n== report (${quick ? 'quick' : 'full'} run of ${names.join(', ')})\n`);
console.log(formatReport(rows));
const paths = writeResults(join(ROOT, 'bench/results'), { startedAt: startedAt.toISOString(), durationSeconds, speedProbeMs: probes, quick, args: argv, machine: machineInfo(ROOT), rows });
console.log(`\nresults written to ${paths.join(' and ')}`);
console.log(`total duration ${Math.floor(durationSeconds / 60)} min ${Math.round(durationSeconds % 60)} s`);
process.exit(0);
