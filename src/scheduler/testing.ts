/**
 * Builders for the scheduler's unit tests: KWOK-like nodes and pods with only
 * the fields that matter.
 */
import type { Container, Node, Pod, PodSpec, Taint } from 'kubernetes-types/core/v1.js';

/** A Ready node with allocatable cpu/memory/pods (defaults 4 cpu, 8Gi, 110 pods). */
export function makeNode(
  name: string,
  o: { cpu?: string; memory?: string; pods?: string; labels?: Record<string, string>; taints?: Taint[]; unschedulable?: boolean; extra?: Record<string, string> } = {},
): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...o.labels } },
    spec: { ...(o.taints ? { taints: o.taints } : {}), ...(o.unschedulable ? { unschedulable: true } : {}) },
    status: {
      allocatable: { cpu: o.cpu ?? '4', memory: o.memory ?? '8Gi', pods: o.pods ?? '110', ...o.extra },
      conditions: [{ type: 'Ready', status: 'True' }],
    },
  };
}

/** A pod in `default` with one container requesting `requests`. */
export function makePod(name: string, o: { requests?: Record<string, string>; spec?: Partial<PodSpec>; owner?: string; nodeName?: string; uid?: string; container?: Partial<Container> } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      uid: o.uid ?? `uid-${name}`,
      ...(o.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: o.owner, controller: true }] } : {}),
    },
    spec: {
      containers: [{ name: 'c', image: 'x', ...(o.requests ? { resources: { requests: o.requests } } : {}), ...o.container }],
      schedulerName: 'default-scheduler',
      ...(o.nodeName ? { nodeName: o.nodeName } : {}),
      ...o.spec,
    },
    status: { phase: 'Pending' },
  };
}

/** The required node affinity a DaemonSet pod carries for `node`. */
export function pinnedTo(node: string): Partial<PodSpec> {
  return { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }] } } } };
}
