/**
 * Generic REST storage for every resource: maps objects to store keys and
 * implements create / get / list / update / patch / delete / watch with the
 * semantics of kube-apiserver's generic registry (`k8s.io/apiserver/pkg/registry/generic/registry`):
 * uid, creationTimestamp, generateName, generation, resourceVersion
 * preconditions, status subresource split, graceful deletion with finalizers,
 * dry run, and consistent paged lists. Per-kind behaviour (defaults,
 * validation, IP and port allocation) comes from a `Strategy`.
 */
import { randomUUID } from 'node:crypto';
import type { Store } from '../store/types.js';
import { ApiError, alreadyExists, badRequest, conflict, gone, isReason, notFound, type FieldError, invalid } from '../api/errors.js';
import type { ResourceInfo } from '../api/resources.js';
import { fromStorage, storageResource, toStorage } from '../api/conversion.js';
import { groupVersion, findResource } from '../api/resources.js';
import { updateManagedFields, patchMetaFor } from '../api/patch/index.js';
import { jsonEqual, type JsonObject } from '../api/patch/json.js';
import { WatchCache, decodeStored, withResourceVersion, type CachedEvent, type KObject } from './watch-cache.js';

/** Per-request context handed to strategies. */
export interface RequestContext {
  dryRun: boolean;
  fieldManager?: string;
  /** The subresource being written (`status`, `scale`, …), if any. */
  subresource?: string;
  now: Date;
  /** True when the object already carries managedFields computed by server-side apply. */
  managedFieldsSet?: boolean;
}

/** Per-kind hooks, in the order the registry calls them. All optional. */
export interface Strategy {
  /** Whether the kind has a `status` subresource (main writes keep old status, status writes keep old spec). */
  hasStatus?: boolean;
  /** Whether spec changes bump `metadata.generation`. */
  tracksGeneration?: boolean;
  /** Clears or sets fields before create (e.g. reset status). */
  prepareForCreate?(obj: KObject, ctx: RequestContext): void;
  /** Adjusts the new object before update. */
  prepareForUpdate?(obj: KObject, old: KObject, ctx: RequestContext): void;
  /** Applies defaults (in place). */
  defaults?(obj: KObject): void;
  /** Field errors for a new object. */
  validate?(obj: KObject): FieldError[];
  /** Field errors for an update. */
  validateUpdate?(obj: KObject, old: KObject): FieldError[];
  /** Reserves resources (IPs, ports); returns an undo function. Throws ApiError on failure. */
  allocateCreate?(obj: KObject, ctx: RequestContext): (() => void) | void;
  allocateUpdate?(obj: KObject, old: KObject, ctx: RequestContext): (() => void) | void;
  /** Releases resources after a real (not dry-run) delete. */
  afterDelete?(obj: KObject): void;
  /** The grace period a DELETE gets (pods on nodes delete gracefully); 0 = at once. */
  gracefulDeleteSeconds?(obj: KObject, requested: number | undefined): number;
  /** Whether something besides metadata.finalizers still holds a deleting object (namespace spec.finalizers, pod grace). */
  holdsDeletion?(obj: KObject): boolean;
  /** Adjusts an object when its graceful deletion starts (namespace phase Terminating). */
  onDeleteRequest?(obj: KObject): void;
}

export interface ListOptions {
  labelFilter?: (labels: Record<string, string>) => boolean;
  fieldFilter?: (obj: KObject) => boolean;
  limit?: number;
  continueToken?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
  /** Return `rawItems` (stored text with resourceVersion) instead of parsed items when no filter or conversion applies. */
  raw?: boolean;
}

export interface ListOutput {
  items: KObject[];
  /** Set instead of `items` when `raw` was asked for and possible. */
  rawItems?: string[];
  resourceVersion: string;
  continueToken?: string;
  remainingItemCount?: number;
}

