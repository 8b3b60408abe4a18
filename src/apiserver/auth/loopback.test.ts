import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dialHost, isLoopbackHost, isWildcardHost, secureModeFor } from './loopback.js';

test('loopback detection', () => {
  const table: Array<[string, boolean]> = [
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['localhost', true],
    ['LOCALHOST', true],
    ['::1', true],
    ['[::1]', true],
    ['0:0:0:0:0:0:0:1', true],
    ['::ffff:127.0.0.1', true],
    ['0.0.0.0', false],
    ['::', false],
    ['192.168.1.10', false],
    ['10.0.0.1', false],
    ['128.0.0.1', false],
    ['::2', false],
    ['fe80::1', false],
    ['example.com', false],
  ];
  for (const [host, want] of table) assert.equal(isLoopbackHost(host), want, host);
});

test('secure mode: beyond loopback, or forced', () => {
  const table: Array<[string, boolean, boolean]> = [
    ['127.0.0.1', false, false],
    ['127.0.0.1', true, true],
    ['0.0.0.0', false, true],
    ['::', false, true],
    ['192.168.1.10', false, true],
  ];
  for (const [host, forced, want] of table) assert.equal(secureModeFor(host, forced), want, `${host} forced=${forced}`);
});

test('wildcards dial 127.0.0.1; IPv6 is bracketed', () => {
  assert.equal(isWildcardHost('0.0.0.0'), true);
  assert.equal(isWildcardHost('::'), true);
  assert.equal(isWildcardHost('127.0.0.1'), false);
  assert.equal(dialHost('0.0.0.0'), '127.0.0.1');
  assert.equal(dialHost('::'), '127.0.0.1');
  assert.equal(dialHost('::1'), '[::1]');
  assert.equal(dialHost('10.1.2.3'), '10.1.2.3');
});
