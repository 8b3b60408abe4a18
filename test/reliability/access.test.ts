/**
 * R6, access: a `skiff server` listening beyond loopback (`--host 0.0.0.0`) serves
 * HTTPS only and answers 401 `metav1.Status` to every request without a valid
 * bearer token (health endpoints and upgrades included); the real kubectl works
 * with the generated kubeconfig and fails without the token or the CA; an agent
 * with a wrong token exits non-zero without registering its Node, and the same
 * agent with the join token registers and gets Ready. Secrets are 0600. Prints
 * its figures.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { join } from 'node:path';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { eventually } from '../helpers/eventually.js';
import { terminate } from '../helpers/terminate.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const UNAUTHORIZED = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 };

/** One request; resolves with the status and body, or with the error that ended it (bounded). */
function get(url: string, opts: https.RequestOptions = {}): Promise<{ status?: number; body?: string; error?: string }> {
  return new Promise((resolve) => {
    const mod = url.startsWith('https:') ? https : http;
    const req = mod.get(url, { ...opts, agent: false, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString() }));
      res.on('error', (e) => resolve({ error: e.message }));
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 5 s')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
  });
}

/** Sends a raw exec upgrade request over TLS and returns the first line of the answer. */
function rawUpgrade(port: number, ca: Buffer, auth?: string): Promise<string> {
  return new Promise((resolve) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca }, () => {
      s.write(
        `GET /api/v1/namespaces/default/pods/nope/exec?command=true&stdout=1 HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n${auth ? `Authorization: ${auth}\r\n` : ''}\r\n`,
      );
    });
    let buf = '';
    const timer = setTimeout(() => s.destroy(), 5000);
    s.on('data', (d: Buffer) => (buf += d.toString()));
    s.on('close', () => {
      clearTimeout(timer);
      resolve(buf.split('\r\n')[0] ?? '');
    });
    s.on('error', () => {});
  });
}

