/**
 * A deduplicating, delaying, rate-limited queue of string keys (as client-go's
 * `util/workqueue`) and the worker loop that applies controller-runtime's
 * reconcile outcome protocol. A burst of events for one object costs one pass:
 * a key is queued at most once, and a key added while being processed is queued
 * again exactly once, after `done`.
 */
import { realClock, type Clock, type TimerHandle } from './clock.js';
import { errorMessage, silentLogger, type Logger } from './logger.js';

/** Decides how long a key waits before its next retry. */
export interface RateLimiter {
  /** The delay for the next retry of `key` (records the attempt). */
  when(key: string): number;
  /** Stops tracking `key` (its next failure starts from the base delay again). */
  forget(key: string): void;
  /** How many retries `key` has had since it was last forgotten. */
  numRequeues(key: string): number;
}

/** Per-key exponential back-off: `base * 2^failures`, capped at `max`. Defaults 5 ms … 1000 s. */
export class ItemExponentialFailureRateLimiter implements RateLimiter {
  private readonly failures = new Map<string, number>();

  constructor(
    private readonly baseMs = 5,
    private readonly maxMs = 1_000_000,
  ) {}

  when(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    // Cap the exponent first so 2^n never overflows to Infinity.
    const delay = this.baseMs * Math.pow(2, Math.min(n, 62));
    return Math.min(delay, this.maxMs);
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }
}

/**
 * An overall token bucket (`qps` refill, `burst` capacity), as `golang.org/x/time/rate`
 * reservations: every call takes a token, going into debt when empty, and the delay is
 * the time until that debt is repaid. Defaults 10 qps, burst 100.
 */
export class BucketRateLimiter implements RateLimiter {
  private tokens: number;
  private last: number;

  constructor(
    private readonly qps = 10,
    private readonly burst = 100,
    private readonly clock: Clock = realClock,
  ) {
    this.tokens = burst;
    this.last = clock.now();
  }

  when(_key: string): number {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.qps) * 1000;
  }

  forget(_key: string): void {}

  numRequeues(_key: string): number {
    return 0;
  }
}

/** The longest delay of several limiters (all of them record the attempt). */
export class MaxOfRateLimiter implements RateLimiter {
  private readonly limiters: RateLimiter[];

  constructor(...limiters: RateLimiter[]) {
    this.limiters = limiters;
  }

  when(key: string): number {
    let max = 0;
    for (const l of this.limiters) max = Math.max(max, l.when(key));
    return max;
  }

  forget(key: string): void {
    for (const l of this.limiters) l.forget(key);
  }

  numRequeues(key: string): number {
    let max = 0;
    for (const l of this.limiters) max = Math.max(max, l.numRequeues(key));
    return max;
  }
}

/** client-go's default controller limiter: per-key 5 ms…1000 s exponential, overall 10 qps burst 100. */
export function defaultControllerRateLimiter(clock: Clock = realClock): RateLimiter {
  return new MaxOfRateLimiter(new ItemExponentialFailureRateLimiter(5, 1_000_000), new BucketRateLimiter(10, 100, clock));
}

/** Optional observation hooks (e.g. wired to prom-client by the caller). */
export interface WorkQueueMetrics {
  /** A key was accepted by `add` (deduplicated adds are not reported). */
  add?(key: string): void;
  /** Queue length after every change. */
  depth?(depth: number): void;
  /** A key was re-added through `addRateLimited`. */
  retry?(key: string): void;
}

/** Options of {@link WorkQueue}. */
export interface WorkQueueOptions {
  /** Used in log lines. */
  name?: string;
  clock?: Clock;
  /** Default: {@link defaultControllerRateLimiter}. */
  rateLimiter?: RateLimiter;
  metrics?: WorkQueueMetrics;
}

/**
 * The work queue. `get()` hands a key to one worker, which must call `done(key)` when
 * finished. Waiting (`addAfter`) keys are deduplicated keeping the earliest time.
 *
 * @example
 * const q = new WorkQueue({ name: 'daemonset' });
 * informer.addEventHandler({ onAdd: (ds) => q.add(keyOf(ds)) });
 * await runWorkers(q, 2, (key) => reconcile(key), signal);
 */
export class WorkQueue {
  /** Used in log lines. */
  readonly name: string;
  private readonly clock: Clock;
  private readonly limiter: RateLimiter;
  private readonly metrics: WorkQueueMetrics;
  private readonly queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly waiting = new Map<string, number>();
  private timer: TimerHandle | undefined;
  private timerAt = Infinity;
  private readonly getters: Array<() => void> = [];
  private drainWaiters: Array<() => void> = [];
  private stopped = false;

  constructor(opts: WorkQueueOptions = {}) {
    this.name = opts.name ?? 'queue';
    this.clock = opts.clock ?? realClock;
    this.limiter = opts.rateLimiter ?? defaultControllerRateLimiter(this.clock);
    this.metrics = opts.metrics ?? {};
  }

  /** Queues `key` unless it is already queued; a key being processed is queued again after `done`. */
  add(key: string): void {
    if (this.stopped || this.dirty.has(key)) return;
    this.dirty.add(key);
    this.metrics.add?.(key);
    if (this.processing.has(key)) return;
    this.queue.push(key);
    this.metrics.depth?.(this.queue.length);
    this.getters.shift()?.();
  }

