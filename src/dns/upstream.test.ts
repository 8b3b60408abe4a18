import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { filterUpstreams, formatUpstream, parseResolvConf, parseUpstream } from './upstream.js';

describe('upstreams', () => {
  test('parseUpstream accepts IPs with optional ports', () => {
    const cases: Array<[string, string]> = [
      ['10.0.0.2', '10.0.0.2:53'],
      ['10.0.0.2:5353', '10.0.0.2:5353'],
      ['::1', '[::1]:53'],
      ['[fd00::2]:5353', '[fd00::2]:5353'],
      ['dns://127.0.0.1:53', '127.0.0.1:53'],
    ];
    for (const [i, o] of cases) assert.equal(formatUpstream(parseUpstream(i)), o, i);
    for (const bad of ['dns.google', '10.0.0.2:0', '10.0.0.2:99999', '']) {
      assert.throws(() => parseUpstream(bad), /invalid DNS upstream/, bad);
    }
  });

  test('parseResolvConf reads nameserver lines in order', () => {
    const text = ['# generated', 'search example.com', 'nameserver 10.255.255.53', 'nameserver fe80::1%eth0 ; link-local', 'nameserver bogus', 'options ndots:5', '  nameserver 1.1.1.1 # cloud'].join('\n');
    assert.deepEqual(parseResolvConf(text).map(formatUpstream), ['10.255.255.53:53', '[fe80::1]:53', '1.1.1.1:53']);
  });

  test('filterUpstreams drops this server, including through a wildcard bind', () => {
    const ups = ['127.0.2.53:53', '127.0.0.1:53', '10.0.0.2:53', '127.96.0.10:53', '127.0.2.53:5353'].map(parseUpstream);
    const r1 = filterUpstreams(ups, [parseUpstream('127.0.2.53:53'), parseUpstream('127.96.0.10:53')]);
    assert.deepEqual(r1.kept.map(formatUpstream), ['127.0.0.1:53', '10.0.0.2:53', '127.0.2.53:5353']);
    assert.deepEqual(r1.dropped.map(formatUpstream), ['127.0.2.53:53', '127.96.0.10:53']);
    const r2 = filterUpstreams(ups, [parseUpstream('0.0.0.0:53')]);
    assert.deepEqual(r2.kept.map(formatUpstream), ['10.0.0.2:53', '127.0.2.53:5353']);
  });
});
