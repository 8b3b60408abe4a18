/**
 * The embedded default store, kine-style on one SQLite file. The `log` table is the
 * truth: each row is one revision (its id) of one key, with created/deleted flags, the
 * key's create revision, the id of the row it supersedes and the value (a delete row
 * keeps the last value); an index on (key, id) serves lists at an older revision (per
 * key, the newest row at or below it) and watch replay. The latest row of every live key
 * is also held in memory (`KeyIndex`, rebuilt from the log on open), so gets, counts and
 * lists at the current revision never touch SQL, and a write is one INSERT. WAL with
 * synchronous=NORMAL makes every acknowledged write survive a crash of the process (not
 * of the machine; pass `synchronous: 'FULL'` for that). One process owns the file:
 * revisions are assigned in memory and watches are fed in process after each commit.
 */
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { DEFAULT_FUTURE_REVISION_TIMEOUT_MS, DEFAULT_RETAIN_REVISIONS } from './defaults.js';
import { StoreError } from './errors.js';
import { KeyIndex } from './key-index.js';
import type { KeyValue, ListOptions, ListResult, Store, WatchEvent, WatchOptions, Watcher } from './types.js';
import { WatchHub } from './watch-hub.js';

/** Tuning for `SqliteStore`. */
export interface SqliteStoreOptions {
  /** Revisions of history kept by auto-compaction; 0 turns it off. Default 10,000. */
  retainRevisions?: number;
  /** How long a list at a future revision waits before `Timeout`. Default 3,000 ms. */
  futureRevisionTimeoutMs?: number;
  /** `NORMAL` (default) survives process crashes; `FULL` also survives power loss, at a cost per write. */
  synchronous?: 'NORMAL' | 'FULL';
  /**
   * A list at most this many revisions old is answered from memory plus the newer log rows;
   * an older one by a scan of the log. Default 10,000 (0 always scans).
   */
  maxUndoRevisions?: number;
}

const SCHEMA_VERSION = 1;
/** Revisions compacted per transaction, so compaction never blocks the event loop for long. */
const COMPACT_BATCH = 1_000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  key TEXT NOT NULL,
  created INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  create_revision INTEGER NOT NULL,
  prev_revision INTEGER NOT NULL,
  value TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS log_key_id ON log (key, id);
