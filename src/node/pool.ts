/**
 * Many simulated nodes in one process: a {@link NodeAgent} over the
 * {@link SimulatedRuntime}, adopting KWOK-style Nodes by default.
 */
import type { Taint } from 'kubernetes-types/core/v1.js';
import type { Controller, ControllerContext } from '../controllers/runtime/context.js';
import { NodeAgent } from './agent.js';
import type { HostInfo, NodeSpecInput } from './node-object.js';
import { SimulatedRuntime } from './runtime/simulated.js';

/** Options of {@link SimulatedNodePool}. */
export interface SimulatedNodePoolOptions {
  /** Nodes registered at start (or taken over when a Node of that name exists). */
  nodes?: Array<{ name: string; labels?: Record<string, string>; taints?: Taint[] }>;
  /** Run every Node created through the API unless annotated `skiff.io/runtime: process`. Default true. */
  adoptNodes?: boolean;
  /** Delay before a pod is Running and Ready, drawn uniformly from [min, max] ms. Default [0, 500]. */
  readyDelayMs?: [number, number];
  /** Base Lease renew interval in seconds (stretched beyond 1 000 nodes, see `leaseRenewIntervalMs`). Default 10. */
  heartbeatSeconds?: number;
  /** Upper bound of Lease writes per second for the whole pool. Default 100. */
  maxLeaseWritesPerSecond?: number;
  /** Pod CIDRs (`/24` per node) come from here. Default `127.128.0.0/9`. */
  clusterCIDR?: string;
  /** Node InternalIPs start here. Default `127.0.1.0/24`. */
  nodeCIDR?: string;
  /** Concurrent pod status writes. Default 32. */
  podWorkers?: number;
  /** Host facts for `nodeInfo` (tests may pin them). */
  host?: HostInfo;
}

/**
 * Runs thousands of virtual nodes with one node informer and one pod informer.
 * Each node it registers carries labels `kubernetes.io/hostname`,
 * `kubernetes.io/os=linux`, `kubernetes.io/arch`, `skiff.io/runtime=simulated`
 * and annotation `skiff.io/runtime: simulated`; a `/24` pod CIDR; InternalIP
 * 127.0.1.N; capacity cpu 8, memory 32Gi, pods 110; Ready conditions; and a
 * Lease in `kube-node-lease`. Pods bound to its nodes become Running and Ready
 * after `readyDelayMs`, with an IP from the node's pod CIDR.
 *
 * @example
 * const pool = new SimulatedNodePool(ctx, { nodes: [{ name: 'node-1' }, { name: 'node-2' }] });
 * void pool.start(signal);
 * await pool.ready;
 * await pool.addNode({ name: 'node-3', labels: { gpu: 'true' } });
 * await pool.removeNode('node-3');
 */
export class SimulatedNodePool implements Controller {
  readonly name = 'simulated-node-pool';
  /** Resolves once every node of `opts.nodes` is Ready with a Lease. */
  readonly ready: Promise<void>;
  /** The runtime shared by all nodes of the pool. */
  readonly runtime: SimulatedRuntime;
  private readonly agent: NodeAgent;

  constructor(ctx: ControllerContext, opts: SimulatedNodePoolOptions = {}) {
    this.runtime = new SimulatedRuntime({ readyDelayMs: opts.readyDelayMs });
    this.agent = new NodeAgent(ctx, {
      runtime: this.runtime,
      nodes: opts.nodes,
      adoptNodes: opts.adoptNodes ?? true,
      heartbeatSeconds: opts.heartbeatSeconds,
      maxLeaseWritesPerSecond: opts.maxLeaseWritesPerSecond,
      clusterCIDR: opts.clusterCIDR,
      nodeCIDR: opts.nodeCIDR,
      podWorkers: opts.podWorkers,
      host: opts.host,
      component: this.name,
    });
    this.ready = this.agent.ready;
  }

  /** Registers a node and resolves once the pool runs it. */
  addNode(spec: NodeSpecInput): Promise<void> {
    return this.agent.addNode(spec);
  }

  /** Deletes the Node object and stops running it. */
  removeNode(name: string): Promise<void> {
    return this.agent.removeNode(name);
  }

  /** Names of the nodes the pool runs now. */
  nodeNames(): string[] {
    return this.agent.nodeNames();
  }

  /** Runs until `signal` aborts; the Nodes stay (and go NotReady once their Leases expire). */
  start(signal: AbortSignal): Promise<void> {
    return this.agent.start(signal);
  }
}
