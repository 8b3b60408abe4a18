import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WatchEvent } from './types.js';
import { WatchHub } from './watch-hub.js';

const ev = (rev: number, key = '/registry/a'): WatchEvent => ({ type: 'create', kv: { key, value: '', createRevision: rev, modRevision: rev } });
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('WatchHub', () => {
  it('delivers the backlog before live events, in one batch per turn', async () => {
    const hub = new WatchHub(2);
    const batches: number[][] = [];
    hub.subscribe('/registry/', [ev(1), ev(2)], { afterRevision: 0, onEvents: (evs) => batches.push(evs.map((e) => e.kv.modRevision)) });
    hub.publish([ev(3)]);
    hub.publish([ev(4, '/other')]);
    await tick();
    hub.publish([ev(5)]);
    await tick();
    assert.deepEqual(batches, [[1, 2, 3], [5]]);
  });

  it('skips events at or below afterRevision', async () => {
    const hub = new WatchHub(0);
    const seen: number[] = [];
    hub.subscribe('/', [], { afterRevision: 2, onEvents: (evs) => seen.push(...evs.map((e) => e.kv.modRevision)) });
    for (let r = 1; r <= 4; r++) hub.publish([ev(r)]);
    await tick();
    assert.deepEqual(seen, [3, 4]);
  });

  it('ends a watcher whose onEvents throws, through onError', async () => {
    const hub = new WatchHub(0);
    let error: Error | undefined;
    hub.subscribe('/', [], {
      afterRevision: 0,
      onEvents: () => {
        throw new Error('boom');
      },
      onError: (err) => (error = err),
    });
    hub.publish([ev(1)]);
    await tick();
    assert.equal(error?.message, 'boom');
    assert.equal(hub.watcherCount, 0);
  });

  it('wakes revision waiters, and times them out', async () => {
    const hub = new WatchHub(0);
    const reached = hub.waitFor(2, 1_000);
    const never = hub.waitFor(9, 20);
    hub.publish([ev(1)]);
    hub.publish([ev(2)]);
    assert.equal(await reached, true);
    assert.equal(await never, false);
    assert.equal(await hub.waitFor(1, 0), true);
  });
});
