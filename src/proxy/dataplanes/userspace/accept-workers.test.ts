/**
 * The userspace data path with accept workers (`workers: 2`): connections are
 * forwarded whichever process accepts them, every one is counted in the
 * parent's snapshot, route changes reach the worker, and an address whose
 * endpoints are gone ends up refused by both processes.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Registry } from 'prom-client';
import { ProxyMetrics } from '../../metrics.js';
import type { ServicePortInfo } from '../../service-port.js';
import { freePort, testEndpoint, testServicePort, testState as state, until as untilMs } from '../../testing.js';

import { UserspaceDataplane } from './userspace-dataplane.js';

const WAIT_MS = 5000;
const until = <T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>): Promise<T> => untilMs(what, probe, WAIT_MS);



/** One request through `host:port`: the backend's name, `refused` or `reset`. */
function ask(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no answer from ${host}:${port}`));
    }, WAIT_MS);
    let got = '';
    s.on('data', (d: Buffer) => (got += d.toString()));
    s.on('end', () => {
      clearTimeout(timer);
      s.end();
      resolve(got);
    });
    s.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (e.code === 'ECONNREFUSED') resolve('refused');
      // A connection queued on a listener as it closes is reset by the kernel.
      else if (e.code === 'ECONNRESET') resolve('reset');
      else reject(e);
    });
  });
}

describe('UserspaceDataplane with accept workers', () => {
  const cleanups: Array<() => void | Promise<unknown>> = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  test('forwards and counts connections accepted by any process; follows route changes', async () => {
    const servers: net.Server[] = [];
    let bport = 0;
    for (const [i, name] of ['a', 'b'].entries()) {
      const srv = net.createServer((s) => s.end(name));
      await new Promise<void>((r) => srv.listen(bport, `127.128.201.${i + 1}`, () => r()));
      bport = (srv.address() as net.AddressInfo).port;
      servers.push(srv);
      cleanups.push(() => new Promise((r) => srv.close(r)));
    }
    const vport = await freePort();
    const dp = new UserspaceDataplane({ metrics: new ProxyMetrics(new Registry()), workers: 2 });
    cleanups.push(() => dp.close());
    const web = testServicePort('web', { clusterIPs: ['127.96.201.1'], port: vport });
    const a = testEndpoint('127.128.201.1', bport);
    const b = testEndpoint('127.128.201.2', bport);

    await until('the accept worker to start', () => dp.workersReady === 1);
    await dp.sync(state([web], { [web.key]: [a, b] }));
    const answers = new Set<string>();
    for (let i = 0; i < 40; i++) answers.add(await ask('127.96.201.1', vport));
    assert.deepEqual([...answers].sort(), ['a', 'b']);
    const total = (): number => dp.snapshot().servicePorts[0]!.backends.reduce((n, x) => n + x.connectionsTotal, 0);
    await until('all 40 connections counted in the parent', () => total() === 40);

    // Only b is left: whichever process accepts, connections reach b.
    await dp.sync(state([web], { [web.key]: [b] }));
    await until('the worker to follow the route change', async () => {
      for (let i = 0; i < 10; i++) if ((await ask('127.96.201.1', vport)) !== 'b') return false;
      return true;
    });

    // No endpoint left: the address is refused once the worker lets go too.
    await dp.sync(state([web], {}));
    await until('the address to be refused by every process', async () => {
      for (let i = 0; i < 10; i++) if ((await ask('127.96.201.1', vport)) !== 'refused') return false;
      return true;
    });
  });
});
