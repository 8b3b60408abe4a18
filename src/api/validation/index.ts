/**
 * Validation of API objects, worded exactly as kube-apiserver 1.32 words it:
 * `validateCreate` / `validateUpdate` dispatch on apiVersion and kind to
 * per-kind rules (ObjectMeta, Service, Pod, apps workloads, Node, Namespace,
 * ConfigMap, Secret, Endpoints, EndpointSlice, Lease, …) and return
 * `FieldError[]` for `invalid(kind, name, errors, group)`. Pure functions;
 * this folder imports only `api/errors`, `api/labels` and `kubernetes-types`,
 * and may be imported by anything above `api/`.
 */

import type { ControllerRevision, DaemonSet, Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { ConfigMap, Endpoints, Namespace, Node, Pod, Secret, Service, ServiceAccount } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import type { FieldError } from '../errors.js';
import {
  validateControllerRevision,
  validateControllerRevisionUpdate,
  validateDaemonSet,
  validateDaemonSetUpdate,
  validateDeployment,
  validateDeploymentUpdate,
  validateReplicaSet,
  validateReplicaSetUpdate,
} from './apps.js';
import {
  validateConfigMap,
  validateConfigMapUpdate,
  validateEndpointSlice,
  validateEndpointSliceUpdate,
  validateEndpoints,
  validateEvent,
  validateLease,
  validateNamespace,
  validateNamespaceUpdate,
  validateNode,
  validateNodeUpdate,
  validateSecret,
  validateSecretUpdate,
  validateServiceAccount,
} from './core.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './meta.js';
import { nameIsDNSSubdomain } from './names.js';
import { validatePod, validatePodUpdate } from './pod.js';
import { validateService, validateServiceUpdate } from './service.js';

export { renderFieldError, GO_SYNTAX, goSyntax, isGoSyntax, type GoSyntax } from './go-syntax.js';
export * from './names.js';
export { validateObjectMeta, validateObjectMetaUpdate, validateLabels, validateAnnotations } from './meta.js';
export { validateClusterIPsRelatedFields, isHeadless, externallyAccessible, needsHealthCheck } from './service.js';
export { validateLabelSelector } from './apps.js';
export { validatePodSpec, validatePodTemplateSpec, validateTolerations } from './pod.js';

type Obj = { apiVersion?: string; kind?: string; metadata?: ObjectMeta };
type Rules = { create(o: never): FieldError[]; update?(o: never, old: never): FieldError[] };

const same = <T>(create: (o: T) => FieldError[]): Rules => ({
  create: create as (o: never) => FieldError[],
  update: ((o: T & Obj, old: T & Obj) => [
    ...validateObjectMetaUpdate(o.metadata, old.metadata),
    ...create(o).filter((e) => !e.field.startsWith('metadata.')),
  ]) as (o: never, old: never) => FieldError[],
});

const RULES: Record<string, Rules> = {
  'v1/Service': { create: validateService as (o: never) => FieldError[], update: validateServiceUpdate as (o: never, old: never) => FieldError[] },
  'v1/Pod': { create: validatePod as (o: never) => FieldError[], update: validatePodUpdate as (o: never, old: never) => FieldError[] },
  'v1/Namespace': { create: validateNamespace as (o: never) => FieldError[], update: validateNamespaceUpdate as (o: never, old: never) => FieldError[] },
  'v1/Node': { create: validateNode as (o: never) => FieldError[], update: validateNodeUpdate as (o: never, old: never) => FieldError[] },
  'v1/ConfigMap': { create: validateConfigMap as (o: never) => FieldError[], update: validateConfigMapUpdate as (o: never, old: never) => FieldError[] },
  'v1/Secret': { create: validateSecret as (o: never) => FieldError[], update: validateSecretUpdate as (o: never, old: never) => FieldError[] },
  'v1/ServiceAccount': same<ServiceAccount>(validateServiceAccount),
  'v1/Endpoints': same<Endpoints>(validateEndpoints),
  'v1/Event': same<{ metadata?: ObjectMeta }>(validateEvent),
  'events.k8s.io/v1/Event': same<{ metadata?: ObjectMeta }>(validateEvent),
  'discovery.k8s.io/v1/EndpointSlice': {
    create: validateEndpointSlice as (o: never) => FieldError[],
    update: validateEndpointSliceUpdate as (o: never, old: never) => FieldError[],
  },
  'coordination.k8s.io/v1/Lease': same<Lease>(validateLease),
  'apps/v1/DaemonSet': { create: validateDaemonSet as (o: never) => FieldError[], update: validateDaemonSetUpdate as (o: never, old: never) => FieldError[] },
  'apps/v1/Deployment': { create: validateDeployment as (o: never) => FieldError[], update: validateDeploymentUpdate as (o: never, old: never) => FieldError[] },
  'apps/v1/ReplicaSet': { create: validateReplicaSet as (o: never) => FieldError[], update: validateReplicaSetUpdate as (o: never, old: never) => FieldError[] },
  'apps/v1/ControllerRevision': {
    create: validateControllerRevision as (o: never) => FieldError[],
    update: validateControllerRevisionUpdate as (o: never, old: never) => FieldError[],
  },
};

// Kinds with no rules of their own still get ObjectMeta checks (namespaced, DNS subdomain names).
const FALLBACK: Rules = same<{ metadata?: ObjectMeta }>((o) => validateObjectMeta(o.metadata, true, nameIsDNSSubdomain));

/**
 * Field errors for a new object (after defaulting; `generateName` already
 * resolved). Empty when valid.
 * Example: `validateCreate('v1', 'Service', svc)` → `[{ field: 'spec.ports', type: 'FieldValueRequired', … }]`.
 */
export function validateCreate(apiVersion: string, kind: string, obj: unknown): FieldError[] {
  const rules = RULES[`${apiVersion}/${kind}`] ?? FALLBACK;
  return rules.create(obj as never);
}

/** Field errors for an update of `old` to `obj` (both defaulted). Includes the create rules, as upstream. */
export function validateUpdate(apiVersion: string, kind: string, obj: unknown, old: unknown): FieldError[] {
  const rules = RULES[`${apiVersion}/${kind}`] ?? FALLBACK;
  return (rules.update ?? FALLBACK.update!)(obj as never, old as never);
}

