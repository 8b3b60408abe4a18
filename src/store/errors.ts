/**
 * Store-level errors. A store only sees keys, so the group, resource and name in
 * messages are read back out of the key (`/registry/<group>/<resource>/[<ns>/]<name>`,
 * group `core` meaning the core group) to word them as kube-apiserver would:
 * `services "web" already exists`. The API server may rethrow with its own wording.
 */
import { ApiError, alreadyExists, conflict, gone, notFound } from '../api/errors.js';

/** What a registry key names. */
export interface KeyParts {
  /** API group; '' for the core group. */
  group: string;
  /** Plural resource, e.g. `services`. */
  resource: string;
  /** Namespace, or undefined for cluster-scoped keys. */
  namespace: string | undefined;
  name: string;
}

/**
 * Splits a registry key into group, resource, namespace and name.
 * Keys that do not follow the layout come back whole as the name of resource `keys`.
 *
 * @example keyParts('/registry/core/services/default/web')
 *   // → { group: '', resource: 'services', namespace: 'default', name: 'web' }
 */
export function keyParts(key: string): KeyParts {
  const parts = key.split('/');
  // ['', 'registry', group, resource, (ns,) name]
  if (parts[0] === '' && parts[1] === 'registry' && (parts.length === 5 || parts.length === 6)) {
    const group = parts[2] === 'core' ? '' : (parts[2] ?? '');
    const resource = parts[3] ?? '';
    const name = parts[parts.length - 1] ?? '';
    const namespace = parts.length === 6 ? parts[4] : undefined;
    if (resource !== '' && name !== '') return { group, resource, namespace, name };
  }
  return { group: '', resource: 'keys', namespace: undefined, name: key };
}

/**
 * Constructors for every error a store throws, all `ApiError`s.
 *
 * @example throw StoreError.keyExists('/registry/core/pods/default/db-0'); // pods "db-0" already exists
 */
export const StoreError = {
  /** `AlreadyExists` (409) for a create of an existing key. */
  keyExists(key: string): ApiError {
    const p = keyParts(key);
    return alreadyExists(p.group, p.resource, p.name);
  },
  /** `NotFound` (404) for an update or delete of a missing key. */
  keyNotFound(key: string): ApiError {
    const p = keyParts(key);
    return notFound(p.group, p.resource, p.name);
  },
  /** `Conflict` (409) when the expected revision is stale. */
  staleRevision(key: string): ApiError {
    const p = keyParts(key);
    return conflict(p.group, p.resource, p.name);
  },
  /** `Expired` (410) for a list or watch at a revision older than the compacted one. */
  compacted(revision: number, compactedRevision: number): ApiError {
    return gone(`too old resource version: ${revision} (${compactedRevision})`);
  },
  /** `Timeout` (504) after waiting in vain for a future revision, worded as upstream. */
  futureRevision(revision: number, current: number): ApiError {
    return new ApiError('Timeout', `Too large resource version: ${revision}, current: ${current}`, {
      causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
      retryAfterSeconds: 1,
    });
  },
  /** `ServiceUnavailable` (503) for any call after `close()`. */
  closed(kind: string): ApiError {
    return new ApiError('ServiceUnavailable', `the ${kind} store is closed`);
  },
  /** `BadRequest` (400) for a compaction beyond the current revision. */
  compactFuture(revision: number, current: number): ApiError {
    return new ApiError('BadRequest', `cannot compact to revision ${revision}: the current revision is ${current}`);
  },
};
