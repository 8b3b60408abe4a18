/**
 * The service proxy's userspace data path against an in-process cluster: real
 * Services (ClusterIPs and NodePorts allocated by the API server), hand-made
 * EndpointSlices and Node objects, and small TCP/UDP backends bound on their own
 * 127.128.0.N addresses with one shared port. Checks round-robin evenness,
 * ClientIP affinity, endpoint removal (no new traffic, open connections survive),
 * connect retry past a dead backend, refusal without endpoints, NodePorts on
 * 127.0.0.1 and node IPs, externalTrafficPolicy Local, LoadBalancer ingress IPs,
 * UDP, the scheduler annotation and the metrics. Every wait is bounded.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Node, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { Registry } from 'prom-client';
import { startCluster, type Cluster } from '../../src/cli/cluster.js';
import type { ResourceClient } from '../../src/client/client.js';
import { newControllerContext } from '../../src/controllers/runtime/context.js';
import { ServiceProxy } from '../../src/proxy/index.js';
import { freePort } from '../../src/proxy/testing.js';
import { eventually } from '../helpers/eventually.js';

const NS = 'default';
const IO_TIMEOUT_MS = 3000;

/** A TCP backend: greets each connection with its name and a newline, then echoes. */
interface TcpBackend {
  name: string;
  ip: string;
  server: net.Server;
  sockets: Set<net.Socket>;
}

async function listenTcp(ip: string, port: number, name: string): Promise<TcpBackend> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    s.write(`${name}\n`);
    s.pipe(s);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: ip, port }, () => resolve());
  });
  return { name, ip, server, sockets };
}

