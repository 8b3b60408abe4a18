/**
 * Server-side field validation (`fieldValidation=Strict|Warn|Ignore`): unknown
 * fields (checked against the OpenAPI schema) and duplicate fields (checked on
 * the raw JSON body). Strict turns them into upstream's 400
 * `<Kind> in version "<v>" cannot be handled as a <Kind>: strict decoding error: …`;
 * Warn returns them as `Warning` header texts; Ignore drops them silently.
 */
import { badRequest } from '../api/errors.js';
import { groupVersion, type ResourceInfo } from '../api/resources.js';
import { findUnknownFields } from './openapi/index.js';
import { findDuplicateFields } from './codec/index.js';
import type { KObject } from './watch-cache.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/**
 * Checks `obj` (and the raw `body`, when it is JSON) and returns warning texts;
 * throws 400 under Strict. Unknown fields are removed from `obj` in every mode,
 * as the decoder drops them upstream.
 */
export function checkFieldValidation(info: ResourceInfo, obj: KObject, body: Buffer | undefined, contentType: string | undefined, mode: FieldValidation): string[] {
  if (mode === 'Ignore') return [];
  const problems: string[] = [];
  const ct = (contentType ?? 'application/json').split(';')[0]!.trim();
  if (body && (ct === 'application/json' || ct === '')) {
    for (const d of findDuplicateFields(body.toString('utf8'))) problems.push(`duplicate field "${d.replace(/^\./, '')}"`);
  }
  for (const u of findUnknownFields(groupVersion(info), info.kind, obj)) problems.push(`unknown field "${u.replace(/^\./, '')}"`);
  if (!problems.length) return [];
  if (mode === 'Strict') {
    throw badRequest(`${info.kind} in version "${info.version}" cannot be handled as a ${info.kind}: strict decoding error: ${problems.join(', ')}`);
  }
  return problems;
}
