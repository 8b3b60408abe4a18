/**
 * Field selectors (`?fieldSelector=spec.nodeName=node-1,status.phase!=Failed`):
 * parsing with upstream's escaping and error texts (apimachinery
 * `fields/selector.go`), the selectable fields each registry exposes
 * (`GetAttrs` / `ToSelectableFields`), the per-kind field-label conversion
 * that rejects unknown labels with 400 BadRequest, and matching.
 */
import type { Event as CoreEvent, Namespace, Node, Pod, Secret, Service } from 'kubernetes-types/core/v1.js';
import type { Event as EventsV1Event } from 'kubernetes-types/events/v1.js';
import type { ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import { badRequest } from './errors.js';
import { RESOURCES } from './resources.js';

/** One term of a field selector; `==` parses to `=` as upstream does. */
export interface FieldRequirement {
  field: string;
  operator: '=' | '!=';
  value: string;
}

/** A resource as `{group, resource}`, group `''` for core. */
export interface FieldResource {
  group: string;
  resource: string;
}

// `!=` and `==` are tried before `=` so no `=` is left on the value.
const OPERATORS = ['!=', '==', '='] as const;

/** Splits on commas that are not backslash-escaped; escapes stay in the terms. */
function splitTerms(s: string): string[] {
  if (s.length === 0) return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inSlash) inSlash = false;
    else if (c === '\\') inSlash = true;
    else if (c === ',') {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(s.slice(start));
  return terms;
}

function splitTerm(term: string): [string, string, string] | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of OPERATORS) {
      if (term.startsWith(op, i)) return [term.slice(0, i), op, term.slice(i + op.length)];
    }
  }
  return undefined;
}

/**
 * `fields.UnescapeValue`: `\\`, `\,` and `\=` are the only escapes; a bare `,`
 * or `=` in a value is an error (upstream prints the rune as its code point).
 */
export function unescapeFieldValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = '';
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c === '\\' || c === ',' || c === '=') out += c;
      else throw badRequest(`invalid field selector: invalid escape sequence: \\${c}`);
      inSlash = false;
      continue;
    }
    if (c === '\\') inSlash = true;
    else if (c === ',' || c === '=') {
      throw badRequest(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    } else out += c;
  }
  if (inSlash) throw badRequest('invalid field selector: invalid escape sequence: \\');
  return out;
}

/** `fields.EscapeValue`: escapes `\`, `,` and `=` for use in a selector value. */
export function escapeFieldValue(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/,/g, '\\,').replace(/=/g, '\\=');
}

/**
 * Parses a field selector like `fields.ParseSelector`: comma means AND, terms
 * are sorted, empty terms are skipped. Throws 400 BadRequest with upstream's
 * wording, e.g. `invalid selector: 'foo'; can't understand 'foo'`.
 *
 * @example parseFieldSelector('spec.nodeName=n1,status.phase!=Failed')
 */
export function parseFieldSelector(s: string): FieldRequirement[] {
  const parts = splitTerms(s).sort();
  const reqs: FieldRequirement[] = [];
  for (const part of parts) {
    if (part === '') continue;
    const split = splitTerm(part);
    if (!split) throw badRequest(`invalid selector: '${s}'; can't understand '${part}'`);
    const [field, op, rhs] = split;
    reqs.push({ field, operator: op === '!=' ? '!=' : '=', value: unescapeFieldValue(rhs) });
  }
  return reqs;
}

/** Upstream's `AddObjectMetaFieldsSet`: name always, namespace for namespaced resources. */
function metaFields(gr: FieldResource, meta: ObjectMeta | undefined): Record<string, string> {
  const out: Record<string, string> = { 'metadata.name': meta?.name ?? '' };
  const info = RESOURCES.find((r) => r.group === gr.group && r.resource === gr.resource);
  if (info?.namespaced ?? true) out['metadata.namespace'] = meta?.namespace ?? '';
  return out;
}

function eventFields(e: CoreEvent): Record<string, string> {
  const io = e.involvedObject ?? {};
  return {
    'involvedObject.kind': io.kind ?? '',
    'involvedObject.namespace': io.namespace ?? '',
    'involvedObject.name': io.name ?? '',
    'involvedObject.uid': io.uid ?? '',
    'involvedObject.apiVersion': io.apiVersion ?? '',
    'involvedObject.resourceVersion': io.resourceVersion ?? '',
    'involvedObject.fieldPath': io.fieldPath ?? '',
    reason: e.reason ?? '',
    reportingComponent: e.reportingComponent ?? '',
    source: e.source?.component || e.reportingComponent || '',
    type: e.type ?? '',
  };
}

/**
 * The selectable fields of an object as its registry's `GetAttrs` computes them
 * (values as strings, booleans as `true`/`false`). Resources without specific
 * fields expose only `metadata.name` (and `metadata.namespace` when namespaced).
 * events.k8s.io Events share the core Event store and expose the core names.
 */