/** Connects and resolves with an open socket plus the greeting line. */
function connect(host: string, port: number, localAddress?: string): Promise<{ socket: net.Socket; name: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, ...(localAddress ? { localAddress } : {}) });
    let buf = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no greeting from ${host}:${port} within ${IO_TIMEOUT_MS} ms`));
    }, IO_TIMEOUT_MS);
    const onData = (d: Buffer): void => {
      buf += d.toString();
      const i = buf.indexOf('\n');
      if (i < 0) return;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', onError);
      socket.on('error', () => {});
      resolve({ socket, name: buf.slice(0, i) });
    };
    const onError = (err: Error): void => {
      clearTimeout(timer);
      reject(err);
    };
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', () => {
      clearTimeout(timer);
      reject(new Error(`connection to ${host}:${port} closed before a greeting`));
    });
  });
}

/** Which backend answers one fresh connection. */
async function hello(host: string, port: number, localAddress?: string): Promise<string> {
  const { socket, name } = await connect(host, port, localAddress);
  socket.destroy();
  return name;
}

/** Names of `n` sequential connections, counted. */
async function tally(host: string, port: number, n: number, localAddress?: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const name = await hello(host, port, localAddress);
    out[name] = (out[name] ?? 0) + 1;
  }
  return out;
}

/** Sends `text` on an open socket and waits for it to be echoed. */
function echo(socket: net.Socket, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`no echo of "${text}" within ${IO_TIMEOUT_MS} ms`)), IO_TIMEOUT_MS);
    const onData = (d: Buffer): void => {
      buf += d.toString();
      if (buf.length >= text.length) {
        clearTimeout(timer);
        socket.off('data', onData);
        resolve(buf);
      }
    };
    socket.on('data', onData);
    socket.write(text);
  });
}

/** Resolves with the error code of a connection attempt ('' if it connected). */
function attempt(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('TIMEOUT');
    }, IO_TIMEOUT_MS);
    socket.on('connect', () => {
      // A reset right after accept also counts as a rejection.
      socket.once('data', () => {
        clearTimeout(timer);
        socket.destroy();
        resolve('');
      });
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(err.code ?? 'ERROR');
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve('CLOSED');
    });
  });
}

/** Resolves true once something accepts connections on host:port, undefined when refused. */
function listening(host: string, port: number): Promise<true | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.on('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(undefined));
  });
}

/** One UDP request/response from a fresh client socket (or from `client`). */
function udpAsk(host: string, port: number, text: string, client?: dgram.Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = client ?? dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      s.off('message', onMessage);
      if (!client) s.close();
      reject(new Error(`no UDP answer from ${host}:${port} within ${IO_TIMEOUT_MS} ms`));
    }, IO_TIMEOUT_MS);
    const onMessage = (m: Buffer): void => {
      clearTimeout(timer);
      s.off('message', onMessage);
      if (!client) s.close();
      resolve(m.toString());
    };
    s.on('message', onMessage);
    s.send(text, port, host);
  });
}

describe('service proxy (userspace)', () => {
  let cluster: Cluster;
  let dataDir: string;
  let services: ResourceClient<Service>;
  let slices: ResourceClient<EndpointSlice>;
  let nodes: ResourceClient<Node>;
  let proxy: ServiceProxy;
  const registry = new Registry();
  const stop = new AbortController();
  let proxyDone: Promise<void>;
  let informersDone: Promise<void>;
  let port: number;
  const backends: TcpBackend[] = [];
  const udpBackends: dgram.Socket[] = [];
  const clients: Array<net.Socket | dgram.Socket> = [];

  /** A Service with one TCP port (a free port number) → the backends' port, unless `spec.ports` says otherwise. */
  const makeService = async (name: string, spec: NonNullable<Service['spec']>, annotations?: Record<string, string>): Promise<Service> =>
    services.create(NS, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, ...(annotations ? { annotations } : {}) },
      spec: { ...spec, ports: spec.ports ?? [{ port: await freePort(), targetPort: port }] },
    });

  const sliceFor = (svc: string, eps: Array<{ ip: string; node?: string; ready?: boolean; serving?: boolean; terminating?: boolean }>, protocol = 'TCP', targetPort = port, name = `${svc}-1`): EndpointSlice => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, labels: { 'kubernetes.io/service-name': svc } },
    addressType: 'IPv4',
    endpoints: eps.map((e) => ({
      addresses: [e.ip],
      conditions: { ready: e.ready ?? true, serving: e.serving ?? e.ready ?? true, terminating: e.terminating ?? false },
      ...(e.node ? { nodeName: e.node } : {}),
    })),
    ports: [{ name: '', port: targetPort, protocol }],
  });

  const putSlice = async (slice: EndpointSlice): Promise<void> => {
    try {
      const cur = await slices.get(NS, slice.metadata!.name!);
      await slices.update(NS, { ...slice, metadata: { ...slice.metadata, resourceVersion: cur.metadata!.resourceVersion } });
    } catch {
      await slices.create(NS, slice);
    }
  };

  const backendSnapshot = (svc: string, endpoint: string) =>
    proxy
      .snapshot()
      .servicePorts.find((s) => s.name === svc)
      ?.backends.find((b) => b.endpoint === endpoint);

  const reachable = (host: string, p: number): Promise<true> => eventually(`${host}:${p} to accept proxied connections`, async () => (await attempt(host, p)) === '' || undefined);

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'skiff-proxy-'));
    cluster = await startCluster({ dataDir, store: 'memory', port: 0, controllers: 'core' });
    services = cluster.client.resource<Service>('', 'v1', 'services');
    slices = cluster.client.resource<EndpointSlice>('discovery.k8s.io', 'v1', 'endpointslices');
    nodes = cluster.client.resource<Node>('', 'v1', 'nodes');
    // Backends a..d on 127.128.0.1-4, all on one port (a slice port is one number).
    const first = await listenTcp('127.128.0.1', 0, 'a');
    port = (first.server.address() as net.AddressInfo).port;
    backends.push(first);
    for (const [i, name] of ['b', 'c', 'd'].entries()) backends.push(await listenTcp(`127.128.0.${i + 2}`, port, name));
    for (const [i, name] of ['node-1', 'node-2'].entries()) {
      await nodes.create(undefined, {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name },
        spec: { podCIDR: `127.128.${i + 1}.0/24`, podCIDRs: [`127.128.${i + 1}.0/24`] },
        status: { addresses: [{ type: 'InternalIP', address: `127.0.1.${i + 1}` }] },
      } as Node);
    }
    const ctx = newControllerContext(cluster.client);
    proxy = new ServiceProxy(ctx.informers, { minSyncPeriodMs: 20, registry, udpIdleTimeoutMs: 5000 });
    informersDone = ctx.informers.start(stop.signal);
    proxyDone = proxy.start(stop.signal);
    await eventually('the proxy to finish its first sync', async () => {
      await Promise.race([proxy.ready, new Promise((r) => setTimeout(r, 100))]);
      return proxy.snapshot().syncs > 0;
    });
  });

  after(async () => {
    for (const c of clients) {
      if (c instanceof net.Socket) c.destroy();
      else
        try {
          c.close();
        } catch {
          // closed
        }
    }
    stop.abort();
    await Promise.race([Promise.all([proxyDone, informersDone]), new Promise((r) => setTimeout(r, 5000))]);
    for (const b of backends) {
      for (const s of b.sockets) s.destroy();
      await new Promise((r) => b.server.close(r));
    }
    for (const u of udpBackends) u.close();
    await cluster?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('round robin spreads sequential connections evenly over ready endpoints', async () => {
    const svc = await makeService('rr', {});
    await slices.create(NS, sliceFor('rr', [{ ip: '127.128.0.1' }, { ip: '127.128.0.2' }, { ip: '127.128.0.3' }]));
    const vip = svc.spec!.clusterIP!;
    const vport = svc.spec!.ports![0]!.port;
    await reachable(vip, vport);
    await eventually('all three endpoints programmed', () => backendSnapshot('rr', `127.128.0.3:${port}`));
    const counts = await tally(vip, vport, 30);
    assert.deepEqual(counts, { a: 10, b: 10, c: 10 });
  });

  test('ClientIP affinity keeps a client on one endpoint; another client gets the next one', async () => {
    const svc = await makeService('sticky', { sessionAffinity: 'ClientIP' });
    await slices.create(NS, sliceFor('sticky', [{ ip: '127.128.0.1' }, { ip: '127.128.0.2' }, { ip: '127.128.0.3' }]));
    const vip = svc.spec!.clusterIP!;
    const vport = svc.spec!.ports![0]!.port;
    await eventually('all three endpoints programmed', () => backendSnapshot('sticky', `127.128.0.3:${port}`));
    await reachable(vip, vport);
    const first = await tally(vip, vport, 8, '127.0.0.1');
    assert.equal(Object.keys(first).length, 1, `one client stays on one endpoint: ${JSON.stringify(first)}`);
    const other = await tally(vip, vport, 5, '127.0.0.2');
    assert.equal(Object.keys(other).length, 1, `the second client stays too: ${JSON.stringify(other)}`);
    assert.notEqual(Object.keys(other)[0], Object.keys(first)[0], 'the second client was scheduled round robin onto the next endpoint');
  });

  test('a removed endpoint gets no new connections while its open connection survives', async () => {
    const svc = await makeService('shrink', {});
    await slices.create(NS, sliceFor('shrink', [{ ip: '127.128.0.1' }, { ip: '127.128.0.2' }]));
    const vip = svc.spec!.clusterIP!;
    const vport = svc.spec!.ports![0]!.port;
    await eventually('both endpoints programmed', () => backendSnapshot('shrink', `127.128.0.2:${port}`));
    // Open connections until one lands on b, and keep it.
    let kept: net.Socket | undefined;
    for (let i = 0; i < 4 && !kept; i++) {
      const c = await connect(vip, vport);
      clients.push(c.socket);
      if (c.name === 'b') kept = c.socket;
    }
    assert.ok(kept, 'round robin reached b');
    await putSlice(sliceFor('shrink', [{ ip: '127.128.0.1' }]));
    await eventually('b unlisted', () => backendSnapshot('shrink', `127.128.0.2:${port}`)?.listed === false);
    assert.deepEqual(await tally(vip, vport, 6), { a: 6 });
    assert.equal(await echo(kept, 'still-there'), 'still-there');
    // An unrelated Service change leaves the connection alone too.
    await makeService('unrelated', {});
    await eventually('the unrelated Service synced', () => proxy.snapshot().servicePorts.some((s) => s.name === 'unrelated'));
    assert.equal(await echo(kept, 'and-now'), 'and-now');
    const snap = backendSnapshot('shrink', `127.128.0.2:${port}`)!;
    assert.equal(snap.activeConnections, 1);
    assert.ok(snap.bytesIn >= 'still-thereand-now'.length, `live bytes counted: ${JSON.stringify(snap)}`);
  });

  test('a dead endpoint is retried on another one, so every connection succeeds', async () => {
    const svc = await makeService('retry', {});
    // 127.128.0.9 has no server: connections there are refused and retried.
    await slices.create(NS, sliceFor('retry', [{ ip: '127.128.0.1' }, { ip: '127.128.0.9' }]));
    const vip = svc.spec!.clusterIP!;
    const vport = svc.spec!.ports![0]!.port;
    await eventually('both endpoints programmed', () => backendSnapshot('retry', `127.128.0.9:${port}`));
    await reachable(vip, vport);
    const counts = await tally(vip, vport, 6);
    assert.deepEqual(counts, { a: 6 });
    assert.ok(backendSnapshot('retry', `127.128.0.9:${port}`)!.errors >= 1, 'the failed dials were counted');
  });

  test('a Service without usable endpoints refuses connections, and so does one that loses them', async () => {
    const svc = await makeService('empty', {});
    const vip = svc.spec!.clusterIP!;
    const vport = svc.spec!.ports![0]!.port;
    await eventually('the Service synced', () => proxy.snapshot().servicePorts.some((s) => s.name === 'empty'));
    assert.equal(await attempt(vip, vport), 'ECONNREFUSED');
    // Not-ready endpoints are not usable either.
    await slices.create(NS, sliceFor('empty', [{ ip: '127.128.0.1', ready: false }]));
    await eventually('the slice synced', () => backendSnapshot('empty', `127.128.0.1:${port}`));
    assert.equal(await attempt(vip, vport), 'ECONNREFUSED');
    // Serving-but-terminating endpoints are the fallback when nothing is ready.
    await putSlice(sliceFor('empty', [{ ip: '127.128.0.1', ready: false, serving: true, terminating: true }]));
    await reachable(vip, vport);
    assert.equal(await hello(vip, vport), 'a');
    await slices.delete(NS, 'empty-1');
    await eventually('the listener closed', async () => (await attempt(vip, vport)) === 'ECONNREFUSED');
  });

  test('NodePorts answer on 127.0.0.1 and on every node InternalIP', async () => {
    const svc = await makeService('np', { type: 'NodePort' });
    await slices.create(NS, sliceFor('np', [{ ip: '127.128.0.1', node: 'node-1' }, { ip: '127.128.0.2', node: 'node-2' }]));
    const nodePort = svc.spec!.ports![0]!.nodePort!;
    for (const host of ['127.0.0.1', '127.0.1.1', '127.0.1.2']) await reachable(host, nodePort);
    assert.deepEqual(await tally('127.0.1.2', nodePort, 4), { a: 2, b: 2 });
  });

  test('externalTrafficPolicy Local: a node IP reaches only that node’s endpoints', async () => {
    const svc = await makeService('local', { type: 'NodePort', externalTrafficPolicy: 'Local' });
    await slices.create(NS, sliceFor('local', [{ ip: '127.128.0.1', node: 'node-1' }, { ip: '127.128.0.2', node: 'node-2' }, { ip: '127.128.0.3', node: 'node-2' }]));
    const nodePort = svc.spec!.ports![0]!.nodePort!;
    await eventually('endpoints programmed', () => backendSnapshot('local', `127.128.0.3:${port}`));
    await reachable('127.0.1.1', nodePort);
    await reachable('127.0.1.2', nodePort);
    assert.deepEqual(await tally('127.0.1.1', nodePort, 4), { a: 4 });
    assert.deepEqual(await tally('127.0.1.2', nodePort, 4), { b: 2, c: 2 });
    // 127.0.0.1 is the host, not one node: it reaches endpoints on every served node.
    assert.deepEqual(Object.keys(await tally('127.0.0.1', nodePort, 6)).sort(), ['a', 'b', 'c']);
    // The ClusterIP is internal traffic: Cluster policy, every endpoint.
    assert.deepEqual(Object.keys(await tally(svc.spec!.clusterIP!, svc.spec!.ports![0]!.port, 6)).sort(), ['a', 'b', 'c']);
  });

  test('internalTrafficPolicy Local: a client pod reaches only endpoints on its own node', async () => {
    const svc = await makeService('itp', { internalTrafficPolicy: 'Local' });
    await slices.create(NS, sliceFor('itp', [{ ip: '127.128.0.1', node: 'node-1' }, { ip: '127.128.0.2', node: 'node-2' }]));
    const vip = svc.spec!.clusterIP!;
    const vport = svc.spec!.ports![0]!.port;
    await eventually('endpoints programmed', () => backendSnapshot('itp', `127.128.0.2:${port}`));
    await reachable(vip, vport);
    // Client addresses inside each node's pod CIDR.
    assert.deepEqual(await tally(vip, vport, 4, '127.128.2.50'), { b: 4 });
    assert.deepEqual(await tally(vip, vport, 4, '127.128.1.50'), { a: 4 });
    // The host (127.0.0.1) is no single node: it may use either.
    assert.deepEqual(Object.keys(await tally(vip, vport, 4, '127.0.0.1')).sort(), ['a', 'b']);
  });

  test('HTTP through the proxy: large bodies both ways, keep-alive, half-close', async () => {
    const body = Buffer.alloc(2 * 1024 * 1024, 'x');
    const server = http.createServer((req, res) => {
      let n = 0;
      req.on('data', (d: Buffer) => (n += d.length));
      req.on('end', () => res.end(`${n}:${body.toString()}`));
    });
    const hport = await new Promise<number>((r) => server.listen(0, '127.128.0.5', () => r((server.address() as net.AddressInfo).port)));
    try {
      const svc = await makeService('web', { ports: [{ port: await freePort(), targetPort: hport }] });
      await slices.create(NS, sliceFor('web', [{ ip: '127.128.0.5' }], 'TCP', hport));
      const vip = svc.spec!.clusterIP!;
      const vport = svc.spec!.ports![0]!.port;
      await eventually('the HTTP Service programmed', () => backendSnapshot('web', `127.128.0.5:${hport}`));
      await eventually('the HTTP Service listens', () => listening(vip, vport));
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const upload = Buffer.alloc(1024 * 1024, 'y');
      for (let i = 0; i < 3; i++) {
        let reused = false;
        const text = await new Promise<string>((resolve, reject) => {
          const req = http.request({ host: vip, port: vport, method: 'POST', path: '/', agent, timeout: 10_000 }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (d: Buffer) => chunks.push(d));
            res.on('end', () => resolve(Buffer.concat(chunks).toString()));
            res.on('error', reject);
          });
          req.on('error', reject);
          req.on('timeout', () => req.destroy(new Error('HTTP request through the proxy timed out')));
          req.on('socket', () => (reused = req.reusedSocket));
          req.end(upload);
        });
        assert.equal(reused, i > 0, 'keep-alive reuses the one proxied connection');
        assert.equal(text.length, `${upload.length}:`.length + body.length);
        assert.ok(text.startsWith(`${upload.length}:xxx`));
      }
      agent.destroy();
      const snap = backendSnapshot('web', `127.128.0.5:${hport}`)!;
      assert.ok(snap.bytesIn >= 3 * upload.length && snap.bytesOut >= 3 * body.length, `bytes counted: ${JSON.stringify(snap)}`);
      // Half-close: the client ends its side first and still gets the whole answer.
      const raw = await new Promise<string>((resolve, reject) => {
        const s = net.connect({ host: vip, port: vport, allowHalfOpen: true });
        let got = '';
        s.on('data', (d: Buffer) => (got += d.toString()));
        s.on('end', () => {
          s.end();
          resolve(got);
        });
        s.on('error', reject);
        s.end('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      });
      assert.match(raw, /^HTTP\/1\.1 200 OK/);
      assert.ok(raw.endsWith('x'.repeat(100)));
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  test('a LoadBalancer ingress IP is served once the status names it', async () => {
    const svc = await makeService('lb', { type: 'LoadBalancer' });
    await slices.create(NS, sliceFor('lb', [{ ip: '127.128.0.4' }]));
    const vport = svc.spec!.ports![0]!.port;
    const cur = await services.get(NS, 'lb');
    await services.updateStatus(NS, { ...cur, status: { loadBalancer: { ingress: [{ ip: '127.112.0.7' }] } } });
    await reachable('127.112.0.7', vport);
    assert.equal(await hello('127.112.0.7', vport), 'd');
  });

  test('UDP: one association per client address, round robin across clients', async () => {
    const uport = await new Promise<number>((resolve) => {
      const u = dgram.createSocket('udp4');
      u.on('message', (m, r) => u.send(`x:${m.toString()}`, r.port, r.address));
      u.bind(0, '127.128.0.1', () => resolve(u.address().port));
      udpBackends.push(u);
    });
    for (const [i, name] of ['y', 'z'].entries()) {
      const u = dgram.createSocket('udp4');
      u.on('message', (m, r) => u.send(`${name}:${m.toString()}`, r.port, r.address));
      await new Promise<void>((r) => u.bind(uport, `127.128.0.${i + 2}`, () => r()));
      udpBackends.push(u);
    }
    const svc = await makeService('dns', { ports: [{ port: await freePort(), targetPort: uport, protocol: 'UDP' }] });
    await slices.create(NS, sliceFor('dns', [{ ip: '127.128.0.1' }, { ip: '127.128.0.2' }, { ip: '127.128.0.3' }], 'UDP', uport));
    const vip = svc.spec!.clusterIP!;
    const vport = svc.spec!.ports![0]!.port;
    await eventually('UDP endpoints programmed', () => backendSnapshot('dns', `127.128.0.3:${uport}`));
    // A probe from its own address (one more association: three consecutive picks still cover all backends).
    await eventually('the UDP listener answers', () => udpAsk(vip, vport, 'probe'));
    const client = dgram.createSocket('udp4');
    clients.push(client);
    await new Promise<void>((r) => client.bind(0, '127.0.0.1', () => r()));
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await udpAsk(vip, vport, `q${i}`, client));
    const who = new Set(answers.map((a) => a.split(':')[0]));
    assert.equal(who.size, 1, `one client address keeps its association: ${answers.join(', ')}`);
    assert.equal(answers[2]!.split(':')[1], 'q2');
    const others = new Set<string>();
    for (let i = 0; i < 2; i++) others.add((await udpAsk(vip, vport, 'hi')).split(':')[0]!);
    assert.equal(new Set([...who, ...others]).size, 3, 'new client addresses went to the other two backends');
  });

  test('the skiff.io/scheduler annotation picks the scheduler; metrics are in the registry', async () => {
    const svc = await makeService('least', {}, { 'skiff.io/scheduler': 'lc' });
    await slices.create(NS, sliceFor('least', [{ ip: '127.128.0.1' }, { ip: '127.128.0.2' }]));
    const vip = svc.spec!.clusterIP!;
    const vport = svc.spec!.ports![0]!.port;
    await eventually('endpoints programmed', () => backendSnapshot('least', `127.128.0.2:${port}`));
    await reachable(vip, vport);
    assert.equal(proxy.snapshot().servicePorts.find((s) => s.name === 'least')?.scheduler, 'lc');
    // Two long-lived connections: lc puts the second on the idle endpoint; with both busy, ties go to the first.
    const one = await connect(vip, vport);
    const two = await connect(vip, vport);
    clients.push(one.socket, two.socket);
    assert.notEqual(one.name, two.name);
    const text = await registry.metrics();
    assert.match(text, /skiff_proxy_connections_total\{namespace="default",service="least",port="",protocol="TCP",endpoint="127\.128\.0\.1:\d+"\} \d+/);
    assert.match(text, /skiff_proxy_active_connections\{namespace="default",service="least",port="",protocol="TCP",endpoint="127\.128\.0\.[12]:\d+"\} 1/);
    assert.match(text, /kubeproxy_sync_proxy_rules_duration_seconds_count \d+/);
    assert.match(text, /kubeproxy_network_programming_duration_seconds_count [1-9]/);
  });
});
