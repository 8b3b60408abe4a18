/**
 * The built-in images as real processes: each test spawns the entrypoint that
 * resolveBuiltinImage returns (exactly what the process runtime runs), with a
 * pod-like environment, on a random 127.55.x.y address so that upstream's
 * default ports can be used without colliding with anything else.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../../../test/helpers/eventually.js';
import { resolveBuiltinImage } from './index.js';

const AGNHOST = 'registry.k8s.io/e2e-test-images/agnhost:2.53';
const PAUSE = 'registry.k8s.io/pause:3.10';
const POD_NAME = 'pod-x';

const children = new Set<ChildProcess>();
const dirs: string[] = [];

after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = realpathSync(mkdtempSync(join(tmpdir(), 'skiff-agnhost-')));
  dirs.push(d);
  return d;
}

function canListen(ip: string, port: number, proto: 'tcp' | 'udp'): Promise<boolean> {
  return new Promise((resolve) => {
    if (proto === 'tcp') {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, ip, () => s.close(() => resolve(true)));
    } else {
      const s = createSocket('udp4');
      s.once('error', () => {
        s.close();
        resolve(false);
      });
      s.bind(port, ip, () => s.close(() => resolve(true)));
    }
  });
}

/** A random 127.55.x.y where the given ports are free. */
async function freeIP(tcp: number[], udp: number[] = []): Promise<string> {
  for (let i = 0; i < 20; i++) {
    const ip = `127.55.${1 + Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;
    const free = await Promise.all([...tcp.map((p) => canListen(ip, p, 'tcp')), ...udp.map((p) => canListen(ip, p, 'udp'))]);
    if (free.every(Boolean)) return ip;
  }
  throw new Error('no free 127.55.x.y address found for the agnhost test');
}

interface Proc {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns an image's entrypoint (+ args, else the image's CMD) the way the process runtime does. */
function start(image: string, args: string[] | undefined, ip: string, cwd = tempDir()): Proc {
  const img = resolveBuiltinImage(image);
  assert.ok(img, `${image} should be a built-in image`);
  const [cmd, ...rest] = img.entrypoint;
  const child = spawn(cmd!, [...rest, ...(args ?? img.cmd)], {
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', POD_IP: ip, HOSTNAME: POD_NAME },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function exitOf(p: Proc, what: string, ms = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_r, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what} to exit; stdout: ${p.stdout()} stderr: ${p.stderr()}`)), ms);
  });
  try {
    return await Promise.race([p.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

function http(ip: string, port: number, path: string, o: { method?: string; headers?: Record<string, string>; body?: Buffer | string; localAddress?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: ip, port, path, method: o.method ?? 'GET', headers: o.headers, agent: false, timeout: 10_000, ...(o.localAddress ? { localAddress: o.localAddress } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET http://${ip}:${port}${path} timed out`)));
    req.on('error', reject);
    req.end(o.body);
  });
}

function udp(ip: string, port: number, payload: string, localAddress?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    const timer = setTimeout(() => {
      s.close();
      reject(new Error(`no UDP answer from ${ip}:${port} to ${JSON.stringify(payload)} within 5 s`));
    }, 5000);
    s.on('message', (m) => {
      clearTimeout(timer);
      s.close();
      resolve(m.toString('utf8'));
    });
    s.on('error', (e) => {
      clearTimeout(timer);
      s.close();
      reject(e);
    });
    s.bind(0, localAddress ?? '127.0.0.1', () => s.send(payload, port, ip));
  });
}

function tcpRead(ip: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    const c = connect(port, ip);
    c.setTimeout(5000, () => c.destroy(new Error(`no TCP answer from ${ip}:${port} within 5 s`)));
    c.on('data', (d) => (data += d.toString()));
    c.on('end', () => resolve(data));
    c.on('error', reject);
  });
}

async function waitHttp(ip: string, port: number, path: string, p: Proc, status = 200): Promise<void> {
  await eventually(`http://${ip}:${port}${path} to answer ${status} (stdout: ${p.stdout()} stderr: ${p.stderr()})`, async () => {
    if (p.child.exitCode !== null) throw new Error(`process exited with ${p.child.exitCode}: ${p.stderr()}`);
    return (await http(ip, port, path)).status === status;
  });
}

