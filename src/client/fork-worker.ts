/**
 * Helper processes that share a listening socket with their parent (Node 20 has
 * no `reusePort`, and worker threads cannot receive handles, but a child process
 * can): the userspace proxy's accept workers and the DNS server's readers.
 */
import { fork, type ChildProcess } from 'node:child_process';

/**
 * The URL of a helper's entry file beside the caller's module: `.ts` when the
 * caller runs as TypeScript (tsx: tests, benchmarks), `.js` when built.
 *
 * @example const ENTRY = siblingEntry('./reader-process', import.meta.url);
 */
export function siblingEntry(stem: string, callerUrl: string): URL {
  return new URL(`${stem}${callerUrl.endsWith('.ts') ? '.ts' : '.js'}`, callerUrl);
}

/**
 * Forks `entry` with an IPC channel (structured-clone serialization, so Buffers
 * pass as bytes), this process's loader flags (tsx) but not its test-runner
 * state, and never keeping the parent alive.
 */
export function forkWorker(entry: URL): ChildProcess {
  // Loader flags (tsx) carry over; test-runner state must not, or the worker would act as a test file.
  const execArgv = process.execArgv.filter((a) => !a.startsWith('--test'));
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  const c = fork(entry, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv, env, serialization: 'advanced' });
  c.unref();
  (c.channel as { unref?: () => void } | undefined)?.unref?.();
  return c;
}
