/**
 * Conversion between served versions that share one storage. Today that is
 * only Events: `events.k8s.io/v1` is another view of core `v1` Events (stored
 * in the core shape), with renamed fields as in upstream's
 * `pkg/apis/events/v1` conversion.
 */
import { RESOURCES, groupVersion, type ResourceInfo } from './resources.js';

type Obj = Record<string, unknown>;

/** core/v1 field ↔ events.k8s.io/v1 field. */
const EVENT_RENAMES: ReadonlyArray<[string, string]> = [
  ['involvedObject', 'regarding'],
  ['message', 'note'],
  ['source', 'deprecatedSource'],
  ['firstTimestamp', 'deprecatedFirstTimestamp'],
  ['lastTimestamp', 'deprecatedLastTimestamp'],
  ['count', 'deprecatedCount'],
  ['reportingComponent', 'reportingController'],
];

function rename(obj: Obj, pairs: ReadonlyArray<[string, string]>, fromIdx: 0 | 1): Obj {
  const out: Obj = {};
  const map = new Map(pairs.map((p) => [p[fromIdx], p[1 - fromIdx]!] as const));
  for (const [k, v] of Object.entries(obj)) out[map.get(k) ?? k] = v;
  return out;
}

/** The resource whose shape is stored for `info` (the first one in the catalogue with its storage prefix). */
export function storageResource(info: ResourceInfo): ResourceInfo {
  return RESOURCES.find((r) => r.storagePrefix === info.storagePrefix) ?? info;
}

/** Converts an object of the served version `info` into the stored version (new object; same one when no conversion applies). */
export function toStorage(info: ResourceInfo, obj: Obj): Obj {
  const st = storageResource(info);
  if (st === info) return obj;
  const out = rename(obj, EVENT_RENAMES, 1);
  out.apiVersion = groupVersion(st);
  out.kind = st.kind;
  return out;
}

/** Converts a stored object into the served version `info` (new object; same one when no conversion applies). */
export function fromStorage(info: ResourceInfo, obj: Obj): Obj {
  const st = storageResource(info);
  if (st === info) return obj;
  const out = rename(obj, EVENT_RENAMES, 0);
  out.apiVersion = groupVersion(info);
  out.kind = info.kind;
  return out;
}
