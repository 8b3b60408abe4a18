/**
 * Ends a child process the way a supervisor does: SIGTERM, then SIGKILL if it
 * is still running after `graceMs`; resolves once it has exited (at once if it
 * already had).
 */
import type { ChildProcess } from 'node:child_process';

export async function terminate(proc: ChildProcess, graceMs: number): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  const t = setTimeout(() => proc.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(t);
}
