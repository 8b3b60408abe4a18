import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGGREGATED_CONTENT_TYPE, aggregatedDiscovery } from '../discovery.js';
import { openapiV3Response } from './documents.js';

// End to end against the real kubectl: a tiny server answering only discovery, /version
// and OpenAPI, to show that explain reads our schemas and apply trusts the server to
// validate fields (fieldValidation=Strict, no client-side fallback).
const KUBECTL = '/usr/bin/kubectl';
const skip = existsSync(KUBECTL) ? false : `kubectl not installed at ${KUBECTL}`;

interface Logged { method: string; url: string }

describe('real kubectl against the OpenAPI documents', { skip, timeout: 120_000 }, () => {
  const log: Logged[] = [];
  let server: Server;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      log.push({ method: req.method ?? '', url: req.url ?? '' });
      const json = (status: number, body: unknown, type = 'application/json') => {
        res.writeHead(status, { 'Content-Type': type });
        res.end(JSON.stringify(body));
      };
      const notFound = () => json(404, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'the server could not find the requested resource', reason: 'NotFound', details: {}, code: 404 });
      if (url.pathname === '/version') {
        return json(200, { major: '1', minor: '32', gitVersion: 'v1.32.0', gitCommit: '', gitTreeState: 'clean', buildDate: '2024-12-11T00:00:00Z', goVersion: 'go1.23.3', compiler: 'gc', platform: 'linux/amd64' });
      }
      if (url.pathname === '/api' || url.pathname === '/apis') return json(200, aggregatedDiscovery(url.pathname === '/api'), AGGREGATED_CONTENT_TYPE);
      const oa = req.method === 'GET' ? openapiV3Response(url.pathname, url.search) : undefined;
      if (oa) {
        res.writeHead(oa.status, oa.headers);
        return res.end(oa.body);
      }
      if (req.method === 'POST' && url.pathname === '/api/v1/namespaces/default/services') {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => json(201, JSON.parse(Buffer.concat(chunks).toString('utf8'))));
        return;
      }
      notFound();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    dir = mkdtempSync(join(tmpdir(), 'skiff-openapi-kubectl-'));
    writeFileSync(join(dir, 'kubeconfig'), [
      'apiVersion: v1', 'kind: Config', 'current-context: t',
      'clusters:', '- name: t', '  cluster:', `    server: http://127.0.0.1:${port}`,
      'contexts:', '- name: t', '  context:', '    cluster: t', '    user: t', '    namespace: default',
      'users:', '- name: t', '  user: {}', '',
    ].join('\n'));
    env = { PATH: process.env.PATH, HOME: dir, KUBECONFIG: join(dir, 'kubeconfig'), KUBECACHEDIR: join(dir, 'cache') };
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  const kubectl = (...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(KUBECTL, args, { env, timeout: 30_000 }, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
    });

  test('explain service.spec.ports prints the field docs', async () => {
    const r = await kubectl('explain', 'service.spec.ports');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^KIND:\s+Service$/m);
    assert.match(r.stdout, /^VERSION:\s+v1$/m);
    assert.match(r.stdout, /^FIELD: ports <\[\]ServicePort>$/m);
    assert.match(r.stdout, /^DESCRIPTION:\n\s+The list of ports that are exposed by this service/m);
    assert.match(r.stdout, /^\s+port\t<integer> -required-$/m);
    assert.match(r.stdout, /^\s+targetPort\t<IntOrString>$/m);
    assert.match(r.stdout, /^\s+protocol\t<string>$/m);
  });

  test('explain deployment.spec.strategy and explain daemonset work', async () => {
    const strategy = await kubectl('explain', 'deployment.spec.strategy');
    assert.equal(strategy.code, 0, strategy.stderr);
    assert.match(strategy.stdout, /^GROUP:\s+apps$/m);
    assert.match(strategy.stdout, /^FIELD: strategy <DeploymentStrategy>$/m);
    assert.match(strategy.stdout, /^\s+rollingUpdate\t<RollingUpdateDeployment>$/m);
    const ds = await kubectl('explain', 'daemonset');
    assert.equal(ds.code, 0, ds.stderr);
    assert.match(ds.stdout, /^KIND:\s+DaemonSet$/m);
    assert.match(ds.stdout, /DaemonSet represents the configuration of a daemon set\./);
    assert.match(ds.stdout, /^\s+spec\t<DaemonSetSpec>$/m);
    assert.match(ds.stdout, /^\s+metadata\t<ObjectMeta>$/m);
  });

  test('apply --dry-run=server sends fieldValidation=Strict (no client-side fallback)', async () => {
    const manifest = join(dir, 'svc.yaml');
    writeFileSync(manifest, 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector:\n    app: web\n  ports:\n  - port: 80\n    targetPort: 8080\n');
    log.length = 0;
    const r = await kubectl('apply', '--dry-run=server', '-f', manifest);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /service\/web created \(server dry run\)/);
    const post = log.find((l) => l.method === 'POST');
    assert.ok(post, JSON.stringify(log));
    const q = new URL(post.url, 'http://x').searchParams;
    assert.equal(q.get('fieldValidation'), 'Strict');
    assert.equal(q.get('dryRun'), 'All');
    assert.ok(log.some((l) => l.url.startsWith('/openapi/v3/api/v1?hash=')), 'kubectl read the core document');
    assert.ok(!log.some((l) => l.url.startsWith('/openapi/v2')), 'no client-side validation fallback to /openapi/v2');
  });
});
