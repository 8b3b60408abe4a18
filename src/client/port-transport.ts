/**
 * A transport over a `MessagePort`: components running in a worker thread reach
 * the API server in the main thread with no socket and no HTTP framing, so the
 * server and its clients use both cores of the machine. The other half,
 * `servePort` in `apiserver/port-server.ts`, answers on the main thread.
 *
 * Messages travel in arrays, one `postMessage` per turn of the event loop and
 * direction ({@link Outbox}): waking the other thread costs a system call, so a
 * burst of requests or watch events pays it once. Messages (all plain,
 * structured-clone friendly):
 * - to the server: `{ t: 'req' | 'stream', id, req }`, `{ t: 'abort', id }`
 * - to the client: `{ t: 'res', id, status, headers, body }`, `{ t: 'lines', id, lines }`,
 *   `{ t: 'end', id, error? }` where `error` is `{ status?, message }` (a `metav1.Status` when the server sent one).
 */
import type { MessagePort } from 'node:worker_threads';
import { ApiError } from '../api/errors.js';
import { errorFromStatus } from './status.js';
import type { Transport, TransportRequest, TransportResponse } from './transport.js';

/** What crosses the port when a request or stream fails. */
export interface PortError {
  /** The `metav1.Status` of an API error. */
  status?: { code?: number; reason?: string; message?: string; details?: unknown };
  message: string;
}

export type ToServer = { t: 'req' | 'stream'; id: number; req: TransportRequest } | { t: 'abort'; id: number };
/** Messages cross the port in batches (one `postMessage` per turn of the event loop). */
export type Batch<M> = M[];
export type ToClient =
  | { t: 'res'; id: number; status: number; headers: Record<string, string | string[] | undefined>; body: Uint8Array }
  | { t: 'lines'; id: number; lines: string[] }
  | { t: 'end'; id: number; error?: PortError };

/**
 * Collects messages and posts them as one array on the next turn of the event loop.
 *
 * @example
 * const out = new Outbox(port);
 * out.send({ t: 'abort', id: 3 }); // posted with whatever else is sent in this turn
 */
export class Outbox<M> {
  private queue: M[] = [];
  private transfer: ArrayBuffer[] = [];
  private scheduled = false;

  constructor(private readonly port: MessagePort) {}

  send(m: M, transfer?: ArrayBuffer): void {
    this.queue.push(m);
    if (transfer) this.transfer.push(transfer);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  /** Posts what is queued now. */
  flush(): void {
    this.scheduled = false;
    if (!this.queue.length) return;
    const batch = this.queue;
    const transfer = this.transfer;
    this.queue = [];
    this.transfer = [];
    try {
      this.port.postMessage(batch, transfer);
    } catch {
      // The port is closed: the other side is gone, and so is anyone to tell.
    }
  }
}

/** Turns a failure into what crosses the port. */
export function toPortError(err: unknown): PortError {
  if (err instanceof ApiError) return { status: err.toStatus() as PortError['status'], message: err.message };
  return { message: err instanceof Error ? err.message : String(err) };
}

function fromPortError(e: PortError): Error {
  return e.status ? errorFromStatus(e.status as Parameters<typeof errorFromStatus>[0]) : new Error(e.message);
}

interface Pending {
  resolve(v: TransportResponse): void;
  reject(e: unknown): void;
}

interface OpenStream {
  onLine(line: string): void;
  finish(err?: unknown): void;
}

/**
 * The client half: a {@link Transport} whose requests travel over `port`.
 *
 * @example
 * const client = new Client(new PortTransport(workerData.port));
 */
export class PortTransport implements Transport {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly streams = new Map<number, OpenStream>();
  private readonly out: Outbox<ToServer>;

  constructor(port: MessagePort) {
    this.out = new Outbox(port);
    port.on('message', (batch: Batch<ToClient>) => {
      for (const m of batch) this.receive(m);
    });
  }

  request(req: TransportRequest): Promise<TransportResponse> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.out.send({ t: 'req', id, req } satisfies ToServer);
    });
  }

  stream(req: TransportRequest, onLine: (line: string) => void, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (err?: unknown): void => {
        if (settled) return;
        settled = true;
        this.streams.delete(id);
        signal.removeEventListener('abort', abort);
        if (err === undefined) resolve();
        else reject(err);
      };
      const abort = (): void => {
        this.out.send({ t: 'abort', id } satisfies ToServer);
        finish();
      };
      this.streams.set(id, {
        onLine: (line) => {
          if (settled) return;
          try {
            onLine(line);
          } catch (e) {
            this.out.send({ t: 'abort', id } satisfies ToServer);
            finish(e);
          }
        },
        finish,
      });
      signal.addEventListener('abort', abort, { once: true });
      this.out.send({ t: 'stream', id, req } satisfies ToServer);
    });
  }

  /** Resolves when no request is in flight, or after `ms`. */
  async drain(ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (this.pending.size && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  }

  /** Ends every open stream and fails pending requests. */
  close(): void {
    for (const [id, s] of [...this.streams]) {
      this.out.send({ t: 'abort', id } satisfies ToServer);
      s.finish();
    }
    for (const p of this.pending.values()) p.reject(new Error('transport closed'));
    this.pending.clear();
    this.out.flush();
  }

  private receive(m: ToClient): void {
    if (m.t === 'res') {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      p.resolve({ status: m.status, headers: m.headers, body: Buffer.from(m.body.buffer, m.body.byteOffset, m.body.byteLength) });
    } else if (m.t === 'lines') {
      const s = this.streams.get(m.id);
      if (s) for (const line of m.lines) s.onLine(line);
    } else {
      const p = this.pending.get(m.id);
      if (p) {
        this.pending.delete(m.id);
        p.reject(fromPortError(m.error ?? { message: 'request failed' }));
        return;
      }
      this.streams.get(m.id)?.finish(m.error ? fromPortError(m.error) : undefined);
    }
  }
}
