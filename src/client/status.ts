/**
 * Turning wire failures back into {@link ApiError}: a `metav1.Status` body keeps its
 * reason, code, message and details; a body that is not a Status (a proxy's
 * `404 page not found`, an HTML error page) gets the reason its HTTP code implies,
 * worded as kubectl words it.
 */
import { ApiError, type StatusDetails, type StatusReason } from '../api/errors.js';

const KNOWN_REASONS: ReadonlySet<string> = new Set<StatusReason>([
  'NotFound',
  'AlreadyExists',
  'Conflict',
  'Invalid',
  'BadRequest',
  'Gone',
  'Expired',
  'MethodNotAllowed',
  'NotAcceptable',
  'UnsupportedMediaType',
  'RequestEntityTooLarge',
  'Forbidden',
  'Unauthorized',
  'TooManyRequests',
  'InternalError',
  'ServiceUnavailable',
  'Timeout',
]);

const REASON_BY_CODE: Record<number, StatusReason> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Gone',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/** The reason an HTTP code implies when the server sent none (as apimachinery's `NewGenericServerResponse`). */
export function reasonForCode(code: number): StatusReason {
  return REASON_BY_CODE[code] ?? 'InternalError';
}

/** True when `v` looks like a `metav1.Status` object. */
export function isStatus(v: unknown): v is { kind: 'Status'; code?: number; reason?: string; message?: string; details?: StatusDetails } {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'Status';
}

/**
 * Builds an ApiError from a decoded `Status` object, keeping reason, code, message and
 * details. An unknown or missing reason is replaced by the one `code` implies.
 */
export function errorFromStatus(status: { code?: number; reason?: string; message?: string; details?: StatusDetails }, httpCode?: number): ApiError {
  const code = typeof status.code === 'number' && status.code > 0 ? status.code : (httpCode ?? 500);
  const reason: StatusReason = status.reason && KNOWN_REASONS.has(status.reason) ? (status.reason as StatusReason) : reasonForCode(code);
  const message = status.message ?? `the server responded with the status code ${code} but did not return more information`;
  return new ApiError(reason, message, status.details, code);
}

/**
 * Maps a non-2xx response to an ApiError. `verb` and `resource` only shape the message
 * when the body is not a Status, e.g. `the server could not find the requested resource (get pods)`.
 */
export function errorFromResponse(code: number, body: Buffer | string, verb = '', resource = ''): ApiError {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  try {
    const decoded: unknown = JSON.parse(text);
    if (isStatus(decoded)) return errorFromStatus(decoded, code);
  } catch {
    // not JSON: fall through to the generic message
  }
  const reason = reasonForCode(code);
  const suffix = verb ? ` (${verb.toLowerCase()}${resource ? ` ${resource}` : ''})` : '';
  const generic: Partial<Record<StatusReason, string>> = {
    NotFound: 'the server could not find the requested resource',
    Unauthorized: 'the server has asked for the client to provide credentials',
    Forbidden: 'the server does not allow access to the requested resource',
    MethodNotAllowed: 'the server does not allow this method on the requested resource',
    Conflict: 'the server reported a conflict',
    TooManyRequests: 'the server has received too many requests and has asked us to try again later',
    ServiceUnavailable: 'the server is currently unable to handle the request',
    Timeout: 'the server was unable to return a response in the time allotted, but may still be processing the request',
  };
  const base = generic[reason] ?? (text.trim() ? text.trim().slice(0, 500) : `an error on the server has prevented the request from succeeding`);
  return new ApiError(reason, `${base}${suffix}`, undefined, code);
}
