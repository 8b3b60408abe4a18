/**
 * Test harness: starts `skiff up` as a child process on a free port with its own
 * data dir, kubeconfig and kubectl cache dir, and runs the real kubectl against
 * it. Every wait is bounded; `stop()` kills the process and removes the dirs.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, readFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { terminate } from './terminate.js';

const ROOT = new URL('../..', import.meta.url).pathname;

/** Path of the kubectl binary, or undefined when none is installed. */
export function findKubectl(): string | undefined {
  for (const p of [process.env.KUBECTL, '/usr/bin/kubectl', '/usr/local/bin/kubectl']) if (p && existsSync(p)) return p;
  const r = spawnSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export interface TestCluster {
  /** `http://127.0.0.1:<port>`, or `https://127.0.0.1:<port>` for a secure cluster. */
  url: string;
  /** Secure clusters: the admin token (also in the kubeconfigs). */
  adminToken?: string;
  /** Secure clusters: the join token agents use. */
  joinToken?: string;
  /** Secure clusters: `<dataDir>/pki/ca.crt`. */
  caFile?: string;
  port: number;
  dataDir: string;
  kubeconfig: string;
  env: NodeJS.ProcessEnv;
  proc: ChildProcess;
  /** Output lines so far (for failure messages). */
  output: string[];
  /** Runs kubectl; never throws, resolves with the result. */
  kubectl(args: string[], opts?: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<KubectlResult>;
  /** Kills the server with SIGKILL and waits for it to exit. */
  kill9(): Promise<void>;
  /** Starts the server again on the same data dir and port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface StartOptions {
  /** `up` (default) or `server` (no nodes, no proxy: nodes join with `skiff agent`). */
  command?: 'up' | 'server';
  store?: string;
  /** How the cluster's nodes run pods; default `simulated` (fast, no processes). */
  runtime?: 'process' | 'simulated';
  /** Run the service proxy (off by default: clusters of parallel tests share ClusterIPs, and their proxies would collide). */
  proxy?: boolean;
  /**
   * Give the cluster address ranges of its own (ClusterIPs, cluster DNS, pod and node IPs,
   * LoadBalancer pool), numbered `n` (1…8), so that its proxy and pods do not collide with
   * `npm run acceptance` or other clusters of parallel test files, which use the defaults.
   */
  isolatedNetwork?: number;
  extraArgs?: string[];
  timeoutMs?: number;
  /**
   * When start and restart count as done: `all` (default) once `skiff up` says it is ready
   * (controllers and nodes started); `api` as soon as the API server listens — for tests
   * that restart the server many times and only need its API.
   */
  readyOn?: 'all' | 'api';
  /** `--host` for the API server (e.g. `0.0.0.0`: listens everywhere, switching on secure mode; tests still dial 127.0.0.1). */
  host?: string;
  /** `--secure`: HTTPS and bearer tokens even on loopback. */
  secure?: boolean;
}

/** Whether these options start a secure (HTTPS + token) API server. */
function isSecure(o: StartOptions): boolean {
  const h = (o.host ?? '127.0.0.1').replace(/^\[|\]$/g, '');
  return !!o.secure || !(h === 'localhost' || h === '::1' || /^127\./.test(h));
}

/**
 * Flags for address block `n`: ClusterIPs 127.(16n).0.0/12 minus the default 127.96/12,
 * DNS at its .10, pods 127.(224+n).0.0/16, nodes 127.0.(10+n).0/24, LoadBalancers 127.(112+n).0.0/16.
 */
export function isolatedNetworkArgs(n: number): string[] {
  if (!Number.isInteger(n) || n < 1 || n > 8) throw new Error(`isolatedNetwork must be 1…8, got ${n}`);
  const svc = [16, 32, 48, 64, 80, 176, 192, 208][n - 1]!;
  return [
    '--service-cluster-ip-range', `127.${svc}.0.0/12`,
    '--cluster-dns', `127.${svc}.0.10`,
    '--cluster-cidr', `127.${224 + n}.0.0/16`,
    '--node-ip-range', `127.0.${10 + n}.0/24`,
    '--load-balancer-ip-range', `127.${112 + n}.0.0/16`,
  ];
}

function launch(dataDir: string, kubeconfig: string, port: number, o: StartOptions, output: string[]): Promise<{ proc: ChildProcess; port: number }> {
  const args = ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), o.command ?? 'up', '--data-dir', dataDir, '--port', String(port), '--kubeconfig', kubeconfig, '--store', o.store ?? 'sqlite', '--runtime', o.runtime ?? 'simulated', ...(o.host ? ['--host', o.host] : []), ...(o.secure ? ['--secure'] : []), ...(o.proxy ? [] : ['--proxy-mode', 'none']), ...(o.isolatedNetwork ? isolatedNetworkArgs(o.isolatedNetwork) : []), ...(o.extraArgs ?? [])];
  const proc = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KUBECONFIG: kubeconfig } });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`skiff up did not become ready within ${o.timeoutMs ?? 20000} ms; output:\n${output.join('\n')}`));
    }, o.timeoutMs ?? 20000);
    let buf = '';
    const onData = (d: Buffer): void => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        output.push(line);
        const m = /listening on https?:\/\/[\d.]+:(\d+)/.exec(line);
        if (m) port = Number(m[1]);
        if ((m && o.readyOn === 'api') || (line.includes('ready in') && line.includes('kubectl'))) {
          clearTimeout(timer);
          resolve({ proc, port });
        }
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', (d: Buffer) => output.push(...d.toString().split('\n').filter(Boolean)));
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`skiff up exited with ${code}; output:\n${output.join('\n')}`));
    });
  });
}

