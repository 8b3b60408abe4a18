/**
 * The storage layer: the revisioned key-value `Store` contract (kine's shape: keys,
 * opaque values, one global revision, compare-and-swap, list at a revision, watch from
 * a revision, compaction with 410 Gone), its backends (memory, SQLite), the shared
 * contract test suite every backend passes, and `openStore` to choose one by URL.
 * Code here may import only from `../api/` (for `ApiError`); the API server builds on it.
 */
export type { KeyValue, ListOptions, ListResult, Store, WatchEvent, WatchEventType, WatchOptions, Watcher } from './types.js';
export { DEFAULT_FUTURE_REVISION_TIMEOUT_MS, DEFAULT_RETAIN_REVISIONS } from './defaults.js';
export { StoreError, keyParts, type KeyParts } from './errors.js';
export { MemoryStore, type MemoryStoreOptions } from './memory.js';
export { SqliteStore, type SqliteStoreOptions } from './sqlite.js';
export { openStore, SUPPORTED_STORE_URLS } from './open-store.js';
export { benchStore, type StoreBenchResult } from './bench.js';
