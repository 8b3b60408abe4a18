/**
 * Decodes Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`)
 * into the JSON form of the object, for the kinds listed in protobuf-schema.ts.
 *
 * How wire values become JSON (proto2 as gogo-protobuf writes Go structs):
 * - A non-pointer scalar is always written, so its zero value (`""`, `0`, `false`,
 *   empty bytes) means "unset" and is omitted. A pointer scalar is written only
 *   when set, so it is kept as sent, zero included (`replicas: 0`, `immutable: false`).
 * - Messages are kept even when empty (`status: {loadBalancer: {}}`, `strategy: {}`),
 *   because Go's encoding/json never omits struct values; this is what
 *   kube-apiserver itself would return for the same object.
 * - `meta.Time` with seconds = nanos = 0 is Go's zero time, which marshals as `null`,
 *   so it is omitted; other times become RFC3339 UTC without fractions.
 * - `intstr.IntOrString` {type 0 → intVal, type 1 → strVal}; the zero value
 *   (type 0, intVal 0) is omitted unless the Go field is a pointer.
 * - `resource.Quantity` is its string; an empty one reads as `"0"`.
 * - Bytes (Secret `data`, ConfigMap `binaryData`) become base64 strings.
 * - Map entries keep empty values (`labels: {a: ""}`); repeated elements are kept as sent.
 * - A repeated message field merges into the previous occurrence for singular
 *   messages and appends for repeated ones; later scalars win, as in Go.
 * - Unknown field numbers are skipped.
 */
import { ApiError, badRequest } from '../../api/errors.js';
import { PROTOBUF_KINDS, PROTOBUF_MESSAGES } from './protobuf-schema.js';
import { WireError, WireReader, WireType } from './wire.js';

/** The 4-byte prefix of every Kubernetes protobuf body: `k8s\0`. */
export const PROTOBUF_MAGIC: Readonly<Uint8Array> = Uint8Array.of(0x6b, 0x38, 0x73, 0x00);

/** What {@link decodeK8sProtobuf} returns. */
export interface DecodedProtobuf {
  apiVersion: string;
  kind: string;
  /** The object in its JSON form, with `apiVersion` and `kind` set first. */
  object: Record<string, unknown>;
}

/** Options for {@link decodeK8sProtobuf}. */
export interface DecodeProtobufOptions {
  /** apiVersion of the endpoint, used when the body's TypeMeta leaves it empty (as upstream does). */
  defaultApiVersion?: string;
  /** Kind of the endpoint, used when the body's TypeMeta leaves it empty, and in error messages. */
  defaultKind?: string;
}

interface FieldDesc {
  name: string;
  num: number;
  /** Scalar name or message name. */
  type: string;
  repeated: boolean;
  map: boolean;
  pointer: boolean;
  inline: boolean;
}

type MessageDesc = Map<number, FieldDesc>;

const SCALARS = new Set(['string', 'bool', 'int32', 'int64', 'bytes', 'double', 'float']);
const SPECIAL = new Set(['meta.Time', 'meta.MicroTime', 'meta.FieldsV1', 'intstr.IntOrString', 'resource.Quantity']);

function parseTable(table: Readonly<Record<string, string>>): Map<string, MessageDesc> {
  const out = new Map<string, MessageDesc>();
  for (const [msg, spec] of Object.entries(table)) {
    const fields: MessageDesc = new Map();
    for (const part of spec.split(' ')) {
      const m = /^([\w.]+)=(\d+):(\*|\[\]|\{)?([\w.]+)\}?$/.exec(part);
      if (!m) throw new Error(`protobuf-schema: bad field "${part}" in ${msg}`);
      const [, name, num, mod, type] = m as unknown as [string, string, string, string | undefined, string];
      fields.set(Number(num), {
        name,
        num: Number(num),
        type,
        repeated: mod === '[]',
        map: mod === '{',
        pointer: mod === '*',
        inline: name === '...',
      });
    }
    out.set(msg, fields);
  }
  for (const [msg, fields] of out) {
    for (const f of fields.values()) {
      if (!SCALARS.has(f.type) && !SPECIAL.has(f.type) && !out.has(f.type)) {
        throw new Error(`protobuf-schema: ${msg}.${f.name} refers to unknown message ${f.type}`);
      }
    }
  }
  return out;
}

