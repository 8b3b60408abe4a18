/**
 * Controller "expectations" (upstream `pkg/controller/controller_utils.go`):
 * after a controller creates or deletes pods it records how many add/delete
 * events it expects to see, and does not act on that key again until its
 * informer has observed them (or they expire), so a lagging cache never makes
 * it create twice.
 */

/** How long an unmet expectation blocks a key before it is considered stale (upstream: 5 minutes). */
export const EXPECTATIONS_TIMEOUT_MS = 5 * 60 * 1000;

interface Expectation {
  add: number;
  /** UIDs (or keys) whose deletion is still expected. */
  del: Set<string>;
  at: number;
}

export class Expectations {
  private readonly items = new Map<string, Expectation>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Expects `n` creations for `key` (replacing any earlier expectation). */
  expectCreations(key: string, n: number): void {
    this.items.set(key, { add: n, del: new Set(), at: this.now() });
  }

  /** Expects the deletion of these uids for `key` (replacing any earlier expectation). */
  expectDeletions(key: string, uids: Iterable<string>): void {
    this.items.set(key, { add: 0, del: new Set(uids), at: this.now() });
  }

  /** A creation for `key` was observed (or will never happen, e.g. the create call failed). */
  creationObserved(key: string): void {
    const e = this.items.get(key);
    if (e && e.add > 0) e.add--;
  }

  /** The deletion of `uid` for `key` was observed (or failed). */
  deletionObserved(key: string, uid: string): void {
    this.items.get(key)?.del.delete(uid);
  }

  /** True when `key` has no pending expectations (or they are older than the timeout). */
  satisfied(key: string): boolean {
    const e = this.items.get(key);
    if (!e) return true;
    if (e.add <= 0 && e.del.size === 0) return true;
    return this.now() - e.at > EXPECTATIONS_TIMEOUT_MS;
  }

  /** Forgets `key` (its owner was deleted). */
  delete(key: string): void {
    this.items.delete(key);
  }
}