CREATE TABLE IF NOT EXISTS meta (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
`;

/** A log row as selected for watch replay: id, key, created, deleted, create_revision, prev_revision, value, prev value. */
type LogRow = [number, string, number, number, number, number, string, string | null];
/** A live row as selected for lists: key, create_revision, id, value. */
type KvRow = [string, number, number, string];

/**
 * A `Store` on one SQLite file (created with mode 0600, its directory with 0700).
 * Returned `KeyValue`s are frozen and shared: treat them as read-only.
 * The file is locked exclusively while open: a second opener fails with a clear Error.
 *
 * @example
 * const store = await SqliteStore.open('/var/lib/skiff/skiff.db');
 * const rev = await store.create('/registry/core/services/default/web', '{}');
 * await store.close();
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  /** The database file path. */
  readonly path: string;
  readonly #db: Database.Database;
  readonly #retain: number;
  readonly #futureTimeoutMs: number;
  readonly #maxUndo: number;
  readonly #hub: WatchHub;
  readonly #statements = new Map<string, Database.Statement>();
  readonly #current = new KeyIndex();
  #revision: number;
  #compacted: number;
  #closed = false;
  #autoCompacting = false;
  /** The newest revision committed and handed to watchers. */
  #published = 0;
  /** Writes applied in memory and logged in the open transaction, waiting for its commit. */
  #batch: Array<{ ev: WatchEvent; resolve: () => void; reject: (err: unknown) => void }> = [];

  /** Opens (creating if needed) the database at `path`; `':memory:'` gives a throwaway database. */
  constructor(path: string, opts: SqliteStoreOptions = {}) {
    this.path = path;
    this.#retain = opts.retainRevisions ?? DEFAULT_RETAIN_REVISIONS;
    this.#futureTimeoutMs = opts.futureRevisionTimeoutMs ?? DEFAULT_FUTURE_REVISION_TIMEOUT_MS;
    this.#maxUndo = opts.maxUndoRevisions ?? 10_000;
    if (path !== ':memory:') createPrivateFile(path);
    this.#db = new Database(path, { timeout: 1_000 });
    try {
      // Revisions are assigned in this process, so it must be the only one with the file open; an
      // exclusive lock (held until close, released by the OS if the process dies) makes sure.
      this.#db.pragma('locking_mode = EXCLUSIVE');
      const mode = this.#db.pragma('journal_mode = WAL', { simple: true });
      if (path !== ':memory:' && mode !== 'wal') throw new Error(`${path}: SQLite cannot use WAL mode here (got ${String(mode)})`);
      this.#db.exec('BEGIN EXCLUSIVE; COMMIT');
      this.#db.pragma(`synchronous = ${opts.synchronous === 'FULL' ? 'FULL' : 'NORMAL'}`);
      // Checkpoints (with their fsyncs) dominate the cost of small writes: take them every ~40 MB of
      // WAL instead of every 4 MB, and trim the WAL file back afterwards.
      this.#db.pragma('wal_autocheckpoint = 10000');
      this.#db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
      this.#db.pragma(`cache_size = ${-64 * 1024}`);
      this.#db.exec(SCHEMA);
      const version = this.#meta('schema_version');
      if (version === undefined) this.#setMeta('schema_version', SCHEMA_VERSION);
      else if (version !== SCHEMA_VERSION) {
        throw new Error(`${path}: store schema version ${version} is not supported (this skiff reads version ${SCHEMA_VERSION})`);
      }
      // AUTOINCREMENT's sequence remembers the highest revision ever used, even when compaction deleted its row.
      const seq = this.#db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'log'").pluck().get() as number | undefined;
      const maxId = this.#db.prepare('SELECT MAX(id) FROM log').pluck().get() as number | null;
      this.#revision = Math.max(seq ?? 0, maxId ?? 0);
      this.#compacted = this.#meta('compact_revision') ?? 0;
      const live = this.#db
        .prepare('SELECT key, create_revision, id, value FROM (SELECT key, MAX(id) AS id, deleted, create_revision, value FROM log GROUP BY key) WHERE deleted = 0')
        .raw(true)
        .all() as KvRow[];
      for (const row of live) this.#current.set(toKeyValue(row));
    } catch (err) {
      this.#db.close();
      if ((err as { code?: unknown }).code === 'SQLITE_BUSY') {
        throw new Error(`${path} is in use by another skiff process (or another store in this one); only one may open it`);
      }
      throw err;
    }
    this.#hub = new WatchHub(this.#revision);
    this.#published = this.#revision;
  }

  /**
   * Opens the store at `path`; same as the constructor, as a promise for symmetry with
   * backends that connect asynchronously.
   */
  static async open(path: string, opts: SqliteStoreOptions = {}): Promise<SqliteStore> {
    return new SqliteStore(path, opts);
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
    this.#insertLog(rev, key, 1, 0, rev, 0, value);
    await this.#committed({ type: 'create', kv: Object.freeze({ key, value, createRevision: rev, modRevision: rev }) });
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
    this.#insertLog(rev, key, 0, 0, prev.createRevision, prev.modRevision, value);
    await this.#committed({ type: 'update', kv: Object.freeze({ key, value, createRevision: prev.createRevision, modRevision: rev }), prev });
    return rev;
  }

  async delete(key: string, expectedRevision?: number): Promise<KeyValue> {
    this.#checkOpen();
    const prev = this.#current.get(key);
    if (!prev) throw StoreError.keyNotFound(key);
    if (expectedRevision !== undefined && prev.modRevision !== expectedRevision) throw StoreError.staleRevision(key);
    const rev = this.#revision + 1;
    this.#insertLog(rev, key, 0, 1, prev.createRevision, prev.modRevision, prev.value);
    const kv: KeyValue = Object.freeze({ key, value: prev.value, createRevision: prev.createRevision, modRevision: rev });
    await this.#committed({ type: 'delete', kv, prev });
    return kv;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.#checkOpen();
    const wanted = opts.revision ?? 0;
    if (wanted > this.#revision && !(await this.#hub.waitFor(wanted, this.#futureTimeoutMs))) {
      this.#checkOpen();
      throw StoreError.futureRevision(wanted, this.#revision);
    }
    // From here on everything is synchronous, so the revision checked is the revision read.
    this.#checkOpen();
    const revision = wanted > 0 ? wanted : this.#revision;
    if (revision < this.#compacted) throw StoreError.compacted(revision, this.#compacted);
    if (this.#revision - revision <= this.#maxUndo) {
      const newer = revision === this.#revision ? [] : this.#eventsAfter(revision, prefix);
      const { items, remaining } = this.#current.page(prefix, opts.startAfter, opts.limit && opts.limit > 0 ? opts.limit : Infinity, newer);
      return remaining > 0 ? { items, revision, more: true, remaining } : { items, revision, more: false };
    }
    const limit = opts.limit && opts.limit > 0 ? opts.limit : -1;
    const end = prefixEnd(prefix);
    const after = opts.startAfter !== undefined && opts.startAfter >= prefix;
    const lower = after ? (opts.startAfter as string) : prefix;
    const lowerOp = after ? '>' : '>=';
    const rows = this.#stmt(
      `SELECT key, create_revision, id, value FROM (
         SELECT key, MAX(id) AS id, deleted, create_revision, value FROM log
         WHERE key ${lowerOp} ? AND key < ? AND id <= ? GROUP BY key)
       WHERE deleted = 0 ORDER BY key LIMIT ?`,
      true,
    ).all(lower, end, revision, limit < 0 ? -1 : limit + 1) as KvRow[];
    const more = limit >= 0 && rows.length > limit;
    if (more) rows.length = limit;
    const items = rows.map(toKeyValue);
    if (!more) return { items, revision, more: false };
    const last = (items[items.length - 1] as KeyValue).key;
    const remaining = this.#stmt(
      `SELECT COUNT(*) FROM (SELECT MAX(id), deleted FROM log WHERE key > ? AND key < ? AND id <= ? GROUP BY key)
       WHERE deleted = 0`,
      false,
      true,
    ).get(last, end, revision) as number;
    return { items, revision, more: true, remaining };
  }

  async count(prefix: string): Promise<number> {
    this.#checkOpen();
    return this.#current.count(prefix);
  }

  watch(prefix: string, opts: WatchOptions): Watcher {
    this.#checkOpen();
    if (opts.afterRevision < this.#compacted) throw StoreError.compacted(opts.afterRevision, this.#compacted);
    // The backlog stops at the last published commit: writes still in the open transaction reach
    // the watcher when they commit. Same synchronous step: no commit falls between the two.
    const published = this.#published;
    const backlog = opts.afterRevision < published ? this.#eventsAfter(opts.afterRevision, prefix).filter((ev) => ev.kv.modRevision <= published) : [];
    return this.#hub.subscribe(prefix, backlog, opts);
  }

  async compact(revision: number): Promise<void> {
    this.#checkOpen();
    if (revision > this.#revision) throw StoreError.compactFuture(revision, this.#revision);
    while (!this.#closed && this.#compacted < revision) {
      const from = this.#compacted;
      const to = Math.min(revision, from + COMPACT_BATCH);
      this.#db.transaction(() => {
        // Every row a revision in (from, to] supersedes is history nobody can read any more…
        this.#stmt('DELETE FROM log WHERE id IN (SELECT prev_revision FROM log WHERE id > ? AND id <= ? AND prev_revision > 0)').run(from, to);
        // …and so is every delete marker at or below `to`: the rows it superseded are gone too.
        this.#stmt('DELETE FROM log WHERE id > ? AND id <= ? AND deleted = 1').run(from, to);
        this.#setMeta('compact_revision', to);
      })();
      this.#compacted = to;
      if (to < revision) await nextTurn();
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    // Writes of this turn are committed (and acknowledged) before the file closes.
    if (this.#batch.length || this.#db.inTransaction) this.#commitBatch();
    if (this.#closed) return;
    this.#closed = true;
    this.#hub.closeAll(StoreError.closed(this.kind));
    this.#statements.clear();
    this.#db.close();
  }

  #checkOpen(): void {
    if (this.#closed) throw StoreError.closed(this.kind);
  }

  /** Prepared statements, cached by text; `raw` rows come back as arrays, `pluck` as the first column. */
  #stmt(sql: string, raw = false, pluck = false): Database.Statement {
    const id = `${raw ? 'r' : ''}${pluck ? 'p' : ''}:${sql}`;
    let s = this.#statements.get(id);
    if (!s) {
      s = this.#db.prepare(sql);
      if (raw) s.raw(true);
      if (pluck) s.pluck(true);
      this.#statements.set(id, s);
    }
    return s;
  }

  /**
   * The events after `revision` under `prefix`, oldest first, read back from the log. The
   * `+` keeps SQLite on the id range: its cost then follows the revisions asked for (bounded
   * by retention), not the number of keys under the prefix.
   */
  #eventsAfter(revision: number, prefix: string): WatchEvent[] {
    const rows = this.#stmt(
      `SELECT l.id, l.key, l.created, l.deleted, l.create_revision, l.prev_revision, l.value, p.value
       FROM log l LEFT JOIN log p ON p.id = l.prev_revision
       WHERE l.id > ? AND +l.key >= ? AND +l.key < ? ORDER BY l.id`,
      true,
    ).all(revision, prefix, prefixEnd(prefix)) as LogRow[];
    return rows.map(toEvent);
  }

  #insertLog(id: number, key: string, created: number, deleted: number, createRevision: number, prevRevision: number, value: string): void {
    this.#begin();
    this.#stmt('INSERT INTO log (id, key, created, deleted, create_revision, prev_revision, value) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
      id,
      key,
      created,
      deleted,
      createRevision,
      prevRevision,
      value,
    );
  }

  /** Brings memory up to a write SQLite has committed, and tells the watchers. */
  /**
   * Applies a logged write to the in-memory state at once (so the next write's
   * compare-and-swap sees it) and resolves once its transaction is committed.
   * Writes arriving in the same turn of the event loop share one transaction —
   * group commit: one WAL append instead of one per write. Watchers hear of a
   * write only after its commit, and no write is acknowledged before it.
   */
  #committed(ev: WatchEvent): Promise<void> {
    this.#revision = ev.kv.modRevision;
    if (ev.type === 'delete') this.#current.delete(ev.kv.key);
    else this.#current.set(ev.kv);
    return new Promise((resolve, reject) => this.#batch.push({ ev, resolve, reject }));
  }

  /** Opens the shared transaction of this turn (before its first row is written). */
  #begin(): void {
    if (this.#db.inTransaction) return;
    this.#db.exec('BEGIN');
    setImmediate(() => this.#commitBatch());
  }

  #commitBatch(): void {
    const batch = this.#batch;
    this.#batch = [];
    if (this.#closed) return;
    try {
      if (this.#db.inTransaction) this.#db.exec('COMMIT');
    } catch (err) {
      // The memory state ran ahead of a transaction that did not commit: nothing can be trusted
      // any more, so the store closes (its owner restarts from the file) rather than serve it.
      for (const w of batch) w.reject(err);
      void this.close();
      return;
    }
    this.#hub.publish(batch.map((w) => w.ev));
    this.#published = this.#revision;
    for (const w of batch) w.resolve();
    if (this.#retain > 0 && !this.#autoCompacting && this.#revision - this.#compacted > this.#retain + Math.ceil(this.#retain / 10)) {
      this.#autoCompacting = true;
      setImmediate(() => {
        // A failed or interrupted auto-compaction is simply retried after a later write.
        this.compact(this.#revision - this.#retain)
          .catch(() => undefined)
          .finally(() => {
            this.#autoCompacting = false;
          });
      });
    }
  }


  #meta(name: string): number | undefined {
    return this.#db.prepare('SELECT value FROM meta WHERE name = ?').pluck().get(name) as number | undefined;
  }

  #setMeta(name: string, value: number): void {
    this.#stmt('INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value').run(name, value);
  }
}

/** Creates `path` (mode 0600) and its directory (0700) unless they exist. */
function createPrivateFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

/**
 * The smallest string above every key that starts with `prefix`, in SQLite's
 * byte (code point) order: the last code point plus one.
 */
function prefixEnd(prefix: string): string {
  const cps = [...prefix];
  while (cps.length > 0) {
    const last = (cps.pop() as string).codePointAt(0) as number;
    if (last < 0x10ffff) {
      const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
      return cps.join('') + String.fromCodePoint(next);
    }
  }
  // Empty prefix (or all U+10FFFF): above every key that does not start with U+10FFFF twice.
  return '\u{10FFFF}\u{10FFFF}';
}

function toKeyValue(row: KvRow): KeyValue {
  return { key: row[0], value: row[3], createRevision: row[1], modRevision: row[2] };
}

function toEvent(row: LogRow): WatchEvent {
  const [id, key, created, deleted, createRevision, prevRevision, value, prevValue] = row;
  const kv: KeyValue = { key, value, createRevision, modRevision: id };
  if (created === 1) return { type: 'create', kv };
  if (deleted === 1) return { type: 'delete', kv, prev: { key, value, createRevision, modRevision: prevRevision } };
  const ev: WatchEvent = { type: 'update', kv };
  if (prevValue !== null) ev.prev = { key, value: prevValue, createRevision, modRevision: prevRevision };
  return ev;
}
