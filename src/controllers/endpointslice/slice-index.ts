/**
 * Looking up the EndpointSlices of a Service in a shared informer cache: an
 * index on `namespace/<kubernetes.io/service-name>` shared by the EndpointSlice
 * and mirroring controllers, and a filter on the managed-by label.
 */
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { SharedInformer } from '../../client/informer.js';
import { LABEL_MANAGED_BY, LABEL_SERVICE_NAME } from './labels.js';

/** Name of the index of EndpointSlices by `namespace/service-name`. */
export const BY_SERVICE_INDEX = 'byServiceName';

/** Adds the {@link BY_SERVICE_INDEX} index to a shared EndpointSlice informer unless another controller already did. */
export function ensureServiceIndex(informer: SharedInformer<EndpointSlice>): void {
  if (informer.indexer.indexNames().includes(BY_SERVICE_INDEX)) return;
  informer.addIndexers({
    [BY_SERVICE_INDEX]: (s) => {
      const svc = s.metadata?.labels?.[LABEL_SERVICE_NAME];
      return svc ? [`${s.metadata?.namespace ?? ''}/${svc}`] : [];
    },
  });
}

/**
 * The cached slices labelled for Service `namespace/name` and managed by `managedBy`,
 * without those already being deleted (a stuck finalizer must not stall the controller).
 */
export function managedSlices(informer: SharedInformer<EndpointSlice>, namespace: string, name: string, managedBy: string): EndpointSlice[] {
  return informer.indexer.byIndex(BY_SERVICE_INDEX, `${namespace}/${name}`).filter((s) => s.metadata?.labels?.[LABEL_MANAGED_BY] === managedBy && !s.metadata?.deletionTimestamp);
}
