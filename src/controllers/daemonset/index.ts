/**
 * The DaemonSet controller (upstream `pkg/controller/daemon`): exactly one pod
 * on every node the pure predicate admits (`predicate.ts`), rolling updates
 * and OnDelete, ControllerRevision history (`history.ts`), status counters and
 * events. Decisions are pure planners (`plan.ts`, `pods.ts`); the executor
 * (`controller.ts`) does all I/O. May import `../../api/`, `../../client/`
 * and `../runtime/` only; it meets the scheduler, node agents and garbage
 * collector through the API.
 */
export { DaemonSetController, EVENT_REASONS, type DaemonSetControllerOptions } from './controller.js';
export { nodeShouldRunDaemonPod, daemonSetPredicate, daemonPodTolerations, DAEMON_TOLERATIONS, NETWORK_UNAVAILABLE_TOLERATION, type NodeVerdict } from './predicate.js';
export {
  newDaemonPod,
  replaceNodeNameAffinity,
  targetNodeName,
  isPodUpdated,
  isPodReady,
  isPodAvailable,
  templateGeneration,
  controllerRef,
  compareDaemonPods,
  REVISION_HASH_LABEL,
  TEMPLATE_GENERATION_LABEL,
  TEMPLATE_GENERATION_ANNOTATION,
} from './pods.js';
export { computeHash, canonicalJSON, safeEncodeString, revisionData, revisionMatches, revisionHash, newRevision, planHistory, planHistoryCleanup, type HistoryPlan } from './history.js';
export {
  nodeVerdicts,
  groupPodsByNode,
  planManage,
  planRollingUpdate,
  computeStatus,
  slowStartBatches,
  scaledValue,
  surgeCount,
  unavailableCount,
  allowsSurge,
  type NodeVerdicts,
  type NodePods,
  type ManagePlan,
  type RollingUpdatePlan,
  type DaemonSetCounts,
  type FailedPod,
} from './plan.js';
