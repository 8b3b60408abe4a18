import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FakeClock } from './clock.js';
import { Client, type KubeObject } from './client.js';
import { Indexer, keyOf } from './indexer.js';
import { DeletedFinalStateUnknown, SharedInformer, SharedInformerFactory, type EventHandler } from './informer.js';
import { FakeTransport, jsonResponse, untilAborted, waitFor } from './testing.js';
import type { TransportRequest } from './transport.js';

const T = { timeout: 5000 };

interface Pod extends KubeObject {
  spec?: { nodeName?: string };
}

function pod(name: string, rv: string, extra: { uid?: string; node?: string; ns?: string } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: extra.ns ?? 'default', resourceVersion: rv, uid: extra.uid ?? `uid-${name}` },
    spec: extra.node ? { nodeName: extra.node } : {},
  };
}

function podList(rv: string, items: Pod[], cont?: string): unknown {
  return { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: rv, ...(cont ? { continue: cont } : {}) }, items };
}

const expired = {
  type: 'ERROR',
  object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'too old resource version: 10 (15)', reason: 'Expired', code: 410 },
};

/** Records handler calls as short strings: `add a`, `update a 1->2`, `delete b (unknown)`. */
function recorder(): { log: string[]; handler: EventHandler<Pod> } {
  const log: string[] = [];
  return {
    log,
    handler: {
      onAdd: (o) => log.push(`add ${o.metadata?.name}`),
      onUpdate: (a, b) => log.push(`update ${b.metadata?.name} ${a.metadata?.resourceVersion}->${b.metadata?.resourceVersion}`),
      onDelete: (o) =>
        log.push(o instanceof DeletedFinalStateUnknown ? `delete ${o.obj.metadata?.name} (unknown)` : `delete ${o.metadata?.name}`),
    },
  };
}

function informerOn(t: FakeTransport, clock = new FakeClock(), pageSize?: number): SharedInformer<Pod> {
  return new SharedInformer<Pod>(new Client(t).resource<Pod>('', 'v1', 'pods'), { clock, pageSize, random: () => 0.5 });
}

