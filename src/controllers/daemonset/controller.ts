/**
 * The DaemonSet controller's executor (upstream `DaemonSetsController`): watches
 * DaemonSets, pods, nodes and ControllerRevisions through the shared informers,
 * reconciles one DaemonSet key at a time, and owns all I/O — history, slow-start
 * pod creation, deletions, expectations, failed-pod back-off, status and events.
 * Every decision comes from the pure planners in `plan.ts` and `history.ts`.
 */
import type { ControllerRevision, DaemonSet, DaemonSetStatus } from 'kubernetes-types/apps/v1.js';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { isReason } from '../../api/errors.js';
import { jsonEqual } from '../../api/patch/json.js';
import type { ResourceClient } from '../../client/client.js';
import { keyOf } from '../../client/indexer.js';
import { deletedObject, type SharedInformer } from '../../client/informer.js';
import { errorMessage, type Logger } from '../../client/logger.js';
import { WorkQueue, runWorkers, type ReconcileResult } from '../../client/workqueue.js';
import type { Controller, ControllerContext } from '../runtime/context.js';
import type { EventRecorder } from '../runtime/events.js';
import { Expectations } from '../runtime/expectations.js';
import { computeHash, newRevision, planHistory, planHistoryCleanup, revisionHash, revisionMatches } from './history.js';
import { REVISION_HASH_LABEL, hasController, isPodReady, newDaemonPod } from './pods.js';
import { computeStatus, nodeVerdicts, planManage, planRollingUpdate, slowStartBatches, type DaemonSetCounts, type NodePods, type NodeVerdicts } from './plan.js';
import { DaemonPodIndex } from './pod-index.js';
import { nodeShouldRunDaemonPod, type NodeVerdict } from './predicate.js';

/** The pods of one DaemonSet, and the same by target node (live: read synchronously). */
interface PodSnapshot {
  pods: Iterable<Pod>;
  byNode: NodePods;
}

/** Options of {@link DaemonSetController}. */
export interface DaemonSetControllerOptions {
  /** Concurrent reconciles (upstream `--concurrent-daemonset-syncs`). Default 2. */
  workers?: number;
  /** Most creations (and deletions) one sync issues (upstream `BurstReplicas`). Default 250. */
  burstReplicas?: number;
  /** First delay before a failed pod on the same node is deleted again; doubles up to `failedPodMaxBackoffMs`. Default 1000. */
  failedPodBackoffMs?: number;
  /** Default 15 minutes (upstream). */
  failedPodMaxBackoffMs?: number;
}

/** Upstream event reasons. */
export const EVENT_REASONS = {
  SuccessfulCreate: 'SuccessfulCreate',
  FailedCreate: 'FailedCreate',
  SuccessfulDelete: 'SuccessfulDelete',
  FailedDelete: 'FailedDelete',
  FailedDaemonPod: 'FailedDaemonPod',
  SelectingAll: 'SelectingAll',
} as const;

const COMPONENT = 'daemonset-controller';

/**
 * Runs DaemonSets: one pod per eligible node, rolling updates, history and status.
 *
 * @example
 * const ctx = newControllerContext(cluster.client);
 * const dsc = new DaemonSetController(ctx, { workers: 2 });
 * void new ControllerManager(ctx).add(dsc).start(signal);
 */
export class DaemonSetController implements Controller {
  readonly name = 'daemonset';
  private readonly dsInformer: SharedInformer<DaemonSet>;
  private readonly podInformer: SharedInformer<Pod>;
  private readonly nodeInformer: SharedInformer<Node>;
  private readonly crInformer: SharedInformer<ControllerRevision>;
  private readonly dsClient: ResourceClient<DaemonSet>;
  private readonly podClient: ResourceClient<Pod>;
  private readonly crClient: ResourceClient<ControllerRevision>;
  private readonly queue = new WorkQueue({ name: 'daemonset' });
  private readonly expectations: Expectations;
  private readonly recorder: EventRecorder;
  private readonly log: Logger;
  private readonly workers: number;
  private readonly burstReplicas: number;
  private readonly backoffInitial: number;
  private readonly backoffMax: number;
  /** Failed-pod back-off per `<ds uid>/<node>`: current delay and when it was last stepped. */
  private readonly failedBackoff = new Map<string, { delay: number; at: number }>();

