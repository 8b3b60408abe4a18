import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { decode, encode, type Answer } from 'dns-packet';
import { Registry } from 'prom-client';
import { KubernetesHandler } from './kubernetes.js';
import { DnsMetrics } from './metrics.js';
import { chain } from './query.js';
import type { EndpointRecord } from './records.js';
import { DnsServer } from './server.js';
import { ask, exchange, fakeSource, rr } from './testing.js';
import { RCODE_VALUES } from './query.js';
import { parseRequest } from './wire.js';
import { DEFAULT_ZONE_CONFIG } from './zone.js';
import { prng } from '../../test/helpers/prng.js';

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

const OPT = (size: number, doBit: boolean) => ({ type: 'OPT', name: '.', udpPayloadSize: size, extendedRcode: 0, ednsVersion: 0, flags: doBit ? 0x8000 : 0, flag_do: doBit, options: [] }) as const;
const NAMES = [`web.default.svc.${Z}`, `big.default.svc.${Z}`, `nope.default.svc.${Z}`, `_http._tcp.web.default.svc.${Z}`, `_http._tcp.big.default.svc.${Z}`, `127-128-1-5.big.default.svc.${Z}`, Z, `ns.dns.${Z}`, `dns-version.${Z}`, `default.svc.${Z}`, `12.0.96.127.in-addr.arpa`, `late.default.svc.${Z}`];
const TYPES = ['A', 'AAAA', 'SRV', 'TXT', 'SOA', 'NS', 'PTR', 'MX', 'CNAME', 'ANY', 'UNKNOWN_65'];

/** A well-formed query with random case, id, RD/CD bits and EDNS0 (size, DO). */
function validQuery(rand: () => number): Buffer {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const name = [...pick(NAMES)].map((c) => (rand() < 0.3 ? c.toUpperCase() : c)).join('');
  const edns = pick([0, 0, 512, 1232, 4096, 100, 65000]);
  const flags = (rand() < 0.8 ? 1 << 8 : 0) | (rand() < 0.2 ? 1 << 4 : 0);
  return encode({ type: 'query', id: Math.floor(rand() * 65536), flags, questions: [{ name, type: pick(TYPES) as 'A', class: 'IN' }], ...(edns ? { additionals: [OPT(edns, rand() < 0.3) as unknown as Answer] } : {}) });
}

/** Random, mutated, truncated, oversized and header-lying packets, in turn. */
function fuzzPacket(i: number, rand: () => number, maxSize: number): Buffer {
  const valid = validQuery(rand);
  switch (i % 5) {
    case 0: {
      const b = Buffer.allocUnsafe(Math.floor(rand() * 120));
      for (let k = 0; k < b.length; k++) b[k] = Math.floor(rand() * 256);
      return b;
    }
    case 1: {
      for (let k = 0; k < 1 + (i % 4); k++) valid[Math.floor(rand() * valid.length)] = Math.floor(rand() * 256);
      return valid;
    }
    case 2:
      return valid.subarray(0, Math.floor(rand() * valid.length));
    case 3:
      return Buffer.concat([valid, Buffer.alloc(Math.floor(rand() * (maxSize - valid.length)), Math.floor(rand() * 256))]);
    default:
      for (const at of [4, 5, 6, 7, 8, 9, 10, 11]) if (rand() < 0.3) valid[at] = Math.floor(rand() * 256);
      return valid;
  }
}

