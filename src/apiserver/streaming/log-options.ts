/**
 * `PodLogOptions` from a `pods/log` query, validated like upstream
 * `ValidatePodLogOptions`, and the query the kubelet's `/containerLogs` gets
 * (upstream `LogLocation`).
 */
import { badRequest, field, invalid, type FieldError } from '../../api/errors.js';
import { parseBool } from '../http.js';

/** The parsed options (container choice is separate: it needs the pod). */
export interface PodLogOptions {
  container?: string;
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  sinceSeconds?: number;
  /** RFC 3339, as given. */
  sinceTime?: string;
  tailLines?: number;
  limitBytes?: number;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function int(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^[+-]?\d+$/.test(v)) throw badRequest(`invalid value for ${name}: ${JSON.stringify(v)} is not an integer`);
  return Number(v);
}

/**
 * Parses and validates the query of `GET pods/{name}/log`; `podName` is for
 * the Invalid message (`PodLogOptions "web" is invalid: tailLines: …`).
 *
 * @example
 * podLogOptions(new URLSearchParams('container=app&follow=true&tailLines=10'), 'web')
 * // → { container: 'app', follow: true, previous: false, timestamps: false, tailLines: 10 }
 */
export function podLogOptions(q: URLSearchParams, podName: string): PodLogOptions {
  const opts: PodLogOptions = { follow: parseBool(q.get('follow')), previous: parseBool(q.get('previous')), timestamps: parseBool(q.get('timestamps')) };
  const container = q.get('container');
  if (container) opts.container = container;
  const tailLines = int(q, 'tailLines');
  const limitBytes = int(q, 'limitBytes');
  const sinceSeconds = int(q, 'sinceSeconds');
  const sinceTime = q.get('sinceTime') || undefined;
  if (sinceTime && !RFC3339.test(sinceTime)) throw badRequest(`invalid value for sinceTime: ${JSON.stringify(sinceTime)} is not an RFC 3339 time`);
  const errs: FieldError[] = [];
  if (tailLines !== undefined && tailLines < 0) errs.push(field.invalid('tailLines', tailLines, 'must be greater than or equal to 0'));
  if (limitBytes !== undefined && limitBytes < 1) errs.push(field.invalid('limitBytes', limitBytes, 'must be greater than 0'));
  if (sinceSeconds !== undefined && sinceTime !== undefined) errs.push(field.forbidden('', 'at most one of `sinceTime` or `sinceSeconds` may be specified'));
  else if (sinceSeconds !== undefined && sinceSeconds < 1) errs.push(field.invalid('sinceSeconds', sinceSeconds, 'must be greater than 0'));
  if (errs.length) throw invalid('PodLogOptions', podName, errs);
  if (tailLines !== undefined) opts.tailLines = tailLines;
  if (limitBytes !== undefined) opts.limitBytes = limitBytes;
  if (sinceSeconds !== undefined) opts.sinceSeconds = sinceSeconds;
  if (sinceTime !== undefined) opts.sinceTime = sinceTime;
  return opts;
}

/**
 * The kubelet query for `opts`.
 *
 * @example
 * kubeletLogQuery({ follow: true, previous: false, timestamps: false, tailLines: 10 }) // 'follow=true&tailLines=10'
 */
export function kubeletLogQuery(opts: PodLogOptions): string {
  const p = new URLSearchParams();
  if (opts.follow) p.set('follow', 'true');
  if (opts.previous) p.set('previous', 'true');
  if (opts.timestamps) p.set('timestamps', 'true');
  if (opts.sinceSeconds !== undefined) p.set('sinceSeconds', String(opts.sinceSeconds));
  if (opts.sinceTime !== undefined) p.set('sinceTime', opts.sinceTime);
  if (opts.tailLines !== undefined) p.set('tailLines', String(opts.tailLines));
  if (opts.limitBytes !== undefined) p.set('limitBytes', String(opts.limitBytes));
  return p.toString();
}
