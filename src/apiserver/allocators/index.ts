/**
 * Service address allocation for the API server: `IPAllocator` (ClusterIPs
 * from `--service-cluster-ip-range`, default 127.96.0.0/12), `PortAllocator`
 * (NodePorts from `--service-node-port-range`, default 30000-32767) and
 * `ServiceAllocations`, the registry's create/update/delete/rebuild logic over
 * both, plus the pure Service fix-ups that run before validation. This folder
 * imports only `api/` (errors, validation) and `kubernetes-types`; only the
 * API server imports it.
 */

export { IPAllocator, type IPAllocatorOptions } from './ip-allocator.js';
export { PortAllocator, parsePortRange } from './port-allocator.js';
export { AllocationError, OffsetBitmap, ERR_FULL, type AllocationErrorReason, type RandomInt } from './range.js';
export { ServiceAllocations, type AllocationResult, type ServiceAllocationsOptions } from './service-allocations.js';
export { normalizeClusterIPs, patchAllocatedValues, dropTypeDependentFields, prepareServiceCreate, prepareServiceUpdate } from './service-prepare.js';
