/**
 * Defaults shared by every store backend, so that memory, SQLite and etcd
 * behave alike unless told otherwise.
 */

/** Revisions of history a store keeps before auto-compaction discards older ones: 10,000. */
export const DEFAULT_RETAIN_REVISIONS = 10_000;

/** How long a list at a future revision waits before `Timeout`: 3,000 ms, as kube-apiserver. */
export const DEFAULT_FUTURE_REVISION_TIMEOUT_MS = 3_000;
