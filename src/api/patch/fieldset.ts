/**
 * Field sets, the data behind `metadata.managedFields[].fieldsV1`: a tree of
 * path elements (`f:<field>`, `k:<keys as JSON>`, `v:<value as JSON>`,
 * `i:<index>`) where a node is a *member* when the set contains that path
 * itself. Serialised exactly as structured-merge-diff does: children sorted
 * (fields, then keys, then values, then indexes), and `".": {}` marking a
 * member that also has children.
 */
import { isObject, type JsonObject } from './json.js';

/** One node of a field set. */
export interface FieldNode {
  member: boolean;
  children: Map<string, FieldNode>;
}

/** An empty field set. */
export function emptySet(): FieldNode {
  return { member: false, children: new Map() };
}

/** The node of `set` at `path`, made (as a non-member, with its parents) where missing. */
export function nodeAt(set: FieldNode, path: readonly string[]): FieldNode {
  let node = set;
  for (const pe of path) {
    let next = node.children.get(pe);
    if (!next) {
      next = emptySet();
      node.children.set(pe, next);
    }
    node = next;
  }
  return node;
}

/** Adds `path` (a list of path-element strings) to `set` as a member. */
export function insertPath(set: FieldNode, path: readonly string[]): void {
  const node = nodeAt(set, path);
  if (path.length > 0) node.member = true;
}

/** True when the set has no members. */
export function isEmptySet(set: FieldNode): boolean {
  if (set.member) return false;
  for (const c of set.children.values()) if (!isEmptySet(c)) return false;
  return true;
}

/** `a ∪ b` as a new set. */
export function union(a: FieldNode, b: FieldNode): FieldNode {
  const out: FieldNode = { member: a.member || b.member, children: new Map() };
  for (const [pe, c] of a.children) out.children.set(pe, b.children.has(pe) ? union(c, b.children.get(pe) as FieldNode) : copySet(c));
  for (const [pe, c] of b.children) if (!a.children.has(pe)) out.children.set(pe, copySet(c));
  return out;
}

/** `a − b` (members of `b` removed from `a`) as a new set; empty branches are dropped. */
export function difference(a: FieldNode, b: FieldNode): FieldNode {
  const out: FieldNode = { member: a.member && !b.member, children: new Map() };
  for (const [pe, c] of a.children) {
    const other = b.children.get(pe);
    const d = other ? difference(c, other) : copySet(c);
    if (!isEmptySet(d)) out.children.set(pe, d);
  }
  return out;
}

/** `a ∩ b` (members in both) as a new set. */
export function intersection(a: FieldNode, b: FieldNode): FieldNode {
  const out: FieldNode = { member: a.member && b.member, children: new Map() };
  for (const [pe, c] of a.children) {
    const other = b.children.get(pe);
    if (!other) continue;
    const i = intersection(c, other);
    if (!isEmptySet(i)) out.children.set(pe, i);
  }
  return out;
}

/** True when some path is a member of both sets (`a ∩ b` is not empty), without building the intersection. */
export function overlaps(a: FieldNode, b: FieldNode): boolean {
  if (a.member && b.member) return true;
  const [small, big] = a.children.size <= b.children.size ? [a, b] : [b, a];
  for (const [pe, c] of small.children) {
    const other = big.children.get(pe);
    if (other && overlaps(c, other)) return true;
  }
  return false;
}

/** True when every member of `a` is a member of `b` (`a − b` is empty), without building the difference. */
export function isSubset(a: FieldNode, b: FieldNode): boolean {
  if (a.member && !b.member) return false;
  for (const [pe, c] of a.children) {
    const other = b.children.get(pe);
    if (other ? !isSubset(c, other) : !isEmptySet(c)) return false;
  }
  return true;
}

/** A deep copy. */
export function copySet(a: FieldNode): FieldNode {
  const out: FieldNode = { member: a.member, children: new Map() };
  for (const [pe, c] of a.children) out.children.set(pe, copySet(c));
  return out;
}