describe('R6: access to a non-loopback API server', { timeout: 180_000 }, () => {
  let c: TestCluster;
  let ca: Buffer;
  const agents: ChildProcess[] = [];
  const output: string[] = [];
  const figures: string[] = [];
  let unauthorizedCount = 0;

  const startAgent = (name: string, token: string): ChildProcess => {
    const args = ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'agent', '--server', c.url, '--token', token, '--certificate-authority', c.caFile!, '--name', name, '--data-dir', join(c.dataDir, `agent-${name}`), '--proxy-mode', 'none', '--cluster-dns', 'off', '--cluster-cidr', '127.236.0.0/16'];
    const p = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout!.on('data', (d: Buffer) => output.push(d.toString()));
    p.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
    agents.push(p);
    return p;
  };

  before(async () => {
    c = await startTestCluster({ command: 'server', store: 'memory', host: '0.0.0.0', extraArgs: ['--cluster-dns', 'off'] });
    assert.ok(c.adminToken && c.joinToken && c.caFile, 'the helper exposes the secure cluster credentials');
    ca = readFileSync(c.caFile);
  });
  after(async () => {
    for (const p of agents) await terminate(p, 10_000);
    await c?.stop();
  });

  test('the server announces https and how agents join', () => {
    assert.match(c.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(c.output.some((l) => l.includes(`join with: skiff agent --server ${c.url} --token ${c.joinToken} --certificate-authority ${c.caFile}`)), c.output.join('\n'));
  });

  test('plain HTTP gets no HTTP response', async () => {
    const r = await get(`http://127.0.0.1:${c.port}/version`);
    assert.equal(r.status, undefined, `plain http must not be answered, got ${r.status} ${r.body}`);
    assert.ok(r.error, 'the connection ends with an error');
    figures.push(`plain http refused (${r.error})`);
  });

  test('no token, a wrong token, a non-bearer scheme: 401 Status everywhere', async () => {
    const paths = ['/version', '/healthz', '/livez', '/readyz', '/openapi/v2', '/api', '/api/v1/namespaces', '/apis/apps/v1/daemonsets', '/metrics'];
    const headers: Array<Record<string, string>> = [{}, { Authorization: 'Bearer wrong' }, { Authorization: `Bearer ${c.adminToken}x` }, { Authorization: `Basic ${Buffer.from(`admin:${c.adminToken}`).toString('base64')}` }];
    for (const path of paths) {
      for (const h of headers) {
        const r = await get(`${c.url}${path}`, { ca, headers: h });
        assert.equal(r.status, 401, `${path} with ${JSON.stringify(h)}: ${r.status} ${r.body} ${r.error ?? ''}`);
        assert.deepEqual(JSON.parse(r.body!), UNAUTHORIZED, path);
        unauthorizedCount++;
      }
    }
    const ok = await get(`${c.url}/version`, { ca, headers: { Authorization: `Bearer ${c.adminToken}` } });
    assert.equal(ok.status, 200, ok.body);
    const join = await get(`${c.url}/api/v1/nodes`, { ca, headers: { Authorization: `Bearer ${c.joinToken}` } });
    assert.equal(join.status, 200, `the join token is accepted: ${join.body}`);
    const up = await rawUpgrade(c.port, ca);
    assert.match(up, /^HTTP\/1\.1 401/, 'an upgrade without a token gets 401');
    unauthorizedCount++;
    const upOk = await rawUpgrade(c.port, ca, `Bearer ${c.adminToken}`);
    assert.match(upOk, /^HTTP\/1\.1 404/, 'an authenticated upgrade reaches the router (pod not found)');
    figures.push(`401 for no/wrong token (${unauthorizedCount} requests, upgrade included)`);
  });

  test('kubectl: works with the kubeconfig, fails with a wrong token or without the CA', async () => {
    const okRun = await c.kubectl(['get', 'ns']);
    assert.equal(okRun.code, 0, okRun.stderr);
    assert.match(okRun.stdout, /kube-system/);
    const ownRun = await c.kubectl(['get', 'ns'], { env: { KUBECONFIG: join(c.dataDir, 'kubeconfig') } });
    assert.equal(ownRun.code, 0, `<data-dir>/kubeconfig works too: ${ownRun.stderr}`);
    const wrong = await c.kubectl(['--token', 'wrong', 'get', 'ns']);
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /Unauthorized/);
    const noCA = join(c.dataDir, 'no-ca-kubeconfig');
    writeFileSync(
      noCA,
      `apiVersion: v1\nkind: Config\nclusters:\n- name: s\n  cluster:\n    server: ${c.url}\nusers:\n- name: s\n  user:\n    token: ${c.adminToken}\ncontexts:\n- name: s\n  context: {cluster: s, user: s}\ncurrent-context: s\n`,
      { mode: 0o600 },
    );
    const untrusted = await c.kubectl(['get', 'ns'], { env: { KUBECONFIG: noCA } });
    assert.notEqual(untrusted.code, 0);
    assert.match(untrusted.stderr, /x509|certificate/);
    figures.push('kubectl over https OK, wrong token Unauthorized, no CA x509 error');
  });

  test('an agent with a wrong token exits non-zero and registers nothing; the join token works', async () => {
    const t0 = Date.now();
    const bad = startAgent('bad-node', 'wrong');
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        bad.kill('SIGKILL');
        resolve(null);
      }, 30_000);
      bad.once('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    const ms = Date.now() - t0;
    assert.ok(code !== null && code !== 0, `the agent must exit non-zero on its own, got ${code}; output: ${output.join('')}`);
    assert.match(output.join(''), /the API server refused the token \(401 Unauthorized\): check --token/);
    const missing = await c.kubectl(['get', 'node', 'bad-node']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /NotFound|not found/);
    figures.push(`agent with wrong token exited ${code} in ${ms} ms, no Node registered`);

    const good = startAgent('good-node', c.joinToken!);
    await eventually(`node good-node Ready (agent output: ${output.join('')})`, async () => {
      const r = await c.kubectl(['get', 'node', 'good-node', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']);
      return r.code === 0 && r.stdout.trim() === 'True' ? true : undefined;
    }, 45_000);
    // The agent installs its SIGTERM handler once it saw its node Ready itself.
    await eventually('the agent reports its node Ready', () => output.join('').includes('agent: node good-node Ready'), 15_000);
    const exited = new Promise<number | null>((r) => good.once('exit', r));
    good.kill('SIGTERM');
    assert.equal(await exited, 0, 'the agent stops cleanly on SIGTERM');
    figures.push('agent with join token Ready');
  });

  test('file modes: data dir 0700, kubeconfigs, keys and tokens 0600', () => {
    const mode = (p: string): string => (statSync(p).mode & 0o777).toString(8);
    assert.equal(mode(c.dataDir), '700');
    assert.equal(mode(join(c.dataDir, 'pki')), '700');
    for (const f of ['kubeconfig', 'tokens', 'pki/ca.key', 'pki/apiserver.key']) assert.equal(mode(join(c.dataDir, f)), '600', f);
    assert.equal(mode(c.kubeconfig), '600', 'merged user kubeconfig');
    figures.push('modes OK');
  });

  test('figures', (t) => {
    t.diagnostic(`R6: ${figures.join('; ')}`);
  });
});
