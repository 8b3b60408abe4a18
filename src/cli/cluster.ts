/**
 * Wires one skiff cluster in this process: store → registry (with the per-kind
 * strategies) → API server → bootstrap objects → controllers. `skiff up` and
 * the tests both start clusters through `startCluster`.
 */
import { mkdirSync } from 'node:fs';
import { setMaxListeners } from 'node:events';
import pino from 'pino';
import { openStore } from '../store/index.js';
import type { Store } from '../store/types.js';
import { Registry } from '../apiserver/registry.js';
import { ApiServer } from '../apiserver/server.js';
import { installStrategies, type ClusterNetworkConfig } from '../apiserver/strategies.js';
import { bootstrapCluster } from '../apiserver/bootstrap.js';
import { startEventExpiry } from '../apiserver/event-ttl.js';
import { Client } from '../client/client.js';
import { LocalTransport } from '../apiserver/local-transport.js';
import { NamespaceController, GarbageCollector, ServiceAccountController, DaemonSetController, ReplicaSetController, DeploymentController } from '../controllers/index.js';
import { newControllerContext, ControllerManager } from '../controllers/runtime/index.js';
import { Scheduler } from '../scheduler/index.js';
import { SimulatedNodePool } from '../node/index.js';
import { NodeLifecycleController } from '../controllers/nodelifecycle/index.js';

export interface ClusterOptions extends Partial<ClusterNetworkConfig> {
  dataDir: string;
  /** `memory`, `sqlite` (default) or `sqlite:///path.db`. */
  store?: string;
  host?: string;
  /** 0 picks a free port. Default 6443. */
  port?: number;
  log?: (line: string) => void;
  /**
   * `all` (default): every controller, the scheduler and the simulated node pool.
   * `core`: only the namespace, garbage-collector and service-account controllers —
   * for tests that play the other components themselves.
   */
  controllers?: 'all' | 'core';
  /** Simulated nodes to start (`node-1`…`node-N`); default 0 here, 3 from `skiff up`. */
  nodes?: number;
  /** `--node-monitor-grace-period` in seconds (default 40). */
  nodeMonitorGracePeriodSeconds?: number;
  /** `--event-ttl`: how long Events live, default 1 h. */
  eventTTLMs?: number;
  /** Structured log level for components (pino), default `warn`. */
  logLevel?: string;
}

export interface Cluster {
  server: ApiServer;
  store: Store;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** A client that reaches the API server in memory (no TCP). */
  client: Client;
  stop(): Promise<void>;
}

/** Default address plan (DESIGN.md). */
export const DEFAULT_NETWORK: ClusterNetworkConfig = {
  serviceClusterIPRange: '127.96.0.0/12',
  serviceNodePortRange: '30000-32767',
};

/** Starts the API server and everything behind it; resolves when it answers requests. */
export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  const log = opts.log ?? (() => {});
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  const t0 = Date.now();
  const store = await openStore(opts.store ?? 'sqlite', opts.dataDir);
  log(`store: ${store.kind} (revision ${await store.currentRevision()})`);
  const registry = new Registry(store);
  const net: ClusterNetworkConfig = {
    serviceClusterIPRange: opts.serviceClusterIPRange ?? DEFAULT_NETWORK.serviceClusterIPRange,
    serviceNodePortRange: opts.serviceNodePortRange ?? DEFAULT_NETWORK.serviceNodePortRange,
  };
  const strategies = await installStrategies(registry, net);
  const host = opts.host ?? '127.0.0.1';
  const server: ApiServer = new ApiServer({
    registry,
    host,
    port: opts.port ?? 6443,
    onReady: async () => {
      await bootstrapCluster(registry, { host, port: server.address().port, clusterIP: strategies.kubernetesServiceIP });
    },
  });
  const addr = await server.listen();
  const stopEventExpiry = startEventExpiry(registry, opts.eventTTLMs);
  const url = `http://${host}:${addr.port}`;
  log(`api server: listening on ${url} (ready in ${Date.now() - t0} ms)`);
  const transport = new LocalTransport(server, { userAgent: 'skiff-controller-manager' });
  const client = new Client(transport);
  const logger = pino({ name: 'skiff', level: opts.logLevel ?? 'warn' }, pino.destination(2));
  const ctx = newControllerContext(client, logger);
  const manager = new ControllerManager(ctx).add(
    new NamespaceController(client, ctx.logger('namespace-controller')),
    new GarbageCollector(client, ctx.logger('garbage-collector'), { informers: ctx.informers }),
    new ServiceAccountController(ctx),
  );
  const nodeCount = opts.nodes ?? 0;
  let pool: SimulatedNodePool | undefined;
  if ((opts.controllers ?? 'all') === 'all') {
    pool = new SimulatedNodePool(ctx, { nodes: Array.from({ length: nodeCount }, (_, i) => ({ name: `node-${i + 1}` })) });
    manager.add(
      new DaemonSetController(ctx),
      new ReplicaSetController(ctx),
      new DeploymentController(ctx),
      new Scheduler(ctx),
      new NodeLifecycleController(ctx, { ...(opts.nodeMonitorGracePeriodSeconds ? { nodeMonitorGracePeriodSeconds: opts.nodeMonitorGracePeriodSeconds } : {}) }),
      // The node agents: one simulated pool runs every simulated node (and adopts Node objects made through the API).
      pool,
    );
  }
  const controllers = new AbortController();
  // Every informer and worker listens on this one signal.
  setMaxListeners(0, controllers.signal);
  const managerDone = manager.start(controllers.signal).catch((err: unknown) => log(`controller manager stopped: ${(err as Error).message}`));
  log(`controllers: ${manager.names().join(', ')}`);
  if (pool && nodeCount > 0) {
    const tn = Date.now();
    await Promise.race([pool.ready, new Promise((r) => setTimeout(r, 120_000))]);
    log(`nodes: ${nodeCount} simulated node(s) Ready in ${Date.now() - tn} ms`);
  }
  return {
    server,
    store,
    url,
    client,
    async stop() {
      controllers.abort();
      await Promise.race([managerDone, new Promise((r) => setTimeout(r, 2000))]);
      transport.close();
      stopEventExpiry();
      await server.close();
      await store.close();
    },
  };
}
