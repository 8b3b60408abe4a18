/**
 * Restart safety of the process runtime: every process group it starts is
 * recorded in the pod's directory (`<podDir>/processes/<name>.json`) with the
 * leader's pid and start time and the identity of the runtime that owns it.
 * A runtime that starts after a crash finds the records, and kills the groups
 * whose owner is gone (at start) or that belong to a pod it takes over
 * (`startPod`/`adoptPod`): no process is left behind and none runs twice.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readProcStat, type ProcStat } from './process-tree.js';

/** Who started a process group: a runtime instance inside an OS process. */
export interface RuntimeOwner {
  /** OS pid of the runtime's process. */
  pid: number;
  /** That process's start time in ticks (pid reuse guard). */
  startTicks: number;
  /** Random id of the runtime instance (several may live in one process, e.g. in tests). */
  id: string;
}

/** One recorded process group. */
export interface ProcessRecord {
  /** `container` for a container instance, `exec` for exec sessions and exec probes/hooks. */
  kind: 'container' | 'exec';
  podUID: string;
  container: string;
  /** Leader pid, which is also the process group id. */
  pid: number;
  /** Leader start time in ticks. */
  startTicks: number;
  owner: RuntimeOwner;
}

/** The identity of the calling runtime instance. */
export function newRuntimeOwner(): RuntimeOwner {
  return { pid: process.pid, startTicks: readProcStat(process.pid)?.startTicks ?? 0, id: randomUUID() };
}

/** Whether the OS process of `owner` still runs (same pid and start time). */
export function ownerAlive(owner: RuntimeOwner, stat: (pid: number) => ProcStat | undefined = readProcStat): boolean {
  const s = stat(owner.pid);
  return !!s && s.startTicks === owner.startTicks && s.state !== 'Z';
}

/**
 * Whether `rec` should be killed by the runtime `self`:
 * `takeover` (the pod is being started or adopted by `self`) kills anything
 * not owned by `self`; otherwise only groups whose owner process is gone.
 */
export function shouldReap(rec: ProcessRecord, self: RuntimeOwner, takeover: boolean, stat: (pid: number) => ProcStat | undefined = readProcStat): boolean {
  if (rec.owner.id === self.id) return false;
  return takeover || !ownerAlive(rec.owner, stat);
}

/** Directory of a pod's process records. */
export function recordDir(podDir: string): string {
  return join(podDir, 'processes');
}

function recordFile(podDir: string, rec: Pick<ProcessRecord, 'kind' | 'container' | 'pid'>): string {
  return join(recordDir(podDir), rec.kind === 'container' ? `container-${rec.container}.json` : `exec-${rec.pid}.json`);
}

/** Writes `rec` atomically (write + rename), so a crash never leaves half a record. */
export function writeRecord(podDir: string, rec: ProcessRecord): void {
  mkdirSync(recordDir(podDir), { recursive: true });
  const file = recordFile(podDir, rec);
  writeFileSync(`${file}.tmp`, JSON.stringify(rec));
  renameSync(`${file}.tmp`, file);
}

/** Removes the record of a group that ended. */
export function removeRecord(podDir: string, rec: Pick<ProcessRecord, 'kind' | 'container' | 'pid'>): void {
  rmSync(recordFile(podDir, rec), { force: true });
}

/** Records in one pod directory (unreadable files are skipped). */
export function readRecords(podDir: string): Array<{ file: string; rec: ProcessRecord }> {
  const dir = recordDir(podDir);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: Array<{ file: string; rec: ProcessRecord }> = [];
  for (const n of names) {
    if (!n.endsWith('.json')) continue;
    try {
      out.push({ file: join(dir, n), rec: JSON.parse(readFileSync(join(dir, n), 'utf8')) as ProcessRecord });
    } catch {
      // A torn or foreign file: nothing we can act on.
    }
  }
  return out;
}

/** Pod directories of every node under `dataDir` (`<dataDir>/nodes/<node>/var/lib/kubelet/pods/<uid>`). */
export function allPodDirs(dataDir: string): string[] {
  const out: string[] = [];
  let nodes: string[];
  try {
    nodes = readdirSync(join(dataDir, 'nodes'));
  } catch {
    return out;
  }
  for (const node of nodes) {
    const pods = join(dataDir, 'nodes', node, 'var', 'lib', 'kubelet', 'pods');
    try {
      for (const uid of readdirSync(pods)) out.push(join(pods, uid));
    } catch {
      // a node without pods
    }
  }
  return out;
}

/**
 * Kills what is left of a recorded group with SIGKILL and returns the group id
 * when anything was signalled. The leader must still be the recorded process
 * (same start time); when it is gone, members of its group started after it
 * are killed (a recycled group id would belong to a newer leader, whose own
 * start time the check leaves alone unless it is that old group's member).
 */
export function reapRecord(rec: ProcessRecord, procs: () => ProcStat[]): number | undefined {
  const leader = readProcStat(rec.pid);
  if (leader && leader.startTicks === rec.startTicks && leader.state !== 'Z') {
    try {
      process.kill(-rec.pid, 'SIGKILL');
      return rec.pid;
    } catch {
      return undefined;
    }
  }
  const members = procs().filter((p) => p.pgid === rec.pid && p.startTicks >= rec.startTicks && p.state !== 'Z' && p.pid !== rec.pid);
  for (const m of members) {
    try {
      process.kill(m.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return members.length ? rec.pid : undefined;
}
