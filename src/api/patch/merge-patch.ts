/**
 * JSON merge patch (RFC 7386), the `application/merge-patch+json` patch type.
 */
import { clone, isObject, type JsonObject } from './json.js';

/**
 * Applies an RFC 7386 merge patch and returns a new value; neither argument is
 * changed. Objects merge key by key, `null` removes a key, and anything that is
 * not an object (arrays included) replaces the target whole.
 * With `share`, what the patch leaves alone is the target's own (not copied): for a
 * caller that only reads the result, or replaces what it changes.
 * Example: `jsonMergePatch({a: 1, b: 2}, {b: null, c: 3})` → `{a: 1, c: 3}`.
 */
export function jsonMergePatch(target: unknown, patch: unknown, share = false): unknown {
  if (!isObject(patch)) return clone(patch);
  const out: JsonObject = {};
  // Keys keep the target's order, new ones follow; each value is copied once (a patched
  // one by the recursion, not first as part of a copy of the whole target).
  if (isObject(target)) {
    for (const [k, v] of Object.entries(target)) {
      if (!Object.hasOwn(patch, k)) out[k] = share ? v : clone(v);
      else if (patch[k] !== null) out[k] = jsonMergePatch(v, patch[k], share);
    }
  }
  for (const [k, v] of Object.entries(patch)) {
    if (v !== null && !(isObject(target) && Object.hasOwn(target, k))) out[k] = jsonMergePatch(undefined, v);
  }
  return out;
}
