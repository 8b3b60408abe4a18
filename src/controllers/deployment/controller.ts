/**
 * The Deployment controller (upstream `pkg/controller/deployment`): per key it
 * re-reads the Deployment and its ReplicaSets from the informer caches, claims
 * ReplicaSets by selector, finds or creates the new ReplicaSet
 * (`<deploy>-<pod-template-hash>`), and then either scales (a resize or a paused
 * Deployment), rolls (RollingUpdate) or recreates (Recreate), one step per sync,
 * driven by the pure planners in `rolling.ts`, `progress.ts` and `history.ts`.
 * Writes use the cached resourceVersion, so a lagging cache ends in a Conflict
 * and a retry, never in a wrong write.
 */
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
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
import { adoptPatch, planClaims, releasePatch } from '../replicaset/claim.js';
import { controllerOf, newControllerRef, rfc3339 } from '../replicaset/pods.js';
import { computeHash, equalIgnoreHash, POD_TEMPLATE_HASH_LABEL } from './hash.js';
import { planHistoryCleanup } from './history.js';
import { applyPausedCondition, calculateStatus, deploymentComplete, planRolloutStatus, statusEqual } from './progress.js';
import { newRSNewReplicas, planOldReplicaSetsScaleDown, planRecreateScaleDown, planScale, type ScaleOp } from './rolling.js';
import {
  DESIRED_REPLICAS_ANNOTATION,
  filterActive,
  findNewReplicaSet,
  findOldReplicaSets,
  getCondition,
  hasProgressDeadline,
  intAnnotation,
  maxRevision,
  maxSurge,
  newCondition,
  Reasons,
  replicasAnnotationsNeedUpdate,
  replicasOf,
  REVISION_ANNOTATION,
  setCondition,
  setNewReplicaSetAnnotations,
  setReplicasAnnotations,
  sumStatusReplicas,
} from './util.js';

/** Options of {@link DeploymentController}. */
export interface DeploymentControllerOptions {
  /** Concurrent workers. Default 5 (upstream `--concurrent-deployment-syncs`). */
  workers?: number;
  /** Accepted for symmetry with the ReplicaSet controller; the Deployment controller creates no pods. */
  burstReplicas?: number;
}

/** The new ReplicaSet (if any) and all the others, as one sync sees them. */
interface Split {
  newRS: ReplicaSet | undefined;
  oldRSs: ReplicaSet[];
}

/**
 * Runs Deployments.
 *
 * @example
 * const ctx = newControllerContext(client);
 * new ControllerManager(ctx).add(new ReplicaSetController(ctx), new DeploymentController(ctx)).start(signal);
 */
export class DeploymentController implements Controller {
  readonly name = 'deployment';
  private readonly dInformer: SharedInformer<Deployment>;
  private readonly rsInformer: SharedInformer<ReplicaSet>;
  private readonly podInformer: SharedInformer<Pod>;
  private readonly dClient: ResourceClient<Deployment>;
  private readonly rsClient: ResourceClient<ReplicaSet>;
  private readonly queue = new WorkQueue({ name: 'deployment' });
  private readonly recorder: EventRecorder;
  private readonly log: Logger;
  private readonly workers: number;

  constructor(
    private readonly ctx: ControllerContext,
    opts: DeploymentControllerOptions = {},
  ) {
    this.workers = opts.workers ?? 5;
    this.dInformer = ctx.informers.forResource<Deployment>('apps', 'v1', 'deployments');
    this.rsInformer = ctx.informers.forResource<ReplicaSet>('apps', 'v1', 'replicasets');
    this.podInformer = ctx.informers.forResource<Pod>('', 'v1', 'pods');
    this.dClient = ctx.client.resource<Deployment>('apps', 'v1', 'deployments');
    this.rsClient = ctx.client.resource<ReplicaSet>('apps', 'v1', 'replicasets');
    this.recorder = ctx.recorder('deployment-controller');
    this.log = ctx.logger('deployment-controller');
    this.dInformer.addEventHandler({
      onAdd: (d) => this.enqueue(d),
      onUpdate: (_o, d) => this.enqueue(d),
      onDelete: (d) => this.enqueue(deletedObject(d)),
    });
    this.rsInformer.addEventHandler({
      onAdd: (rs) => this.rsChanged(undefined, rs),
      onUpdate: (old, rs) => this.rsChanged(old, rs),
      onDelete: (rs) => this.enqueueOwner(deletedObject(rs)),
    });
    this.podInformer.addEventHandler({ onDelete: (p) => this.podDeleted(deletedObject(p)) });
  }

