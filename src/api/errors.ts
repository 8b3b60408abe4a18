/**
 * The one error class of skiff: every failure that can reach a client carries a
 * stable Kubernetes `reason` and HTTP `code`, and turns into a `metav1.Status`
 * only at the API boundary (`toStatus`). Constructors below produce the exact
 * wording kube-apiserver uses, because kubectl users know those messages.
 */

/** Stable reasons, as in `metav1.StatusReason`. */
export type StatusReason =
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Invalid'
  | 'BadRequest'
  | 'Gone'
  | 'Expired'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'UnsupportedMediaType'
  | 'RequestEntityTooLarge'
  | 'Forbidden'
  | 'Unauthorized'
  | 'TooManyRequests'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'Timeout';

/** One cause of an `Invalid` error, as `field.Error` in apimachinery. */
export type FieldErrorType =
  | 'FieldValueNotFound'
  | 'FieldValueRequired'
  | 'FieldValueDuplicate'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'InternalError'
  | 'FieldValueTypeInvalid';

export interface FieldError {
  type: FieldErrorType;
  /** Field path, e.g. `spec.ports[0].nodePort`. */
  field: string;
  /** The offending value, printed as upstream does (strings quoted). Absent for Required/Forbidden. */
  badValue?: unknown;
  /** Free-text detail after the value. */
  detail?: string;
}

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** A `metav1.Status` object as it travels on the wire. */
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, unknown>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

const CODES: Record<StatusReason, number> = {
  NotFound: 404,
  AlreadyExists: 409,
  Conflict: 409,
  Invalid: 422,
  BadRequest: 400,
  Gone: 410,
  Expired: 410,
  MethodNotAllowed: 405,
  NotAcceptable: 406,
  UnsupportedMediaType: 415,
  RequestEntityTooLarge: 413,
  Forbidden: 403,
  Unauthorized: 401,
  TooManyRequests: 429,
  InternalError: 500,
  ServiceUnavailable: 503,
  Timeout: 504,
};

/** An error with a Kubernetes status reason. Throw it anywhere; the API server renders it. */
export class ApiError extends Error {
  readonly reason: StatusReason;
  readonly code: number;
  readonly details: StatusDetails | undefined;

  constructor(reason: StatusReason, message: string, details?: StatusDetails, code?: number) {
    super(message);
    this.name = 'ApiError';
    this.reason = reason;
    this.code = code ?? CODES[reason];
    this.details = details;
  }

  /** The `metav1.Status` body for this error. */
  toStatus(): Status {
    const s: Status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details) s.details = this.details;
    return s;
  }
}

/** True when `err` is an ApiError with the given reason. */
export function isReason(err: unknown, reason: StatusReason): err is ApiError {
  return err instanceof ApiError && err.reason === reason;
}

/**
 * The resource part of messages: `services` for core, `deployments.apps` for a group.
 * Example: `qualifiedResource('apps', 'deployments')` → `deployments.apps`.
 */
export function qualifiedResource(group: string, resource: string): string {
  return group ? `${resource}.${group}` : resource;
}

/** `services "nope" not found` (404). */
export function notFound(group: string, resource: string, name: string): ApiError {
  return new ApiError('NotFound', `${qualifiedResource(group, resource)} "${name}" not found`, {
    name,
    ...(group ? { group } : {}),
    kind: resource,
  });
}

/** `pods "db-0" already exists` (409). */
export function alreadyExists(group: string, resource: string, name: string): ApiError {
  return new ApiError('AlreadyExists', `${qualifiedResource(group, resource)} "${name}" already exists`, {
    name,
    ...(group ? { group } : {}),
    kind: resource,
  });
}

/** The optimistic-concurrency conflict kubectl users know (409). */
export function conflict(group: string, resource: string, name: string, why?: string): ApiError {
  const reason = why ?? 'the object has been modified; please apply your changes to the latest version and try again';
  return new ApiError('Conflict', `Operation cannot be fulfilled on ${qualifiedResource(group, resource)} "${name}": ${reason}`, {
    name,
    ...(group ? { group } : {}),
    kind: resource,
  });
}

/** 400 BadRequest with a free-text message. */
export function badRequest(message: string): ApiError {
  return new ApiError('BadRequest', message);
}

/** 410 Gone for a watch or list from a compacted revision. */
export function gone(message = 'too old resource version'): ApiError {
  return new ApiError('Expired', message, undefined, 410);
}

/** 500 with the message upstream uses for unexpected failures. */
export function internalError(err: unknown): ApiError {
  const msg = err instanceof Error ? err.message : String(err);
  return new ApiError('InternalError', `Internal error occurred: ${msg}`, { causes: [{ message: msg }] });
}

/**
 * Formats a bad value as apimachinery's `field.Error` does: strings are quoted,
 * numbers and booleans printed plainly, other values as JSON.
 */
