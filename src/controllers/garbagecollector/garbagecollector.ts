/**
 * The garbage collector (upstream `pkg/controller/garbagecollector`): informers on
 * every resource feed a uid graph of owner → dependents edges; a work queue of
 * uids drives {@link plan}, and this file's executor performs its actions with
 * preconditions (uid and resourceVersion) so a lagging cache never deletes or
 * patches the wrong object.
 */
import { setMaxListeners } from 'node:events';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { isReason } from '../../api/errors.js';
import { findByKind, RESOURCES, type ResourceInfo } from '../../api/resources.js';
import type { Client, KubeObject } from '../../client/client.js';
import { deletedObject, SharedInformer, SharedInformerFactory } from '../../client/informer.js';
import { errorMessage, silentLogger, type Logger } from '../../client/logger.js';
import { runWorkers, WorkQueue, type ReconcileResult } from '../../client/workqueue.js';
import { changeTriggers, Graph, toGcObject } from './graph.js';
import {
  dependentView,
  isDeletingDependents,
  isOrphaning,
  needsOwnerLookup,
  plan,
  unblockedOwners,
  withoutOwners,
  type GcAction,
  type GcObject,
  type ObjectId,
  type OwnerState,
} from './plan.js';

/**
 * The resources the GC watches: every resource that can be listed, watched and
 * deleted, each storage once, and no events (they are never owners and rarely
 * dependents worth the watch).
 */
export function collectedResources(resources: readonly ResourceInfo[] = RESOURCES): ResourceInfo[] {
  const seen = new Set<string>();
  return resources.filter((r) => {
    if (r.kind === 'Event' || seen.has(r.storagePrefix)) return false;
    if (!['list', 'watch', 'delete'].every((v) => r.verbs.includes(v))) return false;
    seen.add(r.storagePrefix);
    return true;
  });
}

/** Options of {@link GarbageCollector}. */
export interface GarbageCollectorOptions {
  /** Concurrent workers. Default 4. */
  workers?: number;
  /** The resources to watch. Default {@link collectedResources}(). */
  resources?: readonly ResourceInfo[];
  /**
   * Share these informers (a started-elsewhere factory, e.g. the controller manager's)
   * instead of running informers of its own: one watch and one cache per resource.
   */
  informers?: SharedInformerFactory;
}

/** How many times a guarded patch is retried on a resourceVersion conflict before giving up to the queue. */
const CONFLICT_RETRIES = 5;

/**
 * Cascading deletion by ownerReferences: Background (dependents of a gone owner are
 * deleted), Foreground (an owner with `foregroundDeletion` waits until its blocking
 * dependents are gone) and Orphan (an owner with `orphan` first loses its place in its
 * dependents' references). Acts only after every informer has synced.
 *
 * @example
 * const gc = new GarbageCollector(client, log.child({ component: 'garbage-collector' }));
 * void gc.start(signal);
 * await gc.ready;
 */
export class GarbageCollector {
  readonly name = 'garbage-collector';
  /** Resolves once every informer has synced and the workers run. */
  readonly ready: Promise<void>;
  private readonly graph = new Graph();
  private readonly queue = new WorkQueue({ name: 'garbage-collector' });
  private readonly informers: Array<SharedInformer<KubeObject>>;
  private readonly workers: number;
  private readonly ownInformers: boolean;
  private synced = false;
  private resolveReady!: () => void;

  constructor(
    private readonly client: Client,
    private readonly log: Logger = silentLogger,
    opts: GarbageCollectorOptions = {},
  ) {
    this.workers = opts.workers ?? 4;
    const factory = opts.informers;
    this.ownInformers = !factory;
    this.informers = (opts.resources ?? collectedResources()).map((info) =>
      factory ? factory.forResource<KubeObject>(info) : new SharedInformer<KubeObject>(client.resource<KubeObject>(info), { logger: log }),
    );
    this.ready = new Promise((resolve) => (this.resolveReady = resolve));
  }

  /** True once every informer has synced. */
  hasSynced(): boolean {
    return this.synced;
  }

