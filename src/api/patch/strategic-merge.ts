/**
 * Strategic merge patch (`application/strategic-merge-patch+json`), the patch
 * type kubectl sends for built-in kinds: a JSON merge patch whose lists follow
 * the struct tags in `patch-meta.ts`, plus the `$patch`, `$retainKeys`,
 * `$setElementOrder/<list>` and `$deleteFromPrimitiveList/<list>` directives.
 *
 * Semantics follow apimachinery's `strategicpatch.StrategicMergeMapPatch` as
 * the API server runs it (parallel lists merged, unmatched nulls ignored),
 * including its ordering rule: items the patch names come in patch order,
 * items only the server has keep their place relative to one another, and a
 * new item with no `$setElementOrder` goes before the server-only items.
 *
 * Deliberate differences, all on inputs kubectl never sends:
 * - `$patch: merge` on a map is accepted as "merge as usual" (upstream rejects
 *   it), and a `{"$patch": "merge"}` list element is ignored.
 * - A value added where the original had none is cleaned of directives and
 *   nulls (upstream stores it raw and relies on typed decoding to drop them).
 * - `$deleteFromPrimitiveList` on a missing list, and `$setElementOrder` on a
 *   field without merge metadata, are no-ops instead of errors.
 * - Malformed directives are 400 BadRequest; upstream answers some with 500.
 */
import { badRequest } from '../errors.js';
import { clone, isObject, type JsonObject } from './json.js';
import { fieldMeta, type FieldMeta, type PatchMeta } from './patch-meta.js';

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ORDER = '$setElementOrder';
const DELETE_FROM = '$deleteFromPrimitiveList';

/**
 * Applies a strategic merge patch to `original` and returns the result; neither
 * argument is changed. `meta` is the kind's patch metadata (`patchMetaFor`);
 * with `undefined`, or for fields the metadata does not list, the patch acts as
 * a JSON merge patch (maps merge, lists replace). Throws 400 BadRequest for a
 * malformed patch (a list element without its merge key, a bad directive).
 * Example: `strategicMergePatch(deploy, {spec: {template: {spec: {containers: [{name: 'web', image: 'nginx:1.27'}]}}}}, patchMetaFor('apps/v1', 'Deployment'))`
 * changes the image of container `web` only.
 */
export function strategicMergePatch(original: unknown, patch: unknown, meta: PatchMeta | undefined): JsonObject {
  if (!isObject(patch)) {
    throw badRequest(`json: cannot unmarshal ${Array.isArray(patch) ? 'array' : typeof patch} into Go value of type map[string]interface {}`);
  }
  const base = isObject(original) ? clone(original) : {};
  return mergeMap(base, clone(patch), meta?.root, meta);
}

/** Merges `patch` into `orig` (both private copies; `orig` is modified). */
function mergeMap(orig: JsonObject | undefined, patch: JsonObject, type: string | undefined, meta: PatchMeta | undefined): JsonObject {
  if (DIRECTIVE in patch) {
    const d = patch[DIRECTIVE];
    if (d === 'replace') {
      delete patch[DIRECTIVE];
      return patch;
    }
    if (d === 'delete') return {};
    if (d !== 'merge') throw badRequest(`unknown patch type: ${String(d)} in map: ${JSON.stringify(patch)}`);
    delete patch[DIRECTIVE];
  }
  const out = orig ?? {};
  applyRetainKeys(out, patch);
  applySetElementOrder(out, patch, type, meta);
  for (const [k, pv] of Object.entries(patch)) {
    if (k.startsWith(DELETE_FROM)) {
      deleteFromPrimitiveList(out, k, pv);
      continue;
    }
    if (pv === null) {
      delete out[k];
      continue;
    }
    out[k] = mergeValue(out[k], pv, fieldMeta(meta, type, k), meta);
  }
  return out;
}

function mergeValue(ov: unknown, pv: unknown, fm: FieldMeta | undefined, meta: PatchMeta | undefined): unknown {
  if (isObject(pv)) {
    if (fm?.patchStrategy === 'replace') return pv;
    // Keys of a map[string]T field are data, not fields of T.
    const type = fm?.map ? undefined : fm?.type;
    return mergeMap(isObject(ov) ? ov : undefined, pv, type, meta);
  }
  if (Array.isArray(pv)) {
    if (!isMergeList(fm)) return pv;
    return mergeList(Array.isArray(ov) ? ov : [], pv, fm, meta);
  }
  return pv;
}

