import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Probe } from 'kubernetes-types/core/v1.js';
import { FakeClock } from '../../client/clock.js';
import type { HandlerTarget } from './handlers.js';
import { ProbeWorker } from './worker.js';
import type { ProbeKind } from './thresholds.js';

/** Lets the promise chain of an attempt settle. */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

function harness(kind: ProbeKind, probe: Probe, results: boolean[], started = true) {
  const clock = new FakeClock(0);
  const calls: number[] = [];
  const published: boolean[] = [];
  const failures: string[] = [];
  const target: HandlerTarget = {
    podIP: '127.0.0.1',
    container: { name: 'c' },
    exec: async () => {
      calls.push(clock.now());
      const ok = results.shift() ?? true;
      return { exitCode: ok ? 0 : 1, output: ok ? '' : 'nope', timedOut: false };
    },
  };
  let isStarted = started;
  const w = new ProbeWorker({
    kind,
    probe: { exec: { command: ['true'] }, ...probe },
    clock,
    target,
    startedAt: 0,
    started: () => isStarted,
    onPublish: (v) => published.push(v),
    onFailure: (o) => failures.push(o.output),
  });
  return { clock, calls, published, failures, w, setStarted: (v: boolean) => (isStarted = v) };
}

test('waits for the initial delay, then probes every period', async () => {
  const h = harness('readiness', { initialDelaySeconds: 5, periodSeconds: 2 }, []);
  h.w.start();
  h.clock.advance(4_999);
  await settle();
  assert.deepEqual(h.calls, []);
  for (const t of [1, 2_000, 2_000]) {
    h.clock.advance(t);
    await settle();
  }
  assert.deepEqual(h.calls, [5_000, 7_000, 9_000]);
  assert.deepEqual(h.published, [true, true, true]);
  h.w.stop();
});

test('liveness publishes a failure after failureThreshold attempts and then holds', async () => {
  const h = harness('liveness', { periodSeconds: 1, failureThreshold: 2 }, [false, false, false, false]);
  h.w.start();
  for (let i = 0; i < 5; i++) {
    h.clock.advance(i === 0 ? 0 : 1_000);
    await settle();
  }
  assert.deepEqual(h.published, [false]);
  assert.equal(h.calls.length, 2, 'no attempts while on hold');
  assert.deepEqual(h.failures, ['nope', 'nope']);
  h.w.stop();
});

test('readiness waits until the container has started; trigger probes at once', async () => {
  const h = harness('readiness', { periodSeconds: 10 }, [], false);
  h.w.start();
  h.clock.advance(0);
  await settle();
  assert.deepEqual(h.calls, []);
  h.setStarted(true);
  h.w.trigger();
  await settle();
  assert.deepEqual(h.published, [true]);
  h.w.stop();
});

test('stop cancels future attempts', async () => {
  const h = harness('readiness', { periodSeconds: 1 }, []);
  h.w.start();
  h.w.stop();
  h.clock.advance(10_000);
  await settle();
  assert.deepEqual(h.calls, []);
  assert.equal(h.clock.pending(), 0);
});
