/**
 * `npm run acceptance [-- FILTER…]`: starts a cluster in a temporary data dir
 * and runs the shared acceptance scenarios against it with kubectl, curl, dig
 * and jq (installing the last three with apt-get when missing and running as
 * root). The scenarios live in `../shared/acceptance` beside the checkout, or
 * wherever `SKIFF_ACCEPTANCE_DIR` points.
 *
 * `--ci` runs only the scenarios listed in `test/acceptance-ci.txt` — the one
 * place that says which scenarios CI holds us to (the list only grows).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(new URL('..', import.meta.url).pathname);

/** Where the scenarios are, or undefined. */
export function acceptanceDir(): string | undefined {
  for (const d of [process.env.SKIFF_ACCEPTANCE_DIR, join(ROOT, '..', 'shared', 'acceptance')]) {
    if (d && existsSync(join(d, 'run-all.sh'))) return d;
  }
  return undefined;
}

/** The scenario names CI runs (comments and blank lines ignored). */
export function ciScenarios(): string[] {
  const text = readFileSync(join(ROOT, 'test', 'acceptance-ci.txt'), 'utf8');
  return text
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean);
}

function ensureTools(): void {
  const missing: string[] = [];
  for (const [tool, pkg] of [['dig', 'dnsutils'], ['jq', 'jq'], ['curl', 'curl']] as const) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) missing.push(pkg);
  }
  if (!missing.length) return;
  if (process.getuid?.() !== 0) {
    console.error(`acceptance: missing tools (${missing.join(', ')}); install them with: sudo apt-get install -y ${missing.join(' ')}`);
    return;
  }
  console.error(`acceptance: installing ${missing.join(', ')}`);
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  spawnSync('apt-get', ['install', '-y', '-qq', ...missing], { stdio: 'inherit' });
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const ci = args.includes('--ci');
  const filters = args.filter((a) => !a.startsWith('--'));
  const dir = acceptanceDir();
  if (!dir) {
    console.error('acceptance: scenarios not found; set SKIFF_ACCEPTANCE_DIR or check out ../shared beside this repository');
    return 2;
  }
  const scenarios = ci ? ciScenarios() : filters;
  if (ci && scenarios.length === 0) {
    console.log('acceptance: no scenarios are on the CI list yet (test/acceptance-ci.txt)');
    return 0;
  }
  ensureTools();
  const dataDir = mkdtempSync(join(tmpdir(), 'skiff-acceptance-'));
  const kubeconfig = join(dataDir, 'kubeconfig-user');
  const server = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'up', '--data-dir', dataDir, '--port', '0', '--kubeconfig', kubeconfig, '--store', process.env.SKIFF_ACCEPTANCE_STORE ?? 'memory'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    // Ready means the API answers and the cluster DNS has said where it listens (`CLUSTER_DNS=ip:port`).
    const clusterDNS = await new Promise<string>((res, rej) => {
      const t = setTimeout(() => rej(new Error(`skiff up did not become ready (with its cluster DNS) in 30 s:\n${buf}`)), 30_000);
      let buf = '';
      server.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        const dns = /CLUSTER_DNS=(\S+)/.exec(buf);
        if (buf.includes('ready in') && buf.includes('kubectl') && (dns || /cluster dns: not started/.test(buf))) {
          clearTimeout(t);
          res(dns?.[1] ?? '');
        }
      });
      server.on('exit', (code) => rej(new Error(`skiff up exited with ${code}:\n${buf}`)));
    });
    const env = { ...process.env, KUBECONFIG: kubeconfig, KUBECACHEDIR: join(dataDir, 'kubecache'), CLUSTER_DNS: process.env.CLUSTER_DNS ?? clusterDNS };
    const run = spawnSync('bash', [join(dir, 'run-all.sh'), ...scenarios], { stdio: 'inherit', env });
    return run.status ?? 1;
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    server.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

process.exit(await main());
