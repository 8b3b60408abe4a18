/**
 * Shared informers, as client-go's `tools/cache` Reflector + SharedIndexInformer:
 * list (paged) then watch from the list's resourceVersion, keep an {@link Indexer}
 * current, and tell handlers about every add, update and delete. A `410 Gone`
 * watch triggers a relist whose diff against the cache reports what the gap hid,
 * including deletions (as {@link DeletedFinalStateUnknown}).
 */
import { ApiError } from '../api/errors.js';
import type { ResourceInfo } from '../api/resources.js';
import { realClock, sleep, type Clock } from './clock.js';
import type { Client, KubeObject, ResourceClient, WatchEvent } from './client.js';
import { byNamespace, byNodeName, byOwnerUID, Indexer, keyOf, type IndexFunc } from './indexer.js';
import { errorMessage, silentLogger, type Logger } from './logger.js';

/**
 * Handed to `onDelete` when an object vanished while the informer was not watching
 * (seen only by a relist); `obj` is the last state the cache had.
 */
export class DeletedFinalStateUnknown<T> {
  constructor(
    readonly key: string,
    readonly obj: T,
  ) {}
}

/** Callbacks of an informer. Keep them fast (enqueue a key); they run inline. */
export interface EventHandler<T> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T | DeletedFinalStateUnknown<T>): void;
}

/** The object of a delete notification, unwrapping {@link DeletedFinalStateUnknown}. */
export function deletedObject<T>(obj: T | DeletedFinalStateUnknown<T>): T {
  return obj instanceof DeletedFinalStateUnknown ? obj.obj : obj;
}

/** Options of {@link SharedInformer}. */
export interface InformerOptions<T> {
  /** Restrict to one namespace (default: all). */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Extra indexes besides the defaults (`byNamespace`, `byOwnerUID`, and `byNodeName` for pods). */
  indexers?: Record<string, IndexFunc<T>>;
  /** List page size. Default 500. */
  pageSize?: number;
  /** Watch `timeoutSeconds` is drawn from [min, 2·min). Default 300 (so 300–599 s). */
  minWatchTimeoutSeconds?: number;
  /** Back-off after failures: starts at `initialMs` (800), doubles up to `maxMs` (30 000). */
  backoff?: { initialMs?: number; maxMs?: number };
  clock?: Clock;
  /** Random source in [0, 1), injectable for tests. */
  random?: () => number;
  logger?: Logger;
  /**
   * Cache objects without `metadata.managedFields`, as kube-controller-manager's informers
   * do (a transform trimming them): less to copy, parse and keep.
   */
  trimManagedFields?: boolean;
}

function rvOf(o: KubeObject | undefined): string | undefined {
  return o?.metadata?.resourceVersion;
}

function isGone(err: unknown): boolean {
  return err instanceof ApiError && (err.code === 410 || err.reason === 'Expired' || err.reason === 'Gone');
}

/**
 * Keeps a local cache of one resource in sync with the server and fans events out to
 * handlers. Handlers may be added at any time; a late handler first receives a
 * synthetic `onAdd` for every cached object.
 *
 * @example
 * const pods = new SharedInformer<Pod>(client.resource<Pod>(podsInfo));
 * pods.addEventHandler({ onAdd: (p) => queue.add(keyOf(p)) });
 * void pods.start(signal);
 * await pods.synced;
 * pods.indexer.byIndex('byNodeName', 'node-1');
 */
export class SharedInformer<T extends KubeObject = KubeObject> {
  /** The cache. Read it freely; only the informer writes it. */
  readonly indexer: Indexer<T>;
  /** Resolves once the first full list is in the cache; rejects if stopped before that. */
  readonly synced: Promise<void>;

  private readonly handlers = new Set<EventHandler<T>>();
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly logger: Logger;
  private readonly initialBackoff: number;
  private readonly maxBackoff: number;
  private rv = '';
  private isSynced = false;
  private started = false;
  private resolveSynced!: () => void;
  private rejectSynced!: (err: unknown) => void;

  constructor(
    /** The client of the watched resource. */
    readonly resource: ResourceClient<T>,
    private readonly opts: InformerOptions<T> = {},
  ) {
    const info = resource.info;
    const defaults: Record<string, IndexFunc<T>> = { byOwnerUID };
    if (info.namespaced) defaults['byNamespace'] = byNamespace;
    if (info.group === '' && info.resource === 'pods') defaults['byNodeName'] = byNodeName;
    this.indexer = new Indexer<T>({ ...defaults, ...opts.indexers });
    this.clock = opts.clock ?? realClock;
    this.random = opts.random ?? Math.random;
    this.logger = opts.logger ?? silentLogger;
    this.initialBackoff = opts.backoff?.initialMs ?? 800;
    this.maxBackoff = opts.backoff?.maxMs ?? 30_000;
    this.synced = new Promise<void>((resolve, reject) => {
      this.resolveSynced = resolve;
      this.rejectSynced = reject;
    });
    // Nobody may be awaiting `synced` when the informer stops early.
    this.synced.catch(() => {});
  }