/** Every member path, in serialisation order. */
export function memberPaths(set: FieldNode, prefix: string[] = []): string[][] {
  const out: string[][] = [];
  if (set.member && prefix.length > 0) out.push(prefix);
  for (const pe of sortedKeys(set)) out.push(...memberPaths(set.children.get(pe) as FieldNode, [...prefix, pe]));
  return out;
}

/** Parses a `fieldsV1` object; malformed input yields the parts that make sense. */
export function fromFieldsV1(v: unknown): FieldNode {
  const out = emptySet();
  if (!isObject(v)) return out;
  for (const [k, c] of Object.entries(v)) {
    if (k === '.') {
      out.member = true;
      continue;
    }
    const child = fromFieldsV1(c);
    if (isObject(c) && Object.keys(c).length === 0) child.member = true;
    out.children.set(k, child);
  }
  return out;
}

/** A `fieldsV1` value's node is a member when it is `{}` or carries `".": {}` (as `fromFieldsV1` reads it). */
function isFieldsV1Member(v: unknown): boolean {
  if (!isObject(v)) return false;
  for (const k in v) if (Object.hasOwn(v, k)) return Object.hasOwn(v, '.');
  return true;
}

/** `overlaps(fromFieldsV1(v), set)`, read straight from the `fieldsV1` value. */
export function overlapsFieldsV1(v: unknown, set: FieldNode): boolean {
  if (!isObject(v)) return false;
  // The root is a member only by its "." mark; below it, an empty object is one too.
  if (set.member && Object.hasOwn(v, '.')) return true;
  return overlapsFieldsV1Children(v, set);
}

/** The children half of {@link overlapsFieldsV1} (membership of `v` itself already checked). */
function overlapsFieldsV1Children(v: unknown, set: FieldNode): boolean {
  if (!isObject(v)) return false;
  for (const [pe, c] of set.children) {
    if (pe === '.' || !Object.hasOwn(v, pe)) continue;
    const child = v[pe];
    if (c.member && isFieldsV1Member(child)) return true;
    if (c.children.size > 0 && overlapsFieldsV1Children(child, c)) return true;
  }
  return false;
}

/** `isEmptySet(fromFieldsV1(v))`, read straight from the `fieldsV1` value. */
export function isEmptyFieldsV1(v: unknown): boolean {
  if (!isObject(v)) return true;
  for (const k in v) {
    if (!Object.hasOwn(v, k)) continue;
    if (k === '.') return false;
    const c = v[k];
    if (isFieldsV1Member(c) || !isEmptyFieldsV1(c)) return false;
  }
  return true;
}

/** Serialises a set as `fieldsV1`, ordered as upstream writes it. */
export function toFieldsV1(set: FieldNode, includeSelf = false): JsonObject {
  const out: JsonObject = {};
  if (includeSelf && set.member && set.children.size > 0) out['.'] = {};
  for (const pe of sortedKeys(set)) {
    const c = set.children.get(pe) as FieldNode;
    out[pe] = c.children.size === 0 ? {} : toFieldsV1(c, true);
  }
  return out;
}

/**
 * A path as upstream prints it in conflict messages:
 * `.spec.template.spec.containers[name="nginx"].image`, `[containerPort=80,protocol="TCP"]`, `[="x"]`, `[0]`.
 */
export function pathString(path: readonly string[]): string {
  return path
    .map((pe) => {
      const body = pe.slice(2);
      switch (pe.slice(0, 2)) {
        case 'f:':
          return `.${body}`;
        case 'k:': {
          const keys = JSON.parse(body) as JsonObject;
          return `[${Object.entries(keys).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]`;
        }
        case 'v:':
          return `[=${body}]`;
        default:
          return `[${body}]`;
      }
    })
    .join('');
}

/** The path element of a list-map item: `k:` with the key fields sorted by name. */
export function keyElement(keys: Readonly<Record<string, unknown>>): string {
  const sorted: JsonObject = {};
  for (const k of Object.keys(keys).sort()) sorted[k] = keys[k];
  return `k:${JSON.stringify(sorted)}`;
}

