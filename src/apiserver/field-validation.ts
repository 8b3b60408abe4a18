/**
 * Decoding checks: JSON types (always), and server-side field validation
 * (`fieldValidation=Strict|Warn|Ignore`): unknown
 * fields (checked against the OpenAPI schema) and duplicate fields (checked on
 * the raw JSON body). Strict turns them into upstream's 400
 * `<Kind> in version "<v>" cannot be handled as a <Kind>: strict decoding error: …`;
 * Warn returns them as `Warning` header texts; Ignore drops them silently.
 */
import { badRequest } from '../api/errors.js';
import { groupVersion, type ResourceInfo } from '../api/resources.js';
import { findUnknownFields } from './openapi/index.js';
import { findTypeError } from './openapi/type-errors.js';
import { findDuplicateFields } from './codec/index.js';
import type { KObject } from './watch-cache.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/**
 * Checks `obj` (and the raw `body`, when it is JSON) and returns warning texts;
 * throws 400 under Strict. Unknown fields are removed from `obj` in every mode,
 * as the decoder drops them upstream.
 */
export function checkFieldValidation(info: ResourceInfo, obj: KObject, body: Buffer | undefined, contentType: string | undefined, mode: FieldValidation): string[] {
  // A value of the wrong JSON type never decodes, whatever the validation mode (Go's json.Unmarshal).
  const typeError = findTypeError(groupVersion(info), info.kind, obj);
  if (typeError) throw badRequest(`${info.kind} in version "${info.version}" cannot be handled as a ${info.kind}: ${typeError}`);
  const unknown = findUnknownFields(groupVersion(info), info.kind, obj).map((u) => u.replace(/^\./, ''));
  // Built-in kinds never keep fields their schema does not declare, whatever the mode.
  for (const path of unknown) removePath(obj, path);
  if (mode === 'Ignore') return [];
  const problems: string[] = [];
  const ct = (contentType ?? 'application/json').split(';')[0]!.trim();
  if (body && (ct === 'application/json' || ct === '')) {
    for (const d of findDuplicateFields(body.toString('utf8'))) problems.push(`duplicate field "${d.replace(/^\./, '')}"`);
  }
  for (const u of unknown) problems.push(`unknown field "${u}"`);
  if (!problems.length) return [];
  if (mode === 'Strict') {
    throw badRequest(`${info.kind} in version "${info.version}" cannot be handled as a ${info.kind}: strict decoding error: ${problems.join(', ')}`);
  }
  return problems;
}

/** Deletes the field at a path like `spec.template.spec.containers[0].foo` (no-op when absent). */
export function removePath(obj: unknown, path: string): void {
  const parts: Array<string | number> = [];
  for (const seg of path.split('.')) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(seg);
    if (!m) return;
    if (m[1]) parts.push(m[1]);
    for (const idx of m[2]!.matchAll(/\[(\d+)\]/g)) parts.push(Number(idx[1]));
  }
  let cur: unknown = obj;
  for (let i = 0; i < parts.length - 1; i++) {
    if (cur === null || typeof cur !== 'object') return;
    cur = (cur as Record<string | number, unknown>)[parts[i]!];
  }
  const last = parts[parts.length - 1];
  if (cur !== null && typeof cur === 'object' && last !== undefined) delete (cur as Record<string | number, unknown>)[last];
}
