import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Expectations, EXPECTATIONS_TIMEOUT_MS } from './expectations.js';

test('a key is blocked until every expected creation is observed', () => {
  const e = new Expectations(() => 0);
  assert.equal(e.satisfied('ns/ds'), true);
  e.expectCreations('ns/ds', 2);
  assert.equal(e.satisfied('ns/ds'), false);
  e.creationObserved('ns/ds');
  assert.equal(e.satisfied('ns/ds'), false);
  e.creationObserved('ns/ds');
  assert.equal(e.satisfied('ns/ds'), true);
});

test('deletions are tracked by uid, and a repeated observation does not over-count', () => {
  const e = new Expectations(() => 0);
  e.expectDeletions('k', ['a', 'b']);
  e.deletionObserved('k', 'a');
  e.deletionObserved('k', 'a');
  assert.equal(e.satisfied('k'), false);
  e.deletionObserved('k', 'b');
  assert.equal(e.satisfied('k'), true);
});

test('stale expectations stop blocking after the timeout', () => {
  let now = 0;
  const e = new Expectations(() => now);
  e.expectCreations('k', 1);
  now = EXPECTATIONS_TIMEOUT_MS + 1;
  assert.equal(e.satisfied('k'), true);
});
