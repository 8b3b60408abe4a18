/**
 * The scheduling queue (upstream `internal/queue`), over the client's work queue:
 * pods to try now ("active"), pods that failed and wait for a cluster change
 * ("unschedulable"), and per-pod back-off (1 s doubling to 10 s, from the last
 * attempt). A cluster event that may help (a node appears or changes, an assigned
 * pod goes away) moves every unschedulable pod back, after what is left of its
 * back-off; pods unschedulable for longer than 5 minutes are retried anyway.
 */
import { realClock, type Clock } from '../client/clock.js';
import { ItemExponentialFailureRateLimiter, WorkQueue } from '../client/workqueue.js';

/** Options of {@link SchedulingQueue}; upstream defaults. */
export interface SchedulingQueueOptions {
  clock?: Clock;
  /** Default 1000 ms. */
  initialBackoffMs?: number;
  /** Default 10 000 ms. */
  maxBackoffMs?: number;
  /** Default 5 minutes (`podMaxInUnschedulablePodsDuration`). */
  maxUnschedulableMs?: number;
}

interface Attempts {
  count: number;
  lastAt: number;
}

/** Pending pods by key (`namespace/name`). */
export class SchedulingQueue {
  /** The keys handed to workers. */
  readonly active: WorkQueue;
  private readonly clock: Clock;
  private readonly initialBackoff: number;
  private readonly maxBackoff: number;
  private readonly maxUnschedulable: number;
  private readonly attempts = new Map<string, Attempts>();
  /** key → when it became unschedulable. */
  private readonly unschedulable = new Map<string, number>();

  constructor(opts: SchedulingQueueOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.initialBackoff = opts.initialBackoffMs ?? 1000;
    this.maxBackoff = opts.maxBackoffMs ?? 10_000;
    this.maxUnschedulable = opts.maxUnschedulableMs ?? 5 * 60_000;
    // Errors (thrown by the reconciler) back off per pod like upstream's backoffQ; no overall bucket.
    this.active = new WorkQueue({ name: 'scheduler', clock: this.clock, rateLimiter: new ItemExponentialFailureRateLimiter(this.initialBackoff, this.maxBackoff) });
  }

  /** A new or changed pending pod: try it now (leaves the unschedulable set). */
  add(key: string): void {
    this.unschedulable.delete(key);
    this.active.add(key);
  }

  /** Counts an attempt (call when a scheduling cycle starts for `key`). */
  recordAttempt(key: string): void {
    const a = this.attempts.get(key);
    this.attempts.set(key, { count: (a?.count ?? 0) + 1, lastAt: this.clock.now() });
  }

  /** Back-off still to wait for `key` (upstream: initial × 2^(attempts−1), capped, from the last attempt). */
  backoffRemaining(key: string): number {
    const a = this.attempts.get(key);
    if (!a) return 0;
    const d = Math.min(this.maxBackoff, this.initialBackoff * Math.pow(2, Math.min(a.count - 1, 30)));
    return Math.max(0, a.lastAt + d - this.clock.now());
  }

  /** Parks `key` until a cluster event (or the periodic flush) moves it back. */
  markUnschedulable(key: string): void {
    this.unschedulable.set(key, this.clock.now());
  }

  /** True while `key` waits for a cluster event. */
  isUnschedulable(key: string): boolean {
    return this.unschedulable.has(key);
  }

  /** Number of parked pods. */
  unschedulableCount(): number {
    return this.unschedulable.size;
  }

  /** A cluster change that may help: every parked pod is retried once its back-off is over. */
  moveAllToActive(): void {
    if (this.unschedulable.size === 0) return;
    const keys = [...this.unschedulable.keys()];
    this.unschedulable.clear();
    for (const k of keys) this.active.addAfter(k, this.backoffRemaining(k));
  }

  /** Retries pods parked for longer than the maximum (upstream `flushUnschedulablePodsLeftover`). */
  flushLeftover(): void {
    const now = this.clock.now();
    for (const [k, since] of this.unschedulable) {
      if (now - since < this.maxUnschedulable) continue;
      this.unschedulable.delete(k);
      this.active.addAfter(k, this.backoffRemaining(k));
    }
  }

  /** Forgets everything about `key` (scheduled, deleted, or no longer ours). */
  done(key: string): void {
    this.unschedulable.delete(key);
    this.attempts.delete(key);
    this.active.forget(key);
  }
}
