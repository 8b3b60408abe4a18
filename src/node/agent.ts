/**
 * The node agent core (the kubelet's control loops, minus the container
 * plumbing, which a {@link Runtime} does): registers Nodes, keeps their status
 * and Leases fresh, runs the pods bound to them and reports pod status. One
 * agent serves any number of nodes with ONE node informer and ONE pod informer
 * (indexed by node name), so thousands of simulated nodes cost no more watches
 * than one.
 *
 * Write budget: pod statuses go through a deduplicating work queue with a
 * bounded number of workers; Lease renewals are staggered over the renew
 * interval, which stretches with the node count so that all nodes together
 * renew at most `maxLeaseWritesPerSecond` times per second (see
 * `leaseRenewIntervalMs`); the stretched interval is advertised in
 * `leaseDurationSeconds` (4 intervals), which the lifecycle controller honours.
 */
import { readFileSync } from 'node:fs';
import { arch, release, type as osType } from 'node:os';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { isReason } from '../api/errors.js';
import { keyOf, splitKey } from '../client/indexer.js';
import { deletedObject, type SharedInformer } from '../client/informer.js';
import { errorMessage, type Logger } from '../client/logger.js';
import { Client, type ResourceClient } from '../client/client.js';
import { ItemExponentialFailureRateLimiter, runWorkers, WorkQueue } from '../client/workqueue.js';
import type { Controller, ControllerContext } from '../controllers/runtime/context.js';
import { NodeIPAllocator, PodCidrAllocator, PodIPAllocator } from './ipam.js';
import {
  internalIPOf,
  leaseDurationSecondsFor,
  leaseRenewIntervalMs,
  microTime,
  newNodeObject,
  NODE_LEASE_NAMESPACE,
  nodeLease,
  nodeStatusFor,
  nodeStatusNeedsUpdate,
  podCIDROf,
  RUNTIME_ANNOTATION,
  shouldAdopt,
  type HostInfo,
  type NodeFacts,
  type NodeSpecInput,
} from './node-object.js';
import { podStatusFor, statusDiffers } from './pod-status.js';
import { isStreamingRuntime, type Runtime } from './runtime.js';
import { KubeletServer } from './kubelet-server.js';

/** The field manager of a node agent's writes (upstream's kubelet's user agent). */
const KUBELET_FIELD_MANAGER = 'kubelet';

/** Options of {@link NodeAgent}. */
export interface NodeAgentOptions {
  /** The runtime that runs the pods. */
  runtime: Runtime;
  /** Nodes to register (or take over, when they exist) at start. */
  nodes?: NodeSpecInput[];
  /** Also run every Node created through the API unless annotated `skiff.io/runtime: process`. Default false. */
  adoptNodes?: boolean;
  /** Base Lease renew interval in seconds (the kubelet's 10 s). Default 10. */
  heartbeatSeconds?: number;
  /** Upper bound of Lease writes per second for all nodes together. Default 100. */
  maxLeaseWritesPerSecond?: number;
  /** Pod CIDRs (`/24` per node) come from here. Default `127.128.0.0/9`. */
  clusterCIDR?: string;
  /** Node InternalIPs start here. Default `127.0.1.0/24`. */
  nodeCIDR?: string;
  /** Concurrent pod status / deletion writes. Default 32. */
  podWorkers?: number;
  /** Concurrent node registrations and status writes. Default 16. */
  nodeWorkers?: number;
  /** Host facts for `nodeInfo`; read from the machine by default. */
  host?: HostInfo;
  /** Component name for logs and the `name` of the controller. Default `node-agent`. */
  component?: string;
  /** Port the kubelet server tries first at every node IP (streaming runtimes). Default 0: a free one, shared by the nodes. */
  kubeletPort?: number;
}

interface VirtualNode {
  name: string;
  uid: string;
  internalIP: string;
  podCIDR: string;
  ips: PodIPAllocator;
  nextRenewAt: number;
  nextStatusAt: number;
  leaseExists: boolean;
  renewing: boolean;
}

interface TrackedPod {
  uid: string;
  node: string;
}

