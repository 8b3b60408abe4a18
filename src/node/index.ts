/**
 * The node agent: registers Nodes (labels, addresses, pod CIDR, capacity,
 * conditions), renews their Leases in `kube-node-lease`, runs the pods bound to
 * them through a {@link Runtime} and reports pod status (phase, conditions, pod
 * and host IPs, container statuses) through the status subresource, finishing
 * graceful deletions with a grace-0, UID-guarded delete. `agent.ts` is the core
 * shared by every runtime; `runtime/simulated.ts` runs pods with no process and
 * `pool.ts` puts thousands of simulated nodes in one process behind one node
 * and one pod informer. Decisions (pod status, node status, address plans,
 * lease timing) are pure functions beside it. This folder may import `../api/`,
 * `../client/` and the `Controller`/`ControllerContext` types of
 * `../controllers/runtime/`; it meets every other component only through the API.
 */
export { NodeAgent, readHostInfo, type NodeAgentOptions } from './agent.js';
export { SimulatedNodePool, type SimulatedNodePoolOptions } from './pool.js';
export { SimulatedRuntime, parseReadyDelay, simulatedImageID, type SimulatedRuntimeOptions } from './runtime/simulated.js';
export { ProcessRuntime, type ProcessRuntimeOptions } from './runtime/process.js';
export type { PodRunContext, Runtime, RuntimePodStatus } from './runtime.js';
export { AGENT_CONDITIONS, apiTime, podPhase, podStatusFor, statusDiffers, type PodAddresses } from './pod-status.js';
export {
  DEFAULT_CAPACITY,
  healthyConditions,
  KUBELET_VERSION,
  leaseDurationSecondsFor,
  leaseRenewIntervalMs,
  newNodeObject,
  NODE_LEASE_NAMESPACE,
  nodeLease,
  nodeStatusFor,
  nodeStatusNeedsUpdate,
  RUNTIME_ANNOTATION,
  RUNTIME_LABEL,
  shouldAdopt,
  type HostInfo,
  type NodeFacts,
  type NodeSpecInput,
} from './node-object.js';
export { cidrContains, IndexAllocator, intToIp, ipToInt, NodeIPAllocator, parseCidr, PodCidrAllocator, PodIPAllocator } from './ipam.js';