  /** Watches, waits for every informer to sync (then {@link ready} resolves) and reconciles until `outer` aborts. */
  async start(outer: AbortSignal): Promise<void> {
    // One signal of our own carries the many informers' listeners without tripping
    // Node's listener-leak warning on the caller's signal.
    const stop = new AbortController();
    setMaxListeners(0, stop.signal);
    const onAbort = (): void => stop.abort();
    if (outer.aborted) onAbort();
    else outer.addEventListener('abort', onAbort, { once: true });
    try {
      await this.run(stop.signal);
    } finally {
      outer.removeEventListener('abort', onAbort);
      stop.abort();
    }
  }

  private async run(signal: AbortSignal): Promise<void> {
    for (const inf of this.informers) {
      const info = inf.resource.info;
      inf.addEventHandler({
        onAdd: (o) => this.observe(undefined, toGcObject(o, info)),
        onUpdate: (_old, o) => this.observe(undefined, toGcObject(o, info)),
        onDelete: (o) => {
          const gone = toGcObject(deletedObject(o), info);
          if (gone) this.observe(gone, undefined);
        },
      });
    }
    const running = this.ownInformers ? this.informers.map((inf) => inf.start(signal)) : [];
    try {
      await Promise.all(this.informers.map((inf) => inf.synced));
    } catch (err) {
      if (signal.aborted) {
        await Promise.all(running);
        return;
      }
      throw err;
    }
    this.synced = true;
    // Anything owned, orphaning or deleting in the foreground is looked at once.
    for (const n of this.graph.list()) {
      if (n.ownerReferences.length > 0 || isOrphaning(n) || isDeletingDependents(n)) this.queue.add(n.uid);
    }
    this.log.info({ objects: this.graph.size(), resources: this.informers.length }, 'garbage collector synced');
    this.resolveReady();
    await runWorkers(this.queue, this.workers, (uid) => this.reconcile(uid), signal, this.log);
    await Promise.all(running);
  }

  /** Applies an observed change to the graph and queues what it triggers. */
  private observe(prev: GcObject | undefined, cur: GcObject | undefined): void {
    // The graph's own previous version is the one changes are judged against.
    if (cur) prev = this.graph.upsert(cur);
    else if (prev) {
      this.graph.remove(prev.uid);
    }
    for (const uid of changeTriggers(prev, cur, this.graph)) this.queue.add(uid);
  }

  /** Reconsiders the object with `uid`: reads it live, plans, executes. */
  async reconcile(uid: string): Promise<ReconcileResult> {
    const node = this.graph.get(uid);
    if (!node) return;
    const latest = await this.getLive(node);
    if (!latest) return;
    const owners = new Map<string, OwnerState>();
    if (needsOwnerLookup(latest)) {
      for (const ref of latest.ownerReferences) owners.set(ref.uid, await this.ownerState(ref, latest));
    }
    const dependents = this.graph.dependents(uid).map((d) => dependentView(d, uid));
    const { actions, classified } = plan({ item: latest, dependents, owners: (ref) => owners.get(ref.uid) ?? { state: 'absent' } });
    if (classified?.unresolvable.length) {
      this.log.warn({ ...ids(latest), owners: classified.unresolvable.map((r) => `${r.apiVersion}/${r.kind} ${r.name}`) }, 'unresolvable owner references hold this object');
    }
    for (const a of actions) await this.execute(a);
    return;
  }

  /** The object as the server has it now, or undefined when it is gone or replaced. */
  private async getLive(id: ObjectId): Promise<GcObject | undefined> {
    try {
      const obj = await this.client.resource(id.info).get(id.namespace || undefined, id.name);
      const o = toGcObject(obj, id.info);
      return o?.uid === id.uid ? o : undefined;
    } catch (err) {
      if (isReason(err, 'NotFound')) return undefined;
      throw err;
    }
  }

