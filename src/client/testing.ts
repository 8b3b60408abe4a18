/**
 * Test doubles for code built on the client: a {@link FakeTransport} whose requests
 * and watch streams are scripted by the test, and a bounded {@link waitFor}. Not
 * used by production code.
 */
import type { Transport, TransportRequest, TransportResponse } from './transport.js';

/** A JSON response with the given status. */
export function jsonResponse(status: number, body: unknown): TransportResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(body)) };
}

/** Resolves when `signal` aborts. */
export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** Writes one watch event line (objects are JSON-encoded). */
export type Emit = (event: { type: string; object: unknown } | string) => void;

/** A scripted watch stream: emit lines, then return to end the stream or throw to fail it. */
export type StreamScript = (req: TransportRequest, emit: Emit, signal: AbortSignal) => Promise<void>;

/**
 * A transport whose answers the test provides. Requests go to `onRequest`; watch
 * streams are served by `streamScripts` in order (then by `onStream`, which by default
 * holds the stream open until aborted). Everything sent is recorded.
 *
 * @example
 * const t = new FakeTransport();
 * t.onRequest = (req) => jsonResponse(200, { kind: 'PodList', metadata: { resourceVersion: '5' }, items: [] });
 * t.streamScripts.push(async (_req, emit) => emit({ type: 'ADDED', object: pod }));
 */
export class FakeTransport implements Transport {
  /** Every `request` call, in order. */
  readonly requests: TransportRequest[] = [];
  /** Every `stream` call, in order. */
  readonly streams: TransportRequest[] = [];
  /** Scripts consumed one per `stream` call. */
  readonly streamScripts: StreamScript[] = [];
  onRequest: (req: TransportRequest) => TransportResponse | Promise<TransportResponse> = () =>
    jsonResponse(404, { kind: 'Status', status: 'Failure', reason: 'NotFound', message: 'not scripted', code: 404 });
  onStream: StreamScript = (_req, _emit, signal) => untilAborted(signal);

  async request(req: TransportRequest): Promise<TransportResponse> {
    this.requests.push(req);
    return this.onRequest(req);
  }

  async stream(req: TransportRequest, onLine: (line: string) => void, signal: AbortSignal): Promise<void> {
    this.streams.push(req);
    const script = this.streamScripts.shift() ?? this.onStream;
    const emit: Emit = (ev) => {
      if (!signal.aborted) onLine(typeof ev === 'string' ? ev : JSON.stringify(ev));
    };
    await script(req, emit, signal);
  }
}

/** Polls `cond` until it holds; rejects after `ms` (default 2000) so tests never hang. */
export async function waitFor(cond: () => boolean, ms = 2000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms}ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}
