/**
 * The one test suite every `Store` backend passes, as kine's: call it from a
 * backend's test file with a factory for fresh, empty stores.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError, type StatusReason } from '../api/errors.js';
import type { KeyValue, Store, WatchEvent } from './types.js';

/** What the contract asks of the factory; backends that cannot honour it may ignore it. */
export interface ContractStoreOptions {
  /** Wait for a future revision before `Timeout`; the suite passes a short one to stay fast. */
  futureRevisionTimeoutMs: number;
}

/**
 * Registers the shared `node:test` suite `<name> store contract`. `makeStore` must return
 * a new, empty store each call; the suite closes every store it makes.
 *
 * @example
 * runStoreContract('memory', async (opts) => new MemoryStore(opts));
 */
export function runStoreContract(name: string, makeStore: (opts: ContractStoreOptions) => Promise<Store>): void {
  const futureRevisionTimeoutMs = 200;

  async function withStore(fn: (store: Store) => Promise<void>): Promise<void> {
    const store = await makeStore({ futureRevisionTimeoutMs });
    try {
      await fn(store);
    } finally {
      await store.close();
    }
  }

  describe(`${name} store contract`, () => {
    it('starts empty at revision 0', () =>
      withStore(async (s) => {
        assert.equal(await s.currentRevision(), 0);
        assert.equal(await s.get('/registry/core/pods/default/a'), undefined);
        assert.deepEqual((await s.list('/registry/')).items, []);
        assert.equal(await s.count('/registry/'), 0);
      }));

    it('creates a key and reads it back; a second create is AlreadyExists', () =>
      withStore(async (s) => {
        const rev = await s.create(pod('a'), '{"v":1}');
        assert.ok(rev > 0);
        assert.equal(await s.currentRevision(), rev);
        assert.deepEqual(await s.get(pod('a')), { key: pod('a'), value: '{"v":1}', createRevision: rev, modRevision: rev });
        await rejectsWith(s.create(pod('a'), '{"v":2}'), 'AlreadyExists', 409, 'pods "a" already exists');
        await rejectsWith(s.create('/registry/apps/deployments/default/web', '{}').then(() => s.create('/registry/apps/deployments/default/web', '{}')), 'AlreadyExists', 409, 'deployments.apps "web" already exists');
        assert.equal((await s.get(pod('a')))?.value, '{"v":1}');
      }));

    it('updates with the right revision and refuses a stale one with Conflict', () =>
      withStore(async (s) => {
        const r1 = await s.create(pod('a'), '1');
        const r2 = await s.update(pod('a'), '2', r1);
        assert.ok(r2 > r1);
        assert.deepEqual(await s.get(pod('a')), { key: pod('a'), value: '2', createRevision: r1, modRevision: r2 });
        await rejectsWith(s.update(pod('a'), '3', r1), 'Conflict', 409, 'Operation cannot be fulfilled on pods "a"');
        await rejectsWith(s.update(pod('missing'), '3', r1), 'NotFound', 404, 'pods "missing" not found');
        assert.equal((await s.get(pod('a')))?.value, '2');
        assert.equal(await s.currentRevision(), r2, 'failed writes do not use up revisions');
      }));

    it('deletes with and without an expected revision', () =>
      withStore(async (s) => {
        const ra = await s.create(pod('a'), 'A');
        const rb = await s.create(pod('b'), 'B');
        await rejectsWith(s.delete(pod('a'), ra - 1), 'Conflict', 409);
        const da = await s.delete(pod('a'), ra);
        assert.equal(da.key, pod('a'));
        assert.equal(da.value, 'A');
        assert.equal(da.createRevision, ra);
        assert.equal(da.modRevision, await s.currentRevision());
        assert.ok(da.modRevision > rb);
        const db = await s.delete(pod('b'));
        assert.equal(db.value, 'B');
        assert.ok(db.modRevision > da.modRevision);
        assert.equal(await s.get(pod('a')), undefined);
        await rejectsWith(s.delete(pod('a')), 'NotFound', 404, 'pods "a" not found');
        const again = await s.create(pod('a'), 'A2');
        assert.equal((await s.get(pod('a')))?.createRevision, again, 'a re-created key starts a new life');
      }));

    it('keeps revisions strictly increasing across all keys', () =>
      withStore(async (s) => {
        const revs: number[] = [];
        for (let i = 0; i < 20; i++) revs.push(await s.create(pod(`p${i}`), '{}'));
        for (let i = 0; i < 20; i += 2) revs.push(await s.update(pod(`p${i}`), '{"x":1}', revs[i] as number));
        for (let i = 1; i < 20; i += 2) revs.push((await s.delete(pod(`p${i}`))).modRevision);
        revs.push(await s.create('/registry/core/services/default/x', '{}'));
        for (let i = 1; i < revs.length; i++) assert.ok((revs[i] as number) > (revs[i - 1] as number), `revision ${i} increases`);
        assert.equal(await s.currentRevision(), revs[revs.length - 1]);
      }));

    it('lists sorted by key, only under the prefix', () =>
      withStore(async (s) => {
        for (const n of ['c', 'a', 'b']) await s.create(pod(n), n);
        await s.create('/registry/core/podsx/default/z', 'z');
        await s.create('/registry/core/pod/default/y', 'y');
        await s.create('/registry/core/pods', 'bare');
        const res = await s.list('/registry/core/pods/');
        assert.deepEqual(res.items.map((kv) => kv.key), [pod('a'), pod('b'), pod('c')]);
        assert.deepEqual(res.items.map((kv) => kv.value), ['a', 'b', 'c']);
        assert.equal(res.revision, await s.currentRevision());
        assert.equal(res.more, false);
        assert.equal(await s.count('/registry/core/pods/'), 3);
        assert.equal(await s.count('/registry/core/podsx/'), 1);
        assert.equal(await s.count('/registry/core/'), 6);
        assert.equal(await s.count('/registry/core/pods/default/b'), 1);
        assert.equal(await s.count('/registry/apps/'), 0);
      }));

    it('pages with limit and startAfter at one revision, unaffected by later writes', () =>
      withStore(async (s) => {
        for (let i = 0; i < 10; i++) await s.create(pod(`p${i}`), `v${i}`);
        const first = await s.list('/registry/core/pods/', { limit: 4 });
        assert.deepEqual(first.items.map((kv) => kv.value), ['v0', 'v1', 'v2', 'v3']);
        assert.equal(first.more, true);
        assert.equal(first.remaining, 6);
        // Writes between pages: a new key inside the next page's range, an update and a delete.
        await s.create(pod('p45'), 'new');
        const p5 = await s.get(pod('p5'));
        await s.update(pod('p5'), 'changed', (p5 as KeyValue).modRevision);
        await s.delete(pod('p6'));
        const last = (kv: KeyValue[]): string => (kv[kv.length - 1] as KeyValue).key;
        const second = await s.list('/registry/core/pods/', { limit: 4, revision: first.revision, startAfter: last(first.items) });
        assert.equal(second.revision, first.revision);
        assert.deepEqual(second.items.map((kv) => kv.value), ['v4', 'v5', 'v6', 'v7']);
        assert.equal(second.more, true);
        assert.equal(second.remaining, 2);
        const third = await s.list('/registry/core/pods/', { limit: 4, revision: first.revision, startAfter: last(second.items) });
        assert.deepEqual(third.items.map((kv) => kv.value), ['v8', 'v9']);
        assert.equal(third.more, false);
        const exact = await s.list('/registry/core/pods/', { limit: 10 });
        assert.equal(exact.more, false, 'a page that ends exactly at the last key has no more');
        const now = await s.list('/registry/core/pods/', { startAfter: pod('p4') });
        assert.deepEqual(now.items.map((kv) => kv.value), ['new', 'changed', 'v7', 'v8', 'v9']);
      }));

    it('lists at an older revision', () =>
      withStore(async (s) => {
        const ra = await s.create(pod('a'), 'a1');
        const rb = await s.create(pod('b'), 'b1');
        const at = await s.currentRevision();
        await s.update(pod('a'), 'a2', ra);
        await s.delete(pod('b'), rb);
        await s.create(pod('c'), 'c1');
        const old = await s.list('/registry/core/pods/', { revision: at });
        assert.equal(old.revision, at);
        assert.deepEqual(old.items, [
          { key: pod('a'), value: 'a1', createRevision: ra, modRevision: ra },
          { key: pod('b'), value: 'b1', createRevision: rb, modRevision: rb },
        ]);
        const older = await s.list('/registry/core/pods/', { revision: ra });
        assert.deepEqual(older.items.map((kv) => kv.key), [pod('a')]);
        const now = await s.list('/registry/core/pods/');
        assert.deepEqual(now.items.map((kv) => kv.value), ['a2', 'c1']);
      }));

    it('watches from the current revision: live events in order with prev values', () =>
      withStore(async (s) => {
        await s.create('/registry/core/pods/default/before', 'x');
        const from = await s.currentRevision();
        const got = collect(s, '/registry/core/pods/', from, 3);
        const r1 = await s.create(pod('a'), '1');
        const r2 = await s.update(pod('a'), '2', r1);
        const d = await s.delete(pod('a'), r2);
        const evs = await got.events;
        assert.deepEqual(evs.map((e) => e.type), ['create', 'update', 'delete']);
        assert.deepEqual(evs[0]?.kv, { key: pod('a'), value: '1', createRevision: r1, modRevision: r1 });
        assert.equal(evs[0]?.prev, undefined);
        assert.deepEqual(evs[1]?.kv, { key: pod('a'), value: '2', createRevision: r1, modRevision: r2 });
        assert.deepEqual(evs[1]?.prev, { key: pod('a'), value: '1', createRevision: r1, modRevision: r1 });
        assert.deepEqual(evs[2]?.kv, { key: pod('a'), value: '2', createRevision: r1, modRevision: d.modRevision });
        assert.deepEqual(evs[2]?.prev, { key: pod('a'), value: '2', createRevision: r1, modRevision: r2 });
        got.watcher.stop();
      }));

    it('watches from a past revision: replays history, then goes live without gaps or duplicates', () =>
      withStore(async (s) => {
        for (let i = 0; i < 30; i++) await s.create(pod(`p${i}`), `${i}`);
        const from = await s.currentRevision();
        for (let i = 0; i < 30; i++) {
          const kv = (await s.get(pod(`p${i}`))) as KeyValue;
          await s.update(pod(`p${i}`), `${i}-b`, kv.modRevision);
        }
        await s.create('/registry/core/services/default/skip', '{}');
        // History after `from` (30 updates), then 30 live deletes written while the watch is open.
        const got = collect(s, '/registry/core/pods/', from, 60);
        const writes = (async () => {
          for (let i = 0; i < 30; i++) {
            await s.delete(pod(`p${i}`));
            if (i % 7 === 0) await new Promise((r) => setTimeout(r, 1));
          }
        })();
        const evs = await got.events;
        await writes;
        assert.equal(evs.length, 60);
        const revs = evs.map((e) => e.kv.modRevision);
        assert.deepEqual(revs, [...new Set(revs)].sort((a, b) => a - b), 'revisions strictly increase, no duplicates');
        assert.ok((revs[0] as number) > from);
        assert.deepEqual(evs.slice(0, 30).map((e) => e.type), Array(30).fill('update'));
        assert.deepEqual(evs.slice(30).map((e) => e.type), Array(30).fill('delete'));
        assert.equal(evs[0]?.prev?.value, '0');
        assert.equal(evs[30]?.kv.value, '0-b');
        // No gap: every pods revision in (from, current] is there.
        const all = (await s.list('/registry/core/', { revision: 0 })).revision;
        const expected = all - from - 1; // minus the service create
        assert.equal(evs.length, expected);
        got.watcher.stop();
      }));

    it('serves two watchers on different prefixes', () =>
      withStore(async (s) => {
        const from = await s.currentRevision();
        const pods = collect(s, '/registry/core/pods/', from, 2);
        const svcs = collect(s, '/registry/core/services/', from, 1);
        await s.create(pod('a'), '1');
        await s.create('/registry/core/services/default/web', 's');
        await s.create('/registry/core/podsx/default/a', 'not a pod');
        await s.create(pod('b'), '2');
        assert.deepEqual((await pods.events).map((e) => e.kv.key), [pod('a'), pod('b')]);
        assert.deepEqual((await svcs.events).map((e) => e.kv.key), ['/registry/core/services/default/web']);
        await tick();
        assert.equal(pods.seen.length, 2, 'no podsx event leaks into pods/');
        pods.watcher.stop();
        svcs.watcher.stop();
      }));

    it('stops delivering after stop(), which is idempotent', () =>
      withStore(async (s) => {
        const seen: WatchEvent[] = [];
        const w = s.watch('/registry/', { afterRevision: await s.currentRevision(), onEvents: (evs) => seen.push(...evs) });
        await s.create(pod('a'), '1');
        await tick();
        assert.equal(seen.length, 1);
        w.stop();
        w.stop();
        await s.create(pod('b'), '2');
        await tick();
        assert.equal(seen.length, 1);
      }));

    it('compacts: history at or above the compacted revision stays readable, older answers 410', () =>
      withStore(async (s) => {
        const ra = await s.create(pod('a'), 'a1');
        const rb = await s.create(pod('b'), 'b1');
        const early = await s.currentRevision();
        const ra2 = await s.update(pod('a'), 'a2', ra);
        await s.delete(pod('b'), rb);
        const rc = await s.create(pod('c'), 'c1');
        const mid = await s.currentRevision();
        const atMid = await s.list('/registry/core/pods/', { revision: mid });
        const ra3 = await s.update(pod('a'), 'a3', ra2);
        await s.delete(pod('c'), rc);
        await s.create(pod('b'), 'b2');
        await s.compact(mid);
        assert.equal(await s.compactedRevision(), mid);
        assert.deepEqual(await s.list('/registry/core/pods/', { revision: mid }), atMid, 'the compacted revision itself is still readable');
        await rejectsWith(s.list('/registry/core/pods/', { revision: early }), 'Expired', 410);
        await rejectsWith(s.list('/registry/core/pods/', { revision: mid - 1, limit: 1 }), 'Expired', 410);
        assert.throws(() => s.watch('/registry/', { afterRevision: early, onEvents: () => undefined }), (err: unknown) => isApiError(err, 'Expired', 410));
        assert.deepEqual((await s.list('/registry/core/pods/')).items.map((kv) => kv.value), ['a3', 'b2']);
        assert.equal((await s.get(pod('a')))?.modRevision, ra3);
        // A watch from the compacted revision replays everything after it, prev values included.
        const got = collect(s, '/registry/', mid, 3);
        const evs = await got.events;
        got.watcher.stop();
        assert.deepEqual(evs.map((e) => [e.type, e.kv.value, e.prev?.value]), [
          ['update', 'a3', 'a2'],
          ['delete', 'c1', 'c1'],
          ['create', 'b2', undefined],
        ]);
        await s.compact(mid - 1);
        assert.equal(await s.compactedRevision(), mid, 'compaction never goes backwards');
        await s.compact(await s.currentRevision());
        assert.deepEqual((await s.list('/registry/core/pods/')).items.map((kv) => kv.value), ['a3', 'b2']);
        const next = await s.update(pod('a'), 'a4', ra3);
        assert.ok(next > ra3);
      }));

    it('agrees with a model at every revision through random writes and compaction', () =>
      withStore(async (s) => {
        // A small deterministic generator so a failure can be replayed.
        let seed = 42;
        const rand = (n: number): number => {
          seed = (seed * 1103515245 + 12345) % 2147483648;
          return seed % n;
        };
        const model = new Map<string, KeyValue>();
        const snapshots = new Map<number, KeyValue[]>();
        const snap = (): KeyValue[] => [...model.values()].sort((a, b) => (a.key < b.key ? -1 : 1));
        for (let i = 0; i < 300; i++) {
          const key = `/registry/${rand(2) ? 'core/pods' : 'core/podsx'}/ns/k${rand(12)}`;
          const cur = model.get(key);
          if (!cur) {
            const rev = await s.create(key, `v${i}`);
            model.set(key, { key, value: `v${i}`, createRevision: rev, modRevision: rev });
          } else if (rand(3) === 0) {
            await s.delete(key, cur.modRevision);
            model.delete(key);
          } else {
            const rev = await s.update(key, `v${i}`, cur.modRevision);
            model.set(key, { key, value: `v${i}`, createRevision: cur.createRevision, modRevision: rev });
          }
          snapshots.set(await s.currentRevision(), snap());
        }
        const check = async (rev: number): Promise<void> => {
          const want = snapshots.get(rev) as KeyValue[];
          const got = await s.list('/registry/', { revision: rev });
          assert.deepEqual(got.items, want, `list at ${rev}`);
          const pods = want.filter((kv) => kv.key.startsWith('/registry/core/pods/'));
          const paged: KeyValue[] = [];
          let startAfter: string | undefined;
          for (;;) {
            const page = await s.list('/registry/core/pods/', { revision: rev, limit: 3, ...(startAfter ? { startAfter } : {}) });
            paged.push(...page.items);
            if (!page.more) break;
            assert.equal(page.remaining, pods.length - paged.length, `remaining at ${rev}`);
            startAfter = (page.items[page.items.length - 1] as KeyValue).key;
          }
          assert.deepEqual(paged, pods, `paged pods at ${rev}`);
        };
        const revs = [...snapshots.keys()];
        for (const rev of revs.filter((_, i) => i % 15 === 0)) await check(rev);
        const mid = revs[Math.floor(revs.length / 2)] as number;
        await s.compact(mid);
        for (const rev of revs.filter((r, i) => r >= mid && i % 10 === 0)) await check(rev);
        await check(mid);
        // Replaying the watch from `mid` onto the snapshot at `mid` gives the current state.
        const after = revs[revs.length - 1] as number;
        const got = collect(s, '/registry/', mid, after - mid);
        const replay = new Map((snapshots.get(mid) as KeyValue[]).map((kv) => [kv.key, kv]));
        for (const ev of await got.events) {
          if (ev.type === 'delete') replay.delete(ev.kv.key);
          else replay.set(ev.kv.key, ev.kv);
          if (ev.type !== 'create') assert.ok(ev.prev, `${ev.type} at ${ev.kv.modRevision} has prev`);
        }
        got.watcher.stop();
        assert.deepEqual([...replay.values()].sort((a, b) => (a.key < b.key ? -1 : 1)), snap());
      }));

    it('waits for a future revision: succeeds if it arrives, times out with Timeout if not', () =>
      withStore(async (s) => {
        await s.create(pod('a'), '1');
        const cur = await s.currentRevision();
        const pending = s.list('/registry/core/pods/', { revision: cur + 1 });
        setTimeout(() => void s.create(pod('b'), '2'), 20);
        const res = await pending;
        assert.equal(res.revision, cur + 1);
        assert.equal(res.items.length, 2);
        const started = Date.now();
        await rejectsWith(s.list('/registry/core/pods/', { revision: cur + 10 }), 'Timeout', 504, `Too large resource version: ${cur + 10}, current: ${cur + 1}`);
        assert.ok(Date.now() - started >= futureRevisionTimeoutMs - 20, 'it waited first');
      }));
  });
}