  constructor(
    private readonly ctx: ControllerContext,
    opts: DaemonSetControllerOptions = {},
  ) {
    this.workers = opts.workers ?? 2;
    this.burstReplicas = opts.burstReplicas ?? 250;
    this.backoffInitial = opts.failedPodBackoffMs ?? 1000;
    this.backoffMax = opts.failedPodMaxBackoffMs ?? 15 * 60 * 1000;
    this.expectations = new Expectations(() => ctx.now());
    this.recorder = ctx.recorder(COMPONENT);
    this.log = ctx.logger(COMPONENT);
    this.dsInformer = ctx.informers.forResource<DaemonSet>('apps', 'v1', 'daemonsets');
    this.podInformer = ctx.informers.forResource<Pod>('', 'v1', 'pods');
    this.nodeInformer = ctx.informers.forResource<Node>('', 'v1', 'nodes');
    this.crInformer = ctx.informers.forResource<ControllerRevision>('apps', 'v1', 'controllerrevisions');
    this.dsClient = ctx.client.resource<DaemonSet>('apps', 'v1', 'daemonsets');
    this.podClient = ctx.client.resource<Pod>('', 'v1', 'pods');
    this.crClient = ctx.client.resource<ControllerRevision>('apps', 'v1', 'controllerrevisions');
  }

  /** Resolves once the informers this controller reads have synced. */
  get ready(): Promise<void> {
    return Promise.all([this.dsInformer.synced, this.podInformer.synced, this.nodeInformer.synced, this.crInformer.synced]).then(() => undefined);
  }

  async start(signal: AbortSignal): Promise<void> {
    const unsubscribe = [
      this.dsInformer.addEventHandler({
        onAdd: (ds) => this.queue.add(keyOf(ds)),
        onUpdate: (o, ds) => {
          // The echo of this controller's own status write changes nothing a sync reads
          // (only status, which the sync computes); anything else that changed meanwhile
          // arrived as its own event.
          if (this.isOwnStatusEcho(o, ds)) return;
          this.queue.add(keyOf(ds));
        },
        onDelete: (obj) => {
          const key = keyOf(deletedObject(obj));
          this.forgetExpectations(key);
          this.queue.add(key);
        },
      }),
      this.podInformer.addEventHandler({
        onAdd: (p) => {
          this.daemonPods.upsert(undefined, p);
          this.onPodAdd(p);
        },
        onUpdate: (o, p) => {
          this.daemonPods.upsert(o, p);
          this.onPodUpdate(o, p);
        },
        onDelete: (obj) => {
          const p = deletedObject(obj);
          this.daemonPods.remove(p);
          this.onPodDelete(p);
        },
      }),
      this.nodeInformer.addEventHandler({
        onAdd: (n) => this.onNodeChange(undefined, n),
        onUpdate: (o, n) => this.onNodeChange(o, n),
        onDelete: () => this.enqueueAll(),
      }),
      this.crInformer.addEventHandler({
        onAdd: (cr) => this.enqueueController(cr),
        onUpdate: (_o, cr) => this.enqueueController(cr),
        onDelete: (obj) => this.enqueueController(deletedObject(obj)),
      }),
    ];
    try {
      // The informers run in the shared factory (started by the ControllerManager, or by the caller).
      await Promise.race([this.ready, new Promise((r) => signal.addEventListener('abort', r, { once: true }))]);
      if (signal.aborted) return;
      await runWorkers(this.queue, this.workers, (key) => this.reconcile(key), signal, this.log);
    } finally {
      for (const u of unsubscribe) u();
    }
  }

  // ---- event handlers -------------------------------------------------------------------------

  /**
   * True when `ds` differs from `o` only by the status this controller sent last (and the
   * resourceVersion and managedFields every write moves). The watch may deliver that
   * update before the write's answer arrives, so the status sent, not the answer, decides.
   */
  private isOwnStatusEcho(o: DaemonSet, ds: DaemonSet): boolean {
    const sent = this.statusSent.get(keyOf(ds));
    if (!sent || !jsonEqual(ds.status, sent)) return false;
    const { resourceVersion: _a, managedFields: _b, ...before } = o.metadata ?? {};
    const { resourceVersion: _c, managedFields: _d, ...after } = ds.metadata ?? {};
    return jsonEqual(before, after) && jsonEqual(o.spec, ds.spec);
  }