function isMergeList(fm: FieldMeta | undefined): fm is FieldMeta {
  return fm?.patchStrategy === 'merge' || fm?.patchStrategy === 'merge,retainKeys';
}

/** Merges a patch list into a list whose field has `patchStrategy: merge`. */
function mergeList(orig: unknown[], patch: unknown[], fm: FieldMeta, meta: PatchMeta | undefined): unknown[] {
  if (orig.length === 0 && patch.length === 0) return orig;
  if (elementKind(orig, patch) === 'scalar') {
    const merged = dedupe([...orig, ...patch]);
    return orderLike(merged, patch, orig, undefined);
  }
  const key = fm.patchMergeKey;
  if (key === undefined) throw badRequest('cannot merge lists without merge key for type map');
  let base = orig;
  let replace = false;
  const rest: JsonObject[] = [];
  for (const el of patch as JsonObject[]) {
    if (!(DIRECTIVE in el)) {
      rest.push(el);
      continue;
    }
    const d = el[DIRECTIVE];
    if (d === 'delete') {
      if (!(key in el)) throw noMergeKey(el, key);
      base = base.filter((o) => !(isObject(o) && sameKey(o[key], el[key])));
    } else if (d === 'replace') {
      replace = true;
    } else if (d !== 'merge') {
      throw badRequest(`unknown patch type: ${String(d)} in map: ${JSON.stringify(el)}`);
    }
  }
  if (replace) return rest.map((el) => mergeMap(undefined, el, fm.type, meta));
  const merged = [...base];
  for (const el of rest) {
    if (!(key in el)) throw noMergeKey(el, key);
    const at = merged.findIndex((o) => isObject(o) && sameKey(o[key], el[key]));
    if (at >= 0) merged[at] = mergeMap(merged[at] as JsonObject, el, fm.type, meta);
    else merged.push(mergeMap(undefined, el, fm.type, meta));
  }
  return orderLike(merged, rest, base, key);
}

/**
 * Upstream's order rule: items present in `patchOrder` follow it, the others
 * keep `serverOrder`, and the two runs are interleaved by their positions in
 * `serverOrder` (an item the server never had goes first).
 */
function orderLike(merged: unknown[], patchOrder: unknown[], serverOrder: unknown[], key: string | undefined): unknown[] {
  const keyOf = (v: unknown): unknown => (key !== undefined && isObject(v) ? v[key] : v);
  const indexIn = (list: unknown[], v: unknown): number => {
    const k = keyOf(v);
    return list.findIndex((x) => sameKey(keyOf(x), k));
  };
  const inPatch: unknown[] = [];
  const serverOnly: unknown[] = [];
  for (const v of merged) (indexIn(patchOrder, v) >= 0 ? inPatch : serverOnly).push(v);
  const byIndex = (list: unknown[]) => (a: unknown, b: unknown): number => rank(indexIn(list, a)) - rank(indexIn(list, b));
  inPatch.sort(byIndex(patchOrder));
  serverOnly.sort(byIndex(serverOrder));
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < serverOnly.length || j < inPatch.length) {
    if (j >= inPatch.length) out.push(serverOnly[i++]);
    else if (i >= serverOnly.length) out.push(inPatch[j++]);
    else {
      const li = indexIn(serverOrder, serverOnly[i]);
      const ri = indexIn(serverOrder, inPatch[j]);
      if (li >= 0 && ri >= 0 && li < ri) out.push(serverOnly[i++]);
      else out.push(inPatch[j++]);
    }
  }
  return out;
}

function rank(i: number): number {
  return i < 0 ? Number.MAX_SAFE_INTEGER : i;
}

