/**
 * Shell helpers for tests of the kernel data paths (network namespaces,
 * iptables, nft): bounded command runs that never throw, and the reason such a
 * test must skip on this machine (not root, tools missing and not installable).
 */
import { execFile } from 'node:child_process';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `argv` (bounded by `timeoutMs`); resolves with its exit code and output, never rejects. */
export function sh(argv: readonly string[], timeoutMs = 20_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(argv[0]!, argv.slice(1), { timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 127) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) || (err && code === 127 ? err.message : '') });
    });
  });
}

/** Runs `argv`; throws with its stderr unless it exits 0. */
export async function must(argv: readonly string[], timeoutMs?: number): Promise<string> {
  const r = await sh(argv, timeoutMs);
  if (r.code !== 0) throw new Error(`${argv.join(' ')} failed (exit ${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

/** Undefined when kernel tests can run here (installing iptables/nftables/iproute2/curl if missing); else why not. */
export async function kernelSkipReason(): Promise<string | undefined> {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, iptables, nft)';
  const missing = async (): Promise<string[]> => {
    const out: string[] = [];
    for (const [tool, arg] of [['ip', '-V'], ['iptables-restore', '--version'], ['nft', '--version'], ['curl', '--version']] as const) {
      if ((await sh([tool, arg])).code !== 0) out.push(tool);
    }
    return out;
  };
  let gone = await missing();
  if (gone.length > 0) {
    console.log(`# installing iptables nftables iproute2 curl (missing: ${gone.join(', ')})`);
    await sh(['apt-get', 'install', '-y', 'iptables', 'nftables', 'iproute2', 'curl'], 300_000);
    gone = await missing();
    if (gone.length > 0) return `missing ${gone.join(', ')} and apt-get could not install them`;
  }
  const probe = `skiff-probe-${process.pid}`;
  const r = await sh(['ip', 'netns', 'add', probe]);
  await sh(['ip', 'netns', 'del', probe]);
  if (r.code !== 0) return `cannot create network namespaces: ${r.stderr.trim()}`;
  return undefined;
}
