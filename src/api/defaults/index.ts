/**
 * API defaulting, as the generated `SetObjectDefaults_*` of kube-apiserver
 * 1.32 (`pkg/apis/core/v1/defaults.go`, `pkg/apis/apps/v1/defaults.go`):
 * `applyDefaults(apiVersion, kind, obj)` fills unset fields in place for
 * every kind skiff serves. Pure and synchronous; this folder imports only
 * `kubernetes-types` and may be imported by anything above `api/`.
 * Address-dependent fields (clusterIPs, nodePorts, ipFamilies) come from the
 * allocators in `apiserver/allocators`.
 */

import type { DaemonSet, Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Endpoints, Namespace, Node, Pod, PodTemplate, Secret, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { defaultDaemonSet, defaultDeployment, defaultReplicaSet } from './apps.js';
import { defaultPod, defaultPodTemplateSpec } from './pod.js';
import { defaultService } from './service.js';

export { defaultPod, defaultPodSpec, defaultPodTemplateSpec, defaultPullPolicy } from './pod.js';
export { defaultService } from './service.js';
export { defaultDaemonSet, defaultDeployment, defaultReplicaSet } from './apps.js';

function defaultNamespace(ns: Namespace): void {
  ns.spec ??= {};
  ns.spec.finalizers ??= ['kubernetes'];
  ns.status ??= {};
  if (!ns.status.phase) ns.status.phase = 'Active';
  // Upstream labels every namespace with its own name.
  const name = ns.metadata?.name;
  if (name) {
    ns.metadata!.labels ??= {};
    ns.metadata!.labels['kubernetes.io/metadata.name'] = name;
  }
}

function defaultNode(node: Node): void {
  // `SetDefaults_NodeStatus`: allocatable defaults to capacity.
  const st = node.status;
  if (st?.capacity && !st.allocatable) st.allocatable = { ...st.capacity };
}

function defaultSecret(s: Secret): void {
  if (!s.type) s.type = 'Opaque';
}

function defaultEndpoints(ep: Endpoints): void {
  for (const ss of ep.subsets ?? []) for (const p of ss.ports ?? []) if (!p.protocol) p.protocol = 'TCP';
}

function defaultEndpointSlice(es: EndpointSlice): void {
  for (const p of es.ports ?? []) {
    if (!p.protocol) p.protocol = 'TCP';
    p.name ??= '';
  }
}

const DEFAULTERS: Record<string, (obj: never) => void> = {
  'v1/Service': defaultService as (o: never) => void,
  'v1/Pod': defaultPod as (o: never) => void,
  'v1/PodTemplate': ((t: PodTemplate) => defaultPodTemplateSpec(t.template)) as (o: never) => void,
  'v1/Namespace': defaultNamespace as (o: never) => void,
  'v1/Node': defaultNode as (o: never) => void,
  'v1/Secret': defaultSecret as (o: never) => void,
  'v1/Endpoints': defaultEndpoints as (o: never) => void,
  'discovery.k8s.io/v1/EndpointSlice': defaultEndpointSlice as (o: never) => void,
  'apps/v1/DaemonSet': defaultDaemonSet as (o: never) => void,
  'apps/v1/Deployment': defaultDeployment as (o: never) => void,
  'apps/v1/ReplicaSet': defaultReplicaSet as (o: never) => void,
};

/**
 * Fills defaults in place; kinds without defaults are left alone.
 * Example: `applyDefaults('v1', 'Service', svc)` sets `spec.type` `ClusterIP`,
 * `sessionAffinity` `None`, port protocols `TCP`, `targetPort` = `port`, ….
 */
export function applyDefaults(apiVersion: string, kind: string, obj: unknown): void {
  if (obj === null || typeof obj !== 'object') return;
  DEFAULTERS[`${apiVersion}/${kind}`]?.(obj as never);
}

