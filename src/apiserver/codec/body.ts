/**
 * Decoding of create/update request bodies by Content-Type, with kube-apiserver's
 * limits and error wording.
 */
import { parseDocument } from 'yaml';
import { ApiError, badRequest } from '../../api/errors.js';
import { scanJson } from './duplicates.js';
import { decodeK8sProtobuf, summarizeData } from './protobuf.js';

/** kube-apiserver's default `--max-request-body-bytes` for object bodies: 3 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 3 * 1024 * 1024;

/** The media types accepted for create/update bodies, in upstream's order. */
export const ACCEPTED_BODY_MEDIA_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'] as const;

/** One of {@link ACCEPTED_BODY_MEDIA_TYPES}. */
export type BodyMediaType = (typeof ACCEPTED_BODY_MEDIA_TYPES)[number];

/** Options for {@link decodeBody}. */
export interface DecodeBodyOptions {
  /** Largest accepted body in bytes; default {@link DEFAULT_MAX_BODY_BYTES}. Larger → 413. */
  maxBytes?: number;
  /** Kind served by the endpoint (e.g. `Deployment`): named in errors, and fills a protobuf body's empty TypeMeta. */
  kind?: string;
  /** apiVersion served by the endpoint (e.g. `apps/v1`): fills a protobuf body's empty TypeMeta. */
  apiVersion?: string;
}

const GO_FIND_KIND_TYPE = 'struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }';

/**
 * Picks the body decoder for a Content-Type as upstream's `NegotiateInputSerializer`
 * does: parameters (`charset`) are ignored, case does not matter, and a missing or
 * empty header means JSON (kubectl's scale PUT sends none). Anything else → 415.
 */
export function bodyMediaType(contentType: string | undefined): BodyMediaType {
  const base = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (base === '') return 'application/json';
  const found = ACCEPTED_BODY_MEDIA_TYPES.find((t) => t === base);
  if (!found) {
    throw new ApiError(
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: ${ACCEPTED_BODY_MEDIA_TYPES.join(', ')}`,
    );
  }
  return found;
}

/**
 * Decodes a create/update body into a JSON object.
 *
 * - `application/json` (or no Content-Type): parsed; syntax errors are reported with
 *   Go encoding/json's wording.
 * - `application/yaml`: the first document, YAML 1.1 scalars as goyaml reads them.
 * - `application/vnd.kubernetes.protobuf`: see {@link decodeK8sProtobuf}.
 *
 * The result must be an object. Errors: 413 `Request entity too large: limit is 3145728`,
 * 415 for other media types, 400 worded as kube-apiserver's `transformDecodeError`, e.g.
 * `the object provided is unrecognized (must be of type Deployment): couldn't get
 * version/kind; json parse error: unexpected end of JSON input ({"kind":"Dep ...)`.
 * Duplicate keys are not errors here; see `findDuplicateFields` for strict validation.
 *
 * @example
 * const obj = decodeBody(req.headers['content-type'], body, { kind: 'Deployment', apiVersion: 'apps/v1' });
 */
export function decodeBody(contentType: string | undefined, body: Buffer, opts: DecodeBodyOptions = {}): Record<string, unknown> {
  const mediaType = bodyMediaType(contentType);
  const limit = opts.maxBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (body.length > limit) throw new ApiError('RequestEntityTooLarge', `Request entity too large: limit is ${limit}`);

  if (mediaType === 'application/vnd.kubernetes.protobuf') {
    return decodeK8sProtobuf(body, { defaultKind: opts.kind, defaultApiVersion: opts.apiVersion }).object;
  }
  const unrecognized = (why: string): ApiError =>
    badRequest(`the object provided is unrecognized${opts.kind ? ` (must be of type ${opts.kind})` : ''}: ${why} (${summarizeData(body, 30)})`);

  const text = body.toString('utf8');
  let value: unknown;
  if (mediaType === 'application/json') {
    try {
      value = JSON.parse(text) as unknown;
    } catch {
      const why = scanJson(text).syntaxError ?? 'invalid JSON';
      throw unrecognized(`couldn't get version/kind; json parse error: ${why}`);
    }
  } else {
    value = parseYaml(text, unrecognized);
  }
  if (nestingDepth(value) > MAX_NESTING_DEPTH) throw unrecognized(`json: exceeded max depth of ${MAX_NESTING_DEPTH} nested values`);
  return requireObject(value, unrecognized);
}

/** Deeper bodies are refused: no Kubernetes object nests anywhere near this, and every walk over an object recurses. */
export const MAX_NESTING_DEPTH = 1000;

/** How deeply arrays and objects nest in `value`, counted without recursion. */
export function nestingDepth(value: unknown): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d > max) max = d;
    if (max > MAX_NESTING_DEPTH) return max;
    for (const child of Array.isArray(v) ? v : Object.values(v as Record<string, unknown>)) if (child !== null && typeof child === 'object') stack.push([child, d + 1]);
  }
  return max;
}

function parseYaml(text: string, unrecognized: (why: string) => ApiError): unknown {
  // goyaml decodes only the first document of a stream; so do we.
  const doc = parseDocument(text, {
    version: '1.1',
    merge: true,
    uniqueKeys: false,
    // goyaml leaves timestamps as strings when decoding into interface{}.
    customTags: (tags) => tags.filter((t) => typeof t === 'string' || t.tag !== 'tag:yaml.org,2002:timestamp'),
  });
  const err = doc.errors.find((e) => e.code !== 'MULTIPLE_DOCS');
  if (err) throw unrecognized(`error converting YAML to JSON: yaml: ${err.message.split('\n')[0]}`);
  try {
    return doc.toJS({ maxAliasCount: 100 }) as unknown;
  } catch (e) {
    throw unrecognized(`error converting YAML to JSON: yaml: ${(e as Error).message}`);
  }
}

function requireObject(value: unknown, unrecognized: (why: string) => ApiError): Record<string, unknown> {
  if (value === null || value === undefined) throw badRequest(`Object 'Kind' is missing in 'null'`);
  if (typeof value !== 'object' || Array.isArray(value)) {
    const goKind = Array.isArray(value) ? 'array' : typeof value === 'boolean' ? 'bool' : typeof value;
    throw unrecognized(`couldn't get version/kind; json parse error: json: cannot unmarshal ${goKind} into Go value of type ${GO_FIND_KIND_TYPE}`);
  }
  const obj = value as Record<string, unknown>;
  for (const key of ['apiVersion', 'kind'] as const) {
    const v = obj[key];
    if (v !== undefined && v !== null && typeof v !== 'string') {
      const goKind = Array.isArray(v) ? 'array' : typeof v === 'boolean' ? 'bool' : typeof v;
      throw unrecognized(`couldn't get version/kind; json parse error: json: cannot unmarshal ${goKind} into Go struct field .${key} of type string`);
    }
  }
  return obj;
}
