/**
 * What every controller is given, and the manager that runs them: one client,
 * one shared informer factory (so ten controllers watching pods share one
 * watch and one cache), an event recorder per component and a logger per
 * component. Controllers start after the informers they asked for have synced.
 */
import type { Client } from '../../client/client.js';
import { SharedInformerFactory } from '../../client/informer.js';
import { silentLogger, errorMessage, type Logger } from '../../client/logger.js';
import { EventRecorder } from './events.js';

/** A long-running control loop. */
export interface Controller {
  readonly name: string;
  /** Runs until `signal` aborts. Informers must be requested from the context in the constructor. */
  start(signal: AbortSignal): Promise<void>;
}

export interface ControllerContext {
  client: Client;
  informers: SharedInformerFactory;
  /** An event recorder writing Events with `source.component` = `component`. */
  recorder(component: string): EventRecorder;
  /** A structured logger tagged with `component`. */
  logger(component: string): Logger;
  /** Milliseconds clock, injectable for tests. */
  now(): number;
}

/** A pino-like root logger with `child`. */
export interface RootLogger extends Logger {
  child(bindings: Record<string, unknown>): Logger;
}

/** Builds a context over `client`. */
export function newControllerContext(client: Client, root?: RootLogger, now: () => number = Date.now): ControllerContext {
  const logger = (component: string): Logger => (root ? root.child({ component }) : silentLogger);
  return {
    client,
    informers: new SharedInformerFactory(client, { logger: logger('informers') }),
    recorder: (component) => new EventRecorder(client, component, logger(component)),
    logger,
    now,
  };
}

/** Starts the shared informers, waits for them to sync, then runs every controller. */
export class ControllerManager {
  private readonly controllers: Controller[] = [];

  constructor(private readonly ctx: ControllerContext) {}

  add(...cs: Controller[]): this {
    this.controllers.push(...cs);
    return this;
  }

  names(): string[] {
    return this.controllers.map((c) => c.name);
  }

  /** Runs until `signal` aborts; a controller that fails is logged, not fatal to the others. */
  async start(signal: AbortSignal): Promise<void> {
    const log = this.ctx.logger('controller-manager');
    const informers = this.ctx.informers.start(signal);
    await Promise.race([this.ctx.informers.synced(), new Promise((r) => signal.addEventListener('abort', r, { once: true }))]);
    const runs = this.controllers.map((c) =>
      c.start(signal).catch((err: unknown) => {
        if (!signal.aborted) log.error({ controller: c.name, err: errorMessage(err) }, 'controller stopped');
      }),
    );
    await Promise.all([informers, ...runs]);
  }
}
