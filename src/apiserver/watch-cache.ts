/**
 * The watch cache: one store watch over `/registry/`, a ring of recent decoded
 * events, and an in-memory fan-out to every API watcher. This is the hot path
 * for watch fan-out: each store event is parsed once, indexed by resource
 * prefix, and each watcher's serialized line is cached per (event, encoding) so
 * a thousand watchers of the same resource cost one JSON.stringify each.
 */
import type { Store, WatchEvent, Watcher } from '../store/types.js';
import { gone } from '../api/errors.js';

/**
 * One change, decoded lazily: most watchers are unfiltered JSON watches, which
 * need only `raw` (the stored text with its resourceVersion spliced in), never
 * a parsed object.
 */
export class CachedEvent {
  /** Serialized watch lines, keyed by encoding name, shared by all watchers. */
  encoded?: Map<string, string>;
  private parsed?: KObject;
  private prevParsed?: KObject;
  private rawText?: string;

  constructor(
    readonly type: 'ADDED' | 'MODIFIED' | 'DELETED',
    /** Storage key of the object. */
    readonly key: string,
    readonly revision: number,
    private readonly value: string,
    private readonly prevValue?: string,
    private readonly prevRevision?: number,
  ) {}

  /** The object as stored, with `metadata.resourceVersion` = this event's revision. */
  get raw(): string {
    return (this.rawText ??= withResourceVersion(this.value, this.revision));
  }

  /** The parsed object (for DELETED: the last state, carrying the delete's revision). */
  get object(): KObject {
    return (this.parsed ??= decodeStored(this.value, this.revision));
  }

  /** The state before this change (MODIFIED and DELETED), for selector transitions. */
  get prevObject(): KObject | undefined {
    if (this.prevValue === undefined) return undefined;
    return (this.prevParsed ??= decodeStored(this.prevValue, this.prevRevision ?? this.revision));
  }

  get hasPrev(): boolean {
    return this.prevValue !== undefined;
  }
}

/** A Kubernetes object as plain JSON. */
export interface KObject {
  apiVersion?: string;
  kind?: string;
  metadata?: KMeta;
  [key: string]: unknown;
}

export interface KMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string | null;
  deletionTimestamp?: string | null;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: Array<Record<string, unknown>>;
  managedFields?: Array<Record<string, unknown>>;
  [key: string]: unknown;
}

/** One registered consumer of events under a key prefix. */
export interface CacheWatcher {
  prefix: string;
  /** Deliver only events with revision > afterRevision. */
  afterRevision: number;
  /** Called synchronously, in revision order. */
  onEvent(ev: CachedEvent): void;
  /** Called if the cache stops (store watch lost): the client must relist. */
  onClose?(): void;
}

const META = '"metadata":{';

/**
 * Splices `"resourceVersion":"<rev>"` into a stored value without parsing it.
 * The registry stores objects as `{"apiVersion":…,"kind":…,"metadata":{…},…}`
 * with no resourceVersion, so the first `"metadata":{` is the object's own.
 */
export function withResourceVersion(value: string, revision: number): string {
  const i = value.indexOf(META);
  if (i < 0 || i > 200) return JSON.stringify(decodeStored(value, revision));
  const at = i + META.length;
  const rv = `"resourceVersion":"${revision}"`;
  return value.slice(0, at) + (value[at] === '}' ? rv : `${rv},`) + value.slice(at);
}

/** Parses a stored value and stamps its resourceVersion. */
export function decodeStored(value: string, revision: number): KObject {
  const obj = JSON.parse(value) as KObject;
  obj.metadata ??= {};
  obj.metadata.resourceVersion = String(revision);
  return obj;
}

/**
 * Keeps at least the last `capacity` events (up to 1,024 more: trimmed in batches) and fans live ones out to watchers.
 * `start()` subscribes to the store from its current revision.
 */
export class WatchCache {
  private readonly ring: CachedEvent[] = [];
  /** Every event with a revision above this one is in the ring (or still to come). */
  private coveredFrom = 0;
  private readonly watchers = new Map<string, Set<CacheWatcher>>();
  private storeWatcher: Watcher | undefined;
  private latest = 0;
  private readonly waiters: Array<{ rev: number; resolve: () => void }> = [];

  constructor(
    private readonly store: Store,
    private readonly capacity = 20000,
  ) {}

