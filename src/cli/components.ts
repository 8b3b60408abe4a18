/**
 * Every component that is a client of the API server — controllers, scheduler,
 * node agents — built over one client and one shared informer factory, as the
 * controller manager, scheduler and kubelets of a Kubernetes cluster. `skiff up`
 * runs them in a worker thread (`components-worker.ts`) so the API server and
 * its clients use both cores; `startComponents` is the same code in any thread.
 */
import { setMaxListeners } from 'node:events';
import pino from 'pino';
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
import { newControllerContext, ControllerManager, type Controller, type ControllerContext, type LeaderElectionConfig } from '../controllers/runtime/index.js';
import { ClusterDns, METRICS_PORT, clusterDnsAddress } from '../dns/index.js';
import { ServiceProxy, type ProxyMode, type SchedulerName } from '../proxy/index.js';
import { serveMetrics } from '../client/metrics-server.js';
import { Registry } from 'prom-client';
import { NodeLifecycleController } from '../controllers/nodelifecycle/index.js';
import { PodGCController } from '../controllers/podgc/index.js';
import { Scheduler } from '../scheduler/index.js';
import type { Service } from 'kubernetes-types/core/v1.js';
import { intToIp, NodeAgent, parseCidr, ProcessRuntime, SimulatedNodePool } from '../node/index.js';

/** Plain, cloneable options (they cross into a worker thread). */
export interface ComponentOptions {
  /**
   * `all`: every controller, the scheduler and the simulated node pool.
   * `core`: only the namespace, garbage-collector and service-account controllers —
   * for tests that play the other components themselves.
   * `none`: no controllers at all, only node agents (and proxy/DNS when asked): `skiff agent`.
   */
  controllers: 'all' | 'core' | 'none';
  /** Nodes to start (`node-1`…`node-N`), run by `runtime`. */
  nodes: number;
  /** Names of the nodes to run instead of `node-1`…`node-N` (`skiff agent --name`). */
  nodeNames?: string[];
  /** `--node-monitor-grace-period` in seconds. */
  nodeMonitorGracePeriodSeconds?: number;
  /**
   * `--node-lease-duration-seconds` (kubelet flag): the Lease duration nodes advertise;
   * they renew every quarter of it. Default 40 (renewals every 10 s).
   */
  nodeLeaseDurationSeconds?: number;
  /** `--sim-ready-delay`: pods on simulated nodes turn Running and Ready after a delay drawn from [min, max] ms. Default [0, 500]. */
  simReadyDelayMs?: [number, number];
  /** How nodes `node-1`…`node-N` run pods: `process` (real child processes) or `simulated` (default here; `skiff up` uses process). */
  runtime?: 'process' | 'simulated';
  /** Process runtime: containers with no built-in image and no command run `simulate`d (default) or `fail`. */
  imageFallback?: 'simulate' | 'fail';
  /** `--cluster-cidr`: pod IPs (a /24 per node), default 127.128.0.0/9. With the process runtime its lower half goes to `node-1`…`node-N`, the upper half to simulated nodes. */
  clusterCIDR?: string;
  /** `--node-ip-range`: node InternalIPs, default 127.0.1.0/24. */
  nodeCIDR?: string;
  /** The cluster's data dir (node trees with pod logs and volumes live under `<dataDir>/nodes/`). */
  dataDir?: string;
  /** Structured log level (pino), default `warn`. */
  logLevel?: string;
  /**
   * Elect a leader through Leases in kube-system (`kube-controller-manager`, `kube-scheduler`)
   * before running controllers and the scheduler. Default true.
   */
  leaderElect?: boolean;
  /**
   * This process's identity in those Leases. `skiff up` uses one that is stable for its data
   * dir, so a restarted cluster takes its Leases back at once instead of waiting them out.
   */
  leaderIdentity?: string;
  /** `--cluster-dns`: ClusterIP of the kube-dns Service, or `off` (default) for no cluster DNS. */
  clusterDNS?: string;
  /** `--cluster-domain`, default `cluster.local`. */
  clusterDomain?: string;
  /** `--dns-upstream` (repeatable `ip[:port]`); default the nameservers of /etc/resolv.conf. */
  dnsUpstreams?: string[];
  /** `--dns-readers`: processes reading the DNS server's UDP socket. Default 1. */
  dnsReaders?: number;
  /**
   * The service proxy (`--proxy-mode`, `--proxy-scheduler`), or false for none (the default
   * here: two clusters on one machine would fight over the same ClusterIPs; `skiff up` turns it on).
   */
  proxy?: false | ProxyConfig;
  /**
   * `dns`: this set of components is only the cluster DNS (its own thread, so answers never
   * wait behind controllers). `clusterDNSElsewhere`: the DNS runs in another set; these
   * components only point pods at it.
   */
  only?: 'dns';
  clusterDNSElsewhere?: boolean;
  /** `--load-balancer-ip-range`: the pool LoadBalancer Services get IPs from (CIDR or first-last). Default 127.112.0.0/16. */
  loadBalancerIPRange?: string;
}

/** Exit code of a components thread that lost a Lease (its supervisor starts a new one). */
export const LEADERSHIP_LOST_EXIT = 3;

