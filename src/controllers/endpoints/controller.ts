/**
 * The Endpoints controller's executor (upstream `pkg/controller/endpoint`):
 * keeps the legacy `Endpoints` object of every selector-bearing Service in step
 * with the pods it selects. Services, Pods and Endpoints come from the shared
 * informers; every pod change is mapped to the Services it concerns; the
 * decision is {@link planEndpoints}; this file does the single write per sync.
 */
import type { Endpoints, Pod, Service } from 'kubernetes-types/core/v1.js';
import { isReason } from '../../api/errors.js';
import type { ResourceClient } from '../../client/client.js';
import { keyOf, splitKey } from '../../client/indexer.js';
import { deletedObject, type SharedInformer } from '../../client/informer.js';
import { errorMessage, type Logger } from '../../client/logger.js';
import { runWorkers, WorkQueue, type ReconcileResult } from '../../client/workqueue.js';
import { StaleInformerCacheError } from '../endpointslice/controller.js';
import { ANNOTATION_LEADER_ELECTION, LABEL_SKIP_MIRROR } from '../endpointslice/labels.js';
import { hasSelector, selectorMatches } from '../endpointslice/pods.js';
import { watchServicesAndPods } from '../endpointslice/triggers.js';
import { formatTriggerTime, TriggerTimeTracker } from '../endpointslice/trigger-time.js';
import type { Controller, ControllerContext } from '../runtime/context.js';
import type { EventRecorder } from '../runtime/events.js';
import { planEndpoints } from './plan.js';

/** Options of {@link EndpointsController}. */
export interface EndpointsControllerOptions {
  /** Concurrent Service syncs (upstream `--concurrent-endpoint-syncs`). Default 5. */
  workers?: number;
  /** Upstream `--endpoint-updates-batch-period`: delay of pod-triggered syncs, in ms. Default 0. */
  endpointUpdatesBatchPeriodMs?: number;
}

/** The field manager of this controller's writes; it marks the Endpoints it manages. */
export const ENDPOINTS_FIELD_MANAGER = 'endpoint-controller';

const COMPONENT = 'endpoint-controller';

/**
 * Maintains `Endpoints` objects for Services with selectors.
 *
 * @example
 * const ctx = newControllerContext(client);
 * void new ControllerManager(ctx).add(new EndpointsController(ctx)).start(signal);
 */
export class EndpointsController implements Controller {
  readonly name = 'endpoints';
  private readonly svcInformer: SharedInformer<Service>;
  private readonly podInformer: SharedInformer<Pod>;
  private readonly epInformer: SharedInformer<Endpoints>;
  private readonly client: ResourceClient<Endpoints>;
  private readonly queue = new WorkQueue({ name: 'endpoint' });
  private readonly triggerTimes = new TriggerTimeTracker();
  /** key → resourceVersion we replaced; seeing it again in the cache means the cache lags. */
  private readonly staleRV = new Map<string, string>();
  /** key → uid of the Endpoints object this process wrote. */
  private readonly written = new Map<string, string>();
  private readonly recorder: EventRecorder;
  private readonly log: Logger;
  private readonly workers: number;
  private readonly batchMs: number;

  constructor(ctx: ControllerContext, opts: EndpointsControllerOptions = {}) {
    this.workers = opts.workers ?? 5;
    this.batchMs = opts.endpointUpdatesBatchPeriodMs ?? 0;
    this.recorder = ctx.recorder(COMPONENT);
    this.log = ctx.logger(COMPONENT);
    this.svcInformer = ctx.informers.forResource<Service>('', 'v1', 'services');
    this.podInformer = ctx.informers.forResource<Pod>('', 'v1', 'pods');
    this.epInformer = ctx.informers.forResource<Endpoints>('', 'v1', 'endpoints');
    this.client = ctx.client.resource<Endpoints>('', 'v1', 'endpoints');
  }

  /** Resolves once the informers this controller reads have synced. */
  get ready(): Promise<void> {
    return Promise.all([this.svcInformer.synced, this.podInformer.synced, this.epInformer.synced]).then(() => undefined);
  }

