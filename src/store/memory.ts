/**
 * The in-memory store: for tests and simulations. Current values live in a `KeyIndex`
 * (sorted keys); history is a log with one event per revision, which serves watches
 * from a past revision and lists at an older revision (the index with the newer events
 * undone). Auto-compaction keeps the last `retainRevisions` revisions so memory stays
 * bounded however long the process runs.
 */
import { DEFAULT_FUTURE_REVISION_TIMEOUT_MS, DEFAULT_RETAIN_REVISIONS } from './defaults.js';
import { StoreError } from './errors.js';
import { KeyIndex } from './key-index.js';
import type { KeyValue, ListOptions, ListResult, Store, WatchEvent, WatchOptions, Watcher } from './types.js';
import { WatchHub } from './watch-hub.js';

/** Tuning for `MemoryStore`. */
export interface MemoryStoreOptions {
  /** Revisions of history kept by auto-compaction; 0 turns it off. Default 10,000. */
  retainRevisions?: number;
  /** How long a list at a future revision waits before `Timeout`. Default 3,000 ms. */
  futureRevisionTimeoutMs?: number;
}

/**
 * A `Store` held in process memory; everything is lost on exit. Returned
 * `KeyValue`s and events are frozen and shared: treat them as read-only.
 *
 * @example
 * const store = new MemoryStore({ retainRevisions: 1000 });
 * const rev = await store.create('/registry/core/services/default/web', '{}');
 * await store.update('/registry/core/services/default/web', '{"a":1}', rev);
 */
export class MemoryStore implements Store {
  readonly kind = 'memory';
  readonly #retain: number;
  readonly #futureTimeoutMs: number;
  readonly #current = new KeyIndex();
  /** History: `#log[i]` is the event of revision `#compacted + 1 + i`. */
  #log: WatchEvent[] = [];
  #revision = 0;
  #compacted = 0;
  #closed = false;
  readonly #hub = new WatchHub(0);

  constructor(opts: MemoryStoreOptions = {}) {
    this.#retain = opts.retainRevisions ?? DEFAULT_RETAIN_REVISIONS;
    this.#futureTimeoutMs = opts.futureRevisionTimeoutMs ?? DEFAULT_FUTURE_REVISION_TIMEOUT_MS;
  }

  async currentRevision(): Promise<number> {
    this.#checkOpen();
    return this.#revision;
  }

  async compactedRevision(): Promise<number> {
    this.#checkOpen();
    return this.#compacted;
  }

  async create(key: string, value: string): Promise<number> {
    this.#checkOpen();
    if (this.#current.get(key)) throw StoreError.keyExists(key);
    const rev = this.#revision + 1;
    const kv: KeyValue = Object.freeze({ key, value, createRevision: rev, modRevision: rev });
    this.#commit(Object.freeze({ type: 'create', kv }));
    return rev;
  }

  async get(key: string): Promise<KeyValue | undefined> {
    this.#checkOpen();
    return this.#current.get(key);
  }

  async update(key: string, value: string, expectedRevision: number): Promise<number> {
    this.#checkOpen();
    const prev = this.#current.get(key);
    if (!prev) throw StoreError.keyNotFound(key);
    if (prev.modRevision !== expectedRevision) throw StoreError.staleRevision(key);
    const rev = this.#revision + 1;
    const kv: KeyValue = Object.freeze({ key, value, createRevision: prev.createRevision, modRevision: rev });
    this.#commit(Object.freeze({ type: 'update', kv, prev }));
    return rev;
  }

  async delete(key: string, expectedRevision?: number): Promise<KeyValue> {
    this.#checkOpen();
    const prev = this.#current.get(key);
    if (!prev) throw StoreError.keyNotFound(key);
    if (expectedRevision !== undefined && prev.modRevision !== expectedRevision) throw StoreError.staleRevision(key);
    const rev = this.#revision + 1;
    const kv: KeyValue = Object.freeze({ key, value: prev.value, createRevision: prev.createRevision, modRevision: rev });
    this.#commit(Object.freeze({ type: 'delete', kv, prev }));
    return kv;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.#checkOpen();
    const wanted = opts.revision ?? 0;
    if (wanted > this.#revision && !(await this.#hub.waitFor(wanted, this.#futureTimeoutMs))) {
      this.#checkOpen();
      throw StoreError.futureRevision(wanted, this.#revision);
    }
    this.#checkOpen();
    const revision = wanted > 0 ? wanted : this.#revision;
    if (revision < this.#compacted) throw StoreError.compacted(revision, this.#compacted);
    const limit = opts.limit && opts.limit > 0 ? opts.limit : Infinity;
    // The log holds exactly the events after `revision` from this index on ([] at the current revision).
    const newer = this.#log.slice(revision - this.#compacted);
    const { items, remaining } = this.#current.page(prefix, opts.startAfter, limit, newer);
    return remaining > 0 ? { items, revision, more: true, remaining } : { items, revision, more: false };
  }

  async count(prefix: string): Promise<number> {
    this.#checkOpen();
    return this.#current.count(prefix);
  }

  watch(prefix: string, opts: WatchOptions): Watcher {
    this.#checkOpen();
    if (opts.afterRevision < this.#compacted) throw StoreError.compacted(opts.afterRevision, this.#compacted);
    const from = Math.max(0, opts.afterRevision - this.#compacted);
    const backlog = from < this.#log.length ? this.#log.slice(from).filter((ev) => ev.kv.key.startsWith(prefix)) : [];
    return this.#hub.subscribe(prefix, backlog, opts);
  }

  async compact(revision: number): Promise<void> {
    this.#checkOpen();
    if (revision > this.#revision) throw StoreError.compactFuture(revision, this.#revision);
    this.#compactTo(revision);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#hub.closeAll(StoreError.closed(this.kind));
  }

  #checkOpen(): void {
    if (this.#closed) throw StoreError.closed(this.kind);
  }

  #commit(ev: WatchEvent): void {
    this.#revision = ev.kv.modRevision;
    if (ev.type === 'delete') this.#current.delete(ev.kv.key);
    else this.#current.set(ev.kv);
    this.#log.push(ev);
    this.#hub.publish([ev]);
    // Compact in slices of a tenth of the retained window so trimming the log costs O(1) per write on average.
    if (this.#retain > 0 && this.#revision - this.#compacted > this.#retain + Math.ceil(this.#retain / 10)) {
      this.#compactTo(this.#revision - this.#retain);
    }
  }

  #compactTo(revision: number): void {
    if (revision <= this.#compacted) return;
    this.#log = this.#log.slice(revision - this.#compacted);
    this.#compacted = revision;
  }
}
