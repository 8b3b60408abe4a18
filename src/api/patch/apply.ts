/**
 * Server-side apply (`application/apply-patch+yaml`) and field ownership
 * (`metadata.managedFields`), after sigs.k8s.io/structured-merge-diff as
 * kube-apiserver runs it:
 *
 * - The applied configuration is merged into the live object: maps and structs
 *   field by field, list-map lists (`+listType=map`) item by item on their
 *   `+listMapKey`s, sets by value; everything else (scalars, atomic lists, atomic
 *   structs and maps) is replaced.
 * - The applier then owns exactly the fields of its configuration. Fields it
 *   owned before and no longer applies are removed from the object unless
 *   another manager owns them.
 * - Changing a field another manager owns is a 409 Conflict, worded as upstream,
 *   unless `force` moves the field to the applier.
 * - Ordinary writes (`updateManagedFields`) give the writer the fields it added
 *   or changed and take them away from their previous owners.
 *
 * Simplified, and documented as such:
 * - No version conversion: every entry is compared in the object's own version.
 * - `status` is excluded from ownership on the main resource and `spec` on the
 *   `status` subresource (upstream's reset fields); the API server resets the
 *   values themselves.
 * - Objects are JSON, not Go structs: a freshly created struct-typed field
 *   (e.g. `spec.affinity`) is never a member (`.`), and `strategy` is one,
 *   where upstream decides by whether the Go field is a pointer.
 * - The manager count cap and the `before-first-apply` reuse rules are not modelled
 *   beyond creating that entry when applying to an object with no managedFields.
 */
import { ApiError, badRequest } from '../errors.js';
import {
  difference,
  emptySet,
  fromFieldsV1,
  insertPath,
  isEmptyFieldsV1,
  intersection,
  isEmptySet,
  isSubset,
  keyElement,
  memberPaths,
  nodeAt,
  overlaps,
  overlapsFieldsV1,
  pathString,
  toFieldsV1,
  union,
  valueElement,
  type FieldNode,
} from './fieldset.js';
import { clone, deepEqual, isObject, type JsonObject } from './json.js';
import { fieldMeta, isAtomicValue, type FieldMeta, type PatchMeta } from './patch-meta.js';

/** One `metadata.managedFields` entry. */
export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time?: string;
  fieldsType: 'FieldsV1';
  fieldsV1: JsonObject;
  subresource?: string;
}

/** Options of `serverSideApply`. */
export interface ApplyOptions {
  /** The `fieldManager` query parameter (required for apply). */
  manager: string;
  /** `force=true`: take conflicting fields instead of failing. */
  force: boolean;
  /** The kind's patch metadata, or `undefined` (maps merge, lists are atomic). */
  meta: PatchMeta | undefined;
  /** The current time, RFC 3339 with seconds (`2026-11-21T22:51:08Z`). */
  now: string;
  /** `status` when applying to the status subresource. */
  subresource?: string;
}

/** Options of `updateManagedFields`. */
export interface UpdateOptions {
  manager: string;
  operation: 'Update';
  subresource?: string;
  now: string;
  meta: PatchMeta | undefined;
}

/** The result of `serverSideApply`. */
export interface ApplyResult {
  /** The merged object, with `metadata.managedFields` set. */
  object: JsonObject;
  managedFields: ManagedFieldsEntry[];
}

/** The manager upstream invents to own the fields of an object that had no managedFields. */
export const BEFORE_FIRST_APPLY = 'before-first-apply';

/**
 * The field set of `obj` in upstream's `fieldsV1` format, as apply records it
 * for the applied configuration: scalars, atomic values, list-map items
 * (`k:{"containerPort":80,"protocol":"TCP"}`) and set items (`v:"x"`) are members;
 * list items with fields below them carry `".": {}`.
 * Example: `fieldsetOf({spec: {replicas: 3}}, meta)` → `{"f:spec": {"f:replicas": {}}}`.
 */
export function fieldsetOf(obj: unknown, meta: PatchMeta | undefined): JsonObject {
  return toFieldsV1(setOf(obj, meta));
}

