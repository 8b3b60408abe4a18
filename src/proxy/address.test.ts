import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cidrContains, ipv4ToInt, normalizeAddress, parseCidr } from './address.js';

describe('IPv4 helpers', () => {
  const ints: Array<[string, number]> = [
    ['127.0.1.2', 0x7f000102],
    ['0.0.0.0', 0],
    ['255.255.255.255', 0xffffffff],
    ['127.0.1', -1],
    ['127.0.1.256', -1],
    ['1..2.3', -1],
    ['::1', -1],
    ['1.2.3.4.5', -1],
    ['1.2.3.1234', -1],
  ];
  for (const [ip, want] of ints) test(`ipv4ToInt(${ip}) is ${want}`, () => assert.equal(ipv4ToInt(ip), want));

  const contains: Array<[string, string, boolean]> = [
    ['127.128.1.0/24', '127.128.1.77', true],
    ['127.128.1.0/24', '127.128.2.1', false],
    ['127.0.0.0/8', '127.200.0.1', true],
    ['0.0.0.0/0', '10.1.2.3', true],
    ['127.0.0.1', '127.0.0.1', true],
    ['127.0.0.1/32', '127.0.0.2', false],
    ['127.128.1.9/24', '127.128.1.1', true],
    ['127.128.1.0/24', 'not-an-ip', false],
  ];
  for (const [cidr, ip, want] of contains) test(`${cidr} ${want ? 'contains' : 'does not contain'} ${ip}`, () => assert.equal(cidrContains(parseCidr(cidr)!, ip), want));

  test('parseCidr rejects what is not an IPv4 CIDR', () => {
    for (const bad of ['fd00::/8', '127.0.0.0/33', '127.0.0.0/x', 'nope']) assert.equal(parseCidr(bad), undefined, bad);
  });

  test('normalizeAddress unwraps IPv4-mapped IPv6 only', () => {
    assert.equal(normalizeAddress('::ffff:127.0.0.1'), '127.0.0.1');
    assert.equal(normalizeAddress('127.0.0.1'), '127.0.0.1');
    assert.equal(normalizeAddress('::1'), '::1');
    assert.equal(normalizeAddress(undefined), '');
  });
});
