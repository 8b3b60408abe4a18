import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { after, before, describe, it, test } from 'node:test';
import { etcdUnavailable, startEtcd, type TestEtcd } from '../../test/helpers/etcd.js';
import { eventually } from '../../test/helpers/eventually.js';
import { ApiError } from '../api/errors.js';
import { runStoreContract } from './contract.js';
import { EtcdStore, parseEtcdUrl, prefixEnd, toWatchEvent } from './etcd.js';
import { openStore } from './open-store.js';
import type { WatchEvent } from './types.js';

describe('parseEtcdUrl', () => {
  const cases: Array<[string, string[] | RegExp]> = [
    ['etcd://127.0.0.1:2379', ['http://127.0.0.1:2379']],
    ['etcd://h1:1,h2:2,h3:3', ['http://h1:1', 'http://h2:2', 'http://h3:3']],
    ['etcd://[::1]:2379/', ['http://[::1]:2379']],
    ['etcd://', /names no endpoint/],
    ['etcd://h1:2379/skiff', /path or key prefix is not supported/],
    ['etcd://h1', /"h1" is not host:port/],
    ['etcd://h1:0', /"h1:0" is not host:port/],
    ['etcd://h1:2379,', /"" is not host:port/],
    ['http://h1:2379', /does not start with etcd:\/\//],
  ];
  for (const [url, want] of cases) {
    it(`${url} → ${want instanceof RegExp ? `error ${want.source}` : want.join(' ')}`, () => {
      if (want instanceof RegExp) assert.throws(() => parseEtcdUrl(url), want);
      else assert.deepEqual(parseEtcdUrl(url), want);
    });
  }
});

describe('prefixEnd', () => {
  const cases: Array<[number[], number[]]> = [
    [[0x2f, 0x61, 0x2f], [0x2f, 0x61, 0x30]],
    [[0x61, 0xff], [0x62]],
    [[0xff, 0xff], [0]],
    [[], [0]],
  ];
  for (const [prefix, end] of cases) {
    it(`[${prefix.join(',')}] → [${end.join(',')}]`, () => assert.deepEqual([...prefixEnd(Buffer.from(prefix))], end));
  }
});

describe('toWatchEvent', () => {
  const kv = (value: string, create: number, mod: number) => ({ key: Buffer.from('/k'), value: Buffer.from(value), create_revision: String(create), mod_revision: String(mod), version: '1', lease: '0' });
  const cases: Array<[string, Parameters<typeof toWatchEvent>[0], WatchEvent]> = [
    ['a put at its create revision is a create', { type: 'Put', kv: kv('a', 5, 5), prev_kv: undefined as never }, { type: 'create', kv: { key: '/k', value: 'a', createRevision: 5, modRevision: 5 } }],
    [
      'a later put is an update with prev',
      { type: 'Put', kv: kv('b', 5, 7), prev_kv: kv('a', 5, 5) },
      { type: 'update', kv: { key: '/k', value: 'b', createRevision: 5, modRevision: 7 }, prev: { key: '/k', value: 'a', createRevision: 5, modRevision: 5 } },
    ],
    [
      'a delete carries the last value at the delete revision',
      { type: 'Delete', kv: kv('', 0, 9), prev_kv: kv('b', 5, 7) },
      { type: 'delete', kv: { key: '/k', value: 'b', createRevision: 5, modRevision: 9 }, prev: { key: '/k', value: 'b', createRevision: 5, modRevision: 7 } },
    ],
  ];
  for (const [name, input, want] of cases) it(name, () => assert.deepEqual(toWatchEvent(input), want));
});

const skip = etcdUnavailable();

if (skip) {
  test('etcd store contract', { skip }, () => undefined);
} else {
  // Every store gets its own etcd: the contract starts each test from an empty store at revision 0.
  runStoreContract('etcd', async (opts) => {
    const etcd = await startEtcd();
    try {
      const store = await EtcdStore.open([etcd.endpoint], opts);
      const close = store.close.bind(store);
      store.close = async () => {
        await close();
        await etcd.stop();
      };
      return store;
    } catch (err) {
      await etcd.stop();
      throw err;
    }
  });

  describe('EtcdStore against a real etcd', () => {
    let etcd: TestEtcd;
    before(async () => {
      etcd = await startEtcd();
    });
    after(async () => {
      await etcd?.stop();
    });

    it('opens through openStore with several endpoints and talks to that etcd', async () => {
      const store = await openStore(`etcd://127.0.0.1:${etcd.clientPort},localhost:${etcd.clientPort}`, '/nonexistent');
      try {
        assert.equal(store.kind, 'etcd');
        assert.deepEqual((store as EtcdStore).endpoints, [`http://127.0.0.1:${etcd.clientPort}`, `http://localhost:${etcd.clientPort}`]);
        const rev = await store.create('/registry/core/namespaces/open-store', '{}');
        assert.equal((await store.get('/registry/core/namespaces/open-store'))?.modRevision, rev);
      } finally {
        await store.close();
      }
    });

    it("lists more than gRPC's default 4 MiB answer in one range", async () => {
      const store = await EtcdStore.open([etcd.endpoint]);
      try {
        const prefix = '/registry/core/configmaps/big/';
        const value = 'x'.repeat(500_000);
        for (let i = 0; i < 10; i++) await store.create(`${prefix}cm-${i}`, value);
        const all = await store.list(prefix);
        assert.equal(all.items.length, 10);
        assert.equal(all.items.reduce((n, kv) => n + kv.value.length, 0), 5_000_000);
      } finally {
        await store.close();
      }
    });

    it('keeps a watch through an etcd restart: every event exactly once, in order', async () => {
      const store = await EtcdStore.open([etcd.endpoint]);
      const prefix = '/registry/core/configmaps/restart/';
      const key = (i: number): string => `${prefix}cm-${String(i).padStart(3, '0')}`;
      const seen: WatchEvent[] = [];
      let failure: Error | undefined;
      try {
        for (let i = 0; i < 10; i++) await store.create(key(i), `v${i}`);
        const from = await store.currentRevision();
        // History the watch must replay: 10 updates written before it opens.
        const revs: number[] = [];
        for (let i = 0; i < 10; i++) revs.push(await store.update(key(i), `v${i}-b`, (await store.get(key(i)))?.modRevision ?? 0));
        const watcher = store.watch(prefix, { afterRevision: from, onEvents: (evs) => seen.push(...evs), onError: (err) => (failure = err) });
        await eventually('the watch to replay 10 updates', () => seen.length >= 10);

        await etcd.kill();
        await assert.rejects(store.get(key(0)), (err: unknown) => err instanceof ApiError && err.reason === 'ServiceUnavailable' && err.message.includes(`etcd at ${etcd.endpoint} did not answer`));
        await etcd.restart();
        // Writes right after the restart, while the watch stream is still reconnecting; the
        // client may refuse calls for a moment after the outage, so each write is retried.
        for (let i = 0; i < 10; i++) {
          const cur = await eventually(`etcd to answer after its restart (get ${key(i)})`, () => store.get(key(i)));
          revs.push(await eventually(`delete ${key(i)} after the restart`, () => store.delete(key(i), cur.modRevision).then((kv) => kv.modRevision)));
        }
        // And a second outage with no writes in between, then writes once it is back.
        await etcd.restart();
        for (let i = 0; i < 5; i++) revs.push(await eventually(`create ${key(100 + i)} after the second restart`, () => store.create(key(100 + i), 'again')));

        await eventually(`the watch to deliver all ${revs.length} events (has ${seen.length})`, () => seen.length >= revs.length, 20_000);
        await new Promise((r) => setTimeout(r, 200));
        watcher.stop();
        assert.equal(failure, undefined, 'the watch never failed');
        assert.deepEqual(
          seen.map((e) => e.kv.modRevision),
          revs,
          'exactly the written revisions, once each, in order',
        );
        assert.deepEqual(seen.map((e) => e.type), [...Array(10).fill('update'), ...Array(10).fill('delete'), ...Array(5).fill('create')]);
        assert.equal(seen[10]?.kv.value, 'v0-b', 'a delete carries the last value');
      } finally {
        await store.close();
      }
    });

    it('reports compaction done by another client: 410 on lists, onError(410) on a watch, the compacted revision found', async () => {
      const a = await EtcdStore.open([etcd.endpoint], { futureRevisionTimeoutMs: 200 });
      const b = await EtcdStore.open([etcd.endpoint]);
      try {
        const prefix = '/registry/core/secrets/compact/';
        const r1 = await a.create(`${prefix}s1`, '1');
        let rev = r1;
        for (let i = 0; i < 5; i++) rev = await a.update(`${prefix}s1`, String(i), rev);
        const mid = rev;
        for (let i = 0; i < 5; i++) rev = await a.update(`${prefix}s1`, `late-${i}`, rev);
        await b.compact(mid);

        // `a` did not compact, so it only learns of it from etcd.
        await assert.rejects(a.list(prefix, { revision: r1 }), (err: unknown) => err instanceof ApiError && err.reason === 'Expired' && err.code === 410 && err.message.includes(`too old resource version: ${r1} (${mid})`));
        assert.equal(await a.compactedRevision(), mid);
        assert.deepEqual((await a.list(prefix, { revision: mid })).items.map((kv) => kv.value), ['4']);

        const c = await EtcdStore.open([etcd.endpoint]);
        let error: Error | undefined;
        const seen: WatchEvent[] = [];
        try {
          assert.equal(await c.compactedRevision(), mid, 'a fresh client finds the compacted revision');
          // Compact again behind c's back, then watch from below it: etcd cancels the watch.
          await b.compact(rev - 1);
          c.watch(prefix, { afterRevision: mid, onEvents: (evs) => seen.push(...evs), onError: (err) => (error = err) });
          const err = await eventually('the watch to fail with 410', () => error);
          assert.ok(err instanceof ApiError && err.reason === 'Expired' && err.code === 410, `got ${String(err)}`);
          assert.equal(seen.length, 0);
        } finally {
          await c.close();
        }
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('treats the empty prefix as every key (etcd itself refuses an empty key)', async () => {
      const s = await EtcdStore.open([etcd.endpoint]);
      try {
        const seen: WatchEvent[] = [];
        s.watch('', { afterRevision: await s.currentRevision(), onEvents: (evs) => seen.push(...evs) });
        const rev = await s.create('/registry/core/namespaces/empty-prefix', '{}');
        assert.deepEqual(seen.map((e) => e.kv.modRevision), [rev], 'the write waits until its own watchers have it');
        const all = await s.list('');
        assert.ok(all.items.some((kv) => kv.key === '/registry/core/namespaces/empty-prefix'));
        assert.equal(await s.count(''), all.items.length);
      } finally {
        await s.close();
      }
    });

    it('auto-compacts to the last retainRevisions', async () => {
      const s = await EtcdStore.open([etcd.endpoint], { retainRevisions: 5, compactIntervalMs: 50 });
      try {
        let rev = await s.create('/registry/core/configmaps/auto/c', '0');
        for (let i = 1; i < 30; i++) rev = await s.update('/registry/core/configmaps/auto/c', String(i), rev);
        const last = rev;
        const compacted = await eventually('auto-compaction to reach current - 5', async () => ((await s.compactedRevision()) === last - 5 ? last - 5 : undefined), 5_000);
        assert.equal((await s.list('/registry/core/configmaps/auto/', { revision: compacted })).items[0]?.value, '24');
        await assert.rejects(s.list('/registry/core/configmaps/auto/', { revision: compacted - 1 }), { reason: 'Expired', code: 410 });
      } finally {
        await s.close();
      }
    });

    it('ends open watches with onError on close, and refuses calls afterwards', async () => {
      const s = await EtcdStore.open([etcd.endpoint]);
      let error: Error | undefined;
      s.watch('/registry/', { afterRevision: await s.currentRevision(), onEvents: () => undefined, onError: (err) => (error = err) });
      await s.close();
      assert.match(String(error?.message), /closed/);
      await assert.rejects(s.get('/registry/x'), { reason: 'ServiceUnavailable' });
    });
  });
}
