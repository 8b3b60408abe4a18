/**
 * ConfigMap and Secret keys as files (upstream `configmap.MakePayload`,
 * `secret.MakePayload`): without `items` every key becomes a file named after
 * it with `defaultMode`; with `items` only the listed keys, at their `path`,
 * with their own `mode` or `defaultMode`. A listed key that does not exist is
 * an error unless the source is `optional`. Pure: the caller fetched the object
 * (or passes undefined when it does not exist).
 */
import type { ConfigMap, KeyToPath, Secret } from 'kubernetes-types/core/v1.js';
import type { Payload } from './atomic-writer.js';

/** The API default of `defaultMode` (0644). */
export const DEFAULT_FILE_MODE = 0o644;

/** The data of a ConfigMap (`data` and `binaryData`) or Secret (`data`, base64) as bytes per key. */
export type KeyData = Map<string, Buffer>;

/** Keys of a ConfigMap: `data` as UTF-8, `binaryData` decoded from base64. */
export function configMapData(cm: ConfigMap): KeyData {
  const out: KeyData = new Map();
  for (const [k, v] of Object.entries(cm.data ?? {})) out.set(k, Buffer.from(v, 'utf8'));
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) out.set(k, Buffer.from(v, 'base64'));
  return out;
}

/** Keys of a Secret: `data` decoded from base64 (and `stringData`, which a server folds into `data`, as UTF-8). */
export function secretData(secret: Secret): KeyData {
  const out: KeyData = new Map();
  for (const [k, v] of Object.entries(secret.data ?? {})) out.set(k, Buffer.from(v, 'base64'));
  for (const [k, v] of Object.entries(secret.stringData ?? {})) out.set(k, Buffer.from(v, 'utf8'));
  return out;
}

/** What kind of object the keys came from, for error wording. */
export type KeySourceKind = 'configmap' | 'secret';

/**
 * The files a configMap or secret source projects. `data` undefined means the
 * object does not exist (allowed only when `optional`, giving no files).
 * Returns the payload or the kubelet's error detail.
 *
 * @example
 * projectKeys('configmap', 'app', new Map([['k', Buffer.from('v')]]), { items: [{ key: 'k', path: 'dir/k', mode: 0o600 }] })
 * // { payload: Map { 'dir/k' => { data: <v>, mode: 0o600 } } }
 */
export function projectKeys(
  kind: KeySourceKind,
  name: string,
  data: KeyData | undefined,
  source: { items?: KeyToPath[]; defaultMode?: number; optional?: boolean },
): { payload: Payload } | { error: string } {
  const optional = source.optional === true;
  if (!data) {
    if (optional) return { payload: new Map() };
    return { error: `${kind} "${name}" not found` };
  }
  const defaultMode = source.defaultMode ?? DEFAULT_FILE_MODE;
  const payload: Payload = new Map();
  if (!source.items?.length) {
    for (const [key, bytes] of data) payload.set(key, { data: bytes, mode: defaultMode });
    return { payload };
  }
  for (const item of source.items) {
    const bytes = data.get(item.key);
    if (!bytes) {
      if (optional) continue;
      // Upstream words the two differently; keep each as kubelet prints it.
      return { error: kind === 'configmap' ? `configmap references non-existent config key: ${item.key}` : `references non-existent secret key: ${item.key}` };
    }
    payload.set(item.path || item.key, { data: bytes, mode: item.mode ?? defaultMode });
  }
  return { payload };
}
