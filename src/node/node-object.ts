/**
 * What a node agent writes about its node, as pure functions: the Node object a
 * new node registers with, the status it reports (conditions with heartbeat
 * times, addresses, capacity, nodeInfo), what adopting a Node created through
 * the API (KWOK-style) must change, and the node Lease.
 */
import type { Node, NodeCondition, NodeStatus, Taint } from 'kubernetes-types/core/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { apiTime } from './pod-status.js';

/** Annotation naming the runtime that runs a node's pods (`simulated` or `process`). */
export const RUNTIME_ANNOTATION = 'skiff.io/runtime';
/** Label skiff puts on the nodes it registers, with the runtime name as value. */
export const RUNTIME_LABEL = 'skiff.io/runtime';
/** Namespace of node Leases. */
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
/** `status.nodeInfo.kubeletVersion` of skiff nodes. */
export const KUBELET_VERSION = 'v1.32.0-skiff';

/** Capacity of a simulated node (allocatable is equal). */
export const DEFAULT_CAPACITY: Readonly<Record<string, string>> = {
  cpu: '8',
  'ephemeral-storage': '100Gi',
  'hugepages-1Gi': '0',
  'hugepages-2Mi': '0',
  memory: '32Gi',
  pods: '110',
};

/** What the caller asks for when adding a node. */
export interface NodeSpecInput {
  name: string;
  labels?: Record<string, string>;
  taints?: Taint[];
}

/** Host facts that go into `status.nodeInfo` (read once at the edge). */
export interface HostInfo {
  osImage: string;
  kernelVersion: string;
  architecture: string;
}

/** Addresses and identity the agent allocated or found for a node. */
export interface NodeFacts {
  internalIP: string;
  podCIDR: string;
  runtimeName: string;
  runtimeVersion: string;
  host: HostInfo;
  /**
   * The port the agent's kubelet server listens on at `internalIP`, published
   * as `status.daemonEndpoints.kubeletEndpoint.Port`; 0 when the agent serves
   * no logs/exec (simulated runtime). Undefined keeps what the Node has (default 10250).
   */
  kubeletPort?: number;
}