  /**
   * The state of the owner `ref` of `dependent`: from the graph when observed, else
   * from a live GET (404 or another uid means absent).
   */
  private async ownerState(ref: OwnerReference, dependent: GcObject): Promise<OwnerState> {
    const known = this.graph.get(ref.uid);
    // A namespaced owner counts only in the dependent's own namespace (as upstream):
    // a uid seen elsewhere is checked live, where it is absent.
    if (known && (!known.info.namespaced || known.namespace === dependent.namespace)) {
      return { state: 'present', deletingDependents: isDeletingDependents(known) };
    }
    const info = findByKind(ref.apiVersion, ref.kind);
    if (!info) return { state: 'unresolvable', reason: `no resource of kind ${ref.kind} in ${ref.apiVersion}` };
    // Invalid, and no retry can fix it: upstream leaves such an object alone.
    if (info.namespaced && !dependent.namespace) return { state: 'unresolvable', reason: `a cluster-scoped object cannot be owned by a namespaced ${ref.kind}` };
    const owner = await this.getLive({ uid: ref.uid, info, namespace: info.namespaced ? dependent.namespace : '', name: ref.name });
    return owner ? { state: 'present', deletingDependents: isDeletingDependents(owner) } : { state: 'absent' };
  }

  private async execute(a: GcAction): Promise<void> {
    switch (a.type) {
      case 'enqueue':
        for (const uid of a.uids) this.queue.add(uid);
        return;
      case 'delete': {
        this.log.info({ ...ids(a.target), propagationPolicy: a.propagationPolicy }, 'deleting dependent');
        try {
          await this.client.resource(a.target.info).delete(a.target.namespace || undefined, a.target.name, {
            propagationPolicy: a.propagationPolicy,
            preconditions: { uid: a.target.uid, resourceVersion: a.resourceVersion },
          });
        } catch (err) {
          // Gone already: nothing to do. A Conflict (changed or replaced since it was read)
          // is retried with back-off, and the retry reads the object afresh.
          if (isReason(err, 'NotFound')) return;
          throw err;
        }
        return;
      }
      case 'removeOwnerReferences':
        this.log.info({ ...ids(a.target), owners: a.ownerUIDs, reason: a.reason }, a.reason === 'orphan' ? 'orphaning dependent' : 'removing dangling owner references');
        await this.patchMeta(a.target, (o) => {
          const refs = withoutOwners(o.ownerReferences, a.ownerUIDs);
          return refs.length === o.ownerReferences.length ? undefined : { ownerReferences: refs.length ? refs : null };
        });
        return;
      case 'unblockOwnerReferences':
        this.log.info(ids(a.target), 'unblocking owner references');
        await this.patchMeta(a.target, (o) => {
          const refs = unblockedOwners(o.ownerReferences);
          return JSON.stringify(refs) === JSON.stringify(o.ownerReferences) ? undefined : { ownerReferences: refs };
        });
        return;
      case 'removeFinalizer':
        this.log.info({ ...ids(a.target), finalizer: a.finalizer }, 'removing finalizer');
        await this.patchMeta(a.target, (o) => {
          if (!o.finalizers.includes(a.finalizer)) return undefined;
          const rest = o.finalizers.filter((f) => f !== a.finalizer);
          return { finalizers: rest.length ? rest : null };
        });
        return;
    }
  }

  /**
   * A JSON merge patch of `metadata` computed from the live object and guarded by its
   * resourceVersion, retried on conflict. `change` returns undefined when nothing is
   * left to do. A missing or replaced object is not an error.
   */
  private async patchMeta(id: ObjectId, change: (o: GcObject) => Record<string, unknown> | undefined): Promise<void> {
    const rc = this.client.resource(id.info);
    for (let attempt = 0; ; attempt++) {
      let live: KubeObject;
      try {
        live = await rc.get(id.namespace || undefined, id.name);
      } catch (err) {
        if (isReason(err, 'NotFound')) return;
        throw err;
      }
      const o = toGcObject(live, id.info);
      if (!o || o.uid !== id.uid) return;
      const meta = change(o);
      if (!meta) return;
      try {
        await rc.patch(id.namespace || undefined, id.name, 'merge', { metadata: { ...meta, resourceVersion: live.metadata?.resourceVersion } });
        return;
      } catch (err) {
        if (isReason(err, 'NotFound')) return;
        if (isReason(err, 'Conflict') && attempt < CONFLICT_RETRIES) continue;
        throw new Error(`patching ${id.info.kind} ${id.namespace ? `${id.namespace}/` : ''}${id.name}: ${errorMessage(err)}`, { cause: err });
      }
    }
  }
}

function ids(o: ObjectId): Record<string, unknown> {
  return { uid: o.uid, kind: o.info.kind, namespace: o.namespace || undefined, name: o.name };
}
