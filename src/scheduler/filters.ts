/**
 * The filter plugins of the default profile, in upstream order (NodeUnschedulable,
 * NodeName, TaintToleration, NodeAffinity, NodePorts, NodeResourcesFit, PodTopologySpread,
 * InterPodAffinity), as pure
 * functions of (pod, node info) → nothing when the node fits, else a status whose
 * reasons are the exact upstream strings that `FailedScheduling` messages count.
 * A node is judged by the first plugin that rejects it, as upstream.
 */
import type { Pod, Taint } from 'kubernetes-types/core/v1.js';
import { doNotScheduleTaint, findUntoleratedTaint, podFitsNodeAffinity, taintTolerated } from '../api/scheduling.js';
import type { NodeInfo } from './node-info.js';
import { interPodAffinityVerdict, type InterPodState } from './inter-pod-affinity.js';
import { topologySpreadVerdict, type SpreadState } from './topology-spread.js';
import type { HostPort, PodRequests } from './resources.js';

/** `Unschedulable` may be resolved by preemption; `UnschedulableAndUnresolvable` may not. */
export type StatusCode = 'Unschedulable' | 'UnschedulableAndUnresolvable';

/** Why a plugin rejected a node. */
export interface FilterStatus {
  plugin: string;
  code: StatusCode;
  reasons: string[];
}

/** A pod with what the filters need precomputed once per scheduling attempt. */
export interface PodToSchedule {
  pod: Pod;
  requests: PodRequests;
  ports: HostPort[];
  owner?: string;
  /** The InterPodAffinity PreFilter's counts; undefined when it skipped (no terms anywhere). */
  interPod?: InterPodState;
  /** The PodTopologySpread PreFilter's counts; undefined when the pod has no DoNotSchedule constraint. */
  spread?: SpreadState;
}

/** One filter plugin. */
export interface FilterPlugin {
  name: string;
  filter(p: PodToSchedule, n: NodeInfo): FilterStatus | undefined;
}

/** Upstream reason strings. */
export const REASONS = {
  unschedulable: 'node(s) were unschedulable',
  nodeName: "node(s) didn't match the requested node name",
  nodeAffinity: "node(s) didn't match Pod's node affinity/selector",
  nodePorts: "node(s) didn't have free ports for the requested pod ports",
  tooManyPods: 'Too many pods',
  untoleratedTaint: (t: Taint): string => `node(s) had untolerated taint {${t.key}: ${t.value ?? ''}}`,
  insufficient: (resource: string): string => `Insufficient ${resource}`,
} as const;

const UNSCHEDULABLE_TAINT: Taint = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };

function reject(plugin: string, code: StatusCode, ...reasons: string[]): FilterStatus {
  return { plugin, code, reasons };
}

/** Cordoned nodes, unless the pod tolerates `node.kubernetes.io/unschedulable:NoSchedule`. */
export const nodeUnschedulable: FilterPlugin = {
  name: 'NodeUnschedulable',
  filter(p, n) {
    if (!n.node?.spec?.unschedulable) return undefined;
    if (taintTolerated(UNSCHEDULABLE_TAINT, p.pod.spec?.tolerations)) return undefined;
    return reject(this.name, 'UnschedulableAndUnresolvable', REASONS.unschedulable);
  },
};

/** `spec.nodeName`, when set, must be this node. */
export const nodeName: FilterPlugin = {
  name: 'NodeName',
  filter(p, n) {
    const want = p.pod.spec?.nodeName;
    if (!want || want === n.name) return undefined;
    return reject(this.name, 'UnschedulableAndUnresolvable', REASONS.nodeName);
  },
};

// NoSchedule and NoExecute taints must be tolerated; PreferNoSchedule only lowers the score.

export const taintToleration: FilterPlugin = {
  name: 'TaintToleration',
  filter(p, n) {
    const taints = n.node?.spec?.taints;
    if (!taints || taints.length === 0) return undefined;
    const t = findUntoleratedTaint(taints, p.pod.spec?.tolerations, doNotScheduleTaint);
    return t ? reject(this.name, 'UnschedulableAndUnresolvable', REASONS.untoleratedTaint(t)) : undefined;
  },
};

