/**
 * The userspace data path driven directly with ProxyState values (no API
 * server): listener reconciliation, open connections across syncs, UDP
 * association lifetimes. Sockets bind 127.96.200.x / 127.128.200.x on free ports.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { Registry } from 'prom-client';
import type { EndpointInfo } from '../../endpoint.js';
import { ProxyMetrics } from '../../metrics.js';
import type { ServicePortInfo } from '../../service-port.js';
import { freePort, testEndpoint, testServicePort, testState as state, until as untilMs } from '../../testing.js';

import { UserspaceDataplane } from './userspace-dataplane.js';

const WAIT_MS = 3000;
const until = <T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>): Promise<T> => untilMs(what, probe, WAIT_MS);


const sp = (name: string, ip: string, port: number, protocol: 'TCP' | 'UDP' = 'TCP'): ServicePortInfo => testServicePort(name, { clusterIPs: [ip], port, protocol });
const ep = (ip: string, port: number): EndpointInfo => testEndpoint(ip, port);


function dial(host: string, port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

function roundTrip(s: net.Socket, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no echo of ${text}`)), WAIT_MS);
    s.once('data', (d: Buffer) => {
      clearTimeout(timer);
      resolve(d.toString());
    });
    s.write(text);
  });
}

function refused(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
  });
}

describe('UserspaceDataplane', () => {
  const cleanups: Array<() => void | Promise<unknown>> = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  /** Listens `backend` on `ip` and serves `svc` from it with a new data path (all closed after the suite). */
  async function proxyTo(backend: net.Server, ip: string, svc: ServicePortInfo): Promise<{ dp: UserspaceDataplane; vport: number }> {
    await new Promise<void>((r) => backend.listen(0, ip, () => r()));
    cleanups.push(() => new Promise((r) => backend.close(r)));
    const dp = new UserspaceDataplane({ metrics: new ProxyMetrics(new Registry()) });
    cleanups.push(() => dp.close());
    await dp.sync(state([svc], { [svc.key]: [ep(ip, (backend.address() as net.AddressInfo).port)] }));
    return { dp, vport: svc.port };
  }

  test('reconciles listeners without touching open connections', async () => {
    const echo = net.createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.128.200.1', () => r()));
    cleanups.push(() => new Promise((r) => echo.close(r)));
    const bport = (echo.address() as net.AddressInfo).port;
    const vport = await freePort();
    const dp = new UserspaceDataplane({ metrics: new ProxyMetrics(new Registry()) });
    cleanups.push(() => dp.close());
    const web = sp('web', '127.96.200.1', vport);
    const other = sp('other', '127.96.200.2', vport);

    await dp.sync(state([web], { [web.key]: [ep('127.128.200.1', bport)] }));
    const conn = await dial('127.96.200.1', vport);
    cleanups.push(() => void conn.destroy());
    assert.equal(await roundTrip(conn, 'one'), 'one');

    // An unrelated Service appears: same listener, same connection.
    await dp.sync(state([web, other], { [web.key]: [ep('127.128.200.1', bport)], [other.key]: [ep('127.128.200.1', bport)] }));
    assert.equal(await roundTrip(conn, 'two'), 'two');
    assert.deepEqual(dp.snapshot().servicePorts.map((s) => `${s.name}:${s.listeners.join()}`), [`other:127.96.200.2:${vport}`, `web:127.96.200.1:${vport}`]);

    // The endpoint goes away: new connections are refused, the open one carries on.
    await dp.sync(state([web, other], { [other.key]: [ep('127.128.200.1', bport)] }));
    assert.equal(await refused('127.96.200.1', vport), true);
    assert.equal(await roundTrip(conn, 'three'), 'three');
    const web1 = dp.snapshot().servicePorts.find((s) => s.name === 'web')!;
    assert.deepEqual(web1.backends.map((b) => [b.listed, b.activeConnections]), [[false, 1]]);

    // The Service is deleted; once its last connection ends, its backend is forgotten at the next sync.
    await dp.sync(state([other], { [other.key]: [ep('127.128.200.1', bport)] }));
    conn.destroy();
    await until('the connection to be counted closed', () => dp.snapshot().servicePorts.find((s) => s.name === 'web')?.backends[0]?.activeConnections === 0);
    await dp.sync(state([other], { [other.key]: [ep('127.128.200.1', bport)] }));
    assert.deepEqual(dp.snapshot().servicePorts.map((s) => s.name), ['other']);
  });

  test('large responses to fast and slow clients at once arrive whole and in order (pooled read buffers or not, backpressure)', async () => {
    const MiB = 1024 * 1024;
    const size = 24 * MiB;
    // Each connection gets its own byte pattern, so bytes from another connection or a reused buffer show.
    const pattern = (conn: number, i: number): number => (i * 31 + conn * 7) % 251;
    const big = net.createServer((s) => {
      s.once('data', (d: Buffer) => {
        const conn = d[0]!;
        let sent = 0;
        const pump = (): void => {
          while (sent < size) {
            const n = Math.min(200_000, size - sent);
            const chunk = Buffer.allocUnsafe(n);
            for (let k = 0; k < n; k++) chunk[k] = pattern(conn, sent + k);
            sent += n;
            if (!s.write(chunk)) return void s.once('drain', pump);
          }
          s.end();
        };
        pump();
      });
    });
    const { vport } = await proxyTo(big, '127.128.200.21', sp('big', '127.96.200.21', await freePort()));
    const fetch = async (conn: number, slow: boolean): Promise<string | undefined> => {
      const s = await dial('127.96.200.21', vport);
      return new Promise((resolve, reject) => {
        let at = 0;
        let bad: string | undefined;
        const timer = setTimeout(() => reject(new Error(`connection ${conn}: ${at} of ${size} bytes after 60 s`)), 60_000);
        s.on('data', (d: Buffer) => {
          for (let k = 0; k < d.length && !bad; k++) if (d[k] !== pattern(conn, at + k)) bad = `connection ${conn}: byte ${at + k} is ${d[k]}, not ${pattern(conn, at + k)}`;
          at += d.length;
          if (slow) {
            // A slow reader: the proxy must stop reading the backend, not buffer the whole response.
            s.pause();
            setTimeout(() => s.resume(), 2);
          }
        });
        s.on('end', () => {
          clearTimeout(timer);
          resolve(bad ?? (at === size ? undefined : `connection ${conn}: ${at} of ${size} bytes`));
        });
        s.on('error', reject);
        s.write(Buffer.from([conn]));
      });
    };
    const problems = await Promise.all([fetch(1, false), fetch(2, true), fetch(3, false), fetch(4, true)]);
    assert.deepEqual(problems.filter(Boolean), []);
    // With 70 idle connections holding every one of the proxy's own read buffers,
    // the same transfers go through Node's per-read allocations.
    const idle = await Promise.all(Array.from({ length: 70 }, () => dial('127.96.200.21', vport)));
    const again = await Promise.all([fetch(5, false), fetch(6, true)]);
    for (const s of idle) s.destroy();
    assert.deepEqual(again.filter(Boolean), []);
  });

  test('uploads to a slow backend arrive whole; resets either way end the other side; counts settle exactly', async () => {
    const size = 8 * 1024 * 1024;
    let received = 0;
    // The backend reads slowly and answers with the byte count once the client's FIN arrives;
    // 'reset' makes it reset the connection, 'hold' makes it wait for the client to go.
    const backendEnds: string[] = [];
    const slow = net.createServer({ allowHalfOpen: true }, (s) => {
      let n = 0;
      s.on('data', (d: Buffer) => {
        if (d.toString() === 'reset') return void s.resetAndDestroy();
        if (d.toString() === 'hold') return;
        n += d.length;
        s.pause();
        setTimeout(() => s.resume(), 1);
      });
      s.on('end', () => {
        received = n;
        s.end(`got ${n}`);
      });
      s.on('error', () => {});
      s.on('close', () => backendEnds.push(s.readableEnded ? 'fin' : 'reset'));
    });
    const { dp, vport } = await proxyTo(slow, '127.128.200.31', sp('upload', '127.96.200.31', await freePort()));
    const backend = () => dp.snapshot().servicePorts[0]!.backends[0]!;

    // Upload with half-close: the proxy must stop reading the client while the backend lags.
    const s = await dial('127.96.200.31', vport);
    const reply = new Promise<string>((resolve, reject) => {
      let text = '';
      s.on('data', (d: Buffer) => (text += d.toString()));
      s.on('end', () => resolve(text));
      s.on('error', reject);
    });
    s.end(Buffer.alloc(size, 7));
    assert.equal(await reply, `got ${size}`);
    assert.equal(received, size);
    await until('the upload to be counted closed', () => backend().activeConnections === 0);
    assert.deepEqual([backend().bytesIn, backend().bytesOut, backend().errors], [size, `got ${size}`.length, 0]);

    // The backend resets: the client's connection breaks too, and the error is counted.
    const r = await dial('127.96.200.31', vport);
    const broken = new Promise<string>((resolve) => {
      r.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      r.on('close', () => resolve('closed'));
    });
    r.write('reset');
    assert.match(await broken, /closed|ECONNRESET|EPIPE/);
    await until('the reset connection to be counted closed', () => backend().activeConnections === 0 && backend().errors === 1);

    // The client resets: the backend's connection goes as well.
    const c = await dial('127.96.200.31', vport);
    c.write('hold');
    await until('the held connection to open', () => backend().activeConnections === 1);
    const before = backendEnds.length;
    c.resetAndDestroy();
    await until('the backend side to close', () => backendEnds.length > before);
    await until('the client reset to be counted closed', () => backend().activeConnections === 0);
    assert.equal(backend().connectionsTotal, 3);
  });

  test('UDP associations end when idle and when their backend leaves', async () => {
    const backends = await Promise.all(
      ['127.128.200.11', '127.128.200.12'].map(
        (ip, i) =>
          new Promise<dgram.Socket>((resolve) => {
            const u = dgram.createSocket('udp4');
            u.on('message', (m, r) => u.send(`${i}:${m.toString()}`, r.port, r.address));
            u.bind(0, ip, () => resolve(u));
          }),
      ),
    );
    cleanups.push(() => backends.forEach((b) => b.close()));
    const vport = await freePort();
    const dp = new UserspaceDataplane({ metrics: new ProxyMetrics(new Registry()), udpIdleTimeoutMs: 150 });
    cleanups.push(() => dp.close());
    const dns = sp('dns', '127.96.200.3', vport, 'UDP');
    const eps = backends.map((b) => ep(b.address().address, b.address().port));
    // Each backend on its own port: a slice could not say that, but the data path does not care.
    await dp.sync(state([dns], { [dns.key]: eps }));
    const client = dgram.createSocket('udp4');
    cleanups.push(() => void client.close());
    await new Promise<void>((r) => client.bind(0, '127.0.0.1', () => r()));
    const ask = (text: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no answer to ${text}`)), WAIT_MS);
        client.once('message', (m) => {
          clearTimeout(timer);
          resolve(m.toString());
        });
        client.send(text, vport, '127.96.200.3');
      });
    assert.equal(await ask('a'), '0:a');
    assert.equal(await ask('b'), '0:b', 'the association holds');
    const active = (): number[] => dp.snapshot().servicePorts[0]!.backends.map((b) => b.activeConnections);
    assert.deepEqual(active(), [1, 0]);
    await until('the idle association to end', () => active()[0] === 0);
    assert.equal(await ask('c'), '1:c', 'a new association is scheduled round robin');
    await dp.sync(state([dns], { [dns.key]: [eps[0]!] }));
    assert.deepEqual(active(), [0, 0], 'the association to the removed backend ended at once');
    assert.equal(await ask('d'), '0:d');
  });
});