/** Starts a cluster; call `stop()` in an `after` hook. */
export async function startTestCluster(o: StartOptions = {}): Promise<TestCluster> {
  const dataDir = mkdtempSync(join(tmpdir(), 'skiff-test-'));
  const kubeconfig = join(dataDir, 'user-kubeconfig');
  const cacheDir = join(dataDir, 'kubecache');
  const output: string[] = [];
  let { proc, port } = await launch(dataDir, kubeconfig, 0, o, output);
  const secure = isSecure(o);
  const tokens = secure ? (JSON.parse(readFileSync(join(dataDir, 'tokens'), 'utf8')) as { admin: string; join: string }) : undefined;
  const caFile = join(dataDir, 'pki', 'ca.crt');
  if (tokens) await waitReadyHttps(port, tokens.admin, readFileSync(caFile), o.timeoutMs ?? 20000, output);
  const env: NodeJS.ProcessEnv = { ...process.env, KUBECONFIG: kubeconfig, KUBECACHEDIR: cacheDir, HOME: dataDir };
  const kubectlPath = findKubectl() ?? 'kubectl';
  const c: TestCluster = {
    get url() {
      return `${secure ? 'https' : 'http'}://127.0.0.1:${port}`;
    },
    ...(tokens ? { adminToken: tokens.admin, joinToken: tokens.join, caFile } : {}),
    get port() {
      return port;
    },
    dataDir,
    kubeconfig,
    env,
    get proc() {
      return proc;
    },
    output,
    kubectl(args, ko = {}) {
      return new Promise((resolve) => {
        const child = spawn(kubectlPath, args, { env: { ...env, ...ko.env }, stdio: ['pipe', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        const timer = setTimeout(() => child.kill('SIGKILL'), ko.timeoutMs ?? 20000);
        child.on('close', (code) => {
          clearTimeout(timer);
          resolve({ code: code ?? -1, stdout, stderr });
        });
        child.stdin.end(ko.input ?? '');
      });
    },
    async kill9() {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGKILL');
      await exited;
    },
    async restart() {
      ({ proc, port } = await launch(dataDir, kubeconfig, port, o, output));
      if (tokens) await waitReadyHttps(port, tokens.admin, readFileSync(caFile), o.timeoutMs ?? 20000, output);
    },
    async stop() {
      await terminate(proc, 5000);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return c;
}

/** Polls `GET /readyz` over HTTPS with the admin token until it answers 200 (bounded). */
async function waitReadyHttps(port: number, token: string, ca: Buffer, timeoutMs: number, output: string[]): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    last = await new Promise<string>((resolve) => {
      const req = https.get({ host: '127.0.0.1', port, path: '/readyz', ca, headers: { Authorization: `Bearer ${token}` }, timeout: 2000 }, (res) => {
        res.resume();
        resolve(String(res.statusCode));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (e) => resolve(e.message));
    });
    if (last === '200') return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`secure API server on port ${port} not ready over https within ${timeoutMs} ms (last: ${last}); output:\n${output.join('\n')}`);
}
