/**
 * What the process runtime reads from `/proc` and how it signals process
 * groups. Each container instance is started as the leader of its own process
 * group (`detached`), so the group id names "the container's processes":
 * signals go to the whole group, memory is the sum of the group's RSS, and
 * the container is gone when no live (non-zombie) member is left. A process
 * that calls `setsid` leaves the group and escapes this accounting; cgroups
 * would close that gap and may come later.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';

/** The fields of `/proc/<pid>/stat` the runtime uses. */
export interface ProcStat {
  pid: number;
  ppid: number;
  pgid: number;
  /** `R`, `S`, `Z`, … */
  state: string;
  /** Start time in clock ticks after boot: with the pid, identifies a process across pid reuse. */
  startTicks: number;
  /** Resident set size in pages. */
  rssPages: number;
}

/**
 * Parses one `/proc/<pid>/stat` line. The command name is in parentheses and
 * may itself contain spaces and parentheses, so fields are counted from the last `)`.
 *
 * @example
 * parseProcStat('42 (sh) S 1 42 42 0 -1 4194560 … 0 20 0 1 0 98765 2600960 220 …')
 * // → { pid: 42, ppid: 1, pgid: 42, state: 'S', startTicks: 98765, rssPages: 220 }
 */
export function parseProcStat(line: string): ProcStat | undefined {
  const close = line.lastIndexOf(')');
  if (close < 0) return undefined;
  const pid = Number.parseInt(line, 10);
  const f = line.slice(close + 2).split(' ');
  // f[0] is field 3 (state); field n is f[n - 3].
  const state = f[0];
  const ppid = Number(f[1]);
  const pgid = Number(f[2]);
  const startTicks = Number(f[19]);
  const rssPages = Number(f[21]);
  if (!state || !Number.isFinite(pid) || !Number.isFinite(pgid) || !Number.isFinite(startTicks)) return undefined;
  return { pid, ppid, pgid, state, startTicks, rssPages: Number.isFinite(rssPages) ? rssPages : 0 };
}

/** `/proc/<pid>/stat` of one process, or undefined when it does not exist. */
export function readProcStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Every process of the machine (one pass over `/proc`). */
export function listProcs(): ProcStat[] {
  const out: ProcStat[] = [];
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue;
    const s = readProcStat(Number(n));
    if (s) out.push(s);
  }
  return out;
}

let cachedPageSize: number | undefined;

/** The memory page size in bytes (`getconf PAGESIZE`, 4096 when unknown). */
export function pageSize(): number {
  if (cachedPageSize === undefined) {
    try {
      cachedPageSize = Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim()) || 4096;
    } catch {
      cachedPageSize = 4096;
    }
  }
  return cachedPageSize;
}

/** Resident bytes per process group, over `procs` (zombies hold no memory and are skipped). */
export function rssByGroup(procs: readonly ProcStat[], pgids: ReadonlySet<number>): Map<number, number> {
  const out = new Map<number, number>();
  const page = pageSize();
  for (const p of procs) {
    if (!pgids.has(p.pgid) || p.state === 'Z') continue;
    out.set(p.pgid, (out.get(p.pgid) ?? 0) + p.rssPages * page);
  }
  return out;
}

/** Whether any live (non-zombie) process is in group `pgid`. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  // kill(2) also reaches zombies nobody reaped yet; those are gone for our purposes.
  return listProcs().some((p) => p.pgid === pgid && p.state !== 'Z');
}

/** Sends `signal` to every process of group `pgid`; false when the group is empty. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  if (pgid <= 1) return false; // never signal init's or our caller's group by accident
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Resolves true once group `pgid` has no live member, false after `timeoutMs`.
 * Polls every 50 ms on real (referenced) timers: this waits on the OS, not on
 * simulated time, and must keep the process alive while it does.
 */
export async function waitGroupGone(pgid: number, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (!groupAlive(pgid)) return true;
    if (Date.now() >= end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The exit code a container runtime reports for a process killed by `signal`: 128 + its number. */
export function signalExitCode(signal: NodeJS.Signals | string): number {
  const n = (constants.signals as Record<string, number>)[signal];
  return 128 + (n ?? 9);
}
