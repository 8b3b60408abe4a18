/**
 * downwardAPI volume files (upstream `downwardapi.CollectData`): each item is a
 * file holding one pod field (`fieldRef`: name, namespace, uid, labels,
 * annotations, or one label/annotation) or one container resource
 * (`resourceFieldRef`). Field values come from the same functions that fill
 * environment variables (`../envvars.ts`), so a label reads the same in both.
 * Pure.
 */
import type { DownwardAPIVolumeFile, Pod } from 'kubernetes-types/core/v1.js';
import { podFieldValue, resourceFieldValue } from '../envvars.js';
import type { Payload } from './atomic-writer.js';
import { DEFAULT_FILE_MODE } from './key-projection.js';

/** Field paths a downwardAPI *volume* may use (upstream `validVolumeDownwardAPIFieldPathExpressions`). */
const VOLUME_FIELD_PATHS = new Set(['metadata.name', 'metadata.namespace', 'metadata.uid', 'metadata.labels', 'metadata.annotations']);
const SUBSCRIPT = /^metadata\.(labels|annotations)\['.*'\]$/;

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The files of a downwardAPI volume (or projected source). `allocatable` is
 * the node's, used for unset limits as upstream does. Returns the payload or
 * every item's error joined (`, `), as upstream aggregates them.
 *
 * @example
 * downwardAPIPayload([{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }], pod, 0o644)
 * // { payload: Map { 'labels' => 'app="web"\ntier="front"' } }
 */
export function downwardAPIPayload(
  items: readonly DownwardAPIVolumeFile[],
  pod: Pod,
  defaultMode: number = DEFAULT_FILE_MODE,
  allocatable?: Readonly<Record<string, string>>,
): { payload: Payload } | { error: string } {
  const payload: Payload = new Map();
  const errors: string[] = [];
  for (const item of items) {
    const mode = item.mode ?? defaultMode;
    let value = '';
    try {
      if (item.fieldRef) {
        const path = item.fieldRef.fieldPath;
        if (item.fieldRef.apiVersion && item.fieldRef.apiVersion !== 'v1') throw new Error(`unsupported pod version: ${item.fieldRef.apiVersion}`);
        if (!VOLUME_FIELD_PATHS.has(path) && !SUBSCRIPT.test(path)) throw new Error(`unsupported fieldPath: ${path}`);
        value = podFieldValue(pod, path, { podIP: '', hostIP: '' });
      } else if (item.resourceFieldRef) {
        const name = item.resourceFieldRef.containerName ?? '';
        const container = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((c) => c.name === name);
        if (!container) throw new Error(`container ${name} not found`);
        value = resourceFieldValue(pod, container, item.resourceFieldRef, allocatable);
      }
    } catch (err) {
      errors.push(message(err));
      continue;
    }
    // Upstream sorts the lines of map-valued fields; formatMap already emits them sorted.
    payload.set(item.path, { data: Buffer.from(value, 'utf8'), mode });
  }
  if (errors.length) return { error: errors.length === 1 ? errors[0]! : `[${errors.join(', ')}]` };
  return { payload };
}

/** True when some item needs the node's allocatable (a resourceFieldRef on limits). */
export function needsAllocatable(items: readonly DownwardAPIVolumeFile[]): boolean {
  return items.some((i) => i.resourceFieldRef?.resource.startsWith('limits.'));
}