/** Running components. */
export interface Components {
  /** Names of the running controllers, in start order. */
  names: string[];
  /** Resolves with how long the simulated nodes took to become Ready (0 without nodes). */
  nodesReady: Promise<number>;
  /** Stops every component; resolves when they have (or after 2 s). */
  stop(): Promise<void>;
}

/**
 * The cluster DNS server as a component: it answers from the shared informers, publishes
 * the kube-dns Service and Endpoints, serves CoreDNS metrics on :9153, and reports the
 * address to query (`CLUSTER_DNS=…`, which `npm run acceptance` reads).
 */
function clusterDns(client: Client, ctx: ControllerContext, opts: ComponentOptions, log: (line: string) => void): Controller {
  const clusterIP = opts.clusterDNS!;
  const dns = new ClusterDns({
    informers: ctx.informers,
    ...(opts.clusterDomain ? { zone: opts.clusterDomain } : {}),
    ...(opts.dnsUpstreams?.length ? { upstreams: opts.dnsUpstreams } : {}),
    ...(opts.dnsReaders ? { readers: opts.dnsReaders } : {}),
    registry: new Registry(),
    metricsPort: METRICS_PORT,
    publish: { client, clusterIP },
    logger: ctx.logger('cluster-dns'),
  });
  return {
    name: 'cluster-dns',
    start: async (signal) => {
      const run = dns.start(signal);
      try {
        const listen = await dns.ready;
        const address = clusterDnsAddress({ clusterIP, direct: listen, proxy: !!opts.proxy });
        const upstreams = dns.forwarder.list().map((u) => `${u.host}:${u.port}`).join(', ') || 'none';
        log(`cluster dns: CLUSTER_DNS=${address} (zone ${dns.zone.zone}; kube-system/kube-dns ${clusterIP}:53 → ${listen.host}:${listen.port}; upstreams ${upstreams})`);
      } catch (err) {
        log(`cluster dns: not started: ${(err as Error).message}`);
      }
      await run;
    },
  };
}

/** `--cluster-cidr` default: the pod network (DESIGN.md's address plan). */
export const DEFAULT_CLUSTER_CIDR = '127.128.0.0/9';

/** The two halves of an IPv4 CIDR, e.g. 127.128.0.0/9 → 127.128.0.0/10 and 127.192.0.0/10. */
export function splitCidr(cidr: string): [string, string] {
  const { base, prefix, size } = parseCidr(cidr);
  if (prefix >= 24) throw new Error(`cluster CIDR ${cidr} is too small: it needs room for a /24 per node in each half`);
  return [`${intToIp(base)}/${prefix + 1}`, `${intToIp(base + size / 2)}/${prefix + 1}`];
}

/** The service proxy's flags (`--proxy-mode`, `--proxy-scheduler`, `--proxy-workers`, `--proxy-netns`). */
export interface ProxyConfig {
  mode?: ProxyMode;
  scheduler?: SchedulerName;
  minSyncPeriodMs?: number;
  /** Userspace mode: accepting processes. */
  workers?: number;
  /** Kernel modes: the network namespace to program (default this process's). */
  netns?: string;
  /** Kernel modes: remove the rules on stop (default true for skiff's own clusters: their pods die with them). */
  cleanupOnStop?: boolean;
}

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
  const logger = pino({ name: 'skiff', level: opts.logLevel ?? 'warn' }, pino.destination(2));
  const ctx = newControllerContext(client, logger);
  const manager = new ControllerManager(ctx, onLeadershipLost);
  const heartbeat = opts.nodeLeaseDurationSeconds ? { heartbeatSeconds: opts.nodeLeaseDurationSeconds / 4 } : {};
  const readyDelay = opts.simReadyDelayMs ? { readyDelayMs: opts.simReadyDelayMs } : {};
  if (opts.only === 'dns') return runManager(manager.add(clusterDns(client, ctx, opts, log)), undefined, undefined, opts, log);
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
      const kubelet = ctx.recorder('kubelet');
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


/** Starts `manager` and wraps it as {@link Components}. */
function runManager(manager: ControllerManager, nodes: { ready: Promise<void> } | undefined, runtime: ProcessRuntime | undefined, opts: ComponentOptions, log: (line: string) => void): Components {
  const stopping = new AbortController();
  // Every informer and worker listens on this one signal.
  setMaxListeners(0, stopping.signal);
  const done = manager.start(stopping.signal).catch((err: unknown) => log(`controller manager stopped: ${(err as Error).message}`));
  const t0 = Date.now();
  const nodesReady =
    nodes && opts.nodes > 0
      ? Promise.race([nodes.ready.then(() => Date.now() - t0), new Promise<number>((r) => setTimeout(() => r(Date.now() - t0), 120_000).unref())])
      : Promise.resolve(0);
  return {
    names: manager.names(),
    nodesReady,
    async stop() {
      stopping.abort();
      await Promise.race([done, new Promise((r) => setTimeout(r, 2000).unref())]);
      // No pod process outlives the cluster.
      await runtime?.stopAll();
    },
  };
}