describe('DnsServer answer fast path', () => {
  const services = [
    { namespace: 'default', name: 'web', headless: false, clusterIPs: ['127.96.0.12'], ports: [{ name: 'http', port: 80, protocol: 'TCP' }], publishNotReady: false },
    { namespace: 'default', name: 'big', headless: true, clusterIPs: [], ports: [{ name: 'http', port: 80, protocol: 'TCP' }], publishNotReady: false },
  ];
  const src = fakeSource({ namespaces: ['default'], services, slices: [{ namespace: 'default', name: 'big-1', service: 'big', ports: [{ name: 'http', port: 80, protocol: 'TCP' }], endpoints }] });
  let gen = 0;
  const cfg = { ...DEFAULT_ZONE_CONFIG, localIPs: ['127.0.0.1'] };
  const fast = new DnsServer({ handler: chain([new KubernetesHandler(src, cfg)]), host: HOST, port: 0, generation: () => gen, metrics: new DnsMetrics(new Registry()), zoneOf: () => `${Z}.` });
  const slow = new DnsServer({ handler: chain([new KubernetesHandler(src, cfg)]), host: HOST, port: 0 });

  test('answers byte for byte what the full path answers, for valid and mangled queries alike', () => {
    const seed = Date.now() % 100_000;
    const rand = prng(seed);
    for (let i = 0; i < 10_000; i++) {
      const buf = i % 3 ? validQuery(rand) : fuzzPacket(i, rand, 700);
      const proto = i % 7 ? 'udp' : 'tcp';
      const a = fast.handlePacket(buf, proto, '127.0.0.1');
      const b = slow.handlePacket(buf, proto, '127.0.0.1');
      assert.ok(!(a instanceof Promise) && !(b instanceof Promise));
      if (!a || !b) assert.equal(a, b, `seed ${seed}, packet ${buf.toString('hex')}`);
      else assert.equal(a.toString('hex'), b.toString('hex'), `seed ${seed}, ${proto} packet ${buf.toString('hex')}`);
    }
  });

  test('answers repeated cluster questions from the byte cache (a quick sanity loop, no timing assertions)', () => {
    const q = encode({ type: 'query', id: 1, questions: [{ name: `web.default.svc.${Z}`, type: 'A' }] });
    const n = 20_000;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) assert.ok(Buffer.isBuffer(fast.handlePacket(q, 'udp', '127.0.0.1')));
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    console.log(`# fast path: ${n} cluster answers in ${ms.toFixed(0)} ms (${Math.round((n / ms) * 1000)} q/s, byte cache + metrics, no sockets)`);
  });

  test('a projection change shows in the very next answer', async () => {
    const q = encode({ type: 'query', id: 5, questions: [{ name: `late.default.svc.${Z}`, type: 'A' }] });
    const decodeRcode = (b: unknown) => (decode(b as Buffer) as { rcode?: string }).rcode;
    assert.equal(decodeRcode(fast.handlePacket(q, 'udp', '')), 'NXDOMAIN');
    assert.equal(decodeRcode(fast.handlePacket(q, 'udp', '')), 'NXDOMAIN');
    services.push({ namespace: 'default', name: 'late', headless: false, clusterIPs: ['127.96.0.99'], ports: [], publishNotReady: false });
    gen++;
    try {
      const r = decode(fast.handlePacket(q, 'udp', '') as Buffer);
      assert.deepEqual(r.answers?.map((a) => rr(a).data), ['127.96.0.99']);
    } finally {
      services.pop();
      gen++;
    }
  });

  test('fast-path answers are counted in the CoreDNS metrics', async () => {
    const m = new DnsMetrics(new Registry(), 'dns://t');
    const s = new DnsServer({ handler: chain([new KubernetesHandler(src, cfg)]), generation: () => 0, metrics: m, zoneOf: () => `${Z}.` });
    const q = encode({ type: 'query', id: 5, questions: [{ name: `web.default.svc.${Z}`, type: 'A' }] });
    for (let i = 0; i < 10; i++) s.handlePacket(q, 'udp', '127.0.0.1');
    assert.match(await m.registry.getSingleMetricAsString('coredns_dns_requests_total'), /type="A"\} 10\b/);
    assert.match(await m.registry.getSingleMetricAsString('coredns_dns_responses_total'), /rcode="NOERROR"\} 10\b/);
    assert.match(await m.registry.getSingleMetricAsString('coredns_dns_request_duration_seconds'), /_count\{[^}]*\} 10\b/);
  });

  test('100,000 random, mutated, truncated and oversized packets over UDP and TCP: no crash, errors only where due', async () => {
    const ac = new AbortController();
    const running = fast.start(ac.signal);
    const { port } = await fast.ready;
    const seed = Date.now() % 100_000;
    const rand = prng(seed);
    // What each packet deserves, by the server's own request check: no reply, this error, or an answer.
    const expected = (buf: Buffer): 'none' | number | 'answer' => {
      const req = buf.length >= 12 ? parseRequest(buf) : undefined;
      if (!req) return 'none';
      return req.error ? RCODE_VALUES[req.error] & 0xf : 'answer';
    };
    const problems: string[] = [];
    const check = (sent: Buffer | undefined, reply: Buffer, proto: string): void => {
      if (!sent) return void problems.push(`${proto}: a reply to no packet we sent (id ${reply.readUInt16BE(0)})`);
      const want = expected(sent);
      if (want === 'none') problems.push(`${proto}: a reply to ${sent.toString('hex')}, which deserves none`);
      else if (!(reply[2]! & 0x80)) problems.push(`${proto}: reply without QR to ${sent.toString('hex')}`);
      else if (typeof want === 'number' && (reply[3]! & 0xf) !== want) problems.push(`${proto}: rcode ${reply[3]! & 0xf} instead of ${want} for ${sent.toString('hex')}`);
      else {
        try {
          decode(reply);
        } catch {
          problems.push(`${proto}: undecodable reply to ${sent.toString('hex')}`);
        }
      }
    };
    let udpReplies = 0;
    let due = 0;
    const started = Date.now();
    try {
      const udp = createSocket('udp4');
      await new Promise<void>((r) => udp.bind(0, HOST, () => r()));
      // Ids carry the batch number, so a late reply still meets the packet it answers.
      const sent = new Map<number, Buffer>();
      let pending = 0;
      let wake: () => void = () => {};
      udp.on('message', (m) => {
        udpReplies++;
        check(sent.get(m.readUInt16BE(0)), m, 'udp');
        pending--;
        wake();
      });
      const BATCH = 100;
      for (let i = 0, b = 0; i < 100_000; i += BATCH, b++) {
        pending = 0;
        for (let k = 0; k < BATCH; k++) {
          const buf = fuzzPacket(i + k, rand, 1500);
          if (buf.length >= 2) {
            buf.writeUInt16BE(((b & 0xff) << 8) | k, 0);
            sent.set(buf.readUInt16BE(0), buf);
          }
          if (expected(buf) !== 'none') pending++;
          udp.send(buf, port, HOST);
        }
        due += pending;
        // Until every due reply is in, or none came for 20 ms (the kernel may drop some under load; a hang is not fine).
        await new Promise<void>((r) => {
          let t = setTimeout(r, 20);
          wake = () => {
            clearTimeout(t);
            if (pending <= 0) r();
            else t = setTimeout(r, 20);
          };
          if (pending <= 0) wake();
        });
      }
      await new Promise<void>((r) => udp.close(() => r()));

      // TCP: a share of the packets, framed, pipelined on a few connections; replies come back in order.
      for (let c = 0; c < 10; c++) {
        const frames = Array.from({ length: 500 }, (_, k) => {
          const buf = fuzzPacket(k, rand, 20_000);
          if (buf.length >= 2) buf.writeUInt16BE(k, 0);
          return buf;
        }).filter((b) => b.length >= 12); // shorter frames make the server hang up, by design
        const byId = new Map(frames.map((f) => [f.readUInt16BE(0), f]));
        const want = frames.filter((f) => expected(f) !== 'none').length;
        await new Promise<void>((resolve) => {
          const sock = connect({ host: HOST, port });
          let got = 0;
          let buf = Buffer.alloc(0);
          const done = (): void => {
            clearTimeout(t);
            sock.destroy();
            resolve();
          };
          const t = setTimeout(() => {
            problems.push(`tcp: only ${got} of ${want} replies within 5 s`);
            done();
          }, 5000);
          sock.on('error', done);
          sock.on('connect', () => sock.write(Buffer.concat(frames.flatMap((f) => [Buffer.from([f.length >> 8, f.length & 0xff]), f]))));
          sock.on('data', (d: Buffer) => {
            buf = Buffer.concat([buf, d]);
            while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
              const m = buf.subarray(2, 2 + buf.readUInt16BE(0));
              buf = buf.subarray(2 + m.length);
              check(byId.get(m.readUInt16BE(0)), m, 'tcp');
              if (++got === want) done();
            }
          });
        });
      }
      // Raw garbage on TCP must only ever close the connection.
      for (let c = 0; c < 20; c++) {
        await new Promise<void>((resolve) => {
          const sock = connect({ host: HOST, port });
          const t = setTimeout(() => sock.destroy(), 300);
          sock.on('error', () => {});
          sock.on('close', () => {
            clearTimeout(t);
            resolve();
          });
          sock.on('connect', () => sock.end(fuzzPacket(c * 5, rand, 2000)));
        });
      }
      const r = await ask(HOST, port, `web.default.svc.${Z}`);
      assert.equal(r.rcode, 'NOERROR', 'the server still answers after the fuzz');
      assert.ok(udpReplies > 0, 'no UDP replies at all');
      assert.deepEqual(problems.slice(0, 5), [], `seed ${seed}: ${problems.length} problems`);
      console.log(`# fuzz: ${udpReplies} of ${due} due UDP replies in ${Date.now() - started} ms`);
    } finally {
      ac.abort();
      await running;
    }
  });
});