/**
 * Server-side apply of `applied` onto `live` (`undefined` to create) for
 * `options.manager`. Returns the merged object (with managedFields) and the
 * entries; throws 409 Conflict worded as upstream, e.g.
 * `Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: .spec.replicas`,
 * and 400 BadRequest for a configuration that is not an object or has a list
 * item without its key fields.
 */
export function serverSideApply(live: JsonObject | undefined, applied: unknown, options: ApplyOptions): ApplyResult {
  if (!isObject(applied)) throw badRequest('error decoding YAML: the applied configuration must be an object');
  if (!options.manager) throw badRequest('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
  const { meta } = options;
  const root = rootMeta(meta);
  const ignored = ignoredSet(options.subresource);
  const apiVersion = typeof applied['apiVersion'] === 'string' ? applied['apiVersion'] : String(live?.['apiVersion'] ?? '');

  const liveBody = clone(withoutManagedFields(live ?? {}));
  const managers = readManagers(live);
  if (live && managers.size === 0) {
    managers.set(
      identity(BEFORE_FIRST_APPLY, 'Update', apiVersion, undefined),
      new Managed({ manager: BEFORE_FIRST_APPLY, operation: 'Update', apiVersion, fieldsType: 'FieldsV1', fieldsV1: {} }, undefined, difference(setOf(liveBody, meta), ignored)),
    );
  }

  const config = clone(withoutManagedFields(applied));
  let merged = mergeApply(liveBody, config, root, meta) as JsonObject;
  const applierId = identity(options.manager, 'Apply', apiVersion, options.subresource);
  const lastSet = managers.get(applierId)?.set;
  const newSet = difference(setOf(config, meta), ignored);
  const applier = new Managed(
    {
      manager: options.manager,
      operation: 'Apply',
      apiVersion,
      fieldsType: 'FieldsV1',
      fieldsV1: {},
      ...(options.subresource ? { subresource: options.subresource } : {}),
    },
    undefined,
    newSet,
  );
  applier.changed = true;
  managers.set(applierId, applier);

  if (lastSet && !isEmptySet(lastSet)) {
    let owned = emptySet();
    for (const m of managers.values()) owned = union(owned, m.set);
    merged = prune(merged, lastSet, owned, root, meta) as JsonObject;
  }

  const cmp = compare(liveBody, merged, meta, ignored);
  const touched = union(cmp.added, cmp.modified);
  const conflicts: { id: string; entry: ManagedFieldsEntry; set: FieldNode }[] = [];
  for (const [id, m] of managers) {
    if (id === applierId) continue;
    const c = intersection(m.set, touched);
    if (!isEmptySet(c)) conflicts.push({ id, entry: m.entry, set: c });
  }
  if (conflicts.length > 0 && !options.force) throw conflictError(conflicts);
  for (const c of conflicts) {
    const m = managers.get(c.id);
    if (m) m.set = difference(m.set, c.set);
  }
  subtractRemoved(managers, applierId, cmp.removed);

  const entries = writeManagers(managers, options.now);
  const object = clone(merged);
  setManagedFields(object, entries);
  return { object, managedFields: entries };
}

/**
 * The managedFields after an ordinary write (create, update, patch) of
 * `updated` over `old` (`undefined` on create) by `options.manager`: the writer
 * gains what it added or changed, previous owners lose those fields, and fields
 * the write removed leave every manager.
 * Example: `updateManagedFields(undefined, pod, {manager: 'kubectl-create', operation: 'Update', now, meta})`.
 */
export function updateManagedFields(old: JsonObject | undefined, updated: JsonObject, options: UpdateOptions): ManagedFieldsEntry[] {
  const { meta } = options;
  const ignored = ignoredSet(options.subresource);
  const apiVersion = typeof updated['apiVersion'] === 'string' ? updated['apiVersion'] : String(old?.['apiVersion'] ?? '');
  const managers = readManagers(old);
  // Only the part the write may change is compared: status for /status, everything else otherwise.
  const cmp = compare(relevantPart(withoutManagedFields(old ?? {}), options.subresource), relevantPart(withoutManagedFields(updated), options.subresource), meta, ignored);
  const id = identity(options.manager, 'Update', apiVersion, options.subresource);
  // Sets are not changed once built, so an empty side spares a copy (a create only adds).
  const touched = isEmptySet(cmp.modified) ? cmp.added : isEmptySet(cmp.added) ? cmp.modified : union(cmp.added, cmp.modified);
  const untouched = isEmptySet(touched) && isEmptySet(cmp.removed);
  for (const [otherId, m] of managers) {
    if (otherId === id) continue;
    // A manager owning none of the touched or removed fields keeps its set as it is
    // (the usual case: a status write against the spec's owner).
    if (untouched || (!m.overlaps(touched) && !m.overlaps(cmp.removed))) {
      m.same = true;
      continue;
    }
    const kept = difference(m.set, touched);
    const next = isEmptySet(cmp.removed) ? kept : difference(kept, cmp.removed);
    m.same = sameSet(m.set, next);
    m.set = next;
  }
  const mine = managers.get(id);
  const before = mine?.set ?? emptySet();
  // A writer that touched only fields it owned already, removed none of them and owns no
  // ignored field keeps its set (a Lease renewal, a repeated status write).
  const unchanged = !!mine && isSubset(touched, before) && !overlaps(before, cmp.removed) && !overlaps(before, ignored);
  // compare() already left the ignored fields out of `touched`.
  const after = unchanged ? before : !mine && isEmptySet(cmp.removed) ? touched : difference(union(difference(before, cmp.removed), touched), ignored);
  const same = unchanged || (!!mine && sameSet(before, after));
  const writer = new Managed(
    mine?.entry ?? {
      manager: options.manager,
      operation: 'Update',
      apiVersion,
      fieldsType: 'FieldsV1',
      fieldsV1: {},
      ...(options.subresource ? { subresource: options.subresource } : {}),
    },
    mine?.raw,
    after,
  );
  writer.changed = !same;
  writer.same = same;
  managers.set(id, writer);
  return writeManagers(managers, options.now);
}

// ---------------------------------------------------------------------------
// Managers

/**
 * One manager's entry and field set. A set read from `fieldsV1` is parsed only when
 * something needs it: a write that touches none of a manager's fields (a status write
 * against the spec's owner) answers `overlaps` from the stored `fieldsV1` and writes it back.
 */
class Managed {
  /** Set for the acting manager when its fields changed: only its time moves, as upstream. */
  changed?: boolean;
  /** The set is still the one `raw` encodes: write `raw` back instead of encoding the set again. */
  same?: boolean;
  private parsed: FieldNode | undefined;

  constructor(
    readonly entry: ManagedFieldsEntry,
    /** The `fieldsV1` this entry was read from, when it had exactly one entry. */
    readonly raw: JsonObject | undefined,
    set?: FieldNode,
  ) {
    this.parsed = set;
  }

  get set(): FieldNode {
    return (this.parsed ??= fromFieldsV1(this.raw));
  }

  set set(v: FieldNode) {
    this.parsed = v;
  }

  /** `overlaps(this.set, other)`, without parsing `raw` for it. */
  overlaps(other: FieldNode): boolean {
    return this.parsed || this.raw === undefined ? overlaps(this.set, other) : overlapsFieldsV1(this.raw, other);
  }

  /** `isEmptySet(this.set)`, without parsing `raw` for it. */
  isEmpty(): boolean {
    return this.parsed || this.raw === undefined ? isEmptySet(this.set) : isEmptyFieldsV1(this.raw);
  }
}

/** Upstream's manager identity: appliers are one manager across versions, updaters are not. */
function identity(manager: string, operation: string, apiVersion: string, subresource: string | undefined): string {
  return JSON.stringify([manager, operation, operation === 'Apply' ? '' : apiVersion, subresource ?? '']);
}

function readManagers(obj: JsonObject | undefined): Map<string, Managed> {
  const out = new Map<string, Managed>();
  const md = obj?.['metadata'];
  const list = isObject(md) ? md['managedFields'] : undefined;
  if (!Array.isArray(list)) return out;
  for (const e of list) {
    if (!isObject(e) || typeof e['manager'] !== 'string') continue;
    const operation = e['operation'] === 'Apply' ? 'Apply' : 'Update';
    const apiVersion = typeof e['apiVersion'] === 'string' ? e['apiVersion'] : '';
    const subresource = typeof e['subresource'] === 'string' && e['subresource'] ? e['subresource'] : undefined;
    const entry: ManagedFieldsEntry = {
      manager: e['manager'],
      operation,
      apiVersion,
      fieldsType: 'FieldsV1',
      fieldsV1: {},
      ...(typeof e['time'] === 'string' ? { time: e['time'] } : {}),
      ...(subresource ? { subresource } : {}),
    };
    const id = identity(entry.manager, operation, apiVersion, subresource);
    const prev = out.get(id);
    const raw = e['fieldsV1'];
    out.set(id, prev ? new Managed(entry, undefined, union(prev.set, fromFieldsV1(raw))) : isObject(raw) ? new Managed(entry, raw) : new Managed(entry, undefined, emptySet()));
  }
  return out;
}

function writeManagers(managers: Map<string, Managed>, now: string): ManagedFieldsEntry[] {
  const out: ManagedFieldsEntry[] = [];
  for (const m of managers.values()) {
    if (m.isEmpty()) continue;
    const time = m.changed || !m.entry.time ? now : m.entry.time;
    out.push({
      manager: m.entry.manager,
      operation: m.entry.operation,
      apiVersion: m.entry.apiVersion,
      time,
      fieldsType: 'FieldsV1',
      fieldsV1: m.same && m.raw !== undefined ? m.raw : toFieldsV1(m.set),
      ...(m.entry.subresource ? { subresource: m.entry.subresource } : {}),
    });
  }
  // Upstream's order: operation, time, manager, apiVersion, subresource.
  return out.sort(
    (p, q) =>
      cmpStr(p.operation, q.operation) ||
      Math.floor(Date.parse(p.time ?? '') / 1000 || 0) - Math.floor(Date.parse(q.time ?? '') / 1000 || 0) ||
      cmpStr(p.manager, q.manager) ||
      cmpStr(p.apiVersion, q.apiVersion) ||
      cmpStr(p.subresource ?? '', q.subresource ?? ''),
  );
}

function subtractRemoved(managers: Map<string, Managed>, except: string, removed: FieldNode): void {
  if (isEmptySet(removed)) return;
  for (const [id, m] of managers) {
    if (id === except) continue;
    m.set = difference(m.set, removed);
  }
}

function conflictError(conflicts: { entry: ManagedFieldsEntry; set: FieldNode }[]): ApiError {
  const all = conflicts.flatMap((c) => memberPaths(c.set).map((p) => ({ who: printManager(c.entry), path: pathString(p) })));
  let message: string;
  if (all.length === 1) {
    const only = all[0] as { who: string; path: string };
    message = `Apply failed with 1 conflict: conflict with ${only.who}: ${only.path}`;
  } else {
    const byWho = new Map<string, string[]>();
    for (const c of all) byWho.set(c.who, [...(byWho.get(c.who) ?? []), c.path]);
    const lines: string[] = [];
    for (const who of [...byWho.keys()].sort()) {
      lines.push(`conflicts with ${who}:`);
      for (const p of byWho.get(who) ?? []) lines.push(`- ${p}`);
    }
    message = `Apply failed with ${all.length} conflicts: ${lines.join('\n')}`;
  }
  return new ApiError('Conflict', message, {
    causes: all.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${c.who}`, field: c.path })),
  });
}

/** `"kubectl"`, `"kube-controller-manager" using apps/v1`, `"x" with subresource "status"`. */
function printManager(e: ManagedFieldsEntry): string {
  let s = JSON.stringify(e.manager);
  if (e.subresource) s += ` with subresource ${JSON.stringify(e.subresource)}`;
  if (e.operation === 'Update') s += ` using ${e.apiVersion}`;
  return s;
}

// ---------------------------------------------------------------------------
// Schema walking

type Shape = 'leaf' | 'struct' | 'listmap' | 'set';

function rootMeta(meta: PatchMeta | undefined): FieldMeta | undefined {
  return meta ? { type: meta.root } : undefined;
}

/** How apply treats a value of this field. */
function shapeOf(v: unknown, fm: FieldMeta | undefined, meta: PatchMeta | undefined): Shape {
  if (Array.isArray(v)) {
    const lt = listTypeOf(fm);
    return lt === 'map' ? 'listmap' : lt === 'set' ? 'set' : 'leaf';
  }
  if (isObject(v)) return isAtomicValue(meta, fm) ? 'leaf' : 'struct';
  return 'leaf';
}

/** `+listType`, or what schemaconv derives from a merge patch strategy; unknown lists are atomic. */
function listTypeOf(fm: FieldMeta | undefined): 'atomic' | 'set' | 'map' {
  if (!fm) return 'atomic';
  if (fm.listType) return fm.listType;
  if (fm.patchStrategy === 'merge' || fm.patchStrategy === 'merge,retainKeys') return fm.patchMergeKey ? 'map' : 'set';
  return 'atomic';
}

function childMeta(fm: FieldMeta | undefined, key: string, meta: PatchMeta | undefined): FieldMeta | undefined {
  if (!fm) return undefined;
  if (fm.map) return fm.type ? { type: fm.type } : undefined;
  return fieldMeta(meta, fm.type, key);
}

function itemMeta(fm: FieldMeta | undefined): FieldMeta | undefined {
  return fm?.type ? { type: fm.type } : undefined;
}

/** The path element of one item of a list-map or set. */
function itemElement(item: unknown, fm: FieldMeta | undefined, shape: Shape, index: number): string {
  if (shape === 'set') return valueElement(item);
  const keys = fm?.listMapKeys ?? (fm?.patchMergeKey ? [fm.patchMergeKey] : []);
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    const v = isObject(item) && item[k] !== undefined && item[k] !== null ? item[k] : fm?.keyDefaults?.[k];
    if (v === undefined) {
      throw badRequest(`element ${index}: associative list with keys has an element that omits key field ${JSON.stringify(k)} (and doesn't have default value)`);
    }
    out[k] = v;
  }
  return keyElement(out);
}

/** The field set of a value, as structured-merge-diff's ToFieldSet builds it. */
function setOf(v: unknown, meta: PatchMeta | undefined): FieldNode {
  const set = emptySet();
  walkSet(v, rootMeta(meta), meta, [], set);
  return set;
}

function walkSet(v: unknown, fm: FieldMeta | undefined, meta: PatchMeta | undefined, path: string[], set: FieldNode): void {
  const shape = shapeOf(v, fm, meta);
  if (shape === 'leaf') {
    insertPath(set, path);
    return;
  }
  if (shape === 'struct') {
    for (const [k, c] of Object.entries(v as JsonObject)) {
      const p = [...path, `f:${k}`];
      walkSet(c, childMeta(fm, k, meta), meta, p, set);
      if (c === null || (isObject(c) && Object.keys(c).length === 0) || fm?.map) insertPath(set, p);
    }
    return;
  }
  const seen = new Set<string>();
  (v as unknown[]).forEach((item, i) => {
    const pe = itemElement(item, fm, shape, i);
    const p = [...path, pe];
    if (!seen.has(pe) && shape === 'listmap') walkSet(item, itemMeta(fm), meta, p, set);
    seen.add(pe);
    insertPath(set, p);
  });
}

// ---------------------------------------------------------------------------
// Merge, prune, compare

/** structured-merge-diff's merge of a configuration into a live value. */
function mergeApply(l: unknown, r: unknown, fm: FieldMeta | undefined, meta: PatchMeta | undefined): unknown {
  if (r === undefined) return l;
  if (l === undefined || l === null || r === null) return clone(r);
  const shape = shapeOf(r, fm, meta);
  if (shape === 'leaf' || shapeOf(l, fm, meta) !== shape) return clone(r);
  if (shape === 'struct') {
    const out = clone(l) as JsonObject;
    for (const [k, c] of Object.entries(r as JsonObject)) {
      if (c === null) delete out[k];
      else out[k] = mergeApply(out[k], c, childMeta(fm, k, meta), meta);
    }
    return out;
  }
  return mergeList(l as unknown[], r as unknown[], fm, shape, meta);
}

/** List merge with upstream's order: shared items follow the configuration, live-only items keep their place. */
function mergeList(lhs: unknown[], rhs: unknown[], fm: FieldMeta | undefined, shape: Shape, meta: PatchMeta | undefined): unknown[] {
  const lpe = lhs.map((x, i) => itemElement(x, fm, shape, i));
  const rpe = rhs.map((x, i) => itemElement(x, fm, shape, i));
  const lByPe = new Map<string, unknown>();
  lpe.forEach((pe, i) => lByPe.has(pe) || lByPe.set(pe, lhs[i]));
  const rByPe = new Map<string, unknown>();
  rpe.forEach((pe, i) => rByPe.has(pe) || rByPe.set(pe, rhs[i]));
  const shared = rpe.filter((pe) => lByPe.has(pe));
  let next = shared.shift();
  const done = new Set<string>();
  const out: unknown[] = [];
  const item = (pe: string) => (shape === 'set' ? rByPe.get(pe) : mergeApply(lByPe.get(pe), rByPe.get(pe), itemMeta(fm), meta));
  let li = 0;
  let ri = 0;
  while (li < lpe.length || ri < rpe.length) {
    if (li < lpe.length && ri < rpe.length) {
      const pe = lpe[li] as string;
      if (pe === rpe[ri]) {
        if (!done.has(pe)) out.push(item(pe));
        done.add(pe);
        li++;
        ri++;
        next = shared.shift();
        continue;
      }
      if (rByPe.has(pe) && next !== undefined && next !== pe) {
        li++;
        continue;
      }
    }
    if (li < lpe.length) {
      const pe = lpe[li] as string;
      if (!rByPe.has(pe)) {
        out.push(lhs[li]);
        li++;
        continue;
      } else if (done.has(pe)) {
        li++;
      }
    }
    if (ri < rpe.length) {
      const pe = rpe[ri] as string;
      if (!done.has(pe)) out.push(item(pe));
      done.add(pe);
      ri++;
      if (next === pe) next = shared.shift();
    }
  }
  return out;
}

/** Removes from `v` what `last` owned and nobody owns any more. */
function prune(v: unknown, last: FieldNode, owned: FieldNode | undefined, fm: FieldMeta | undefined, meta: PatchMeta | undefined): unknown {
  const shape = shapeOf(v, fm, meta);
  if (shape === 'struct') {
    const out = { ...(v as JsonObject) };
    for (const [pe, child] of last.children) {
      if (!pe.startsWith('f:')) continue;
      const k = pe.slice(2);
      if (!(k in out)) continue;
      const o = owned?.children.get(pe);
      const unowned = !o || isEmptySet(o);
      if (child.member && unowned) {
        delete out[k];
      } else if (child.children.size > 0) {
        const next = prune(out[k], child, o, childMeta(fm, k, meta), meta);
        if (unowned && isObject(next) && Object.keys(next).length === 0) delete out[k];
        else out[k] = next;
      }
    }
    return out;
  }
  if (shape === 'listmap' || shape === 'set') {
    const list = v as unknown[];
    const out: unknown[] = [];
    list.forEach((item, i) => {
      const pe = itemElement(item, fm, shape, i);
      const child = last.children.get(pe);
      const o = owned?.children.get(pe);
      if (!child) out.push(item);
      else if (child.member && (!o || isEmptySet(o))) return;
      else if (shape === 'listmap' && child.children.size > 0) out.push(prune(item, child, o, itemMeta(fm), meta));
      else out.push(item);
    });
    return out;
  }
  return v;
}

interface Comparison {
  added: FieldNode;
  modified: FieldNode;
  removed: FieldNode;
}

/** structured-merge-diff's Compare, minus the ignored fields. */
function compare(lhs: unknown, rhs: unknown, meta: PatchMeta | undefined, ignored: FieldNode): Comparison {
  const c: Comparison = { added: emptySet(), modified: emptySet(), removed: emptySet() };
  walkCompare(lhs, rhs, rootMeta(meta), meta, [], c, ignored);
  return c;
}

/**
 * Walks `l` and `r` together, recording each path into `c`. `ign` is the node of
 * the ignored set at this path (undefined below it): a path that is a member of
 * the ignored set is left out, its descendants are not, exactly as taking the
 * set difference afterwards would (without copying three sets).
 */
function walkCompare(l: unknown, r: unknown, fm: FieldMeta | undefined, meta: PatchMeta | undefined, path: string[], c: Comparison, ign: FieldNode | undefined): void {
  // Nothing on either side (a property holding undefined is absent in JSON).
  if (l === undefined && r === undefined) return;
  // An unchanged subtree adds, modifies and removes nothing: an update touching one field skips the rest.
  if (l !== undefined && r !== undefined && typeof l === 'object' && l !== null && deepEqual(l, r)) return;
  if (l === undefined && r !== undefined) {
    // Everything below is added (a create, a new status): build that subtree in one go.
    const added = addedTree(r, fm, meta, path.length === 0, path.length > 0 && path[path.length - 1]!.startsWith('f:'), ign);
    if (added) graft(c.added, path, added);
    return;
  }
  const ls = l === undefined ? undefined : shapeOf(l, fm, meta);
  const rs = r === undefined ? undefined : shapeOf(r, fm, meta);
  const shape = ls ?? rs;
  const keep = !ign?.member;
  if (shape === 'leaf' || (ls !== undefined && rs !== undefined && ls !== rs)) {
    if (!keep) return;
    if (l === undefined) insertPath(c.added, path);
    else if (r === undefined) insertPath(c.removed, path);
    else if (!deepEqual(l, r)) insertPath(c.modified, path);
    return;
  }
  if (shape === 'struct') {
    const lo = (l ?? {}) as JsonObject;
    const ro = (r ?? {}) as JsonObject;
    // `path` is one stack for the whole walk (insertPath copies what it keeps).
    const keys = l === undefined ? Object.keys(ro) : r === undefined ? Object.keys(lo) : new Set([...Object.keys(lo), ...Object.keys(ro)]);
    for (const k of keys) {
      const pe = `f:${k}`;
      path.push(pe);
      walkCompare(lo[k], ro[k], childMeta(fm, k, meta), meta, path, c, ign?.children.get(pe));
      path.pop();
    }
    // A struct-typed field is always present in a Go object, so it is never "added" itself.
    const typedStruct = fm?.type !== undefined && !fm.map && !fm.list && path.length > 0 && path[path.length - 1]?.startsWith('f:');
    if (!typedStruct && keep) markWhole(l, r, path, c);
    return;
  }
  const items = (v: unknown): Map<string, unknown> => {
    const m = new Map<string, unknown>();
    if (Array.isArray(v)) {
      v.forEach((x, i) => {
        const pe = itemElement(x, fm, shape as Shape, i);
        if (!m.has(pe)) m.set(pe, x);
      });
    }
    return m;
  };
  const li = items(l);
  const ri = items(r);
  for (const pe of new Set([...li.keys(), ...ri.keys()])) {
    path.push(pe);
    const itemIgn = ign?.children.get(pe);
    if (shape === 'set') {
      if (!itemIgn?.member) {
        if (!li.has(pe)) insertPath(c.added, path);
        else if (!ri.has(pe)) insertPath(c.removed, path);
      }
    } else {
      walkCompare(li.get(pe), ri.get(pe), itemMeta(fm), meta, path, c, itemIgn);
    }
    path.pop();
  }
  if (keep) markWhole(l, r, path, c);
}

/**
 * What walkCompare records as added for a value with nothing before it, as a
 * subtree of its own (undefined when nothing is added): the same members, built
 * without re-walking the path from the root for each one.
 */
function addedTree(r: unknown, fm: FieldMeta | undefined, meta: PatchMeta | undefined, atRoot: boolean, viaField: boolean, ign?: FieldNode): FieldNode | undefined {
  // A member of the ignored set is left out, its descendants are not (as in walkCompare).
  const keep = !atRoot && !ign?.member;
  if (r === undefined) return keep ? { member: true, children: new Map() } : undefined;
  const shape = shapeOf(r, fm, meta);
  if (shape === 'leaf') return keep ? { member: true, children: new Map() } : undefined;
  const node = emptySet();
  if (shape === 'struct') {
    const ro = r as JsonObject;
    for (const k of Object.keys(ro)) {
      if (ro[k] === undefined) continue;
      const pe = `f:${k}`;
      const child = addedTree(ro[k], childMeta(fm, k, meta), meta, false, true, ign?.children.get(pe));
      if (child) node.children.set(pe, child);
    }
    // A struct-typed field is always present in a Go object, so it is never "added" itself.
    const typedStruct = fm?.type !== undefined && !fm.map && !fm.list && viaField;
    node.member = keep && !typedStruct;
  } else {
    const list = Array.isArray(r) ? r : [];
    for (let i = 0; i < list.length; i++) {
      const pe = itemElement(list[i], fm, shape, i);
      // The first of duplicate items counts, as in walkCompare.
      if (node.children.has(pe)) continue;
      const itemIgn = ign?.children.get(pe);
      const child = shape === 'set' ? (itemIgn?.member ? undefined : { member: true, children: new Map() }) : addedTree(list[i], itemMeta(fm), meta, false, false, itemIgn);
      node.children.set(pe, child ?? emptySet());
    }
    for (const [pe, child] of node.children) if (!child.member && child.children.size === 0) node.children.delete(pe);
    node.member = keep;
  }
  return node.member || node.children.size > 0 ? node : undefined;
}

/** Puts `sub` into `set` at `path` (merging with what is there). */
function graft(set: FieldNode, path: readonly string[], sub: FieldNode): void {
  const node = nodeAt(set, path);
  if (sub.member) node.member = true;
  for (const [pe, c] of sub.children) node.children.set(pe, node.children.has(pe) ? union(node.children.get(pe)!, c) : c);
}

function markWhole(l: unknown, r: unknown, path: string[], c: Comparison): void {
  if (path.length === 0) return;
  if (l === undefined) insertPath(c.added, path);
  else if (r === undefined) insertPath(c.removed, path);
}

// ---------------------------------------------------------------------------
// Helpers

const STRIPPED = ['apiVersion', 'kind', 'metadata'];
const STRIPPED_META = ['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'clusterName', 'generation', 'managedFields', 'resourceVersion'];

/** Fields never recorded in managedFields (upstream's stripMeta plus reset fields). Shared: callers only read it. */
function ignoredSet(subresource: string | undefined): FieldNode {
  const status = subresource === 'status';
  const cached = status ? ignoredForStatus : ignoredForMain;
  if (cached) return cached;
  const set = emptySet();
  for (const f of STRIPPED) insertPath(set, [`f:${f}`]);
  for (const f of STRIPPED_META) insertPath(set, ['f:metadata', `f:${f}`]);
  insertPath(set, [status ? 'f:spec' : 'f:status']);
  if (status) ignoredForStatus = set;
  else ignoredForMain = set;
  return set;
}

let ignoredForStatus: FieldNode | undefined;
let ignoredForMain: FieldNode | undefined;

/** The top-level fields a write through `subresource` can change (a shallow view). */
function relevantPart(obj: JsonObject, subresource: string | undefined): JsonObject {
  if (subresource === 'status') return 'status' in obj ? { status: obj['status'] as JsonObject } : {};
  if (!('status' in obj)) return obj;
  const { status: _s, ...rest } = obj;
  return rest;
}

/** A shallow view of `obj` without metadata.managedFields (callers only read it). */
function withoutManagedFields(obj: JsonObject): JsonObject {
  const md = obj['metadata'];
  if (!isObject(md) || !('managedFields' in md)) return obj;
  const { managedFields: _mf, ...rest } = md;
  return { ...obj, metadata: rest };
}

function setManagedFields(obj: JsonObject, entries: ManagedFieldsEntry[]): void {
  const md = isObject(obj['metadata']) ? obj['metadata'] : (obj['metadata'] = {});
  if (entries.length > 0) md['managedFields'] = clone(entries) as unknown as JsonObject[];
  else delete md['managedFields'];
}

function sameSet(a: FieldNode, b: FieldNode): boolean {
  return deepEqual(toFieldsV1(a), toFieldsV1(b));
}

function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
