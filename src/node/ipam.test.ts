import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cidrContains, IndexAllocator, intToIp, ipToInt, NodeIPAllocator, parseCidr, PodCidrAllocator, PodIPAllocator } from './ipam.js';

test('IPv4 text and numbers round-trip, and malformed addresses are rejected', () => {
  for (const ip of ['0.0.0.0', '127.0.1.1', '255.255.255.255', '127.128.3.0']) assert.equal(intToIp(ipToInt(ip)), ip);
  for (const bad of ['1.2.3', '1.2.3.256', 'a.b.c.d', '1.2.3.4.5']) assert.throws(() => ipToInt(bad));
});

test('a CIDR is masked to its prefix and contains exactly its block', () => {
  const c = parseCidr('127.128.7.9/24');
  assert.equal(intToIp(c.base), '127.128.7.0');
  assert.equal(c.size, 256);
  const table: Array<[string, boolean]> = [
    ['127.128.7.0', true],
    ['127.128.7.255', true],
    ['127.128.8.0', false],
    ['127.128.6.255', false],
    ['junk', false],
  ];
  for (const [ip, want] of table) assert.equal(cidrContains(c, ip), want, ip);
  assert.throws(() => parseCidr('10.0.0.0/33'));
});

test('the index allocator hands out the lowest free index and reuses released ones', () => {
  const a = new IndexAllocator(1, 3);
  a.reserve(2);
  assert.equal(a.allocate(), 1);
  assert.equal(a.allocate(), 3);
  assert.equal(a.allocate(), undefined);
  a.release(2);
  assert.equal(a.allocate(), 2);
});

test('pod CIDRs are /24 blocks of the cluster CIDR starting at block 1, skipping reserved ones', () => {
  const a = new PodCidrAllocator('127.128.0.0/9');
  a.reserve('127.128.2.0/24');
  a.reserve('10.0.0.0/24'); // outside: ignored
  assert.equal(a.allocate(), '127.128.1.0/24');
  assert.equal(a.allocate(), '127.128.3.0/24');
  a.release('127.128.1.0/24');
  assert.equal(a.allocate(), '127.128.1.0/24');
  const tiny = new PodCidrAllocator('10.0.0.0/23');
  assert.equal(tiny.allocate(), '10.0.1.0/24');
  assert.throws(() => tiny.allocate(), /no free \/24/);
});

test('node InternalIPs start at 127.0.1.1 and continue past the first /24 without .0 and .255', () => {
  const a = new NodeIPAllocator('127.0.1.0/24');
  const ips = Array.from({ length: 256 }, () => a.allocate());
  assert.equal(ips[0], '127.0.1.1');
  assert.equal(ips[253], '127.0.1.254');
  assert.equal(ips[254], '127.0.2.1');
  assert.equal(new Set(ips).size, 256);
  assert.ok(ips.every((ip) => !ip.endsWith('.0') && !ip.endsWith('.255')));
  const b = new NodeIPAllocator();
  b.reserve('127.0.1.1');
  assert.equal(b.allocate(), '127.0.1.2');
});

test('pod IPs are next-fit inside the node block, one per owner, and released IPs are not reused at once', () => {
  const a = new PodIPAllocator('127.128.1.0/24');
  assert.equal(a.allocate('u1'), '127.128.1.1');
  assert.equal(a.allocate('u1'), '127.128.1.1', 'same owner, same IP');
  assert.equal(a.allocate('u2'), '127.128.1.2');
  a.release('u1');
  assert.equal(a.allocate('u3'), '127.128.1.3');
  assert.equal(a.reserve('u4', '127.128.1.3'), false, 'taken by u3');
  assert.equal(a.reserve('u4', '127.128.2.3'), false, 'outside the block');
  assert.equal(a.reserve('u4', '127.128.1.200'), true);
  const full = new PodIPAllocator('10.0.0.0/30');
  assert.equal(full.allocate('a'), '10.0.0.1');
  assert.equal(full.allocate('b'), '10.0.0.2');
  assert.equal(full.allocate('c'), undefined);
});
