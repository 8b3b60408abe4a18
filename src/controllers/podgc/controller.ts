/**
 * The pod garbage collector (upstream `pkg/controller/podgc`): every
 * `gcCheckPeriod` it plans (see `plan.ts`) and force-deletes what nothing else
 * will ever clean up — terminated pods beyond the threshold, pods of nodes that
 * are gone, terminating pods that were never scheduled or whose node is out of
 * service. Pods that were not yet terminal are first marked Failed with a
 * `DisruptionTarget` condition (reason `DeletionByPodGC`), as upstream does.
 */
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { isReason } from '../../api/errors.js';
import type { SharedInformer } from '../../client/informer.js';
import { errorMessage } from '../../client/logger.js';
import type { Controller, ControllerContext } from '../runtime/index.js';
import { planPodGC, podKey } from './plan.js';

export interface PodGCOptions {
  /** Upstream `--terminated-pod-gc-threshold`. Default 12,500; 0 turns that part off. */
  terminatedPodThreshold?: number;
  /** How often to collect. Default 20 s (upstream `gcCheckPeriod`). */
  periodMs?: number;
  /** How long a pod must stay orphaned before it is collected. Default 40 s (upstream `quarantineTime`). */
  quarantineMs?: number;
}

export class PodGCController implements Controller {
  readonly name = 'pod-garbage-collector';
  private readonly pods: SharedInformer<Pod>;
  private readonly nodes: SharedInformer<Node>;
  private readonly orphanSince = new Map<string, number>();
  private readonly threshold: number;
  private readonly periodMs: number;
  private readonly quarantineMs: number;

  constructor(
    private readonly ctx: ControllerContext,
    opts: PodGCOptions = {},
  ) {
    this.pods = ctx.informers.forResource<Pod>('', 'v1', 'pods');
    this.nodes = ctx.informers.forResource<Node>('', 'v1', 'nodes');
    this.threshold = opts.terminatedPodThreshold ?? 12_500;
    this.periodMs = opts.periodMs ?? 20_000;
    this.quarantineMs = opts.quarantineMs ?? 40_000;
  }

  async start(signal: AbortSignal): Promise<void> {
    await Promise.all([this.pods.synced, this.nodes.synced]);
    const log = this.ctx.logger(this.name);
    while (!signal.aborted) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, this.periodMs);
        signal.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
      });
      if (signal.aborted) break;
      try {
        await this.gc();
      } catch (err) {
        log.warn({ err: errorMessage(err) }, 'pod garbage collection failed');
      }
    }
  }

  /** One pass. Exposed for tests. */
  async gc(): Promise<void> {
    const pods = this.pods.indexer.list();
    const nodes = new Map(this.nodes.indexer.list().map((n) => [n.metadata?.name ?? '', n]));
    const plan = planPodGC({
      pods,
      nodes,
      orphanSince: this.orphanSince,
      now: this.ctx.now(),
      terminatedPodThreshold: this.threshold,
      quarantineMs: this.quarantineMs,
    });
    // Forget pods that stopped being orphans (deleted, or their node came back).
    const orphans = new Set(pods.filter((p) => p.spec?.nodeName && !nodes.has(p.spec.nodeName)).map(podKey));
    for (const k of this.orphanSince.keys()) if (!orphans.has(k)) this.orphanSince.delete(k);
    for (const k of plan.newOrphans) this.orphanSince.set(k, this.ctx.now());
    for (const p of plan.terminated) await this.forceDelete(p);
    for (const p of plan.orphaned) {
      // The informer may lag: only a node the API says is gone makes an orphan.
      try {
        await this.ctx.client.resource('', 'v1', 'nodes').get(undefined, p.spec!.nodeName!);
        continue;
      } catch (err) {
        if (!isReason(err, 'NotFound')) throw err;
      }
      await this.markFailedAndDelete(p, 'PodGC: node no longer exists');
      this.orphanSince.delete(podKey(p));
    }
    for (const p of plan.unscheduledTerminating) await this.markFailedAndDelete(p);
    for (const p of plan.outOfServiceTerminating) await this.markFailedAndDelete(p, 'PodGC: node is out-of-service');
  }

  /** Upstream `markFailedAndDeletePodWithCondition`: a non-terminal pod becomes Failed, then goes with grace 0. */
  private async markFailedAndDelete(p: Pod, conditionMessage?: string): Promise<void> {
    const phase = p.status?.phase;
    if (phase !== 'Succeeded' && phase !== 'Failed') {
      const status: Record<string, unknown> = { phase: 'Failed' };
      if (conditionMessage) {
        status['conditions'] = [{ type: 'DisruptionTarget', status: 'True', reason: 'DeletionByPodGC', message: conditionMessage, lastTransitionTime: new Date(this.ctx.now()).toISOString().replace(/\.\d{3}Z$/, 'Z') }];
      }
      try {
        await this.ctx.client.resource<Pod>('', 'v1', 'pods').patch(p.metadata?.namespace, p.metadata?.name ?? '', 'strategic', { status }, { subresource: 'status' });
      } catch (err) {
        if (isReason(err, 'NotFound')) return;
        throw err;
      }
    }
    await this.forceDelete(p);
  }

  private async forceDelete(p: Pod): Promise<void> {
    try {
      await this.ctx.client.resource<Pod>('', 'v1', 'pods').delete(p.metadata?.namespace, p.metadata?.name ?? '', {
        gracePeriodSeconds: 0,
        ...(p.metadata?.uid ? { preconditions: { uid: p.metadata.uid } } : {}),
      });
      this.ctx.logger(this.name).info({ pod: podKey(p) }, 'garbage collected pod');
    } catch (err) {
      if (!isReason(err, 'NotFound') && !isReason(err, 'Conflict')) throw err;
    }
  }
}