  async start(signal: AbortSignal): Promise<void> {
    const unsubscribe = [
      ...watchServicesAndPods(this.svcInformer, this.podInformer, this.queue, this.batchMs),
      this.epInformer.addEventHandler({
        onDelete: (e) => this.queue.add(keyOf(deletedObject(e))),
      }),
    ];
    try {
      await Promise.race([this.ready, new Promise((r) => signal.addEventListener('abort', r, { once: true }))]);
      if (signal.aborted) return;
      this.checkLeftoverEndpoints();
      await runWorkers(this.queue, this.workers, (key) => this.reconcile(key), signal, this.log);
    } finally {
      for (const u of unsubscribe) u();
    }
  }



  /**
   * Upstream `checkLeftoverEndpoints`: Endpoints whose Service vanished while the
   * controller was down are queued once at start (deleted if they are ours).
   */
  private checkLeftoverEndpoints(): void {
    for (const ep of this.epInformer.indexer.list()) {
      if (ep.metadata?.annotations?.[ANNOTATION_LEADER_ELECTION] !== undefined) continue;
      const key = keyOf(ep);
      if (!this.svcInformer.indexer.get(key)) this.queue.add(key);
    }
  }

  /**
   * Whether this controller manages `ep`: it carries the skip-mirror marker and was
   * written by this controller (in this process, or per its managedFields).
   */
  private manages(key: string, ep: Endpoints): boolean {
    if (ep.metadata?.labels?.[LABEL_SKIP_MIRROR] !== 'true') return false;
    if (this.written.get(key) === ep.metadata?.uid) return true;
    return (ep.metadata?.managedFields ?? []).some((f) => f.manager === ENDPOINTS_FIELD_MANAGER);
  }

  /** Syncs the Endpoints of one Service (upstream `syncService`). Exposed for tests. */
  async reconcile(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitKey(key);
    const svc = this.svcInformer.indexer.get(key);
    const current = this.epInformer.indexer.get(key);
    if (current && this.staleRV.get(key) === current.metadata?.resourceVersion) throw new StaleInformerCacheError('Endpoints');
    const pods = svc ? this.podInformer.indexer.byIndex('byNamespace', namespace).filter((p) => selectorMatches(svc, p.metadata?.labels)) : [];
    let trigger: number | undefined;
    if (svc && svc.spec?.type !== 'ExternalName' && hasSelector(svc)) trigger = this.triggerTimes.compute(svc, pods);
    const action = planEndpoints({
      service: svc,
      pods,
      current,
      managed: current ? this.manages(key, current) : false,
      triggerTime: trigger === undefined ? undefined : formatTriggerTime(trigger),
    });
    if (!svc) {
      this.triggerTimes.delete(namespace, name);
      this.staleRV.delete(key);
    }
    switch (action.kind) {
      case 'none':
        return;
      case 'delete':
        try {
          await this.client.delete(namespace, name, { preconditions: { uid: current?.metadata?.uid } });
          this.log.info({ endpoints: key }, svc ? 'deleted Endpoints of a Service without selector' : 'deleted Endpoints of a deleted Service');
        } catch (err) {
          if (!isReason(err, 'NotFound') && !isReason(err, 'Conflict')) throw err;
        }
        this.written.delete(key);
        return;
      case 'create':
        try {
          const created = await this.client.create(namespace, action.endpoints, { fieldManager: ENDPOINTS_FIELD_MANAGER });
          this.written.set(key, created.metadata?.uid ?? '');
        } catch (err) {
          // A terminating namespace refuses new objects for good: drop the key.
          if (isReason(err, 'Forbidden') && /being terminated/.test(errorMessage(err))) return;
          this.recorder.event(action.endpoints, 'Warning', 'FailedToCreateEndpoint', `Failed to create endpoint for service ${key}: ${errorMessage(err)}`);
          throw err;
        }
        return;
      case 'update':
        try {
          const updated = await this.client.update(namespace, action.endpoints, { fieldManager: ENDPOINTS_FIELD_MANAGER });
          this.written.set(key, updated.metadata?.uid ?? '');
          const oldRV = current?.metadata?.resourceVersion;
          if (oldRV && updated.metadata?.resourceVersion !== oldRV) this.staleRV.set(key, oldRV);
        } catch (err) {
          this.recorder.event(action.endpoints, 'Warning', 'FailedToUpdateEndpoint', `Failed to update endpoint ${key}: ${errorMessage(err)}`);
          throw err;
        }
        return;
    }
  }
}
