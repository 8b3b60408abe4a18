/**
 * What every components thread shares, apart from the components themselves,
 * so that a thread loads only the modules it runs: the API server's thread
 * needs the options and the exit code to start the others, the cluster DNS's
 * thread needs none of the controllers, proxy or node runtimes. Loading every
 * module in every thread was most of `skiff up`'s start-up time.
 */
import { setMaxListeners } from 'node:events';
import type { ControllerManager } from '../controllers/runtime/index.js';
import { intToIp, parseCidr } from '../node/ipam.js';
import type { ProcessRuntime } from '../node/index.js';
import type { ProxyMode } from '../proxy/modes.js';
import type { SchedulerName } from '../proxy/schedulers/scheduler.js';

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

/** Starts `manager` and wraps it as {@link Components}. */
export function runManager(manager: ControllerManager, nodes: { ready: Promise<void> } | undefined, runtime: ProcessRuntime | undefined, opts: ComponentOptions, log: (line: string) => void): Components {
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