export function fieldsOf(gr: FieldResource, obj: unknown): Record<string, string> {
  const meta = (obj as { metadata?: ObjectMeta } | undefined)?.metadata;
  const base = metaFields(gr, meta);
  const key = `${gr.group}/${gr.resource}`;
  switch (key) {
    case '/pods': {
      const p = obj as Pod;
      return {
        ...base,
        'spec.nodeName': p.spec?.nodeName ?? '',
        'spec.restartPolicy': p.spec?.restartPolicy ?? '',
        'spec.schedulerName': p.spec?.schedulerName ?? '',
        'spec.serviceAccountName': p.spec?.serviceAccountName ?? '',
        'spec.hostNetwork': String(p.spec?.hostNetwork === true),
        'status.phase': p.status?.phase ?? '',
        'status.podIP': p.status?.podIPs?.[0]?.ip ?? p.status?.podIP ?? '',
        'status.nominatedNodeName': p.status?.nominatedNodeName ?? '',
      };
    }
    case '/nodes':
      return { ...base, 'spec.unschedulable': String((obj as Node).spec?.unschedulable === true) };
    case '/namespaces': {
      const ns = obj as Namespace;
      // Namespaces keep the legacy `name` field.
      return { ...base, 'status.phase': ns.status?.phase ?? '', name: ns.metadata?.name ?? '' };
    }
    case '/secrets':
      return { ...base, type: (obj as Secret).type ?? '' };
    case '/services': {
      const s = obj as Service;
      return { ...base, 'spec.clusterIP': s.spec?.clusterIP ?? '', 'spec.type': s.spec?.type ?? '' };
    }
    case '/replicationcontrollers':
    case 'apps/replicasets':
      return { ...base, 'status.replicas': String((obj as ReplicaSet).status?.replicas ?? 0) };
    case '/events':
      return { ...base, ...eventFields(obj as CoreEvent) };
    case 'events.k8s.io/events': {
      const e = obj as EventsV1Event;
      return {
        ...base,
        ...eventFields({
          metadata: e.metadata ?? {},
          involvedObject: e.regarding ?? {},
          reason: e.reason,
          type: e.type,
          source: e.deprecatedSource,
          reportingComponent: e.reportingController,
        }),
      };
    }
    default:
      return base;
  }
}

type Conversion = { allowed: readonly string[]; reject: (label: string) => string; rename?: Record<string, string> };

const notSupported = (label: string): string => `field label not supported: ${label}`;

/** Field-label conversions registered for the served version of each kind (core/v1 `conversion.go`). */
const CONVERSIONS: Record<string, Conversion> = {
  '/pods': {
    allowed: [
      'metadata.name',
      'metadata.namespace',
      'spec.nodeName',
      'spec.restartPolicy',
      'spec.schedulerName',
      'spec.serviceAccountName',
      'spec.hostNetwork',
      'status.phase',
      'status.podIP',
      'status.podIPs',
      'status.nominatedNodeName',
    ],
    // Old v1 clients send spec.host.
    rename: { 'spec.host': 'spec.nodeName' },
    reject: notSupported,
  },
  '/nodes': { allowed: ['metadata.name', 'spec.unschedulable'], reject: notSupported },
  '/replicationcontrollers': { allowed: ['metadata.name', 'metadata.namespace', 'status.replicas'], reject: notSupported },
  '/events': {
    allowed: [
      'involvedObject.kind',
      'involvedObject.namespace',
      'involvedObject.name',
      'involvedObject.uid',
      'involvedObject.apiVersion',
      'involvedObject.resourceVersion',
      'involvedObject.fieldPath',
      'reason',
      'reportingComponent',
      'source',
      'type',
      'metadata.namespace',
      'metadata.name',
    ],
    reject: notSupported,
  },
  '/namespaces': { allowed: ['status.phase', 'metadata.name'], reject: notSupported },
  '/secrets': { allowed: ['type', 'metadata.namespace', 'metadata.name'], reject: notSupported },
  '/services': { allowed: ['metadata.namespace', 'metadata.name', 'spec.clusterIP', 'spec.type'], reject: notSupported },
  'batch/jobs': {
    allowed: ['metadata.name', 'metadata.namespace', 'status.successful'],
    reject: notSupported,
  },
  'certificates.k8s.io/certificatesigningrequests': {
    allowed: ['metadata.name', 'spec.signerName'],
    reject: notSupported,
  },
};

/** `runtime.DefaultMetaV1FieldSelectorConversion`, used by every kind without its own conversion. */
const DEFAULT_CONVERSION: Conversion = {
  allowed: ['metadata.name', 'metadata.namespace'],
  reject: (label) => `"${label}" is not a known field selector: only "metadata.name", "metadata.namespace"`,
};

/**
 * Runs each requirement through the resource's field-label conversion, as the
 * list/watch handler does, and returns the converted requirements (pods map
 * `spec.host` to `spec.nodeName`). Throws 400 BadRequest with upstream's
 * message for an unsupported label: `field label not supported: spec.foo` for
 * kinds with their own conversion, otherwise
 * `"spec.foo" is not a known field selector: only "metadata.name", "metadata.namespace"`.
 */
export function validateFieldSelector(gr: FieldResource, reqs: FieldRequirement[]): FieldRequirement[] {
  const conv = CONVERSIONS[`${gr.group}/${gr.resource}`] ?? DEFAULT_CONVERSION;
  return reqs.map((r) => {
    const renamed = conv.rename?.[r.field];
    if (renamed) return { ...r, field: renamed };
    if (!conv.allowed.includes(r.field)) throw badRequest(conv.reject(r.field));
    return r;
  });
}

/**
 * True when every requirement holds; a field the object does not expose reads
 * as the empty string, as in upstream `fields.Set.Get`.
 *
 * @example matchesFields(parseFieldSelector('status.phase!=Failed'), { 'status.phase': 'Running' }) // true
 */
export function matchesFields(reqs: FieldRequirement[], fields: Record<string, string>): boolean {
  return reqs.every((r) => {
    const v = Object.prototype.hasOwnProperty.call(fields, r.field) ? fields[r.field] : '';
    return r.operator === '=' ? v === r.value : v !== r.value;
  });
}
