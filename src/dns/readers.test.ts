/**
 * The DNS server with a reader process (`readers: 2`): both processes answer from
 * the socket, the reader only from answers the parent copied to it, a projection
 * change reaches the reader at once, and the metrics count every answer.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { Registry } from 'prom-client';
import { until } from '../proxy/testing.js';
import { KubernetesHandler } from './kubernetes.js';
import { DnsMetrics } from './metrics.js';
import { chain } from './query.js';
import type { ServiceRecord } from './records.js';
import { lookUpSynchronously } from './readers.js';
import { DnsServer } from './server.js';
import { ask, fakeSource, rr } from './testing.js';
import { DEFAULT_ZONE_CONFIG } from './zone.js';

const HOST = '127.0.0.1';
const Z = 'cluster.local';

function svc(name: string, ip: string): ServiceRecord {
  return { namespace: 'default', name, headless: false, clusterIPs: [ip], ports: [], publishNotReady: false };
}

describe('DnsServer with a reader process', () => {
  const services = Array.from({ length: 50 }, (_, i) => svc(`s${i}`, `127.96.1.${i + 1}`));
  const src = fakeSource({ namespaces: ['default'], services });
  let gen = 0;
  const metrics = new DnsMetrics(new Registry(), 'dns://t');
  const server = new DnsServer({ handler: chain([new KubernetesHandler(src, { ...DEFAULT_ZONE_CONFIG, localIPs: [HOST] })]), host: HOST, port: 0, generation: () => gen, metrics, readers: 2, zoneOf: () => `${Z}.` });
  const ac = new AbortController();
  let running: Promise<void>;
  let port = 0;

  before(async () => {
    running = server.start(ac.signal);
    port = (await server.ready).port;
    await until('the reader process to get the socket', () => server.readersReady === 1, 15_000);
  });
  after(async () => {
    ac.abort();
    await running;
  });

  const ipOf = async (name: string): Promise<unknown> => (await ask(HOST, port, `${name}.default.svc.${Z}`, { timeoutMs: 2000 })).answers?.map((a) => rr(a).data)[0];

  test('every query is answered right, and the reader answers its share from copied bytes', async () => {
    // Each ask is a new client socket, so the kernel spreads them over both readers.
    let asked = 0;
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < services.length; i++) {
        assert.equal(await ipOf(`s${i}`), `127.96.1.${i + 1}`);
        asked++;
      }
    }
    await until('the reader to report answers it served itself', () => server.answeredByReaders > 0, 5000);
    await until('the metrics to count every query', async () => (await metrics.registry.getSingleMetricAsString('coredns_dns_requests_total')).includes(`} ${asked}`), 5000);
    assert.match(await metrics.registry.getSingleMetricAsString('coredns_dns_request_duration_seconds'), new RegExp(`_count\\{[^}]*\\} ${asked}\\b`));
    console.log(`# ${asked} queries, ${server.answeredByReaders} answered by the reader process from its copy of the byte cache`);
  });

  test('a projection change reaches the reader: once the new address is seen, the old one never comes back', async () => {
    for (let i = 0; i < 40; i++) assert.equal(await ipOf('s7'), '127.96.1.8');
    services[7] = svc('s7', '127.96.9.9');
    gen++;
    server.generationChanged();
    const t0 = Date.now();
    await until('the new address', async () => (await ipOf('s7')) === '127.96.9.9', 2000);
    const delay = Date.now() - t0;
    for (let i = 0; i < 100; i++) assert.equal(await ipOf('s7'), '127.96.9.9', `ask ${i} after the change was seen`);
    console.log(`# the change answered after ${delay} ms`);
  });

  test('names the reader never saw are resolved by the parent, including unknown ones', async () => {
    services.push(svc('fresh', '127.96.2.2'));
    gen++;
    server.generationChanged();
    for (let i = 0; i < 20; i++) assert.equal(await ipOf('fresh'), '127.96.2.2');
    for (let i = 0; i < 20; i++) assert.equal((await ask(HOST, port, `nope.default.svc.${Z}`)).rcode, 'NXDOMAIN');
  });
});

describe('lookUpSynchronously', () => {
  test("finds the lookup on this Node's dgram handle, and replies still reach their address", async () => {
    const a = createSocket('udp4');
    const b = createSocket('udp4');
    await Promise.all([new Promise<void>((r) => a.bind(0, HOST, r)), new Promise<void>((r) => b.bind(0, HOST, r))]);
    try {
      assert.equal(lookUpSynchronously(a), true, "Node's dgram internals changed: readers fall back to dns.lookup per reply");
      const got = new Promise<Buffer>((resolve) => b.once('message', resolve));
      a.send(Buffer.from('ping'), b.address().port, HOST);
      assert.equal((await got).toString(), 'ping');
    } finally {
      a.close();
      b.close();
    }
  });
});
