/**
 * The EndpointSlice mirroring controller's executor (upstream
 * `pkg/controller/endpointslicemirroring`): for every selector-less Service
 * with a hand-made `Endpoints` object (not labelled
 * `endpointslice.kubernetes.io/skip-mirror: "true"`), keeps EndpointSlices
 * managed by `endpointslicemirroring-controller.k8s.io` equal to it, and
 * deletes them when the Endpoints, the Service or its selector-lessness goes.
 */
import type { Endpoints, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { isReason } from '../../api/errors.js';
import type { ResourceClient } from '../../client/client.js';
import { keyOf, splitKey } from '../../client/indexer.js';
import { deletedObject, type SharedInformer } from '../../client/informer.js';
import { errorMessage, type Logger } from '../../client/logger.js';
import { runWorkers, WorkQueue, type ReconcileResult } from '../../client/workqueue.js';
import { StaleInformerCacheError } from '../endpointslice/controller.js';
import { ANNOTATION_LEADER_ELECTION, LABEL_MANAGED_BY, LABEL_SERVICE_NAME, LABEL_SKIP_MIRROR, MIRRORING_CONTROLLER_NAME } from '../endpointslice/labels.js';
import { hasSelector } from '../endpointslice/pods.js';
import { ensureServiceIndex, managedSlices } from '../endpointslice/slice-index.js';
import { EndpointSliceTracker, serviceKeyOfSlice } from '../endpointslice/tracker.js';
import type { Controller, ControllerContext } from '../runtime/context.js';
import type { EventRecorder } from '../runtime/events.js';
import { DEFAULT_MAX_ENDPOINTS_PER_SUBSET, planMirroredSlices, type MirrorPlan } from './reconciler.js';

/** Options of {@link EndpointSliceMirroringController}. */
export interface EndpointSliceMirroringControllerOptions {
  /** Upstream `--mirroring-concurrent-service-endpoint-syncs`. Default 5. */
  workers?: number;
  /** Upstream `--mirroring-max-endpoints-per-subset`. Default 1000. */
  maxEndpointsPerSubset?: number;
  /** Upstream `--mirroring-endpointslice-updates-batch-period`, in ms. Default 0. */
  batchPeriodMs?: number;
}

const COMPONENT = 'endpoint-slice-mirroring-controller';

/** True when an Endpoints object is to be mirrored at all (upstream `shouldMirror`). */
export function shouldMirror(ep: Endpoints | undefined): boolean {
  if (!ep) return false;
  if (ep.metadata?.labels?.[LABEL_SKIP_MIRROR] === 'true') return false;
  return ep.metadata?.annotations?.[ANNOTATION_LEADER_ELECTION] === undefined;
}

/**
 * Mirrors hand-made Endpoints into EndpointSlices.
 *
 * @example
 * void new ControllerManager(ctx).add(new EndpointSliceMirroringController(ctx)).start(signal);
 */
export class EndpointSliceMirroringController implements Controller {
  readonly name = 'endpointslicemirroring';
  private readonly svcInformer: SharedInformer<Service>;
  private readonly epInformer: SharedInformer<Endpoints>;
  private readonly sliceInformer: SharedInformer<EndpointSlice>;
  private readonly slices: ResourceClient<EndpointSlice>;
  private readonly queue = new WorkQueue({ name: 'endpoint_slice_mirroring' });
  private readonly tracker = new EndpointSliceTracker();
  private readonly recorder: EventRecorder;
  private readonly log: Logger;
  private readonly workers: number;
  private readonly maxPerSubset: number;
  private readonly batchMs: number;

  constructor(ctx: ControllerContext, opts: EndpointSliceMirroringControllerOptions = {}) {
    this.workers = opts.workers ?? 5;
    this.maxPerSubset = opts.maxEndpointsPerSubset ?? DEFAULT_MAX_ENDPOINTS_PER_SUBSET;
    this.batchMs = opts.batchPeriodMs ?? 0;
    this.recorder = ctx.recorder(COMPONENT);
    this.log = ctx.logger(COMPONENT);
    this.svcInformer = ctx.informers.forResource<Service>('', 'v1', 'services');
    this.epInformer = ctx.informers.forResource<Endpoints>('', 'v1', 'endpoints');
    this.sliceInformer = ctx.informers.forResource<EndpointSlice>('discovery.k8s.io', 'v1', 'endpointslices');
    ensureServiceIndex(this.sliceInformer);
    this.slices = ctx.client.resource<EndpointSlice>('discovery.k8s.io', 'v1', 'endpointslices');
  }

  /** Resolves once the informers this controller reads have synced. */
  get ready(): Promise<void> {
    return Promise.all([this.svcInformer.synced, this.epInformer.synced, this.sliceInformer.synced]).then(() => undefined);
  }

  async start(signal: AbortSignal): Promise<void> {
    const managed = (s: EndpointSlice): boolean => s.metadata?.labels?.[LABEL_MANAGED_BY] === MIRRORING_CONTROLLER_NAME;
    const enqueueSlice = (s: EndpointSlice): void => {
      if (s.metadata?.labels?.[LABEL_SERVICE_NAME]) this.queue.addAfter(serviceKeyOfSlice(s), this.batchMs);
    };
    const unsubscribe = [
      this.svcInformer.addEventHandler({
        onAdd: (s) => {
          if (!hasSelector(s)) this.queue.add(keyOf(s));
        },
        onUpdate: (o, s) => {
          if (hasSelector(o) !== hasSelector(s)) this.queue.add(keyOf(s));
        },
        onDelete: (obj) => {
          const s = deletedObject(obj);
          if (!hasSelector(s)) this.queue.add(keyOf(s));
        },
      }),
      this.epInformer.addEventHandler({
        onAdd: (e) => {
          if (shouldMirror(e)) this.queue.add(keyOf(e));
        },
        onUpdate: (o, e) => {
          if (shouldMirror(o) || shouldMirror(e)) this.queue.add(keyOf(e));
        },
        onDelete: (obj) => {
          const e = deletedObject(obj);
          if (shouldMirror(e)) this.queue.add(keyOf(e));
        },
      }),
      this.sliceInformer.addEventHandler({
        onAdd: (s) => {
          if (managed(s) && this.tracker.shouldSync(s)) enqueueSlice(s);
        },
        onUpdate: (o, s) => {
          if (o.metadata?.labels?.[LABEL_SERVICE_NAME] !== s.metadata?.labels?.[LABEL_SERVICE_NAME]) {
            enqueueSlice(s);
            enqueueSlice(o);
          } else if (managed(o) !== managed(s) || (managed(s) && this.tracker.shouldSync(s))) enqueueSlice(s);
        },
        onDelete: (obj) => {
          const s = deletedObject(obj);
          if (managed(s) && this.tracker.has(s) && !this.tracker.handleDeletion(s)) enqueueSlice(s);
        },
      }),
    ];
    try {
      await Promise.race([this.ready, new Promise((r) => signal.addEventListener('abort', r, { once: true }))]);
      if (signal.aborted) return;
      // Mirrored slices whose Endpoints vanished while we were down.
      for (const s of this.sliceInformer.indexer.list()) if (managed(s)) enqueueSlice(s);
      await runWorkers(this.queue, this.workers, (key) => this.reconcile(key), signal, this.log);
    } finally {
      for (const u of unsubscribe) u();
    }
  }

  /** Syncs the mirrored slices of one Endpoints key (upstream `syncEndpoints`). Exposed for tests. */
  async reconcile(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const existing = managedSlices(this.sliceInformer, namespace, name, MIRRORING_CONTROLLER_NAME);
    const ep = this.epInformer.indexer.get(key);
    const svc = this.svcInformer.indexer.get(key);
    if (!ep || !shouldMirror(ep) || !svc || hasSelector(svc)) {
      this.tracker.deleteService(key);
      if (existing.length) await this.apply(key, undefined, { create: [], update: [], delete: existing, invalidAddresses: 0, skippedAddresses: 0 });
      return;
    }
    if (this.tracker.staleSlices(key, svc.metadata?.uid ?? '', existing)) throw new StaleInformerCacheError('EndpointSlice');
    const plan = planMirroredSlices(ep, existing, this.maxPerSubset);
    const target = { apiVersion: 'v1', kind: 'Endpoints', metadata: ep.metadata };
    if (plan.invalidAddresses > 0) {
      this.recorder.event(target, 'Warning', 'InvalidIPAddress', `Skipped ${plan.invalidAddresses} invalid IP addresses when mirroring to EndpointSlices`);
    }
    if (plan.skippedAddresses > plan.invalidAddresses) {
      this.recorder.event(
        target,
        'Warning',
        'TooManyAddressesToMirror',
        `A max of ${this.maxPerSubset} addresses can be mirrored to EndpointSlices per Endpoints subset. ${plan.skippedAddresses - plan.invalidAddresses} addresses were skipped`,
      );
    }
    await this.apply(key, ep, plan);
  }

  private async apply(key: string, ep: Endpoints | undefined, plan: MirrorPlan): Promise<void> {
    const { namespace } = splitKey(key);
    if (ep) {
      for (const s of plan.create) {
        try {
          this.tracker.update(await this.slices.create(namespace, s));
        } catch (err) {
          if (isReason(err, 'Forbidden') && /being terminated/.test(errorMessage(err))) return;
          throw new Error(`failed to create EndpointSlice for Endpoints ${key}: ${errorMessage(err)}`, { cause: err });
        }
      }
      for (const s of plan.update) {
        try {
          this.tracker.update(await this.slices.update(namespace, s));
        } catch (err) {
          throw new Error(`failed to update EndpointSlice ${s.metadata?.name} for Endpoints ${key}: ${errorMessage(err)}`, { cause: err });
        }
      }
    }
    for (const s of plan.delete) {
      try {
        await this.slices.delete(namespace, s.metadata?.name ?? '');
        if (ep) this.tracker.expectDeletion(s);
      } catch (err) {
        if (isReason(err, 'NotFound')) continue;
        throw new Error(`failed to delete EndpointSlice ${s.metadata?.name} for Endpoints ${key}: ${errorMessage(err)}`, { cause: err });
      }
    }
  }
}