  private enqueueAll(): void {
    for (const ds of this.dsInformer.indexer.list()) this.queue.add(keyOf(ds));
  }

  /** The key of the cached DaemonSet controlling `obj`, if it still exists with the same UID. */
  private controllerKey(obj: Pod | ControllerRevision): string | undefined {
    const ref = hasController(obj);
    if (!ref || ref.kind !== 'DaemonSet') return undefined;
    const key = `${obj.metadata?.namespace ?? ''}/${ref.name}`;
    const ds = this.dsInformer.indexer.get(key);
    return ds?.metadata?.uid === ref.uid ? key : undefined;
  }

  private enqueueController(obj: Pod | ControllerRevision): void {
    const key = this.controllerKey(obj);
    if (key) this.queue.add(key);
  }

  /**
   * Pod events arrive in thousands during a rollout; each sync is O(nodes + pods), so
   * pod-driven syncs are coalesced: a key is queued after a short delay that grows with
   * the last sync's cost (at most a few syncs per second of CPU). Owner and node
   * changes still queue at once, and so does the event that satisfies the last
   * expectation of a burst (the next burst of creations waits for nothing else).
   */
  private enqueueForPod(key: string): void {
    this.queue.addAfter(key, Math.min(250, Math.max(20, 3 * this.lastSyncMs)));
  }

  private lastSyncMs = 0;

  private onPodAdd(p: Pod): void {
    if (p.metadata?.deletionTimestamp) return this.onPodDelete(p);
    const key = this.controllerKey(p);
    if (!key) return;
    const waiting = !this.expectationsSatisfied(key);
    this.expectations.creationObserved(`${key}#add`);
    // The last creation of a burst was observed: the next burst need not wait for coalescing.
    if (waiting && this.expectationsSatisfied(key)) this.queue.add(key);
    else this.enqueueForPod(key);
  }

  private onPodUpdate(o: Pod, p: Pod): void {
    if (o.metadata?.resourceVersion === p.metadata?.resourceVersion) return;
    if (p.metadata?.deletionTimestamp) return this.onPodDelete(p);
    const oldKey = this.controllerKey(o);
    const key = this.controllerKey(p);
    if (oldKey && oldKey !== key) this.enqueueForPod(oldKey);
    if (!key) return;
    this.enqueueForPod(key);
    const ds = this.dsInformer.indexer.get(key);
    const minReady = ds?.spec?.minReadySeconds ?? 0;
    // Availability flips minReadySeconds after readiness, with no event to tell us.
    if (minReady > 0 && !isPodReady(o) && isPodReady(p)) this.queue.addAfter(key, minReady * 1000 + 1000);
  }

  private onPodDelete(p: Pod): void {
    const key = this.controllerKey(p);
    if (!key) return;
    const waiting = !this.expectationsSatisfied(key);
    this.expectations.deletionObserved(`${key}#del`, p.metadata?.uid ?? '');
    if (waiting && this.expectationsSatisfied(key)) this.queue.add(key);
    else this.enqueueForPod(key);
  }

  private onNodeChange(old: Node | undefined, node: Node): void {
    for (const ds of this.dsInformer.indexer.list()) {
      const now = nodeShouldRunDaemonPod(node, ds);
      if (old) {
        const was = nodeShouldRunDaemonPod(old, ds);
        if (was.shouldRun === now.shouldRun && was.shouldContinueRunning === now.shouldContinueRunning) continue;
      } else if (!now.shouldRun) continue;
      this.queue.add(keyOf(ds));
    }
  }

  private forgetExpectations(key: string): void {
    this.expectations.delete(`${key}#add`);
    this.expectations.delete(`${key}#del`);
  }

  private expectationsSatisfied(key: string): boolean {
    return this.expectations.satisfied(`${key}#add`) && this.expectations.satisfied(`${key}#del`);
  }

  // ---- reconcile --------------------------------------------------------------------------------

  /** Syncs one DaemonSet (upstream `syncDaemonSet`). Exposed for tests. */
  async reconcile(key: string): Promise<ReconcileResult> {
    const t0 = performance.now();
    try {
      return await this.sync(key);
    } finally {
      this.lastSyncMs = performance.now() - t0;
    }
  }