export interface DeleteOptions {
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

/**
 * Receives watch events. `get` yields the object in the served version; `raw`,
 * when given, is the cached event whose `raw` text may be sent as is (its
 * type equals the event type and no conversion applies).
 */
export type WatchSender = (type: 'ADDED' | 'MODIFIED' | 'DELETED', get: () => KObject, raw?: CachedEvent) => void;

/** Options every write accepts. */
export interface WriteOpts {
  dryRun?: boolean;
  fieldManager?: string;
  subresource?: string;
  /** Asked at commit time: did the mutation already set managedFields (apply)? */
  managedFieldsSet?: () => boolean;
}

const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

/** Names tried for one create with `generateName` (upstream's retry allows 8). */
const MAX_GENERATE_NAME_ATTEMPTS = 8;

/** Five random characters as upstream's `utilrand.String(5)` uses for generateName. */
export function randomSuffix(n = 5): string {
  let s = '';
  for (let i = 0; i < n; i++) s += NAME_CHARS[Math.floor(Math.random() * NAME_CHARS.length)];
  return s;
}

/** RFC 3339 without fractions, as upstream serializes `metav1.Time`. */
export function timestamp(d: Date): string {
  // Every write stamps the time at least once; writes come thousands a second, seconds do not.
  const second = Math.floor(d.getTime() / 1000);
  if (second !== lastStamp.second) {
    lastStamp.second = second;
    lastStamp.text = `${d.toISOString().slice(0, 19)}Z`;
  }
  return lastStamp.text;
}

const lastStamp = { second: Number.NaN, text: '' };

/** The stored text of objects this registry just wrote, so a response need not serialize them again. */
const storedTexts = new WeakMap<object, { text: string; rev: number; apiVersion: unknown; kind: unknown }>();

function rememberStored(obj: KObject, text: string, rev: number): void {
  storedTexts.set(obj, { text, rev, apiVersion: obj.apiVersion, kind: obj.kind });
}

/**
 * The JSON of an object as the registry just stored it (resourceVersion included), or
 * undefined when `obj` is not such an object or no longer matches what was stored
 * (another version presented, or a new resourceVersion).
 */
export function storedJSON(obj: KObject): string | undefined {
  const s = storedTexts.get(obj);
  if (!s || s.apiVersion !== obj.apiVersion || s.kind !== obj.kind || obj.metadata?.resourceVersion !== String(s.rev)) return undefined;
  return withResourceVersion(s.text, s.rev);
}

function clone<T>(v: T): T {
  return structuredClone(v);
}


/** Encodes a continue token like upstream (`{"v":"meta.k8s.io/v1","rv":N,"start":"key\u0000"}`, base64). */
export function encodeContinue(rv: number, lastKey: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start: `${lastKey}\u0000` })).toString('base64url');
}

