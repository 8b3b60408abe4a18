/**
 * In-process fan-out of committed changes, shared by the single-writer backends
 * (memory, SQLite). A backend publishes each commit's events right after the
 * commit, in the same synchronous step; a watcher registered with its history
 * backlog in one synchronous step therefore sees every revision exactly once.
 * The hub also wakes readers waiting for a future revision.
 */
import type { WatchEvent, WatchOptions, Watcher } from './types.js';

/**
 * Delivers committed events to watchers (in revision order, batched per
 * microtask) and resolves waits for revisions.
 *
 * @example
 * const hub = new WatchHub(0);
 * const w = hub.subscribe('/registry/', [], { afterRevision: 0, onEvents: (evs) => console.log(evs) });
 * hub.publish([{ type: 'create', kv: { key: '/registry/a', value: '1', createRevision: 1, modRevision: 1 } }]);
 * w.stop();
 */
export class WatchHub {
  readonly #subscriptions = new Set<Subscription>();
  readonly #waiters = new Set<Waiter>();
  #revision: number;

  /** `revision` is the store's current revision when the hub is created. */
  constructor(revision: number) {
    this.#revision = revision;
  }

  /** Number of live watchers (for tests and metrics). */
  get watcherCount(): number {
    return this.#subscriptions.size;
  }

  /**
   * Registers a watcher on `prefix`. `backlog` holds the already-committed events after
   * `opts.afterRevision` (oldest first); the caller must read it in the same synchronous
   * step as this call so that no commit falls between the two.
   */
  subscribe(prefix: string, backlog: WatchEvent[], opts: WatchOptions): Watcher {
    const sub = new Subscription(this, prefix, opts);
    this.#subscriptions.add(sub);
    sub.offer(backlog);
    return sub;
  }

  /** Hands one commit's events (in revision order) to every watcher; call right after commit. */
  publish(events: readonly WatchEvent[]): void {
    const last = events[events.length - 1];
    if (!last) return;
    this.#revision = last.kv.modRevision;
    for (const sub of this.#subscriptions) sub.offer(events);
    for (const w of this.#waiters) {
      if (w.revision <= this.#revision) w.finish(true);
    }
  }

  /** Resolves true once `revision` is committed, or false after `timeoutMs`. */
  waitFor(revision: number, timeoutMs: number): Promise<boolean> {
    if (revision <= this.#revision) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        revision,
        finish: (ok) => {
          clearTimeout(timer);
          this.#waiters.delete(waiter);
          resolve(ok);
        },
      };
      const timer = setTimeout(() => waiter.finish(false), timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  /** Ends every watcher with `err` (via `onError`) and every wait with false. */
  closeAll(err: Error): void {
    for (const sub of [...this.#subscriptions]) sub.fail(err);
    for (const w of [...this.#waiters]) w.finish(false);
  }

  /** @internal called by `Subscription.stop`. */
  remove(sub: Subscription): void {
    this.#subscriptions.delete(sub);
  }
}

interface Waiter {
  revision: number;
  finish(ok: boolean): void;
}

class Subscription implements Watcher {
  readonly #hub: WatchHub;
  readonly #prefix: string;
  readonly #after: number;
  readonly #onEvents: WatchOptions['onEvents'];
  readonly #onError: WatchOptions['onError'];
  #queue: WatchEvent[] = [];
  #scheduled = false;
  #stopped = false;

  constructor(hub: WatchHub, prefix: string, opts: WatchOptions) {
    this.#hub = hub;
    this.#prefix = prefix;
    this.#after = opts.afterRevision;
    this.#onEvents = opts.onEvents;
    this.#onError = opts.onError;
  }

  offer(events: readonly WatchEvent[]): void {
    if (this.#stopped) return;
    for (const ev of events) {
      if (ev.kv.modRevision > this.#after && ev.kv.key.startsWith(this.#prefix)) this.#queue.push(ev);
    }
    if (this.#queue.length > 0 && !this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(() => this.#flush());
    }
  }

  #flush(): void {
    this.#scheduled = false;
    if (this.#stopped || this.#queue.length === 0) return;
    const batch = this.#queue;
    this.#queue = [];
    try {
      this.#onEvents(batch);
    } catch (err) {
      // The contract says onEvents must not throw; a watcher that does cannot be trusted to have seen the batch.
      this.fail(err instanceof Error ? err : new Error(String(err)));
    }
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#queue = [];
    this.#hub.remove(this);
  }

  fail(err: Error): void {
    if (this.#stopped) return;
    this.stop();
    this.#onError?.(err);
  }
}
