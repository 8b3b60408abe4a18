/**
 * The ReplicaSet controller (upstream `pkg/controller/replicaset`): keeps
 * `spec.replicas` active pods matching the selector. Per key it re-reads the
 * ReplicaSet and the namespace's pods from the informer caches, claims pods
 * (adopt orphans, release non-matching), plans creates or deletes with
 * {@link planReplicas}, performs them in slow-start batches under expectations,
 * and writes the status.
 */
import type { ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Pod, PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { isReason } from '../../api/errors.js';
import { matchesLabelSelector } from '../../api/labels.js';
import type { KubeObject, ResourceClient } from '../../client/client.js';
import { deletedObject, type SharedInformer } from '../../client/informer.js';
import { keyOf, splitKey } from '../../client/indexer.js';
import { errorMessage, type Logger } from '../../client/logger.js';
import { runWorkers, WorkQueue, type ReconcileResult } from '../../client/workqueue.js';
import type { Controller, ControllerContext } from '../runtime/context.js';
import type { EventRecorder } from '../runtime/events.js';
import { Expectations } from '../runtime/expectations.js';
import { adoptPatch, planClaims, releasePatch } from './claim.js';
import { controllerOf, isPodActive, isPodReady, newControllerRef } from './pods.js';
import { podsToDelete } from './ranking.js';
import { calculateReplicaSetStatus, replicaSetStatusChanged, slowStartBatch } from './status.js';

/** Upstream `BurstReplicas`: at most this many creates or deletes per sync. */
export const DEFAULT_BURST_REPLICAS = 500;

/** What one sync does to the pod count: create `n` pods, delete these pods, or nothing. */
export type ReplicaPlan = { create: number } | { delete: Pod[] } | Record<string, never>;

/**
 * Decides how to bring `pods` (the ReplicaSet's active owned pods) to `spec.replicas`,
 * at most `burst` at a time; surplus pods are chosen by {@link podsToDelete}.
 *
 * @example
 * planReplicas(rs, pods, related, 500, Date.now()) // { create: 2 }
 */
export function planReplicas(rs: ReplicaSet, pods: readonly Pod[], related: readonly Pod[], burst: number, nowMs: number): ReplicaPlan {
  const diff = pods.length - (rs.spec?.replicas ?? 1);
  if (diff < 0) return { create: Math.min(-diff, burst) };
  if (diff > 0) return { delete: podsToDelete(pods, related, Math.min(diff, burst), nowMs) };
  return {};
}

/**
 * The pod a controller creates from `template`: template labels, annotations and
 * finalizers, `generateName: <owner>-`, and the controller reference.
 */
export function podFromTemplate(template: PodTemplateSpec, ownerName: string, ref: OwnerReference): Pod {
  const meta = template.metadata ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${ownerName}-`,
      labels: { ...meta.labels },
      ...(meta.annotations ? { annotations: { ...meta.annotations } } : {}),
      ...(meta.finalizers ? { finalizers: [...meta.finalizers] } : {}),
      ownerReferences: [ref],
    },
    spec: structuredClone(template.spec) as Pod['spec'],
  };
}

/** Options of {@link ReplicaSetController}. */
export interface ReplicaSetControllerOptions {
  /** Concurrent workers. Default 5 (upstream `--concurrent-replicaset-syncs`). */
  workers?: number;
  /** Most creates or deletes per sync. Default {@link DEFAULT_BURST_REPLICAS}. */
  burstReplicas?: number;
}

/**
 * Runs ReplicaSets.
 *
 * @example
 * const ctx = newControllerContext(client);
 * const mgr = new ControllerManager(ctx).add(new ReplicaSetController(ctx));
 * void mgr.start(signal);
 */
export class ReplicaSetController implements Controller {
  readonly name = 'replicaset';
  private readonly rsInformer: SharedInformer<ReplicaSet>;
  private readonly podInformer: SharedInformer<Pod>;
  private readonly rsClient: ResourceClient<ReplicaSet>;
  private readonly podClient: ResourceClient<Pod>;
  private readonly queue = new WorkQueue({ name: 'replicaset' });
  private readonly expectations: Expectations;
  private readonly recorder: EventRecorder;
  private readonly log: Logger;
  private readonly workers: number;
  private readonly burst: number;

  constructor(
    private readonly ctx: ControllerContext,
    opts: ReplicaSetControllerOptions = {},
  ) {
    this.workers = opts.workers ?? 5;
    this.burst = opts.burstReplicas ?? DEFAULT_BURST_REPLICAS;
    this.rsInformer = ctx.informers.forResource<ReplicaSet>('apps', 'v1', 'replicasets');
    this.podInformer = ctx.informers.forResource<Pod>('', 'v1', 'pods');
    this.rsClient = ctx.client.resource<ReplicaSet>('apps', 'v1', 'replicasets');
    this.podClient = ctx.client.resource<Pod>('', 'v1', 'pods');
    this.expectations = new Expectations(ctx.now);
    this.recorder = ctx.recorder('replicaset-controller');
    this.log = ctx.logger('replicaset-controller');
    this.rsInformer.addEventHandler({
      onAdd: (rs) => this.enqueue(rs),
      onUpdate: (_old, rs) => this.enqueue(rs),
      onDelete: (obj) => {
        const rs = deletedObject(obj);
        this.expectations.delete(keyOf(rs));
        this.enqueue(rs);
      },
    });
    this.podInformer.addEventHandler({
      onAdd: (pod) => this.podAdded(pod),
      onUpdate: (old, cur) => this.podUpdated(old, cur),
      onDelete: (obj) => this.podDeleted(deletedObject(obj)),
    });
  }

  /** Waits for the caches, then reconciles until `signal` aborts. */
  async start(signal: AbortSignal): Promise<void> {
    let onAbort = (): void => {};
    const aborted = new Promise<void>((r) => signal.addEventListener('abort', (onAbort = () => r()), { once: true }));
    await Promise.race([Promise.all([this.rsInformer.synced, this.podInformer.synced]), aborted]).finally(() => signal.removeEventListener('abort', onAbort));
    if (signal.aborted) return;
    await runWorkers(this.queue, this.workers, (key) => this.reconcile(key), signal, this.log);
  }

  private enqueue(rs: KubeObject): void {
    this.queue.add(keyOf(rs));
  }

  /** The ReplicaSet `ref` points at, if it is one and its uid matches. */
  private resolve(namespace: string | undefined, ref: OwnerReference | undefined): ReplicaSet | undefined {
    if (!ref || ref.kind !== 'ReplicaSet') return undefined;
    const rs = this.rsInformer.indexer.get(`${namespace}/${ref.name}`);
    return rs && rs.metadata?.uid === ref.uid ? rs : undefined;
  }

  /** ReplicaSets in the pod's namespace whose selector matches it (for orphans). */
  private matchingReplicaSets(pod: Pod): ReplicaSet[] {
    const ns = pod.metadata?.namespace ?? '';
    return this.rsInformer.indexer.byIndex('byNamespace', ns).filter((rs) => matchesLabelSelector(rs.spec?.selector, pod.metadata?.labels));
  }

  private podAdded(pod: Pod): void {
    if (pod.metadata?.deletionTimestamp) {
      this.podDeleted(pod);
      return;
    }
    const ref = controllerOf(pod);
    if (ref) {
      const rs = this.resolve(pod.metadata?.namespace, ref);
      if (!rs) return;
      this.expectations.creationObserved(keyOf(rs));
      this.enqueue(rs);
      return;
    }
    for (const rs of this.matchingReplicaSets(pod)) this.enqueue(rs);
  }

  private podUpdated(old: Pod, cur: Pod): void {
    if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return;
    const labelsChanged = JSON.stringify(old.metadata?.labels ?? {}) !== JSON.stringify(cur.metadata?.labels ?? {});
    if (cur.metadata?.deletionTimestamp) {
      // A graceful delete shows up as an update; count it as the deletion we expect.
      this.podDeleted(cur);
      if (labelsChanged) this.podDeleted(old);
      return;
    }
    const curRef = controllerOf(cur);
    const oldRef = controllerOf(old);
    const refChanged = oldRef?.uid !== curRef?.uid;
    if (refChanged && oldRef) {
      const rs = this.resolve(old.metadata?.namespace, oldRef);
      if (rs) this.enqueue(rs);
    }
    if (curRef) {
      const rs = this.resolve(cur.metadata?.namespace, curRef);
      if (!rs) return;
      this.enqueue(rs);
      // Re-check availability once minReadySeconds have passed since the pod became ready.
      const minReady = rs.spec?.minReadySeconds ?? 0;
      if (!isPodReady(old) && isPodReady(cur) && minReady > 0) this.queue.addAfter(keyOf(rs), minReady * 1000 + 1000);
      return;
    }
    if (labelsChanged || refChanged) for (const rs of this.matchingReplicaSets(cur)) this.enqueue(rs);
  }

  private podDeleted(pod: Pod): void {
    const rs = this.resolve(pod.metadata?.namespace, controllerOf(pod));
    if (!rs) return;
    this.expectations.deletionObserved(keyOf(rs), keyOf(pod));
    this.enqueue(rs);
  }

  /** One sync of the ReplicaSet `key` (`namespace/name`). */
  async reconcile(key: string): Promise<ReconcileResult> {
    const cached = this.rsInformer.indexer.get(key);
    if (!cached) {
      this.expectations.delete(key);
      return;
    }
    const rs = structuredClone(cached);
    const needsSync = this.expectations.satisfied(key);
    const { namespace } = splitKey(key);
    const all = this.podInformer.indexer.byIndex('byNamespace', namespace).filter(isPodActive);
    const pods = await this.claimPods(rs, all);
    let manageError: Error | undefined;
    if (needsSync && !rs.metadata?.deletionTimestamp) {
      try {
        await this.manageReplicas(key, rs, pods);
      } catch (err) {
        manageError = err instanceof Error ? err : new Error(String(err));
      }
    }
    const updated = await this.writeStatus(rs, calculateReplicaSetStatus(rs, pods, manageError, this.ctx.now()));
    if (manageError) throw manageError;
    const s: NonNullable<ReplicaSet['status']> = updated.status ?? { replicas: 0 };
    const want = updated.spec?.replicas ?? 1;
    const minReady = updated.spec?.minReadySeconds ?? 0;
    if (minReady > 0 && (s.readyReplicas ?? 0) === want && (s.availableReplicas ?? 0) !== want) return { requeueAfter: minReady * 1000 };
  }

  /** Adopts matching orphans and releases owned pods that stopped matching; returns the owned pods. */
  private async claimPods(rs: ReplicaSet, pods: Pod[]): Promise<Pod[]> {
    const sel = rs.spec?.selector;
    const plan = planClaims(rs, (p: Pod) => matchesLabelSelector(sel, p.metadata?.labels), pods);
    const owned = [...plan.owned];
    if (plan.adopt.length && (await this.canAdopt(rs))) {
      const ref = newControllerRef(rs, 'apps/v1', 'ReplicaSet');
      for (const pod of plan.adopt) {
        try {
          owned.push(await this.podClient.patch(pod.metadata?.namespace, pod.metadata?.name ?? '', 'strategic', adoptPatch(ref, pod.metadata?.uid ?? '')));
        } catch (err) {
          if (!isReason(err, 'NotFound')) throw err;
        }
      }
    }
    for (const pod of plan.release) {
      try {
        await this.podClient.patch(pod.metadata?.namespace, pod.metadata?.name ?? '', 'strategic', releasePatch(rs.metadata?.uid ?? '', pod.metadata?.uid ?? ''));
      } catch (err) {
        if (!isReason(err, 'NotFound') && !isReason(err, 'Invalid')) throw err;
      }
    }
    return owned;
  }

  /** Re-reads the ReplicaSet from the server: adopt only if it is still the same, live object. */
  private async canAdopt(rs: ReplicaSet): Promise<boolean> {
    try {
      const fresh = await this.rsClient.get(rs.metadata?.namespace, rs.metadata?.name ?? '');
      return fresh.metadata?.uid === rs.metadata?.uid && !fresh.metadata?.deletionTimestamp;
    } catch (err) {
      if (isReason(err, 'NotFound')) return false;
      throw err;
    }
  }

  private async manageReplicas(key: string, rs: ReplicaSet, pods: Pod[]): Promise<void> {
    const plan = planReplicas(rs, pods, this.relatedPods(rs), this.burst, this.ctx.now());
    if ('create' in plan && plan.create > 0) {
      const n = plan.create;
      this.expectations.expectCreations(key, n);
      const ref = newControllerRef(rs, 'apps/v1', 'ReplicaSet');
      const { successes, error } = await slowStartBatch(n, 1, () => this.createPod(rs, ref));
      for (let i = successes; i < n; i++) this.expectations.creationObserved(key);
      if (error) throw error;
    } else if ('delete' in plan && plan.delete.length > 0) {
      const victims = plan.delete;
      this.expectations.expectDeletions(key, victims.map((p) => keyOf(p)));
      const errors: unknown[] = [];
      await Promise.all(
        victims.map(async (pod) => {
          try {
            await this.podClient.delete(pod.metadata?.namespace, pod.metadata?.name ?? '');
            this.recorder.event(rs as KubeObject, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata?.name}`);
          } catch (err) {
            this.expectations.deletionObserved(key, keyOf(pod));
            if (isReason(err, 'NotFound')) return;
            this.recorder.event(rs as KubeObject, 'Warning', 'FailedDelete', `Error deleting: ${errorMessage(err)}`);
            errors.push(err);
          }
        }),
      );
      if (errors.length) throw errors[0];
    }
  }

  private async createPod(rs: ReplicaSet, ref: OwnerReference): Promise<void> {
    const template = rs.spec?.template ?? {};
    if (!Object.keys(template.metadata?.labels ?? {}).length) throw new Error('unable to create pods, no labels');
    try {
      const pod = await this.podClient.create(rs.metadata?.namespace, podFromTemplate(template, rs.metadata?.name ?? '', ref));
      this.recorder.event(rs as KubeObject, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata?.name}`);
    } catch (err) {
      // Creates in a terminating namespace fail by design; there is nothing to report.
      if (/because it is being terminated/.test(errorMessage(err))) return;
      this.recorder.event(rs as KubeObject, 'Warning', 'FailedCreate', `Error creating: ${errorMessage(err)}`);
      throw err;
    }
  }

  /** Pods of every ReplicaSet sharing this one's controller (its Deployment's other generations). */
  private relatedPods(rs: ReplicaSet): Pod[] {
    const ref = controllerOf(rs);
    if (!ref) return [];
    const ns = rs.metadata?.namespace ?? '';
    const seen = new Set<string>();
    const out: Pod[] = [];
    const pods = this.podInformer.indexer.byIndex('byNamespace', ns);
    for (const other of this.rsInformer.indexer.byIndex('byNamespace', ns)) {
      if (controllerOf(other)?.uid !== ref.uid) continue;
      for (const p of pods) {
        const uid = p.metadata?.uid ?? '';
        if (seen.has(uid) || !matchesLabelSelector(other.spec?.selector, p.metadata?.labels)) continue;
        seen.add(uid);
        out.push(p);
      }
    }
    return out;
  }

  /** Writes `status` (with observedGeneration) when it changed; retries once on a conflict. */
  private async writeStatus(rs: ReplicaSet, status: NonNullable<ReplicaSet['status']>): Promise<ReplicaSet> {
    if (!replicaSetStatusChanged(rs, status)) return rs;
    let target = rs;
    for (let attempt = 0; ; attempt++) {
      const next = { ...target, status: { ...status, observedGeneration: target.metadata?.generation } };
      try {
        return await this.rsClient.updateStatus(target.metadata?.namespace, next);
      } catch (err) {
        if (attempt > 0 || !isReason(err, 'Conflict')) throw err;
        target = await this.rsClient.get(rs.metadata?.namespace, rs.metadata?.name ?? '');
      }
    }
  }
}
