/**
 * Startup and idle footprint (`npm run bench -- startup [--quick]`): what a
 * user's `npm start` costs. `node bin/skiff.js up --nodes 3` (process runtime,
 * userspace proxy, cluster DNS: the defaults) is spawned with a fresh data dir
 * and a free port, and timed from spawn to
 * - its "ready in" line, and
 * - `kubectl --kubeconfig <data-dir>/kubeconfig get nodes` listing 3 Ready nodes
 *   (kubectl with a KUBECACHEDIR of its own, run back to back once the
 *   kubeconfig exists, so the poll adds at most one kubectl run);
 * median of 3 runs per store (1 with `--quick`), for the memory and SQLite
 * stores. Goal ≤ 1 s; no peer runs here (kind and k3s need Docker or root
 * services).
 *
 * Idle footprint: the SQLite cluster (the default store), once kubectl sees it
 * Ready and after a short settle, is sampled every second for 60 s (15 s with
 * `--quick`): resident memory of the skiff process alone and of its whole
 * process tree (pods, proxy workers), and CPU time over the window as % of one
 * core. Goals ≤ 120 MB and ≤ 1 %.
 *
 * The cluster gets address ranges of its own (ClusterIPs, DNS, pods, nodes,
 * LoadBalancers) so that it does not collide with clusters other people run on
 * this machine with the default ranges; everything else is the default.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findKubectl } from '../test/helpers/cluster.js';
import { makeRow, type BenchRow } from './row.js';

const ROOT = new URL('..', import.meta.url).pathname;

/** Ranges no default cluster or other benchmark uses (see test/helpers/cluster.ts for the ones tests use). */
const ISOLATED = [
  '--service-cluster-ip-range', '127.144.0.0/12',
  '--cluster-dns', '127.144.0.10',
  '--cluster-cidr', '127.236.0.0/16',
  '--node-ip-range', '127.0.30.0/24',
  '--load-balancer-ip-range', '127.121.0.0/16',
];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] ?? NaN;
}

/** Names of the nodes whose STATUS column is exactly `Ready` in `kubectl get nodes --no-headers` output. */
export function readyNodes(out: string): string[] {
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((c) => c.length >= 2 && c[1] === 'Ready')
    .map((c) => c[0]!);
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.once('error', () => resolve({ code: -1, stdout }));
    p.once('exit', (code) => {
      clearTimeout(t);
      resolve({ code: code ?? -1, stdout });
    });
  });
}

interface Started {
  proc: ChildProcess;
  /** Spawn → "ready in" line, ms. */
  readyMs: number;
  /** What the server itself printed ("ready in N ms"), from its own start. */
  selfReportedMs: number;
  /** Spawn → kubectl lists 3 Ready nodes, ms. */
  kubectlMs: number;
  /** How long that last, successful kubectl call took by itself, ms. */
  lastKubectlMs: number;
  stop(): Promise<void>;
}

