/**
 * DaemonSet benchmark: `skiff up --nodes N` (simulated runtime, memory store)
 * in its own process, one DaemonSet, and the time until `numberReady == N`,
 * pods per second and the server's peak RSS. `--nodes 10000` for the big run.
 *
 * No peer can run here (KWOK and kind need Go and Docker), so the ratios are
 * against published anchors: KWOK's CI allows up to 60 s for 10,000 pods, and
 * upstream schedules DaemonSet pods at about 80/s on 5,000 nodes.
 */
import { countInstructions, cpuSeconds, peakRssMiB, request, waitFor, watchUntil } from './http.js';
import { makeRow, type BenchRow } from './row.js';
import { startServerProcess } from './server-process.js';

/** Runs the benchmark for `nodes` simulated nodes (`--nodes`, `BENCH_NODES`, else 5,000; 1,000 with `--quick`), prints its table and returns its rows. */
export async function benchDaemonSet(): Promise<BenchRow[]> {
  const arg = process.argv.indexOf('--nodes');
  const nodes = Number(arg > 0 ? process.argv[arg + 1] : process.env.BENCH_NODES ?? (process.argv.includes('--quick') ? 1000 : 5000));
  const t0 = Date.now();
  const srv = await startServerProcess('memory', ['--nodes', String(nodes), '--runtime', 'simulated', '--proxy-mode', 'none', '--cluster-dns', 'off']);
  try {
    const base = srv.url;
    await waitFor(`${nodes} Ready nodes`, 300_000, async () => {
      const r = await request(base, 'GET', '/api/v1/nodes');
      const ready = (r.json.items as any[]).filter((n) => n.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True')).length;
      return ready >= nodes ? ready : undefined;
    }, 2000);
    const clusterUp = Date.now() - t0;
    const ds = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'bench', namespace: 'default' },
      spec: { selector: { matchLabels: { app: 'bench' } }, template: { metadata: { labels: { app: 'bench' } }, spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.10' }] } } },
    };
    // The status is watched, not polled: the time is that of the status write itself.
    const ready = watchUntil(base, '/apis/apps/v1/namespaces/default/daemonsets?fieldSelector=metadata.name%3Dbench', `numberReady == ${nodes}`, 600_000, (obj) => obj?.status?.numberReady >= nodes);
    ready.catch(() => undefined);
    const counter = countInstructions(srv.pid);
    // perf needs a moment to attach (and the watch to open) before the measured work starts.
    await new Promise((r) => setTimeout(r, 300));
    const t1 = Date.now();
    const cpu0 = cpuSeconds(srv.pid);
    const created = await request(base, 'POST', '/apis/apps/v1/namespaces/default/daemonsets', ds);
    if (created.status !== 201) throw new Error(`DaemonSet create failed: ${JSON.stringify(created.json)}`);
    const secs = ((await ready) - t1) / 1000;
    const cpu = cpuSeconds(srv.pid) - cpu0;
    const instructions = await counter.stop();
    const rss = peakRssMiB(srv.pid);
    const podsPerSec = nodes / secs;
    console.log(`nodes                         ${nodes}`);
    console.log(`cluster up with all nodes     ${(clusterUp / 1000).toFixed(1)} s`);
    console.log(`DaemonSet ready on all nodes  ${secs.toFixed(2)} s   (goal: 5,000 nodes <= 5 s)`);
    console.log(`server CPU during rollout     ${cpu.toFixed(2)} s   (${((cpu / nodes) * 1e6).toFixed(0)} µs per pod; both cores busy = ${(2 * secs).toFixed(1)} s)`);
    if (instructions !== undefined) {
      console.log(`instructions during rollout   ${(instructions / 1e9).toFixed(2)} G   (${(instructions / nodes / 1e6).toFixed(2)} M per pod; the work done, which the machine's speed does not move)`);
    }
    console.log(`pods/s                        ${podsPerSec.toFixed(0)}   (${(podsPerSec / 80).toFixed(1)}x upstream's ~80/s on 5,000 nodes)`);
    console.log(`ratio to KWOK CI allowance    ${(60 / (secs * (10000 / nodes))).toFixed(1)}x faster than 60 s per 10,000 pods`);
    console.log(`server peak RSS               ${rss.toFixed(0)} MiB   (goal: 10,000 nodes <= 1024 MiB)`);
    const g = 'daemonset';
    const n = nodes.toLocaleString('en-US');
    return [
      makeRow({ group: g, measure: `cluster up, ${n} simulated nodes Ready`, skiff: clusterUp / 1000, unit: 's' }),
      makeRow({ group: g, measure: `DaemonSet Ready on all ${n} nodes`, skiff: secs, unit: 's', max: 5, judge: nodes >= 5000, goal: '<= 5 s at 5,000 nodes', note: `published anchor, not measured here: KWOK's CI allows 60 s per 10,000 pods; this run scaled linearly to 10,000 pods is ${(secs * (10000 / nodes)).toFixed(0)} s (60 s / that = ${(60 / (secs * (10000 / nodes))).toFixed(1)}x)` }),
      makeRow({ group: g, measure: `DaemonSet pods/s (${n} nodes)`, skiff: podsPerSec, unit: '/s', min: 1000, goal: '>= 1,000/s (5,000 nodes in 5 s)', note: `published anchor, not measured here: upstream schedules ~80 DaemonSet pods/s on 5,000 nodes; ${(podsPerSec / 80).toFixed(1)}x that` }),
      makeRow({ group: g, measure: `server CPU per DaemonSet pod`, skiff: (cpu / nodes) * 1e6, unit: 'µs' }),
      ...(instructions !== undefined ? [makeRow({ group: g, measure: 'server instructions per DaemonSet pod (perf stat; independent of machine speed)', skiff: instructions / nodes / 1e6, unit: 'M' })] : []),
      makeRow({ group: g, measure: `server peak RSS (${n} nodes)`, skiff: rss, unit: 'MiB', max: 1024, judge: nodes >= 10000, goal: '<= 1024 MiB at 10,000 nodes' }),
    ];
  } finally {
    await srv.stop();
  }
}
