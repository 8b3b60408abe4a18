/**
 * Starts `skiff up` as a child process on a free port with a temporary data
 * dir, for benchmarks that must not share a thread with the load generator.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;

export interface ServerProcess {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** Spawns the server with the given store; resolves once it is ready. */
export async function startServerProcess(store: string, extraArgs: string[] = [], opts: { fromDist?: boolean } = {}): Promise<ServerProcess> {
  // What users run (`npm start` runs dist/, which `npm run bench` builds first); BENCH_FROM=src measures the sources through tsx.
  const fromDist = opts.fromDist ?? (process.env.BENCH_FROM !== 'src' && existsSync(join(ROOT, 'dist/cli/main.js')));
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-'));
  // BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the server side.
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  // From the compiled dist/ (what bin/skiff.js runs), or from the sources through tsx.
  const entry = fromDist ? [join(ROOT, 'bin/skiff.js')] : ['--import', 'tsx', join(ROOT, 'src/cli/main.ts')];
  const proc = spawn(process.execPath, [...nodeArgs, ...entry, 'up', '--data-dir', dir, '--port', '0', '--store', store, '--no-kubeconfig-merge', ...extraArgs], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    const t = setTimeout(() => reject(new Error(`skiff up did not start:\n${buf}`)), 30_000);
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(buf);
      if (m && buf.includes('try: kubectl')) {
        clearTimeout(t);
        resolve(m[1]!);
      }
    });
    proc.on('exit', (code) => reject(new Error(`skiff up exited with ${code}:\n${buf}`)));
  });
  return {
    url,
    pid: proc.pid!,
    async stop() {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const k = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(k);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
