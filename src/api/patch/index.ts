/**
 * Patch application: the four PATCH content types kube-apiserver accepts for
 * built-in kinds (JSON merge patch, JSON patch, strategic merge patch and
 * server-side apply), the patch metadata they need, and managedFields
 * bookkeeping. Everything here is a pure function on plain JSON values; this
 * folder imports only `../errors.js`, `fast-json-patch`, `yaml` and types.
 */
import { parse as parseYaml } from 'yaml';
import { ApiError, badRequest } from '../errors.js';
import { serverSideApply, type ManagedFieldsEntry } from './apply.js';
import { isObject, type JsonObject } from './json.js';
import { jsonMergePatch } from './merge-patch.js';
import { jsonPatch } from './json-patch.js';
import { patchMetaFor } from './patch-meta.js';
import { strategicMergePatch } from './strategic-merge.js';

export { jsonMergePatch } from './merge-patch.js';
export { jsonPatch, validateJsonPatch, type JsonPatchOp } from './json-patch.js';
export { strategicMergePatch } from './strategic-merge.js';
export { patchMetaFor, fieldMeta, PATCH_TYPES, type PatchMeta, type FieldMeta, type TypeMeta, type PatchStrategy } from './patch-meta.js';
export {
  fieldsetOf,
  serverSideApply,
  updateManagedFields,
  BEFORE_FIRST_APPLY,
  type ManagedFieldsEntry,
  type ApplyOptions,
  type ApplyResult,
  type UpdateOptions,
} from './apply.js';

/** The PATCH content types, as `types.PatchType` upstream. */
export const PATCH_CONTENT_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
] as const;

/** One of `PATCH_CONTENT_TYPES`. */
export type PatchContentType = (typeof PATCH_CONTENT_TYPES)[number];

/** Context of one PATCH request. */
export interface PatchContext {
  /** apiVersion and kind of the resource the URL names (selects the patch metadata). */
  apiVersion: string;
  kind: string;
  /** `fieldManager` query parameter; required for apply. */
  manager?: string;
  /** `force` query parameter (apply only). */
  force?: boolean;
  /** Current time, RFC 3339 with seconds, for managedFields. */
  now: string;
  /**
   * The stored object, when it exists. Apply needs it to tell create from
   * update and to read managedFields; defaults to `original`.
   */
  live?: JsonObject;
  /** `status` for PATCH on the status subresource. */
  subresource?: string;
  /**
   * The result may share what the patch leaves alone with `original` (merge patch only;
   * the other types copy): for a caller that never changes the result in place.
   */
  shareOriginal?: boolean;
}

/** The outcome of `applyPatch`. */
export interface PatchResult {
  /** The patched object. */
  object: JsonObject;
  /** For apply only: the managedFields the result carries (already set on `object`). */
  managedFields?: ManagedFieldsEntry[];
}

/**
 * Applies a PATCH body of `contentType` (parameters such as `; charset=utf-8`
 * are ignored) to `original` (`undefined` when the object does not exist, which
 * only apply accepts). `patchBody` is the raw body as a string or bytes.
 * Throws 415 for other content types (worded as upstream), 400 for a body that
 * does not parse or a malformed patch, 422 for a JSON patch operation that does
 * not apply, and 409 for apply conflicts. For the other types a missing object
 * is the caller's 404 (upstream answers NotFound); here they patch `{}`.
 * Example: `applyPatch('application/merge-patch+json', deploy, '{"spec":{"replicas":5}}', {apiVersion: 'apps/v1', kind: 'Deployment', now})`.
 */
export function applyPatch(
  contentType: string,
  original: JsonObject | undefined,
  patchBody: string | Uint8Array,
  ctx: PatchContext,
): PatchResult {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  const meta = patchMetaFor(ctx.apiVersion, ctx.kind);
  const accepted = meta ? PATCH_CONTENT_TYPES : PATCH_CONTENT_TYPES.filter((t) => t !== 'application/strategic-merge-patch+json');
  if (!(accepted as readonly string[]).includes(type)) {
    throw new ApiError('UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`);
  }
  const text = typeof patchBody === 'string' ? patchBody : new TextDecoder().decode(patchBody);
  const base = original ?? {};
  switch (type) {
    case 'application/merge-patch+json': {
      const patch = parseJson(text);
      const out = jsonMergePatch(base, patch, ctx.shareOriginal === true);
      return { object: asObject(out) };
    }
    case 'application/json-patch+json': {
      const ops = parseJson(text);
      return { object: asObject(jsonPatch(base, ops)) };
    }
    case 'application/strategic-merge-patch+json': {
      const patch = parseJson(text);
      return { object: strategicMergePatch(base, patch, meta) };
    }
    default: {
      const applied = parseApplyYaml(text);
      const r = serverSideApply(ctx.live ?? original, applied, {
        manager: ctx.manager ?? '',
        force: ctx.force ?? false,
        meta,
        now: ctx.now,
        ...(ctx.subresource ? { subresource: ctx.subresource } : {}),
      });
      return { object: r.object, managedFields: r.managedFields };
    }
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw badRequest(`error decoding patch: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function parseApplyYaml(text: string): JsonObject {
  let v: unknown;
  try {
    v = parseYaml(text, { intAsBigInt: false, uniqueKeys: true });
  } catch (err) {
    throw badRequest(`error decoding YAML: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!isObject(v)) {
    throw badRequest(`error decoding YAML: cannot unmarshal ${Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v} into an object`);
  }
  return v;
}

function asObject(v: unknown): JsonObject {
  if (!isObject(v)) throw badRequest('the patched object is not a JSON object');
  return v;
}
