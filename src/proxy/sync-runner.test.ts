import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../client/clock.js';
import { SyncRunner } from './sync-runner.js';

/** Lets promise callbacks (the sync's completion) run. */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('SyncRunner', () => {
  async function setup(fail = false) {
    const clock = new FakeClock(10_000);
    const runs: number[] = [];
    const runner = new SyncRunner(
      async () => {
        runs.push(clock.now());
        if (fail) throw new Error('boom');
      },
      { minIntervalMs: 100, maxIntervalMs: 1000, clock },
    );
    const stop = new AbortController();
    const done = runner.start(stop.signal);
    const advance = async (ms: number): Promise<void> => {
      clock.advance(ms);
      await settle();
    };
    return { clock, runs, runner, stop, done, advance };
  }

  test('syncs at once on start, then at most once per minimum interval', async () => {
    const { runs, runner, stop, done, advance } = await setup();
    await advance(0);
    assert.deepEqual(runs, [10_000]);
    runner.request();
    runner.request();
    await advance(50);
    assert.deepEqual(runs, [10_000], 'not before the minimum interval');
    runner.request();
    await advance(50);
    assert.deepEqual(runs, [10_000, 10_100], 'a burst costs one sync');
    stop.abort();
    await done;
  });

  test('syncs periodically without requests', async () => {
    const { runs, stop, done, advance } = await setup();
    await advance(0);
    await advance(1000);
    await advance(1000);
    assert.deepEqual(runs, [10_000, 11_000, 12_000]);
    stop.abort();
    await done;
  });

  test('a retry waits for its delay', async () => {
    const { runs, runner, stop, done, advance } = await setup();
    await advance(0);
    runner.retryAfter(400);
    await advance(300);
    assert.deepEqual(runs, [10_000]);
    await advance(100);
    assert.deepEqual(runs, [10_000, 10_400]);
    stop.abort();
    await done;
  });

  test('stops running after abort', async () => {
    const { runs, runner, stop, done, advance } = await setup();
    await advance(0);
    stop.abort();
    await done;
    runner.request();
    await advance(5000);
    assert.deepEqual(runs, [10_000]);
  });
});
