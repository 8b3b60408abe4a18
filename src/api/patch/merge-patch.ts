/**
 * JSON merge patch (RFC 7386), the `application/merge-patch+json` patch type.
 */
import { clone, isObject, type JsonObject } from './json.js';

/**
 * Applies an RFC 7386 merge patch and returns a new value; neither argument is
 * changed. Objects merge key by key, `null` removes a key, and anything that is
 * not an object (arrays included) replaces the target whole.
 * Example: `jsonMergePatch({a: 1, b: 2}, {b: null, c: 3})` → `{a: 1, c: 3}`.
 */
export function jsonMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  const out: JsonObject = isObject(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = jsonMergePatch(out[k], v);
  }
  return out;
}
