/**
 * The informer cache (client-go's `tools/cache` Indexer): objects keyed `ns/name`
 * (or `name` when cluster-scoped) with named secondary indexes such as
 * `byNamespace`, `byNodeName` and `byOwnerUID`. Objects handed out are the cached
 * ones: treat them as read-only.
 */
import type { KubeObject } from './client.js';

/** Values an object is filed under in one index (may be several or none). */
export type IndexFunc<T> = (obj: T) => string[];

/** `ns/name` for namespaced objects, `name` otherwise, as client-go's `MetaNamespaceKeyFunc`. */
export function keyOf(obj: KubeObject): string {
  const name = obj.metadata?.name ?? '';
  const ns = obj.metadata?.namespace;
  return ns ? `${ns}/${name}` : name;
}

/** Splits a key made by {@link keyOf} into namespace ('' when cluster-scoped) and name. */
export function splitKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/** Index objects by `metadata.namespace`. */
export const byNamespace: IndexFunc<KubeObject> = (o) => (o.metadata?.namespace ? [o.metadata.namespace] : []);

/** Index pods by `spec.nodeName` (unscheduled pods are not indexed). */
export const byNodeName: IndexFunc<KubeObject> = (o) => {
  const node = (o as { spec?: { nodeName?: unknown } }).spec?.nodeName;
  return typeof node === 'string' && node ? [node] : [];
};

/** Index objects by the UID of every owner reference. */
export const byOwnerUID: IndexFunc<KubeObject> = (o) => (o.metadata?.ownerReferences ?? []).map((r) => r.uid);

/**
 * A keyed object cache with named indexes.
 *
 * @example
 * const idx = new Indexer<Pod>({ byNodeName });
 * idx.upsert(pod);
 * idx.byIndex('byNodeName', 'node-1'); // pods on node-1
 */
export class Indexer<T extends KubeObject> {
  private readonly items = new Map<string, T>();
  private readonly indexers = new Map<string, IndexFunc<T>>();
  /** index name → indexed value → keys */
  private readonly indices = new Map<string, Map<string, Set<string>>>();
  private changes = 0;

  constructor(indexers: Record<string, IndexFunc<T>> = {}) {
    this.addIndexers(indexers);
  }

  /** Adds indexes (existing objects are indexed at once). Throws if a name is taken. */
  addIndexers(indexers: Record<string, IndexFunc<T>>): void {
    for (const [name, fn] of Object.entries(indexers)) {
      if (this.indexers.has(name)) throw new Error(`indexer "${name}" already exists`);
      this.indexers.set(name, fn);
      const index = new Map<string, Set<string>>();
      this.indices.set(name, index);
      for (const [key, obj] of this.items) this.file(index, fn(obj), key);
    }
  }

  /** Names of the registered indexes. */
  indexNames(): string[] {
    return [...this.indexers.keys()];
  }

  /** The object under `key`, or undefined. */
  get(key: string): T | undefined {
    return this.items.get(key);
  }

  /** All cached objects (a fresh array, shared objects). */
  list(): T[] {
    return [...this.items.values()];
  }

  /** All keys. */
  keys(): string[] {
    return [...this.items.keys()];
  }

  /** Grows with every upsert and delete: equal values mean nothing changed in between. */
  get version(): number {
    return this.changes;
  }

  /** Number of cached objects. */
  size(): number {
    return this.items.size;
  }

  /** Objects filed under `value` in the index `name`. Throws for an unknown index. */
  byIndex(name: string, value: string): T[] {
    return this.indexKeys(name, value).map((k) => this.items.get(k) as T);
  }

  /** Keys filed under `value` in the index `name`. Throws for an unknown index. */
  indexKeys(name: string, value: string): string[] {
    const index = this.indices.get(name);
    if (!index) throw new Error(`index "${name}" does not exist (have: ${this.indexNames().join(', ') || 'none'})`);
    return [...(index.get(value) ?? [])];
  }

  /** Inserts or replaces the object under its key; returns the previous one. */
  upsert(obj: T): T | undefined {
    const key = keyOf(obj);
    const old = this.items.get(key);
    this.changes++;
    if (old) this.unindex(key, old);
    this.items.set(key, obj);
    for (const [name, fn] of this.indexers) this.file(this.indices.get(name) as Map<string, Set<string>>, fn(obj), key);
    return old;
  }

  /** Removes the object under `key`; returns it. */
  delete(key: string): T | undefined {
    const old = this.items.get(key);
    if (!old) return undefined;
    this.changes++;
    this.unindex(key, old);
    this.items.delete(key);
    return old;
  }

  private file(index: Map<string, Set<string>>, values: string[], key: string): void {
    for (const v of values) {
      let set = index.get(v);
      if (!set) index.set(v, (set = new Set()));
      set.add(key);
    }
  }

  private unindex(key: string, obj: T): void {
    for (const [name, fn] of this.indexers) {
      const index = this.indices.get(name) as Map<string, Set<string>>;
      for (const v of fn(obj)) {
        const set = index.get(v);
        if (!set) continue;
        set.delete(key);
        if (set.size === 0) index.delete(v);
      }
    }
  }
}
