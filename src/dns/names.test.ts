import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalIP, endpointHostname, normalizeName, podLabelToIP, reverseName, reverseNameToIP, trimZone } from './names.js';

describe('names', () => {
  test('normalizeName folds case and drops the trailing dot', () => {
    for (const [i, o] of [
      ['Web.Default.SVC.cluster.local.', 'web.default.svc.cluster.local'],
      ['a', 'a'],
      ['.', ''],
    ]) assert.equal(normalizeName(i!), o);
  });

  test('trimZone returns the part left of the zone, or undefined outside it', () => {
    const cases: Array<[string, string, string | undefined]> = [
      ['a.b.cluster.local', 'cluster.local', 'a.b'],
      ['cluster.local', 'cluster.local', ''],
      ['xcluster.local', 'cluster.local', undefined],
      ['example.com', 'cluster.local', undefined],
      ['anything', '', 'anything'],
    ];
    for (const [name, zone, want] of cases) assert.equal(trimZone(name, zone), want, `${name} in ${zone}`);
  });

  test('canonicalIP spells each address one way', () => {
    const cases: Array<[string, string | undefined]> = [
      ['10.0.0.1', '10.0.0.1'],
      ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
      ['2001:db8::0:1', '2001:db8::1'],
      ['::1', '::1'],
      ['::', '::'],
      ['fd00:0:0:1:0:0:0:0', 'fd00:0:0:1::'],
      ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
      ['1:0:2:0:3:0:4:0', '1:0:2:0:3:0:4:0'],
      ['::ffff:1.2.3.4', '::ffff:102:304'],
      ['not-an-ip', undefined],
      ['1.2.3', undefined],
    ];
    for (const [i, o] of cases) assert.equal(canonicalIP(i), o, i);
  });

  test('endpointHostname prefers the hostname, else dashes the IP', () => {
    const cases: Array<[string, string | undefined, string]> = [
      ['127.128.0.5', undefined, '127-128-0-5'],
      ['127.128.0.5', 'My-Pet', 'my-pet'],
      ['5678:abcd::1', undefined, '5678-abcd--1'],
      ['fd00::', undefined, 'fd00--0'],
    ];
    for (const [ip, h, o] of cases) assert.equal(endpointHostname(ip, h), o);
  });

  test('podLabelToIP reads dashed IPv4 and IPv6 labels', () => {
    const cases: Array<[string, string | undefined]> = [
      ['1-2-3-4', '1.2.3.4'],
      ['127-128-0-10', '127.128.0.10'],
      ['fd00--1', 'fd00::1'],
      ['1-2-3-400', undefined],
      ['01-2-3-4', undefined],
      ['web', undefined],
      ['1-2-3', undefined],
    ];
    for (const [l, o] of cases) assert.equal(podLabelToIP(l), o, l);
  });

  test('reverse names round-trip', () => {
    assert.equal(reverseName('127.96.0.10'), '10.0.96.127.in-addr.arpa');
    assert.equal(reverseNameToIP('10.0.96.127.in-addr.arpa'), '127.96.0.10');
    assert.equal(reverseNameToIP('10.0.96.127.IN-ADDR.ARPA.'), '127.96.0.10');
    const v6 = reverseName('2001:db8::1')!;
    assert.equal(v6, '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa');
    assert.equal(reverseNameToIP(v6), '2001:db8::1');
    for (const partial of ['0.96.127.in-addr.arpa', '300.0.96.127.in-addr.arpa', '0.0.ip6.arpa', 'in-addr.arpa', 'example.com']) {
      assert.equal(reverseNameToIP(partial), undefined, partial);
    }
  });
});
