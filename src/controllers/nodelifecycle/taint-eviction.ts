/**
 * The taint eviction controller (upstream `pkg/controller/tainteviction`):
 * deletes pods from nodes with NoExecute taints they do not tolerate, at once,
 * or after their `tolerationSeconds`. Keys are pods; a node whose NoExecute
 * taints change re-queues its pods; a pending eviction is a timed requeue.
 */
import type { Node, Pod, Taint } from 'kubernetes-types/core/v1.js';
import { isReason } from '../../api/errors.js';
import { keyOf, splitKey } from '../../client/indexer.js';
import { deletedObject, type SharedInformer } from '../../client/informer.js';
import type { Logger } from '../../client/logger.js';
import type { ResourceClient } from '../../client/client.js';
import { runWorkers, WorkQueue, type ReconcileResult } from '../../client/workqueue.js';
import type { Controller, ControllerContext } from '../runtime/context.js';
import type { EventRecorder } from '../runtime/events.js';
import { evictionDecision, taintAddedAt } from './eviction.js';

function noExecuteTaints(node: Node | undefined): Taint[] {
  return (node?.spec?.taints ?? []).filter((t) => t.effect === 'NoExecute');
}

function sameTaints(a: Taint[], b: Taint[]): boolean {
  return JSON.stringify(a.map((t) => [t.key, t.value ?? '', t.effect])) === JSON.stringify(b.map((t) => [t.key, t.value ?? '', t.effect]));
}

/**
 * @example
 * const c = new TaintEvictionController(ctx);
 * void c.start(signal);
 */
export class TaintEvictionController implements Controller {
  readonly name = 'taint-eviction-controller';
  private readonly nodes: SharedInformer<Node>;
  private readonly pods: SharedInformer<Pod>;
  private readonly podsApi: ResourceClient<Pod>;
  private readonly queue = new WorkQueue({ name: 'taint-eviction' });
  private readonly recorder: EventRecorder;
  private readonly log: Logger;
  /**
   * When this controller first saw each NoExecute taint (`node\0key\0value`), and whether it saw
   * it being added (a Node update) rather than found it already there (initial list, new Node).
   */
  private readonly firstSeen = new Map<string, { at: number; sawAdded: boolean }>();
  /** Pods with an eviction pending (for the "Cancelling deletion" event). */
  private readonly scheduled = new Set<string>();

  constructor(private readonly ctx: ControllerContext) {
    this.nodes = ctx.informers.forResource<Node>('', 'v1', 'nodes');
    this.pods = ctx.informers.forResource<Pod>('', 'v1', 'pods');
    this.podsApi = ctx.client.resource<Pod>('', 'v1', 'pods');
    this.recorder = ctx.recorder(this.name);
    this.log = ctx.logger(this.name);
  }

  async start(signal: AbortSignal): Promise<void> {
    await Promise.all([this.nodes.synced, this.pods.synced]);
    const unNodes = this.nodes.addEventHandler({
      onAdd: (n) => this.nodeChanged(undefined, n),
      onUpdate: (o, n) => this.nodeChanged(o, n),
      onDelete: (o) => this.nodeChanged(deletedObject(o), undefined),
    });
    const unPods = this.pods.addEventHandler({
      onAdd: (p) => this.podChanged(undefined, p),
      onUpdate: (o, p) => this.podChanged(o, p),
      onDelete: (o) => {
        const key = keyOf(deletedObject(o));
        this.scheduled.delete(key);
      },
    });
    try {
      await runWorkers(this.queue, 8, (k) => this.reconcile(k), signal, this.log);
    } finally {
      unNodes();
      unPods();
    }
  }

  private nodeChanged(old: Node | undefined, cur: Node | undefined): void {
    const name = (cur ?? old)?.metadata?.name ?? '';
    const before = noExecuteTaints(old);
    const after = noExecuteTaints(cur);
    if (old && cur && sameTaints(before, after)) return;
    const now = this.ctx.now();
    for (const t of after) {
      const k = `${name}\0${t.key}\0${t.value ?? ''}`;
      const had = before.some((b) => b.key === t.key && (b.value ?? '') === (t.value ?? ''));
      if (!this.firstSeen.has(k)) this.firstSeen.set(k, { at: now, sawAdded: !!old && !had });
    }
    for (const k of this.firstSeen.keys()) {
      if (!k.startsWith(`${name}\0`)) continue;
      if (!after.some((t) => k === `${name}\0${t.key}\0${t.value ?? ''}`)) this.firstSeen.delete(k);
    }
    if (!cur) return;
    for (const key of this.pods.indexer.indexKeys('byNodeName', name)) this.queue.add(key);
  }

  private podChanged(old: Pod | undefined, cur: Pod): void {
    if (!cur.spec?.nodeName) return;
    if (old && old.spec?.nodeName === cur.spec.nodeName && JSON.stringify(old.spec?.tolerations ?? []) === JSON.stringify(cur.spec.tolerations ?? [])) return;
    if (noExecuteTaints(this.nodes.indexer.get(cur.spec.nodeName)).length === 0 && !this.scheduled.has(keyOf(cur))) return;
    this.queue.add(keyOf(cur));
  }

  private cancel(key: string): void {
    if (!this.scheduled.delete(key)) return;
    const { namespace, name } = splitKey(key);
    this.recorder.event({ apiVersion: 'v1', kind: 'Pod', metadata: { namespace, name } }, 'Normal', 'TaintManagerEviction', `Cancelling deletion of Pod ${key}`);
  }

  private async reconcile(key: string): Promise<ReconcileResult> {
    const pod = this.pods.indexer.get(key);
    if (!pod || pod.metadata?.deletionTimestamp || !pod.spec?.nodeName) {
      this.scheduled.delete(key);
      return;
    }
    const nodeName = pod.spec.nodeName;
    const taints = noExecuteTaints(this.nodes.indexer.get(nodeName));
    const now = this.ctx.now();
    const since = (t: Taint): number => {
      const seen = this.firstSeen.get(`${nodeName}\0${t.key}\0${t.value ?? ''}`);
      return taintAddedAt(t, seen?.at ?? now, seen?.sawAdded ?? false, now);
    };
    const decision = evictionDecision(pod.spec.tolerations, taints, since, now);
    if (decision.action === 'keep') {
      this.cancel(key);
      return;
    }
    if (decision.action === 'wait') {
      this.scheduled.add(key);
      return { requeueAfter: Math.max(1, decision.at - now) };
    }
    this.scheduled.delete(key);
    await this.evict(pod);
  }

  private async evict(pod: Pod): Promise<void> {
    const { namespace, name } = splitKey(keyOf(pod));
    this.recorder.event(pod as never, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${namespace}/${name}`);
    this.log.info({ pod: `${namespace}/${name}`, node: pod.spec?.nodeName }, 'evicting pod from NoExecute-tainted node');
    try {
      const has = pod.status?.conditions?.some((c) => c.type === 'DisruptionTarget' && c.status === 'True');
      if (!has) {
        await this.podsApi.patch(
          namespace,
          name,
          'strategic',
          { status: { conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager', message: 'Taint manager: deleting due to NoExecute taint', lastTransitionTime: `${new Date(this.ctx.now()).toISOString().slice(0, 19)}Z` }] } },
          { subresource: 'status' },
        );
      }
      await this.podsApi.delete(namespace, name, { preconditions: { uid: pod.metadata?.uid } });
    } catch (err) {
      if (isReason(err, 'NotFound') || isReason(err, 'Conflict')) return;
      throw err;
    }
  }
}
