import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { test } from 'node:test';
import { MessageChannel } from 'node:worker_threads';
import type { Batch, ToClient, ToServer } from '../client/port-transport.js';
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
