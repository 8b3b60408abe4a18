/**
 * `skiff up --proxy-mode iptables|nftables` for real: a whole cluster (API
 * server, one process node, the service proxy) runs inside a throw-away network
 * namespace, so the rules it writes touch nothing else. Pods are agnhost
 * processes on their 127.x pod IPs; curl in the namespace reaches them through
 * the Service's ClusterIP and NodePort by the kernel's DNAT alone (there is no
 * userspace listener in these modes), and stopping skiff removes its rules.
 *
 * Needs root, `ip netns`, `iptables-restore` and `nft` (installed when missing);
 * skips saying why otherwise. The namespace and every process are removed in
 * `after`, whatever happened.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findKubectl } from '../helpers/cluster.js';
import { eventually } from '../helpers/eventually.js';
import { kernelSkipReason, must, sh } from '../helpers/kernel.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const AGNHOST = 'registry.k8s.io/e2e-test-images/agnhost:2.53';

let skipReason: string | undefined;
const namespaces = new Set<string>();
const processes = new Set<ChildProcess>();
const dirs = new Set<string>();

before(async () => {
  skipReason = await kernelSkipReason();
  if (!skipReason && !findKubectl()) skipReason = 'no kubectl';
});

after(async () => {
  for (const p of processes) p.kill('SIGKILL');
  for (const ns of namespaces) await sh(['ip', 'netns', 'del', ns]);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const WEB = (mode: string): string => `
apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
      - name: web
        image: ${AGNHOST}
        args: [netexec, --http-port=8080]
        readinessProbe: { httpGet: { path: /healthz, port: 8080 }, periodSeconds: 1 }
---
apiVersion: v1
kind: Service
metadata: { name: web, labels: { mode: ${mode} } }
spec:
  type: NodePort
  selector: { app: web }
  ports: [{ port: 80, targetPort: 8080 }]
`;

describe('skiff up with a kernel proxy mode, inside a network namespace', { timeout: 240_000 }, () => {
  for (const mode of ['iptables', 'nftables'] as const) {
    test(`--proxy-mode ${mode}: ClusterIP and NodePort reach both pods by kernel DNAT; stopping removes the rules`, async (t) => {
      if (skipReason) {
        console.log(`# skipping: ${skipReason}`);
        t.skip(skipReason);
        return;
      }
      const ns = `skiff-up-${mode}-${process.pid}`;
      await sh(['ip', 'netns', 'del', ns]);
      await must(['ip', 'netns', 'add', ns]);
      namespaces.add(ns);
      await must(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
      const dir = mkdtempSync(join(tmpdir(), `skiff-kernel-${mode}-`));
      dirs.add(dir);
      const inNs = (argv: string[], timeoutMs?: number) => sh(['ip', 'netns', 'exec', ns, ...argv], timeoutMs);
      const listRules = (): Promise<string> =>
        inNs(mode === 'iptables' ? ['iptables-save', '-t', 'nat'] : ['nft', 'list', 'ruleset']).then((r) => r.stdout);

      // The namespace is private, so the default port and addresses are free.
      const skiff = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'up', '--data-dir', dir, '--store', 'memory', '--nodes', '1', '--runtime', 'process', '--proxy-mode', mode, '--cluster-dns', 'off', '--no-kubeconfig-merge'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      processes.add(skiff);
      let out = '';
      skiff.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      skiff.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<number | null>((r) => skiff.once('exit', (code) => r(code)));
      await eventually(`skiff up with its ${mode} proxy (output so far:\n${out})`, () => (out.includes(`service proxy: ${mode} mode`) && out.includes('try: kubectl')) || (skiff.exitCode !== null ? Promise.reject(new Error(`skiff up exited:\n${out}`)) : undefined), 60_000);

      const kubectl = (args: string[], input?: string) =>
        new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
          const p = spawn('ip', ['netns', 'exec', ns, findKubectl()!, '--kubeconfig', join(dir, 'kubeconfig'), ...args], { env: { ...process.env, KUBECACHEDIR: join(dir, 'kubecache'), HOME: dir } });
          let stdout = '';
          let stderr = '';
          p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
          p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
          const timer = setTimeout(() => p.kill('SIGKILL'), 60_000);
          p.on('close', (code) => {
            clearTimeout(timer);
            resolve({ code: code ?? 1, stdout, stderr });
          });
          p.stdin.end(input ?? '');
        });
      const applied = await kubectl(['apply', '-f', '-'], WEB(mode));
      assert.equal(applied.code, 0, applied.stderr);
      const rolled = await kubectl(['rollout', 'status', 'deploy/web', '--timeout=90s'], undefined);
      assert.equal(rolled.code, 0, `rollout: ${rolled.stderr}\n${out}`);
      const svc = JSON.parse((await kubectl(['get', 'svc', 'web', '-o', 'json'])).stdout) as { spec: { clusterIP: string; ports: Array<{ nodePort: number }> } };
      const clusterIP = svc.spec.clusterIP;
      const nodePort = svc.spec.ports[0]!.nodePort;
      const pods = JSON.parse((await kubectl(['get', 'pods', '-l', 'app=web', '-o', 'json'])).stdout) as { items: Array<{ metadata: { name: string } }> };
      const names = new Set(pods.items.map((p) => p.metadata.name));
      assert.equal(names.size, 2);

      // The rules name the Service; nobody listens on the ClusterIP in this mode.
      await eventually('rules naming default/web', async () => /default\/web/.test(await listRules()), 15_000);
      const listening = await inNs(['ss', '-ltnH', `src ${clusterIP}`]);
      assert.equal(listening.stdout.trim(), '', `something listens on the ClusterIP in ${mode} mode: ${listening.stdout}`);

      for (const [what, url] of [['ClusterIP', `http://${clusterIP}/hostname`], ['NodePort', `http://127.0.0.1:${nodePort}/hostname`]] as const) {
        const seen = new Set<string>();
        await eventually(`both pods through the ${what} ${url}`, async () => {
          const r = await inNs(['curl', '-s', '-S', '--max-time', '3', url]);
          if (r.code !== 0) throw new Error(`curl exit ${r.code}: ${r.stderr.trim()}`);
          seen.add(r.stdout.trim());
          return seen.size === names.size && [...seen].every((n) => names.has(n));
        }, 30_000);
        t.diagnostic(`${mode}: ${what} reached both pods (${[...seen].join(', ')})`);
      }

      skiff.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 20_000))]);
      assert.equal(code, 0, `skiff up did not stop cleanly:\n${out}`);
      processes.delete(skiff);
      const left = await listRules();
      assert.doesNotMatch(left, mode === 'iptables' ? /KUBE-SERVICES|KUBE-SVC-/ : /table ip kube-proxy/, `rules left after skiff stopped:\n${left}`);
      await sh(['ip', 'netns', 'del', ns]);
      namespaces.delete(ns);
    });
  }
});
