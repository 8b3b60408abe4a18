/**
 * Formatting helpers shared by the printers, each a port of the upstream
 * helper with the same name: ages from timestamps, `labels.FormatLabels`,
 * label-selector strings, container name/image lists, and the
 * `a,b,c + N more...` lists.
 */
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type { Container } from 'kubernetes-types/core/v1.js';
import { DESCRIPTIONS } from './descriptions.js';
import { column, type TableColumnDefinition } from './printer.js';
import { humanDuration } from './duration.js';

/** The Name column most printers open with. */
export const NAME_COLUMN: TableColumnDefinition = column('Name', 'string', DESCRIPTIONS.OBJECT_NAME, { format: 'name' });
/** The Age column most printers carry. */
export const AGE_COLUMN: TableColumnDefinition = column('Age', 'string', DESCRIPTIONS.CREATION_TIMESTAMP);
/** Description of the wide Containers column. */
export const CONTAINERS_DESCRIPTION = 'Names of each container in the template.';
/** Description of the wide Images column. */
export const IMAGES_DESCRIPTION = 'Images referenced by each container in the template.';

/** Parses an RFC 3339 (micro)timestamp; undefined for missing, unparsable or Go's zero time. */
export function parseTime(ts: string | null | undefined): number | undefined {
  if (!ts) return undefined;
  // Go's zero time marshals as 0001-01-01T00:00:00Z; IsZero() treats it as unset.
  if (ts.startsWith('0001-01-01T00:00:00')) return undefined;
  const t = Date.parse(ts);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * Age of a timestamp relative to `now`, like upstream `translateTimestampSince`;
 * `<unknown>` when the timestamp is unset.
 *
 * @example translateTimestampSince('2024-01-01T00:00:00Z', new Date('2024-01-01T00:05:00Z')) // "5m"
 */
export function translateTimestampSince(ts: string | null | undefined, now: Date): string {
  const t = parseTime(ts);
  if (t === undefined) return '<unknown>';
  return humanDuration(now.getTime() - t);
}

/** `labels.FormatLabels`: `k=v` pairs sorted by key and comma-joined, `<none>` when empty. */
export function formatLabels(labels: Record<string, string> | null | undefined): string {
  const keys = Object.keys(labels ?? {}).sort();
  if (keys.length === 0) return '<none>';
  return keys.map((k) => `${k}=${(labels ?? {})[k]}`).join(',');
}

/**
 * `metav1.LabelSelectorAsSelector(sel).String()`: requirements sorted by key,
 * `in`/`notin` values sorted; empty string for a nil or empty selector.
 *
 * @example labelSelectorString({ matchLabels: { app: 'web' } }) // "app=web"
 */
export function labelSelectorString(sel: LabelSelector | null | undefined): string {
  if (!sel) return '';
  const reqs: Array<{ key: string; text: string }> = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) reqs.push({ key: k, text: `${k}=${v}` });
  for (const e of sel.matchExpressions ?? []) {
    const values = [...(e.values ?? [])].sort();
    const list = values.length === 1 ? values[0] : values.join(',');
    switch (e.operator) {
      case 'In':
        reqs.push({ key: e.key, text: `${e.key} in (${list})` });
        break;
      case 'NotIn':
        reqs.push({ key: e.key, text: `${e.key} notin (${list})` });
        break;
      case 'Exists':
        reqs.push({ key: e.key, text: e.key });
        break;
      case 'DoesNotExist':
        reqs.push({ key: e.key, text: `!${e.key}` });
        break;
      default:
        // Upstream fails the conversion; FormatLabelSelector prints <error>.
        return '<error>';
    }
  }
  reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return reqs.map((r) => r.text).join(',');
}

/** `metav1.FormatLabelSelector`: like {@link labelSelectorString} but `<none>` when empty. */
export function formatLabelSelector(sel: LabelSelector | null | undefined): string {
  const s = labelSelectorString(sel);
  return s === '' ? '<none>' : s;
}

/** `layoutContainerCells`: container names and images, each comma-joined. */
export function layoutContainerCells(containers: Container[] | null | undefined): [string, string] {
  const cs = containers ?? [];
  return [cs.map((c) => c.name).join(','), cs.map((c) => c.image ?? '').join(',')];
}

/** `listWithMoreString`: `a,b,c + N more...`, `<unset>` for an empty list. */
export function listWithMore(list: string[], more: boolean, count: number, max: number): string {
  const ret = list.join(',');
  if (more) return `${ret} + ${count - max} more...`;
  return ret === '' ? '<unset>' : ret;
}

/** `net.JoinHostPort`: brackets IPv6 literals. */
export function joinHostPort(host: string, port: number | string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Integer cell value the way Go prints an int32 field that may be unset. */
export function int(n: number | null | undefined): number {
  return n ?? 0;
}
