/**
 * The server half of the `MessagePort` transport (`client/port-transport.ts`):
 * answers requests from a worker thread by calling the API server's handler in
 * memory through {@link LocalTransport}. Watch lines are batched per turn of the
 * event loop, so one write that wakes a thousand watch events crosses the port
 * as one message per stream. A stream whose client drops managedFields gets its
 * lines without them.
 */
import type { MessagePort } from 'node:worker_threads';
import { Outbox, toPortError, type Batch, type ToClient, type ToServer } from '../client/port-transport.js';
import { LocalTransport, type RequestHandler } from './local-transport.js';
import { trimManagedFields } from './trim-managed-fields.js';

/**
 * Requests started per turn of the event loop. The memory and SQLite stores answer
 * without I/O, so requests started together run as one chain of microtasks, and nothing
 * else runs until the whole chain is done: not the outbox flush carrying answers already
 * made, not the next batch of requests. One create that arrives behind two hundred
 * status writes then waits for all of them, and so does its answer. Starting requests in
 * slices of this size, in arrival order, lets answers leave and new requests in between.
 * Measured on the 5,000-node DaemonSet rollout, alternating: slices of 8 took 3.30-3.60 s,
 * 16 took 3.24-3.36 s, 24 and 32 about the same as 16, 256 or no limit 3.5-3.7 s again.
 * Larger slices keep HTTP clients waiting longer between them (PUT p99 in the api
 * benchmark about 3.7 ms against 3.5 ms with 8).
 */
export const REQUESTS_PER_TURN = 16;

/**
 * Serves `port` until the returned function is called (which ends every open stream).
 *
 * @example
 * const { port1, port2 } = new MessageChannel();
 * const stop = servePort(apiServer, port1, 'skiff-controller-manager');
 * new Worker(entry, { workerData: { port: port2 }, transferList: [port2] });
 */
export function servePort(server: RequestHandler, port: MessagePort, userAgent = 'skiff'): () => void {
  const local = new LocalTransport(server, { userAgent });
  const streams = new Map<number, AbortController>();
  const out = new Outbox<ToClient>(port);
  // Watch lines per stream: one write wakes many events in one synchronous pass; they go as one message.
  const batches = new Map<number, string[]>();
  let flushQueued = false;
  const post = (m: ToClient): void => out.send(m);
  const flush = (): void => {
    flushQueued = false;
    for (const [id, lines] of batches) post({ t: 'lines', id, lines });
    batches.clear();
  };
  // Requests not started yet, in arrival order.
  const waiting: Array<() => void> = [];
  let turnQueued = false;
  const turn = (): void => {
    turnQueued = false;
    // Answers the last slice made leave before the next slice starts.
    out.flush();
    const slice = waiting.splice(0, REQUESTS_PER_TURN);
    for (const start of slice) start();
    if (waiting.length) queueTurn();
  };
  const queueTurn = (): void => {
    if (turnQueued) return;
    turnQueued = true;
    setImmediate(turn);
  };
  port.on('message', (batch: Batch<ToServer>) => {
    for (const m of batch) receive(m);
  });
  const receive = (m: ToServer): void => {
    if (m.t === 'abort') {
      streams.get(m.id)?.abort();
      return;
    }
    const { id, req } = m;
    if (req.body !== undefined && typeof req.body !== 'string') {
      // The bytes arrived in a buffer of their own (structured clone): view them, do not copy.
      const u = req.body as Uint8Array;
      req.body = Buffer.from(u.buffer, u.byteOffset, u.byteLength);
    }
    if (m.t === 'req') {
      waiting.push(() => {
        local.request(req).then(
          (res) => {
            // A Buffer is often a view into a shared 8 KiB slab, which postMessage would copy whole:
            // copy the bytes into their own buffer and hand that over without a second copy.
            const discard = req.discardBody && res.status >= 200 && res.status < 300;
            const body = new Uint8Array(discard ? 0 : res.body.byteLength);
            if (!discard) body.set(res.body);
            out.send({ t: 'res', id, status: res.status, headers: res.headers, body }, body.buffer);
          },
          (err: unknown) => post({ t: 'end', id, error: toPortError(err) }),
        );
      });
      queueTurn();
      return;
    }
    const ac = new AbortController();
    streams.set(id, ac);
    // The client drops managedFields: they need not be copied across nor parsed there.
    const trim = req.trimManagedFields === true;
    local
      .stream(
        req,
        (line) => {
          let b = batches.get(id);
          if (!b) batches.set(id, (b = []));
          b.push(trim ? trimManagedFields(line) : line);
          if (!flushQueued) {
            flushQueued = true;
            queueMicrotask(flush);
          }
        },
        ac.signal,
      )
      .then(
        () => undefined,
        (err: unknown) => toPortError(err),
      )
      .then((error) => {
        streams.delete(id);
        // Lines still batched go first, then the end.
        const b = batches.get(id);
        if (b) {
          batches.delete(id);
          post({ t: 'lines', id, lines: b });
        }
        if (!ac.signal.aborted) post({ t: 'end', id, ...(error ? { error } : {}) });
      });
  };
  return () => {
    waiting.length = 0;
    for (const ac of streams.values()) ac.abort();
    streams.clear();
    local.close();
    out.flush();
    port.close();
  };
}