const MESSAGES = parseTable(PROTOBUF_MESSAGES);
const utf8 = new TextDecoder('utf-8');

/** UTF-8 to string, with a fast path for the short ASCII strings that dominate objects. */
function text(bytes: Uint8Array): string {
  if (bytes.length <= 64) {
    let out = '';
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (b >= 0x80) return utf8.decode(bytes);
      out += String.fromCharCode(b);
    }
    return out;
  }
  return utf8.decode(bytes);
}

/** The apiVersion/Kind pairs {@link decodeK8sProtobuf} understands, e.g. `apps/v1/Deployment`. */
export function protobufKinds(): string[] {
  return Object.keys(PROTOBUF_KINDS);
}

/**
 * Decodes a Kubernetes protobuf body (`k8s\0` + `runtime.Unknown`) into a JSON object.
 *
 * Throws ApiError 400 for malformed bytes (worded as kube-apiserver does, e.g.
 * `Service in version "v1" cannot be handled as a Service: unexpected EOF`), and
 * 415 for a well-formed body of a kind this server has no field table for.
 *
 * @example
 * const { kind, object } = decodeK8sProtobuf(body, { defaultApiVersion: 'v1', defaultKind: 'Service' });
 */
export function decodeK8sProtobuf(input: Uint8Array, opts: DecodeProtobufOptions = {}): DecodedProtobuf {
  // A plain view: Buffer#subarray allocates Buffer objects, noticeably slower per field.
  const buf = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  const expected = opts.defaultKind;
  const unrecognized = (why: string): ApiError =>
    badRequest(
      `the object provided is unrecognized${expected ? ` (must be of type ${expected})` : ''}: ${why} (${summarizeData(buf, 30)})`,
    );
  if (buf.length === 0) throw unrecognized('empty data');
  if (buf.length < 4 || PROTOBUF_MAGIC.some((b, i) => buf[i] !== b)) {
    throw unrecognized('provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]');
  }
  if (buf.length === 4) throw unrecognized('empty body');

  let apiVersion = '';
  let kind = '';
  let raw: Uint8Array = new Uint8Array(0);
  try {
    const r = new WireReader(buf, 4);
    while (!r.done()) {
      const { num, wire } = r.tag('Unknown');
      if (num === 1) {
        expectWire(wire, WireType.Bytes, 'TypeMeta');
        const tm = r.sub();
        while (!tm.done()) {
          const t = tm.tag('TypeMeta');
          if (t.num === 1 || t.num === 2) {
            expectWire(t.wire, WireType.Bytes, t.num === 1 ? 'APIVersion' : 'Kind');
            const s = text(tm.bytes());
            if (t.num === 1) apiVersion = s;
            else kind = s;
          } else tm.skip(t.wire);
        }
      } else if (num === 2) {
        expectWire(wire, WireType.Bytes, 'Raw');
        raw = r.bytes();
      } else {
        // 3 contentEncoding and 4 contentType are informational; upstream ignores them too.
        r.skip(wire);
      }
    }
  } catch (err) {
    if (err instanceof WireError) throw unrecognized(err.message);
    throw err;
  }

  apiVersion ||= opts.defaultApiVersion ?? '';
  kind ||= opts.defaultKind ?? '';
  if (!kind || !apiVersion) {
    const what = kind ? 'Version' : 'Kind';
    throw badRequest(`Object '${what}' is missing in 'runtime.TypeMeta{APIVersion:${JSON.stringify(apiVersion)}, Kind:${JSON.stringify(kind)}}'`);
  }
  const root = PROTOBUF_KINDS[`${apiVersion}/${kind}`];
  if (!root) {
    throw new ApiError(
      'UnsupportedMediaType',
      `${kind} in version ${JSON.stringify(apiVersion)} cannot be decoded from application/vnd.kubernetes.protobuf by this server; send application/json`,
    );
  }

  const object: Record<string, unknown> = { apiVersion, kind };
  try {
    decodeMessage(new WireReader(raw), root, object);
  } catch (err) {
    if (err instanceof WireError) {
      const version = apiVersion.slice(apiVersion.indexOf('/') + 1);
      throw badRequest(`${kind} in version ${JSON.stringify(version)} cannot be handled as a ${expected ?? kind}: ${err.message}`);
    }
    throw err;
  }
  return { apiVersion, kind, object };
}

