/**
 * What makes a Service's endpoints need a sync — shared by the EndpointSlice and the
 * Endpoints controllers, which upstream also wire the same way: a Service change queues
 * that Service; a pod added or deleted queues every Service selecting it; a pod update
 * queues the Services whose endpoints the change can affect (after `batchMs`).
 */
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import { keyOf } from '../../client/indexer.js';
import { deletedObject, type SharedInformer } from '../../client/informer.js';
import type { WorkQueue } from '../../client/workqueue.js';
import { servicesSelecting, servicesToUpdateOnPodChange } from './pods.js';

/** Registers the handlers; returns their unsubscribe functions. */
export function watchServicesAndPods(services: SharedInformer<Service>, pods: SharedInformer<Pod>, queue: WorkQueue, batchMs: number): Array<() => void> {
  const servicesIn = (namespace: string | undefined): Service[] => (namespace ? services.indexer.byIndex('byNamespace', namespace) : []);
  const forPod = (p: Pod): void => {
    for (const k of servicesSelecting(servicesIn(p.metadata?.namespace), p.metadata?.labels)) queue.addAfter(k, batchMs);
  };
  return [
    services.addEventHandler({
      onAdd: (s) => queue.add(keyOf(s)),
      onUpdate: (_o, s) => queue.add(keyOf(s)),
      onDelete: (s) => queue.add(keyOf(deletedObject(s))),
    }),
    pods.addEventHandler({
      onAdd: forPod,
      onUpdate: (o, p) => {
        for (const k of servicesToUpdateOnPodChange(servicesIn(p.metadata?.namespace), o, p)) queue.addAfter(k, batchMs);
      },
      onDelete: (p) => forPod(deletedObject(p)),
    }),
  ];
}