/** `$retainKeys`: drop keys of `orig` not listed; every non-null patch key must be listed. */
function applyRetainKeys(orig: JsonObject, patch: JsonObject): void {
  if (!(RETAIN_KEYS in patch)) return;
  const keep = patch[RETAIN_KEYS];
  delete patch[RETAIN_KEYS];
  if (!Array.isArray(keep)) throw badRequest('invalid patch format of retainKeys');
  const set = new Set(keep);
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || k.startsWith(DELETE_FROM) || k.startsWith(SET_ORDER)) continue;
    if (!set.has(k)) throw badRequest('invalid patch format of retainKeys');
  }
  for (const k of Object.keys(orig)) if (!set.has(k)) delete orig[k];
}

/** `$setElementOrder/<list>`: merge that list now and give the result the requested order. */
function applySetElementOrder(out: JsonObject, patch: JsonObject, type: string | undefined, meta: PatchMeta | undefined): void {
  for (const k of Object.keys(patch)) {
    if (!k.startsWith(SET_ORDER)) continue;
    const order = patch[k];
    delete patch[k];
    if (!k.startsWith(`${SET_ORDER}/`) || !Array.isArray(order)) throw badRequest('invalid patch format of setElementOrder list');
    const name = k.slice(SET_ORDER.length + 1);
    const fm = fieldMeta(meta, type, name);
    const ov = out[name];
    const pv = patch[name];
    if ((ov !== undefined && !Array.isArray(ov)) || (pv !== undefined && !Array.isArray(pv))) continue;
    if (ov === undefined && pv === undefined) continue;
    const key = fm?.patchMergeKey;
    if (Array.isArray(pv)) validateOrder(pv, order, key);
    let merged: unknown[];
    if (!Array.isArray(pv)) merged = ov as unknown[];
    else if (isMergeList(fm)) merged = mergeList(Array.isArray(ov) ? ov : [], pv, fm, meta);
    else merged = pv;
    out[name] = isMergeList(fm) ? orderLike(merged, order, Array.isArray(ov) ? ov : [], key) : merged;
    delete patch[name];
  }
}

/** The patch list's items (deletions aside) must appear in the same relative order as in `$setElementOrder`. */
function validateOrder(list: unknown[], order: unknown[], key: string | undefined): void {
  const items = key === undefined ? list : list.filter((x) => !(isObject(x) && x[DIRECTIVE] === 'delete'));
  const keyOf = (v: unknown): unknown => (key !== undefined && isObject(v) ? v[key] : v);
  let p = 0;
  let o = 0;
  while (p < items.length && o < order.length) {
    const item = items[p];
    if (isObject(item) && DIRECTIVE in item) {
      p++;
      continue;
    }
    if (sameKey(keyOf(item), keyOf(order[o]))) p++;
    o++;
  }
  if (p < items.length) {
    throw badRequest(`The order in patch list:\n${JSON.stringify(list)}\n doesn't match ${SET_ORDER} list:\n${JSON.stringify(order)}\n`);
  }
}

/** `$deleteFromPrimitiveList/<list>`: remove these values from a list of scalars. */
function deleteFromPrimitiveList(out: JsonObject, k: string, values: unknown): void {
  if (!k.startsWith(`${DELETE_FROM}/`) || !Array.isArray(values)) throw badRequest('invalid patch format of primitive list');
  const name = k.slice(DELETE_FROM.length + 1);
  const list = out[name];
  if (Array.isArray(list)) out[name] = list.filter((x) => !values.some((v) => sameKey(v, x)));
}

function elementKind(...lists: unknown[][]): 'map' | 'scalar' {
  let kind: 'map' | 'scalar' | undefined;
  for (const list of lists) {
    for (const v of list) {
      if (Array.isArray(v)) throw badRequest('lists of lists are not supported');
      const k = isObject(v) ? 'map' : 'scalar';
      if (kind !== undefined && kind !== k) throw badRequest(`list element types are not identical: ${JSON.stringify(lists)}`);
      kind = k;
    }
  }
  return kind ?? 'scalar';
}

function dedupe(list: unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const v of list) if (!out.some((x) => sameKey(x, v))) out.push(v);
  return out;
}

/** Merge-key and set-member equality: scalars by value (Go `==` on decoded JSON). */
function sameKey(a: unknown, b: unknown): boolean {
  return a === b && a !== undefined;
}

function noMergeKey(el: JsonObject, key: string) {
  return badRequest(`map: ${JSON.stringify(el)} does not contain declared merge key: ${key}`);
}
