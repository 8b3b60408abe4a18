/**
 * The current value of every live key, in memory and in key order: the read side of
 * both single-process backends. The memory store keeps nothing else; the SQLite store
 * keeps it beside the log so gets, counts and lists at the current revision never touch
 * SQL (values are the same immutable strings the API server receives, not copies).
 */
import type { KeyValue } from './types.js';

/**
 * Live keys and their latest `KeyValue`, with prefix ranges in sorted order.
 * Stored `KeyValue`s are frozen.
 *
 * @example
 * const idx = new KeyIndex();
 * idx.set({ key: '/registry/core/pods/default/a', value: '{}', createRevision: 1, modRevision: 1 });
 * idx.page('/registry/core/pods/', undefined, 10); // { items: [that KeyValue], remaining: 0 }
 */
export class KeyIndex {
  readonly #values = new Map<string, KeyValue>();
  /** Every key in `#values`, sorted (JavaScript string order). */
  readonly #keys: string[] = [];

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
      // Appending in key order is the common case (bulk loads, generated names): skip the search.
      const last = keys[keys.length - 1];
      if (last === undefined || last < kv.key) keys.push(kv.key);
      else keys.splice(firstIndex(keys, (k) => k < kv.key), 0, kv.key);
    }
    this.#values.set(kv.key, frozen);
    return frozen;
  }

  /** Removes `key` if present. */
  delete(key: string): void {
    if (!this.#values.delete(key)) return;
    this.#keys.splice(firstIndex(this.#keys, (k) => k < key), 1);
  }

  /** Number of keys starting with `prefix`. */
  count(prefix: string): number {
    const [lo, hi] = this.#range(prefix, undefined);
    return hi - lo;
  }

  /** Keys starting with `prefix`, sorted. */
  keys(prefix: string): string[] {
    const [lo, hi] = this.#range(prefix, undefined);
    return this.#keys.slice(lo, hi);
  }

  /**
   * Up to `limit` values (Infinity = all) with keys starting with `prefix` and strictly after
   * `startAfter`, sorted by key, and how many more follow.
   */
  page(prefix: string, startAfter: string | undefined, limit: number): { items: KeyValue[]; remaining: number } {
    const [lo, hi] = this.#range(prefix, startAfter);
    const end = Math.min(hi, lo + limit);
    const items: KeyValue[] = new Array(end - lo);
    for (let i = lo; i < end; i++) items[i - lo] = this.#values.get(this.#keys[i] as string) as KeyValue;
    return { items, remaining: hi - end };
  }

  /** Index range `[lo, hi)` of keys with `prefix`, after `startAfter`. */
  #range(prefix: string, startAfter: string | undefined): [number, number] {
    let lo = firstIndex(this.#keys, (k) => k < prefix);
    if (startAfter !== undefined) lo = Math.max(lo, firstIndex(this.#keys, (k) => k <= startAfter));
    // Keys with the prefix form one contiguous run right after the keys below it.
    const hi = firstIndex(this.#keys, (k) => k < prefix || k.startsWith(prefix));
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
