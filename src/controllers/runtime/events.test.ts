import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventRecorder } from './events.js';
import { newControllerContext } from './context.js';
import type { Client } from '../../client/client.js';

function fakeClient(): { client: Client; created: unknown[]; patched: unknown[] } {
  const created: unknown[] = [];
  const patched: unknown[] = [];
  const rc = {
    create: async (_ns: string, obj: unknown) => {
      created.push(obj);
      return obj;
    },
    patch: async (_ns: string, _name: string, _t: string, body: unknown) => {
      patched.push(body);
      return body;
    },
  };
  return { client: { resource: () => rc } as unknown as Client, created, patched };
}

/** A client whose creates wait until `release()`: the first event stays in flight, the rest queue. */
function gatedClient(): { client: Client; created: unknown[]; release: () => void } {
  const created: unknown[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const rc = {
    create: async (_ns: string, obj: unknown) => {
      await gate;
      created.push(obj);
    },
  };
  return { client: { resource: () => rc } as unknown as Client, created, release };
}

const ds = { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'fluentd', namespace: 'kube-system', uid: 'u1' } };

test('an event becomes a core/v1 Event naming its object and source', async () => {
  const f = fakeClient();
  const r = new EventRecorder(f.client, 'daemonset-controller', undefined, '', () => new Date('2026-01-01T00:00:00Z'));
  r.event(ds, 'Normal', 'SuccessfulCreate', 'Created pod: fluentd-abcde');
  await r.flush();
  const ev = f.created[0] as Record<string, any>;
  assert.equal(ev.involvedObject.kind, 'DaemonSet');
  assert.equal(ev.involvedObject.uid, 'u1');
  assert.equal(ev.metadata.namespace, 'kube-system');
  assert.match(ev.metadata.name, /^fluentd\.[0-9a-f]+$/);
  assert.equal(ev.source.component, 'daemonset-controller');
  assert.equal(ev.count, 1);
  assert.equal(ev.lastTimestamp, '2026-01-01T00:00:00Z');
});

test('a repeated identical event increments the count instead of writing a new Event', async () => {
  const f = fakeClient();
  const r = new EventRecorder(f.client, 'c', undefined, '', () => new Date('2026-01-01T00:00:00Z'));
  r.event(ds, 'Warning', 'FailedCreate', 'boom');
  r.event(ds, 'Warning', 'FailedCreate', 'boom');
  await r.flush();
  assert.equal(f.created.length, 1);
  assert.deepEqual(f.patched, [{ count: 2, lastTimestamp: '2026-01-01T00:00:00Z' }]);
});

test('the spam filter lets 25 events about one object through, then one per five minutes', async () => {
  const f = fakeClient();
  let now = Date.parse('2026-01-01T00:00:00Z');
  const r = new EventRecorder(f.client, 'c', undefined, '', () => new Date(now));
  for (let i = 0; i < 100; i++) r.event(ds, 'Normal', 'SuccessfulCreate', `Created pod: p-${i}`);
  await r.flush();
  assert.equal(f.created.length, 25);
  now += 300_000;
  r.event(ds, 'Normal', 'SuccessfulCreate', 'Created pod: late');
  await r.flush();
  assert.equal(f.created.length, 26);
});

test('with 1,000 events waiting, further events are dropped (upstream maxQueuedEvents) without using their object tokens', async () => {
  const { client, created, release } = gatedClient();
  const warnings: unknown[] = [];
  const log = { debug() {}, info() {}, warn: (o: unknown) => warnings.push(o), error() {} };
  const r = new EventRecorder(client, 'default-scheduler', log as never, '', () => new Date('2026-01-01T00:00:00Z'));
  const pod = (i: number) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `p${i}`, namespace: 'default', uid: `u${i}` } });
  // One event is being written (held at the gate) and 1,000 wait behind it.
  for (let i = 0; i < 1001 + 500; i++) r.event(pod(i), 'Normal', 'Scheduled', `Successfully assigned default/p${i} to node-1`);
  // 30 more about one object, all dropped: had they reached the spam filter, its 25 tokens would be gone.
  for (let i = 0; i < 30; i++) r.event(pod(9999), 'Warning', 'FailedScheduling', `attempt ${i}`);
  assert.equal(warnings.length, 1, 'the drops are logged once, not 530 times');
  release();
  await r.flush();
  assert.equal(created.length, 1001);
  // A dropped event took no token: its object still has its whole burst.
  r.event(pod(9999), 'Warning', 'FailedScheduling', 'after the burst');
  await r.flush();
  assert.equal(created.length, 1002);
});

test('a recorder standing for several kubelets queues for each of them', async () => {
  const { client, created, release } = gatedClient();
  const ctx = newControllerContext(client);
  const kubelet = ctx.recorder('kubelet', 3);
  const pod = (i: number) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `p${i}`, namespace: 'default', uid: `u${i}` } });
  for (let i = 0; i < 4000; i++) kubelet.event(pod(i), 'Normal', 'Started', 'Started container c');
  release();
  await kubelet.flush();
  assert.equal(created.length, 1 + 3 * 1000, 'one being written, and 1,000 waiting for each of the three kubelets');
});