  /** Queues `key` after `ms` milliseconds (immediately when `ms <= 0`). */
  addAfter(key: string, ms: number): void {
    if (this.stopped) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = this.clock.now() + ms;
    const prev = this.waiting.get(key);
    if (prev !== undefined && prev <= at) return;
    this.waiting.set(key, at);
    this.schedule();
  }

  /** Queues `key` after the rate limiter's delay for it (counts as a retry). */
  addRateLimited(key: string): void {
    this.metrics.retry?.(key);
    this.addAfter(key, this.limiter.when(key));
  }

  /** Clears the back-off history of `key`; call it when the key was handled successfully. */
  forget(key: string): void {
    this.limiter.forget(key);
  }

  /** Retries of `key` since it was last forgotten. */
  numRequeues(key: string): number {
    return this.limiter.numRequeues(key);
  }

  /** Number of keys ready to be handed out (not counting waiting or in-process keys). */
  len(): number {
    return this.queue.length;
  }

  /**
   * The next key, marked as processing; waits while the queue is empty. Resolves
   * `undefined` once the queue is shut down (queued keys are abandoned, so workers
   * stop promptly).
   */
  async get(): Promise<string | undefined> {
    for (;;) {
      if (this.stopped) return undefined;
      if (this.queue.length > 0) break;
      await new Promise<void>((resolve) => this.getters.push(resolve));
    }
    const key = this.queue.shift() as string;
    this.metrics.depth?.(this.queue.length);
    this.processing.add(key);
    this.dirty.delete(key);
    return key;
  }

  /** Marks `key` finished; if it was added meanwhile, it is queued again now. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) {
      this.queue.push(key);
      this.metrics.depth?.(this.queue.length);
      this.getters.shift()?.();
    }
    if (this.processing.size === 0) {
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      for (const w of waiters) w();
    }
  }

  /**
   * Stops accepting keys, drops waiting (delayed) keys and wakes all `get` callers,
   * which resolve undefined from now on.
   */
  shutDown(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.waiting.clear();
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
    for (const g of this.getters.splice(0)) g();
  }

  /** True after {@link shutDown}. */
  shuttingDown(): boolean {
    return this.stopped;
  }

  /** Resolves when no key is being processed. */
  drained(): Promise<void> {
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private schedule(): void {
    let next = Infinity;
    for (const at of this.waiting.values()) next = Math.min(next, at);
    if (next === this.timerAt) return;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = next;
    if (next === Infinity) return;
    this.timer = this.clock.setTimeout(() => this.fire(), next - this.clock.now());
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = this.clock.now();
    const ready = [...this.waiting].filter(([, at]) => at <= now).sort((a, b) => a[1] - b[1]);
    for (const [key] of ready) {
      this.waiting.delete(key);
      this.add(key);
    }
    this.schedule();
  }
}

/**
 * Thrown by a reconciler for a failure that retrying cannot fix (e.g. an invalid spec):
 * the key is logged and forgotten. Also recognised when found in an error's `cause` chain.
 */
export class TerminalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TerminalError';
  }
}

/** True when `err` or any error in its `cause` chain is a {@link TerminalError}. */
export function isTerminal(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 16; e = e.cause, depth++) {
    if (e instanceof TerminalError) return true;
  }
  return false;
}

/** What a reconciler may return: nothing (done) or a timed retry. */
export type ReconcileResult = void | undefined | { requeueAfter: number };

/** A reconciler: handles one key, re-reading the world from caches. */
export type Reconciler = (key: string) => ReconcileResult | Promise<ReconcileResult>;

/**
 * Applies the outcome of one reconcile to the queue. Exactly four cases:
 * - threw a {@link TerminalError} → log, forget (no retry);
 * - threw anything else → rate-limited retry;
 * - returned `{ requeueAfter }` → forget back-off, retry after that many ms;
 * - returned nothing → forget.
 */
export function applyOutcome(queue: WorkQueue, key: string, outcome: { error: unknown } | { result: ReconcileResult }, logger: Logger = silentLogger): void {
  if ('error' in outcome) {
    const err = outcome.error;
    const message = errorMessage(err);
    if (isTerminal(err)) {
      logger.error({ queue: queue.name, key, err: message }, 'reconcile failed with a terminal error; not retrying');
      queue.forget(key);
    } else {
      logger.warn({ queue: queue.name, key, err: message, retries: queue.numRequeues(key) }, 'reconcile failed; retrying with back-off');
      queue.addRateLimited(key);
    }
    return;
  }
  const r = outcome.result;
  queue.forget(key);
  if (r && typeof r === 'object' && typeof r.requeueAfter === 'number') queue.addAfter(key, r.requeueAfter);
}

/**
 * Runs `n` workers that take keys from `queue`, call `reconcile(key)` and apply
 * {@link applyOutcome}. When `signal` aborts, the queue is shut down and the returned
 * promise resolves after every worker has finished its current key.
 */
export async function runWorkers(queue: WorkQueue, n: number, reconcile: Reconciler, signal: AbortSignal, logger: Logger = silentLogger): Promise<void> {
  const onAbort = (): void => queue.shutDown();
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  const worker = async (): Promise<void> => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      let outcome: { error: unknown } | { result: ReconcileResult };
      try {
        outcome = { result: await reconcile(key) };
      } catch (error) {
        outcome = { error };
      }
      try {
        if (!queue.shuttingDown()) applyOutcome(queue, key, outcome, logger);
      } finally {
        queue.done(key);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, n) }, worker));
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