function pod(name: string): string {
  return `/registry/core/pods/default/${name}`;
}

function tick(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 10));
}

function isApiError(err: unknown, reason: StatusReason, code: number, message?: string): boolean {
  assert.ok(err instanceof ApiError, `expected an ApiError, got ${String(err)}`);
  assert.equal(err.reason, reason);
  assert.equal(err.code, code);
  if (message !== undefined) assert.ok(err.message.includes(message), `message ${JSON.stringify(err.message)} includes ${JSON.stringify(message)}`);
  return true;
}

async function rejectsWith(p: Promise<unknown>, reason: StatusReason, code: number, message?: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => isApiError(err, reason, code, message));
}

/** Watches `prefix` after `from`; `events` resolves with the first `n` events (or rejects after 5 s). */
function collect(s: Store, prefix: string, from: number, n: number): { events: Promise<WatchEvent[]>; seen: WatchEvent[]; watcher: { stop(): void } } {
  const seen: WatchEvent[] = [];
  let done: (evs: WatchEvent[]) => void = () => undefined;
  let fail: (err: Error) => void = () => undefined;
  const events = new Promise<WatchEvent[]>((resolve, reject) => {
    done = resolve;
    fail = reject;
  });
  const timer = setTimeout(() => fail(new Error(`watch on ${prefix} saw ${seen.length} of ${n} events in 5 s`)), 5_000);
  const watcher = s.watch(prefix, {
    afterRevision: from,
    onEvents: (evs) => {
      seen.push(...evs);
      if (seen.length >= n) {
        clearTimeout(timer);
        done(seen.slice(0, n));
      }
    },
    onError: (err) => {
      clearTimeout(timer);
      fail(err);
    },
  });
  return { events, seen, watcher };
}
