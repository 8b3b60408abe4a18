import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findResource } from '../api/resources.js';
import { MemoryStore } from '../store/index.js';
import { Registry, timestamp } from './registry.js';

test('a generateName that lands on a taken name is generated again (upstream RetryGenerateName)', async (t) => {
  const store = new MemoryStore();
  t.after(() => store.close());
  const registry = new Registry(store);
  const cm = findResource('', 'v1', 'configmaps')!;
  await registry.create(cm, 'default', { metadata: { name: 'gen-bbbbb' } });
  // The first five draws spell "bbbbb" (index 0 of the alphabet), the next ones "ccccc".
  const draws = [0, 0, 0, 0, 0, 1.5 / 27, 1.5 / 27, 1.5 / 27, 1.5 / 27, 1.5 / 27];
  const random = t.mock.method(Math, 'random', () => draws.shift() ?? 0.5);
  const created = await registry.create(cm, 'default', { metadata: { generateName: 'gen-' } });
  random.mock.restore();
  assert.equal(created.metadata?.name, 'gen-ccccc');
  assert.equal(created.metadata?.generateName, 'gen-');
});

test('an explicit name that is taken is AlreadyExists, with no retry', async (t) => {
  const store = new MemoryStore();
  t.after(() => store.close());
  const registry = new Registry(store);
  const cm = findResource('', 'v1', 'configmaps')!;
  await registry.create(cm, 'default', { metadata: { name: 'taken' } });
  await assert.rejects(registry.create(cm, 'default', { metadata: { name: 'taken' } }), /configmaps "taken" already exists/);
});

test('timestamp: RFC 3339 seconds, the same text within a second and a new one after it', () => {
  assert.equal(timestamp(new Date('2026-11-22T16:10:34.123Z')), '2026-11-22T16:10:34Z');
  assert.equal(timestamp(new Date('2026-11-22T16:10:34.999Z')), '2026-11-22T16:10:34Z');
  assert.equal(timestamp(new Date('2026-11-22T16:10:35.001Z')), '2026-11-22T16:10:35Z');
  assert.equal(timestamp(new Date('2026-11-22T16:10:34.500Z')), '2026-11-22T16:10:34Z');
  assert.throws(() => timestamp(new Date(Number.NaN)), RangeError);
});