/** `nodeSelector` and required node affinity. */
export const nodeAffinity: FilterPlugin = {
  name: 'NodeAffinity',
  filter(p, n) {
    if (n.node && podFitsNodeAffinity(p.pod.spec ?? {}, n.node)) return undefined;
    return reject(this.name, 'UnschedulableAndUnresolvable', REASONS.nodeAffinity);
  },
};

/** Host ports already taken on the node (protocol and hostIP aware). */
export const nodePorts: FilterPlugin = {
  name: 'NodePorts',
  filter(p, n) {
    if (p.ports.length === 0 || !n.portsConflict(p.ports)) return undefined;
    return reject(this.name, 'Unschedulable', REASONS.nodePorts);
  },
};

/** Requests against allocatable minus what the node's pods (assumed ones included) request; every shortfall is a reason. */
export const nodeResourcesFit: FilterPlugin = {
  name: 'NodeResourcesFit',
  filter(p, n) {
    const reasons: string[] = [];
    const a = n.allocatable;
    if (n.pods.size + 1 > a.pods) reasons.push(REASONS.tooManyPods);
    const r = p.requests;
    if (r.milliCPU !== 0 || r.memory !== 0 || r.ephemeralStorage !== 0 || r.scalar.size !== 0) {
      const used = n.requested;
      if (a.milliCPU < r.milliCPU + used.milliCPU) reasons.push(REASONS.insufficient('cpu'));
      if (a.memory < r.memory + used.memory) reasons.push(REASONS.insufficient('memory'));
      if (a.ephemeralStorage < r.ephemeralStorage + used.ephemeralStorage) reasons.push(REASONS.insufficient('ephemeral-storage'));
      for (const [name, q] of r.scalar) {
        if (q === 0) continue;
        if ((a.scalar.get(name) ?? 0) < q + (used.scalar.get(name) ?? 0)) reasons.push(REASONS.insufficient(name));
      }
    }
    return reasons.length ? reject(this.name, 'Unschedulable', ...reasons) : undefined;
  },
};

/** What a PreFilter-backed filter says of a node: undefined when it fits. */
export type Verdict = { code: StatusCode; reason: string } | undefined;

/** A filter that judges a node by its labels against what its PreFilter counted (nothing counted: the PreFilter skipped). */
function prefiltered<S>(name: string, state: (p: PodToSchedule) => S | undefined, verdict: (s: S, nodeLabels: Readonly<Record<string, string>>) => Verdict): FilterPlugin {
  return {
    name,
    filter(p, n) {
      const s = state(p);
      const v = s === undefined ? undefined : verdict(s, n.node?.metadata?.labels ?? {});
      return v ? reject(name, v.code, v.reason) : undefined;
    },
  };
}

/** DoNotSchedule topology spread constraints (see `topology-spread.ts`). */
export const podTopologySpread = prefiltered('PodTopologySpread', (p) => p.spread, topologySpreadVerdict);

/** Required pod affinity and anti-affinity (see `inter-pod-affinity.ts`). */
export const interPodAffinity = prefiltered('InterPodAffinity', (p) => p.interPod, interPodAffinityVerdict);

/** The default profile's filters, in upstream order (the volume plugins aside). */
export const DEFAULT_FILTERS: readonly FilterPlugin[] = [nodeUnschedulable, nodeName, taintToleration, nodeAffinity, nodePorts, nodeResourcesFit, podTopologySpread, interPodAffinity];

/** Runs the filters in order; the first rejection decides. */
export function runFilters(p: PodToSchedule, n: NodeInfo, filters: readonly FilterPlugin[] = DEFAULT_FILTERS): FilterStatus | undefined {
  for (const f of filters) {
    const s = f.filter(p, n);
    if (s) return s;
  }
  return undefined;
}