function decodeContinue(token: string): { rv: number; startAfter: string } {
  try {
    const raw = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { v?: string; rv?: number; start?: string };
    if (raw.v !== 'meta.k8s.io/v1' || typeof raw.rv !== 'number' || typeof raw.start !== 'string') throw new Error('bad');
    return { rv: raw.rv, startAfter: raw.start.replace(/\u0000$/, '') };
  } catch {
    throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
}

/** Parses a resourceVersion parameter; 400 with upstream wording when it is not a number. */
export function parseResourceVersion(rv: string | undefined): number {
  if (rv === undefined || rv === '') return 0;
  const n = Number(rv);
  if (!Number.isInteger(n) || n < 0) throw new ApiError('BadRequest', `invalid resource version: ${rv}`);
  return n;
}

/**
 * How many of the objects written last the registry keeps decoded (see `Registry.written`):
 * enough to span a pod's create, binding and first status write while thousands of pods
 * start together.
 */
const WRITTEN_KEPT = 2048;

/** The generic registry; one instance serves every resource. */
export class Registry {
  readonly cache: WatchCache;
  private readonly strategies = new Map<string, Strategy>();
  /**
   * The objects written last, as written (resourceVersion set), by key: a status write or
   * a binding that follows reads the object from here instead of parsing the stored text,
   * when the revision still matches. They are only read: every writer builds new objects
   * (a status write and a binding never change the object they start from).
   */
  private readonly written = new Map<string, { rev: number; obj: KObject }>();

  constructor(
    readonly store: Store,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.cache = new WatchCache(store);
  }

  async start(): Promise<void> {
    await this.cache.start();
  }

  stop(): void {
    this.cache.stop();
  }

  /** Installs the strategy for a storage prefix (shared by all versions of a resource). */
  setStrategy(info: ResourceInfo, s: Strategy): void {
    // One strategy per storage: the stored version's (events.k8s.io events are validated as core Events).
    if (storageResource(info) !== info) return;
    this.strategies.set(info.storagePrefix, s);
  }

  private strategy(info: ResourceInfo): Strategy {
    return this.strategies.get(info.storagePrefix) ?? {};
  }

  /** `/registry/apps/daemonsets/<ns>/<name>` (cluster-scoped: no namespace segment). */
  key(info: ResourceInfo, ns: string | undefined, name: string): string {
    return info.namespaced ? `${info.storagePrefix}/${ns}/${name}` : `${info.storagePrefix}/${name}`;
  }

  /** The list/watch prefix; with a namespace, only that namespace. */
  prefix(info: ResourceInfo, ns: string | undefined): string {
    return info.namespaced && ns ? `${info.storagePrefix}/${ns}/` : `${info.storagePrefix}/`;
  }

  private ctx(opts: WriteOpts): RequestContext {
    return {
      dryRun: !!opts.dryRun,
      now: this.clock(),
      ...(opts.managedFieldsSet?.() ? { managedFieldsSet: true } : {}),
      ...(opts.fieldManager ? { fieldManager: opts.fieldManager } : {}),
      ...(opts.subresource ? { subresource: opts.subresource } : {}),
    };
  }

  /**
   * Sets apiVersion/kind of the served version on an object read from storage.
   * Objects shared with the watch cache are copied when the version differs
   * (core and events.k8s.io events share one store).
   */
  private present(info: ResourceInfo, obj: KObject, shared = false): KObject {
    const st = storageResource(info);
    if (st !== info) return fromStorage(info, obj) as KObject;
    const apiVersion = groupVersion(info);
    if (obj.apiVersion === apiVersion && obj.kind === info.kind) return obj;
    if (shared) return { ...obj, apiVersion, kind: info.kind };
    obj.apiVersion = apiVersion;
    obj.kind = info.kind;
    return obj;
  }

  /** Serializes for storage: no resourceVersion (the store's revision is the source of truth). */
  private encode(obj: KObject): string {
    // apiVersion, kind, metadata first and no resourceVersion: `withResourceVersion` relies on this shape.
    const { apiVersion, kind, metadata, ...rest } = obj;
    const { resourceVersion: _rv, ...meta } = metadata ?? {};
    return JSON.stringify({ apiVersion, kind, metadata: meta, ...rest });
  }

  async get(info: ResourceInfo, ns: string | undefined, name: string): Promise<KObject> {
    const kv = await this.store.get(this.key(info, ns, name));
    if (!kv) throw notFound(info.group, info.resource, name);
    return this.present(info, decodeStored(kv.value, kv.modRevision));
  }

  /** The stored JSON text with its resourceVersion (no parse), or undefined when a version conversion applies. */
  async getRaw(info: ResourceInfo, ns: string | undefined, name: string): Promise<string | undefined> {
    if (storageResource(info) !== info) return undefined;
    const kv = await this.store.get(this.key(info, ns, name));
    if (!kv) throw notFound(info.group, info.resource, name);
    return withResourceVersion(kv.value, kv.modRevision);
  }

  /** Like get, but undefined when missing. */
  async find(info: ResourceInfo, ns: string | undefined, name: string): Promise<KObject | undefined> {
    const kv = await this.store.get(this.key(info, ns, name));
    return kv ? this.present(info, decodeStored(kv.value, kv.modRevision)) : undefined;
  }

  async create(info: ResourceInfo, ns: string | undefined, input: KObject, opts: WriteOpts = {}): Promise<KObject> {
    const ctx = this.ctx(opts);
    const s = this.strategy(info);
    const served = info;
    // The registry takes ownership of `input` (callers pass freshly decoded objects).
    const obj = toStorage(served, input) as KObject;
    info = storageResource(served);
    obj.metadata ??= {};
    const meta = obj.metadata;
    if (info.namespaced) {
      if (meta.namespace && ns && meta.namespace !== ns) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      meta.namespace = ns;
    } else {
      delete meta.namespace;
    }
    const generated = !meta.name && !!meta.generateName;
    if (generated) meta.name = `${meta.generateName}${randomSuffix()}`;
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    meta.uid = randomUUID();
    meta.creationTimestamp = timestamp(ctx.now);
    if (s.tracksGeneration) meta.generation = 1;
    else delete meta.generation;
    obj.apiVersion = groupVersion(info);
    obj.kind = info.kind;
    // Upstream defaults while decoding, before the strategy's PrepareForCreate.
    s.defaults?.(obj);
    s.prepareForCreate?.(obj, ctx);
    if (!meta.name) {
      throw invalid(info.kind, '', [{ type: 'FieldValueRequired', field: 'metadata.name', detail: 'name or generateName is required' }], info.group);
    }
    let key = this.key(info, ns, meta.name);
    // A generated name that is taken gets another try, up to 8 in all (upstream RetryGenerateName, on since 1.31).
    for (let attempt = 1; generated && attempt < MAX_GENERATE_NAME_ATTEMPTS && (await this.store.get(key)); attempt++) {
      meta.name = `${meta.generateName}${randomSuffix()}`;
      key = this.key(info, ns, meta.name);
    }
    if (await this.store.get(key)) throw alreadyExists(info.group, info.resource, meta.name);
    // Allocation (IPs, ports) runs before validation, as upstream's BeginCreate does.
    const undo = s.allocateCreate?.(obj, ctx);
    const errs = s.validate?.(obj) ?? [];
    if (errs.length) {
      undo?.();
      throw invalid(info.kind, meta.name, errs, info.group);
    }
    this.stampManagedFields(info, undefined, obj, ctx);
    if (ctx.dryRun) {
      undo?.();
      return this.present(served, obj);
    }
    try {
      const text = this.encode(obj);
      const rev = await this.store.create(key, text);
      meta.resourceVersion = String(rev);
      rememberStored(obj, text, rev);
      this.rememberWritten(key, rev, obj);
      return this.present(served, obj);
    } catch (err) {
      undo?.();
      if (isReason(err, 'AlreadyExists')) throw alreadyExists(info.group, info.resource, meta.name!);
      throw err;
    }
  }

  /**
   * Replaces an object (PUT). `subresource` `status` writes only status; a main
   * write keeps the old status when the kind has a status subresource.
   */
  async update(
    info: ResourceInfo,
    ns: string | undefined,
    name: string,
    input: KObject,
    opts: WriteOpts & { allowCreate?: boolean } = {},
  ): Promise<{ object: KObject; created: boolean }> {
    const ctx = this.ctx(opts);
    const key = this.key(info, ns, name);
    const kv = await this.store.get(key);
    if (input.metadata?.name && input.metadata.name !== name) {
      throw badRequest(`the name of the object (${input.metadata.name}) does not match the name on the URL (${name})`);
    }
    if (!kv) {
      if (opts.allowCreate && !opts.subresource) {
        const created = await this.create(info, ns, { ...input, metadata: { ...input.metadata, name } }, opts);
        return { object: created, created: true };
      }
      throw notFound(info.group, info.resource, name);
    }
    const st = storageResource(info);
    const old = this.present(st, decodeStored(kv.value, kv.modRevision));
    const wantRv = input.metadata?.resourceVersion;
    if (wantRv && wantRv !== String(kv.modRevision)) throw conflict(info.group, info.resource, name);
    const obj = this.mergeForUpdate(st, old, toStorage(info, input) as KObject, ctx);
    return { object: this.present(info, await this.commitUpdate(st, key, old, obj, kv.modRevision, ctx)), created: false };
  }

  /** Builds the object to store from a client's new version and the old one (metadata rules, status split). */
  private mergeForUpdate(info: ResourceInfo, old: KObject, obj: KObject, ctx: RequestContext): KObject {
    const s = this.strategy(info);
    obj.apiVersion = groupVersion(info);
    obj.kind = info.kind;
    obj.metadata ??= {};
    const m = obj.metadata;
    const om = old.metadata!;
    if (ctx.subresource === 'status') {
      // Status writes change only status (and managedFields); everything else comes from the old object.
      // `old` was decoded for this request alone, so `next` may share its untouched parts.
      const { status: _oldStatus, metadata: oldMeta, ...rest } = old;
      const next: KObject = { ...rest, metadata: { ...oldMeta }, status: obj.status };
      if (m.managedFields) next.metadata!.managedFields = m.managedFields;
      return next;
    }
    m.name = om.name;
    if (info.namespaced) m.namespace = om.namespace;
    m.uid = om.uid;
    m.creationTimestamp = om.creationTimestamp;
    if (om.deletionTimestamp) m.deletionTimestamp = om.deletionTimestamp;
    else delete m.deletionTimestamp;
    if (om.deletionGracePeriodSeconds !== undefined) m.deletionGracePeriodSeconds = om.deletionGracePeriodSeconds;
    else delete m.deletionGracePeriodSeconds;
    // The binding subresource writes spec.nodeName and the PodScheduled condition together.
    if (s.hasStatus && ctx.subresource !== 'binding') {
      if (old.status === undefined) delete obj.status;
      else obj.status = clone(old.status);
    }
    if (s.tracksGeneration) m.generation = om.generation ?? 1;
    else delete m.generation;
    return obj;
  }

  private async commitUpdate(info: ResourceInfo, key: string, old: KObject, obj: KObject, rev: number, ctx: RequestContext): Promise<KObject> {
    const s = this.strategy(info);
    const name = old.metadata!.name!;
    // Status writes and bindings change only their own fields (upstream binds with a storage-level update).
    if (ctx.subresource !== 'status' && ctx.subresource !== 'binding') {
      s.defaults?.(obj);
      s.prepareForUpdate?.(obj, old, ctx);
      if (s.tracksGeneration && !jsonEqual(obj.spec, old.spec)) obj.metadata!.generation = (old.metadata!.generation ?? 1) + 1;
    }
    if (old.metadata!.deletionTimestamp) {
      // Finalizers may only be removed from an object being deleted, never added.
      const before = new Set(old.metadata!.finalizers ?? []);
      const added = (obj.metadata!.finalizers ?? []).filter((f) => !before.has(f));
      if (added.length) {
        throw invalid(info.kind, name, [{ type: 'FieldValueForbidden', field: 'metadata.finalizers', detail: `no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(', ')}}` }], info.group);
      }
    }
    const undo = ctx.subresource === 'status' ? undefined : s.allocateUpdate?.(obj, old, ctx);
    // A binding sets only spec.nodeName, the binding's annotations (checked by its handler) and
    // the PodScheduled condition: like upstream's assignPod, it does not validate the whole pod again.
    const errs = ctx.subresource === 'binding' ? [] : (s.validateUpdate?.(obj, old) ?? []);
    if (errs.length) {
      undo?.();
      throw invalid(info.kind, name, errs, info.group);
    }
    // An update that changes nothing is not written (no new resourceVersion), as upstream.
    const oldCmp = { ...old, metadata: { ...old.metadata, resourceVersion: undefined, managedFields: undefined } };
    const newCmp = { ...obj, metadata: { ...obj.metadata, resourceVersion: undefined, managedFields: undefined } };
    if (jsonEqual(oldCmp, newCmp)) {
      undo?.();
      return old;
    }
    this.stampManagedFields(info, old, obj, ctx);
    if (ctx.dryRun) {
      undo?.();
      obj.metadata!.resourceVersion = old.metadata!.resourceVersion;
      return obj;
    }
    // An object being deleted whose last finalizer is gone is removed now.
    if (obj.metadata!.deletionTimestamp && !(obj.metadata!.finalizers?.length) && !s.holdsDeletion?.(obj)) {
      try {
        await this.store.update(key, this.encode(obj), rev);
        const del = await this.store.delete(key);
        s.afterDelete?.(obj);
        obj.metadata!.resourceVersion = String(del.modRevision);
        return obj;
      } catch (err) {
        undo?.();
        throw this.mapConflict(err, info, name);
      }
    }
    try {
      const text = this.encode(obj);
      const newRev = await this.store.update(key, text, rev);
      obj.metadata!.resourceVersion = String(newRev);
      rememberStored(obj, text, newRev);
      this.rememberWritten(key, newRev, obj);
      return obj;
    } catch (err) {
      undo?.();
      throw this.mapConflict(err, info, name);
    }
  }

  private rememberWritten(key: string, rev: number, obj: KObject): void {
    this.written.delete(key);
    this.written.set(key, { rev, obj });
    if (this.written.size > WRITTEN_KEPT) this.written.delete(this.written.keys().next().value as string);
  }

  /** Records the writer's fields in managedFields (server-side apply already did). */
  private stampManagedFields(info: ResourceInfo, old: KObject | undefined, obj: KObject, ctx: RequestContext): void {
    if (ctx.managedFieldsSet || !ctx.fieldManager) return;
    const gv = groupVersion(info);
    obj.metadata!.managedFields = updateManagedFields(old as JsonObject | undefined, obj as JsonObject, {
      manager: ctx.fieldManager,
      operation: 'Update',
      now: timestamp(ctx.now),
      meta: patchMetaFor(gv, info.kind),
      ...(ctx.subresource ? { subresource: ctx.subresource } : {}),
    }) as unknown as Array<Record<string, unknown>>;
  }

  private mapConflict(err: unknown, info: ResourceInfo, name: string): unknown {
    if (isReason(err, 'Conflict')) return conflict(info.group, info.resource, name);
    if (isReason(err, 'NotFound')) return notFound(info.group, info.resource, name);
    return err;
  }

  /**
   * Read-modify-write with retry on conflict (upstream GuaranteedUpdate). `mutate`
   * receives a fresh copy of the current object; returning undefined creates nothing.
   * With `mutateCopies`, `mutate` promises never to change its argument (it returns a new
   * object, which may share the parts it leaves alone): the argument is then the decoded
   * object the update compares against rather than a second copy of it. Every patch type
   * builds its result as a new object; a binding shares all but what it sets.
   */
  async guaranteedUpdate(
    info: ResourceInfo,
    ns: string | undefined,
    name: string,
    mutate: (current: KObject | undefined) => KObject | Promise<KObject>,
    opts: WriteOpts & { createIfMissing?: boolean; preconditionRv?: string; mutateCopies?: boolean } = {},
  ): Promise<{ object: KObject; created: boolean }> {
    const key = this.key(info, ns, name);
    for (let attempt = 0; ; attempt++) {
      const kv = await this.store.get(key);
      if (!kv) {
        if (!opts.createIfMissing) throw notFound(info.group, info.resource, name);
        const obj = await mutate(undefined);
        obj.metadata ??= {};
        obj.metadata.name ??= name;
        if (obj.metadata.name !== name) throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`);
        try {
          return { object: await this.create(info, ns, obj, opts), created: true };
        } catch (err) {
          if (isReason(err, 'AlreadyExists') && attempt < 5) continue;
          throw err;
        }
      }
      const st = storageResource(info);
      // A status write or binding reads the stored object only (no defaulting, preparation or
      // allocation changes it), so it may start from the object as last written.
      const kept = opts.mutateCopies && (opts.subresource === 'status' || opts.subresource === 'binding') ? this.written.get(key) : undefined;
      const old = kept?.rev === kv.modRevision ? kept.obj : this.present(st, decodeStored(kv.value, kv.modRevision));
      if (opts.preconditionRv && opts.preconditionRv !== old.metadata!.resourceVersion) throw conflict(info.group, info.resource, name);
      const ctx = this.ctx(opts);
      // A second decode is the cheapest deep copy of the stored object.
      const current = opts.mutateCopies && st === info ? old : this.present(info, decodeStored(kv.value, kv.modRevision));
      const mutated = await mutate(current);
      if (mutated.metadata?.resourceVersion && mutated.metadata.resourceVersion !== old.metadata!.resourceVersion) {
        throw conflict(info.group, info.resource, name);
      }
      const obj = this.mergeForUpdate(st, old, toStorage(info, mutated) as KObject, ctx);
      try {
        return { object: this.present(info, await this.commitUpdate(st, key, old, obj, kv.modRevision, ctx)), created: false };
      } catch (err) {
        if (isReason(err, 'Conflict') && attempt < 10 && !opts.preconditionRv && !mutated.metadata?.resourceVersion) continue;
        throw err;
      }
    }
  }

  /**
   * Deletes with upstream semantics: preconditions, graceful deletion for pods on
   * nodes, finalizers (`orphan` / `foregroundDeletion` from the propagation policy)
   * keep the object with a deletionTimestamp until they are removed.
   * Returns the object and whether it is gone.
   */
  async delete(info: ResourceInfo, ns: string | undefined, name: string, opts: DeleteOptions = {}): Promise<{ object: KObject; deleted: boolean }> {
    const s = this.strategy(info);
    const key = this.key(info, ns, name);
    for (let attempt = 0; ; attempt++) {
      const kv = await this.store.get(key);
      if (!kv) throw notFound(info.group, info.resource, name);
      const obj = this.present(info, decodeStored(kv.value, kv.modRevision));
      const m = obj.metadata!;
      if (opts.preconditions?.uid && opts.preconditions.uid !== m.uid) {
        throw conflict(info.group, info.resource, name, `Precondition failed: UID in precondition: ${opts.preconditions.uid}, UID in object meta: ${m.uid}`);
      }
      if (opts.preconditions?.resourceVersion && opts.preconditions.resourceVersion !== m.resourceVersion) {
        throw conflict(info.group, info.resource, name, `Precondition failed: ResourceVersion in precondition: ${opts.preconditions.resourceVersion}, ResourceVersion in object meta: ${m.resourceVersion}`);
      }
      const finalizers = new Set(m.finalizers ?? []);
      const policy = opts.propagationPolicy;
      if (policy === 'Orphan') {
        finalizers.add('orphan');
        finalizers.delete('foregroundDeletion');
      } else if (policy === 'Foreground') {
        finalizers.add('foregroundDeletion');
        finalizers.delete('orphan');
      } else if (policy === 'Background') {
        finalizers.delete('orphan');
        finalizers.delete('foregroundDeletion');
      }
      const grace = s.gracefulDeleteSeconds?.(obj, opts.gracePeriodSeconds) ?? 0;
      const now = this.clock();
      const next = clone(obj);
      const nm = next.metadata!;
      if (finalizers.size) nm.finalizers = [...finalizers];
      else delete nm.finalizers;
      if (!nm.deletionTimestamp) {
        if (grace > 0 || finalizers.size || s.holdsDeletion?.(next)) {
          nm.deletionTimestamp = timestamp(new Date(now.getTime() + grace * 1000));
          nm.deletionGracePeriodSeconds = grace;
          s.onDeleteRequest?.(next);
        }
      } else if (grace < (nm.deletionGracePeriodSeconds ?? 0)) {
        // A shorter grace period (e.g. the kubelet's final delete with 0) moves the deadline closer.
        nm.deletionTimestamp = timestamp(new Date(now.getTime() + grace * 1000));
        nm.deletionGracePeriodSeconds = grace;
      }
      if (finalizers.size || s.holdsDeletion?.(next)) {
        if (jsonEqual(next, obj)) return { object: obj, deleted: false };
        if (opts.dryRun) return { object: next, deleted: false };
        try {
          const rev = await this.store.update(key, this.encode(next), kv.modRevision);
          nm.resourceVersion = String(rev);
          return { object: next, deleted: false };
        } catch (err) {
          if (isReason(err, 'Conflict') && attempt < 10) continue;
          throw this.mapConflict(err, info, name);
        }
      }
      if (opts.dryRun) return { object: obj, deleted: true };
      try {
        const del = await this.store.delete(key, kv.modRevision);
        s.afterDelete?.(obj);
        m.resourceVersion = String(del.modRevision);
        return { object: obj, deleted: true };
      } catch (err) {
        if (isReason(err, 'Conflict') && attempt < 10) continue;
        throw this.mapConflict(err, info, name);
      }
    }
  }

  /**
   * Lists with kube-apiserver's resourceVersion semantics: unset = latest; `0` =
   * any (latest here); N with `NotOlderThan` (default) = latest once the store has
   * reached N; `Exact` = a snapshot at N. `continue` resumes a paged list at its
   * original revision (410 once compacted).
   */
  async list(info: ResourceInfo, ns: string | undefined, opts: ListOptions = {}): Promise<ListOutput> {
    const prefix = this.prefix(info, ns);
    let revision = 0;
    let startAfter: string | undefined;
    if (opts.continueToken) {
      const c = decodeContinue(opts.continueToken);
      revision = c.rv;
      startAfter = c.startAfter;
      if (!startAfter.startsWith(prefix)) throw badRequest('continue key is not valid: the continue token does not match the current list request');
    } else if (opts.resourceVersion && opts.resourceVersion !== '0') {
      const rv = parseResourceVersion(opts.resourceVersion);
      if (opts.resourceVersionMatch === 'Exact') revision = rv;
      else {
        const cur = await this.store.currentRevision();
        if (rv > cur) await this.cache.waitFor(rv);
        if (rv > (await this.store.currentRevision())) {
          throw new ApiError('Timeout', `Too large resource version: ${rv}, current: ${await this.store.currentRevision()}`, { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 });
        }
      }
    } else if (opts.resourceVersionMatch && opts.resourceVersionMatch !== 'NotOlderThan') {
      throw new ApiError('Invalid', 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided', {
        kind: 'ListOptions',
        group: 'meta.k8s.io',
        causes: [{ reason: 'FieldValueForbidden', message: 'Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided', field: 'resourceVersionMatch' }],
      });
    }
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    const items: KObject[] = [];
    const raw = opts.raw && !opts.labelFilter && !opts.fieldFilter && storageResource(info) === info ? ([] as string[]) : undefined;
    let more = false;
    let lastKey: string | undefined;
    let readRev = revision;
    const filtered = !!(opts.labelFilter || opts.fieldFilter);
    // Page through the store until `limit` matching items are found (selectors filter after reading).
    for (;;) {
      const want = limit ? Math.max(limit - items.length, filtered ? 256 : 0) : 0;
      let page;
      try {
        page = await this.store.list(prefix, { ...(readRev ? { revision: readRev } : {}), ...(want ? { limit: want } : {}), ...(startAfter ? { startAfter } : {}) });
      } catch (err) {
        if ((isReason(err, 'Expired') || isReason(err, 'Gone')) && opts.continueToken) {
          throw gone('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.');
        }
        throw err;
      }
      readRev = page.revision;
      let stoppedEarly = false;
      for (let i = 0; i < page.items.length; i++) {
        const kv = page.items[i]!;
        lastKey = kv.key;
        if (raw) {
          raw.push(withResourceVersion(kv.value, kv.modRevision));
        } else {
          const obj = this.present(info, decodeStored(kv.value, kv.modRevision));
          if (opts.labelFilter && !opts.labelFilter(obj.metadata?.labels ?? {})) continue;
          if (opts.fieldFilter && !opts.fieldFilter(obj)) continue;
          items.push(obj);
        }
        if (limit && (raw?.length ?? items.length) >= limit) {
          if (i < page.items.length - 1 || page.more) stoppedEarly = true;
          break;
        }
      }
      if (stoppedEarly) {
        more = true;
        break;
      }
      if (!page.more || !lastKey) break;
      startAfter = lastKey;
    }
    const out: ListOutput = { items, resourceVersion: String(readRev), ...(raw ? { rawItems: raw } : {}) };
    if (more && lastKey) {
      out.continueToken = encodeContinue(readRev, lastKey);
      if (!filtered) {
        const total = await this.store.list(prefix, { revision: readRev, startAfter: lastKey, limit: 1 });
        out.remainingItemCount = (total.remaining ?? 0) + total.items.length;
      }
    }
    return out;
  }

  /**
   * Watches a resource. With `resourceVersion` unset or `0`, first sends ADDED for
   * every current object (upstream: "get state and start at most recent").
   * Returns a stop function.
   */
  async watch(
    info: ResourceInfo,
    ns: string | undefined,
    opts: { resourceVersion?: string; filter?: (obj: KObject) => boolean; sendInitialEvents?: boolean; onClose?: () => void },
    send: WatchSender,
  ): Promise<{ stop: () => void; startRevision: number }> {
    const prefix = this.prefix(info, ns);
    const filter = opts.filter;
    // Raw stored text can go out as is only when no version conversion applies.
    const rawOk = storageResource(info) === info;
    let after: number;
    const initial = !opts.resourceVersion || opts.resourceVersion === '0' || opts.sendInitialEvents;
    if (initial) {
      const page = await this.store.list(prefix, opts.resourceVersion && opts.resourceVersion !== '0' ? { revision: parseResourceVersion(opts.resourceVersion) } : {});
      after = page.revision;
      for (const kv of page.items) {
        const obj = this.present(info, decodeStored(kv.value, kv.modRevision));
        if (!filter || filter(obj)) send('ADDED', () => obj);
      }
    } else {
      after = parseResourceVersion(opts.resourceVersion);
    }
    const view = (ev: CachedEvent) => () => this.present(info, ev.object, true);
    const stop = this.cache.add({
      prefix,
      afterRevision: after,
      ...(opts.onClose ? { onClose: opts.onClose } : {}),
      onEvent: (ev) => {
        const raw = rawOk ? ev : undefined;
        if (!filter) {
          send(ev.type, view(ev), raw);
          return;
        }
        if (ev.type === 'ADDED') {
          if (filter(ev.object)) send('ADDED', view(ev), raw);
        } else if (ev.type === 'MODIFIED') {
          // Selector transitions look like ADDED/DELETED to this watcher, as upstream.
          const matchNow = filter(ev.object);
          const matchBefore = ev.hasPrev ? filter(ev.prevObject!) : false;
          if (matchNow && matchBefore) send('MODIFIED', view(ev), raw);
          else if (matchNow) send('ADDED', view(ev), undefined);
          else if (matchBefore) send('DELETED', view(ev), undefined);
        } else if (filter(ev.prevObject ?? ev.object)) {
          send('DELETED', view(ev), raw);
        }
      },
    });
    return { stop, startRevision: after };
  }

  /** Finds the resource info for a storage key, for components that route events by key. */
  static resourceForKey(key: string): ResourceInfo | undefined {
    const m = /^\/registry\/([^/]+)\/([^/]+)\//.exec(key);
    if (!m) return undefined;
    return findResource(m[1] === 'core' ? '' : m[1]!, 'v1', m[2]!);
  }
}
