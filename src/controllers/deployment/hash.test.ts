import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { computeHash, equalIgnoreHash, fnv32a, safeEncodeString } from './hash.js';

test('FNV-1a 32 matches the reference vectors', () => {
  assert.equal(fnv32a(Buffer.from('')), 0x811c9dc5);
  assert.equal(fnv32a(Buffer.from('a')), 0xe40c292c);
  assert.equal(fnv32a(Buffer.from('foobar')), 0xbf9cf968);
});

test('safeEncodeString maps each byte into the no-vowel alphabet', () => {
  assert.equal(safeEncodeString('0123456789'), '456789bcdf');
});

const tpl = (image: string, labels: Record<string, string> = { app: 'web' }): PodTemplateSpec => ({ metadata: { labels }, spec: { containers: [{ name: 'c', image }] } });

test('computeHash is stable, template-sensitive and changes with collisionCount', () => {
  const h = computeHash(tpl('a'));
  assert.match(h, /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
  assert.equal(computeHash(tpl('a')), h);
  assert.notEqual(computeHash(tpl('b')), h);
  assert.notEqual(computeHash(tpl('a'), 1), h);
  assert.notEqual(computeHash(tpl('a'), 1), computeHash(tpl('a'), 2));
  // key order and empty values do not matter
  assert.equal(computeHash({ spec: { containers: [{ image: 'a', name: 'c' }] }, metadata: { labels: { app: 'web' }, annotations: {} } }), h);
});

test('equalIgnoreHash ignores the pod-template-hash label, creationTimestamp: null and empty values', () => {
  const withHash = tpl('a', { app: 'web', 'pod-template-hash': 'xyz' });
  const undo = { metadata: { labels: { app: 'web' }, creationTimestamp: null }, spec: { containers: [{ name: 'c', image: 'a', resources: {} }] } } as unknown as PodTemplateSpec;
  assert.equal(equalIgnoreHash(withHash, tpl('a')), true);
  assert.equal(equalIgnoreHash(withHash, undo), true);
  assert.equal(equalIgnoreHash(withHash, tpl('b')), false);
});
