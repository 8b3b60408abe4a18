/**
 * `npm run bench [-- NAME…]`: runs the named benchmarks (default: all) and
 * prints their tables. Each benchmark compares skiff against a peer run side by
 * side in the same process run.
 */
import { benchApi } from './api.js';

const BENCHES: Record<string, () => Promise<void>> = { api: benchApi };

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
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