/** Spawns `skiff up --nodes 3` on `store`; resolves once kubectl sees 3 Ready nodes (throws after 60 s). */
async function startTimed(store: string, kubectl: string): Promise<Started> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-startup-'));
  const dataDir = join(dir, 'data');
  const kubeconfig = join(dataDir, 'kubeconfig');
  const port = await freePort();
  const args = [join(ROOT, 'bin/skiff.js'), 'up', '--store', store, '--port', String(port), '--data-dir', dataDir, '--no-kubeconfig-merge', '--nodes', '3', ...ISOLATED];
  const t0 = performance.now();
  const proc = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let readyMs = NaN;
  let selfReportedMs = NaN;
  let exited = false;
  proc.once('exit', () => (exited = true));
  const onData = (d: Buffer): void => {
    out += d.toString();
    // The last line ("skiff: ready in N ms — try: kubectl …"), not the API server's own "(ready in N ms)".
    const m = /skiff: ready in (\d+) ms/.exec(out);
    if (m && Number.isNaN(readyMs)) {
      readyMs = performance.now() - t0;
      selfReportedMs = Number(m[1]);
    }
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const stop = async (): Promise<void> => {
    if (!exited) {
      const gone = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const k = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await gone;
      clearTimeout(k);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const env = { ...process.env, KUBECONFIG: kubeconfig, KUBECACHEDIR: join(dir, 'kubecache') };
    const deadline = t0 + 60_000;
    const fail = (what: string): Error => new Error(`skiff up --store ${store}: ${what}; its output:\n${out.slice(-3000)}`);
    // Cheap file polling until there is a kubeconfig: kubectl runs before that would only load the 2 cores.
    while (!existsSync(kubeconfig)) {
      if (exited) throw fail('exited before writing its kubeconfig');
      if (performance.now() > deadline) throw fail('no kubeconfig after 60 s');
      await new Promise((r) => setTimeout(r, 5));
    }
    let lastKubectlMs = NaN;
    for (;;) {
      const tk = performance.now();
      const r = await run(kubectl, ['--kubeconfig', kubeconfig, 'get', 'nodes', '--no-headers', '--request-timeout=5s'], env, 10_000);
      lastKubectlMs = performance.now() - tk;
      if (r.code === 0 && readyNodes(r.stdout).length >= 3) break;
      if (exited) throw fail('exited before 3 nodes were Ready');
      if (performance.now() > deadline) throw fail(`kubectl did not list 3 Ready nodes within 60 s (last: ${JSON.stringify(r.stdout)})`);
    }
    const kubectlMs = performance.now() - t0;
    return { proc, readyMs, selfReportedMs, kubectlMs, lastKubectlMs, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Parent pid → child pids, from /proc. */
function childrenOf(): Map<number, number[]> {
  const m = new Map<number, number[]>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const ppid = Number(readFileSync(`/proc/${e}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[1]);
      const l = m.get(ppid) ?? [];
      l.push(Number(e));
      m.set(ppid, l);
    } catch {
      // exited while we looked
    }
  }
  return m;
}

/** `pid` and all its descendants. */
export function processTree(pid: number, children: Map<number, number[]> = childrenOf()): number[] {
  const out: number[] = [];
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop()!;
    out.push(p);
    stack.push(...(children.get(p) ?? []));
  }
  return out;
}

/** Current resident memory of `pid` in bytes (0 once it has exited). */
function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** CPU ticks (user + system) `pid` has used (0 once it has exited). */
function cpuTicks(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0;
  }
}

/** What the idle sampling saw. */
interface Footprint {
  rssMainMB: number;
  rssTreeMB: number;
  processes: number;
  cpuMainPct: number;
  cpuTreePct: number;
}

/** Samples `pid`'s tree once a second for `seconds`: max RSS (MB = 10^6 bytes) and CPU % of one core over the window. */
async function idleFootprint(pid: number, seconds: number): Promise<Footprint> {
  const ticksPerSec = 100; // USER_HZ on Linux
  const startTicks = new Map<number, number>();
  for (const p of processTree(pid)) startTicks.set(p, cpuTicks(p));
  const t0 = performance.now();
  let rssMain = 0;
  let rssTree = 0;
  let processes = 0;
  let tree: number[] = [];
  for (let i = 0; i < seconds; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    tree = processTree(pid);
    processes = Math.max(processes, tree.length);
    rssMain = Math.max(rssMain, rssBytes(pid));
    rssTree = Math.max(rssTree, tree.reduce((s, p) => s + rssBytes(p), 0));
  }
  const wall = (performance.now() - t0) / 1000;
  // Processes that started during the window count in full; ones that ended in it are lost (rare when idle).
  const used = (p: number): number => Math.max(0, cpuTicks(p) - (startTicks.get(p) ?? 0)) / ticksPerSec;
  const mainCpu = used(pid);
  const treeCpu = tree.reduce((s, p) => s + used(p), 0);
  return { rssMainMB: rssMain / 1e6, rssTreeMB: rssTree / 1e6, processes, cpuMainPct: (mainCpu / wall) * 100, cpuTreePct: (treeCpu / wall) * 100 };
}

/** Runs the startup and idle-footprint measures, prints them and returns their rows. */
export async function benchStartup(): Promise<BenchRow[]> {
  const quick = process.argv.includes('--quick');
  const runs = quick ? 1 : 3;
  const idleSeconds = quick ? 15 : 60;
  const settleMs = quick ? 2000 : 5000;
  const kubectl = findKubectl();
  if (!existsSync(join(ROOT, 'dist/cli/main.js'))) throw new Error('dist/ is not built: run `npm run build` (npm run bench does) before the startup benchmark');
  if (!kubectl) throw new Error('the startup benchmark needs kubectl (set KUBECTL=/path/to/kubectl)');
  const g = 'startup';
  const rows: BenchRow[] = [];
  let footprint: Footprint | undefined;
  for (const store of ['memory', 'sqlite']) {
    const ready: number[] = [];
    const self: number[] = [];
    const kc: number[] = [];
    const lastKc: number[] = [];
    for (let i = 0; i < runs; i++) {
      const s = await startTimed(store, kubectl);
      try {
        ready.push(s.readyMs);
        self.push(s.selfReportedMs);
        kc.push(s.kubectlMs);
        lastKc.push(s.lastKubectlMs);
        console.log(`skiff up --store ${store} --nodes 3: "ready in" after ${s.readyMs.toFixed(0)} ms (self-reported ${s.selfReportedMs} ms), kubectl sees 3 Ready after ${s.kubectlMs.toFixed(0)} ms (that kubectl call took ${s.lastKubectlMs.toFixed(0)} ms)`);
        if (store === 'sqlite' && i === runs - 1) {
          await new Promise((r) => setTimeout(r, settleMs));
          footprint = await idleFootprint(s.proc.pid!, idleSeconds);
        }
      } finally {
        await s.stop();
      }
    }
    const of = runs > 1 ? `median of ${runs}` : '1 run';
    rows.push(
      makeRow({ group: g, measure: `skiff up -> "ready in" line, 3 nodes (${store} store, ${of})`, skiff: median(ready), unit: 'ms', max: 1000, goal: '<= 1000 ms', note: `skiff's own "ready in" figure (from its start, so without Node.js boot and module loading): median ${median(self).toFixed(0)} ms` }),
      makeRow({ group: g, measure: `skiff up -> kubectl get nodes shows 3 Ready (${store} store, ${of})`, skiff: median(kc), unit: 'ms', max: 1000, goal: '<= 1000 ms', note: `includes the successful kubectl call itself: median ${median(lastKc).toFixed(0)} ms, mostly kubectl's own start` }),
    );
  }
  if (footprint) {
    const f = footprint;
    console.log(`idle ${idleSeconds} s (sqlite, 3 nodes): RSS skiff ${f.rssMainMB.toFixed(1)} MB, with children ${f.rssTreeMB.toFixed(1)} MB (${f.processes} processes); CPU ${f.cpuMainPct.toFixed(2)} % / ${f.cpuTreePct.toFixed(2)} % of one core`);
    const cond = `3 nodes, sqlite, max over ${idleSeconds} s`;
    rows.push(
      makeRow({ group: 'idle footprint', measure: `RSS, skiff process (${cond})`, skiff: f.rssMainMB, unit: 'MB', max: 120 }),
      makeRow({ group: 'idle footprint', measure: `RSS, with child processes (${f.processes} processes)`, skiff: f.rssTreeMB, unit: 'MB', max: 120 }),
      makeRow({ group: 'idle footprint', measure: `CPU, skiff process (% of one core over ${idleSeconds} s)`, skiff: f.cpuMainPct, unit: '%', max: 1 }),
      makeRow({ group: 'idle footprint', measure: 'CPU, with child processes', skiff: f.cpuTreePct, unit: '%', max: 1 }),
    );
  }
  return rows;
}
