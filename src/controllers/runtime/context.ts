/**
 * What every controller is given, and the manager that runs them: one client,
 * one shared informer factory (so ten controllers watching pods share one
 * watch and one cache), an event recorder per component and a logger per
 * component. Controllers start after the informers they asked for have synced.
 */
import type { ResourceInfo } from '../../api/resources.js';
import type { Client } from '../../client/client.js';
import { SharedInformerFactory } from '../../client/informer.js';
import { silentLogger, errorMessage, type Logger } from '../../client/logger.js';
import { EventRecorder, MAX_QUEUED_EVENTS } from './events.js';
import { LeaderElector, type LeaderElectionConfig } from './leader.js';

/** A long-running control loop. */
export interface Controller {
  readonly name: string;
  /** Runs until `signal` aborts. Informers must be requested from the context in the constructor. */
  start(signal: AbortSignal): Promise<void>;
}

export interface ControllerContext {
  client: Client;
  informers: SharedInformerFactory;
  /**
   * An event recorder writing Events with `source.component` = `component`. `sources`: how
   * many upstream components it stands for (kubelets of many nodes), each of which would
   * keep its own queue of {@link MAX_QUEUED_EVENTS}.
   */
  recorder(component: string, sources?: number): EventRecorder;
  /** A structured logger tagged with `component`. */
  logger(component: string): Logger;
  /** Milliseconds clock, injectable for tests. */
  now(): number;
}

/** A pino-like root logger with `child`. */
export interface RootLogger extends Logger {
  child(bindings: Record<string, unknown>): Logger;
}

/**
 * Which informers cache objects without managedFields: all, as kube-controller-manager's
 * do, but Endpoints, whose controller tells its own from a user's by them after a restart.
 */
function trimsManagedFields(info: ResourceInfo): boolean {
  return !(info.group === '' && info.resource === 'endpoints');
}

/** Builds a context over `client`. */
export function newControllerContext(client: Client, root?: RootLogger, now: () => number = Date.now): ControllerContext {
  const logger = (component: string): Logger => (root ? root.child({ component }) : silentLogger);
  return {
    client,
    informers: new SharedInformerFactory(client, { logger: logger('informers'), trimManagedFields: trimsManagedFields }),
    recorder: (component, sources = 1) => new EventRecorder(client, component, logger(component), '', undefined, MAX_QUEUED_EVENTS * Math.max(1, sources)),
    logger,
    now,
  };
}

/** Controllers that run only while this process holds a Lease. */
interface ElectedGroup {
  election: LeaderElectionConfig;
  controllers: Controller[];
}

/**
 * Starts the shared informers, waits for them to sync, then runs every controller —
 * those added with {@link ControllerManager.addElected} only while this process
 * leads their Lease (kube-controller-manager and kube-scheduler do the same).
 */
export class ControllerManager {
  private readonly controllers: Controller[] = [];
  private readonly groups: ElectedGroup[] = [];

  constructor(
    private readonly ctx: ControllerContext,
    /** Called when an elected group loses its Lease; upstream components exit here, and so should the caller. */
    private readonly onLeadershipLost: (lease: string) => void = () => {},
  ) {}

  add(...cs: Controller[]): this {
    this.controllers.push(...cs);
    return this;
  }

  /** Adds controllers that run only while this process holds the Lease `election` names. */
  addElected(election: LeaderElectionConfig, ...cs: Controller[]): this {
    this.groups.push({ election, controllers: cs });
    return this;
  }

  names(): string[] {
    return [...this.controllers, ...this.groups.flatMap((g) => g.controllers)].map((c) => c.name);
  }

  /** Runs until `signal` aborts; a controller that fails is logged, not fatal to the others. */
  async start(signal: AbortSignal): Promise<void> {
    const log = this.ctx.logger('controller-manager');
    const informers = this.ctx.informers.start(signal);
    await Promise.race([this.ctx.informers.synced(), new Promise((r) => signal.addEventListener('abort', r, { once: true }))]);
    const run = (cs: Controller[], s: AbortSignal): Promise<unknown> =>
      Promise.all(
        cs.map((c) =>
          c.start(s).catch((err: unknown) => {
            if (!s.aborted) log.error({ controller: c.name, err: errorMessage(err) }, 'controller stopped');
          }),
        ),
      );
    const elected = this.groups.map((g) => {
      const lease = `${g.election.namespace}/${g.election.name}`;
      const elector = new LeaderElector(this.ctx.client, g.election, { logger: this.ctx.logger('leader-election'), now: this.ctx.now });
      return elector.run(signal, (leading) => run(g.controllers, leading).then(() => undefined), () => this.onLeadershipLost(lease));
    });
    await Promise.all([informers, run(this.controllers, signal), ...elected]);
  }
}
