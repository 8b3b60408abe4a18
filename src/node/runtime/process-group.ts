/**
 * One process tree of the process runtime: a child spawned as the leader of
 * its own process group, so that the whole tree can be signalled at once.
 * When the leader exits, the rest of its group is killed, as the kernel does
 * to a container when its PID 1 exits, and `exited` resolves once the group
 * is gone and its output has been read to the end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { groupAlive, readProcStat, signalExitCode, signalGroup, waitGroupGone } from './process-tree.js';

/** How a process group ended. */
export interface GroupExit {
  /** Exit code, or 128 + signal number when a signal ended the leader. */
  exitCode: number;
  /** The signal that ended the leader, if any. */
  signal?: NodeJS.Signals;
}

/** What to start. */
export interface GroupSpec {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  /** Give the child a stdin pipe (exec `-i`); otherwise stdin is /dev/null. */
  stdin?: boolean;
}

/** Thrown when the program cannot be started at all (missing binary, bad cwd). */
export class StartError extends Error {
  readonly reason = 'StartError';
  constructor(message: string) {
    super(message);
    this.name = 'StartError';
  }
}

function startErrorMessage(argv0: string, err: NodeJS.ErrnoException): string {
  if (err.code === 'ENOENT') return `exec: "${argv0}": executable file not found in $PATH`;
  if (err.code === 'EACCES') return `exec: "${argv0}": permission denied`;
  return `exec: "${argv0}": ${err.message}`;
}

/**
 * A running process group.
 *
 * @example
 * const g = await ProcessGroup.start({ argv: ['sh', '-c', 'echo hi'], cwd: '/tmp', env: { PATH: process.env.PATH! } });
 * g.stdout.on('data', …);
 * const { exitCode } = await g.exited;
 */
export class ProcessGroup {
  /** Leader pid, also the group id. */
  readonly pid: number;
  /** Leader start time in clock ticks (for the restart-safety record). */
  readonly startTicks: number;
  readonly stdout: Readable;
  readonly stderr: Readable;
  readonly stdin: Writable | null;
  /** Resolves once the leader exited, the rest of the group is gone and stdout/stderr ended. */
  readonly exited: Promise<GroupExit>;
  private leaderExited = false;

  private constructor(private readonly child: ChildProcess) {
    this.pid = child.pid!;
    this.startTicks = readProcStat(this.pid)?.startTicks ?? 0;
    this.stdout = child.stdout!;
    this.stderr = child.stderr!;
    this.stdin = child.stdin;
    const closed = new Promise<void>((r) => child.once('close', () => r()));
    this.exited = new Promise<GroupExit>((resolve) => {
      child.once('exit', (code, signal) => {
        this.leaderExited = true;
        void (async () => {
          // The container's PID 1 is gone: so is everything it left behind.
          if (groupAlive(this.pid)) {
            signalGroup(this.pid, 'SIGKILL');
            await waitGroupGone(this.pid, 5_000);
          }
          // Output pipes close once every holder is dead; a process that left the group (setsid)
          // could hold them forever, so the wait is bounded.
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([closed, new Promise((r) => (timer = setTimeout(r, 2_000)))]);
          clearTimeout(timer);
          this.stdout.destroy();
          this.stderr.destroy();
          resolve(signal ? { exitCode: signalExitCode(signal), signal } : { exitCode: code ?? 0 });
        })();
      });
    });
  }

  /**
   * Spawns `spec.argv` detached (its own process group) with stdout and stderr piped.
   *
   * @throws {StartError} when the program cannot be started.
   */
  static start(spec: GroupSpec): Promise<ProcessGroup> {
    const [cmd, ...args] = spec.argv;
    if (!cmd) return Promise.reject(new StartError('no command to run'));
    return new Promise((resolve, reject) => {
      const child = spawn(cmd, args, { cwd: spec.cwd, env: spec.env, detached: true, stdio: [spec.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
      child.once('spawn', () => resolve(new ProcessGroup(child)));
      child.once('error', (err: NodeJS.ErrnoException) => {
        if (child.pid === undefined) reject(new StartError(startErrorMessage(cmd, err)));
      });
    });
  }

  /** Whether the leader is still running. */
  get running(): boolean {
    return !this.leaderExited;
  }

  /** Signals every process of the group. */
  signal(sig: NodeJS.Signals): void {
    signalGroup(this.pid, sig);
  }

  /** Signals the leader only (a container runtime sends the stop signal to the container's PID 1). */
  signalLeader(sig: NodeJS.Signals): void {
    if (this.leaderExited) return;
    try {
      process.kill(this.pid, sig);
    } catch {
      // exited meanwhile
    }
  }
}
