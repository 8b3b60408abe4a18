/**
 * DNS benchmark (`npm run bench -- dns [--quick]`): skiff's cluster DNS against
 * dnsmasq serving the same 1,000 names, side by side in one run.
 *
 * skiff runs as `startCluster` runs it (API server in this thread, the cluster
 * DNS in a worker thread of its own) with 1,000 Services in namespace `bench`;
 * dnsmasq gets the same names and ClusterIPs in a hosts file. `dnsperf` (10
 * clients, one query file of 1,000 A queries) loads each in turn, twice,
 * alternating, and the better run of each counts (the machine is shared). While
 * dnsperf runs, this thread samples round trips for the latency percentiles.
 * At full load those measure the queue dnsperf keeps (Little's law: its
 * outstanding queries over the rate), so the latency goal is read at a fixed
 * {@link STEADY_QPS} both servers carry, and idle. skiff's server runs with
 * {@link READERS} processes reading its UDP socket (`--dns-readers`).
 * A bare Node responder (bench/backends/dns-floor.ts: read, copy the question,
 * append a fixed answer, send; the same number of processes) is loaded in the
 * same rounds: its rate is what Node's dgram path allows on the machine at that
 * moment, so skiff's rate over it is skiff's own cost apart from the runtime's.
 * Change-to-answer: a Service is created through the API and its name polled
 * until it answers (dnsmasq's equivalent: a hosts line appended plus SIGHUP).
 *
 * Needs the Debian packages `dnsperf` and `dnsmasq` (installed with apt-get when
 * missing and running as root).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { appendFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Endpoints, Service } from 'kubernetes-types/core/v1.js';
import { startCluster } from '../src/cli/cluster.js';
import { startChild, type Child } from './child.js';
import { makeRow, type BenchRow } from './row.js';

const NAMES = 1000;
const ZONE = 'cluster.local';
const NS = 'bench';
const DNSMASQ_HOST = '127.0.4.53';
/** Where bench/backends/dns-floor.ts (the bare Node responder) listens. */
const FLOOR_HOST = '127.0.5.53';
const HERE = new URL('.', import.meta.url).pathname;
const SAMPLES = 50;
/** Reading processes of skiff's DNS server (`--dns-readers`). */
const READERS = 2;
/** The fixed load the latency goal is measured under: well inside both servers' capacity, so the percentile measures answering, not queueing. */
const STEADY_QPS = 20_000;

interface PerfResult {
  qps: number;
  avgLatencyMs: number;
  lostPct: number;
  p50Ms: number;
  p99Ms: number;
}

function which(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Installs dnsperf and dnsmasq with apt-get when missing (root only); throws with what to do otherwise. */
function ensureTools(): void {
  const missing = ['dnsperf', 'dnsmasq'].filter((c) => !which(c));
  if (!missing.length) return;
  if (process.getuid?.() === 0) {
    try {
      execFileSync('apt-get', ['install', '-y', ...missing], { stdio: 'ignore' });
    } catch {
      execFileSync('sh', ['-c', `apt-get update && apt-get install -y ${missing.join(' ')}`], { stdio: 'ignore' });
    }
  }
  const still = missing.filter((c) => !which(c));
  if (still.length) throw new Error(`the DNS benchmark needs ${still.join(' and ')}: install the Debian package(s) (apt-get install ${still.join(' ')}) and run it again`);
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** A raw A query for `name` with `id`. */
function aQuery(name: string, id: number): Buffer {
  const labels = name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')]));
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2);
  header.writeUInt16BE(1, 4);
  return Buffer.concat([header, ...labels, Buffer.from([0, 0, 1, 0, 1])]);
}

/** One UDP client that asks one question at a time and measures round trips. */
class Prober {
  private readonly sock: Socket = createSocket('udp4');
  private id = 0;
  private waiting: ((m: Buffer | undefined) => void) | undefined;

  constructor() {
    this.sock.on('message', (m) => {
      if (m.readUInt16BE(0) !== this.id) return; // a late reply to an earlier probe
      const w = this.waiting;
      this.waiting = undefined;
      w?.(m);
    });
  }

  /** The reply to an A query (undefined after `timeoutMs`) and the round trip in ms. */
  ask(host: string, port: number, name: string, timeoutMs = 1000): Promise<{ reply: Buffer | undefined; ms: number }> {
    this.id = (this.id + 1) & 0xffff;
    const t0 = process.hrtime.bigint();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.waiting = undefined;
        resolve({ reply: undefined, ms: Number(process.hrtime.bigint() - t0) / 1e6 });
      }, timeoutMs);
      this.waiting = (m) => {
        clearTimeout(t);
        resolve({ reply: m, ms: Number(process.hrtime.bigint() - t0) / 1e6 });
      };
      this.sock.send(aQuery(name, this.id), port, host);
    });
  }

  close(): void {
    this.sock.close();
  }
}

