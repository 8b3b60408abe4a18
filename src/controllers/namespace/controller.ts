/**
 * The namespace controller (upstream `pkg/controller/namespace`): when a
 * namespace is being deleted, delete everything in it, wait until it is empty,
 * then remove the `kubernetes` finalizer through the `finalize` subresource so
 * the API server removes the namespace.
 */
import { RESOURCES, type ResourceInfo } from '../../api/resources.js';
import { isReason } from '../../api/errors.js';
import type { Client, KubeObject } from '../../client/client.js';
import { SharedInformer } from '../../client/informer.js';
import { WorkQueue, runWorkers, type ReconcileResult } from '../../client/workqueue.js';
import { silentLogger, type Logger } from '../../client/logger.js';

interface Namespace extends KubeObject {
  spec?: { finalizers?: string[] };
  status?: { phase?: string };
}

/** The namespaced resources whose content a namespace deletion removes (each storage once). */
export function namespacedContent(): ResourceInfo[] {
  const seen = new Set<string>();
  return RESOURCES.filter((r) => {
    if (!r.namespaced || seen.has(r.storagePrefix)) return false;
    seen.add(r.storagePrefix);
    return true;
  });
}

/** What to do with a namespace: nothing, or finalize it once it holds no objects. */
export function namespaceAction(ns: Namespace | undefined): 'ignore' | 'finalize' {
  if (!ns?.metadata?.deletionTimestamp) return 'ignore';
  return ns.spec?.finalizers?.includes('kubernetes') ? 'finalize' : 'ignore';
}

export class NamespaceController {
  readonly name = 'namespace';
  private readonly informer: SharedInformer<Namespace>;
  private readonly queue = new WorkQueue();

  constructor(
    private readonly client: Client,
    private readonly log: Logger = silentLogger,
  ) {
    this.informer = new SharedInformer<Namespace>(client.resource<Namespace>('', 'v1', 'namespaces'));
  }

  async start(signal: AbortSignal): Promise<void> {
    const enqueue = (ns: Namespace): void => {
      if (namespaceAction(ns) !== 'ignore' && ns.metadata?.name) this.queue.add(ns.metadata.name);
    };
    this.informer.addEventHandler({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n) });
    void this.informer.start(signal);
    await this.informer.synced;
    await runWorkers(this.queue, 2, (key) => this.reconcile(key), signal, this.log);
  }

  /** Deletes the namespace's content; finalizes it when nothing is left. */
  async reconcile(name: string): Promise<ReconcileResult | void> {
    const ns = this.informer.indexer.get(name);
    if (namespaceAction(ns) === 'ignore') return;
    let remaining = 0;
    for (const info of namespacedContent()) {
      const rc = this.client.resource(info);
      const list = await rc.list(name);
      for (const item of list.items) {
        remaining++;
        const itemName = (item as { metadata?: { name?: string; deletionTimestamp?: string } }).metadata;
        if (!itemName?.name || itemName.deletionTimestamp) continue;
        try {
          await rc.delete(name, itemName.name, { propagationPolicy: 'Background' });
        } catch (err) {
          if (!isReason(err, 'NotFound')) throw err;
        }
      }
    }
    if (remaining > 0) {
      // Recheck soon: graceful deletions and finalizers take their time.
      const again = await this.countContent(name);
      if (again > 0) return { requeueAfter: 500 };
    }
    const nsClient = this.client.resource('', 'v1', 'namespaces');
    const fresh = (await nsClient.get(undefined, name)) as Namespace;
    const finalizers = (fresh.spec?.finalizers ?? []).filter((f) => f !== 'kubernetes');
    try {
      await nsClient.updateSubresource(undefined, name, 'finalize', { ...fresh, spec: { ...fresh.spec, finalizers } });
    } catch (err) {
      if (!isReason(err, 'NotFound')) throw err;
    }
  }

  private async countContent(ns: string): Promise<number> {
    let n = 0;
    for (const info of namespacedContent()) n += (await this.client.resource(info).list(ns, { limit: 1 })).items.length;
    return n;
  }
}
