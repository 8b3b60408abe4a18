/**
 * `npm run bench [-- NAME…]`: runs the named benchmarks (default: all) and
 * prints their tables. Each benchmark compares skiff against a peer run side by
 * side in the same process run.
 */
import { benchApi } from './api.js';
import { benchDaemonSet } from './daemonset.js';
import { benchPods } from './pods.js';
import { benchDns } from './dns.js';
import { benchProxy } from './proxy.js';

const BENCHES: Record<string, () => Promise<void>> = { api: benchApi, daemonset: benchDaemonSet, pods: benchPods, dns: benchDns, proxy: benchProxy };

// Options take a value (`--nodes 10000`); names are the other words.
const argv = process.argv.slice(2);
const wanted = argv.filter((a, i) => !a.startsWith('-') && !(i > 0 && argv[i - 1]!.startsWith('--')));
const names = wanted.length ? wanted : Object.keys(BENCHES);
for (const n of names) {
  const b = BENCHES[n];
  if (!b) {
    console.error(`unknown benchmark "${n}"; known: ${Object.keys(BENCHES).join(', ')}`);
    process.exit(2);
  }
  console.log(`\n== ${n}`);
  await b();
}
process.exit(0);
