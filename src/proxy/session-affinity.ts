/**
 * ClientIP session affinity (`sessionAffinity: ClientIP`), as upstream's
 * userspace load balancer and the iptables `recent` match keep it: the backend a
 * client address last used, remembered until `timeoutSeconds` pass without a new
 * connection from that client (each new connection renews it).
 */

interface Entry {
  key: string;
  last: number;
}

/**
 * Client address → backend key with an idle timeout. Time is passed in, so the
 * table is pure and tests need no clock.
 *
 * @example
 * const t = new AffinityTable(10800 * 1000);
 * t.record('127.0.0.1', '127.128.0.2:80', now);
 * t.lookup('127.0.0.1', now + 1000); // '127.128.0.2:80'
 */
export class AffinityTable {
  private readonly entries = new Map<string, Entry>();

  /** `timeoutMs`: how long an unused entry stays valid (`timeoutSeconds` × 1000). */
  constructor(readonly timeoutMs: number) {}

  /** The backend key remembered for `client` if still fresh; a stale entry is forgotten. */
  lookup(client: string, now: number): string | undefined {
    const e = this.entries.get(client);
    if (!e) return undefined;
    if (now - e.last >= this.timeoutMs) {
      this.entries.delete(client);
      return undefined;
    }
    return e.key;
  }

  /** Remembers (or renews) `client` → `key` as of `now`. */
  record(client: string, key: string, now: number): void {
    const e = this.entries.get(client);
    if (e) {
      e.key = key;
      e.last = now;
    } else this.entries.set(client, { key, last: now });
  }

  /** Forgets `client` (after its backend failed, as upstream resets affinity on retry). */
  forget(client: string): void {
    this.entries.delete(client);
  }

  /** Drops entries idle for the timeout or pointing at a backend no longer listed. */
  sweep(now: number, listed?: (key: string) => boolean): void {
    for (const [client, e] of this.entries) {
      if (now - e.last >= this.timeoutMs || (listed && !listed(e.key))) this.entries.delete(client);
    }
  }

  /** Number of remembered clients. */
  get size(): number {
    return this.entries.size;
  }
}