/** Reads the machine's OS image, kernel and architecture once. */
export function readHostInfo(): HostInfo {
  let osImage = `${osType()} ${release()}`;
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'));
    if (m?.[1]) osImage = m[1];
  } catch {
    // not Linux, or no os-release: keep the generic name
  }
  const a = arch();
  return { osImage, kernelVersion: release(), architecture: a === 'x64' ? 'amd64' : a === 'ia32' ? '386' : a };
}

/**
 * @example
 * const agent = new NodeAgent(ctx, { runtime: new SimulatedRuntime(), nodes: [{ name: 'node-1' }] });
 * void agent.start(signal);
 * await agent.ready; // node-1 is Ready and holds its Lease
 */
export class NodeAgent implements Controller {
  readonly name: string;
  /** Resolves once every node given at construction is registered, Ready and has a Lease. */
  readonly ready: Promise<void>;

  private readonly runtime: Runtime;
  private readonly log: Logger;
  private readonly nodesInf: SharedInformer<Node>;
  private readonly podsInf: SharedInformer<Pod>;
  private readonly nodesApi: ResourceClient<Node>;
  private readonly podsApi: ResourceClient<Pod>;
  private readonly leasesApi: ResourceClient<Lease>;
  private readonly podCidrs: PodCidrAllocator;
  private readonly nodeIPs: NodeIPAllocator;
  private readonly host: HostInfo;
  private readonly heartbeatSeconds: number;
  private readonly maxLeaseWrites: number;
  private readonly adopt: boolean;

