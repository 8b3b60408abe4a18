/**
 * Turns `labelSelector` and `fieldSelector` query parameters into the filters
 * the registry applies on list, watch and deletecollection, rejecting
 * unsupported fields with upstream's 400.
 */
import type { ResourceInfo } from '../api/resources.js';
import { parseLabelSelector, matchesSelector } from '../api/labels.js';
import { parseFieldSelector, validateFieldSelector, fieldsOf, matchesFields } from '../api/fields.js';
import type { KObject } from './watch-cache.js';

/** Filters for the registry, absent when the request has no selector. */
export function selectorFilters(
  info: ResourceInfo,
  q: URLSearchParams,
): { labelFilter?: (labels: Record<string, string>) => boolean; fieldFilter?: (obj: KObject) => boolean } {
  const out: { labelFilter?: (labels: Record<string, string>) => boolean; fieldFilter?: (obj: KObject) => boolean } = {};
  const ls = q.get('labelSelector');
  if (ls) {
    const sel = parseLabelSelector(ls);
    out.labelFilter = (labels) => matchesSelector(sel, labels);
  }
  const fs = q.get('fieldSelector');
  if (fs) {
    const reqs = validateFieldSelector(info, parseFieldSelector(fs));
    out.fieldFilter = (obj) => matchesFields(reqs, fieldsOf(info, obj));
  }
  return out;
}