  /** True once the first full list is in the cache. */
  hasSynced(): boolean {
    return this.isSynced;
  }

  /** The resourceVersion of the last list or watch event seen ('' before the first list). */
  lastSyncResourceVersion(): string {
    return this.rv;
  }

  /** Adds indexes; objects already cached are indexed at once. */
  addIndexers(indexers: Record<string, IndexFunc<T>>): void {
    this.indexer.addIndexers(indexers);
  }

  /**
   * Registers handlers and, synchronously, replays an `onAdd` for every cached object.
   * Returns a function that unregisters them.
   */
  addEventHandler(handler: EventHandler<T>): () => void {
    this.handlers.add(handler);
    if (handler.onAdd) {
      for (const obj of this.indexer.list()) this.call(() => handler.onAdd?.(obj));
    }
    return () => this.handlers.delete(handler);
  }

  /**
   * Lists and watches until `signal` aborts, then resolves. Failures never end it:
   * it backs off and retries. Call once per informer.
   */
  async start(signal: AbortSignal): Promise<void> {
    if (this.started) throw new Error(`informer for ${this.resource.info.resource} already started`);
    this.started = true;
    const what = { resource: this.resource.info.resource, namespace: this.opts.namespace ?? '' };
    let needList = true;
    let backoff = this.initialBackoff;
    const pause = async (): Promise<void> => {
      const ms = backoff;
      backoff = Math.min(this.maxBackoff, backoff * 2);
      await sleep(this.clock, ms, signal);
    };
    try {
      while (!signal.aborted) {
        let phase: 'list' | 'watch' = 'list';
        try {
          if (needList) {
            await this.listAndReplace(signal);
            needList = false;
            backoff = this.initialBackoff;
          }
          if (signal.aborted) break;
          phase = 'watch';
          const began = this.clock.now();
          let events = 0;
          const min = this.opts.minWatchTimeoutSeconds ?? 300;
          const timeoutSeconds = Math.floor(min * (1 + this.random()));
          await this.resource.watch(
            this.opts.namespace,
            {
              resourceVersion: this.rv || undefined,
              allowWatchBookmarks: true,
              timeoutSeconds,
              labelSelector: this.opts.labelSelector,
              fieldSelector: this.opts.fieldSelector,
              trimManagedFields: this.opts.trimManagedFields,
            },
            (ev) => {
              events++;
              this.handleEvent(ev);
            },
            signal,
          );
          if (signal.aborted) break;
          // A normal end: watch again from the last seen RV. A server that ends watches
          // at once with nothing in them must not make us spin.
          if (events > 0 || this.clock.now() - began >= 1000) backoff = this.initialBackoff;
          else await pause();
        } catch (err) {
          if (signal.aborted) break;
          if (isGone(err)) {
            this.logger.info({ ...what, rv: this.rv, phase }, 'resourceVersion too old; relisting');
            needList = true;
            // A watch 410 is routine (compaction): relist at once. A list 410 (expired
            // continue token) repeating would spin, so it backs off.
            if (phase === 'list') await pause();
            continue;
          }
          this.logger.warn({ ...what, rv: this.rv, phase, err: errorMessage(err) }, `${phase} failed; retrying with back-off`);
          // The server answered with an error: its view may have moved on, so relist.
          // A broken connection is retried as a watch from the last RV.
          if (err instanceof ApiError) needList = true;
          await pause();
        }
      }
    } finally {
      if (!this.isSynced) this.rejectSynced(new Error(`informer for ${this.resource.info.resource} stopped before it synced`));
    }
  }

