/**
 * Every component that is a client of the API server — controllers, scheduler,
 * node agents — built over one client and one shared informer factory, as the
 * controller manager, scheduler and kubelets of a Kubernetes cluster. `skiff up`
 * runs them in a worker thread (`components-worker.ts`) so the API server and
 * its clients use both cores; `startComponents` is the same code in any thread.
 */
import type { Client } from '../client/client.js';
import {
  NamespaceController,
  GarbageCollector,
  ServiceAccountController,
  DaemonSetController,
  ReplicaSetController,
  DeploymentController,
  EndpointSliceController,
  EndpointsController,
  EndpointSliceMirroringController,
  LoadBalancerController,
} from '../controllers/index.js';
import type { Controller, ControllerContext, LeaderElectionConfig } from '../controllers/runtime/index.js';
import { ServiceProxy } from '../proxy/index.js';
import { serveMetrics } from '../client/metrics-server.js';
import { Registry } from 'prom-client';
import { NodeLifecycleController } from '../controllers/nodelifecycle/index.js';
import { PodGCController } from '../controllers/podgc/index.js';
import { Scheduler } from '../scheduler/index.js';
import type { Service } from 'kubernetes-types/core/v1.js';
import { NodeAgent, ProcessRuntime, SimulatedNodePool } from '../node/index.js';
import { DEFAULT_CLUSTER_CIDR, runManager, splitCidr, type ComponentOptions, type Components, type ProxyConfig } from './components-base.js';
import { clusterDns, newManager, startDnsComponents } from './dns-components.js';

export { DEFAULT_CLUSTER_CIDR, LEADERSHIP_LOST_EXIT, splitCidr, type ComponentOptions, type Components, type ProxyConfig } from './components-base.js';

/** Metrics of the service proxy, like kube-proxy's `--metrics-bind-address` (127.0.0.1:10249). */
export const PROXY_METRICS_PORT = 10249;

/**
 * The service proxy as a component (not elected: it runs wherever nodes run, like
 * kube-proxy), with its metrics on 127.0.0.1:10249 (or a free port when taken).
 */
function serviceProxy(ctx: ControllerContext, cfg: ProxyConfig, clusterCIDR: string | undefined, log: (line: string) => void): Controller {
  const registry = new Registry();
  const proxy = new ServiceProxy(ctx.informers, {
    mode: cfg.mode ?? 'userspace',
    scheduler: cfg.scheduler ?? 'rr',
    // Userspace syncs are cheap: a pod turning Ready is served within a tenth of a second.
    minSyncPeriodMs: cfg.minSyncPeriodMs ?? 100,
    ...(cfg.workers ? { workers: cfg.workers } : {}),
    ...(cfg.netns ? { netns: cfg.netns } : {}),
    ...(clusterCIDR ? { clusterCIDR } : {}),
    cleanupOnStop: cfg.cleanupOnStop ?? true,
    registry,
    logger: ctx.logger('service-proxy'),
  });
  return {
    name: proxy.name,
    start: async (signal) => {
      const run = proxy.start(signal);
      const port = await serveMetrics(registry, '127.0.0.1', PROXY_METRICS_PORT, signal).catch(() => serveMetrics(registry, '127.0.0.1', 0, signal));
      await proxy.ready;
      log(`service proxy: ${cfg.mode ?? 'userspace'} mode, scheduler ${cfg.scheduler ?? 'rr'}; metrics at http://127.0.0.1:${port}/metrics`);
      await run;
    },
  };
}

