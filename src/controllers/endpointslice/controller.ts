/**
 * The EndpointSlice controller's executor (upstream `pkg/controller/endpointslice`):
 * watches Services, Pods, Nodes and EndpointSlices through the shared informers,
 * maps every change to the Services it concerns, and per Service key re-reads the
 * caches, asks {@link planEndpointSlices} what to write, and writes it — creates,
 * in-place updates, deletes — recording each write in the {@link EndpointSliceTracker}
 * so a lagging cache never makes it create a slice twice.
 */
import type { Node, Pod, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { isReason } from '../../api/errors.js';
import type { ResourceClient } from '../../client/client.js';
import { keyOf, splitKey } from '../../client/indexer.js';
import { deletedObject, type SharedInformer } from '../../client/informer.js';
import { errorMessage, type Logger } from '../../client/logger.js';
import { runWorkers, WorkQueue, type ReconcileResult } from '../../client/workqueue.js';
import type { Controller, ControllerContext } from '../runtime/context.js';
import type { EventRecorder } from '../runtime/events.js';
import { ENDPOINTSLICE_CONTROLLER_NAME, LABEL_MANAGED_BY, LABEL_SERVICE_NAME, LABEL_TOPOLOGY_ZONE } from './labels.js';
import { hasSelector, selectorMatches, servicesSelecting } from './pods.js';
import { watchServicesAndPods } from './triggers.js';
import { DEFAULT_MAX_ENDPOINTS_PER_SLICE, planEndpointSlices, type SlicePlan } from './reconciler.js';
import { ensureServiceIndex, managedSlices } from './slice-index.js';
import { EndpointSliceTracker, serviceKeyOfSlice } from './tracker.js';
import { formatTriggerTime, TriggerTimeTracker } from './trigger-time.js';

/** Options of {@link EndpointSliceController}. */
export interface EndpointSliceControllerOptions {
  /** Concurrent Service syncs (upstream `--concurrent-service-endpoint-syncs`). Default 5. */
  workers?: number;
  /** Upstream `--max-endpoints-per-slice`. Default 100. */
  maxEndpointsPerSlice?: number;
  /** Upstream `--endpoint-updates-batch-period`: delay of pod-triggered syncs, in ms. Default 0. */
  endpointUpdatesBatchPeriodMs?: number;
}

/** Delay before a sync caused by someone else's change to a managed slice (upstream `endpointSliceChangeMinSyncDelay`). */
const SLICE_CHANGE_MIN_SYNC_DELAY_MS = 1000;

const COMPONENT = 'endpoint-slice-controller';

/** Thrown when the slice cache has not caught up with this controller's own writes; the key is retried. */
export class StaleInformerCacheError extends Error {
  constructor(what: string) {
    super(`${what} informer cache is out of date; will retry once it has observed this controller's writes`);
    this.name = 'StaleInformerCacheError';
  }
}

/**
 * Publishes the pods every selector-bearing Service selects as EndpointSlices.
 *
 * @example
 * const ctx = newControllerContext(client);
 * void new ControllerManager(ctx).add(new EndpointSliceController(ctx)).start(signal);
 */
export class EndpointSliceController implements Controller {
  readonly name = 'endpointslice';
  private readonly svcInformer: SharedInformer<Service>;
  private readonly podInformer: SharedInformer<Pod>;
  private readonly nodeInformer: SharedInformer<Node>;
  private readonly sliceInformer: SharedInformer<EndpointSlice>;
  private readonly slices: ResourceClient<EndpointSlice>;
  private readonly queue = new WorkQueue({ name: 'endpoint_slice' });
  private readonly tracker = new EndpointSliceTracker();
  private readonly triggerTimes = new TriggerTimeTracker();
  private readonly recorder: EventRecorder;
  private readonly log: Logger;
  private readonly workers: number;
  private readonly maxPerSlice: number;
  private readonly batchMs: number;

  constructor(ctx: ControllerContext, opts: EndpointSliceControllerOptions = {}) {
    this.workers = opts.workers ?? 5;
    this.maxPerSlice = opts.maxEndpointsPerSlice ?? DEFAULT_MAX_ENDPOINTS_PER_SLICE;
    this.batchMs = opts.endpointUpdatesBatchPeriodMs ?? 0;
    this.recorder = ctx.recorder(COMPONENT);
    this.log = ctx.logger(COMPONENT);
    this.svcInformer = ctx.informers.forResource<Service>('', 'v1', 'services');
    this.podInformer = ctx.informers.forResource<Pod>('', 'v1', 'pods');
    this.nodeInformer = ctx.informers.forResource<Node>('', 'v1', 'nodes');
    this.sliceInformer = ctx.informers.forResource<EndpointSlice>('discovery.k8s.io', 'v1', 'endpointslices');
    ensureServiceIndex(this.sliceInformer);
    this.slices = ctx.client.resource<EndpointSlice>('discovery.k8s.io', 'v1', 'endpointslices');
  }

  /** Resolves once the informers this controller reads have synced. */
  get ready(): Promise<void> {
    return Promise.all([this.svcInformer.synced, this.podInformer.synced, this.nodeInformer.synced, this.sliceInformer.synced]).then(() => undefined);
  }

  async start(signal: AbortSignal): Promise<void> {
    const unsubscribe = [
      ...watchServicesAndPods(this.svcInformer, this.podInformer, this.queue, this.batchMs),
      this.nodeInformer.addEventHandler({
        onAdd: (n) => this.onNodeChange(undefined, n),
        onUpdate: (o, n) => this.onNodeChange(o, n),
        onDelete: (n) => this.onNodeChange(undefined, deletedObject(n)),
      }),
      this.sliceInformer.addEventHandler({
        onAdd: (s) => {
          if (this.managed(s) && this.tracker.shouldSync(s)) this.enqueueForSlice(s);
        },
        onUpdate: (o, s) => {
          // Users may relabel a slice; the controller never does.
          if (o.metadata?.labels?.[LABEL_SERVICE_NAME] !== s.metadata?.labels?.[LABEL_SERVICE_NAME]) {
            this.enqueueForSlice(s);
            this.enqueueForSlice(o);
            return;
          }
          if (this.managed(o) !== this.managed(s) || (this.managed(s) && this.tracker.shouldSync(s))) this.enqueueForSlice(s);
        },
        onDelete: (obj) => {
          const s = deletedObject(obj);
          if (this.managed(s) && this.tracker.has(s) && !this.tracker.handleDeletion(s)) this.enqueueForSlice(s);
        },
      }),
    ];
    try {
      await Promise.race([this.ready, new Promise((r) => signal.addEventListener('abort', r, { once: true }))]);
      if (signal.aborted) return;
      await runWorkers(this.queue, this.workers, (key) => this.reconcile(key), signal, this.log);
    } finally {
      for (const u of unsubscribe) u();
    }
  }

  // ---- event mapping ---------------------------------------------------------------------------

  private managed(s: EndpointSlice): boolean {
    return s.metadata?.labels?.[LABEL_MANAGED_BY] === ENDPOINTSLICE_CONTROLLER_NAME;
  }

  private servicesIn(namespace: string | undefined): Service[] {
    return namespace ? this.svcInformer.indexer.byIndex('byNamespace', namespace) : [];
  }

  private enqueueForPod(p: Pod): void {
    for (const k of servicesSelecting(this.servicesIn(p.metadata?.namespace), p.metadata?.labels)) this.queue.addAfter(k, this.batchMs);
  }

  private enqueueForSlice(s: EndpointSlice): void {
    if (!s.metadata?.labels?.[LABEL_SERVICE_NAME]) return;
    this.queue.addAfter(serviceKeyOfSlice(s), Math.max(SLICE_CHANGE_MIN_SYNC_DELAY_MS, this.batchMs));
  }

  /** A node's zone feeds the `zone` of the endpoints on it: resync the Services of its pods when it changes. */
  private onNodeChange(old: Node | undefined, node: Node): void {
    const zone = node.metadata?.labels?.[LABEL_TOPOLOGY_ZONE];
    if (old && old.metadata?.labels?.[LABEL_TOPOLOGY_ZONE] === zone) return;
    for (const p of this.podInformer.indexer.byIndex('byNodeName', node.metadata?.name ?? '')) this.enqueueForPod(p);
  }

  // ---- reconcile --------------------------------------------------------------------------------

  /** Syncs the slices of one Service (upstream `syncService`). Exposed for tests. */
  async reconcile(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const svc = this.svcInformer.indexer.get(key);
    if (!svc) {
      // Its slices go with it through their owner references (garbage collector).
      this.triggerTimes.delete(namespace, name);
      this.tracker.deleteService(key);
      return;
    }
    const existing = managedSlices(this.sliceInformer, namespace, name, ENDPOINTSLICE_CONTROLLER_NAME);
    if (svc.spec?.type === 'ExternalName' || !hasSelector(svc)) {
      // No selector (or a DNS alias): endpoints come from elsewhere (the mirroring
      // controller, a user); slices published while it had a selector must go.
      if (existing.length) await this.apply(svc, { create: [], update: [], delete: existing });
      return;
    }
    if (this.tracker.staleSlices(key, svc.metadata?.uid ?? '', existing)) throw new StaleInformerCacheError('EndpointSlice');

    const pods = this.podInformer.indexer.byIndex('byNamespace', namespace).filter((p) => selectorMatches(svc, p.metadata?.labels));
    const trigger = this.triggerTimes.compute(svc, pods);
    const plan = planEndpointSlices({
      service: svc,
      pods,
      node: (n) => this.nodeInformer.indexer.get(n),
      existing,
      maxEndpointsPerSlice: this.maxPerSlice,
      controllerName: ENDPOINTSLICE_CONTROLLER_NAME,
      triggerTime: trigger === undefined ? undefined : formatTriggerTime(trigger),
    });
    try {
      await this.apply(svc, plan);
    } catch (err) {
      this.recorder.event(this.target(svc), 'Warning', 'FailedToUpdateEndpointSlices', `Error updating Endpoint Slices for Service ${key}: ${errorMessage(err)}`);
      throw err;
    }
  }

  private target(svc: Service): Service {
    return { apiVersion: 'v1', kind: 'Service', metadata: svc.metadata };
  }

  /** Upstream `finalize` (I/O half): creates, then updates, then deletes; stops at the first failure. */
  private async apply(svc: Service, plan: SlicePlan): Promise<void> {
    const ns = svc.metadata?.namespace;
    const key = keyOf(svc);
    for (const s of plan.create) {
      try {
        const created = await this.slices.create(ns, s);
        this.tracker.update(created);
      } catch (err) {
        // A terminating namespace refuses new objects for good: drop the key.
        if (isReason(err, 'Forbidden') && /being terminated/.test(errorMessage(err))) return;
        throw new Error(`failed to create EndpointSlice for Service ${key}: ${errorMessage(err)}`, { cause: err });
      }
    }
    for (const s of plan.update) {
      try {
        const updated = await this.slices.update(ns, s);
        this.tracker.update(updated);
      } catch (err) {
        throw new Error(`failed to update EndpointSlice ${s.metadata?.name} for Service ${key}: ${errorMessage(err)}`, { cause: err });
      }
    }
    for (const s of plan.delete) {
      try {
        await this.slices.delete(ns, s.metadata?.name ?? '');
        this.tracker.expectDeletion(s);
      } catch (err) {
        if (isReason(err, 'NotFound')) continue;
        throw new Error(`failed to delete EndpointSlice ${s.metadata?.name} for Service ${key}: ${errorMessage(err)}`, { cause: err });
      }
    }
    if (plan.create.length || plan.update.length || plan.delete.length) {
      this.log.debug?.({ service: key, created: plan.create.length, updated: plan.update.length, deleted: plan.delete.length }, 'synced endpoint slices');
    }
  }
}
