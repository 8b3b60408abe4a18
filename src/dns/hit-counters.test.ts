import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { DURATION_BUCKETS, HitCounters, hitSlot, type HitRow } from './hit-counters.js';
import { DnsMetrics } from './metrics.js';

describe('HitCounters', () => {
  test('one interned counter per label set; rows per slot with non-cumulative buckets; drain zeroes', () => {
    const hits = new HitCounters();
    const a = hits.get('cluster.local.', 'A', '0');
    assert.equal(hits.get('cluster.local.', 'A', '0'), a);
    a.add(hitSlot('udp', false), 0.0001);
    a.add(hitSlot('udp', false), 0.0003);
    a.add(hitSlot('tcp', true), 20);
    const rows: HitRow[] = [];
    hits.drain((r) => rows.push(r));
    assert.equal(rows.length, 2);
    const [udp, tcp] = rows;
    assert.deepEqual(udp!.slice(0, 5), ['cluster.local.', 'A', '0', 0, 2]);
    assert.ok(Math.abs(udp![5] - 0.0004) < 1e-12);
    assert.deepEqual(udp![6].slice(0, 3), [1, 1, 0]);
    assert.deepEqual(tcp!.slice(0, 5), ['cluster.local.', 'A', '0', 3, 1]);
    assert.equal(tcp![6].reduce((x, y) => x + y, 0), 0, 'above every bound: counted, in no finite bucket');
    const again: HitRow[] = [];
    hits.drain((r) => again.push(r));
    assert.deepEqual(again, []);
  });

  test('flushed into prom-client, the exposition equals one observe and one inc per answer (pins prom-client internals)', async () => {
    const durations = [0.0001, 0.0002, 0.0004, 0.003, 0.02, 9, 0.00025];
    const bulk = new DnsMetrics(new Registry(), 'dns://x');
    const each = new DnsMetrics(new Registry(), 'dns://x');
    const c = bulk.hits.get('cluster.local.', 'A', '0');
    for (const d of durations) {
      c.add(hitSlot('udp', false), d);
      each.requests.inc({ server: 'dns://x', zone: 'cluster.local.', proto: 'udp', family: '1', type: 'A' });
      each.responses.inc({ server: 'dns://x', zone: 'cluster.local.', rcode: '0' });
      each.duration.observe({ server: 'dns://x', zone: 'cluster.local.', type: 'A' }, d);
    }
    for (const name of ['coredns_dns_requests_total', 'coredns_dns_responses_total', 'coredns_dns_request_duration_seconds']) {
      assert.equal(await bulk.registry.getSingleMetricAsString(name), await each.registry.getSingleMetricAsString(name), name);
    }
    assert.equal(DURATION_BUCKETS.length, 16);
  });
});
