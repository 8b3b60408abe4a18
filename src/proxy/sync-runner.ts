/**
 * A rate-limited runner for the proxy's full sync (upstream
 * `async.BoundedFrequencyRunner`): `request()` asks for a sync as soon as allowed
 * — never sooner than `minIntervalMs` after the previous one started, never two
 * at once — and a sync runs at least every `maxIntervalMs` regardless. A burst of
 * changes therefore costs one sync.
 */
import { realClock, type Clock, type TimerHandle } from '../client/clock.js';

/** Options of {@link SyncRunner}. */
export interface SyncRunnerOptions {
  /** Minimum time between the starts of two syncs. Default 1000 (upstream `--iptables-min-sync-period` 1 s). */
  minIntervalMs?: number;
  /** A periodic full sync even without changes. Default 30 000 (upstream `--iptables-sync-period`). */
  maxIntervalMs?: number;
  clock?: Clock;
}

/**
 * Runs `fn` on request, rate-limited.
 *
 * @example
 * const runner = new SyncRunner(() => proxy.syncOnce(), { minIntervalMs: 100 });
 * void runner.start(signal);
 * informer.addEventHandler({ onAdd: () => runner.request() });
 */
export class SyncRunner {
  private readonly minInterval: number;
  private readonly maxInterval: number;
  private readonly clock: Clock;
  private lastStart = -Infinity;
  private running = false;
  private wanted = false;
  private timer: TimerHandle | undefined;
  private timerAt = Infinity;
  private stopped = true;
  private idle: Array<() => void> = [];
  /** Earliest start asked for by `retryAfter` while a sync was running. */
  private retryAt = -Infinity;

  constructor(
    private readonly fn: () => Promise<void>,
    opts: SyncRunnerOptions = {},
  ) {
    this.minInterval = opts.minIntervalMs ?? 1000;
    this.maxInterval = opts.maxIntervalMs ?? 30_000;
    this.clock = opts.clock ?? realClock;
  }

  /** Asks for a sync as soon as the minimum interval allows. */
  request(): void {
    this.wanted = true;
    this.schedule(this.lastStart + this.minInterval);
  }

  /** Asks for a sync no sooner than `ms` from now (a retry after a failed sync). */
  retryAfter(ms: number): void {
    this.wanted = true;
    const at = Math.max(this.clock.now() + ms, this.lastStart + this.minInterval);
    if (this.running) this.retryAt = Math.max(this.retryAt, at);
    else this.schedule(at);
  }

  /** Runs syncs until `signal` aborts (a first sync runs at once), then waits for one in flight. */
  async start(signal: AbortSignal): Promise<void> {
    this.stopped = false;
    this.request();
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.running) await new Promise<void>((r) => this.idle.push(r));
  }

  private schedule(at: number): void {
    if (this.stopped || this.running) return;
    if (this.timer !== undefined && this.timerAt <= at) return;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = this.clock.setTimeout(() => this.fire(), Math.max(0, at - this.clock.now()));
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    if (this.stopped) return;
    this.running = true;
    this.wanted = false;
    this.lastStart = this.clock.now();
    const done = (): void => {
      this.running = false;
      for (const r of this.idle.splice(0)) r();
      if (this.stopped) return;
      // Changes that arrived during the sync, else the periodic resync.
      const retryAt = this.retryAt;
      this.retryAt = -Infinity;
      if (this.wanted) this.schedule(Math.max(this.lastStart + this.minInterval, retryAt));
      else {
        this.wanted = true;
        this.schedule(this.lastStart + this.maxInterval);
      }
    };
    this.fn().then(done, done);
  }
}