const CONDITION_TEXT: Record<string, { ok: 'True' | 'False'; reason: string; message: string }> = {
  MemoryPressure: { ok: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
  DiskPressure: { ok: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' },
  PIDPressure: { ok: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' },
  Ready: { ok: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
};

/** Condition types the agent reports, in kubelet order. */
export const NODE_CONDITION_TYPES = ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready'] as const;

function hex32(s: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  let out = '';
  for (let round = 0; round < 4; round++) {
    for (let i = 0; i < s.length; i++) {
      h1 = Math.imul(h1 ^ s.charCodeAt(i), 16777619) >>> 0;
      h2 = Math.imul(h2 ^ s.charCodeAt(i) ^ round, 2246822507) >>> 0;
    }
    out += ((h1 ^ h2) >>> 0).toString(16).padStart(8, '0');
  }
  return out;
}

/**
 * The healthy conditions, keeping `lastTransitionTime` where the status did
 * not change and any condition type the agent does not own.
 */
export function healthyConditions(previous: readonly NodeCondition[] | undefined, nowMs: number): NodeCondition[] {
  const now = apiTime(nowMs);
  const prev = previous ?? [];
  const out: NodeCondition[] = NODE_CONDITION_TYPES.map((type) => {
    const t = CONDITION_TEXT[type]!;
    const p = prev.find((c) => c.type === type);
    const transition = p && p.status === t.ok && p.lastTransitionTime ? p.lastTransitionTime : now;
    return { type, status: t.ok, lastHeartbeatTime: now, lastTransitionTime: transition, reason: t.reason, message: t.message };
  });
  for (const c of prev) if (!(NODE_CONDITION_TYPES as readonly string[]).includes(c.type)) out.push(c);
  return out;
}

/**
 * The status the agent reports for `node`. Capacity, allocatable and nodeInfo
 * fields a KWOK-style node brought are kept; missing ones are filled in.
 */
export function nodeStatusFor(node: Node | undefined, facts: NodeFacts, nowMs: number): NodeStatus {
  const old = node?.status ?? {};
  const name = node?.metadata?.name ?? '';
  const addresses = [...(old.addresses ?? [])];
  if (!addresses.some((a) => a.type === 'InternalIP')) addresses.unshift({ type: 'InternalIP', address: facts.internalIP });
  if (!addresses.some((a) => a.type === 'Hostname')) addresses.push({ type: 'Hostname', address: name });
  const capacity = old.capacity && Object.keys(old.capacity).length ? old.capacity : { ...DEFAULT_CAPACITY };
  const allocatable = old.allocatable && Object.keys(old.allocatable).length ? old.allocatable : { ...capacity };
  const oi = old.nodeInfo;
  const id = hex32(name);
  const nodeInfo = {
    machineID: oi?.machineID || id,
    systemUUID: oi?.systemUUID || `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20, 32)}`,
    bootID: oi?.bootID || hex32(`${name}/boot`),
    kernelVersion: oi?.kernelVersion || facts.host.kernelVersion,
    osImage: oi?.osImage || facts.host.osImage,
    containerRuntimeVersion: oi?.containerRuntimeVersion || facts.runtimeVersion,
    kubeletVersion: oi?.kubeletVersion || KUBELET_VERSION,
    kubeProxyVersion: oi?.kubeProxyVersion ?? '',
    operatingSystem: oi?.operatingSystem || 'linux',
    architecture: oi?.architecture || facts.host.architecture,
  };
  const status: NodeStatus = {
    ...old,
    capacity,
    allocatable,
    conditions: healthyConditions(old.conditions, nowMs),
    addresses,
    daemonEndpoints: facts.kubeletPort !== undefined ? { kubeletEndpoint: { Port: facts.kubeletPort } } : old.daemonEndpoints ?? { kubeletEndpoint: { Port: 10250 } },
    nodeInfo,
  };
  // `phase` is deprecated and never set by the kubelet; KWOK manifests carry it, keep theirs.
  return status;
}

/** The Node object a new pool node registers with (status included: nodes have no status reset on create). */
export function newNodeObject(spec: NodeSpecInput, facts: NodeFacts, nowMs: number): Node {
  const labels: Record<string, string> = {
    'beta.kubernetes.io/arch': facts.host.architecture,
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': facts.host.architecture,
    'kubernetes.io/hostname': spec.name,
    'kubernetes.io/os': 'linux',
    [RUNTIME_LABEL]: facts.runtimeName,
    ...spec.labels,
  };
  const node: { -readonly [K in keyof Node]: Node[K] } = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: spec.name,
      labels,
      annotations: { [RUNTIME_ANNOTATION]: facts.runtimeName, 'node.alpha.kubernetes.io/ttl': '0' },
    },
    spec: { podCIDR: facts.podCIDR, podCIDRs: [facts.podCIDR], ...(spec.taints?.length ? { taints: spec.taints } : {}) },
  };
  node.status = nodeStatusFor(node, facts, nowMs);
  return node;
}

/**
 * Whether the reported status must be written again: Ready is not True (the
 * lifecycle controller marked it Unknown, or a KWOK node came without it), a
 * condition or address the agent owns is missing, nodeInfo is incomplete, or
 * the published kubelet port is not `kubeletPort` (when given).
 */
export function nodeStatusNeedsUpdate(node: Node, kubeletPort?: number): boolean {
  if (kubeletPort !== undefined && (node.status?.daemonEndpoints?.kubeletEndpoint?.Port ?? 0) !== kubeletPort) return true;
  const conds = node.status?.conditions ?? [];
  for (const type of NODE_CONDITION_TYPES) {
    const c = conds.find((x) => x.type === type);
    if (!c || c.status !== CONDITION_TEXT[type]!.ok) return true;
  }
  const addrs = node.status?.addresses ?? [];
  if (!addrs.some((a) => a.type === 'InternalIP' && a.address) || !addrs.some((a) => a.type === 'Hostname')) return true;
  const info = node.status?.nodeInfo;
  return !info?.kubeletVersion || !info.containerRuntimeVersion || !info.kernelVersion || !info.osImage;
}

/** The node's InternalIP, if it has one. */
export function internalIPOf(node: Node): string | undefined {
  return node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address || undefined;
}

/** The node's first pod CIDR, if set. */
export function podCIDROf(node: Node): string | undefined {
  return node.spec?.podCIDRs?.[0] || node.spec?.podCIDR || undefined;
}

/** Whether a pool adopts `node`: every node not claimed by the process runtime. */
export function shouldAdopt(node: Node): boolean {
  return node.metadata?.annotations?.[RUNTIME_ANNOTATION] !== 'process' && !node.metadata?.deletionTimestamp;
}

/** Lease `renewTime` is a MicroTime: RFC 3339 with six fractional digits. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** The node Lease (`kube-node-lease/<node>`), owned by the Node so it goes when the Node goes. */
export function nodeLease(node: Node, leaseDurationSeconds: number, nowMs: number): Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name: node.metadata?.name ?? '',
      namespace: NODE_LEASE_NAMESPACE,
      ownerReferences: node.metadata?.uid ? [{ apiVersion: 'v1', kind: 'Node', name: node.metadata.name ?? '', uid: node.metadata.uid }] : undefined,
    },
    spec: { holderIdentity: node.metadata?.name ?? '', leaseDurationSeconds, renewTime: microTime(nowMs) },
  };
}

/**
 * How often each node renews its Lease. The kubelet renews every 10 s (a
 * quarter of the 40 s lease). With many nodes in one process the interval is
 * stretched so all of them together write at most `maxWritesPerSecond`
 * (default 100): 1 000 nodes → 10 s, 5 000 → 50 s, 10 000 → 100 s.
 */
export function leaseRenewIntervalMs(nodeCount: number, heartbeatSeconds = 10, maxWritesPerSecond = 100): number {
  return Math.max(heartbeatSeconds * 1000, Math.ceil((nodeCount / Math.max(1, maxWritesPerSecond)) * 1000));
}

/**
 * The `leaseDurationSeconds` the agent advertises: four renew intervals (40 s
 * for the kubelet's 10 s), so a stretched interval is announced in the Lease
 * itself and the lifecycle controller's grace period can honour it.
 */
export function leaseDurationSecondsFor(renewIntervalMs: number): number {
  return Math.ceil((renewIntervalMs * 4) / 1000);
}