  /** Waits for the caches, then reconciles until `signal` aborts. */
  async start(signal: AbortSignal): Promise<void> {
    let onAbort = (): void => {};
    const aborted = new Promise<void>((r) => signal.addEventListener('abort', (onAbort = () => r()), { once: true }));
    await Promise.race([Promise.all([this.dInformer.synced, this.rsInformer.synced, this.podInformer.synced]), aborted]).finally(() => signal.removeEventListener('abort', onAbort));
    if (signal.aborted) return;
    await runWorkers(this.queue, this.workers, (key) => this.reconcile(key), signal, this.log);
  }

  private enqueue(d: KubeObject): void {
    this.queue.add(keyOf(d));
  }

  private resolve(namespace: string | undefined, ref: OwnerReference | undefined): Deployment | undefined {
    if (!ref || ref.kind !== 'Deployment') return undefined;
    const d = this.dInformer.indexer.get(`${namespace}/${ref.name}`);
    return d && d.metadata?.uid === ref.uid ? d : undefined;
  }

  private enqueueOwner(rs: ReplicaSet): void {
    const d = this.resolve(rs.metadata?.namespace, controllerOf(rs));
    if (d) this.enqueue(d);
  }

  private rsChanged(old: ReplicaSet | undefined, rs: ReplicaSet): void {
    if (old && old.metadata?.resourceVersion === rs.metadata?.resourceVersion) return;
    const ref = controllerOf(rs);
    const oldRef = old ? controllerOf(old) : undefined;
    if (old && oldRef && oldRef.uid !== ref?.uid) this.enqueueOwner(old);
    if (ref) {
      this.enqueueOwner(rs);
      return;
    }
    if (rs.metadata?.deletionTimestamp) return;
    const labelsChanged = !old || JSON.stringify(old.metadata?.labels ?? {}) !== JSON.stringify(rs.metadata?.labels ?? {});
    if (!labelsChanged && !oldRef) return;
    for (const d of this.dInformer.indexer.byIndex('byNamespace', rs.metadata?.namespace ?? '')) {
      if (matchesLabelSelector(d.spec?.selector, rs.metadata?.labels)) this.enqueue(d);
    }
  }

  /** A Recreate rollout waits for old pods to go; their deletion is its cue. */
  private podDeleted(pod: Pod): void {
    const ref = controllerOf(pod);
    if (!ref || ref.kind !== 'ReplicaSet') return;
    const rs = this.rsInformer.indexer.get(`${pod.metadata?.namespace}/${ref.name}`);
    if (!rs || rs.metadata?.uid !== ref.uid) return;
    const d = this.resolve(rs.metadata?.namespace, controllerOf(rs));
    if (d && d.spec?.strategy?.type === 'Recreate') this.enqueue(d);
  }