/** The path element of a set item: `v:` and the value as JSON. */
export function valueElement(v: unknown): string {
  return `v:${JSON.stringify(v)}`;
}

function sortedKeys(set: FieldNode): string[] {
  const keys = [...set.children.keys()];
  if (keys.length < 2) return keys;
  // Mostly plain fields: "f:x" against "f:y" orders as the strings do (UTF-16 units, like Go's bytes for ASCII names).
  if (keys.every((k) => k.startsWith('f:'))) return keys.sort();
  // Keys and values sort by their parsed contents; the same lists (a pod's conditions,
  // a DaemonSet pod's tolerations) come back on every write, so their order is kept.
  const id = keys.join('\u0000');
  let sorted = sortedOrders.get(id);
  if (!sorted) {
    sorted = keys.sort(comparePathElements);
    if (sortedOrders.size >= SORTED_ORDERS_MAX) sortedOrders.clear();
    sortedOrders.set(id, sorted);
  }
  return sorted;
}

/** Orders of mixed key lists already sorted (read only). Bounded: emptied when full. */
const sortedOrders = new Map<string, string[]>();
const SORTED_ORDERS_MAX = 4096;

const KIND_ORDER: Record<string, number> = { 'f:': 0, 'k:': 1, 'v:': 2, 'i:': 3 };

/** structured-merge-diff's PathElement order. */
function comparePathElements(a: string, b: string): number {
  const ka = KIND_ORDER[a.slice(0, 2)] ?? 4;
  const kb = KIND_ORDER[b.slice(0, 2)] ?? 4;
  if (ka !== kb) return ka - kb;
  const x = a.slice(2);
  const y = b.slice(2);
  switch (a.slice(0, 2)) {
    case 'f:':
      return x < y ? -1 : x > y ? 1 : 0;
    case 'i:':
      return Number(x) - Number(y);
    case 'k:':
      return compareFieldLists(parsedElement(x), parsedElement(y));
    default:
      return compareValues(parsedElement(x), parsedElement(y));
  }
}

/**
 * The JSON of `k:`/`v:` path elements, parsed once: the same few (`{"type":"Ready"}`,
 * `{"name":"c"}`) come back on every pod, and a sort compares each many times.
 * Parsed values are only read. Bounded: emptied when full.
 */
const parsedElements = new Map<string, unknown>();
const PARSED_ELEMENTS_MAX = 10_000;

function parsedElement(s: string): unknown {
  let v = parsedElements.get(s);
  if (v === undefined && !parsedElements.has(s)) {
    v = safeParse(s);
    if (parsedElements.size >= PARSED_ELEMENTS_MAX) parsedElements.clear();
    parsedElements.set(s, v);
  }
  return v;
}

function compareFieldLists(a: unknown, b: unknown): number {
  const ea = isObject(a) ? Object.entries(a) : [];
  const eb = isObject(b) ? Object.entries(b) : [];
  for (let i = 0; ; i++) {
    if (i >= ea.length && i >= eb.length) return 0;
    if (i >= ea.length) return -1;
    if (i >= eb.length) return 1;
    const [na, va] = ea[i] as [string, unknown];
    const [nb, vb] = eb[i] as [string, unknown];
    if (na !== nb) return na < nb ? -1 : 1;
    const c = compareValues(va, vb);
    if (c !== 0) return c;
  }
}

/** Numbers < strings < booleans < lists < maps < null, as `value.Compare`. */
function compareValues(a: unknown, b: unknown): number {
  const rank = (v: unknown): number =>
    typeof v === 'number' ? 0 : typeof v === 'string' ? 1 : typeof v === 'boolean' ? 2 : Array.isArray(v) ? 3 : isObject(v) ? 4 : 5;
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 0) return (a as number) - (b as number);
  if (ra === 1) return (a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0;
  if (ra === 2) return Number(a) - Number(b);
  const sa = JSON.stringify(a);
  const sb = JSON.stringify(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

function safeParse(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}
