import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../client/clock.js';
import { SchedulingQueue } from './queue.js';

test('back-off doubles from 1 s to 10 s, measured from the last attempt', () => {
  const clock = new FakeClock(0);
  const q = new SchedulingQueue({ clock });
  assert.equal(q.backoffRemaining('k'), 0);
  const want = [1000, 2000, 4000, 8000, 10000, 10000];
  for (const w of want) {
    q.recordAttempt('k');
    assert.equal(q.backoffRemaining('k'), w);
  }
  clock.advance(3000);
  assert.equal(q.backoffRemaining('k'), 7000);
  q.done('k');
  assert.equal(q.backoffRemaining('k'), 0);
});

test('unschedulable pods move back on a cluster event once their back-off is over', async () => {
  const clock = new FakeClock(0);
  const q = new SchedulingQueue({ clock });
  q.add('k');
  assert.equal(await q.active.get(), 'k');
  q.recordAttempt('k');
  q.markUnschedulable('k');
  q.active.done('k');
  assert.equal(q.isUnschedulable('k'), true);
  q.moveAllToActive();
  assert.equal(q.isUnschedulable('k'), false);
  assert.equal(q.active.len(), 0, 'still backing off');
  clock.advance(1000);
  assert.equal(q.active.len(), 1);
});

test('pods parked longer than the maximum are flushed', () => {
  const clock = new FakeClock(0);
  const q = new SchedulingQueue({ clock, maxUnschedulableMs: 60_000 });
  q.markUnschedulable('k');
  q.flushLeftover();
  assert.equal(q.isUnschedulable('k'), true);
  clock.advance(60_000);
  q.flushLeftover();
  assert.equal(q.isUnschedulable('k'), false);
  assert.equal(q.active.len(), 1);
});
