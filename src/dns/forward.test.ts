import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import type { Answer } from 'dns-packet';
import { Registry } from 'prom-client';
import { Client } from '../client/client.js';
import { SharedInformerFactory } from '../client/informer.js';
import { FakeTransport, jsonResponse } from '../client/testing.js';
import { CacheHandler, DnsCache } from './cache.js';
import { ClusterDns } from './cluster-dns.js';
import { Forwarder, ForwardHandler } from './forward.js';
import { KubernetesHandler } from './kubernetes.js';
import { LoopDetector } from './loop.js';
import { DnsMetrics } from './metrics.js';
import { chain } from './query.js';
import { DnsServer } from './server.js';
import { ask, fakeSource, FakeUpstream, rr } from './testing.js';
import { parseUpstream } from './upstream.js';
import { DEFAULT_ZONE_CONFIG } from './zone.js';

const HOST = '127.0.0.1';
const A = (name: string, data: string, ttl = 60): Answer => ({ type: 'A', name, ttl, data });
const SOA: Answer = { type: 'SOA', name: 'test', ttl: 300, data: { mname: 'ns.test', rname: 'hostmaster.test', serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 60 } };

const source = fakeSource({
  namespaces: ['default'],
  services: [
    { namespace: 'default', name: 'web', headless: false, clusterIPs: ['127.96.0.12'], ports: [], publishNotReady: false },
    { namespace: 'default', name: 'external', headless: false, clusterIPs: [], externalName: 'www.example.test', ports: [], publishNotReady: false },
  ],
});

/** loop → kubernetes → cache → forward over a server on 127.0.0.1:<free>. */
async function startStack(upstreams: string[], o: { timeoutMs?: number; policy?: 'random' | 'sequential' } = {}) {
  const metrics = new DnsMetrics(new Registry(), 'dns://test');
  const loop = new LoopDetector();
  const forwarder = new Forwarder({ upstreams: upstreams.map(parseUpstream), metrics, timeoutMs: o.timeoutMs ?? 1000, policy: o.policy ?? 'sequential' });
  const resolve = chain([loop, new KubernetesHandler(source, DEFAULT_ZONE_CONFIG), new CacheHandler(new DnsCache(), metrics), new ForwardHandler(forwarder, loop)]);
  const server = new DnsServer({ handler: resolve, host: HOST, port: 0, metrics });
  const ac = new AbortController();
  const running = server.start(ac.signal);
  const { port } = await server.ready;
  return {
    port,
    loop,
    resolve,
    metrics,
    forwarder,
    async stop() {
      ac.abort();
      await running;
    },
  };
}

describe('forwarding', () => {
  test('forwards names outside the zone and caches positive and negative answers', async () => {
    const up = await new FakeUpstream('127.0.0.3').start();
    up.answer = (name) => (name === 'www.example.test' ? { answers: [A(name, '192.0.2.10')] } : { rcode: 'NXDOMAIN', authorities: [SOA] });
    const s = await startStack([`127.0.0.3:${up.port}`]);
    try {
      const r1 = await ask(HOST, s.port, 'www.example.test');
      assert.equal(r1.rcode, 'NOERROR');
      assert.deepEqual(r1.answers?.map((a) => rr(a).data), ['192.0.2.10']);
      assert.equal(r1.flag_ra, true);
      const r2 = await ask(HOST, s.port, 'WWW.Example.Test');
      assert.deepEqual(r2.answers?.map((a) => rr(a).data), ['192.0.2.10']);
      assert.ok((rr(r2.answers?.[0]).ttl ?? 99) <= 60);
      assert.equal(up.count('www.example.test'), 1, 'second query came from the cache');

      const n1 = await ask(HOST, s.port, 'missing.example.test');
      assert.equal(n1.rcode, 'NXDOMAIN');
      assert.equal(n1.authorities?.[0]?.type, 'SOA');
      await ask(HOST, s.port, 'missing.example.test');
      assert.equal(up.count('missing.example.test'), 1, 'denial came from the cache');

      const hits = await s.metrics.registry.getSingleMetricAsString('coredns_cache_hits_total');
      assert.match(hits, /type="success"\} 1/);
      assert.match(hits, /type="denial"\} 1/);
      assert.match(await s.metrics.registry.getSingleMetricAsString('coredns_proxy_request_duration_seconds'), new RegExp(`to="127.0.0.3:${up.port}"`));
    } finally {
      await s.stop();
      await up.stop();
    }
  });

  test('retries over TCP when the upstream truncates', async () => {
    const up = await new FakeUpstream('127.0.0.4').start();
    up.answer = (name) => ({ answers: Array.from({ length: 50 }, (_, i) => A(name, `192.0.2.${i + 1}`)), truncateOverUdp: true });
    const s = await startStack([`127.0.0.4:${up.port}`]);
    try {
      const r = await ask(HOST, s.port, 'many.example.test', { proto: 'tcp' });
      assert.equal(r.answers?.length, 50);
      assert.equal(up.count('many.example.test', 'udp'), 1);
      assert.equal(up.count('many.example.test', 'tcp'), 1);
      // The same cached answer is too big for a plain UDP reply: TC, and the client retries over TCP.
      const small = await ask(HOST, s.port, 'many.example.test');
      assert.equal(small.flag_tc, true);
    } finally {
      await s.stop();
      await up.stop();
    }
  });

  test('tries the next upstream when one does not answer, and SERVFAILs when none does', async () => {
    const silent = await new FakeUpstream('127.0.0.5').start();
    silent.answer = () => 'silence';
    const good = await new FakeUpstream('127.0.0.6').start();
    good.answer = (name) => ({ answers: [A(name, '192.0.2.77')] });
    const s = await startStack([`127.0.0.5:${silent.port}`, `127.0.0.6:${good.port}`], { timeoutMs: 300 });
    const dead = await startStack([`127.0.0.5:${silent.port}`], { timeoutMs: 300 });
    try {
      const r = await ask(HOST, s.port, 'failover.example.test');
      assert.deepEqual(r.answers?.map((a) => rr(a).data), ['192.0.2.77']);
      assert.equal(silent.count('failover.example.test'), 1);
      const f = await ask(HOST, dead.port, 'nobody.example.test');
      assert.equal(f.rcode, 'SERVFAIL');
    } finally {
      await s.stop();
      await dead.stop();
      await silent.stop();
      await good.stop();
    }
  });

  test('chases an ExternalName target through the forwarder', async () => {
    const up = await new FakeUpstream('127.0.0.7').start();
    up.answer = (name) => (name === 'www.example.test' ? { answers: [A(name, '192.0.2.53', 300)] } : { rcode: 'NXDOMAIN' });
    const s = await startStack([`127.0.0.7:${up.port}`]);
    try {
      const r = await ask(HOST, s.port, 'external.default.svc.cluster.local');
      assert.equal(r.rcode, 'NOERROR');
      assert.deepEqual(
        r.answers?.map((a) => `${a.name} ${a.type} ${rr(a).data}`),
        ['external.default.svc.cluster.local CNAME www.example.test', 'www.example.test A 192.0.2.53'],
      );
      // Cluster names never reach the upstream.
      await ask(HOST, s.port, 'web.default.svc.cluster.local');
      assert.equal(up.queries.filter((q) => q.name.endsWith('cluster.local')).length, 0);
    } finally {
      await s.stop();
      await up.stop();
    }
  });
});

