/**
 * Runs a kernel tool (`iptables-restore`, `nft`, `iptables`) with its input on
 * stdin, optionally inside a named network namespace (`ip netns exec`). The
 * kernel data paths take a {@link CommandRunner} so tests can record commands.
 */
import { spawn } from 'node:child_process';

/** What a finished command reports. */
export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `argv` with `input` on stdin; resolves with the exit code (never rejects for a non-zero exit). */
export type CommandRunner = (argv: readonly string[], input?: string) => Promise<CommandResult>;

/**
 * A runner that spawns the real tools, inside `netns` when given.
 *
 * @example await commandRunner('skiff-test')(['nft', '-f', '-'], text)
 */
export function commandRunner(netns?: string): CommandRunner {
  return (argv, input) =>
    new Promise((resolve, reject) => {
      const full = netns ? ['ip', 'netns', 'exec', netns, ...argv] : [...argv];
      const child = spawn(full[0]!, full.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.once('error', (err) => reject(new Error(`cannot run ${full[0]}: ${err.message}; install it (apt-get install -y iptables nftables iproute2)`)));
      child.once('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
      child.stdin.on('error', () => {});
      child.stdin.end(input ?? '');
    });
}

/** Throws a helpful error unless `r` succeeded. */
export function mustSucceed(what: string, r: CommandResult): CommandResult {
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
  return r;
}
