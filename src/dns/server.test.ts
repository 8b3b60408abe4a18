import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { decode, encode } from 'dns-packet';
import { Registry } from 'prom-client';
import { KubernetesHandler } from './kubernetes.js';
import { DnsMetrics } from './metrics.js';
import { chain } from './query.js';
import type { EndpointRecord } from './records.js';
import { DnsServer } from './server.js';
import { ask, exchange, fakeSource, rr } from './testing.js';
import { DEFAULT_ZONE_CONFIG } from './zone.js';

const HOST = '127.0.0.1';
const Z = 'cluster.local';
const endpoints: EndpointRecord[] = Array.from({ length: 60 }, (_, i) => ({ ip: `127.128.1.${i + 1}`, hostname: `127-128-1-${i + 1}`, ready: true }));
const source = fakeSource({
  namespaces: ['default'],
  services: [
    { namespace: 'default', name: 'web', headless: false, clusterIPs: ['127.96.0.12'], ports: [{ name: 'http', port: 80, protocol: 'TCP' }], publishNotReady: false },
    { namespace: 'default', name: 'big', headless: true, clusterIPs: [], ports: [{ name: 'http', port: 80, protocol: 'TCP' }], publishNotReady: false },
  ],
  slices: [{ namespace: 'default', name: 'big-1', service: 'big', ports: [{ name: 'http', port: 80, protocol: 'TCP' }], endpoints }],
});

