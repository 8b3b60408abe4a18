/**
 * A real, single-member etcd for tests: `startEtcd()` runs the `etcd` binary (Debian
 * package `etcd-server`) on free loopback ports with a temporary data dir, waits until
 * `/health` answers, and hands back `stop()` (also removes the data dir), `kill()` (SIGKILL,
 * keeps the data) and `restart()` (same data dir and ports). `etcdUnavailable()` installs
 * the package when it is missing and we are root, and otherwise says why tests must skip.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A running (or killed, restartable) etcd. */
export interface TestEtcd {
  /** `http://127.0.0.1:<clientPort>`. */
  endpoint: string;
  /** `etcd://127.0.0.1:<clientPort>`, for `openStore`. */
  url: string;
  clientPort: number;
  dataDir: string;
  /** SIGKILLs the process (data dir kept); resolves once it has exited. */
  kill(): Promise<void>;
  /** Starts etcd again on the same data dir and ports; resolves when healthy. */
  restart(): Promise<void>;
  /** Stops etcd and deletes its data dir. Idempotent. */
  stop(): Promise<void>;
}

let availability: string | undefined | null = null;

/**
 * Undefined when an `etcd` binary can run here (installing `etcd-server` with apt-get first
 * if it is missing and we are root); otherwise the reason, for `test(..., { skip })`.
 */
export function etcdUnavailable(): string | undefined {
  if (availability !== null) return availability;
  const has = (): boolean => spawnSync('etcd', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!has()) {
    if (process.getuid?.() === 0) {
      spawnSync('apt-get', ['install', '-y', 'etcd-server'], { stdio: 'ignore', timeout: 180_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    }
  }
  availability = has() ? undefined : 'etcd is not installed and `apt-get install -y etcd-server` was not possible here';
  if (availability) console.log(`# skipping etcd tests: ${availability}`);
  return availability;
}

/** A free TCP port on 127.0.0.1 (free when asked; etcd binds it right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Starts a fresh single-member etcd on loopback; throws after `timeoutMs` if it does not
 * become healthy, with the tail of its log.
 *
 * @example
 * const etcd = await startEtcd();
 * const store = await EtcdStore.open([etcd.endpoint]);
 * // …
 * await store.close();
 * await etcd.stop();
 */
export async function startEtcd(timeoutMs = 20_000): Promise<TestEtcd> {
  const dataDir = mkdtempSync(join(tmpdir(), 'skiff-etcd-'));
  const clientPort = await freePort();
  const peerPort = await freePort();
  const endpoint = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const args = [
    '--name=skiff-test',
    `--data-dir=${join(dataDir, 'data')}`,
    `--listen-client-urls=${endpoint}`,
    `--advertise-client-urls=${endpoint}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=skiff-test=${peer}`,
    '--initial-cluster-state=new',
    '--log-level=error',
    '--logger=zap',
  ];
  let child: ChildProcess | undefined;
  let log = '';
  let stopped = false;

  const launch = async (): Promise<void> => {
    log = '';
    const proc = spawn('etcd', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    const keep = (b: Buffer): void => {
      log = (log + b.toString()).slice(-4_000);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    const end = Date.now() + timeoutMs;
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`etcd on ${endpoint} exited (${proc.exitCode ?? proc.signalCode}) while starting:\n${log}`);
      try {
        const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1_000) });
        const body = (await res.json()) as { health?: unknown };
        if (body.health === 'true') return;
      } catch {
        // not listening yet
      }
      if (Date.now() > end) {
        proc.kill('SIGKILL');
        throw new Error(`etcd on ${endpoint} did not become healthy in ${timeoutMs} ms:\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const kill = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGKILL');
    await exited;
  };

  await launch();
  return {
    endpoint,
    url: `etcd://127.0.0.1:${clientPort}`,
    clientPort,
    dataDir,
    kill,
    restart: async () => {
      await kill();
      await launch();
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await kill();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
