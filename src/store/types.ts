/**
 * The storage contract every backend (memory, SQLite, etcd) implements — kine's
 * shape: keys, opaque string values, one global monotonically increasing
 * revision, compare-and-swap on a key's modification revision, list at a
 * consistent revision with paging, watch from a revision, and compaction that
 * makes older revisions answer 410 Gone.
 *
 * Keys look like `/registry/<group>/<resource>/<namespace>/<name>`; the store does
 * not interpret them beyond prefix matching. Values are opaque (JSON text from the
 * API server); the store never parses them.
 *
 * Errors are `ApiError`s from `../api/errors.ts` with these reasons:
 * - create on an existing key → `AlreadyExists` (use `StoreError.keyExists`)
 * - update/delete on a missing key → `NotFound`
 * - update/delete with a stale expected revision → `Conflict`
 * - list/watch at a compacted revision → `Expired` (HTTP 410)
 */

/** One stored key at one revision. */
export interface KeyValue {
  key: string;
  value: string;
  /** Revision of the write that created the key (etcd's create_revision). */
  createRevision: number;
  /** Revision of the last write to the key (etcd's mod_revision); the object's resourceVersion. */
  modRevision: number;
}

export interface ListOptions {
  /**
   * Read at this revision (a consistent snapshot). 0 or absent = the current revision.
   * A revision older than the compacted revision → `Expired` (410).
   * A revision newer than the current one → wait up to 3 s for it, then throw
   * `ApiError('Timeout', 'Too large resource version: <rev>, current: <cur>')` (504), as upstream.
   */
  revision?: number;
  /** At most this many items (0/absent = all). */
  limit?: number;
  /** Start strictly after this key (the last key of the previous page). */
  startAfter?: string;
}

export interface ListResult {
  items: KeyValue[];
  /** The revision the list was read at; pass it back with `startAfter` for the next page. */
  revision: number;
  /** True when more items exist after the last returned one. */
  more: boolean;
  /** Number of items remaining after this page (when `more`). */
  remaining?: number;
}

export type WatchEventType = 'create' | 'update' | 'delete';

/** One change. For `delete`, `kv.value` is the last value before deletion and `kv.modRevision` the delete's revision. */
export interface WatchEvent {
  type: WatchEventType;
  kv: KeyValue;
  /** The value before this change (update and delete). */
  prev?: KeyValue;
}

/** Handle returned by `watch`; `stop()` is idempotent. */
export interface Watcher {
  stop(): void;
}

export interface WatchOptions {
  /** Deliver every event with revision > `afterRevision`. */
  afterRevision: number;
  /** Called with batches of events in revision order. Must not throw. */
  onEvents: (events: WatchEvent[]) => void;
  /** Called once if the watch cannot continue (e.g. backend lost); no events follow. */
  onError?: (err: Error) => void;
}

/** The revisioned key-value store. All methods are safe to call concurrently. */
export interface Store {
  /** Backend name, e.g. `memory`, `sqlite`, `etcd`. */
  readonly kind: string;

  /** The latest revision (0 for an empty store). */
  currentRevision(): Promise<number>;

  /** The oldest revision still readable; older ones answer 410. */
  compactedRevision(): Promise<number>;

  /** Creates `key`; returns the new revision. Throws `AlreadyExists` if the key exists. */
  create(key: string, value: string): Promise<number>;

  /** The current value of `key`, or undefined. */
  get(key: string): Promise<KeyValue | undefined>;

  /** Keys starting with `prefix`, sorted by key, at one consistent revision. */
  list(prefix: string, opts?: ListOptions): Promise<ListResult>;

  /** Number of keys with this prefix at the current revision. */
  count(prefix: string): Promise<number>;

  /**
   * Replaces `key` if its modRevision equals `expectedRevision`; returns the new revision.
   * Throws `NotFound` if the key is missing, `Conflict` if the revision differs.
   */
  update(key: string, value: string, expectedRevision: number): Promise<number>;

  /**
   * Deletes `key` (only if its modRevision equals `expectedRevision`, when given).
   * Returns the deleted value with `modRevision` = the revision of the delete.
   */
  delete(key: string, expectedRevision?: number): Promise<KeyValue>;

  /**
   * Watches keys starting with `prefix`, delivering every change after `afterRevision`
   * in order, then live changes. Throws `Expired` (410) if `afterRevision` is older
   * than the compacted revision.
   */
  watch(prefix: string, opts: WatchOptions): Watcher;

  /** Discards history at or below `revision` (current values stay). */
  compact(revision: number): Promise<void>;

  /** Flushes and releases resources. */
  close(): Promise<void>;
}