/** True when `reply` is NOERROR with at least one answer. */
function answered(reply: Buffer | undefined): boolean {
  return !!reply && reply.length >= 12 && (reply[3]! & 0xf) === 0 && reply.readUInt16BE(6) > 0;
}

/** Runs dnsperf against host:port for `seconds` (at most `rate` queries/s when given) while sampling round trips every 2 ms. */
async function perf(host: string, port: number, queryFile: string, seconds: number, probeName: string, rate?: number): Promise<PerfResult> {
  const args = ['-s', host, '-p', String(port), '-d', queryFile, '-c', '10', '-l', String(seconds), ...(rate ? ['-Q', String(rate)] : [])];
  const child = spawn('dnsperf', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number>((r) => child.on('exit', (code) => r(code ?? -1)));
  const prober = new Prober();
  const rtts: number[] = [];
  let running = true;
  void exited.then(() => (running = false));
  // Let dnsperf ramp up before sampling.
  await new Promise((r) => setTimeout(r, 300));
  while (running) {
    const { reply, ms } = await prober.ask(host, port, probeName, 1000);
    if (reply) rtts.push(ms);
    await new Promise((r) => setTimeout(r, 2));
  }
  prober.close();
  const code = await exited;
  const num = (re: RegExp): number => Number(re.exec(out)?.[1] ?? NaN);
  const qps = num(/Queries per second:\s+([\d.]+)/);
  if (code !== 0 || !Number.isFinite(qps)) throw new Error(`dnsperf against ${host}:${port} failed (exit ${code}):\n${out}`);
  rtts.sort((a, b) => a - b);
  return { qps, avgLatencyMs: num(/Average Latency \(s\):\s+([\d.]+)/) * 1000, lostPct: num(/Queries lost:\s+\d+ \(([\d.]+)%\)/), p50Ms: percentile(rtts, 50), p99Ms: percentile(rtts, 99) };
}

/** Polls `name` at host:port until it answers; ms since `t0`. */
async function untilAnswered(prober: Prober, host: string, port: number, name: string, t0: bigint, timeoutMs = 10_000): Promise<number> {
  for (;;) {
    const { reply } = await prober.ask(host, port, name, 200);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (answered(reply)) return ms;
    if (ms > timeoutMs) throw new Error(`${name} did not answer at ${host}:${port} within ${timeoutMs} ms`);
  }
}

function freeUdpPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, host, () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

function startDnsmasq(port: number, hostsFiles: string[]): ChildProcess {
  const args = [
    '--keep-in-foreground',
    '--conf-file=/dev/null',
    '--no-resolv',
    '--no-hosts',
    '--bind-interfaces',
    `--listen-address=${DNSMASQ_HOST}`,
    `--port=${port}`,
    '--cache-size=10000',
    '--local-ttl=5',
    '--pid-file=',
    '--user=root',
    ...hostsFiles.map((f) => `--addn-hosts=${f}`),
  ];
  return spawn('dnsmasq', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function fmt(n: number, digits = 0): string {
  return Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : 'n/a';
}

/** Runs the DNS benchmark, prints one table (measure, skiff, dnsmasq, ratio, goal) and returns its rows. */
export async function benchDns(): Promise<BenchRow[]> {
  ensureTools();
  const quick = process.argv.includes('--quick');
  const seconds = quick ? 3 : 5; // per run; two runs each
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-dns-'));
  const cluster = await startCluster({ dataDir: join(dir, 'data'), store: 'memory', port: 0, controllers: 'core', nodes: 0, clusterDNS: '127.96.0.10', dnsUpstreams: ['127.0.0.1:9'], dnsReaders: READERS });
  let dnsmasq: ChildProcess | undefined;
  let floorServer: Child | undefined;
  const prober = new Prober();
  try {
    const client = cluster.client;
    const services = client.resource<Service>('', 'v1', 'services');
    await client.resource('', 'v1', 'namespaces').create(undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    const ips = new Map<string, string>();
    for (let i = 0; i < NAMES; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(50, NAMES - i) }, (_, k) =>
          services.create(NS, { apiVersion: 'v1', kind: 'Service', metadata: { name: `svc-${i + k}` }, spec: { ports: [{ port: 80 }] } }),
        ),
      );
      for (const s of batch) ips.set(s.metadata!.name!, s.spec!.clusterIP!);
    }
    // skiff's DNS address is published in the kube-dns Endpoints (port 53, or a free one when 53 is taken).
    const dnsAddr = await (async () => {
      for (let t0 = Date.now(); Date.now() - t0 < 30_000; await new Promise((r) => setTimeout(r, 100))) {
        const ep = await client.resource<Endpoints>('', 'v1', 'endpoints').get('kube-system', 'kube-dns').catch(() => undefined);
        const ip = ep?.subsets?.[0]?.addresses?.[0]?.ip;
        const port = ep?.subsets?.[0]?.ports?.find((p) => p.name === 'dns')?.port;
        if (ip && port) return { host: ip, port };
      }
      throw new Error('the cluster DNS did not publish kube-system/kube-dns within 30 s');
    })();
    const lastName = `svc-${NAMES - 1}.${NS}.svc.${ZONE}`;
    await untilAnswered(prober, dnsAddr.host, dnsAddr.port, lastName, process.hrtime.bigint(), 30_000);

    const queryFile = join(dir, 'queries.txt');
    writeFileSync(queryFile, Array.from({ length: NAMES }, (_, i) => `svc-${i}.${NS}.svc.${ZONE} A\n`).join(''));
    const hostsFile = join(dir, 'hosts');
    writeFileSync(hostsFile, [...ips].map(([name, ip]) => `${ip} ${name}.${NS}.svc.${ZONE}\n`).join(''));
    const changesFile = join(dir, 'hosts-changes');
    writeFileSync(changesFile, '');
    const dnsmasqPort = await freeUdpPort(DNSMASQ_HOST);
    dnsmasq = startDnsmasq(dnsmasqPort, [hostsFile, changesFile]);
    let dnsmasqErr = '';
    dnsmasq.stderr!.on('data', (d: Buffer) => (dnsmasqErr += d.toString()));
    await untilAnswered(prober, DNSMASQ_HOST, dnsmasqPort, lastName, process.hrtime.bigint(), 10_000).catch((err: Error) => {
      throw new Error(`${err.message}; dnsmasq said: ${dnsmasqErr || '(nothing)'}`);
    });

    // Idle latency: sequential queries, nothing else running. The first pass asks
    // each name for the first time (skiff resolves and encodes it; dnsmasq read its
    // hosts file at start), the second asks them all again.
    const idle = async (host: string, port: number): Promise<number> => {
      const rtts: number[] = [];
      for (let i = 0; i < 2000; i++) rtts.push((await prober.ask(host, port, `svc-${i % NAMES}.${NS}.svc.${ZONE}`)).ms);
      return percentile(rtts.sort((a, b) => a - b), 99);
    };
    const firstSkiff = await idle(dnsAddr.host, dnsAddr.port);
    const firstDnsmasq = await idle(DNSMASQ_HOST, dnsmasqPort);
    const idleSkiff = await idle(dnsAddr.host, dnsAddr.port);
    const idleDnsmasq = await idle(DNSMASQ_HOST, dnsmasqPort);
    const steadyDnsmasq = await perf(DNSMASQ_HOST, dnsmasqPort, queryFile, seconds, `svc-1.${NS}.svc.${ZONE}`, STEADY_QPS);
    const steadySkiff = await perf(dnsAddr.host, dnsAddr.port, queryFile, seconds, `svc-1.${NS}.svc.${ZONE}`, STEADY_QPS);

    // Alternate runs so both sides see the same background load; keep each side's best.
    const best = (a: PerfResult | undefined, b: PerfResult): PerfResult => (!a || b.qps > a.qps ? b : a);
    // The bare Node responder runs in the same rounds: Node's own ceiling at that moment.
    const started = await startChild(process.execPath, ['--import', 'tsx', join(HERE, 'backends/dns-floor.ts'), FLOOR_HOST, String(READERS)], /ready (\d+)/);
    floorServer = started.child;
    const floorPort = Number(started.match[1]);
    let skiff: PerfResult | undefined;
    let peer: PerfResult | undefined;
    let floor: PerfResult | undefined;
    for (let round = 0; round < 2; round++) {
      peer = best(peer, await perf(DNSMASQ_HOST, dnsmasqPort, queryFile, seconds, `svc-1.${NS}.svc.${ZONE}`));
      skiff = best(skiff, await perf(dnsAddr.host, dnsAddr.port, queryFile, seconds, `svc-1.${NS}.svc.${ZONE}`));
      floor = best(floor, await perf(FLOOR_HOST, floorPort, queryFile, seconds, `svc-1.${NS}.svc.${ZONE}`));
    }
    await floorServer.stop();

    // Change-to-answer: skiff through the API, informer and projection; dnsmasq through its hosts file and SIGHUP.
    const c2aSkiff: number[] = [];
    const c2aDnsmasq: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const name = `new-${i}`;
      const fqdn = `${name}.${NS}.svc.${ZONE}`;
      let t0 = process.hrtime.bigint();
      const created = await services.create(NS, { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports: [{ port: 80 }] } });
      c2aSkiff.push(await untilAnswered(prober, dnsAddr.host, dnsAddr.port, fqdn, t0));
      t0 = process.hrtime.bigint();
      appendFileSync(changesFile, `${created.spec!.clusterIP} ${fqdn}\n`);
      dnsmasq.kill('SIGHUP');
      c2aDnsmasq.push(await untilAnswered(prober, DNSMASQ_HOST, dnsmasqPort, fqdn, t0));
    }
    c2aSkiff.sort((a, b) => a - b);
    c2aDnsmasq.sort((a, b) => a - b);

    const rows: Array<[string, string, string, string, string]> = [
      ['measure', 'skiff', 'dnsmasq', 'ratio', 'goal'],
      [`queries/s (dnsperf -c 10, ${NAMES} names, best of 2×${seconds} s)`, fmt(skiff!.qps), fmt(peer!.qps), `${(skiff!.qps / peer!.qps).toFixed(2)}x`, '>= 1.0x dnsmasq'],
      [`queries/s of a bare Node responder, ${READERS} processes (Node's ceiling)`, fmt(skiff!.qps), fmt(floor!.qps), `${(skiff!.qps / floor!.qps).toFixed(2)}x`, `(it: ${(floor!.qps / peer!.qps).toFixed(2)}x dnsmasq)`],
      [`p99 latency at ${fmt(STEADY_QPS)} queries/s (dnsperf -Q, sampled)`, `${fmt(steadySkiff.p99Ms, 3)} ms`, `${fmt(steadyDnsmasq.p99Ms, 3)} ms`, `${(steadySkiff.p99Ms / steadyDnsmasq.p99Ms).toFixed(2)}x`, '<= 1 ms'],
      ['p99 latency at full dnsperf load (sampled; queueing)', `${fmt(skiff!.p99Ms, 3)} ms`, `${fmt(peer!.p99Ms, 3)} ms`, `${(skiff!.p99Ms / peer!.p99Ms).toFixed(2)}x`, ''],
      ['p50 latency under dnsperf load (sampled)', `${fmt(skiff!.p50Ms, 3)} ms`, `${fmt(peer!.p50Ms, 3)} ms`, `${(skiff!.p50Ms / peer!.p50Ms).toFixed(2)}x`, ''],
      ['average latency (dnsperf)', `${fmt(skiff!.avgLatencyMs, 3)} ms`, `${fmt(peer!.avgLatencyMs, 3)} ms`, `${(skiff!.avgLatencyMs / peer!.avgLatencyMs).toFixed(2)}x`, ''],
      ['queries lost (dnsperf)', `${fmt(skiff!.lostPct, 2)} %`, `${fmt(peer!.lostPct, 2)} %`, '', ''],
      ['p99 latency idle (2,000 sequential queries)', `${fmt(idleSkiff, 3)} ms`, `${fmt(idleDnsmasq, 3)} ms`, `${(idleSkiff / idleDnsmasq).toFixed(2)}x`, '<= 1 ms'],
      ['p99 latency idle, first time each name is asked', `${fmt(firstSkiff, 3)} ms`, `${fmt(firstDnsmasq, 3)} ms`, `${(firstSkiff / firstDnsmasq).toFixed(2)}x`, ''],
      [`change-to-answer p50 (${SAMPLES} samples; dnsmasq: hosts line + SIGHUP)`, `${fmt(percentile(c2aSkiff, 50), 2)} ms`, `${fmt(percentile(c2aDnsmasq, 50), 2)} ms`, `${(percentile(c2aSkiff, 50) / percentile(c2aDnsmasq, 50)).toFixed(2)}x`, ''],
      ['change-to-answer p99', `${fmt(percentile(c2aSkiff, 99), 2)} ms`, `${fmt(percentile(c2aDnsmasq, 99), 2)} ms`, `${(percentile(c2aSkiff, 99) / percentile(c2aDnsmasq, 99)).toFixed(2)}x`, ''],
    ];
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
    for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd());
    console.log(`(skiff ${dnsAddr.host}:${dnsAddr.port} in its own worker thread, with ${READERS} processes reading its socket; dnsmasq ${DNSMASQ_HOST}:${dnsmasqPort}; ${quick ? 'quick run' : 'full run'})`);
    const g = 'dns';
    const peerName = 'dnsmasq';
    return [
      makeRow({ group: g, measure: `queries/s (dnsperf -c 10, ${NAMES} names, best of 2x${seconds} s)`, skiff: skiff!.qps, peer: peer!.qps, peerName, unit: '/s', better: 'higher', minRatio: 1 }),
      makeRow({
        group: g,
        measure: `queries/s against a bare Node responder (${READERS} processes, fixed answer: Node's own ceiling)`,
        skiff: skiff!.qps,
        peer: floor!.qps,
        peerName: 'bare Node',
        unit: '/s',
        better: 'higher',
        note: `the bare Node responder (bench/backends/dns-floor.ts) answered ${(floor!.qps / peer!.qps).toFixed(2)}x dnsmasq's queries/s in the same run: the part of the gap to dnsmasq that is Node's dgram path, not skiff`,
      }),
      makeRow({ group: g, measure: `p99 latency at ${fmt(STEADY_QPS)} queries/s (dnsperf -Q, sampled)`, skiff: steadySkiff.p99Ms, peer: steadyDnsmasq.p99Ms, peerName, unit: 'ms', better: 'lower', max: 1 }),
      makeRow({ group: g, measure: 'p99 latency at full dnsperf load (sampled; queueing)', skiff: skiff!.p99Ms, peer: peer!.p99Ms, peerName, unit: 'ms', better: 'lower' }),
      makeRow({ group: g, measure: 'p50 latency at full dnsperf load (sampled)', skiff: skiff!.p50Ms, peer: peer!.p50Ms, peerName, unit: 'ms', better: 'lower' }),
      makeRow({ group: g, measure: 'p99 latency idle (2,000 sequential queries)', skiff: idleSkiff, peer: idleDnsmasq, peerName, unit: 'ms', better: 'lower', max: 1 }),
      makeRow({ group: g, measure: 'p99 latency idle, first time each name is asked', skiff: firstSkiff, peer: firstDnsmasq, peerName, unit: 'ms', better: 'lower' }),
      makeRow({ group: g, measure: 'queries lost under dnsperf load', skiff: skiff!.lostPct, peer: peer!.lostPct, peerName, unit: '%' }),
      makeRow({ group: g, measure: `change-to-answer p50 (${SAMPLES} Services; dnsmasq: hosts line + SIGHUP)`, skiff: percentile(c2aSkiff, 50), peer: percentile(c2aDnsmasq, 50), peerName, unit: 'ms', better: 'lower' }),
      makeRow({ group: g, measure: 'change-to-answer p99', skiff: percentile(c2aSkiff, 99), peer: percentile(c2aDnsmasq, 99), peerName, unit: 'ms', better: 'lower' }),
    ];
  } finally {
    prober.close();
    await floorServer?.stop();
    if (dnsmasq && dnsmasq.exitCode === null) {
      const gone = new Promise((r) => dnsmasq!.once('exit', r));
      dnsmasq.kill('SIGTERM');
      await gone;
    }
    await cluster.stop();
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  }
}