  private async sync(key: string): Promise<ReconcileResult> {
    const ds = this.dsInformer.indexer.get(key);
    if (!ds) {
      this.forgetExpectations(key);
      this.lastStatusWrite.delete(key);
      this.statusSent.delete(key);
      return;
    }
    const sel = ds.spec?.selector;
    if (!sel || (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0)) {
      this.recorder.event(this.target(ds), 'Warning', EVENT_REASONS.SelectingAll, 'This daemon set is selecting all pods. A non-empty selector is required.');
      return;
    }
    // While being deleted its history may already be gone: leave pods and status to the garbage collector.
    if (ds.metadata?.deletionTimestamp) return;

    const { hash, old } = await this.constructHistory(ds);
    const verdicts = this.verdicts(ds);
    const now = this.ctx.now();

    if (!this.expectationsSatisfied(key)) {
      // Only status: observedGeneration is not raised for a generation we did not act on.
      return this.updateStatus(ds, verdicts, hash, false);
    }

    let retryAfter: number | undefined;
    let err: unknown;
    let acted = false;
    try {
      const plan = planManage(ds, verdicts, this.podSnapshot(ds).byNode, hash, now, (node) => this.failedBackoffRemaining(ds, node));
      retryAfter = plan.retryAfterMs;
      for (const f of plan.failedPods) {
        this.stepFailedBackoff(ds, f.node);
        const msg = `Found failed daemon pod ${f.pod.metadata?.namespace}/${f.pod.metadata?.name} on node ${f.node}, will try to kill it`;
        this.log.info({ daemonset: key, pod: f.pod.metadata?.name, node: f.node }, 'found failed daemon pod; deleting it');
        this.recorder.event(this.target(ds), 'Warning', EVENT_REASONS.FailedDaemonPod, msg);
      }
      acted = await this.syncNodes(ds, key, plan.podsToDelete, plan.orphanedPods, plan.nodesNeedingPods, hash);
      if (this.expectationsSatisfied(key) && (ds.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate') {
        const ru = planRollingUpdate(ds, verdicts, this.podSnapshot(ds).byNode, hash, this.ctx.now());
        acted = (await this.syncNodes(ds, key, ru.podsToDelete, [], ru.nodesNeedingPods, hash)) || acted;
      }
      await this.cleanupHistory(ds, old);
    } catch (e) {
      err = e;
    }
    let statusResult: ReconcileResult;
    try {
      // Observing the pods this sync created or deleted brings another sync, which writes the
      // status again: this write need not hold that sync back (writes still go out one after
      // another). A sync that changed nothing waits for its write, as upstream's does.
      statusResult = await this.updateStatus(ds, verdicts, hash, true, acted && !err);
    } catch (e) {
      if (!err) throw e;
      this.log.warn({ daemonset: key, err: errorMessage(e) }, 'could not update status');
    }
    if (err) throw err;
    const after = [retryAfter, statusResult?.requeueAfter].filter((x): x is number => typeof x === 'number');
    return after.length ? { requeueAfter: Math.min(...after) } : undefined;
  }

  private target(ds: DaemonSet): DaemonSet {
    return { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: ds.metadata } as DaemonSet;
  }

  /** The pods of `ds` and their grouping by node, as the pod events have left them. */
  private podSnapshot(ds: DaemonSet): PodSnapshot {
    const uid = ds.metadata?.uid ?? '';
    return { pods: this.daemonPods.pods(uid), byNode: this.daemonPods.byNode(uid) };
  }

  /** Every DaemonSet's pods by node, kept by the pod event handlers. */
  private readonly daemonPods = new DaemonPodIndex();

  /**
   * Every node's verdict for `ds`. A verdict depends only on the Node object and on the
   * template fields the predicate reads, so verdicts are kept by Node object until
   * those fields change: a sync re-judges only the nodes that changed since the last, and
   * while no node changed at all it reuses the last answer whole (read only).
   */
  private verdicts(ds: DaemonSet): NodeVerdicts {
    const spec = ds.spec?.template?.spec;
    const key = `${ds.metadata?.uid}/${JSON.stringify([spec?.nodeName, spec?.nodeSelector, spec?.affinity, spec?.tolerations, spec?.hostNetwork])}`;
    const nodesVersion = this.nodeInformer.indexer.version;
    let c = this.verdictCache;
    if (c?.key !== key) c = this.verdictCache = { key, byNode: new WeakMap() };
    if (c.all && c.nodesVersion === nodesVersion) return c.all;
    c.all = nodeVerdicts(this.nodeInformer.indexer.list(), ds, c.byNode);
    c.nodesVersion = nodesVersion;
    return c.all;
  }

  private verdictCache?: { key: string; byNode: WeakMap<Node, NodeVerdict>; all?: NodeVerdicts; nodesVersion?: number };

  /** Pods controlled by `ds` (by controller reference UID). */
  private podsOf(ds: DaemonSet): Pod[] {
    const uid = ds.metadata?.uid ?? '';
    return this.podInformer.indexer.byIndex('byOwnerUID', uid).filter((p) => hasController(p)?.uid === uid);
  }

  private revisionsOf(ds: DaemonSet): ControllerRevision[] {
    const uid = ds.metadata?.uid ?? '';
    return this.crInformer.indexer.byIndex('byOwnerUID', uid).filter((r) => hasController(r)?.uid === uid);
  }

  // ---- history ---------------------------------------------------------------------------------

  /** Upstream `constructHistory`: returns the current hash and the old revisions. */
  private async constructHistory(ds: DaemonSet): Promise<{ hash: string; old: ControllerRevision[] }> {
    const ns = ds.metadata?.namespace;
    const plan = planHistory(ds, this.revisionsOf(ds));
    if (!plan.current) {
      const cr = await this.snapshot(ds, plan.revision);
      return { hash: revisionHash(cr), old: plan.old };
    }
    const cur = plan.current;
    const hash = revisionHash(cur);
    if (plan.duplicates.length) {
      for (const p of this.podsOf(ds)) {
        if (p.metadata?.labels?.[REVISION_HASH_LABEL] === hash) continue;
        await this.podClient.patch(ns, p.metadata!.name!, 'merge', { metadata: { labels: { [REVISION_HASH_LABEL]: hash } } });
      }
      for (const d of plan.duplicates) await this.deleteRevision(d);
    }
    if ((cur.revision ?? 0) < plan.revision) {
      await this.crClient.update(ns, { ...cur, revision: plan.revision });
    }
    return { hash, old: plan.old };
  }

  /** Upstream `snapshot`: creates the revision; on a name clash with another template, bumps collisionCount. */
  private async snapshot(ds: DaemonSet, revision: number): Promise<ControllerRevision> {
    const ns = ds.metadata?.namespace;
    const hash = computeHash(ds.spec?.template, ds.status?.collisionCount);
    const cr = newRevision(ds, revision, hash);
    try {
      return await this.crClient.create(ns, cr);
    } catch (err) {
      if (!isReason(err, 'AlreadyExists')) throw err;
      const existing = await this.crClient.get(ns, cr.metadata!.name!);
      if (revisionMatches(ds, existing) && hasController(existing)?.uid === ds.metadata?.uid) return existing;
      const fresh = await this.dsClient.get(ns, ds.metadata!.name!);
      if ((fresh.status?.collisionCount ?? undefined) !== (ds.status?.collisionCount ?? undefined)) {
        throw new Error(`found a stale collision count (${ds.status?.collisionCount}, expected ${fresh.status?.collisionCount}) of DaemonSet "${ds.metadata?.name}" while processing; will retry until it is updated`);
      }
      const status = { ...(fresh.status ?? {}), collisionCount: (fresh.status?.collisionCount ?? 0) + 1 } as DaemonSetStatus;
      await this.dsClient.updateStatus(ns, { ...fresh, status });
      this.log.info({ daemonset: keyOf(ds), collisionCount: status.collisionCount }, 'hash collision; bumped collisionCount');
      throw err;
    }
  }

  private async deleteRevision(cr: ControllerRevision): Promise<void> {
    try {
      await this.crClient.delete(cr.metadata?.namespace, cr.metadata!.name!);
    } catch (err) {
      if (!isReason(err, 'NotFound')) throw err;
    }
  }

  /** Upstream `cleanupHistory`. */
  private async cleanupHistory(ds: DaemonSet, old: ControllerRevision[]): Promise<void> {
    const live = new Set<string>();
    for (const p of this.podSnapshot(ds).pods) {
      const h = p.metadata?.labels?.[REVISION_HASH_LABEL];
      if (h) live.add(h);
    }
    for (const cr of planHistoryCleanup(old, ds.spec?.revisionHistoryLimit ?? 10, live)) await this.deleteRevision(cr);
  }

  // ---- pods ------------------------------------------------------------------------------------

  private failedBackoffRemaining(ds: DaemonSet, node: string): number {
    const b = this.failedBackoff.get(`${ds.metadata?.uid}/${node}`);
    if (!b) return 0;
    const left = b.at + b.delay - this.ctx.now();
    return left > 0 ? left : 0;
  }

  private stepFailedBackoff(ds: DaemonSet, node: string): void {
    const k = `${ds.metadata?.uid}/${node}`;
    const now = this.ctx.now();
    const b = this.failedBackoff.get(k);
    // A quiet spell twice the maximum resets the back-off (upstream flowcontrol.Backoff).
    const delay = !b || now - b.at > 2 * this.backoffMax ? this.backoffInitial : Math.min(this.backoffMax, b.delay * 2);
    this.failedBackoff.set(k, { delay, at: now });
  }

  /**
   * Upstream `syncNodes`: sets expectations, creates pods in slow-start batches (stopping
   * after a failing batch) and deletes pods, each capped at burstReplicas.
   */
  private async syncNodes(ds: DaemonSet, key: string, podsToDelete: Pod[], forceDelete: Pod[], nodesNeedingPods: string[], hash: string): Promise<boolean> {
    const ns = ds.metadata?.namespace;
    const creates = nodesNeedingPods.slice(0, this.burstReplicas);
    const deletes = [...podsToDelete.map((p) => ({ p, force: false })), ...forceDelete.map((p) => ({ p, force: true }))].slice(0, this.burstReplicas);
    if (creates.length === 0 && deletes.length === 0) return false;
    if (creates.length) this.expectations.expectCreations(`${key}#add`, creates.length);
    if (deletes.length) this.expectations.expectDeletions(`${key}#del`, deletes.map(({ p }) => p.metadata?.uid ?? ''));
    const errors: unknown[] = [];

    let pos = 0;
    // Upstream's slow start, from 1 on every sync. (Resuming at the last burst's batch size was
    // measured slower: bigger batches queue behind each other on a 2-core machine.)
    for (const size of slowStartBatches(creates.length)) {
      const batch = creates.slice(pos, pos + size);
      pos += size;
      const results = await Promise.all(batch.map((node) => this.createPod(ds, key, node, hash)));
      const failed = results.filter((r) => r !== undefined);
      if (failed.length) {
        errors.push(...failed);
        // The creations never attempted will not be observed either.
        for (let i = pos; i < creates.length; i++) this.expectations.creationObserved(`${key}#add`);
        break;
      }
    }

    await Promise.all(
      deletes.map(async ({ p, force }) => {
        const name = p.metadata?.name ?? '';
        try {
          await this.podClient.delete(ns, name, { preconditions: { uid: p.metadata?.uid }, ...(force ? { gracePeriodSeconds: 0 } : {}) });
          this.recorder.event(this.target(ds), 'Normal', EVENT_REASONS.SuccessfulDelete, `Deleted pod: ${name}`);
        } catch (err) {
          this.expectations.deletionObserved(`${key}#del`, p.metadata?.uid ?? '');
          if (isReason(err, 'NotFound')) return;
          this.recorder.event(this.target(ds), 'Warning', EVENT_REASONS.FailedDelete, `Error deleting: ${errorMessage(err)}`);
          errors.push(err);
        }
      }),
    );
    if (errors.length) throw new Error(`DaemonSet ${key}: ${errors.length} pod operation(s) failed: ${errors.map(errorMessage).join('; ')}`);
    return true;
  }

  /** Creates one pod; returns the error instead of throwing. */
  private async createPod(ds: DaemonSet, key: string, node: string, hash: string): Promise<unknown> {
    try {
      const created = await this.podClient.create(ds.metadata?.namespace, newDaemonPod(ds, node, hash));
      this.recorder.event(this.target(ds), 'Normal', EVENT_REASONS.SuccessfulCreate, `Created pod: ${created.metadata?.name}`);
      return undefined;
    } catch (err) {
      this.expectations.creationObserved(`${key}#add`);
      this.recorder.event(this.target(ds), 'Warning', EVENT_REASONS.FailedCreate, `Error creating: ${errorMessage(err)}`);
      this.log.warn({ daemonset: key, node, err: errorMessage(err) }, 'failed to create daemon pod');
      return err ?? new Error('create failed');
    }
  }

  // ---- status ----------------------------------------------------------------------------------

  /** Upstream `updateDaemonSetStatus` + `storeDaemonSetStatus`: writes only when something changed. */
  private async updateStatus(ds: DaemonSet, verdicts: NodeVerdicts, hash: string, updateObservedGeneration: boolean, background = false): Promise<ReconcileResult> {
    const counts = computeStatus(ds, verdicts, this.podSnapshot(ds).byNode, hash, this.ctx.now());
    const minReady = ds.spec?.minReadySeconds ?? 0;
    const result = minReady > 0 && counts.numberReady !== counts.numberAvailable ? { requeueAfter: minReady * 1000 } : undefined;
    const generation = ds.metadata?.generation ?? 0;
    if (sameCounts(ds.status, counts) && (ds.status?.observedGeneration ?? 0) >= generation) return result;
    const key = keyOf(ds);
    // Writes of one DaemonSet's status go out one after another.
    const write = (this.statusWrites.get(key) ?? Promise.resolve()).then(() => this.writeStatus(ds, counts, updateObservedGeneration ? generation : undefined));
    const settled = write.catch(() => undefined);
    this.statusWrites.set(key, settled);
    void settled.then(() => {
      if (this.statusWrites.get(key) === settled) this.statusWrites.delete(key);
    });
    if (!background) {
      await write;
      return result;
    }
    write.catch((err: unknown) => {
      this.log.info({ daemonset: key, err: errorMessage(err) }, 'status write failed; syncing again');
      this.queue.addRateLimited(key);
    });
    return result;
  }

  /** Status writes in flight, by DaemonSet key: the next write waits for the last. */
  private readonly statusWrites = new Map<string, Promise<void>>();
  /** The status each DaemonSet's last status write sent (to know its echo). */
  private readonly statusSent = new Map<string, DaemonSetStatus>();
  /** What the last status write of each DaemonSet returned. */
  private readonly lastStatusWrite = new Map<string, DaemonSet>();

  /** Upstream `storeDaemonSetStatus`: PUT the status, once more from a fresh GET after a conflict. */
  private async writeStatus(ds: DaemonSet, counts: DaemonSetCounts, observedGeneration: number | undefined): Promise<void> {
    const ns = ds.metadata?.namespace;
    const key = keyOf(ds);
    // The cache may not show yet the status this controller wrote a moment ago: start from
    // whichever is newer, so back-to-back writes do not conflict with each other.
    const mine = this.lastStatusWrite.get(key);
    let toUpdate: DaemonSet = mine && mine.metadata?.uid === ds.metadata?.uid && Number(mine.metadata?.resourceVersion) > Number(ds.metadata?.resourceVersion) ? mine : ds;
    for (let attempt = 0; ; attempt++) {
      const status: DaemonSetStatus = { ...(toUpdate.status ?? ({} as DaemonSetStatus)), ...counts };
      if (observedGeneration !== undefined) status.observedGeneration = observedGeneration;
      this.statusSent.set(key, status);
      try {
        this.lastStatusWrite.set(key, await this.dsClient.updateStatus(ns, { ...toUpdate, status }));
        return;
      } catch (err) {
        if (attempt >= 1 || !isReason(err, 'Conflict')) throw err;
        toUpdate = await this.dsClient.get(ns, ds.metadata!.name!);
        if (toUpdate.metadata?.uid !== ds.metadata?.uid) return;
      }
    }
  }
}

function sameCounts(s: DaemonSetStatus | undefined, c: DaemonSetCounts): boolean {
  if (!s) return false;
  return (
    s.desiredNumberScheduled === c.desiredNumberScheduled &&
    s.currentNumberScheduled === c.currentNumberScheduled &&
    s.numberMisscheduled === c.numberMisscheduled &&
    s.numberReady === c.numberReady &&
    (s.updatedNumberScheduled ?? 0) === c.updatedNumberScheduled &&
    (s.numberAvailable ?? 0) === c.numberAvailable &&
    (s.numberUnavailable ?? 0) === c.numberUnavailable
  );
}