export function formatBadValue(v: unknown): string {
  // Values that carry their Go rendering (`map[string]string{"app":"x"}`, `[]string{"None"}`) print it.
  if (v !== null && typeof v === 'object') {
    const go = (v as Record<symbol, unknown>)[Symbol.for('skiff.goSyntax')];
    if (typeof go === 'string') return go;
    if (go && typeof go === 'object' && typeof (go as { text?: unknown }).text === 'string') return (go as { text: string }).text;
  }
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v === null || v === undefined) return 'null';
  return JSON.stringify(v);
}

/** The text of one field error without the field path, e.g. `Invalid value: 40000: provided port is …`. */
export function fieldErrorBody(e: FieldError): string {
  switch (e.type) {
    case 'FieldValueRequired':
      return `Required value${e.detail ? `: ${e.detail}` : ''}`;
    case 'FieldValueForbidden':
      return `Forbidden${e.detail ? `: ${e.detail}` : ''}`;
    case 'FieldValueTooLong':
      return `Too long${e.detail ? `: ${e.detail}` : ''}`;
    case 'FieldValueTooMany':
      return `Too many${e.badValue !== undefined ? `: ${formatBadValue(e.badValue)}` : ''}${e.detail ? `: ${e.detail}` : ''}`;
    case 'InternalError':
      return `Internal error${e.detail ? `: ${e.detail}` : ''}`;
    case 'FieldValueNotFound':
      return `Not found: ${formatBadValue(e.badValue)}`;
    case 'FieldValueDuplicate':
      return `Duplicate value: ${formatBadValue(e.badValue)}`;
    case 'FieldValueNotSupported':
      return `Unsupported value: ${formatBadValue(e.badValue)}${e.detail ? `: ${e.detail}` : ''}`;
    case 'FieldValueTypeInvalid':
      return `Invalid value: ${formatBadValue(e.badValue)}${e.detail ? `: ${e.detail}` : ''}`;
    case 'FieldValueInvalid':
    default:
      return `Invalid value: ${formatBadValue(e.badValue)}${e.detail ? `: ${e.detail}` : ''}`;
  }
}

/** `spec.ports[0].nodePort: Invalid value: 40000: …` */
export function fieldErrorMessage(e: FieldError): string {
  return `${e.field}: ${fieldErrorBody(e)}`;
}

/**
 * 422 Invalid, worded like kube-apiserver:
 * `Service "x" is invalid: spec.ports[0].nodePort: Invalid value: 40000: …`
 * (several causes are joined as `[a, b]`).
 */
export function invalid(kind: string, name: string, errors: FieldError[], group = ''): ApiError {
  // Upstream drops repeated identical messages from the aggregate.
  const msgs = [...new Set(errors.map(fieldErrorMessage))];
  const joined = msgs.length === 1 ? msgs[0] : `[${msgs.join(', ')}]`;
  const qualifiedKind = group ? `${kind}.${group}` : kind;
  const message = msgs.length === 0 ? `${qualifiedKind} "${name}" is invalid` : `${qualifiedKind} "${name}" is invalid: ${joined}`;
  return new ApiError('Invalid', message, {
    name,
    ...(group ? { group } : {}),
    kind,
    causes: errors.map((e) => ({ reason: e.type, message: fieldErrorBody(e), field: e.field })),
  });
}

/** Field-error constructors, mirroring `field.Invalid`, `field.Required`, … */
export const field = {
  invalid: (path: string, value: unknown, detail: string): FieldError => ({ type: 'FieldValueInvalid', field: path, badValue: value, detail }),
  required: (path: string, detail = ''): FieldError => ({ type: 'FieldValueRequired', field: path, detail }),
  forbidden: (path: string, detail: string): FieldError => ({ type: 'FieldValueForbidden', field: path, detail }),
  duplicate: (path: string, value: unknown): FieldError => ({ type: 'FieldValueDuplicate', field: path, badValue: value }),
  notFound: (path: string, value: unknown): FieldError => ({ type: 'FieldValueNotFound', field: path, badValue: value }),
  tooLong: (path: string, _value: unknown, max: number): FieldError => ({ type: 'FieldValueTooLong', field: path, detail: `may not be more than ${max} bytes` }),
  /** `Too many: 1001: must have at most 1000 items` */
  tooMany: (path: string, actual: number, max: number): FieldError => ({ type: 'FieldValueTooMany', field: path, badValue: actual, detail: `must have at most ${max} items` }),
  /** `Unsupported value: "Foo": supported values: "A", "B"` */
  notSupported: (path: string, value: unknown, supported: readonly string[]): FieldError => ({
    type: 'FieldValueNotSupported',
    field: path,
    badValue: value,
    detail: supported.length ? `supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}` : undefined,
  }),
};
