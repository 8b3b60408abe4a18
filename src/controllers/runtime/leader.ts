/**
 * Leader election through a `coordination.k8s.io/v1` Lease, with client-go's
 * semantics (`tools/leaderelection`, `resourcelock.LeaseLock`): a candidate takes
 * the Lease when it is free or its holder stopped renewing it for
 * `leaseDurationSeconds`, renews it every `retryPeriod`, and gives up leading
 * when it could not renew within `renewDeadline`. Writes are guarded by
 * resourceVersion, so two candidates racing for an expired Lease cannot both win.
 * Several `skiff server` processes sharing one store run their controllers on
 * exactly one of them.
 */
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { isReason } from '../../api/errors.js';
import type { Client, ResourceClient } from '../../client/client.js';
import { errorMessage, silentLogger, type Logger } from '../../client/logger.js';

/** Where and how to elect. Defaults are client-go's (15 s / 10 s / 2 s). */
export interface LeaderElectionConfig {
  /** Lease namespace, e.g. `kube-system`. */
  namespace: string;
  /** Lease name, e.g. `kube-controller-manager`. */
  name: string;
  /** This candidate; default `<hostname>_<uuid>` like upstream. */
  identity?: string;
  leaseDurationSeconds?: number;
  renewDeadlineSeconds?: number;
  retryPeriodSeconds?: number;
}

/** What a candidate should do with the Lease as it is now. */
export type LeaseDecision = 'create' | 'acquire' | 'renew' | 'wait';

/** `metav1.MicroTime` text for `ms`. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/**
 * The election rule (client-go `tryAcquireOrRenew`): renew a Lease we hold, take one
 * that is free (no holder) or expired (last renewal more than its duration ago),
 * otherwise wait.
 *
 * @example
 * decideLease(undefined, 'me', Date.now()) // 'create'
 */
export function decideLease(lease: Lease | undefined, identity: string, nowMs: number): LeaseDecision {
  if (!lease) return 'create';
  const spec = lease.spec ?? {};
  if (spec.holderIdentity === identity) return 'renew';
  if (!spec.holderIdentity) return 'acquire';
  const renewed = Date.parse(spec.renewTime ?? spec.acquireTime ?? '') || 0;
  const duration = (spec.leaseDurationSeconds ?? 15) * 1000;
  return renewed + duration < nowMs ? 'acquire' : 'wait';
}

/**
 * The Lease after `decision` by `identity` (create, acquire or renew); `leaseTransitions`
 * counts changes of holder.
 */
export function nextLease(current: Lease | undefined, decision: Exclude<LeaseDecision, 'wait'>, cfg: Required<LeaderElectionConfig>, nowMs: number): Lease {
  const now = microTime(nowMs);
  const spec = current?.spec ?? {};
  const transitions = spec.leaseTransitions ?? 0;
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: current?.metadata ?? { name: cfg.name, namespace: cfg.namespace },
    spec: {
      holderIdentity: cfg.identity,
      leaseDurationSeconds: cfg.leaseDurationSeconds,
      acquireTime: decision === 'renew' ? spec.acquireTime ?? now : now,
      renewTime: now,
      leaseTransitions: decision === 'acquire' && spec.holderIdentity ? transitions + 1 : transitions,
    },
  };
}

/**
 * One candidate. `run` campaigns until `signal` aborts; while it leads, `lead` runs
 * with a signal that aborts when leadership is lost (or on shutdown, when the Lease is
 * released so another candidate takes over at once).
 *
 * @example
 * const elector = new LeaderElector(client, { namespace: 'kube-system', name: 'kube-controller-manager' });
 * await elector.run(signal, async (leading) => manager.runControllers(leading), () => process.exit(3));
 */
export class LeaderElector {
  readonly config: Required<LeaderElectionConfig>;
  private readonly leases: ResourceClient<Lease>;

  constructor(
    client: Client,
    config: LeaderElectionConfig,
    private readonly opts: { logger?: Logger; now?: () => number } = {},
  ) {
    this.config = {
      identity: `${hostname()}_${randomUUID()}`,
      leaseDurationSeconds: 15,
      renewDeadlineSeconds: 10,
      retryPeriodSeconds: 2,
      ...config,
    };
    this.leases = client.resource<Lease>('coordination.k8s.io', 'v1', 'leases');
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  /** One attempt to acquire or renew; true when we hold the Lease afterwards. */
  async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity } = this.config;
    let current: Lease | undefined;
    try {
      current = await this.leases.get(namespace, name);
    } catch (err) {
      if (!isReason(err, 'NotFound')) throw err;
    }
    const decision = decideLease(current, identity, this.now());
    if (decision === 'wait') return false;
    const next = nextLease(current, decision, this.config, this.now());
    try {
      if (decision === 'create') await this.leases.create(namespace, next);
      else await this.leases.update(namespace, next);
      return true;
    } catch (err) {
      if (isReason(err, 'Conflict') || isReason(err, 'AlreadyExists')) return false;
      throw err;
    }
  }

  /**
   * Campaigns, leads, and returns when `signal` aborts or leadership is lost (then
   * `onLost` is called: upstream components exit, and their supervisor restarts them).
   */
  async run(signal: AbortSignal, lead: (leading: AbortSignal) => Promise<void>, onLost: () => void): Promise<void> {
    const log = this.opts.logger ?? silentLogger;
    const { retryPeriodSeconds, renewDeadlineSeconds, namespace, name, identity } = this.config;
    const sleep = (s: number): Promise<void> =>
      new Promise((r) => {
        const t = setTimeout(r, s * 1000);
        signal.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
      });
    // Campaign.
    for (;;) {
      if (signal.aborted) return;
      try {
        if (await this.tryAcquireOrRenew()) break;
      } catch (err) {
        log.warn({ lease: `${namespace}/${name}`, err: errorMessage(err) }, 'error retrieving or updating the lease');
      }
      await sleep(retryPeriodSeconds);
    }
    log.info({ lease: `${namespace}/${name}`, identity }, 'successfully acquired lease');
    const leading = new AbortController();
    // Every controller of the group listens on it.
    setMaxListeners(0, leading.signal);
    const onAbort = (): void => leading.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    const work = lead(leading.signal);
    // Renew until shutdown or until renewals fail for longer than the renew deadline.
    let lastRenew = this.now();
    while (!signal.aborted) {
      await sleep(retryPeriodSeconds);
      if (signal.aborted) break;
      let ok = false;
      try {
        ok = await this.tryAcquireOrRenew();
      } catch (err) {
        log.warn({ lease: `${namespace}/${name}`, err: errorMessage(err) }, 'failed to renew the lease');
      }
      if (ok) lastRenew = this.now();
      else if (this.now() - lastRenew > renewDeadlineSeconds * 1000) {
        log.error({ lease: `${namespace}/${name}`, identity }, 'leaderelection lost');
        leading.abort();
        signal.removeEventListener('abort', onAbort);
        await work.catch(() => undefined);
        onLost();
        return;
      }
    }
    signal.removeEventListener('abort', onAbort);
    leading.abort();
    await work.catch(() => undefined);
    await this.release();
  }

  /** Gives the Lease up (client-go `ReleaseOnCancel`): no holder, so the next candidate takes it at once. */
  async release(): Promise<void> {
    const { namespace, name, identity } = this.config;
    try {
      const current = await this.leases.get(namespace, name);
      if (current.spec?.holderIdentity !== identity) return;
      await this.leases.update(namespace, {
        ...current,
        spec: { ...current.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(this.now()) },
      });
    } catch {
      // Best effort: the Lease expires by itself.
    }
  }
}