  private readonly managed = new Map<string, VirtualNode>();
  /** Specs of nodes this agent registers (from the options and `addNode`). */
  private readonly wanted = new Map<string, NodeSpecInput>();
  /** Nodes this agent ran that were deleted: their terminating pods are still finished off. */
  private readonly former = new Set<string>();
  private readonly tracked = new Map<string, TrackedPod>();
  private readonly keyByUID = new Map<string, string>();
  private readonly initial: Set<string>;
  private readonly nodeQueue: WorkQueue;
  private readonly podQueue: WorkQueue;
  private readonly leaseQueue: WorkQueue;
  private readonly addWaiters = new Map<string, Array<(err?: unknown) => void>>();
  private resolveReady!: () => void;
  private started = false;
  /** Serves logs, exec and port-forward at every node's InternalIP (streaming runtimes only). */
  private readonly kubelet: KubeletServer | undefined;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly opts: NodeAgentOptions,
  ) {
    this.name = opts.component ?? 'node-agent';
    this.runtime = opts.runtime;
    this.log = ctx.logger(this.name);
    this.nodesInf = ctx.informers.forResource<Node>('', 'v1', 'nodes');
    this.podsInf = ctx.informers.forResource<Pod>('', 'v1', 'pods');
    // Writes carry the kubelet's name, so managedFields show `kubelet` as upstream's do.
    const client = new Client(ctx.client.transport, { fieldManager: KUBELET_FIELD_MANAGER });
    this.nodesApi = client.resource<Node>('', 'v1', 'nodes');
    this.podsApi = client.resource<Pod>('', 'v1', 'pods');
    this.leasesApi = client.resource<Lease>('coordination.k8s.io', 'v1', 'leases');
    this.podCidrs = new PodCidrAllocator(opts.clusterCIDR);
    this.nodeIPs = new NodeIPAllocator(opts.nodeCIDR);
    this.host = opts.host ?? readHostInfo();
    this.heartbeatSeconds = opts.heartbeatSeconds ?? 10;
    this.maxLeaseWrites = opts.maxLeaseWritesPerSecond ?? 100;
    this.adopt = opts.adoptNodes ?? false;
    for (const n of opts.nodes ?? []) this.wanted.set(n.name, n);
    this.initial = new Set(this.wanted.keys());
    // Per-item back-off only: a burst of thousands of first-time writes must not queue behind a global bucket.
    const limiter = (): ItemExponentialFailureRateLimiter => new ItemExponentialFailureRateLimiter(20, 30_000);
    this.nodeQueue = new WorkQueue({ name: `${this.name}-nodes`, rateLimiter: limiter() });
    this.podQueue = new WorkQueue({ name: `${this.name}-pods`, rateLimiter: limiter() });
    this.leaseQueue = new WorkQueue({ name: `${this.name}-leases`, rateLimiter: limiter() });
    this.ready = new Promise((resolve) => (this.resolveReady = resolve));
    if (this.initial.size === 0) this.resolveReady();
    const pods = (ns: string, name: string): Pod | undefined => this.podsInf.indexer.get(`${ns}/${name}`);
    this.kubelet = isStreamingRuntime(this.runtime) ? new KubeletServer({ runtime: this.runtime, pods, port: opts.kubeletPort, logger: ctx.logger(`${this.name}-kubelet`), now: ctx.now }) : undefined;
  }

  /** Names of the nodes this agent currently runs. */
  nodeNames(): string[] {
    return [...this.managed.keys()];
  }

  /** The current Lease renew interval (stretched with the node count). */
  renewIntervalMs(): number {
    return leaseRenewIntervalMs(this.managed.size, this.heartbeatSeconds, this.maxLeaseWrites);
  }

  /**
   * Registers a node (or takes over an existing Node of that name) and resolves
   * once this agent runs it. Rejects when the agent is not started or stops.
   */
  addNode(spec: NodeSpecInput): Promise<void> {
    this.wanted.set(spec.name, spec);
    this.former.delete(spec.name);
    const done = new Promise<void>((resolve, reject) => {
      const list = this.addWaiters.get(spec.name) ?? [];
      list.push((err) => (err ? reject(err) : resolve()));
      this.addWaiters.set(spec.name, list);
    });
    if (this.managed.has(spec.name)) this.settleAdd(spec.name);
    else this.nodeQueue.add(spec.name);
    return done;
  }

  /** Stops running `name` and deletes its Node object (its Lease goes with it through the garbage collector). */
  async removeNode(name: string): Promise<void> {
    this.wanted.delete(name);
    try {
      await this.nodesApi.delete(undefined, name);
    } catch (err) {
      if (!isReason(err, 'NotFound')) throw err;
    }
    this.forgetNode(name);
  }

  async start(signal: AbortSignal): Promise<void> {
    if (this.started) throw new Error(`${this.name} already started`);
    this.started = true;
    await Promise.all([this.nodesInf.synced, this.podsInf.synced]);
    if (signal.aborted) return;
    // Addresses in use anywhere in the cluster (by this agent or another one) are never handed out again.
    const reserve = (n: Node): void => {
      const cidr = podCIDROf(n);
      if (cidr) this.podCidrs.reserve(cidr);
      const ip = internalIPOf(n);
      if (ip) this.nodeIPs.reserve(ip);
    };
    for (const n of this.nodesInf.indexer.list()) reserve(n);
    const unsubNodes = this.nodesInf.addEventHandler({
      onAdd: (n) => {
        reserve(n);
        this.nodeQueue.add(n.metadata?.name ?? '');
      },
      onUpdate: (_o, n) => {
        reserve(n);
        this.nodeQueue.add(n.metadata?.name ?? '');
      },
      onDelete: (o) => this.nodeQueue.add(deletedObject(o).metadata?.name ?? ''),
    });
    for (const name of this.wanted.keys()) this.nodeQueue.add(name);
    const onPod = (p: Pod): void => {
      const key = keyOf(p);
      const node = p.spec?.nodeName;
      if (this.tracked.has(key) || (node && (this.managed.has(node) || this.former.has(node)))) this.podQueue.add(key);
    };
    const unsubPods = this.podsInf.addEventHandler({
      onAdd: onPod,
      onUpdate: (_o, p) => onPod(p),
      onDelete: (o) => onPod(deletedObject(o)),
    });
    const unsubRuntime = this.runtime.onChange((uid) => {
      const key = this.keyByUID.get(uid);
      if (key) this.podQueue.add(key);
    });
    const ticker = setInterval(() => this.tick(), 200);
    ticker.unref();
    try {
      await Promise.all([
        runWorkers(this.nodeQueue, this.opts.nodeWorkers ?? 16, (k) => this.syncNode(k), signal, this.log),
        runWorkers(this.podQueue, this.opts.podWorkers ?? 32, (k) => this.syncPod(k), signal, this.log),
        runWorkers(this.leaseQueue, 8, (k) => this.renewLease(k), signal, this.log),
        this.kubelet?.start(signal),
      ]);
    } finally {
      clearInterval(ticker);
      unsubNodes();
      unsubPods();
      unsubRuntime();
      for (const [name, waiters] of this.addWaiters) for (const w of waiters) w(new Error(`${this.name} stopped before node ${name} was registered`));
      this.addWaiters.clear();
    }
  }

  // ---- nodes ---------------------------------------------------------------

  private facts(v: Pick<VirtualNode, 'internalIP' | 'podCIDR'>): NodeFacts {
    const kubeletPort = this.kubelet?.portFor(v.internalIP) ?? 0;
    return { internalIP: v.internalIP, podCIDR: v.podCIDR, runtimeName: this.runtime.name, runtimeVersion: this.runtime.version, host: this.host, kubeletPort };
  }

  private shouldRun(node: Node): boolean {
    const name = node.metadata?.name ?? '';
    if (node.metadata?.deletionTimestamp) return false;
    if (this.wanted.has(name)) return node.metadata?.annotations?.[RUNTIME_ANNOTATION] !== 'process' || this.runtime.name === 'process';
    const ann = node.metadata?.annotations?.[RUNTIME_ANNOTATION];
    if (ann === this.runtime.name && this.runtime.name !== 'process') return true;
    return this.adopt && shouldAdopt(node);
  }

  private async syncNode(name: string): Promise<void> {
    if (!name) return;
    const node = this.nodesInf.indexer.get(name);
    const v = this.managed.get(name);
    if (!node) {
      if (v) this.forgetNode(name);
      if (this.wanted.has(name)) await this.register(this.wanted.get(name)!);
      return;
    }
    if (v && v.uid !== node.metadata?.uid) this.forgetNode(name); // recreated under the same name
    if (!this.shouldRun(node)) {
      if (this.managed.has(name)) this.forgetNode(name);
      return;
    }
    const cur = this.managed.get(name) ?? this.manage(node);
    if (!podCIDROf(node)) {
      await this.nodesApi.patch(undefined, name, 'merge', { spec: { podCIDR: cur.podCIDR, podCIDRs: [cur.podCIDR] } });
    }
    await this.kubelet?.serve(name, cur.internalIP);
    const now = this.ctx.now();
    if (nodeStatusNeedsUpdate(node, this.facts(cur).kubeletPort) || now >= cur.nextStatusAt) {
      await this.nodesApi.patch(undefined, name, 'merge', { status: nodeStatusFor(node, this.facts(cur), now) }, { subresource: 'status' });
      cur.nextStatusAt = now + this.statusReportMs();
      // A node coming back (after being marked Unknown) renews its Lease at once.
      cur.nextRenewAt = Math.min(cur.nextRenewAt, now);
      return;
    }
    if (cur.leaseExists) this.settleAdd(name);
  }

  private statusReportMs(): number {
    // The kubelet re-posts an unchanged status every 5 minutes; stretched like the Lease.
    return 30 * this.renewIntervalMs();
  }

  /** Starts running an existing Node: adopts its addresses or allocates missing ones. */
  private manage(node: Node): VirtualNode {
    const name = node.metadata?.name ?? '';
    const podCIDR = podCIDROf(node) ?? this.podCidrs.allocate();
    const internalIP = internalIPOf(node) ?? this.nodeIPs.allocate();
    const now = this.ctx.now();
    const v: VirtualNode = {
      name,
      uid: node.metadata?.uid ?? '',
      internalIP,
      podCIDR,
      ips: new PodIPAllocator(podCIDR),
      nextRenewAt: now,
      nextStatusAt: now + this.statusReportMs(),
      leaseExists: false,
      renewing: false,
    };
    this.managed.set(name, v);
    this.former.delete(name);
    this.log.info({ node: name, internalIP, podCIDR }, 'running node');
    for (const key of this.podsInf.indexer.indexKeys('byNodeName', name)) this.podQueue.add(key);
    return v;
  }

  private async register(spec: NodeSpecInput): Promise<void> {
    const podCIDR = this.podCidrs.allocate();
    const internalIP = this.nodeIPs.allocate();
    try {
      await this.kubelet?.serve(spec.name, internalIP);
      await this.nodesApi.create(undefined, newNodeObject(spec, this.facts({ podCIDR, internalIP }), this.ctx.now()));
      this.log.info({ node: spec.name, internalIP, podCIDR }, 'registered node');
    } catch (err) {
      this.podCidrs.release(podCIDR);
      this.nodeIPs.release(internalIP);
      this.kubelet?.unserve(internalIP);
      if (isReason(err, 'AlreadyExists')) return; // the informer brings it and we take it over
      throw err;
    }
    // The informer event for the new Node continues in syncNode, which takes it over.
  }

  /** Stops running `name`: its pods are forgotten by the runtime, its addresses freed. */
  private forgetNode(name: string): void {
    const v = this.managed.get(name);
    if (!v) return;
    this.managed.delete(name);
    this.former.add(name);
    for (const [key, t] of this.tracked) {
      if (t.node !== name) continue;
      this.runtime.forgetPod(t.uid);
      this.tracked.delete(key);
      this.keyByUID.delete(t.uid);
    }
    // The Node is gone (or no longer ours): free its block unless another Node still holds it.
    const stillHeld = (this.nodesInf.indexer.get(name)?.metadata?.uid ?? '') === v.uid;
    if (!stillHeld) {
      this.podCidrs.release(v.podCIDR);
      this.nodeIPs.release(v.internalIP);
    }
    this.kubelet?.unserve(v.internalIP);
    this.log.info({ node: name }, 'stopped running node');
  }

  private settleAdd(name: string): void {
    const waiters = this.addWaiters.get(name);
    if (waiters) {
      this.addWaiters.delete(name);
      for (const w of waiters) w();
    }
    if (this.initial.delete(name) && this.initial.size === 0) this.resolveReady();
  }

  // ---- leases --------------------------------------------------------------

  private tick(): void {
    const now = this.ctx.now();
    const interval = this.renewIntervalMs();
    for (const v of this.managed.values()) {
      if (v.renewing || v.nextRenewAt > now) continue;
      v.renewing = true;
      // Jitter keeps renewals spread evenly over the interval instead of in lockstep; a
      // node's first renewal after creating its Lease lands at a random phase.
      v.nextRenewAt = now + interval * (v.leaseExists ? 0.9 + Math.random() * 0.2 : 0.25 + Math.random() * 0.75);
      this.leaseQueue.add(v.name);
    }
    for (const v of this.managed.values()) if (now >= v.nextStatusAt) this.nodeQueue.add(v.name);
  }

  private async renewLease(name: string): Promise<void> {
    const v = this.managed.get(name);
    if (!v) return;
    const node = this.nodesInf.indexer.get(name);
    if (!node) {
      v.renewing = false;
      return;
    }
    const now = this.ctx.now();
    const duration = leaseDurationSecondsFor(this.renewIntervalMs());
    try {
      if (v.leaseExists) {
        await this.leasesApi.patch(NODE_LEASE_NAMESPACE, name, 'merge', { spec: { holderIdentity: name, leaseDurationSeconds: duration, renewTime: microTime(now) } }, { discardResult: true });
      } else {
        await this.createOrRenewLease(node, duration, now);
      }
      v.leaseExists = true;
      v.renewing = false;
      if (nodeStatusNeedsUpdate(node, this.facts(v).kubeletPort)) this.nodeQueue.add(name);
      else this.settleAdd(name);
    } catch (err) {
      if (isReason(err, 'NotFound')) v.leaseExists = false;
      // Retried by the queue with back-off; `renewing` stays set until it succeeds.
      if (this.managed.get(name) !== v) return;
      throw err;
    }
  }

  private async createOrRenewLease(node: Node, duration: number, now: number): Promise<void> {
    const name = node.metadata?.name ?? '';
    try {
      await this.leasesApi.create(NODE_LEASE_NAMESPACE, nodeLease(node, duration, now));
    } catch (err) {
      if (!isReason(err, 'AlreadyExists')) throw err;
      // A Lease of an earlier Node of this name (or of our previous run): take it over.
      const lease = nodeLease(node, duration, now);
      await this.leasesApi.patch(NODE_LEASE_NAMESPACE, name, 'merge', { metadata: { ownerReferences: lease.metadata?.ownerReferences ?? null }, spec: lease.spec });
    }
  }

  // ---- pods ----------------------------------------------------------------

  private async syncPod(key: string): Promise<void> {
    const pod = this.podsInf.indexer.get(key);
    const t = this.tracked.get(key);
    if (!pod || (t && t.uid !== pod.metadata?.uid)) {
      // Deleted (or replaced by a pod of the same name): release what the old one held.
      if (t) this.untrack(key, t);
      if (!pod) return;
    }
    const uid = pod.metadata?.uid ?? '';
    const nodeName = pod.spec?.nodeName ?? '';
    const v = this.managed.get(nodeName);
    if (!v) {
      // A pod left on a node we ran that was deleted: finish its graceful deletion, like a
      // kubelet that is still up for a moment (the pod GC would otherwise force it).
      if (pod.metadata?.deletionTimestamp && this.former.has(nodeName)) await this.finalDelete(pod);
      return;
    }
    const phase = pod.status?.phase;
    if (pod.metadata?.deletionTimestamp) {
      await this.runtime.stopPod(pod, pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30);
      this.untrack(key, { uid, node: nodeName });
      await this.finalDelete(pod);
      return;
    }
    if (phase === 'Succeeded' || phase === 'Failed') {
      const cur = this.tracked.get(key);
      if (cur) {
        await this.runtime.stopPod(pod, 0);
        this.untrack(key, cur);
      }
      return;
    }
    // A hostNetwork pod shares its node's network: its IP is the node's (upstream reports hostIP).
    const hostNetwork = !!pod.spec?.hostNetwork;
    let podIP: string;
    if (!this.tracked.has(key)) {
      const existing = pod.status?.podIP;
      const adopted = !!existing && phase === 'Running' && !!this.runtime.adoptPod && (hostNetwork || v.ips.reserve(uid, existing));
      const ip = hostNetwork ? v.internalIP : adopted ? existing : v.ips.allocate(uid);
      if (!ip) throw new Error(`no free pod IP left in ${v.podCIDR} on node ${nodeName} for pod ${key}`);
      podIP = ip;
      this.tracked.set(key, { uid, node: nodeName });
      this.keyByUID.set(uid, key);
      const runCtx = { nodeName, podIP, hostIP: v.internalIP };
      if (adopted) this.runtime.adoptPod!(pod, runCtx);
      else await this.runtime.startPod(pod, runCtx);
    } else {
      podIP = hostNetwork ? v.internalIP : v.ips.get(uid) ?? '';
    }
    const rt = this.runtime.podStatus(pod);
    if (!rt) return; // nothing to report yet; the runtime's change event brings us back
    const status = podStatusFor(pod, rt, { podIP, hostIP: v.internalIP }, this.ctx.now());
    if (!statusDiffers(pod.status, status)) return;
    const body = { status: { ...status, message: status.message ?? null, reason: status.reason ?? null, initContainerStatuses: status.initContainerStatuses ?? null } };
    try {
      await this.podsApi.patch(pod.metadata?.namespace, pod.metadata?.name ?? '', 'merge', body, { subresource: 'status', discardResult: true });
    } catch (err) {
      if (isReason(err, 'NotFound')) return;
      throw err;
    }
  }

  private untrack(key: string, t: TrackedPod): void {
    this.runtime.forgetPod(t.uid);
    this.managed.get(t.node)?.ips.release(t.uid);
    this.tracked.delete(key);
    this.keyByUID.delete(t.uid);
  }

  /** The kubelet's last word on a terminated pod: delete now, only if it is still the same pod. */
  private async finalDelete(pod: Pod): Promise<void> {
    const { namespace, name } = splitKey(keyOf(pod));
    try {
      await this.podsApi.delete(namespace, name, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata?.uid } });
    } catch (err) {
      if (isReason(err, 'NotFound') || isReason(err, 'Conflict')) return;
      this.log.warn({ pod: `${namespace}/${name}`, err: errorMessage(err) }, 'could not delete terminated pod');
      throw err;
    }
  }
}