  /** Subscribes to the store. Resolves once subscribed. */
  async start(): Promise<void> {
    this.latest = await this.store.currentRevision();
    this.coveredFrom = this.latest;
    this.storeWatcher = this.store.watch('/registry/', {
      afterRevision: this.latest,
      onEvents: (evs) => this.ingest(evs),
      onError: (err) => {
        // The store lost the watch: every API watcher must relist, as after a compaction.
        console.error(`watch cache: store watch failed: ${err.message}`);
        const all = [...this.watchers.values()].flatMap((set) => [...set]);
        this.watchers.clear();
        for (const w of all) w.onClose?.();
      },
    });
  }

  stop(): void {
    this.storeWatcher?.stop();
    this.storeWatcher = undefined;
  }

  /** The newest revision the cache has seen. */
  get revision(): number {
    return this.latest;
  }

  /** Resolves when the cache has seen `rev` (or immediately if it has). */
  waitFor(rev: number, timeoutMs = 3000): Promise<boolean> {
    if (this.latest >= rev) return Promise.resolve(true);
    return new Promise((resolve) => {
      const w = { rev, resolve: () => resolve(true) };
      this.waiters.push(w);
      setTimeout(() => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) {
          this.waiters.splice(i, 1);
          resolve(false);
        }
      }, timeoutMs).unref();
    });
  }

  private ingest(evs: WatchEvent[]): void {
    for (const ev of evs) {
      const ce = new CachedEvent(
        ev.type === 'create' ? 'ADDED' : ev.type === 'update' ? 'MODIFIED' : 'DELETED',
        ev.kv.key,
        ev.kv.modRevision,
        ev.kv.value,
        ev.prev?.value,
        ev.prev?.modRevision,
      );
      this.ring.push(ce);
      // Trim in batches: shifting a 20,000-entry array on every event would make each write O(capacity).
      if (this.ring.length > this.capacity + Math.min(1024, this.capacity >> 2)) {
        const drop = this.ring.length - this.capacity;
        const dropped = this.ring.splice(0, drop);
        this.coveredFrom = dropped[dropped.length - 1]!.revision;
      }
      this.latest = Math.max(this.latest, ce.revision);
      this.dispatch(ce);
    }
    if (this.waiters.length) {
      for (let i = this.waiters.length - 1; i >= 0; i--) {
        const w = this.waiters[i]!;
        if (w.rev <= this.latest) {
          this.waiters.splice(i, 1);
          w.resolve();
        }
      }
    }
  }

  private dispatch(ev: CachedEvent): void {
    // Watchers register under a resource prefix (`/registry/core/pods/`), possibly narrowed
    // by namespace; walk the prefix chain of the key once.
    const k = ev.key;
    let idx = 0;
    for (;;) {
      idx = k.indexOf('/', idx + 1);
      if (idx < 0) break;
      const set = this.watchers.get(k.slice(0, idx + 1));
      if (set) {
        for (const w of set) {
          if (ev.revision > w.afterRevision) {
            try {
              w.onEvent(ev);
            } catch (err) {
              console.error(`watch cache: watcher failed: ${(err as Error).message}`);
            }
          }
        }
      }
    }
  }

  /**
   * Registers a watcher. Events after `afterRevision` still in the ring are replayed
   * first; an `afterRevision` older than the ring → 410 Expired (the client relists).
   */
  add(w: CacheWatcher): () => void {
    if (w.afterRevision < this.coveredFrom) {
      throw gone(`too old resource version: ${w.afterRevision} (${this.coveredFrom + 1})`);
    }
    // The ring is in revision order: start the replay at the first newer event.
    let lo = 0;
    let hi = this.ring.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ring[mid]!.revision <= w.afterRevision) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.ring.length; i++) {
      const ev = this.ring[i]!;
      if (ev.key.startsWith(w.prefix)) w.onEvent(ev);
    }
    let set = this.watchers.get(w.prefix);
    if (!set) this.watchers.set(w.prefix, (set = new Set()));
    set.add(w);
    // After replay, live dispatch must only deliver newer events.
    w.afterRevision = Math.max(w.afterRevision, this.latest);
    return () => {
      set.delete(w);
      if (set.size === 0) this.watchers.delete(w.prefix);
    };
  }

  /** Number of registered watchers (for metrics). */
  watcherCount(): number {
    let n = 0;
    for (const s of this.watchers.values()) n += s.size;
    return n;
  }
}
