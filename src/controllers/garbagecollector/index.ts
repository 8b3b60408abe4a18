/**
 * The garbage collector (upstream `pkg/controller/garbagecollector`): cascading
 * deletion through `metadata.ownerReferences`. `graph.ts` keeps the uid graph of
 * owners and dependents that informers on every resource (except events) feed,
 * and says which uids a change puts on the work queue; `plan.ts` holds the pure
 * decisions (classify an object's owners as solid, dangling or waiting for their
 * dependents' deletion; orphan, foreground and background steps); the
 * `GarbageCollector` in `garbagecollector.ts` executes them with uid and
 * resourceVersion preconditions. May import only `../../api/` and `../../client/`.
 */
export { collectedResources, GarbageCollector, type GarbageCollectorOptions } from './garbagecollector.js';
export { changeTriggers, Graph, toGcObject } from './graph.js';
export {
  classifyReferences,
  dependentView,
  FOREGROUND_FINALIZER,
  idOf,
  isDeletingDependents,
  isOrphaning,
  needsOwnerLookup,
  ORPHAN_FINALIZER,
  plan,
  policyFromFinalizers,
  unblockedOwners,
  withoutOwners,
  type ClassifiedReferences,
  type DependentView,
  type GcAction,
  type GcObject,
  type ObjectId,
  type OwnerState,
  type Plan,
  type PlanInput,
  type PropagationPolicy,
} from './plan.js';
