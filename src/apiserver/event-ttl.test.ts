import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventLastActive } from './event-ttl.js';

test('an event is as old as its latest activity', () => {
  assert.equal(eventLastActive({ lastTimestamp: '2026-01-01T00:00:10Z', metadata: { creationTimestamp: '2026-01-01T00:00:00Z' } }), Date.parse('2026-01-01T00:00:10Z'));
  assert.equal(eventLastActive({ series: { lastObservedTime: '2026-01-01T00:01:00Z' }, lastTimestamp: '2026-01-01T00:00:10Z' } as never), Date.parse('2026-01-01T00:01:00Z'));
  assert.equal(eventLastActive({ metadata: { creationTimestamp: '2026-01-01T00:00:00Z' } }), Date.parse('2026-01-01T00:00:00Z'));
  assert.equal(eventLastActive({}), 0);
});
