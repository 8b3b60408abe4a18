import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FakeClock } from './clock.js';
import {
  BucketRateLimiter,
  defaultControllerRateLimiter,
  ItemExponentialFailureRateLimiter,
  runWorkers,
  TerminalError,
  WorkQueue,
  type ReconcileResult,
} from './workqueue.js';

const T = { timeout: 5000 };
const flush = async (n = 5): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

describe('WorkQueue', () => {
  test('a key added twice is queued once', T, async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    q.add('ns/a');
    q.add('ns/a');
    q.add('ns/b');
    assert.equal(q.len(), 2);
    assert.equal(await q.get(), 'ns/a');
    assert.equal(await q.get(), 'ns/b');
    assert.equal(q.len(), 0);
  });

  test('a key added while processing is re-queued exactly once after done', T, async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    q.add('a');
    const key = await q.get();
    assert.equal(key, 'a');
    q.add('a');
    q.add('a');
    assert.equal(q.len(), 0, 'not handed to a second worker while in process');
    q.done('a');
    assert.equal(q.len(), 1);
    assert.equal(await q.get(), 'a');
    q.done('a');
    assert.equal(q.len(), 0);
  });

  test('get waits for an add and resolves undefined after shutDown', T, async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    const pending = q.get();
    q.add('x');
    assert.equal(await pending, 'x');
    const waiting = q.get();
    q.shutDown();
    assert.equal(await waiting, undefined);
    q.add('y');
    assert.equal(q.len(), 0, 'adds after shutdown are ignored');
  });

  test('addAfter queues the key when the fake clock reaches its time, keeping the earliest', T, () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    q.addAfter('a', 100);
    q.addAfter('a', 50);
    q.addAfter('a', 300);
    q.addAfter('b', 200);
    clock.advance(49);
    assert.equal(q.len(), 0);
    clock.advance(1);
    assert.equal(q.len(), 1);
    clock.advance(149);
    assert.equal(q.len(), 1);
    clock.advance(1);
    assert.equal(q.len(), 2);
    clock.advance(1000);
    assert.equal(q.len(), 2, 'the later duplicate of a was dropped');
  });

  test('addRateLimited backs off per key exponentially and forget resets it', T, () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock, rateLimiter: new ItemExponentialFailureRateLimiter(5, 1000) });
    q.addRateLimited('a');
    clock.advance(4);
    assert.equal(q.len(), 0);
    clock.advance(1);
    assert.equal(q.len(), 1);
    q.addRateLimited('b');
    q.addRateLimited('b');
    assert.equal(q.numRequeues('b'), 2);
    q.forget('b');
    assert.equal(q.numRequeues('b'), 0);
  });

  test('metrics hooks see adds, depth and retries', T, async () => {
    const seen = { adds: 0, retries: 0, depth: [] as number[] };
    const q = new WorkQueue({
      clock: new FakeClock(),
      metrics: { add: () => seen.adds++, retry: () => seen.retries++, depth: (d) => seen.depth.push(d) },
    });
    q.add('a');
    q.add('a');
    q.addRateLimited('b');
    await q.get();
    assert.equal(seen.adds, 1);
    assert.equal(seen.retries, 1);
    assert.deepEqual(seen.depth, [1, 0]);
  });
});

describe('rate limiters', () => {
  test('per-item exponential goes 5ms, 10ms, 20ms … and caps at 1000s', () => {
    const l = new ItemExponentialFailureRateLimiter();
    assert.deepEqual([l.when('a'), l.when('a'), l.when('a'), l.when('a')], [5, 10, 20, 40]);
    assert.equal(l.when('b'), 5, 'keys are independent');
    for (let i = 0; i < 100; i++) l.when('a');
    assert.equal(l.when('a'), 1_000_000);
    l.forget('a');
    assert.equal(l.when('a'), 5);
  });

  test('the bucket allows a burst of 100 then 10 per second', () => {
    const clock = new FakeClock();
    const l = new BucketRateLimiter(10, 100, clock);
    for (let i = 0; i < 100; i++) assert.equal(l.when('k'), 0);
    assert.equal(Math.round(l.when('k')), 100);
    assert.equal(Math.round(l.when('k')), 200);
    clock.advance(1000);
    // 10 tokens refilled, 2 owed: 8 free calls, then debt again.
    for (let i = 0; i < 8; i++) assert.equal(l.when('k'), 0);
    assert.equal(Math.round(l.when('k')), 100);
  });

  test('the default limiter takes the larger of both delays', () => {
    const clock = new FakeClock();
    const l = defaultControllerRateLimiter(clock);
    for (let i = 0; i < 100; i++) l.when(`k${i}`);
    assert.equal(Math.round(l.when('fresh')), 100, 'bucket delay beats 5ms');
    for (let i = 0; i < 10; i++) l.when('hot');
    assert.equal(l.when('hot'), 5 * 2 ** 10, 'item delay beats bucket');
  });
});

describe('runWorkers', () => {
  test('applies the four reconcile outcomes', T, async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock, rateLimiter: new ItemExponentialFailureRateLimiter(5, 1000) });
    const calls: string[] = [];
    const errors: string[] = [];
    let failures = 0;
    let later = 0;
    const reconcile = (key: string): ReconcileResult => {
      calls.push(key);
      switch (key) {
        case 'ok':
          return undefined;
        case 'flaky':
          if (failures++ < 2) throw new Error('transient');
          return;
        case 'bad':
          throw new Error('wrapped', { cause: new TerminalError('spec is invalid') });
        case 'later':
          return later++ === 0 ? { requeueAfter: 1000 } : undefined;
      }
      return undefined;
    };
    const ac = new AbortController();
    const logger = { info() {}, warn() {}, error: (o: Record<string, unknown>) => errors.push(String(o['key'])) };
    const done = runWorkers(q, 2, reconcile, ac.signal, logger);
    for (const k of ['ok', 'flaky', 'bad', 'later']) q.add(k);
    await flush();
    assert.deepEqual(calls.sort(), ['bad', 'flaky', 'later', 'ok']);
    assert.deepEqual(errors, ['bad'], 'terminal errors are logged');
    assert.equal(q.numRequeues('bad'), 0, 'terminal errors are not retried');
    assert.equal(q.numRequeues('flaky'), 1);

    clock.advance(5); // first retry of flaky after 5ms
    await flush();
    assert.equal(calls.filter((c) => c === 'flaky').length, 2);
    clock.advance(9);
    await flush();
    assert.equal(calls.filter((c) => c === 'flaky').length, 2, 'second retry waits 10ms');
    clock.advance(1);
    await flush();
    assert.equal(calls.filter((c) => c === 'flaky').length, 3);
    assert.equal(q.numRequeues('flaky'), 0, 'success forgets the back-off');

    assert.equal(calls.filter((c) => c === 'later').length, 1);
    clock.advance(1000);
    await flush();
    assert.equal(calls.filter((c) => c === 'later').length, 2, 'requeueAfter re-runs the key after that time');
    assert.equal(q.numRequeues('later'), 0);

    clock.advance(100_000);
    await flush();
    assert.equal(calls.length, 7, 'nothing else is retried');
    ac.abort();
    await done;
  });

  test('abort stops the workers after their current key', T, async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    const ac = new AbortController();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let finished = 0;
    const done = runWorkers(
      q,
      1,
      async () => {
        await gate;
        finished++;
      },
      ac.signal,
    );
    q.add('a');
    q.add('b');
    await flush();
    ac.abort();
    release();
    await done;
    assert.equal(finished, 1, 'b was abandoned');
  });
});