describe('SharedInformer', () => {
  test('a 410 mid-watch relists and reports the deletion that happened in the gap', T, async () => {
    const t = new FakeTransport();
    let lists = 0;
    t.onRequest = (req: TransportRequest) => {
      lists++;
      if (lists === 1) return jsonResponse(200, podList('10', [pod('a', '1')], 'page2'));
      if (lists === 2) {
        assert.equal(req.query?.['continue'], 'page2');
        return jsonResponse(200, podList('10', [pod('b', '2')]));
      }
      // After the gap: b is gone, c appeared, a changed once more.
      return jsonResponse(200, podList('20', [pod('a', '12'), pod('c', '15')]));
    };
    t.streamScripts.push(async (_req, emit) => {
      emit({ type: 'MODIFIED', object: pod('a', '11') });
      emit(expired);
    });
    const inf = informerOn(t, new FakeClock(), 1);
    const { log, handler } = recorder();
    inf.addEventHandler(handler);
    const ac = new AbortController();
    const running = inf.start(ac.signal);
    await inf.synced;
    await waitFor(() => t.streams.length === 2, 2000, 'second watch');
    ac.abort();
    await running;

    assert.deepEqual(log, ['add a', 'add b', 'update a 1->11', 'update a 11->12', 'add c', 'delete b (unknown)']);
    assert.deepEqual(inf.indexer.keys().sort(), ['default/a', 'default/c']);
    assert.equal(t.requests[0]?.query?.['limit'], 1);
    const [w1, w2] = t.streams;
    assert.equal(w1?.query?.['resourceVersion'], '10');
    assert.equal(w2?.query?.['resourceVersion'], '20', 'rewatch from the relist RV');
    assert.equal(w1?.query?.['allowWatchBookmarks'], true);
    assert.equal(w1?.query?.['timeoutSeconds'], 450, 'randomized in [300, 600)');
  });

  test('bookmarks move the RV silently; a normal watch end re-watches from the last RV', T, async () => {
    const t = new FakeTransport();
    t.onRequest = () => jsonResponse(200, podList('5', []));
    t.streamScripts.push(async (_req, emit) => {
      emit({ type: 'ADDED', object: pod('x', '6') });
      emit({ type: 'BOOKMARK', object: { kind: 'Pod', apiVersion: 'v1', metadata: { resourceVersion: '9' } } });
    });
    t.streamScripts.push(async (_req, emit, signal) => {
      emit({ type: 'DELETED', object: pod('x', '10') });
      await untilAborted(signal);
    });
    const inf = informerOn(t);
    const { log, handler } = recorder();
    inf.addEventHandler(handler);
    const ac = new AbortController();
    const running = inf.start(ac.signal);
    await waitFor(() => log.length === 2, 2000, 'delete of x');
    ac.abort();
    await running;
    assert.deepEqual(log, ['add x', 'delete x']);
    assert.equal(t.requests.length, 1, 'no relist');
    assert.equal(t.streams[1]?.query?.['resourceVersion'], '9');
    assert.equal(inf.lastSyncResourceVersion(), '10');
  });

  test('errors back off on the injected clock before retrying', T, async () => {
    const t = new FakeTransport();
    const clock = new FakeClock();
    let calls = 0;
    t.onRequest = () =>
      ++calls === 1
        ? jsonResponse(500, { kind: 'Status', status: 'Failure', reason: 'InternalError', message: 'boom', code: 500 })
        : jsonResponse(200, podList('3', [pod('a', '3')]));
    const inf = informerOn(t, clock);
    const ac = new AbortController();
    const running = inf.start(ac.signal);
    await waitFor(() => clock.pending() === 1, 2000, 'back-off timer');
    assert.equal(clock.nextAt(), 800);
    assert.equal(inf.hasSynced(), false);
    clock.advance(799);
    await new Promise((r) => setImmediate(r));
    assert.equal(calls, 1);
    clock.advance(1);
    await inf.synced;
    assert.equal(calls, 2);
    ac.abort();
    await running;
  });

  test('a broken watch connection backs off and re-watches from the last RV without relisting', T, async () => {
    const t = new FakeTransport();
    const clock = new FakeClock();
    t.onRequest = () => jsonResponse(200, podList('4', []));
    t.streamScripts.push(async (_req, emit) => {
      emit({ type: 'ADDED', object: pod('a', '7') });
      throw new Error('socket hang up');
    });
    const inf = informerOn(t, clock);
    const ac = new AbortController();
    const running = inf.start(ac.signal);
    await waitFor(() => clock.pending() === 1, 2000, 'back-off timer');
    assert.equal(t.streams.length, 1);
    clock.advance(800);
    await waitFor(() => t.streams.length === 2, 2000, 'second watch');
    assert.equal(t.streams[1]?.query?.['resourceVersion'], '7');
    assert.equal(t.requests.length, 1, 'no relist');
    ac.abort();
    await running;
  });

  test('a relist reports a recreated object (new UID) as delete then add', T, async () => {
    const t = new FakeTransport();
    let lists = 0;
    t.onRequest = () => jsonResponse(200, ++lists === 1 ? podList('1', [pod('a', '1', { uid: 'u1' })]) : podList('9', [pod('a', '8', { uid: 'u2' })]));
    t.streamScripts.push(async (_req, emit) => emit(expired));
    const inf = informerOn(t);
    const { log, handler } = recorder();
    inf.addEventHandler(handler);
    const ac = new AbortController();
    const running = inf.start(ac.signal);
    await waitFor(() => t.streams.length === 2, 2000, 'second watch');
    ac.abort();
    await running;
    assert.deepEqual(log, ['add a', 'delete a (unknown)', 'add a']);
  });

  test('late handlers get synthetic adds; indexes answer byNamespace, byNodeName and byOwnerUID', T, async () => {
    const t = new FakeTransport();
    const owned = pod('c', '3', { node: 'n2', ns: 'kube-system' });
    owned.metadata!.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'ds', uid: 'ds-uid' }];
    t.onRequest = () => jsonResponse(200, podList('3', [pod('a', '1', { node: 'n1' }), pod('b', '2', { node: 'n1' }), owned]));
    const inf = informerOn(t);
    const ac = new AbortController();
    const running = inf.start(ac.signal);
    await inf.synced;
    assert.equal(inf.hasSynced(), true);
    const { log, handler } = recorder();
    const remove = inf.addEventHandler(handler);
    assert.deepEqual(log.sort(), ['add a', 'add b', 'add c']);
    assert.deepEqual(inf.indexer.byIndex('byNodeName', 'n1').map(keyOf).sort(), ['default/a', 'default/b']);
    assert.deepEqual(inf.indexer.byIndex('byNamespace', 'kube-system').map(keyOf), ['kube-system/c']);
    assert.deepEqual(inf.indexer.byIndex('byOwnerUID', 'ds-uid').map(keyOf), ['kube-system/c']);
    assert.equal(inf.indexer.get('default/a')?.metadata?.resourceVersion, '1');
    remove();
    ac.abort();
    await running;
  });

  test('synced rejects when the informer stops before its first list', T, async () => {
    const t = new FakeTransport();
    t.onRequest = () => new Promise(() => {}); // never answers
    const inf = informerOn(t);
    const ac = new AbortController();
    const running = inf.start(ac.signal);
    await waitFor(() => t.requests.length === 1, 2000, 'list sent');
    ac.abort();
    await running;
    assert.equal(inf.hasSynced(), false);
    await assert.rejects(inf.synced, /stopped before it synced/);
  });

  test('the factory shares one informer per resource', T, async () => {
    const t = new FakeTransport();
    t.onRequest = () => jsonResponse(200, podList('1', []));
    const factory = new SharedInformerFactory(new Client(t), { clock: new FakeClock() });
    const a = factory.forResource('', 'v1', 'pods');
    const b = factory.forResource('', 'v1', 'pods');
    assert.equal(a, b);
    const ac = new AbortController();
    const running = factory.start(ac.signal);
    const late = factory.forResource('', 'v1', 'services');
    await factory.synced();
    assert.equal(factory.hasSynced(), true);
    assert.equal(late.hasSynced(), true, 'informers created after start are started too');
    ac.abort();
    await running;
  });

  test('a factory trimming managedFields caches listed and watched objects without them, per resource', T, async () => {
    const t = new FakeTransport();
    const withFields = (o: Pod): Pod => ({ ...o, metadata: { ...o.metadata, managedFields: [{ manager: 'kubelet', operation: 'Update' }] } });
    t.onRequest = () => jsonResponse(200, podList('1', [withFields(pod('a', '1'))]));
    t.onStream = async (req, emit, signal) => {
      if (req.path.endsWith('/pods')) emit({ type: 'ADDED', object: withFields(pod('b', '2')) });
      await untilAborted(signal);
    };
    const factory = new SharedInformerFactory(new Client(t), { clock: new FakeClock(), trimManagedFields: (info) => info.resource === 'pods' });
    const pods = factory.forResource<Pod>('', 'v1', 'pods');
    const services = factory.forResource<Pod>('', 'v1', 'services');
    const ac = new AbortController();
    const running = factory.start(ac.signal);
    await factory.synced();
    await waitFor(() => pods.indexer.get('default/b') !== undefined, 2000, 'watched pod');
    assert.equal(pods.indexer.get('default/a')?.metadata?.managedFields, undefined, 'a listed pod has none');
    assert.equal(pods.indexer.get('default/b')?.metadata?.managedFields, undefined, 'a watched pod has none');
    assert.equal(services.indexer.get('default/a')?.metadata?.managedFields?.length, 1, 'an informer the rule leaves out keeps them');
    const podWatch = t.streams.find((r) => r.path.endsWith('/pods'));
    assert.equal(podWatch?.trimManagedFields, true, 'the watch asks the transport to leave them out');
    assert.equal(podWatch?.query?.['trimManagedFields'], undefined, 'the option is not sent to the server');
    ac.abort();
    await running;
  });
});