describe('agnhost netexec with default ports', () => {
  let ip: string;
  let cwd: string;
  let proc: Proc;

  before(async () => {
    ip = await freeIP([8080], [8081]);
    cwd = tempDir();
    proc = start(AGNHOST, ['netexec'], ip, cwd);
    await waitHttp(ip, 8080, '/healthz', proc);
  });

  test('/ answers NOW with a Go timestamp', async () => {
    const r = await http(ip, 8080, '/');
    assert.equal(r.status, 200);
    assert.match(r.text, /^NOW: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \+0000 UTC m=\+\d+\.\d{9}$/);
    assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal((await http(ip, 8080, '/no/such/path')).text.slice(0, 5), 'NOW: ');
  });

  test('/echo returns msg with the optional status code; a bad code is explained with 200', async () => {
    assert.equal((await http(ip, 8080, '/echo?msg=hello%20world')).text, 'hello world');
    const teapot = await http(ip, 8080, '/echo?msg=x&code=418');
    assert.deepEqual([teapot.status, teapot.text], [418, 'x']);
    const bad = await http(ip, 8080, '/echo?msg=x&code=abc');
    assert.deepEqual([bad.status, bad.text], [200, `argument 'code' must be an integer or empty, got "abc"\n`]);
    const posted = await http(ip, 8080, '/echo?msg=query', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'msg=body' });
    assert.equal(posted.text, 'body', 'form body values win over the query, as FormValue does');
  });

  test('/clientip is the ip:port the client connected from', async () => {
    const r = await http(ip, 8080, '/clientip', { localAddress: '127.55.254.254' });
    assert.match(r.text, /^127\.55\.254\.254:\d+$/);
  });

  test('/header returns one header or all of them as JSON', async () => {
    assert.equal((await http(ip, 8080, '/header?key=X-Forwarded-For', { headers: { 'x-forwarded-for': '1.2.3.4' } })).text, '1.2.3.4');
    const all = JSON.parse((await http(ip, 8080, '/header', { headers: { 'x-test': 'yes' } })).text) as Record<string, string[]>;
    assert.deepEqual(all['X-Test'], ['yes']);
    assert.equal(all.Host, undefined);
  });

  test('/hostname and /hostName answer the pod name from HOSTNAME', async () => {
    assert.equal((await http(ip, 8080, '/hostname')).text, POD_NAME);
    assert.equal((await http(ip, 8080, '/hostName')).text, POD_NAME);
  });

  test('/healthz and /readyz succeed once the UDP server is up', async () => {
    assert.equal((await http(ip, 8080, '/healthz')).status, 200);
    const ready = await http(ip, 8080, '/readyz');
    assert.deepEqual([ready.status, ready.text], [200, 'ok']);
  });

  test('/shell runs sh -c in the process working directory and environment', async () => {
    const pwd = JSON.parse((await http(ip, 8080, `/shell?cmd=${encodeURIComponent('pwd; echo $HOSTNAME $POD_IP')}`)).text) as Record<string, string>;
    assert.deepEqual(pwd, { output: `${cwd}\n${POD_NAME} ${ip}\n` });
    const failed = await http(ip, 8080, `/shell?shellCommand=${encodeURIComponent('echo out; echo err >&2; exit 3')}`);
    assert.equal(failed.status, 200);
    assert.deepEqual(JSON.parse(failed.text), { error: 'exit status 3', output: 'out\nerr\n' });
    assert.equal(failed.text, '{"error":"exit status 3","output":"out\\nerr\\n"}');
  });

  test('/dial reaches HTTP and UDP endpoints, from the pod IP, and reports failures', async () => {
    const viaHttp = await http(ip, 8080, `/dial?request=hostname&host=${ip}&port=8080&protocol=http&tries=2`);
    assert.deepEqual([viaHttp.status, JSON.parse(viaHttp.text)], [200, { responses: [POD_NAME, POD_NAME] }]);
    const viaUdp = JSON.parse((await http(ip, 8080, `/dial?request=hostname&host=${ip}&port=8081&protocol=udp`)).text);
    assert.deepEqual(viaUdp, { responses: [POD_NAME] });
    const source = JSON.parse((await http(ip, 8080, `/dial?request=clientip&host=${ip}&port=8081&protocol=udp`)).text) as { responses: string[] };
    assert.match(source.responses[0]!, new RegExp(`^${ip.replace(/\./g, '\\.')}:\\d+$`));
    const refused = JSON.parse((await http(ip, 8080, `/dial?request=hostname&host=${ip}&port=1`)).text) as { errors: string[]; responses?: string[] };
    assert.equal(refused.responses, undefined);
    assert.match(refused.errors[0]!, /connection refused/);
    const noRequest = await http(ip, 8080, `/dial?host=${ip}&port=8080`);
    assert.deepEqual([noRequest.status, noRequest.text], [400, 'request parameter not specified. <nil>\n']);
    assert.equal((await http(ip, 8080, `/dial?request=x&host=${ip}&port=8080&tries=z`)).status, 400);
  });

  test('/upload stores a multipart file and answers 201 with its path', async () => {
    const boundary = 'skiffboundary';
    const body = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nuploaded bytes\r\n--${boundary}--\r\n`;
    const r = await http(ip, 8080, '/upload', { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, body });
    assert.equal(r.status, 201, r.text);
    const { output } = JSON.parse(r.text) as { output: string };
    assert.match(output, /\/uploads\/upload\d+$/);
    assert.equal(readFileSync(output, 'utf8'), 'uploaded bytes');
    const missing = await http(ip, 8080, '/upload', { method: 'POST' });
    assert.deepEqual([missing.status, JSON.parse(missing.text)], [200, { error: 'Unable to upload file.' }]);
  });

  test('/redirect answers the location with the given code (302 by default); unclean paths get 301', async () => {
    const r = await http(ip, 8080, '/redirect?location=/echo%3Fmsg%3Dfoobar&code=307');
    assert.deepEqual([r.status, r.headers.location, r.text], [307, '/echo?msg=foobar', '<a href="/echo?msg=foobar">Temporary Redirect</a>.\n\n']);
    assert.equal((await http(ip, 8080, '/redirect?location=/hostname')).status, 302);
    const unclean = await http(ip, 8080, '//echo?msg=a');
    assert.deepEqual([unclean.status, unclean.headers.location], [301, '/echo?msg=a']);
  });

  test('the UDP server answers hostname, echo and clientip', async () => {
    assert.equal(await udp(ip, 8081, 'hostname'), POD_NAME);
    assert.equal(await udp(ip, 8081, 'echo Hello'), 'hello');
    assert.match(await udp(ip, 8081, 'clientip', '127.55.254.253'), /^127\.55\.254\.253:\d+$/);
  });

  test('requests are logged on stdout like upstream', () => {
    assert.match(proc.stdout(), /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d Started HTTP server on port 8080$/m);
    assert.match(proc.stdout(), / GET \/echo\?msg=hello world&code=$/m);
  });

  test('SIGTERM without --delay-shutdown exits 0 at once', async () => {
    proc.child.kill('SIGTERM');
    assert.deepEqual(await exitOf(proc, 'netexec after SIGTERM'), { code: 0, signal: null });
  });
});

describe('agnhost netexec lifecycle', () => {
  test('with --delay-shutdown, SIGTERM fails /readyz with 503 while /healthz stays 200, then exits 0', async () => {
    const ip = await freeIP([18080], [18081]);
    const p = start(AGNHOST, ['netexec', '--http-port', '18080', '-udp-port=18081', '--delay-shutdown=3'], ip);
    await waitHttp(ip, 18080, '/readyz', p);
    p.child.kill('SIGTERM');
    const ready = await eventually('/readyz to report shutting down', async () => {
      const r = await http(ip, 18080, '/readyz');
      return r.status === 503 && r.text === 'shutting down';
    });
    assert.ok(ready);
    assert.equal((await http(ip, 18080, '/healthz')).status, 200);
    assert.deepEqual(await exitOf(p, 'netexec after its shutdown delay'), { code: 0, signal: null });
    assert.match(p.stdout(), /Sleeping 3 seconds before terminating\.\.\./);
  });

  test('without a UDP server /healthz is 412 (upstream readiness), and /exit?code= exits with that code', async () => {
    const ip = await freeIP([18082]);
    const p = start(AGNHOST, ['netexec', '--http-port=18082', '--udp-port=-1'], ip);
    await waitHttp(ip, 18082, '/healthz', p, 412);
    assert.equal((await http(ip, 18082, '/readyz')).status, 412);
    const r = await http(ip, 18082, '/exit?code=3&timeout=1s');
    assert.equal(r.status, 200);
    assert.deepEqual(await exitOf(p, 'netexec after /exit'), { code: 3, signal: null });
  });
});

describe('agnhost serve-hostname', () => {
  test('serves the hostname over HTTP on 9376 by default; --close asks the client to close', async () => {
    const ip = await freeIP([9376]);
    const p = start(AGNHOST, ['serve-hostname', '--close'], ip);
    await waitHttp(ip, 9376, '/', p);
    const r = await http(ip, 9376, '/anything');
    assert.deepEqual([r.status, r.text, r.headers.connection], [200, POD_NAME, 'close']);
    assert.match(p.stdout(), /HTTP request from 127\.0\.0\.1:\d+/);
    p.child.kill('SIGTERM');
    assert.deepEqual(await exitOf(p, 'serve-hostname after SIGTERM'), { code: 0, signal: null });
  });

  test('serves the hostname over raw TCP and UDP with --http=false --tcp --udp', async () => {
    const ip = await freeIP([19376], [19376]);
    const p = start(AGNHOST, ['serve-hostname', '--http=false', '--tcp', '--udp', '--port=19376'], ip);
    const text = await eventually('serve-hostname TCP to answer', async () => {
      if (p.child.exitCode !== null) throw new Error(`exited: ${p.stdout()}`);
      return tcpRead(ip, 19376);
    });
    assert.equal(text, POD_NAME);
    assert.equal(await udp(ip, 19376, 'x'), POD_NAME);
    p.child.kill('SIGTERM');
    assert.equal((await exitOf(p, 'serve-hostname')).code, 0);
  });

  test('HTTP together with TCP is refused with exit 1, as upstream', async () => {
    const p = start(AGNHOST, ['serve-hostname', '--tcp'], '127.55.0.1');
    assert.equal((await exitOf(p, 'serve-hostname --tcp')).code, 1);
    assert.match(p.stdout(), /Can't server TCP\/UDP mode and HTTP mode at the same time/);
  });
});

describe('agnhost liveness and test-webserver', () => {
  test('liveness answers /healthz ok on 8080 while young', async () => {
    const ip = await freeIP([8080]);
    const p = start(AGNHOST, ['liveness'], ip);
    await waitHttp(ip, 8080, '/healthz', p);
    assert.equal((await http(ip, 8080, '/healthz')).text, 'ok');
    assert.match((await http(ip, 8080, '/started')).text, /^\d+(\.\d+)?(ms|s|µs)$/);
    assert.equal((await http(ip, 8080, '/nope')).status, 404);
  });

  test('test-webserver serves files by absolute path and lists directories', async () => {
    const ip = await freeIP([18088]);
    const dir = tempDir();
    writeFileSync(join(dir, 'hello.txt'), 'hello from a file');
    const p = start(AGNHOST, ['test-webserver', '--port=18088'], ip);
    await waitHttp(ip, 18088, '/', p);
    const file = await http(ip, 18088, `${dir}/hello.txt`);
    assert.deepEqual([file.status, file.text, file.headers['access-control-allow-origin']], [200, 'hello from a file', '*']);
    const list = await http(ip, 18088, `${dir}/`);
    assert.match(list.text, /<a href="hello\.txt">hello\.txt<\/a>/);
    assert.equal((await http(ip, 18088, `${dir}/missing`)).status, 404);
  });
});

describe('pause', () => {
  test('agnhost with no command runs its default CMD, pause, which exits 0 on SIGTERM', async () => {
    const p = start(AGNHOST, undefined, '127.55.0.1');
    await eventually('agnhost pause to say Paused', () => p.stdout().includes('Paused\n'));
    p.child.kill('SIGTERM');
    assert.deepEqual(await exitOf(p, 'agnhost pause'), { code: 0, signal: null });
  });

  test('the pause image exits 0 on SIGTERM and on SIGINT', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const p = start(PAUSE, undefined, '127.55.0.1');
      // Its warning is printed once the handlers are in place.
      await eventually('the pause program to start', () => p.stderr().includes('Warning: pause should be the first process'));
      p.child.kill(signal);
      assert.deepEqual(await exitOf(p, `pause after ${signal}`), { code: 0, signal: null });
      assert.match(p.stderr(), signal === 'SIGTERM' ? /Shutting down, got signal: Terminated/ : /Shutting down, got signal: Interrupt/);
    }
  });
});

describe('agnhost usage', () => {
  test('no subcommand and an unknown one print usage to stderr and exit 1', async () => {
    for (const args of [[], ['bogus']]) {
      const p = start(AGNHOST, args.length ? args : ['--v=1'], '127.55.0.1');
      assert.equal((await exitOf(p, `agnhost ${args.join(' ')}`)).code, 1);
      assert.match(p.stderr(), /Usage:\n {2}app \[command\]/);
    }
  });
});
