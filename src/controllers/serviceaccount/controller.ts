/**
 * The service account controller (upstream `pkg/controller/serviceaccount`):
 * every active namespace has a `default` ServiceAccount; it is created when
 * the namespace appears and again if someone deletes it.
 */
import { isReason } from '../../api/errors.js';
import type { KubeObject } from '../../client/client.js';
import type { SharedInformer } from '../../client/informer.js';
import { WorkQueue, runWorkers } from '../../client/workqueue.js';
import type { Controller, ControllerContext } from '../runtime/index.js';

interface Namespace extends KubeObject {
  status?: { phase?: string };
}

/** The ServiceAccounts every namespace must have. */
export const MANAGED_SERVICE_ACCOUNTS = ['default'];

/** Which managed accounts a namespace lacks (none while it terminates). */
export function missingAccounts(ns: Namespace | undefined, existing: ReadonlySet<string>): string[] {
  if (!ns || ns.metadata?.deletionTimestamp || ns.status?.phase === 'Terminating') return [];
  return MANAGED_SERVICE_ACCOUNTS.filter((n) => !existing.has(n));
}

export class ServiceAccountController implements Controller {
  readonly name = 'serviceaccount';
  private readonly namespaces: SharedInformer<Namespace>;
  private readonly accounts: SharedInformer<KubeObject>;
  private readonly queue = new WorkQueue();

  constructor(private readonly ctx: ControllerContext) {
    this.namespaces = ctx.informers.forResource<Namespace>('', 'v1', 'namespaces');
    this.accounts = ctx.informers.forResource('', 'v1', 'serviceaccounts');
  }

  async start(signal: AbortSignal): Promise<void> {
    const enqueue = (o: KubeObject): void => {
      const ns = o.kind === 'Namespace' || !o.metadata?.namespace ? o.metadata?.name : o.metadata.namespace;
      if (ns) this.queue.add(ns);
    };
    this.namespaces.addEventHandler({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n) });
    this.accounts.addEventHandler({ onDelete: (o) => enqueue(('obj' in o ? o.obj : o) as KubeObject) });
    await Promise.all([this.namespaces.synced, this.accounts.synced]);
    await runWorkers(this.queue, 1, (ns) => this.reconcile(ns), signal, this.ctx.logger(this.name));
  }

  async reconcile(ns: string): Promise<void> {
    const existing = new Set(this.accounts.indexer.byIndex('byNamespace', ns).map((a) => a.metadata?.name ?? ''));
    for (const name of missingAccounts(this.namespaces.indexer.get(ns), existing)) {
      try {
        await this.ctx.client.resource('', 'v1', 'serviceaccounts').create(ns, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: ns } });
      } catch (err) {
        if (!isReason(err, 'AlreadyExists') && !isReason(err, 'NotFound') && !isReason(err, 'Forbidden')) throw err;
      }
    }
  }
}
