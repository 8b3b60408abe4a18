/**
 * The current value of every live key, in memory and in key order: the read side of
 * both single-process backends. The memory store keeps nothing else; the SQLite store
 * keeps it beside the log so gets, counts and lists at the current revision never touch
 * SQL (values are the same immutable strings the API server receives, not copies).
 */
import type { KeyValue, WatchEvent } from './types.js';

/**
 * Live keys and their latest `KeyValue`, with prefix ranges in sorted order.
 * Stored `KeyValue`s are frozen.
 *
 * @example
 * const idx = new KeyIndex();
 * idx.set({ key: '/registry/core/pods/default/a', value: '{}', createRevision: 1, modRevision: 1 });
 * idx.page('/registry/core/pods/', undefined, 10, []); // { items: [that KeyValue], remaining: 0 }
 */
export class KeyIndex {
  readonly #values = new Map<string, KeyValue>();
  /**
   * Keys in sorted order (JavaScript string order) — possibly stale: keys deleted since the
   * last merge may linger, and keys inserted out of order wait in `#pending`. Writes stay
   * O(1) (inserting a random name into a sorted array of 20,000 keys shifts it on every
   * create); the first ordered read merges, in O(n + p log p).
   */
  #keys: string[] = [];
  #pending: string[] = [];
  #deleted = 0;

  /** Number of live keys. */
  get size(): number {
    return this.#values.size;
  }

  get(key: string): KeyValue | undefined {
    return this.#values.get(key);
  }

  /** Inserts or replaces `kv.key`; returns the frozen stored value. */
  set(kv: KeyValue): KeyValue {
    const frozen = Object.isFrozen(kv) ? kv : Object.freeze({ ...kv });
    if (!this.#values.has(kv.key)) {
      const keys = this.#keys;
      // Appending in key order is the common case (bulk loads, generated names): no merge needed.
      const last = keys[keys.length - 1];
      if (!this.#pending.length && !this.#deleted && (last === undefined || last < kv.key)) keys.push(kv.key);
      else this.#pending.push(kv.key);
    }
    this.#values.set(kv.key, frozen);
    return frozen;
  }

  /** Removes `key` if present. */
  delete(key: string): void {
    if (this.#values.delete(key)) this.#deleted++;
  }

  /** The sorted live keys, merging pending inserts and dropping deleted keys first. */
  #sorted(): string[] {
    if (!this.#pending.length && !this.#deleted) return this.#keys;
    const values = this.#values;
    const add = this.#pending.sort();
    const old = this.#keys;
    const out: string[] = [];
    let i = 0;
    let j = 0;
    let prev: string | undefined;
    while (i < old.length || j < add.length) {
      const a = old[i];
      const b = add[j];
      let k: string;
      if (b === undefined || (a !== undefined && a < b)) {
        k = a as string;
        i++;
      } else {
        k = b;
        j++;
      }
      // A key deleted and inserted again sits in both lists.
      if (k !== prev && values.has(k)) out.push(k);
      prev = k;
    }
    this.#keys = out;
    this.#pending = [];
    this.#deleted = 0;
    return out;
  }

  /** Number of keys starting with `prefix`. */
  count(prefix: string): number {
    const [lo, hi] = this.#range(prefix, undefined);
    return hi - lo;
  }

  /** Keys starting with `prefix`, sorted. */
  keys(prefix: string): string[] {
    const [lo, hi] = this.#range(prefix, undefined);
    return this.#sorted().slice(lo, hi);
  }

  /**
   * Up to `limit` values (Infinity = all) with keys starting with `prefix` and strictly after
   * `startAfter`, sorted by key, and how many more follow — as of the revision before `newer`,
   * the events since then (oldest first; other prefixes are skipped; [] = now). Costs
   * O(log n + limit + newer.length), so paging at a fixed revision stays cheap while writes go on.
   */
  page(prefix: string, startAfter: string | undefined, limit: number, newer: readonly WatchEvent[]): { items: KeyValue[]; remaining: number } {
    // Each changed key as it was before its oldest newer event (undefined: it did not exist).
    const before = new Map<string, KeyValue | undefined>();
    for (const ev of newer) {
      const k = ev.kv.key;
      if (before.has(k) || !k.startsWith(prefix) || (startAfter !== undefined && k <= startAfter)) continue;
      before.set(k, ev.type === 'create' ? undefined : ev.prev);
    }
    const keys = this.#sorted();
    const [lo, hi] = this.#range(prefix, startAfter);
    let total = hi - lo;
    const revived: string[] = [];
    for (const [k, kv] of before) {
      const live = this.#values.has(k);
      if (live && !kv) total--;
      if (!live && kv) revived.push(k);
    }
    revived.sort();
    total += revived.length;
    const items: KeyValue[] = [];
    let i = lo;
    let j = 0;
    while (items.length < limit && (i < hi || j < revived.length)) {
      const a = i < hi ? (keys[i] as string) : undefined;
      const b = revived[j];
      let k: string;
      if (b === undefined || (a !== undefined && a < b)) {
        k = a as string;
        i++;
      } else {
        k = b;
        j++;
      }
      const kv = before.has(k) ? before.get(k) : this.#values.get(k);
      if (kv) items.push(kv);
    }
    return { items, remaining: total - items.length };
  }

  /** Index range `[lo, hi)` of keys with `prefix`, after `startAfter`. */
  #range(prefix: string, startAfter: string | undefined): [number, number] {
    const keys = this.#sorted();
    let lo = firstIndex(keys, (k) => k < prefix);
    if (startAfter !== undefined) lo = Math.max(lo, firstIndex(keys, (k) => k <= startAfter));
    // Keys with the prefix form one contiguous run right after the keys below it.
    const hi = firstIndex(keys, (k) => k < prefix || k.startsWith(prefix));
    return [lo, Math.max(lo, hi)];
  }
}

/**
 * First index in sorted `arr` where `before` is false (`before` must hold for a prefix of `arr`).
 *
 * @example firstIndex(['a', 'b', 'c'], (k) => k < 'b') // 1
 */
export function firstIndex(arr: readonly string[], before: (k: string) => boolean): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(arr[mid] as string)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
