import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { execCheck, httpGetCheck, probeURL, tcpCheck, type HandlerTarget } from './handlers.js';

let server: Server;
let port = 0;
let closedPort = 0;
const seen: Array<Record<string, string | string[] | undefined>> = [];

before(async () => {
  server = createServer((req, res) => {
    seen.push(req.headers);
    const u = new URL(req.url ?? '/', 'http://x');
    if (u.pathname === '/ok') return res.end('fine');
    if (u.pathname === '/fail') return (res.statusCode = 500), res.end('bad');
    if (u.pathname === '/hop') return (res.statusCode = 302), res.setHeader('location', '/ok'), res.end();
    if (u.pathname === '/away') return (res.statusCode = 301), res.setHeader('location', 'http://127.0.0.2:1/x'), res.end('moved');
    if (u.pathname === '/loop') return (res.statusCode = 302), res.setHeader('location', '/loop'), res.end();
    if (u.pathname === '/slow') return; // never answers
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
  const tmp = createTcpServer();
  await new Promise<void>((r) => tmp.listen(0, '127.0.0.1', r));
  closedPort = (tmp.address() as AddressInfo).port;
  await new Promise((r) => tmp.close(r));
});

after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const target = (over: Partial<HandlerTarget> = {}): HandlerTarget => ({
  podIP: '127.0.0.1',
  container: { name: 'c', ports: [{ name: 'http', containerPort: port }] },
  exec: async () => ({ exitCode: 0, output: '', timedOut: false }),
  ...over,
});

describe('httpGet', () => {
  const table: Array<[string, string, string, RegExp]> = [
    ['2xx is success with the body', '/ok', 'success', /^fine$/],
    ['500 is failure', '/fail', 'failure', /^HTTP probe failed with statuscode: 500$/],
    ['a same-host redirect is followed', '/hop', 'success', /^fine$/],
    ['a redirect to another host is a success with a warning', '/away', 'warning', /^Probe terminated redirects, Response body: moved$/],
    ['endless redirects fail', '/loop', 'failure', /stopped after 10 redirects$/],
    ['404 is failure', '/nope', 'failure', /statuscode: 404/],
  ];
  for (const [name, path, result, output] of table) {
    test(name, async () => {
      const r = await httpGetCheck({ path, port: 'http' }, target(), 2000);
      assert.equal(r.result, result);
      assert.match(r.output, output);
    });
  }

  test('a timeout fails with the Go client wording', async () => {
    const r = await httpGetCheck({ path: '/slow', port }, target(), 200);
    assert.equal(r.result, 'failure');
    assert.equal(r.output, `Get "http://127.0.0.1:${port}/slow": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`);
  });

  test('a closed port is connection refused', async () => {
    const r = await httpGetCheck({ path: '/healthz', port: closedPort }, target(), 1000);
    assert.equal(r.output, `Get "http://127.0.0.1:${closedPort}/healthz": dial tcp 127.0.0.1:${closedPort}: connect: connection refused`);
  });

  test('sends kube-probe user agent, Accept */* and custom headers', async () => {
    seen.length = 0;
    await httpGetCheck({ path: '/ok', port, httpHeaders: [{ name: 'X-Custom', value: 'v' }] }, target(), 1000);
    assert.equal(seen[0]!['user-agent'], 'kube-probe/1.32');
    assert.equal(seen[0]!['accept'], '*/*');
    assert.equal(seen[0]!['x-custom'], 'v');
  });

  test('an unknown named port is an unknown result (discarded)', async () => {
    const r = await httpGetCheck({ path: '/', port: 'metrics' }, target(), 1000);
    assert.equal(r.result, 'unknown');
  });

  test('URL: host defaults to the pod IP, scheme is lower-cased, the path gets its slash', () => {
    assert.equal(probeURL({ port: 80, path: 'x?y=1', scheme: 'HTTPS' }, target({ podIP: '127.128.1.9' })).href, 'https://127.128.1.9:80/x?y=1');
    assert.equal(probeURL({ port: 8080, host: '127.0.0.5' }, target()).href, 'http://127.0.0.5:8080/');
  });
});

describe('tcpSocket', () => {
  test('an open port is success', async () => assert.equal((await tcpCheck({ port }, target(), 1000)).result, 'success'));
  test('a closed port is failure with the dial error', async () => {
    const r = await tcpCheck({ port: closedPort }, target(), 1000);
    assert.deepEqual(r, { result: 'failure', output: `dial tcp 127.0.0.1:${closedPort}: connect: connection refused` });
  });
});

describe('exec', () => {
  const table: Array<[string, { exitCode: number; output: string; timedOut: boolean }, string, string]> = [
    ['exit 0 is success', { exitCode: 0, output: 'ok\n', timedOut: false }, 'success', 'ok\n'],
    ['non-zero is failure with the output', { exitCode: 1, output: 'not ready\n', timedOut: false }, 'failure', 'not ready\n'],
    ['a timeout is failure', { exitCode: 137, output: '', timedOut: true }, 'failure', 'command "cat /tmp/healthy" timed out'],
  ];
  for (const [name, ans, result, output] of table) {
    test(name, async () => {
      const r = await execCheck({ command: ['cat', '/tmp/healthy'] }, target({ exec: async () => ans }), 1000);
      assert.deepEqual(r, { result, output });
    });
  }
});