describe('DnsServer', () => {
  const ac = new AbortController();
  const metrics = new DnsMetrics(new Registry());
  const server = new DnsServer({
    handler: chain([new KubernetesHandler(source, DEFAULT_ZONE_CONFIG)]),
    host: HOST,
    port: 0,
    metrics,
    zoneOf: (n) => (n.toLowerCase().endsWith(Z) ? `${Z}.` : '.'),
  });
  let port = 0;
  let running: Promise<void>;

  before(async () => {
    running = server.start(ac.signal);
    ({ port } = await server.ready);
  });
  after(async () => {
    ac.abort();
    await running;
  });

  test('answers over UDP and TCP', async () => {
    for (const proto of ['udp', 'tcp'] as const) {
      const r = await ask(HOST, port, `web.default.svc.${Z}`, { proto });
      assert.equal(r.rcode, 'NOERROR', proto);
      assert.equal(r.flag_aa, true);
      assert.deepEqual(r.answers?.map((a) => rr(a).data), ['127.96.0.12'], proto);
      const nx = await ask(HOST, port, `nope.default.svc.${Z}`, { proto });
      assert.equal(nx.rcode, 'NXDOMAIN', proto);
      assert.equal(nx.authorities?.[0]?.type, 'SOA');
    }
  });

  test('answers several queries pipelined on one TCP connection', async () => {
    const frames = [1, 2, 3].map((id) => {
      const body = encode({ type: 'query', id, questions: [{ name: `web.default.svc.${Z}`, type: 'A' }] });
      const len = Buffer.alloc(2);
      len.writeUInt16BE(body.length);
      return Buffer.concat([len, body]);
    });
    const ids = await new Promise<number[]>((resolve, reject) => {
      const c = connect({ host: HOST, port });
      const seen: number[] = [];
      let buf = Buffer.alloc(0);
      const t = setTimeout(() => {
        c.destroy();
        reject(new Error(`only ${seen.length} of 3 pipelined replies arrived`));
      }, 3000);
      c.on('connect', () => c.write(Buffer.concat(frames)));
      c.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          seen.push(decode(buf.subarray(2, 2 + buf.readUInt16BE(0))).id ?? -1);
          buf = buf.subarray(2 + buf.readUInt16BE(0));
        }
        if (seen.length === 3) {
          clearTimeout(t);
          c.destroy();
          resolve(seen);
        }
      });
    });
    assert.deepEqual(ids.sort(), [1, 2, 3]);
  });

  test('truncates at 512 bytes without EDNS0, honours the EDNS0 size, and TCP gets everything', async () => {
    const name = `big.default.svc.${Z}`;
    const plain = await ask(HOST, port, name);
    assert.equal(plain.flag_tc, true);
    assert.ok((plain.answers?.length ?? 0) < 60);
    const edns = await ask(HOST, port, name, { edns: 4096 });
    assert.equal(edns.flag_tc, false);
    assert.equal(edns.answers?.length, 60);
    assert.equal(edns.additionals?.find((a) => a.type === 'OPT')?.type, 'OPT');
    const small = await ask(HOST, port, name, { edns: 1232 });
    assert.equal(small.flag_tc, true);
    const tcp = await ask(HOST, port, name, { proto: 'tcp' });
    assert.equal(tcp.flag_tc, false);
    assert.equal(tcp.answers?.length, 60);
  });

  test('answers FORMERR and NOTIMP on the wire', async () => {
    const twoQuestions = encode({ type: 'query', id: 7, questions: [{ name: 'a', type: 'A' }, { name: 'b', type: 'A' }] });
    assert.equal((decode(await exchange(HOST, port, twoQuestions)) as { rcode?: string }).rcode, 'FORMERR');
    const notify = encode({ type: 'query', id: 8, questions: [{ name: Z, type: 'SOA' }] });
    notify.writeUInt16BE(notify.readUInt16BE(2) | (4 << 11), 2);
    const r = decode(await exchange(HOST, port, notify));
    assert.equal((r as { rcode?: string }).rcode, 'NOTIMP');
    assert.equal(r.id, 8);
  });

  test('survives garbage on UDP and TCP and keeps answering', async () => {
    const udp = createSocket('udp4');
    for (let i = 0; i < 500; i++) udp.send(randomBytes(Math.floor(Math.random() * 600)), port, HOST);
    const valid = encode({ type: 'query', id: 9, questions: [{ name: `web.default.svc.${Z}`, type: 'A' }] });
    for (let i = 0; i < 300; i++) {
      const m = Buffer.from(valid);
      for (let k = 0; k < 3; k++) m[Math.floor(Math.random() * m.length)] = Math.floor(Math.random() * 256);
      udp.send(m, port, HOST);
    }
    await new Promise<void>((r) => udp.close(() => r()));
    for (let i = 0; i < 20; i++) {
      await new Promise<void>((resolve) => {
        const c = connect({ host: HOST, port });
        c.on('error', () => resolve());
        c.on('close', () => resolve());
        c.on('connect', () => c.end(randomBytes(Math.floor(Math.random() * 300))));
        setTimeout(() => {
          c.destroy();
          resolve();
        }, 200);
      });
    }
    const r = await ask(HOST, port, `web.default.svc.${Z}`);
    assert.equal(r.rcode, 'NOERROR');
  });

  test('handlePacket never throws on random or mutated packets, and what it sends decodes', () => {
    const valid = encode({ type: 'query', id: 9, questions: [{ name: `web.default.svc.${Z}`, type: 'SRV' }], additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }] });
    for (let i = 0; i < 20_000; i++) {
      let buf: Buffer;
      if (i % 2) buf = randomBytes(Math.floor(Math.random() * 200));
      else {
        buf = Buffer.from(valid);
        for (let k = 0; k < 1 + (i % 5); k++) buf[Math.floor(Math.random() * buf.length)] = Math.floor(Math.random() * 256);
      }
      const out = server.handlePacket(buf, i % 3 ? 'udp' : 'tcp', '127.0.0.1');
      assert.ok(!(out instanceof Promise), 'cluster-only chain answered asynchronously');
      if (out) assert.doesNotThrow(() => decode(out), `reply to ${buf.toString('hex')} does not decode`);
    }
  });

  test('answers cluster names synchronously (a quick sanity loop, no timing assertions)', () => {
    const q = encode({ type: 'query', id: 1, questions: [{ name: `web.default.svc.${Z}`, type: 'A' }] });
    const n = 20_000;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      const out = server.handlePacket(q, 'udp', '127.0.0.1');
      assert.ok(Buffer.isBuffer(out));
    }
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    console.log(`# hot path: ${n} cluster answers in ${ms.toFixed(0)} ms (${Math.round((n / ms) * 1000)} q/s, decode+answer+encode, no sockets)`);
  });

  test('counts requests by type and responses by rcode', async () => {
    await ask(HOST, port, `web.default.svc.${Z}`, { type: 'AAAA' });
    const requests = await metrics.registry.getSingleMetricAsString('coredns_dns_requests_total');
    assert.match(requests, new RegExp(`coredns_dns_requests_total\\{server="dns://${HOST}:${port}",zone="${Z}.",proto="udp",family="1",type="AAAA"\\} [1-9]\\d*`));
    const responses = await metrics.registry.getSingleMetricAsString('coredns_dns_responses_total');
    assert.match(responses, /rcode="NXDOMAIN"/);
    assert.match(responses, /rcode="NOERROR"/);
    assert.match(await metrics.registry.getSingleMetricAsString('coredns_dns_request_duration_seconds'), /coredns_dns_request_duration_seconds_count/);
  });
});

describe('DnsServer binding', () => {
  test('falls back to a free port when the wanted one is taken, or fails with a clear error', async () => {
    const ac = new AbortController();
    const first = new DnsServer({ handler: () => ({ rcode: 'REFUSED', authoritative: false, answers: [], authorities: [], additionals: [] }), host: HOST, port: 0 });
    const runs = [first.start(ac.signal)];
    try {
      const { port } = await first.ready;
      const second = new DnsServer({ handler: () => ({ rcode: 'REFUSED', authoritative: false, answers: [], authorities: [], additionals: [] }), host: HOST, port });
      runs.push(second.start(ac.signal));
      const got = await second.ready;
      assert.notEqual(got.port, port);
      assert.equal((await ask(HOST, got.port, 'x')).rcode, 'REFUSED');
      const strict = new DnsServer({ handler: () => ({ rcode: 'REFUSED', authoritative: false, answers: [], authorities: [], additionals: [] }), host: HOST, port, fallbackToFreePort: false });
      await assert.rejects(strict.start(ac.signal), /DNS server cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/);
    } finally {
      ac.abort();
      await Promise.all(runs);
    }
  });
});