describe('Indexer', () => {
  test('updates move an object between index values and deletes unfile it', () => {
    const idx = new Indexer<Pod>({ node: (p) => (p.spec?.nodeName ? [p.spec.nodeName] : []) });
    idx.upsert(pod('a', '1', { node: 'n1' }));
    idx.upsert(pod('a', '2', { node: 'n2' }));
    assert.deepEqual(idx.indexKeys('node', 'n1'), []);
    assert.deepEqual(idx.indexKeys('node', 'n2'), ['default/a']);
    idx.addIndexers({ rv: (p) => [p.metadata?.resourceVersion ?? ''] });
    assert.deepEqual(idx.indexKeys('rv', '2'), ['default/a'], 'new indexes cover existing objects');
    idx.delete('default/a');
    assert.deepEqual(idx.indexKeys('node', 'n2'), []);
    assert.throws(() => idx.byIndex('nope', 'x'), /index "nope" does not exist/);
  });
});

test('Indexer.version grows with every upsert and delete, and only then', () => {
  const idx = new Indexer<KubeObject>();
  const v0 = idx.version;
  idx.upsert({ metadata: { namespace: 'default', name: 'a' } });
  const v1 = idx.version;
  assert.ok(v1 > v0);
  idx.get('default/a');
  idx.list();
  assert.equal(idx.version, v1, 'reads change nothing');
  idx.upsert({ metadata: { namespace: 'default', name: 'a', labels: { x: 'y' } } });
  const v2 = idx.version;
  assert.ok(v2 > v1);
  idx.delete('default/missing');
  assert.equal(idx.version, v2, 'deleting what is not there changes nothing');
  idx.delete('default/a');
  assert.ok(idx.version > v2);
});
