import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Answer } from 'dns-packet';
import { Registry } from 'prom-client';
import { CacheHandler, DnsCache, cacheKey, cachePlan } from './cache.js';
import { DnsMetrics } from './metrics.js';
import type { DnsQuery, DnsReply } from './query.js';
import { rr } from './testing.js';

const a = (ttl: number, data = '192.0.2.1'): Answer => ({ type: 'A', name: 'example.com', ttl, data });
const soa = (ttl: number, minimum: number): Answer => ({
  type: 'SOA',
  name: 'com',
  ttl,
  data: { mname: 'a.gtld-servers.net', rname: 'nstld.verisign-grs.com', serial: 1, refresh: 1800, retry: 900, expire: 604800, minimum },
});
const reply = (o: Partial<DnsReply>): DnsReply => ({ rcode: 'NOERROR', authoritative: false, answers: [], authorities: [], additionals: [], ...o });
const q = (name = 'example.com', type = 'A'): DnsQuery => ({ name, type, class: 'IN', rd: true, cd: false, dnssecOk: false, proto: 'udp', remote: '127.0.0.1' });

describe('cachePlan', () => {
  test('positive answers live for their smallest TTL, denials for the SOA negative TTL, both clamped', () => {
    const cases: Array<[string, DnsReply, ReturnType<typeof cachePlan>]> = [
      ['answer', reply({ answers: [a(300), a(60)] }), { kind: 'success', ttl: 60 }],
      ['answer with a short additional', reply({ answers: [a(300)], additionals: [a(30)] }), { kind: 'success', ttl: 30 }],
      ['answer under the floor', reply({ answers: [a(0)] }), { kind: 'success', ttl: 5 }],
      ['answer over the cap', reply({ answers: [a(86400)] }), { kind: 'success', ttl: 3600 }],
      ['NXDOMAIN', reply({ rcode: 'NXDOMAIN', authorities: [soa(900, 60)] }), { kind: 'denial', ttl: 60 }],
      ['NXDOMAIN, SOA TTL smaller', reply({ rcode: 'NXDOMAIN', authorities: [soa(20, 900)] }), { kind: 'denial', ttl: 20 }],
      ['NXDOMAIN over the cap', reply({ rcode: 'NXDOMAIN', authorities: [soa(86400, 86400)] }), { kind: 'denial', ttl: 1800 }],
      ['NODATA', reply({ authorities: [soa(900, 120)] }), { kind: 'denial', ttl: 120 }],
      ['denial without SOA', reply({ rcode: 'NXDOMAIN' }), { kind: 'denial', ttl: 5 }],
      ['SERVFAIL', reply({ rcode: 'SERVFAIL' }), undefined],
      ['REFUSED', reply({ rcode: 'REFUSED' }), undefined],
      ['truncated', reply({ answers: [a(300)], truncated: true }), undefined],
    ];
    for (const [what, r, want] of cases) assert.deepEqual(cachePlan(r), want, what);
  });

  test('cacheKey folds case and separates type, class and DO/CD', () => {
    assert.equal(cacheKey(q('Example.COM.')), cacheKey(q('example.com')));
    assert.notEqual(cacheKey(q('example.com', 'A')), cacheKey(q('example.com', 'AAAA')));
    assert.notEqual(cacheKey(q()), cacheKey({ ...q(), dnssecOk: true }));
    assert.notEqual(cacheKey(q()), cacheKey({ ...q(), cd: true }));
  });
});

describe('DnsCache', () => {
  test('counts TTLs down and expires entries', () => {
    let now = 0;
    const cache = new DnsCache({ now: () => now });
    cache.set('k', reply({ answers: [a(30)] }));
    assert.equal(rr(cache.get('k')?.reply.answers[0]).ttl, 30);
    now = 10_500;
    assert.equal(rr(cache.get('k')?.reply.answers[0]).ttl, 20);
    now = 30_000;
    assert.equal(cache.get('k'), undefined);
    assert.deepEqual(cache.sizes(), { success: 0, denial: 0 });
  });

  test('keeps at most capacity entries, dropping the oldest', () => {
    const cache = new DnsCache({ capacity: 2 });
    cache.set('a', reply({ answers: [a(30)] }));
    cache.set('b', reply({ rcode: 'NXDOMAIN', authorities: [soa(60, 60)] }));
    cache.set('c', reply({ answers: [a(30)] }));
    assert.equal(cache.get('a'), undefined);
    assert.ok(cache.get('b'));
    assert.ok(cache.get('c'));
    assert.deepEqual(cache.sizes(), { success: 1, denial: 1 });
  });

  test('CacheHandler answers repeats from the cache and counts hits', async () => {
    const metrics = new DnsMetrics(new Registry(), 'dns://test');
    const handler = new CacheHandler(new DnsCache(), metrics);
    let upstream = 0;
    const next = async (): Promise<DnsReply> => {
      upstream++;
      return reply({ answers: [a(300)] });
    };
    await handler.serve(q(), next);
    const second = await handler.serve(q('EXAMPLE.com'), next);
    assert.equal(upstream, 1);
    assert.equal(rr(second.answers[0]).data, '192.0.2.1');
    const hits = await metrics.registry.getSingleMetricAsString('coredns_cache_hits_total');
    assert.match(hits, /coredns_cache_hits_total\{server="dns:\/\/test",type="success"\} 1/);
    const misses = await metrics.registry.getSingleMetricAsString('coredns_cache_misses_total');
    assert.match(misses, /coredns_cache_misses_total\{server="dns:\/\/test"\} 1/);
  });
});
