import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { test } from 'node:test';
import { MessageChannel } from 'node:worker_threads';
import { ApiError } from '../api/errors.js';
import { findResource } from '../api/resources.js';
import { Client } from '../client/client.js';
import { PortTransport, type Batch, type ToClient, type ToServer } from '../client/port-transport.js';
import { REQUESTS_PER_TURN, servePort } from './port-server.js';

test('servePort starts a burst of requests in slices and sends each slice its answers before starting the next', async () => {
  const started: string[] = [];
  // Answers at once, as the memory store does: no I/O between start and answer.
  const handler = {
    async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
      started.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    },
  };
  const { port1, port2 } = new MessageChannel();
  const stop = servePort(handler, port1);
  const total = 3 * REQUESTS_PER_TURN;
  const batches: Array<{ answers: number[]; startedBefore: number }> = [];
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out: ${batches.flatMap((b) => b.answers).length} of ${total} answers`)), 5000);
    port2.on('message', (batch: Batch<ToClient>) => {
      batches.push({ answers: batch.filter((m) => m.t === 'res').map((m) => m.id), startedBefore: started.length });
      if (batches.flatMap((b) => b.answers).length === total) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const burst: Batch<ToServer> = Array.from({ length: total }, (_, i) => ({ t: 'req', id: i + 1, req: { method: 'GET', path: `/api/v1/namespaces/default/pods/p${i}` } }));
  port2.postMessage(burst);
  try {
    await done;
  } finally {
    stop();
    port2.close();
  }
  assert.deepEqual(batches.flatMap((b) => b.answers), burst.map((m) => m.id), 'every request answered once, in arrival order');
  assert.equal(batches[0]!.answers.length, REQUESTS_PER_TURN, 'the first answers leave after one slice');
  assert.ok(batches[0]!.startedBefore < total, `the first answers left before every request had started (${batches[0]!.startedBefore} of ${total} had)`);
});

test('a patch that discards its result crosses the port without the body, and its errors still carry their Status', async () => {
  const handler = {
    async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
      if (req.url?.includes('/missing')) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'pods "missing" not found' }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Pod', apiVersion: 'v1', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'x'.repeat(4096) }] } }));
    },
  };
  const { port1, port2 } = new MessageChannel();
  const stop = servePort(handler, port1);
  const bodies: number[] = [];
  port2.on('message', (batch: Batch<ToClient>) => {
    for (const m of batch) if (m.t === 'res') bodies.push(m.body.byteLength);
  });
  const transport = new PortTransport(port2);
  const pods = new Client(transport).resource(findResource('', 'v1', 'pods')!);
  try {
    const full = await pods.patch('default', 'p', 'merge', { metadata: { labels: { a: 'b' } } });
    assert.equal(full.metadata?.name, 'p');
    const none = await pods.patch('default', 'p', 'merge', { metadata: { labels: { a: 'c' } } }, { discardResult: true });
    assert.equal(none, undefined);
    await assert.rejects(pods.patch('default', 'missing', 'merge', {}, { discardResult: true }), (err: unknown) => err instanceof ApiError && err.code === 404 && /pods "missing" not found/.test(err.message));
  } finally {
    transport.close();
    stop();
    port2.close();
  }
  assert.ok(bodies[0]! > 4096, `the full answer carries the object (${bodies[0]} bytes)`);
  assert.equal(bodies[1], 0, 'the discarded answer carries no body');
  assert.ok(bodies[2]! > 0, 'the error answer carries its Status');
});

test('a watch whose client trims managedFields receives its lines without them; other watches keep them', async () => {
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', resourceVersion: '5', managedFields: [{ manager: 'kubelet', operation: 'Update', fieldsV1: { 'f:status': {} } }] }, status: { phase: 'Running' } };
  const handler = {
    async handle(_req: IncomingMessage, res: ServerResponse): Promise<void> {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`${JSON.stringify({ type: 'ADDED', object: pod })}\n`);
    },
  };
  const { port1, port2 } = new MessageChannel();
  const stop = servePort(handler, port1);
  const lines: string[] = [];
  port2.on('message', (batch: Batch<ToClient>) => {
    for (const m of batch) if (m.t === 'lines') lines.push(...m.lines);
  });
  const transport = new PortTransport(port2);
  const pods = new Client(transport).resource(findResource('', 'v1', 'pods')!);
  const seen: unknown[] = [];
  try {
    for (const trimManagedFields of [true, false]) {
      await pods.watch('default', { trimManagedFields }, (ev) => seen.push(ev.object.metadata?.managedFields), new AbortController().signal);
    }
  } finally {
    transport.close();
    stop();
    port2.close();
  }
  assert.equal(lines.length, 2);
  assert.ok(!lines[0]!.includes('managedFields'), `the trimmed line crossed without managedFields: ${lines[0]}`);
  assert.ok(lines[1]!.includes('"managedFields"'), 'the other line kept them');
  assert.deepEqual(seen, [undefined, pod.metadata.managedFields]);
});