  private async listAndReplace(signal: AbortSignal): Promise<void> {
    const listing = this.resource.listAll(this.opts.namespace, {
      limit: this.opts.pageSize ?? 500,
      labelSelector: this.opts.labelSelector,
      fieldSelector: this.opts.fieldSelector,
      trimManagedFields: this.opts.trimManagedFields,
    });
    // Requests carry no signal, so a hung list must not hold up shutdown.
    let onAbort!: () => void;
    const aborted = new Promise<undefined>((resolve) => {
      onAbort = () => resolve(undefined);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    listing.catch(() => {});
    const list = await Promise.race([listing, aborted]).finally(() => signal.removeEventListener('abort', onAbort));
    if (!list || signal.aborted) return;
    this.replace(list.items, list.metadata.resourceVersion ?? '');
  }

  /**
   * Makes the cache equal to `items`, notifying the differences: new keys → add, changed
   * resourceVersion → update (delete + add when the UID changed, i.e. the object was
   * recreated), missing keys → delete with {@link DeletedFinalStateUnknown}.
   */
  private replace(items: T[], rv: string): void {
    const seen = new Set<string>();
    for (const obj of items) {
      const key = keyOf(obj);
      seen.add(key);
      const old = this.indexer.upsert(obj);
      if (!old) this.notifyAdd(obj);
      else if (old.metadata?.uid && obj.metadata?.uid && old.metadata.uid !== obj.metadata.uid) {
        this.notifyDelete(new DeletedFinalStateUnknown(key, old));
        this.notifyAdd(obj);
      } else if (rvOf(old) !== rvOf(obj)) this.notifyUpdate(old, obj);
    }
    for (const key of this.indexer.keys()) {
      if (seen.has(key)) continue;
      const old = this.indexer.delete(key) as T;
      this.notifyDelete(new DeletedFinalStateUnknown(key, old));
    }
    this.rv = rv;
    if (!this.isSynced) {
      this.isSynced = true;
      this.resolveSynced();
    }
  }

  private handleEvent(ev: WatchEvent<T>): void {
    const rv = rvOf(ev.object);
    switch (ev.type) {
      case 'ADDED':
      case 'MODIFIED': {
        const old = this.indexer.upsert(ev.object);
        if (old) this.notifyUpdate(old, ev.object);
        else this.notifyAdd(ev.object);
        break;
      }
      case 'DELETED':
        this.indexer.delete(keyOf(ev.object));
        this.notifyDelete(ev.object);
        break;
      case 'BOOKMARK':
        break;
    }
    if (rv) this.rv = rv;
  }

  private notifyAdd(obj: T): void {
    for (const h of this.handlers) if (h.onAdd) this.call(() => h.onAdd?.(obj));
  }

  private notifyUpdate(oldObj: T, newObj: T): void {
    for (const h of this.handlers) if (h.onUpdate) this.call(() => h.onUpdate?.(oldObj, newObj));
  }

  private notifyDelete(obj: T | DeletedFinalStateUnknown<T>): void {
    for (const h of this.handlers) if (h.onDelete) this.call(() => h.onDelete?.(obj));
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.logger.error({ resource: this.resource.info.resource, err: errorMessage(err) }, 'informer event handler threw');
    }
  }
}

/**
 * Options of {@link SharedInformerFactory}; applied to every informer it makes, except
 * `trimManagedFields`, which may choose per resource.
 */
export type InformerFactoryOptions = Omit<InformerOptions<KubeObject>, 'indexers' | 'trimManagedFields'> & {
  trimManagedFields?: boolean | ((info: ResourceInfo) => boolean);
};

/**
 * One informer per resource, shared by every component that asks for it.
 * Informers created after `start` start at once with the same signal.
 *
 * @example
 * const factory = new SharedInformerFactory(client);
 * const pods = factory.forResource<Pod>(findResource('', 'v1', 'pods')!);
 * void factory.start(signal);
 * await factory.synced();
 */
export class SharedInformerFactory {
  private readonly informers = new Map<string, SharedInformer<KubeObject>>();
  private readonly running: Array<Promise<void>> = [];
  private signal: AbortSignal | undefined;

  constructor(
    private readonly client: Client,
    private readonly opts: InformerFactoryOptions = {},
  ) {}

  /** The shared informer of `info` (or of group/version/resource), created on first use. */
  forResource<T extends KubeObject = KubeObject>(info: ResourceInfo): SharedInformer<T>;
  forResource<T extends KubeObject = KubeObject>(group: string, version: string, resource: string): SharedInformer<T>;
  forResource<T extends KubeObject = KubeObject>(a: ResourceInfo | string, version?: string, resource?: string): SharedInformer<T> {
    const rc = typeof a === 'string' ? this.client.resource<T>(a, version ?? '', resource ?? '') : this.client.resource<T>(a);
    const key = `${rc.info.group}/${rc.info.version}/${rc.info.resource}`;
    let inf = this.informers.get(key);
    if (!inf) {
      const { trimManagedFields, ...opts } = this.opts;
      const trim = typeof trimManagedFields === 'function' ? trimManagedFields(rc.info) : trimManagedFields;
      inf = new SharedInformer<KubeObject>(rc as unknown as ResourceClient<KubeObject>, { ...opts, trimManagedFields: trim });
      this.informers.set(key, inf);
      if (this.signal) this.run(inf, this.signal);
    }
    return inf as unknown as SharedInformer<T>;
  }

  /** Starts every informer (and any created later); resolves when all have stopped after `signal` aborts. */
  async start(signal: AbortSignal): Promise<void> {
    if (this.signal) throw new Error('informer factory already started');
    this.signal = signal;
    for (const inf of this.informers.values()) this.run(inf, signal);
    if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    // Informers added while stopping are in `running` too.
    for (let i = 0; i < this.running.length; i++) await this.running[i];
  }

  /** True when every informer created so far has synced. */
  hasSynced(): boolean {
    return [...this.informers.values()].every((i) => i.hasSynced());
  }

  /** Resolves when every informer created so far has synced. */
  async synced(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.synced));
  }

  private run(inf: SharedInformer<KubeObject>, signal: AbortSignal): void {
    this.running.push(inf.start(signal));
  }
}