  /** One sync of the Deployment `key` (`namespace/name`). */
  async reconcile(key: string): Promise<ReconcileResult> {
    const cached = this.dInformer.indexer.get(key);
    if (!cached) return;
    const d = structuredClone(cached);
    const sel = d.spec?.selector;
    if (!sel || (!Object.keys(sel.matchLabels ?? {}).length && !(sel.matchExpressions ?? []).length)) {
      this.recorder.event(d as KubeObject, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      if ((d.status?.observedGeneration ?? 0) < (d.metadata?.generation ?? 0)) {
        d.status = { ...d.status, observedGeneration: d.metadata?.generation };
        await this.writeStatus(d);
      }
      return;
    }
    const rsList = await this.claimReplicaSets(d);
    if (d.metadata?.deletionTimestamp) {
      const { newRS, oldRSs } = await this.split(d, rsList, false);
      await this.syncDeploymentStatus(d, [...oldRSs, newRS], newRS);
      return;
    }
    if (applyPausedCondition(d, this.ctx.now())) await this.writeStatus(d);
    if (d.spec?.paused || (await this.isScalingEvent(d, rsList))) return this.sync(d, rsList);
    return d.spec?.strategy?.type === 'Recreate' ? this.rolloutRecreate(d, rsList) : this.rolloutRolling(d, rsList);
  }

  // ---- ReplicaSets of a Deployment --------------------------------------------------

  private async claimReplicaSets(d: Deployment): Promise<ReplicaSet[]> {
    const ns = d.metadata?.namespace ?? '';
    const candidates = this.rsInformer.indexer.byIndex('byNamespace', ns);
    const plan = planClaims(d, (rs: ReplicaSet) => matchesLabelSelector(d.spec?.selector, rs.metadata?.labels), candidates);
    const owned = plan.owned.map((rs) => structuredClone(rs));
    if (plan.adopt.length && (await this.canAdopt(d))) {
      const ref = newControllerRef(d, 'apps/v1', 'Deployment');
      for (const rs of plan.adopt) {
        try {
          owned.push(await this.rsClient.patch(ns, rs.metadata?.name ?? '', 'strategic', adoptPatch(ref, rs.metadata?.uid ?? '')));
        } catch (err) {
          if (!isReason(err, 'NotFound')) throw err;
        }
      }
    }
    for (const rs of plan.release) {
      try {
        await this.rsClient.patch(ns, rs.metadata?.name ?? '', 'strategic', releasePatch(d.metadata?.uid ?? '', rs.metadata?.uid ?? ''));
      } catch (err) {
        if (!isReason(err, 'NotFound') && !isReason(err, 'Invalid')) throw err;
      }
    }
    return owned;
  }

  private async canAdopt(d: Deployment): Promise<boolean> {
    try {
      const fresh = await this.dClient.get(d.metadata?.namespace, d.metadata?.name ?? '');
      return fresh.metadata?.uid === d.metadata?.uid && !fresh.metadata?.deletionTimestamp;
    } catch (err) {
      if (isReason(err, 'NotFound')) return false;
      throw err;
    }
  }

  /** Replaces the entry of `rs` in `rsList` (so later steps of this sync see the write). */
  private remember(rsList: ReplicaSet[], rs: ReplicaSet): ReplicaSet {
    const i = rsList.findIndex((x) => x.metadata?.uid === rs.metadata?.uid);
    if (i >= 0) rsList[i] = rs;
    else rsList.push(rs);
    return rs;
  }

  /** Upstream `getAllReplicaSetsAndSyncRevision`. */
  private async split(d: Deployment, rsList: ReplicaSet[], create: boolean): Promise<Split> {
    const oldRSs = findOldReplicaSets(d, rsList);
    const newRS = await this.getNewReplicaSet(d, rsList, oldRSs, create);
    return { newRS, oldRSs: findOldReplicaSets(d, rsList).filter((rs) => rs.metadata?.uid !== newRS?.metadata?.uid) };
  }

  /**
   * Finds the new ReplicaSet and brings its revision and annotations up to date, or
   * (when `create`) creates it (upstream `getNewReplicaSet`).
   */
  private async getNewReplicaSet(d: Deployment, rsList: ReplicaSet[], oldRSs: ReplicaSet[], create: boolean): Promise<ReplicaSet | undefined> {
    const ns = d.metadata?.namespace ?? '';
    const existing = findNewReplicaSet(d, rsList);
    const newRevision = maxRevision(oldRSs) + 1;
    if (existing) {
      const copy = structuredClone(existing);
      const annotationsChanged = setNewReplicaSetAnnotations(d, copy, newRevision, true);
      const minReadyChanged = (copy.spec?.minReadySeconds ?? 0) !== (d.spec?.minReadySeconds ?? 0);
      if (annotationsChanged || minReadyChanged) {
        copy.spec = { ...copy.spec!, minReadySeconds: d.spec?.minReadySeconds };
        return this.remember(rsList, await this.rsClient.update(ns, copy));
      }
      await this.setDeploymentRevision(d, copy.metadata?.annotations?.[REVISION_ANNOTATION] ?? '');
      if (hasProgressDeadline(d) && !getCondition(d.status, 'Progressing')) {
        setCondition((d.status ??= {}), newCondition('Progressing', 'True', Reasons.FoundNewRS, `Found new replica set "${copy.metadata?.name}"`, rfc3339(this.ctx.now())));
        await this.writeStatus(d);
      }
      return copy;
    }
    if (!create) return undefined;

    const hash = computeHash(d.spec?.template, d.status?.collisionCount);
    const template = structuredClone(d.spec?.template ?? {});
    template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, [POD_TEMPLATE_HASH_LABEL]: hash } };
    const selector = structuredClone(d.spec!.selector);
    selector.matchLabels = { ...selector.matchLabels, [POD_TEMPLATE_HASH_LABEL]: hash };
    const name = `${d.metadata?.name}-${hash}`;
    const rs: ReplicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name, namespace: ns, ownerReferences: [newControllerRef(d, 'apps/v1', 'Deployment')], labels: { ...template.metadata.labels } },
      spec: { replicas: 0, minReadySeconds: d.spec?.minReadySeconds, selector, template },
    };
    const replicas = newRSNewReplicas(d, [...oldRSs, rs], rs);
    rs.spec!.replicas = replicas;
    setNewReplicaSetAnnotations(d, rs, newRevision, false);
    let created: ReplicaSet;
    let alreadyExists = false;
    try {
      created = await this.rsClient.create(ns, rs);
    } catch (err) {
      if (isReason(err, 'AlreadyExists')) {
        const found = this.rsInformer.indexer.get(`${ns}/${name}`) ?? (await this.rsClient.get(ns, name));
        if (controllerOf(found)?.uid === d.metadata?.uid && equalIgnoreHash(d.spec?.template, found.spec?.template)) {
          created = structuredClone(found);
          alreadyExists = true;
        } else {
          // A hash collision: a different template already has this name. Bump and retry.
          d.status = { ...d.status, collisionCount: (d.status?.collisionCount ?? 0) + 1 };
          await this.writeStatus(d).catch(() => {});
          throw err;
        }
      } else {
        if (/because it is being terminated/.test(errorMessage(err))) throw err;
        const msg = `Failed to create new replica set "${name}": ${errorMessage(err)}`;
        if (hasProgressDeadline(d)) {
          setCondition((d.status ??= {}), newCondition('Progressing', 'False', Reasons.FailedRSCreate, msg, rfc3339(this.ctx.now())));
          await this.writeStatus(d).catch(() => {});
        }
        this.recorder.event(d as KubeObject, 'Warning', Reasons.FailedRSCreate, msg);
        throw err;
      }
    }
    this.remember(rsList, created);
    if (!alreadyExists && replicas > 0) this.recorder.event(d as KubeObject, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${name} from 0 to ${replicas}`);
    await this.setDeploymentRevision(d, String(newRevision));
    if (!alreadyExists && hasProgressDeadline(d)) {
      setCondition((d.status ??= {}), newCondition('Progressing', 'True', Reasons.NewRSCreated, `Created new replica set "${name}"`, rfc3339(this.ctx.now())));
      await this.writeStatus(d);
    }
    return created;
  }

  // ---- strategies -------------------------------------------------------------------

  /** A resize or a paused Deployment: proportional scaling, history cleanup, status (upstream `sync`). */
  private async sync(d: Deployment, rsList: ReplicaSet[]): Promise<ReconcileResult> {
    const { newRS, oldRSs } = await this.split(d, rsList, false);
    await this.applyScaleOps(d, planScale(d, newRS, oldRSs), rsList);
    const latest = this.latest(rsList, newRS, oldRSs);
    if (d.spec?.paused) await this.cleanup(d, latest.oldRSs);
    await this.syncDeploymentStatus(d, [...latest.oldRSs, latest.newRS], latest.newRS);
  }

  private async rolloutRolling(d: Deployment, rsList: ReplicaSet[]): Promise<ReconcileResult> {
    let { newRS, oldRSs } = await this.split(d, rsList, true);
    if (!newRS) throw new Error(`deployment ${keyOf(d)}: no new replica set`);
    const want = replicasOf(d);
    if (replicasOf(newRS) !== want) {
      const to = replicasOf(newRS) > want ? want : newRSNewReplicas(d, [...oldRSs, newRS], newRS);
      if (await this.applyScaleOps(d, [{ name: newRS.metadata?.name ?? '', to }], rsList)) {
        ({ newRS, oldRSs } = this.latest(rsList, newRS, oldRSs));
        return this.syncRolloutStatus(d, [...oldRSs, newRS], newRS);
      }
    }
    if (await this.applyScaleOps(d, planOldReplicaSetsScaleDown(d, oldRSs, newRS!), rsList)) {
      ({ newRS, oldRSs } = this.latest(rsList, newRS, oldRSs));
      return this.syncRolloutStatus(d, [...oldRSs, newRS], newRS);
    }
    if (deploymentComplete(d, d.status ?? {})) await this.cleanup(d, oldRSs);
    return this.syncRolloutStatus(d, [...oldRSs, newRS], newRS);
  }

  private async rolloutRecreate(d: Deployment, rsList: ReplicaSet[]): Promise<ReconcileResult> {
    let { newRS, oldRSs } = await this.split(d, rsList, false);
    if (await this.applyScaleOps(d, planRecreateScaleDown(oldRSs), rsList)) {
      ({ newRS, oldRSs } = this.latest(rsList, newRS, oldRSs));
      return this.syncRolloutStatus(d, [...oldRSs, newRS], newRS);
    }
    if (this.oldPodsRunning(newRS, oldRSs)) return this.syncRolloutStatus(d, [...oldRSs, newRS], newRS);
    if (!newRS) ({ newRS, oldRSs } = await this.split(d, rsList, true));
    await this.applyScaleOps(d, [{ name: newRS!.metadata?.name ?? '', to: replicasOf(d) }], rsList);
    ({ newRS, oldRSs } = this.latest(rsList, newRS, oldRSs));
    if (deploymentComplete(d, d.status ?? {})) await this.cleanup(d, oldRSs);
    return this.syncRolloutStatus(d, [...oldRSs, newRS], newRS);
  }

  /** Old ReplicaSets still report pods, or any of their pods is not finished (upstream `oldPodsRunning`). */
  private oldPodsRunning(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): boolean {
    if (sumStatusReplicas(oldRSs) > 0) return true;
    for (const rs of oldRSs) {
      const uid = rs.metadata?.uid ?? '';
      if (uid === newRS?.metadata?.uid) continue;
      for (const pod of this.podInformer.indexer.byIndex('byOwnerUID', uid)) {
        if (controllerOf(pod)?.uid !== uid) continue;
        const phase = pod.status?.phase;
        if (phase === 'Failed' || phase === 'Succeeded') continue;
        return true;
      }
    }
    return false;
  }

  /** Upstream `isScalingEvent`: an active ReplicaSet was sized for a different `spec.replicas`. */
  private async isScalingEvent(d: Deployment, rsList: ReplicaSet[]): Promise<boolean> {
    const { newRS, oldRSs } = await this.split(d, rsList, false);
    for (const rs of filterActive([...oldRSs, newRS])) {
      const desired = intAnnotation(rs, DESIRED_REPLICAS_ANNOTATION);
      if (desired !== undefined && desired !== replicasOf(d)) return true;
    }
    return false;
  }

  // ---- writes ---------------------------------------------------------------------------

  /** The current objects (after this sync's writes) of `newRS` and `oldRSs`. */
  private latest(rsList: ReplicaSet[], newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): { newRS: ReplicaSet | undefined; oldRSs: ReplicaSet[] } {
    const find = (rs: ReplicaSet): ReplicaSet => rsList.find((x) => x.metadata?.uid === rs.metadata?.uid) ?? rs;
    return { newRS: newRS && find(newRS), oldRSs: oldRSs.map(find) };
  }

  /** Applies resizes in order; true when any ReplicaSet changed size. */
  private async applyScaleOps(d: Deployment, ops: ScaleOp[], rsList: ReplicaSet[]): Promise<boolean> {
    let scaled = false;
    for (const op of ops) {
      const rs = rsList.find((x) => x.metadata?.name === op.name);
      if (!rs) continue;
      const from = replicasOf(rs);
      if (op.operation === undefined && from === op.to) continue;
      const verb = op.operation ?? (from < op.to ? 'up' : 'down');
      if (await this.scaleReplicaSet(d, rs, op.to, verb, rsList)) scaled = true;
    }
    return scaled;
  }

  /** Upstream `scaleReplicaSet`: writes size and replica annotations; records ScalingReplicaSet on a resize. */
  private async scaleReplicaSet(d: Deployment, rs: ReplicaSet, to: number, verb: string, rsList: ReplicaSet[]): Promise<boolean> {
    const from = replicasOf(rs);
    const want = replicasOf(d);
    const max = want + maxSurge(d);
    const resize = from !== to;
    if (!resize && !replicasAnnotationsNeedUpdate(rs, want, max)) return false;
    const copy = structuredClone(rs);
    copy.spec = { ...copy.spec!, replicas: to };
    setReplicasAnnotations(copy, want, max);
    const updated = await this.rsClient.update(copy.metadata?.namespace, copy);
    this.remember(rsList, updated);
    if (resize) this.recorder.event(d as KubeObject, 'Normal', 'ScalingReplicaSet', `Scaled ${verb} replica set ${rs.metadata?.name} from ${from} to ${to}`);
    return resize;
  }

  private async cleanup(d: Deployment, oldRSs: ReplicaSet[]): Promise<void> {
    for (const name of planHistoryCleanup(d, oldRSs)) {
      try {
        await this.rsClient.delete(d.metadata?.namespace, name, { propagationPolicy: 'Background' });
      } catch (err) {
        if (!isReason(err, 'NotFound')) throw err;
      }
    }
  }

  private async syncRolloutStatus(d: Deployment, all: Array<ReplicaSet | undefined>, newRS: ReplicaSet | undefined): Promise<ReconcileResult> {
    const plan = planRolloutStatus(d, all, newRS, this.ctx.now());
    if (plan.status) {
      d.status = plan.status;
      await this.writeStatus(d);
      return;
    }
    return plan.requeueAfter !== undefined ? { requeueAfter: plan.requeueAfter } : undefined;
  }

  private async syncDeploymentStatus(d: Deployment, all: Array<ReplicaSet | undefined>, newRS: ReplicaSet | undefined): Promise<void> {
    const s = calculateStatus(d, all, newRS, this.ctx.now());
    if (statusEqual(d.status, s)) return;
    d.status = s;
    await this.writeStatus(d);
  }

  /** Writes `d.status` with `d`'s resourceVersion (a Conflict retries the whole sync). */
  private async writeStatus(d: Deployment): Promise<void> {
    const { namespace } = splitKey(keyOf(d));
    const written = await this.dClient.updateStatus(namespace, d);
    d.metadata = { ...d.metadata, resourceVersion: written.metadata?.resourceVersion };
  }

  /** Records the current revision in the Deployment's `deployment.kubernetes.io/revision` annotation. */
  private async setDeploymentRevision(d: Deployment, revision: string): Promise<void> {
    if (!revision || d.metadata?.annotations?.[REVISION_ANNOTATION] === revision) return;
    const patched = await this.dClient.patch(d.metadata?.namespace, d.metadata?.name ?? '', 'merge', {
      metadata: { annotations: { [REVISION_ANNOTATION]: revision }, resourceVersion: d.metadata?.resourceVersion },
    });
    d.metadata = { ...d.metadata, annotations: { ...d.metadata?.annotations, [REVISION_ANNOTATION]: revision }, resourceVersion: patched.metadata?.resourceVersion };
  }
}