function expectWire(got: number, want: number, field: string): void {
  if (got !== want) throw new WireError(`proto: wrong wireType = ${got} for field ${field}`);
}

function goName(f: FieldDesc): string {
  const n = f.inline ? f.type.slice(f.type.indexOf('.') + 1) : f.name;
  return n.charAt(0).toUpperCase() + n.slice(1);
}

function wireTypeOf(type: string): number {
  switch (type) {
    case 'bool':
    case 'int32':
    case 'int64':
      return WireType.Varint;
    case 'double':
      return WireType.Fixed64;
    case 'float':
      return WireType.Fixed32;
    default:
      return WireType.Bytes;
  }
}

/** Decodes the fields of one message into `into` (merging, as Go's Unmarshal does). */
function decodeMessage(r: WireReader, msgName: string, into: Record<string, unknown>): void {
  const desc = MESSAGES.get(msgName)!;
  const shortName = msgName.slice(msgName.indexOf('.') + 1);
  while (!r.done()) {
    const { num, wire } = r.tag(shortName);
    const f = desc.get(num);
    if (!f) {
      r.skip(wire);
      continue;
    }
    const want = f.map ? WireType.Bytes : wireTypeOf(f.type);
    if (f.repeated && wire === WireType.Bytes && want !== WireType.Bytes) {
      // Packed repeated scalars: accepted as gogo does.
      const list = arrayAt(into, f.name);
      const p = r.sub();
      while (!p.done()) list.push(readScalar(p, f.type));
      continue;
    }
    if (wire !== want) throw new WireError(`proto: wrong wireType = ${wire} for field ${goName(f)}`);

    if (f.map) {
      const [key, value] = readMapEntry(r.sub(), f.type);
      // defineProperty: a `__proto__` key must stay data, as JSON.parse keeps it.
      Object.defineProperty(objectAt(into, f.name), key, { value, enumerable: true, writable: true, configurable: true });
    } else if (f.repeated) {
      arrayAt(into, f.name).push(SCALARS.has(f.type) ? readScalar(r, f.type) : readMessageValue(r.sub(), f.type));
    } else if (SCALARS.has(f.type)) {
      const v = readScalar(r, f.type);
      if (f.pointer || !isZero(v)) into[f.name] = v;
      else if (f.name in into) delete into[f.name];
    } else if (SPECIAL.has(f.type)) {
      const v = readSpecial(r.sub(), f.type, f.pointer);
      if (v !== undefined) into[f.name] = v;
      else if (f.name in into) delete into[f.name];
    } else {
      decodeMessage(r.sub(), f.type, f.inline ? into : objectAt(into, f.name));
    }
  }
}

function readScalar(r: WireReader, type: string): string | number | boolean {
  switch (type) {
    case 'string':
      return text(r.bytes());
    case 'bytes':
      return Buffer.from(r.bytes()).toString('base64');
    case 'bool':
      return r.varint() !== 0;
    case 'int32':
      return r.int32();
    case 'int64':
      return r.int64();
    case 'double':
      return finite(r.fixed64().getFloat64(0, true));
    case 'float':
      return finite(r.fixed32().getFloat32(0, true));
    default:
      throw new Error(`protobuf: no scalar reader for ${type}`);
  }
}

function finite(n: number): number {
  if (!Number.isFinite(n)) throw new WireError(`json: unsupported value: ${n}`);
  return n;
}

function isZero(v: unknown): boolean {
  return v === '' || v === 0 || v === false;
}

/** A message as an element (repeated or map value): never omitted. */
function readMessageValue(r: WireReader, type: string): unknown {
  if (SPECIAL.has(type)) return readSpecial(r, type, true) ?? null;
  const obj: Record<string, unknown> = {};
  decodeMessage(r, type, obj);
  return obj;
}

function readMapEntry(r: WireReader, valueType: string): [string, unknown] {
  let key = '';
  let value: unknown;
  while (!r.done()) {
    const { num, wire } = r.tag('MapEntry');
    if (num === 1) {
      expectWire(wire, WireType.Bytes, 'Key');
      key = text(r.bytes());
    } else if (num === 2) {
      expectWire(wire, wireTypeOf(valueType), 'Value');
      value = SCALARS.has(valueType) ? readScalar(r, valueType) : readMessageValue(r.sub(), valueType);
    } else r.skip(wire);
  }
  if (value === undefined) {
    value = SCALARS.has(valueType)
      ? ({ string: '', bytes: '', bool: false } as Record<string, unknown>)[valueType] ?? 0
      : readMessageValue(new WireReader(new Uint8Array(0)), valueType);
  }
  return [key, value];
}