describe('loop guard', () => {
  test('detects an upstream that sends queries back to us, then refuses forwarding', async () => {
    const loopy = await new FakeUpstream('127.0.0.8').start();
    let ourPort = 0;
    // A resolver misconfigured to forward everything to our server.
    loopy.answer = async (name, type) => {
      const r = await ask(HOST, ourPort, name, { type, timeoutMs: 2500 }).catch(() => undefined);
      if (!r) return 'silence';
      return r.rcode === 'NOERROR' ? { answers: r.answers ?? [] } : { rcode: r.rcode === 'NXDOMAIN' ? 'NXDOMAIN' : r.rcode === 'REFUSED' ? 'REFUSED' : 'SERVFAIL' };
    };
    const s = await startStack([`127.0.0.8:${loopy.port}`], { timeoutMs: 3000 });
    ourPort = s.port;
    try {
      await s.loop.probe(s.resolve, 50);
      assert.equal(s.loop.detected, true, 'loop not detected');
      assert.ok(loopy.count(s.loop.qname) >= 2, `probe seen ${loopy.count(s.loop.qname)} times upstream`);
      const before = loopy.queries.length;
      const r = await ask(HOST, s.port, 'anything.example.test');
      assert.equal(r.rcode, 'REFUSED');
      assert.equal(loopy.queries.length, before, 'nothing forwarded after the loop was found');
      assert.equal((await ask(HOST, s.port, 'web.default.svc.cluster.local')).rcode, 'NOERROR');
    } finally {
      await s.stop();
      await loopy.stop();
    }
  });

  test('a healthy upstream passes the probe and forwarding stays on', async () => {
    const up = await new FakeUpstream('127.0.0.9').start();
    const s = await startStack([`127.0.0.9:${up.port}`]);
    try {
      await s.loop.probe(s.resolve, 50);
      assert.equal(s.loop.detected, false);
      assert.equal(up.count(s.loop.qname), 1);
      assert.equal((await ask(HOST, s.port, 'after.example.test')).rcode, 'NXDOMAIN');
    } finally {
      await s.stop();
      await up.stop();
    }
  });

  test('ClusterDns drops upstreams that are itself and refuses outside names instead of looping', async () => {
    // A port that is free right now for the server to take, on an address of this test's own
    // (127.0.0.1 is shared with every other test process, which could take the port meanwhile).
    const OWN = `127.77.${Math.floor(Math.random() * 250) + 1}.${Math.floor(Math.random() * 250) + 1}`;
    const probe = createSocket('udp4');
    await new Promise<void>((r) => probe.bind(0, OWN, () => r()));
    const port = probe.address().port;
    await new Promise<void>((r) => probe.close(() => r()));

    const t = new FakeTransport();
    t.onRequest = (req) => jsonResponse(200, { kind: 'List', metadata: { resourceVersion: '1' }, items: req.path === '/api/v1/namespaces' ? [{ metadata: { name: 'default', uid: 'u' } }] : [] });
    const informers = new SharedInformerFactory(new Client(t));
    const dns = new ClusterDns({ informers, host: OWN, port, upstreams: [`${OWN}:${port}`, '127.96.0.10:53'], selfAddresses: ['127.96.0.10:53'], loopProbe: false });
    const ac = new AbortController();
    const runs = [informers.start(ac.signal), dns.start(ac.signal)];
    try {
      const addr = await dns.ready;
      assert.equal(addr.port, port);
      await informers.synced();
      assert.deepEqual(dns.forwarder.list(), []);
      assert.equal((await ask(OWN, port, 'example.test', { timeoutMs: 1500 })).rcode, 'REFUSED');
      assert.equal((await ask(OWN, port, 'nope.default.svc.cluster.local')).rcode, 'NXDOMAIN');
    } finally {
      ac.abort();
      // Bounded: a failed assertion above must fail the test, not hang the file.
      await Promise.race([Promise.all(runs), new Promise((r) => setTimeout(r, 5000).unref())]);
    }
  });
});
