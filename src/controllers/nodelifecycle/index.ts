/**
 * Node lifecycle: the controller that turns silent nodes Unknown and keeps the
 * condition-derived taints (`unreachable`, `not-ready`, pressure,
 * `unschedulable`) on nodes, and the taint eviction controller that deletes
 * pods from NoExecute-tainted nodes after their `tolerationSeconds`. Decisions
 * are pure functions in `health.ts` and `eviction.ts`. Imports only
 * `../../api/`, `../../client/` and `../runtime/`.
 */
export { NodeLifecycleController, type NodeLifecycleOptions } from './controller.js';
export { TaintEvictionController } from './taint-eviction.js';
export {
  desiredManagedTaints,
  effectiveGraceMs,
  MANAGED_TAINT_KEYS,
  MONITORED_CONDITIONS,
  planTaints,
  TAINT_DISK_PRESSURE,
  TAINT_MEMORY_PRESSURE,
  TAINT_NETWORK_UNAVAILABLE,
  TAINT_NOT_READY,
  TAINT_PID_PRESSURE,
  TAINT_UNREACHABLE,
  TAINT_UNSCHEDULABLE,
  unknownConditions,
} from './health.js';
export { evictionDecision, matchingTolerations, minTolerationMs, taintAddedAt, type EvictionDecision } from './eviction.js';