/** Decodes the hand-written types; `undefined` means "omit the field". */
function readSpecial(r: WireReader, type: string, pointer: boolean): unknown {
  switch (type) {
    case 'meta.Time':
    case 'meta.MicroTime': {
      let seconds = 0;
      let nanos = 0;
      while (!r.done()) {
        const { num, wire } = r.tag('Timestamp');
        if (num === 1) {
          expectWire(wire, WireType.Varint, 'Seconds');
          seconds = r.int64();
        } else if (num === 2) {
          expectWire(wire, WireType.Varint, 'Nanos');
          nanos = r.int32();
        } else r.skip(wire);
      }
      if (seconds === 0 && nanos === 0) return undefined;
      return formatTime(seconds, nanos, type === 'meta.MicroTime');
    }
    case 'intstr.IntOrString': {
      let t = 0;
      let intVal = 0;
      let strVal = '';
      while (!r.done()) {
        const { num, wire } = r.tag('IntOrString');
        if (num === 1) {
          expectWire(wire, WireType.Varint, 'Type');
          t = r.int64();
        } else if (num === 2) {
          expectWire(wire, WireType.Varint, 'IntVal');
          intVal = r.int32();
        } else if (num === 3) {
          expectWire(wire, WireType.Bytes, 'StrVal');
          strVal = text(r.bytes());
        } else r.skip(wire);
      }
      if (t === 0) return !pointer && intVal === 0 ? undefined : intVal;
      if (t === 1) return strVal;
      throw new WireError('impossible IntOrString.Type');
    }
    case 'resource.Quantity':
    case 'meta.FieldsV1': {
      let s: Uint8Array | undefined;
      while (!r.done()) {
        const { num, wire } = r.tag(type === 'meta.FieldsV1' ? 'FieldsV1' : 'Quantity');
        if (num === 1) {
          expectWire(wire, WireType.Bytes, type === 'meta.FieldsV1' ? 'Raw' : 'String');
          s = r.bytes();
        } else r.skip(wire);
      }
      const str = s ? text(s) : '';
      if (type === 'resource.Quantity') return str === '' ? (pointer ? '0' : undefined) : str;
      if (str === '') return pointer ? {} : undefined;
      try {
        return JSON.parse(str) as unknown;
      } catch {
        throw new WireError('FieldsV1 does not hold valid JSON');
      }
    }
    default:
      throw new Error(`protobuf: no reader for ${type}`);
  }
}

function formatTime(seconds: number, nanos: number, micro: boolean): string {
  const ms = seconds * 1000;
  const d = new Date(ms);
  const year = d.getUTCFullYear();
  if (Number.isNaN(ms) || Number.isNaN(d.getTime()) || year < 0 || year > 9999) {
    throw new WireError('Time.MarshalJSON: year outside of range [0,9999]');
  }
  const base = d.toISOString().slice(0, 19);
  if (!micro) return `${base}Z`;
  const us = Math.floor(Math.max(0, Math.min(nanos, 999_999_999)) / 1000);
  return `${base}.${String(us).padStart(6, '0')}Z`;
}

function objectAt(into: Record<string, unknown>, key: string): Record<string, unknown> {
  const v = into[key];
  if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  const o: Record<string, unknown> = {};
  into[key] = o;
  return o;
}

function arrayAt(into: Record<string, unknown>, key: string): unknown[] {
  const v = into[key];
  if (Array.isArray(v)) return v;
  const a: unknown[] = [];
  into[key] = a;
  return a;
}

/**
 * Summarizes a body for error messages as upstream's `summarizeData` does:
 * JSON-looking text is shown as is, anything else as hex, cut at `max` bytes.
 */
export function summarizeData(data: Uint8Array, max: number): string {
  if (data.length === 0) return '<empty>';
  const cut = data.length > max;
  const part = cut ? data.subarray(0, max) : data;
  const text = data[0] === 0x7b ? utf8.decode(part) : Buffer.from(part).toString('hex');
  return cut ? `${text} ...` : text;
}