/** Builds and starts the components over `client`. */
export function startComponents(client: Client, opts: ComponentOptions, log: (line: string) => void = () => {}, onLeadershipLost: (lease: string) => void = () => {}): Components {
  if (opts.only === 'dns') return startDnsComponents(client, opts, log, onLeadershipLost);
  const { ctx, manager } = newManager(client, opts, onLeadershipLost);
  const heartbeat = opts.nodeLeaseDurationSeconds ? { heartbeatSeconds: opts.nodeLeaseDurationSeconds / 4 } : {};
  const readyDelay = opts.simReadyDelayMs ? { readyDelayMs: opts.simReadyDelayMs } : {};
  const election = (name: string): LeaderElectionConfig => ({ namespace: 'kube-system', name, ...(opts.leaderIdentity ? { identity: opts.leaderIdentity } : {}) });
  // Controllers of kube-controller-manager, and the scheduler, each under their Lease (or unconditionally).
  const controllers: Controller[] =
    opts.controllers === 'none'
      ? []
      : [
          new NamespaceController(client, ctx.logger('namespace-controller')),
          new GarbageCollector(client, ctx.logger('garbage-collector'), { informers: ctx.informers }),
          new ServiceAccountController(ctx),
        ];
  const scheduling: Controller[] = [];
  let pool: SimulatedNodePool | undefined;
  let agent: NodeAgent | undefined;
  let runtime: ProcessRuntime | undefined;
  if (opts.controllers === 'all') {
    controllers.push(
      new DaemonSetController(ctx),
      new ReplicaSetController(ctx),
      new DeploymentController(ctx),
      new NodeLifecycleController(ctx, { ...(opts.nodeMonitorGracePeriodSeconds ? { nodeMonitorGracePeriodSeconds: opts.nodeMonitorGracePeriodSeconds } : {}) }),
      new PodGCController(ctx),
      new EndpointSliceController(ctx),
      new EndpointsController(ctx),
      new EndpointSliceMirroringController(ctx),
      new LoadBalancerController(ctx, { ...(opts.loadBalancerIPRange ? { pool: opts.loadBalancerIPRange } : {}) }),
    );
    scheduling.push(new Scheduler(ctx));
  }
  if (opts.controllers !== 'core') {
    // The node agents (kubelets: never elected): a process agent runs `node-1`…`node-N` (or the
    // named nodes of `skiff agent`); one simulated pool runs simulated nodes and, next to the
    // controllers, adopts Node objects made through the API.
    const agentOnly = opts.controllers === 'none';
    const nodeSpecs = (opts.nodeNames ?? Array.from({ length: opts.nodes }, (_, i) => `node-${i + 1}`)).map((name) => ({ name }));
    if (agentOnly || (opts.runtime ?? 'simulated') === 'process') {
      const services = ctx.informers.forResource<Service>('', 'v1', 'services');
      // One recorder for every node here, where each upstream kubelet queues its own events.
      const kubelet = ctx.recorder('kubelet', nodeSpecs.length);
      runtime = new ProcessRuntime({
        dataDir: opts.dataDir ?? '.',
        imageFallback: opts.imageFallback ?? 'simulate',
        client,
        services: () => services.indexer.list(),
        logger: ctx.logger('process-runtime'),
        recordEvent: (pod, type, reason, message) => kubelet.event({ apiVersion: 'v1', kind: 'Pod', metadata: pod.metadata }, type, reason, message),
        ...(opts.clusterDNS && opts.clusterDNS !== 'off' ? { clusterDNS: { nameserver: opts.clusterDNS, searches: [], options: [], clusterDomain: opts.clusterDomain ?? 'cluster.local' } } : {}),
      });
      // Two agents hand out pod CIDRs independently: each gets its own half of the cluster CIDR.
      const [lower, upper] = splitCidr(opts.clusterCIDR ?? DEFAULT_CLUSTER_CIDR);
      const nodeCIDR = opts.nodeCIDR ? { nodeCIDR: opts.nodeCIDR } : {};
      agent = new NodeAgent(ctx, { runtime, nodes: nodeSpecs, clusterCIDR: lower, ...nodeCIDR, ...heartbeat, component: 'node-agent' });
      manager.add(agent);
      if (!agentOnly) {
        // Node objects made through the API (KWOK-style) are still simulated.
        pool = new SimulatedNodePool(ctx, { nodes: [], clusterCIDR: upper, ...nodeCIDR, ...heartbeat, ...readyDelay });
        manager.add(pool);
      }
    } else {
      pool = new SimulatedNodePool(ctx, { nodes: nodeSpecs, ...heartbeat, ...readyDelay, ...(opts.clusterCIDR ? { clusterCIDR: opts.clusterCIDR } : {}), ...(opts.nodeCIDR ? { nodeCIDR: opts.nodeCIDR } : {}) });
      manager.add(pool);
    }
  }
  // The cluster DNS runs beside the controllers (an agent's pods only point at it).
  if (opts.clusterDNS && opts.clusterDNS !== 'off' && opts.controllers !== 'none' && !opts.clusterDNSElsewhere) manager.add(clusterDns(client, ctx, opts, log));
  if (opts.proxy) manager.add(serviceProxy(ctx, opts.proxy, opts.clusterCIDR ?? DEFAULT_CLUSTER_CIDR, log));
  if (opts.leaderElect === false) manager.add(...controllers, ...scheduling);
  else if (controllers.length) {
    manager.addElected(election('kube-controller-manager'), ...controllers);
    if (scheduling.length) manager.addElected(election('kube-scheduler'), ...scheduling);
  }
  return runManager(manager, agent ?? pool, runtime, opts, log);
}
