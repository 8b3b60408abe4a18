/**
 * The scheduler (upstream `pkg/scheduler`, default profile): a cache of nodes
 * and assigned pods with incremental per-node accounting and assumed pods;
 * filters (NodeUnschedulable, NodeName, TaintToleration, NodeAffinity,
 * NodePorts, NodeResourcesFit) and scores as pure functions; the upstream
 * `FailedScheduling` message; a scheduling queue with back-off and an
 * unschedulable set; and the `Scheduler` component that binds pods through the
 * API. This folder imports only `../api/`, `../client/` and the controller
 * runtime's types.
 */
export { Scheduler, podToSchedule, plannedCondition, nodeChangeMayHelp, type SchedulerOptions } from './scheduler.js';
export { SchedulerCache, podTerminal } from './cache.js';
export { NodeInfo, podInfoOf, allocatableOf, type PodInfo, type Allocatable } from './node-info.js';
export { DEFAULT_FILTERS, runFilters, REASONS, type FilterPlugin, type FilterStatus, type PodToSchedule, type StatusCode } from './filters.js';
export { scoreNodes, selectHost, normalize, MAX_NODE_SCORE } from './scores.js';
export { schedulePod, nodeNamesFromAffinity, numFeasibleNodesToFind, NO_NODES_AVAILABLE, AFFINITY_CONFLICT, type ScheduleOutcome, type ScheduleState, type ScheduleOptions } from './schedule.js';
export { fitErrorMessage, preemptionMessage, truncateMessage, PREEMPTION, type Diagnosis } from './fit-error.js';
export { SchedulingQueue, type SchedulingQueueOptions } from './queue.js';
export { parseQuantity, parseQuantityOr, resourceValue, QuantityError } from '../api/quantity.js';
export { podRequests, podHostPorts, isScalarResource, DEFAULT_MILLI_CPU_REQUEST, DEFAULT_MEMORY_REQUEST, type Resources, type PodRequests, type HostPort } from './resources.js';
