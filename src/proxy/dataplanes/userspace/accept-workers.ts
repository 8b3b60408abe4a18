/**
 * Extra accept processes for the userspace data path (Node 20 has no
 * `reusePort`, and a listening handle cannot be shared with worker threads, but
 * it can be sent to a child process): each worker receives the listening
 * socket of every shareable TCP frontend (see {@link Route.shareable}) and runs
 * the very same connection path on it with its own round robin, so the kernel
 * hands each new connection to whichever process calls accept first and both
 * cores forward. The parent keeps accepting too, and stays the only owner of
 * every other frontend (UDP, affinity, least-connection schedulers, traffic
 * policies, source ranges).
 *
 * Workers report what they forwarded every {@link REPORT_INTERVAL_MS}; the
 * parent adds it to its backends, so snapshots and metrics count every
 * connection, up to that delay. Active connection counts stay per process.
 */
import type { ChildProcess } from 'node:child_process';
import { forkWorker, siblingEntry } from '../../../client/fork-worker.js';
import type { Logger } from '../../../client/logger.js';
import type { FrontendPlan } from '../../frontends.js';
import type { ServicePortInfo } from '../../service-port.js';
import type { TcpFrontend } from './tcp-frontend.js';

/** How often a worker reports its counts. */
export const REPORT_INTERVAL_MS = 500;

/** Parent → worker. `serve` comes with the listening server as the handle. */
export type ToWorker =
  | { t: 'serve'; key: string; info: ServicePortInfo; plan: FrontendPlan; dialTimeoutsMs: readonly number[] }
  | { t: 'route'; key: string; info: ServicePortInfo; plan: FrontendPlan }
  | { t: 'stop'; key: string };

/** One backend's counts since the last report: frontend key, backend `ip:port`, connections, picks, bytes in, bytes out, errors. */
export type CountsRow = [string, string, number, number, number, number, number];

/** Worker → parent: `ready` once it listens for messages (a handle sent earlier would be lost), then counts. */
export type FromWorker = { t: 'ready' } | { t: 'counts'; rows: CountsRow[] };

const ENTRY = siblingEntry('./accept-worker-process', import.meta.url);

/** A plan without its per-node map (shareable routes never have one), safe to send as JSON. */
function plainPlan(p: FrontendPlan): FrontendPlan {
  const { endpointsByNode: _drop, ...rest } = p;
  return rest;
}

/** The key of what a worker routes by: endpoints and their order. */
function routeSignature(plan: FrontendPlan): string {
  let s = '';
  for (const e of plan.endpoints) s += `${e.key},`;
  return s;
}

/**
 * The worker processes and which frontends they share.
 *
 * @example
 * const w = new AcceptWorkers(1, [250, 500], log, (row) => …);
 * w.reconcile(frontend);   // after listen and after every route swap
 * w.forget(frontend.key);  // before closing it
 * w.close();
 */
export class AcceptWorkers {
  private readonly children: ChildProcess[] = [];
  /** Workers that said they are ready; only they are sent anything. */
  private readonly ready = new Set<ChildProcess>();
  /** Shared frontends and the route signature last sent. */
  private readonly shared = new Map<string, { sig: string; fe: TcpFrontend }>();
  private closed = false;

  constructor(
    count: number,
    private readonly dialTimeoutsMs: readonly number[],
    private readonly log: Logger,
    private readonly onCounts: (row: CountsRow) => void,
  ) {
    for (let i = 0; i < count; i++) this.children.push(this.spawn());
  }

  /** Workers ready to accept (they start in the background). */
  get readyCount(): number {
    return this.ready.size;
  }

  /** Shares `fe` with the workers, updates their route, or takes it back, as its current route allows. */
  reconcile(key: string, fe: TcpFrontend): void {
    if (this.closed) return;
    const route = fe.route;
    const prev = this.shared.get(key);
    if (!route.shareable) {
      if (prev !== undefined) this.forget(key);
      return;
    }
    const sig = routeSignature(route.plan);
    if (prev?.sig === sig) return;
    this.shared.set(key, { sig, fe });
    for (const c of this.ready) this.send(c, key, fe, prev === undefined);
  }

  /** The workers stop accepting on `key` (its frontend is closing or no longer shareable). */
  forget(key: string): void {
    if (!this.shared.delete(key)) return;
    for (const c of this.ready) if (c.connected) c.send({ t: 'stop', key } satisfies ToWorker);
  }

  /** Ends the workers (and the connections they carry). */
  close(): void {
    this.closed = true;
    for (const c of this.children) {
      if (c.connected) c.disconnect();
      c.kill();
    }
    this.shared.clear();
    this.ready.clear();
  }

  private send(c: ChildProcess, key: string, fe: TcpFrontend, serve: boolean): void {
    const info = fe.route.balancer.info;
    if (!info || !c.connected) return;
    const plan = plainPlan(fe.route.plan);
    if (serve) c.send({ t: 'serve', key, info, plan, dialTimeoutsMs: this.dialTimeoutsMs } satisfies ToWorker, fe.listener);
    else c.send({ t: 'route', key, info, plan } satisfies ToWorker);
  }

  private spawn(): ChildProcess {
    const c = forkWorker(ENTRY);
    c.on('message', (m: FromWorker) => {
      if (m.t === 'counts') for (const row of m.rows) this.onCounts(row);
      else if (m.t === 'ready' && !this.closed) {
        this.ready.add(c);
        for (const [key, { fe }] of this.shared) this.send(c, key, fe, true);
      }
    });
    c.on('error', (err) => this.log.warn({ err: err.message }, 'userspace proxy accept worker failed'));
    c.on('exit', (code, signal) => {
      this.ready.delete(c);
      if (this.closed) return;
      // Its connections are gone; the parent still accepts on every address, so service continues.
      this.log.warn({ pid: c.pid, code, signal }, 'userspace proxy accept worker exited; the data path continues in one process');
    });
    return c;
  }
}
