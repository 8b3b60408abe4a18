/**
 * projected volumes (upstream `pkg/volume/projected`): the files of several
 * sources — configMap, secret, downwardAPI, serviceAccountToken — merged into
 * one directory with the volume's `defaultMode`. Pure: the caller fetched the
 * ConfigMaps and Secrets by name beforehand.
 *
 * serviceAccountToken is a placeholder: skiff has no token issuer yet, so the
 * file holds an unsigned JWT (`alg: none`) with the claims a real bound token
 * carries (issuer, subject, audience, expiry, pod binding). Clients that only
 * send it as a bearer token work against an API server that does not check it;
 * anything verifying its signature will (rightly) reject it.
 */
import type { ConfigMap, Pod, ProjectedVolumeSource, Secret, ServiceAccountTokenProjection } from 'kubernetes-types/core/v1.js';
import type { Payload } from './atomic-writer.js';
import { downwardAPIPayload } from './downward-api.js';
import { configMapData, DEFAULT_FILE_MODE, projectKeys, secretData } from './key-projection.js';

/** The objects a projected volume reads; a missing name maps to undefined. */
export interface ProjectedInputs {
  configMaps: ReadonlyMap<string, ConfigMap | undefined>;
  secrets: ReadonlyMap<string, Secret | undefined>;
  /** The node's allocatable, for resourceFieldRef items on unset limits. */
  allocatable?: Readonly<Record<string, string>>;
  /** Token issue time (ms since epoch); default now. */
  now?: number;
  /** `iss` of placeholder tokens. Default `https://kubernetes.default.svc.cluster.local`. */
  issuer?: string;
}

/** The names of ConfigMaps and Secrets a projected volume reads. */
export function projectedReferences(src: ProjectedVolumeSource): { configMaps: string[]; secrets: string[] } {
  const configMaps: string[] = [];
  const secrets: string[] = [];
  for (const s of src.sources ?? []) {
    if (s.configMap?.name) configMaps.push(s.configMap.name);
    if (s.secret?.name) secrets.push(s.secret.name);
  }
  return { configMaps, secrets };
}

function b64url(v: unknown): string {
  return Buffer.from(JSON.stringify(v)).toString('base64url');
}

/**
 * An unsigned JWT standing in for a bound service account token (see the
 * file comment). Deterministic for a given pod, source and `now`.
 *
 * @example
 * placeholderServiceAccountToken(pod, { path: 'token', expirationSeconds: 3600 }, Date.now()) // 'eyJhbGciOiJub25lIi…'
 */
export function placeholderServiceAccountToken(pod: Pod, src: ServiceAccountTokenProjection, now: number, issuer = 'https://kubernetes.default.svc.cluster.local'): string {
  const ns = pod.metadata?.namespace ?? 'default';
  const sa = pod.spec?.serviceAccountName || 'default';
  const iat = Math.floor(now / 1000);
  const claims = {
    aud: [src.audience || issuer],
    exp: iat + (src.expirationSeconds ?? 3600),
    iat,
    nbf: iat,
    iss: issuer,
    sub: `system:serviceaccount:${ns}:${sa}`,
    'kubernetes.io': {
      namespace: ns,
      pod: { name: pod.metadata?.name ?? '', uid: pod.metadata?.uid ?? '' },
      serviceaccount: { name: sa, uid: '' },
      ...(pod.spec?.nodeName ? { node: { name: pod.spec.nodeName, uid: '' } } : {}),
    },
    'skiff.io/placeholder': true,
  };
  return `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`;
}

/**
 * The merged files of a projected volume, or the errors of its sources joined
 * as upstream aggregates them.
 *
 * @example
 * projectedPayload({ sources: [{ configMap: { name: 'a' } }, { secret: { name: 'b' } }], defaultMode: 0o640 }, pod, inputs)
 */
export function projectedPayload(src: ProjectedVolumeSource, pod: Pod, inputs: ProjectedInputs): { payload: Payload } | { error: string } {
  const defaultMode = src.defaultMode ?? DEFAULT_FILE_MODE;
  const payload: Payload = new Map();
  const errors: string[] = [];
  const merge = (r: { payload: Payload } | { error: string }) => {
    if ('error' in r) errors.push(r.error);
    else for (const [k, v] of r.payload) payload.set(k, v);
  };
  for (const s of src.sources ?? []) {
    if (s.configMap) {
      const cm = inputs.configMaps.get(s.configMap.name ?? '');
      merge(projectKeys('configmap', s.configMap.name ?? '', cm ? configMapData(cm) : undefined, { ...s.configMap, defaultMode }));
    } else if (s.secret) {
      const secret = inputs.secrets.get(s.secret.name ?? '');
      merge(projectKeys('secret', s.secret.name ?? '', secret ? secretData(secret) : undefined, { ...s.secret, defaultMode }));
    } else if (s.downwardAPI) {
      merge(downwardAPIPayload(s.downwardAPI.items ?? [], pod, defaultMode, inputs.allocatable));
    } else if (s.serviceAccountToken) {
      const token = placeholderServiceAccountToken(pod, s.serviceAccountToken, inputs.now ?? Date.now(), inputs.issuer);
      payload.set(s.serviceAccountToken.path, { data: Buffer.from(token), mode: defaultMode });
    } else {
      errors.push(`projected source ${Object.keys(s).join(',') || '(empty)'} is not supported by skiff`);
    }
  }
  if (errors.length) return { error: errors.length === 1 ? errors[0]! : `[${errors.join(', ')}]` };
  return { payload };
}
