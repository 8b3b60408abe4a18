/**
 * The LoadBalancer controller's executor: a local stand-in for a cloud
 * provider's service controller. It gives every `type: LoadBalancer` Service
 * of its class an IP from a local pool and publishes it in
 * `status.loadBalancer.ingress` (the service proxy then listens on it),
 * releases it when the Service goes away or changes type, and rebuilds its
 * allocation map from the Services' status at start. Decisions come from
 * {@link planLoadBalancer}.
 */
import type { Service } from 'kubernetes-types/core/v1.js';
import type { ResourceClient } from '../../client/client.js';
import { keyOf } from '../../client/indexer.js';
import { deletedObject, type SharedInformer } from '../../client/informer.js';
import type { Logger } from '../../client/logger.js';
import { runWorkers, WorkQueue, type ReconcileResult } from '../../client/workqueue.js';
import type { Controller, ControllerContext } from '../runtime/context.js';
import type { EventRecorder } from '../runtime/events.js';
import { LoadBalancerAllocator } from './allocator.js';
import { adoptableIP, handlesService, planLoadBalancer } from './plan.js';
import { DEFAULT_LB_POOL, parsePool } from './pool.js';

/** Options of {@link LoadBalancerController}. */
export interface LoadBalancerControllerOptions {
  /** The address pool: an IPv4 CIDR or `first-last` range (skiff `--load-balancer-ip-range`). Default `127.112.0.0/16`. */
  pool?: string;
  /**
   * The `spec.loadBalancerClass` this controller implements. Default none: only
   * class-less Services; with a class, class-less Services and that class.
   */
  loadBalancerClass?: string;
}

const COMPONENT = 'service-lb-controller';

function creationOrder(a: Service, b: Service): number {
  const ta = Date.parse(a.metadata?.creationTimestamp ?? '') || 0;
  const tb = Date.parse(b.metadata?.creationTimestamp ?? '') || 0;
  if (ta !== tb) return ta - tb;
  const ka = keyOf(a);
  const kb = keyOf(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/**
 * Assigns LoadBalancer IPs from a local pool.
 *
 * @example
 * const lb = new LoadBalancerController(ctx, { pool: '127.112.0.0/16' });
 * void new ControllerManager(ctx).add(lb).start(signal);
 */
export class LoadBalancerController implements Controller {
  readonly name = 'service-lb';
  readonly allocator: LoadBalancerAllocator;
  private readonly svcInformer: SharedInformer<Service>;
  private readonly services: ResourceClient<Service>;
  // One worker: allocation decisions read and write one shared map.
  private readonly queue = new WorkQueue({ name: 'service-lb' });
  private readonly lastSeen = new Map<string, Service>();
  private readonly recorder: EventRecorder;
  private readonly log: Logger;
  private readonly cls: string | undefined;

  /** Throws when `opts.pool` is not a valid pool (the message names the value). */
  constructor(ctx: ControllerContext, opts: LoadBalancerControllerOptions = {}) {
    this.allocator = new LoadBalancerAllocator(parsePool(opts.pool ?? DEFAULT_LB_POOL));
    this.cls = opts.loadBalancerClass;
    this.recorder = ctx.recorder(COMPONENT);
    this.log = ctx.logger(COMPONENT);
    this.svcInformer = ctx.informers.forResource<Service>('', 'v1', 'services');
    this.services = ctx.client.resource<Service>('', 'v1', 'services');
  }

  /** Resolves once the Service informer has synced. */
  get ready(): Promise<void> {
    return this.svcInformer.synced;
  }

  async start(signal: AbortSignal): Promise<void> {
    await Promise.race([this.ready, new Promise((r) => signal.addEventListener('abort', r, { once: true }))]);
    if (signal.aborted) return;
    this.rebuild();
    const unsubscribe = this.svcInformer.addEventHandler({
      onAdd: (s) => this.queue.add(keyOf(s)),
      onUpdate: (_o, s) => this.queue.add(keyOf(s)),
      onDelete: (obj) => {
        const s = deletedObject(obj);
        this.lastSeen.set(keyOf(s), s);
        this.queue.add(keyOf(s));
      },
    });
    try {
      await runWorkers(this.queue, 1, (key) => this.reconcile(key), signal, this.log);
    } finally {
      unsubscribe();
    }
  }

  /** Adopts the IPs Services already show (oldest Service first wins a duplicate), before any sync. */
  private rebuild(): void {
    for (const svc of this.svcInformer.indexer.list().sort(creationOrder)) {
      const ip = adoptableIP(svc, this.allocator, this.cls);
      if (!ip || this.allocator.holderOf(ip)) continue;
      this.allocator.assign({ key: keyOf(svc), uid: svc.metadata?.uid ?? '' }, ip);
    }
    if (this.allocator.size) this.log.info({ allocated: this.allocator.size }, 'rebuilt LoadBalancer allocations from Service status');
  }

  /** Services still waiting for an address get another chance when one is freed. */
  private requeueWaiting(): void {
    for (const svc of this.svcInformer.indexer.list()) {
      if (!handlesService(svc, this.cls) || this.allocator.heldBy(keyOf(svc))) continue;
      this.queue.add(keyOf(svc));
    }
  }

  private target(svc: Service): Service {
    return { apiVersion: 'v1', kind: 'Service', metadata: svc.metadata };
  }

  /** Syncs one Service key. Exposed for tests. */
  async reconcile(key: string): Promise<ReconcileResult> {
    const svc = this.svcInformer.indexer.get(key);
    if (!svc) {
      const freed = this.allocator.release(key);
      const last = this.lastSeen.get(key);
      this.lastSeen.delete(key);
      if (freed) {
        this.log.info({ service: key, ip: freed }, 'released LoadBalancer IP of a deleted Service');
        if (last) this.recorder.event(this.target(last), 'Normal', 'DeletedLoadBalancer', 'Deleted load balancer');
        this.requeueWaiting();
      }
      return;
    }
    const plan = planLoadBalancer(svc, this.allocator, this.cls);
    if (plan.kind === 'skip') return;
    const before = this.allocator.heldBy(key)?.ip;
    if (plan.ip) this.allocator.assign({ key, uid: svc.metadata?.uid ?? '' }, plan.ip);
    else this.allocator.release(key);
    if (before && before !== plan.ip) {
      this.log.info({ service: key, ip: before }, 'released LoadBalancer IP');
      this.requeueWaiting();
    }
    const target = this.target(svc);
    const [first, ...rest] = plan.events;
    if (first) this.recorder.event(target, first.type, first.reason, first.message);
    if (plan.status) {
      const body = { status: { loadBalancer: plan.status.ingress ? { ingress: plan.status.ingress } : { ingress: null } } };
      await this.services.patch(svc.metadata?.namespace, svc.metadata?.name ?? '', 'merge', body, { subresource: 'status' });
      if (plan.ip) this.log.info({ service: key, ip: plan.ip }, 'assigned LoadBalancer IP');
    }
    for (const e of rest) this.recorder.event(target, e.type, e.reason, e.message);
  }
}
