import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { WebSocket } from 'ws';
import { KubeletServer } from './kubelet-server.js';
import { SpdySession, type SpdyStream } from './streaming/spdy-session.js';
import { FakeStreamingRuntime, rawWebSocket, SIMULATED_IMAGE } from './streaming/testing.js';

const NODE_IP = '127.0.1.1';

function pod(name: string, containers: Array<{ name: string; image?: string }>, nodeName = 'node-1'): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `uid-${name}` },
    spec: { nodeName, containers: containers.map((c) => ({ image: 'busybox', ...c })) },
    status: { phase: 'Running', podIP: '127.0.0.1' },
  };
}

function withTimeout<T>(p: Promise<T>, what: string, ms = 5000): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<T>((_r, reject) => (t = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms)))]).finally(() => clearTimeout(t));
}

function get(port: number, path: string, host = NODE_IP): Promise<{ code: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host, port, path, agent: false }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

/** Opens a WebSocket; resolves with it, or with the refused upgrade's status and body. */
function openWs(port: number, path: string, protocols: string[]): Promise<WebSocket | { code: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${NODE_IP}:${port}${path}`, protocols);
    // Paused until the test listens: the first messages may arrive with the 101.
    ws.once('open', () => {
      ws.pause();
      resolve(ws);
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
    });
    ws.once('error', reject);
  });
}

interface ExecResult {
  stdout: string;
  stderr: string;
  status: string;
  protocol: string;
}

function runExec(ws: WebSocket, stdin?: string, base64 = false): Promise<ExecResult> {
  return new Promise((resolve) => {
    const r: ExecResult = { stdout: '', stderr: '', status: '', protocol: ws.protocol };
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      let channel: number;
      let payload: Buffer;
      if (base64 || !isBinary) {
        const text = data.toString();
        channel = text.charCodeAt(0) - 48;
        payload = Buffer.from(text.slice(1), 'base64');
      } else {
        channel = data[0]!;
        payload = data.subarray(1);
      }
      if (channel === 1) r.stdout += payload.toString();
      if (channel === 2) r.stderr += payload.toString();
      if (channel === 3) r.status += payload.toString();
    });
    ws.on('close', () => resolve(r));
    ws.resume();
    if (stdin !== undefined) {
      ws.send(Buffer.concat([Buffer.from([0]), Buffer.from(stdin)]));
      ws.send(Buffer.from([255, 0]));
    }
  });
}

function read(stream: SpdyStream): Promise<string> {
  return new Promise((resolve) => {
    let s = '';
    stream.on('data', (d: Buffer) => (s += d.toString()));
    stream.on('end', () => resolve(s));
    stream.on('close', () => resolve(s));
  });
}

/** One forwarded HTTP request over a SPDY session, as kubectl does it: an error stream, then a data stream. */
async function forwardOnce(session: SpdySession, port: number, requestID: string): Promise<{ data: string; error: string }> {
  const error = session.openStream({ streamtype: 'error', port: String(port), requestid: requestID }, true);
  const data = session.openStream({ streamtype: 'data', port: String(port), requestid: requestID });
  await withTimeout(Promise.all([error.replied, data.replied]), 'stream replies');
  const [dataText, errorText] = [read(data), read(error)];
  data.end(`GET /hello HTTP/1.1\r\nHost: pod\r\nConnection: close\r\n\r\n`);
  return { data: await withTimeout(dataText, 'forwarded response'), error: await withTimeout(errorText, 'error stream end') };
}

describe('KubeletServer', () => {
  let dir: string;
  let runtime: FakeStreamingRuntime;
  let kubelet: KubeletServer;
  let port: number;
  let podServer: http.Server;
  let podPort: number;
  const pods = new Map<string, Pod>();
  const web = pod('web', [{ name: 'app' }, { name: 'side' }]);
  const sim = pod('sim', [{ name: 'nginx', image: SIMULATED_IMAGE }]);
  const elsewhere = pod('elsewhere', [{ name: 'app' }], 'node-2');

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skiff-kubelet-'));
    runtime = new FakeStreamingRuntime(dir);
    for (const p of [web, sim, elsewhere]) {
      pods.set(`default/${p.metadata!.name}`, p);
      await runtime.startPod(p, { nodeName: p.spec!.nodeName!, podIP: '127.0.0.1', hostIP: NODE_IP });
    }
    kubelet = new KubeletServer({ runtime, pods: (ns, n) => pods.get(`${ns}/${n}`) });
    port = await kubelet.serve('node-1', NODE_IP);
    assert.equal(await kubelet.serve('node-1', NODE_IP), port, 'serve is idempotent');
    runtime.appendLog(web, 'app', 'stdout', 'one\n', Date.UTC(2024, 0, 1, 0, 0, 1));
    runtime.appendLog(web, 'app', 'stderr', 'two\n', Date.UTC(2024, 0, 1, 0, 0, 2));
    runtime.appendLog(web, 'app', 'stdout', 'three\n', Date.UTC(2024, 0, 1, 0, 0, 3));
    podServer = http.createServer((req, res) => res.end(`pod says hi to ${req.url}`));
    await new Promise<void>((r) => podServer.listen(0, '127.0.0.1', r));
    podPort = (podServer.address() as AddressInfo).port;
  });

  after(async () => {
    await kubelet.close();
    podServer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('containerLogs', () => {
    const table: Array<[string, number, string | RegExp]> = [
      ['/containerLogs/default/web/app', 200, 'one\ntwo\nthree\n'],
      ['/containerLogs/default/web/app?tailLines=1', 200, 'three\n'],
      ['/containerLogs/default/web/app?tailLines=1&timestamps=true', 200, '2024-01-01T00:00:03.000000000Z three\n'],
      ['/containerLogs/default/web/app?limitBytes=6', 200, 'one\ntw'],
      ['/containerLogs/default/web/app?sinceTime=2024-01-01T00:00:02Z', 200, 'two\nthree\n'],
      ['/containerLogs/default/web/side', 200, ''],
      ['/containerLogs/default/web/app?previous=true', 400, 'previous terminated container "app" in pod "web" not found'],
      ['/containerLogs/default/nope/app', 404, 'pod "nope" does not exist'],
      ['/containerLogs/default/web/db', 404, 'container "db" not found in pod "web"'],
      ['/containerLogs/default/elsewhere/app', 404, 'pod "elsewhere" does not exist'],
      ['/containerLogs/default/web/app?tailLines=-1', 400, 'tailLines: Invalid value: -1: must be greater than or equal to 0'],
      ['/containerLogs/default/sim/nginx', 400, /^container "nginx" in pod "sim" is simulated by skiff \(image "simulated" has no built-in program\): it has no process, so it has no logs/],
      ['/exec/default/web/app?command=true&stdout=1', 400, 'Upgrade request required'],
      ['/nothing', 404, '404 page not found'],
    ];
    for (const [path, code, body] of table) {
      test(`GET ${path} → ${code}`, async () => {
        const r = await get(port, path);
        assert.equal(r.code, code, r.body);
        if (typeof body === 'string') assert.equal(r.body, body);
        else assert.match(r.body, body);
      });
    }

    test('previous reads the log of the run before a restart', async () => {
      const p = pod('crashy', [{ name: 'app' }]);
      pods.set('default/crashy', p);
      await runtime.startPod(p, { nodeName: 'node-1', podIP: '127.0.0.1', hostIP: NODE_IP });
      runtime.appendLog(p, 'app', 'stdout', 'first run\n');
      runtime.restartContainer(p, 'app');
      runtime.appendLog(p, 'app', 'stdout', 'second run\n');
      assert.equal((await get(port, '/containerLogs/default/crashy/app')).body, 'second run\n');
      assert.equal((await get(port, '/containerLogs/default/crashy/app?previous=true')).body, 'first run\n');
    });

    test('follow streams a line written later and ends when the client goes away', async () => {
      const p = pod('follow', [{ name: 'app' }]);
      pods.set('default/follow', p);
      await runtime.startPod(p, { nodeName: 'node-1', podIP: '127.0.0.1', hostIP: NODE_IP });
      runtime.appendLog(p, 'app', 'stdout', 'before\n');
      const got = await withTimeout(
        new Promise<string>((resolve, reject) => {
          const req = http.get({ host: NODE_IP, port, path: '/containerLogs/default/follow/app?follow=true', agent: false }, (res) => {
            let body = '';
            res.on('data', (d: Buffer) => {
              body += d.toString();
              if (body === 'before\n') runtime.appendLog(p, 'app', 'stdout', 'after\n');
              if (body.endsWith('after\n')) {
                req.destroy();
                resolve(body);
              }
            });
          });
          req.on('error', (err) => (err.message.includes('socket hang up') ? undefined : reject(err)));
        }),
        'the followed line',
      );
      assert.equal(got, 'before\nafter\n');
    });
  });

  describe('exec', () => {
    test('v5: stdout, stderr, stdin with the close signal, and the exit code as Status', async () => {
      const ws = await openWs(port, `/exec/default/web/app?command=sh&command=-c&command=${encodeURIComponent('cat; echo oops >&2; exit 3')}&stdin=1&stdout=1&stderr=1`, ['v5.channel.k8s.io']);
      assert.ok(ws instanceof WebSocket, JSON.stringify(ws));
      const r = await withTimeout(runExec(ws, 'piped in\n'), 'exec');
      assert.equal(r.protocol, 'v5.channel.k8s.io');
      assert.equal(r.stdout, 'piped in\n');
      assert.equal(r.stderr, 'oops\n');
      const status = JSON.parse(r.status) as { status: string; reason: string; details: unknown };
      assert.equal(status.status, 'Failure');
      assert.equal(status.reason, 'NonZeroExitCode');
      assert.deepEqual(status.details, { causes: [{ reason: 'ExitCode', message: '3' }] });
    });

    test('v4.base64: success is a Success Status', async () => {
      const ws = await openWs(port, '/exec/default/web/app?command=echo&command=hi&stdout=1', ['v4.base64.channel.k8s.io']);
      assert.ok(ws instanceof WebSocket);
      const r = await withTimeout(runExec(ws, undefined, true), 'exec');
      assert.equal(r.stdout, 'hi\n');
      assert.deepEqual(JSON.parse(r.status), { metadata: {}, status: 'Success' });
    });

    test('channel.k8s.io: a failure writes only its message', async () => {
      const ws = await openWs(port, '/exec/default/web/app?command=false&stdout=1', ['channel.k8s.io']);
      assert.ok(ws instanceof WebSocket);
      const r = await withTimeout(runExec(ws), 'exec');
      assert.equal(r.status, 'command terminated with non-zero exit code: error executing command [false], exit code 1');
    });

    const refusals: Array<[string, string[], number, string | RegExp]> = [
      ['/exec/default/web/db?command=true&stdout=1', ['v5.channel.k8s.io'], 404, 'container not found ("db")'],
      ['/exec/default/nope/app?command=true&stdout=1', ['v5.channel.k8s.io'], 404, 'pod does not exist'],
      ['/exec/default/web/app?command=true', ['v5.channel.k8s.io'], 400, 'you must specify at least 1 of stdin, stdout, stderr'],
      ['/exec/default/web/app?command=true&stdout=1', ['v9.channel.k8s.io'], 400, /^requested protocol\(s\) are not supported: \[v9\.channel\.k8s\.io\]/],
      ['/exec/default/sim/nginx?command=true&stdout=1', ['v5.channel.k8s.io'], 400, /simulated by skiff .*nothing to exec into/],
      ['/attach/default/web/app?stdin=1&stdout=1', ['v5.channel.k8s.io'], 400, /^attach with stdin is not supported by skiff/],
    ];
    for (const [path, protocols, code, body] of refusals) {
      test(`${path} is refused with ${code}`, async () => {
        const r = await openWs(port, path, protocols);
        assert.ok(!(r instanceof WebSocket), 'upgrade refused');
        assert.equal(r.code, code);
        // skiff's own messages come as a Status (kubectl would misread `: ` in text as YAML), upstream's as text.
        const message = r.body.startsWith('{') ? (JSON.parse(r.body) as { message: string; code: number }).message : r.body;
        if (typeof body === 'string') assert.equal(message, body);
        else assert.match(message, body);
      });
    }

    test('attach without stdin follows the output from now on', async () => {
      const p = pod('attached', [{ name: 'app' }]);
      pods.set('default/attached', p);
      await runtime.startPod(p, { nodeName: 'node-1', podIP: '127.0.0.1', hostIP: NODE_IP });
      runtime.appendLog(p, 'app', 'stdout', 'old\n');
      const ws = await openWs(port, '/attach/default/attached/app?stdout=1&stderr=1', ['v5.channel.k8s.io']);
      assert.ok(ws instanceof WebSocket);
      const got = await withTimeout(
        new Promise<string>((resolve) => {
          let out = '';
          ws.on('message', (d: Buffer) => {
            out += `${d[0]}:${d.subarray(1).toString()};`;
            if (out.includes('new')) resolve(out);
          });
          ws.resume();
          // The log is open before the upgrade completes: this line is "new".
          runtime.appendLog(p, 'app', 'stderr', 'new\n');
        }),
        'attached output',
      );
      assert.equal(got, '1:;2:new\n;', 'the empty "session is up" message, then the output');
      ws.close();
    });
  });

  describe('portForward', () => {
    test('SPDY tunnelled in WebSocket, as kubectl 1.32 sends it', async () => {
      const ws = await rawWebSocket(NODE_IP, port, '/portForward/default/web', 'SPDY/3.1+portforward.k8s.io');
      assert.equal(ws.protocol, 'SPDY/3.1+portforward.k8s.io');
      const session = new SpdySession(ws.stream, { server: false });
      for (const id of ['0', '1']) {
        const r = await forwardOnce(session, podPort, id);
        assert.match(r.data, /^HTTP\/1\.1 200 OK/);
        assert.match(r.data, /pod says hi to \/hello$/);
        assert.equal(r.error, '');
      }
      session.close();
    });

    test('plain SPDY after Upgrade: SPDY/3.1', async () => {
      const socket = await withTimeout(
        new Promise<import('node:net').Socket>((resolve, reject) => {
          const req = http.request({
            host: NODE_IP,
            port,
            path: '/portForward/default/web',
            method: 'POST',
            agent: false,
            headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'portforward.k8s.io' },
          });
          req.on('upgrade', (res, sock) => {
            assert.equal(res.headers['x-stream-protocol-version'], 'portforward.k8s.io');
            resolve(sock);
          });
          req.on('response', (res) => reject(new Error(`no upgrade: ${res.statusCode}`)));
          req.on('error', reject);
          req.end();
        }),
        'SPDY upgrade',
      );
      const session = new SpdySession(socket, { server: false });
      const r = await forwardOnce(session, podPort, '7');
      assert.match(r.data, /pod says hi to \/hello$/);
      session.close();
    });

    test('a closed pod port is reported on the error stream', async () => {
      const ws = await rawWebSocket(NODE_IP, port, '/portForward/default/web', 'SPDY/3.1+portforward.k8s.io');
      const session = new SpdySession(ws.stream, { server: false });
      const free = await new Promise<number>((resolve) => {
        const s = http.createServer().listen(0, '127.0.0.1', () => {
          const p = (s.address() as AddressInfo).port;
          s.close(() => resolve(p));
        });
      });
      const r = await forwardOnce(session, free, '0');
      assert.equal(r.error, `error forwarding port ${free} to pod web (uid uid-web): dial tcp 127.0.0.1:${free}: connect: connection refused`);
      session.close();
    });

    test('the v4 WebSocket channel protocol with ?port=', async () => {
      const ws = await openWs(port, `/portForward/default/web?port=${podPort}`, ['v4.channel.k8s.io']);
      assert.ok(ws instanceof WebSocket);
      const got = await withTimeout(
        new Promise<{ prefixes: string[]; data: string }>((resolve) => {
          const prefixes: string[] = [];
          let data = '';
          ws.on('message', (d: Buffer) => {
            if (d.length === 3 && prefixes.length < 2) {
              prefixes.push(`${d[0]}:${d.readUInt16LE(1)}`);
              if (prefixes.length === 2) ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('GET /v4 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')]));
              return;
            }
            if (d[0] === 0) data += d.subarray(1).toString();
          });
          ws.on('close', () => resolve({ prefixes, data }));
          ws.resume();
        }),
        'v4 port-forward',
      );
      assert.deepEqual(got.prefixes, [`0:${podPort}`, `1:${podPort}`]);
      assert.match(got.data, /pod says hi to \/v4$/);
    });

    test('a pod of another node is not found', async () => {
      await assert.rejects(rawWebSocket(NODE_IP, port, '/portForward/default/elsewhere', 'SPDY/3.1+portforward.k8s.io'), /upgrade refused: 404 pod does not exist/);
    });
  });

  test('an address that is not on this machine is not served: port 0', async () => {
    assert.equal(await kubelet.serve('remote', '192.0.2.1'), 0);
    assert.equal(kubelet.portFor('192.0.2.1'), undefined);
  });

  test('unserve stops listening at the node IP', async () => {
    const other = await kubelet.serve('node-9', '127.0.1.9');
    assert.equal(other, port, 'nodes share the port when it is free on their IP');
    kubelet.unserve('127.0.1.9');
    assert.equal((await get(port, '/healthz')).body, 'ok', 'the other node is still served');
    await assert.rejects(get(other, '/healthz', '127.0.1.9'), /ECONNREFUSED/);
    assert.equal(kubelet.portFor('127.0.1.9'), undefined);
  });
});
