/**
 * The combined report of `npm run bench`: one text table over every row of
 * every benchmark (`formatReport`, pure), and the same rows as JSON with the
 * machine they were measured on (`writeResults`, to bench/results/).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { formatValue, type BenchRow } from './row.js';

/** Where and how a report was measured. */
export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  totalMemMB: number;
  loadAverage: number[];
  platform: string;
  node: string;
  gitCommit: string;
  gitDirty: boolean;
}

/**
 * Milliseconds a fixed integer loop (10^8 additions) takes in this thread: the machine's
 * speed at that moment. On the development machine it ranged from about 150 ms to 400 ms
 * over a day, and every benchmark's absolute numbers moved with it.
 */
export function speedProbeMs(): number {
  const t = performance.now();
  let x = 0;
  for (let i = 0; i < 1e8; i++) x += i % 7;
  const ms = performance.now() - t;
  // Using x keeps the loop from being optimised away.
  return x < 0 ? -1 : Math.round(ms);
}

/** The JSON document of one `npm run bench` run. */
export interface BenchResults {
  startedAt: string;
  durationSeconds: number;
  /** {@link speedProbeMs} just before each benchmark, by benchmark name. */
  speedProbeMs?: Record<string, number>;
  quick: boolean;
  args: string[];
  machine: MachineInfo;
  rows: BenchRow[];
}

/** Facts about this machine and checkout; git fields are 'unknown' outside a git work tree. */
export function machineInfo(root: string): MachineInfo {
  const git = (args: string[]): string | undefined => {
    try {
      return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return undefined;
    }
  };
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    totalMemMB: Math.round(os.totalmem() / 1e6),
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    gitCommit: git(['rev-parse', 'HEAD']) ?? 'unknown',
    gitDirty: (git(['status', '--porcelain', '--untracked-files=no']) ?? '') !== '',
  };
}

const HEADER = ['measure', 'skiff', 'peer (name)', 'ratio', 'goal', 'met'] as const;

function cells(r: BenchRow): string[] {
  const peer = r.peer === undefined ? '—' : `${formatValue(r.peer, r.unit)}${r.peerName ? ` (${r.peerName})` : ''}`;
  const met = r.met === undefined ? '' : r.met ? 'yes' : 'NO';
  const skiff = formatValue(r.skiff, r.unit);
  return [r.measure, skiff, peer, r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}x`, r.goal ?? '', met];
}

/**
 * The one table: a header, then each group's rows under a `[group]` line, then
 * the notes of rows that have one (numbered, referenced as `[n]` after the
 * measure). Columns are padded to their widest cell.
 *
 * @example console.log(formatReport(rows))
 */
export function formatReport(rows: readonly BenchRow[]): string {
  const notes: string[] = [];
  const body: Array<string[] | string> = [];
  let group: string | undefined;
  for (const r of rows) {
    if (r.group !== group) {
      group = r.group;
      body.push(`[${group}]`);
    }
    const c = cells(r);
    // Notes go under the table, so that one long reason (a failed benchmark) does not widen a column.
    if (r.note) {
      notes.push(r.note);
      c[0] = `${c[0]} [${notes.length}]`;
    }
    body.push(c);
  }
  const table = [[...HEADER], ...body.filter((b): b is string[] => Array.isArray(b))];
  const widths = HEADER.map((_, i) => Math.max(...table.map((t) => t[i]!.length)));
  const line = (c: string[]): string => c.map((x, i) => x.padEnd(widths[i]!)).join('  ').trimEnd();
  const out = [line([...HEADER]), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const b of body) out.push(typeof b === 'string' ? b : line(b));
  out.push('ratio: skiff relative to the peer measured in the same run, > 1 favours skiff (skiff/peer for throughput, peer/skiff for times and sizes).');
  notes.forEach((n, i) => out.push(`[${i + 1}] ${n}`));
  return out.join('\n');
}

/**
 * Writes `results` to `<dir>/latest.json` and `<dir>/<startedAt>.json` (colons
 * replaced, so the name is portable); returns both paths. NaN values become null.
 */
export function writeResults(dir: string, results: BenchResults): string[] {
  mkdirSync(dir, { recursive: true });
  const json = `${JSON.stringify(results, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`;
  const paths = [join(dir, 'latest.json'), join(dir, `${results.startedAt.replace(/:/g, '-')}.json`)];
  for (const p of paths) writeFileSync(p, json);
  return paths;
}
