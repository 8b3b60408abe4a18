/**
 * The process runtime: every container is a real child process tree on this
 * machine, with the environment the kubelet would give it (Service variables,
 * downward API, `POD_IP`), its CRI log file under the node's
 * `/var/log/pods/…`, probes, restart policy with crash-loop back-off, graceful
 * termination (preStop, SIGTERM, SIGKILL after the grace period) and memory
 * limits (OOMKilled). One instance serves every node of an agent; each node's
 * tree lives under `<dataDir>/nodes/<node>/`.
 *
 * Images: the built-in programs (agnhost, pause) run for their images; any
 * image with an explicit `command` runs that command on the host; any other
 * container follows `imageFallback` — `simulate` (Running with no process,
 * said in an `ImageSimulated` event and the pod message) or `fail`
 * (`ErrImageNeverPull` with how to fix it).
 *
 * Restart safety: each process group is recorded in its pod's directory with
 * the identity of the runtime that started it. A new runtime kills the groups
 * whose runtime died (when it is constructed) and any group of a pod it starts
 * or adopts, then starts that pod's containers afresh (restart counts carry
 * over from the API status): processes are never duplicated nor orphaned.
 * `stopAll()` kills everything at shutdown; a process `exit` hook does the
 * same as a last resort.
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ConfigMap, Container, Pod, Secret, Service } from 'kubernetes-types/core/v1.js';
import { isReason } from '../../api/errors.js';
import type { Client } from '../../client/client.js';
import { realClock, type Clock } from '../../client/clock.js';
import { errorMessage, silentLogger, type Logger } from '../../client/logger.js';
import { containerEnv, envReferences, EnvVarError, type ContainerEnv, type PodAddressFacts } from '../envvars.js';
import { resolveBuiltinImage } from '../images/index.js';
import { containerLogDir, containerLogFile, logInstances, pickLogInstance, podLogDir } from '../logs/log-paths.js';
import type { ExecIO, PodRunContext, Runtime, RuntimePodStatus, StreamingRuntime } from '../runtime.js';
import { preparePodVolumes, wrapWithMounts, type ClusterDNS } from '../volumes/index.js';
import { CONTAINER_BACKOFF, type BackoffPolicy } from './backoff.js';
import type { ImageFallback, ImageProgram } from './process-command.js';
import type { ContainerMountPlan } from './process-container.js';
import { ProcessGroup, type GroupSpec } from './process-group.js';
import { nodeRootOf, podDirOf, PodRun, type PodServices, type VolumeBackend } from './process-pod.js';
import { allPodDirs, newRuntimeOwner, readRecords, reapRecord, removeRecord, shouldReap, writeRecord, type ProcessRecord, type RuntimeOwner } from './process-record.js';
import { listProcs, rssByGroup, waitGroupGone } from './process-tree.js';
import { hostPortMappings, openHostPorts, type HostPorts } from './host-ports.js';

/** Options of {@link ProcessRuntime}. */
export interface ProcessRuntimeOptions {
  /** Node trees live under `<dataDir>/nodes/<nodeName>/`. */
  dataDir: string;
  /** Containers with neither a built-in image nor a command: `simulate` (default) or `fail`. */
  imageFallback?: ImageFallback;
  /** Reads ConfigMaps and Secrets for env vars and volumes. Without it, such references fail clearly. */
  client?: Client;
  /** Services of the cluster (all namespaces), e.g. from a shared informer's indexer; for Service env vars. */
  services?: () => Service[];
  /** Records a kubelet Event about a pod (the agent wires it to an EventRecorder). */
  recordEvent?(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string): void;
  /** Clock for back-off, probe periods and timestamps. Default the real clock. */
  clock?: Clock;
  /** Built-in images. Default `resolveBuiltinImage` of `src/node/images`. */
  images?: (image: string) => ImageProgram | undefined;
  /**
   * Volume setup. Default the volumes module (`src/node/volumes`) when a client
   * is given; `false` runs without volume support (pods with volumeMounts then fail to start).
   */
  volumes?: VolumeBackend | false;
  /** Cluster DNS for the pods' resolv.conf (dnsPolicy ClusterFirst). */
  clusterDNS?: ClusterDNS;
  /** Crash-loop back-off. Default 10 s doubling to 5 min. */
  backoff?: BackoffPolicy;
  /** Delay before a container whose configuration failed (missing ConfigMap…), or a pod whose volumes failed, is tried again. Default 10 s. */
  configRetryMs?: number;
  /** Memory sampling period for `limits.memory`. Default 500 ms. */
  memorySampleMs?: number;
  /** Node allocatable for `resourceFieldRef` on unset limits. Default the agent's node capacity. */
  allocatable?: Record<string, string>;
  logger?: Logger;
}

interface MemoryWatch {
  group: ProcessGroup;
  limit: number;
  onExceed: () => void;
}

// Last-resort cleanup: when this process exits without stopAll (process.exit, a crash that
// still runs exit handlers), every live process group of every runtime is killed.
const liveRuntimes = new Set<ProcessRuntime>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const rt of liveRuntimes) rt.killAllNow();
  });
}

/**
 * @example
 * const runtime = new ProcessRuntime({ dataDir, client, services: () => servicesInformer.indexer.list(),
 *   recordEvent: (pod, type, reason, msg) => recorder.event(pod, type, reason, msg) });
 * const agent = new NodeAgent(ctx, { runtime, nodes: [{ name: 'node-1' }] });
 * // … at shutdown:
 * await runtime.stopAll();
 */
export class ProcessRuntime implements Runtime, StreamingRuntime {
  readonly name = 'process';
  readonly version = 'skiff-process://0.1';
  private readonly pods = new Map<string, PodRun>();
  /** Published hostPorts per pod UID. */
  private readonly hostPorts = new Map<string, HostPorts>();
  private readonly listeners = new Set<(uid: string) => void>();
  private readonly groups = new Set<ProcessGroup>();
  /** Live groups by pod directory (containers, exec sessions, exec probes). */
  private readonly podGroups = new Map<string, Set<ProcessGroup>>();
  private readonly memory = new Set<MemoryWatch>();
  private memoryTimer: unknown;
  private readonly owner: RuntimeOwner = newRuntimeOwner();
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly services: PodServices;
  private readonly dataDir: string;
  /** Groups of dead runtimes killed at construction, by pod directory, until they are gone. */
  private readonly reaped = new Map<string, number[]>();
  private stoppedAll = false;

  constructor(private readonly opts: ProcessRuntimeOptions) {
    this.dataDir = opts.dataDir;
    this.clock = opts.clock ?? realClock;
    this.log = opts.logger ?? silentLogger;
    const images = opts.images ?? resolveBuiltinImage;
    const client = opts.client;
    let volumes: VolumeBackend | undefined;
    if (opts.volumes) volumes = opts.volumes;
    else if (opts.volumes === undefined && client) {
      volumes = {
        prepare: (pod, o) => preparePodVolumes(pod, { ...o, client, ...(opts.clusterDNS ? { clusterDNS: opts.clusterDNS } : {}) }),
        wrap: (plan, argv, workingDir) => wrapWithMounts(plan, argv, workingDir ? { workingDir } : {}),
      };
    }
    this.services = {
      clock: this.clock,
      log: this.log,
      backoff: opts.backoff ?? CONTAINER_BACKOFF,
      fallback: opts.imageFallback ?? 'simulate',
      configRetryMs: opts.configRetryMs ?? 10_000,
      volumeRetryMs: opts.configRetryMs ?? 10_000,
      volumeRefreshMs: 60_000,
      volumes,
      image: images,
      buildEnv: (pod, c, addr) => this.buildEnv(pod, c, addr),
      wrap: (plan, argv, wd) => this.wrap(volumes, plan, argv, wd),
      spawn: (podDir, kind, container, spec) => this.spawn(podDir, kind, container, spec),
      watchMemory: (group, limit, onExceed) => this.watchMemory(group, limit, onExceed),
      event: (pod, type, reason, message) => this.event(pod, type, reason, message),
      emit: (uid) => this.emit(uid),
    };
    liveRuntimes.add(this);
    installExitHook();
    this.sweep();
  }

  // ---- Runtime ---------------------------------------------------------------

  async startPod(pod: Pod, ctx: PodRunContext): Promise<void> {
    this.begin(pod, ctx, false);
  }

  adoptPod(pod: Pod, ctx: PodRunContext): void {
    this.begin(pod, ctx, true);
  }

  private begin(pod: Pod, ctx: PodRunContext, adopt: boolean): void {
    const uid = pod.metadata?.uid ?? '';
    const existing = this.pods.get(uid);
    if (existing) {
      existing.update(pod);
      return;
    }
    if (this.stoppedAll) throw new Error(`the process runtime was stopped; pod ${pod.metadata?.namespace}/${pod.metadata?.name} cannot start`);
    const run = new PodRun(pod, ctx, this.dataDir, this.services, adopt ? pod.status : undefined);
    this.pods.set(uid, run);
    run.start(this.takeOver(run.podDir));
    this.publishHostPorts(pod, ctx);
  }

  /** hostPort: node IP:hostPort forwards to the pod (see host-ports.ts). */
  private publishHostPorts(pod: Pod, ctx: PodRunContext): void {
    const uid = pod.metadata?.uid ?? '';
    const mappings = hostPortMappings(pod, ctx.hostIP, ctx.podIP);
    if (!mappings.length) return;
    void openHostPorts(mappings).then((ports) => {
      // The pod may have stopped while the ports opened.
      if (!this.pods.has(uid)) return ports.close();
      this.hostPorts.set(uid, ports);
      for (const f of ports.failed) this.event(pod, 'Warning', 'HostPortUnavailable', `hostPort ${f.mapping.hostPort}/${f.mapping.protocol} not published: ${f.reason}`);
    });
  }

  private closeHostPorts(uid: string): void {
    this.hostPorts.get(uid)?.close();
    this.hostPorts.delete(uid);
  }

  async stopPod(pod: Pod, gracePeriodSeconds: number): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    const run = this.pods.get(uid);
    if (run) {
      run.update(pod);
      await run.stop(gracePeriodSeconds);
      this.closeHostPorts(uid);
      // Exec sessions and exec probes of the pod end with it.
      await this.killPodGroups(run.podDir);
    }
    if (pod.metadata?.deletionTimestamp) await this.removePodFiles(pod, run);
  }

  forgetPod(uid: string): void {
    const run = this.pods.get(uid);
    if (!run) return;
    this.pods.delete(uid);
    this.closeHostPorts(uid);
    // A pod forgotten without being stopped (its node went away) must not keep running,
    // nor restart later from a pending back-off.
    void run.stop(0).then(() => this.killPodGroups(run.podDir));
  }

  podStatus(pod: Pod): RuntimePodStatus | undefined {
    const run = this.pods.get(pod.metadata?.uid ?? '');
    if (!run) return undefined;
    run.update(pod);
    return run.status();
  }

  onChange(listener: (uid: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- StreamingRuntime ------------------------------------------------------

  containerLogPath(pod: Pod, container: string, previous: boolean): string | undefined {
    const nodeName = pod.spec?.nodeName;
    const m = pod.metadata ?? {};
    if (!nodeName || !m.uid) return undefined;
    const ref = { namespace: m.namespace ?? 'default', name: m.name ?? '', uid: m.uid };
    const root = nodeRootOf(this.dataDir, nodeName);
    const n = pickLogInstance(logInstances(containerLogDir(root, ref, container)), previous);
    return n === undefined ? undefined : containerLogFile(root, ref, container, n);
  }

  async exec(pod: Pod, container: string, command: string[], io: ExecIO): Promise<number> {
    const name = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
    const run = this.pods.get(pod.metadata?.uid ?? '');
    const c = run && [...run.apps, ...run.inits].find((x) => x.name === container);
    if (!run || !c) throw new Error(`container not found ("${container}") in pod ${name}`);
    if (command.length === 0) throw new Error('no command given to exec: add the command after --');
    const spec = c.execSpec(command, io.tty ? { TERM: 'xterm' } : {});
    if ('error' in spec) throw new Error(spec.error);
    const group = await this.spawn(run.podDir, 'exec', container, { ...spec, stdin: !!io.stdin });
    const kill = (): void => group.signal('SIGKILL');
    if (io.signal.aborted) kill();
    io.signal.addEventListener('abort', kill, { once: true });
    const forward = (from: NodeJS.ReadableStream, to: NodeJS.WritableStream | undefined): void => {
      from.on('data', (b: Buffer) => to?.write(b));
    };
    forward(group.stdout, io.stdout);
    // Without a pty, a terminal session still shows stderr in the one stream it has.
    forward(group.stderr, io.tty ? io.stdout : io.stderr);
    if (io.stdin && group.stdin) {
      const stdin = group.stdin;
      stdin.on('error', () => {}); // the command may exit before reading everything
      io.stdin.on('data', (b: Buffer) => stdin.write(b));
      io.stdin.on('end', () => stdin.end());
    }
    try {
      const exit = await group.exited;
      return exit.exitCode;
    } finally {
      io.signal.removeEventListener('abort', kill);
    }
  }

  // ---- shutdown --------------------------------------------------------------

  /**
   * Kills every process this runtime started (containers, exec sessions,
   * probes) and resolves once all are gone. The runtime accepts no pods afterwards.
   */
  async stopAll(): Promise<void> {
    this.stoppedAll = true;
    const runs = [...this.pods.values()];
    await Promise.all(runs.map((r) => r.stop(0)));
    for (const uid of [...this.hostPorts.keys()]) this.closeHostPorts(uid);
    for (const g of this.groups) g.signal('SIGKILL');
    await Promise.all([...this.groups].map((g) => g.exited));
    if (this.memoryTimer !== undefined) this.clock.clearTimeout(this.memoryTimer);
    this.memoryTimer = undefined;
    liveRuntimes.delete(this);
  }

  /** Synchronous SIGKILL of every live group (the process `exit` hook). */
  killAllNow(): void {
    for (const g of this.groups) g.signal('SIGKILL');
  }

  /** Number of pods the runtime holds. */
  size(): number {
    return this.pods.size;
  }

  // ---- internals -------------------------------------------------------------

  private emit(uid: string): void {
    for (const l of this.listeners) l(uid);
  }

  private event(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string): void {
    try {
      this.opts.recordEvent?.(pod, type, reason, message);
    } catch (err) {
      this.log.warn({ reason, err: errorMessage(err) }, 'recording an event failed');
    }
  }

  /** Kills the groups of runtimes that are gone (at construction: before any pod starts). */
  private sweep(): void {
    for (const podDir of allPodDirs(this.dataDir)) {
      const killed: number[] = [];
      for (const { rec } of readRecords(podDir)) {
        if (!shouldReap(rec, this.owner, false)) continue;
        const pgid = reapRecord(rec, listProcs);
        if (pgid !== undefined) killed.push(pgid);
        this.log.info({ podDir, pid: rec.pid, container: rec.container }, 'killed a process left by an earlier runtime');
        removeRecord(podDir, rec);
      }
      if (killed.length) this.reaped.set(podDir, killed);
    }
  }

  /** Kills whatever another runtime left of this pod and resolves when it is gone. */
  private async takeOver(podDir: string): Promise<void> {
    const pgids = this.reaped.get(podDir) ?? [];
    this.reaped.delete(podDir);
    for (const { rec } of readRecords(podDir)) {
      if (!shouldReap(rec, this.owner, true)) continue;
      const pgid = reapRecord(rec, listProcs);
      if (pgid !== undefined) pgids.push(pgid);
      removeRecord(podDir, rec);
    }
    await Promise.all(pgids.map((g) => waitGroupGone(g, 5_000)));
  }

  private async spawn(podDir: string, kind: 'container' | 'exec', container: string, spec: GroupSpec): Promise<ProcessGroup> {
    const group = await ProcessGroup.start(spec);
    const rec: ProcessRecord = { kind, podUID: podDir.split('/').pop() ?? '', container, pid: group.pid, startTicks: group.startTicks, owner: this.owner };
    try {
      writeRecord(podDir, rec);
    } catch (err) {
      this.log.warn({ podDir, err: errorMessage(err) }, 'cannot record a process for restart safety');
    }
    this.groups.add(group);
    let set = this.podGroups.get(podDir);
    if (!set) this.podGroups.set(podDir, (set = new Set()));
    set.add(group);
    void group.exited.then(() => {
      this.groups.delete(group);
      set.delete(group);
      if (set.size === 0 && this.podGroups.get(podDir) === set) this.podGroups.delete(podDir);
      removeRecord(podDir, rec);
    });
    return group;
  }

  /** Kills whatever still runs for a pod directory and waits until it is gone. */
  private async killPodGroups(podDir: string): Promise<void> {
    const set = this.podGroups.get(podDir);
    if (!set) return;
    for (const g of set) g.signal('SIGKILL');
    await Promise.all([...set].map((g) => g.exited));
  }

  private wrap(volumes: VolumeBackend | undefined, plan: ContainerMountPlan | undefined, argv: string[], workingDir: string | undefined): { argv: string[]; namespaced: boolean } | { error: string } {
    if (!plan || !volumes) return { argv, namespaced: false };
    const r = volumes.wrap(plan, argv, workingDir);
    if ('error' in r) return r;
    return { argv: r.argv, namespaced: r.argv !== argv };
  }

  private async buildEnv(pod: Pod, container: Container, addr: PodAddressFacts): Promise<ContainerEnv> {
    const ns = pod.metadata?.namespace ?? 'default';
    const refs = envReferences(container);
    const client = this.opts.client;
    const fetch = async <T>(resource: string, kind: string, names: string[]): Promise<Map<string, T | undefined>> => {
      const out = new Map<string, T | undefined>();
      for (const name of names) {
        if (!client) throw new EnvVarError(`couldn't get ${kind} ${ns}/${name}, no kubeClient defined`);
        try {
          out.set(name, (await client.resource<T & { metadata?: object }>('', 'v1', resource).get(ns, name)) as T);
        } catch (err) {
          if (isReason(err, 'NotFound')) out.set(name, undefined);
          else throw new EnvVarError(`couldn't get ${kind} ${ns}/${name}: ${errorMessage(err)}`);
        }
      }
      return out;
    };
    const [configMaps, secrets] = await Promise.all([fetch<ConfigMap>('configmaps', 'configMap', refs.configMaps), fetch<Secret>('secrets', 'secret', refs.secrets)]);
    return containerEnv(pod, container, {
      ...addr,
      services: this.opts.services?.() ?? [],
      sources: { configMaps, secrets },
      ...(this.opts.allocatable ? { allocatable: this.opts.allocatable } : {}),
    });
  }

  private watchMemory(group: ProcessGroup, limit: number, onExceed: () => void): () => void {
    const w: MemoryWatch = { group, limit, onExceed };
    this.memory.add(w);
    if (this.memoryTimer === undefined) this.scheduleMemory();
    return () => this.memory.delete(w);
  }

  /** One `/proc` pass per period for every watched group (cgroup limits would replace this sampling). */
  private scheduleMemory(): void {
    this.memoryTimer = this.clock.setTimeout(() => {
      this.memoryTimer = undefined;
      if (this.memory.size === 0) return;
      const usage = rssByGroup(listProcs(), new Set([...this.memory].map((w) => w.group.pid)));
      for (const w of this.memory) if ((usage.get(w.group.pid) ?? 0) > w.limit) w.onExceed();
      this.scheduleMemory();
    }, this.opts.memorySampleMs ?? 500);
  }

  /** After a deletion: the pod's volumes, directory, logs and log links go. */
  private async removePodFiles(pod: Pod, run: PodRun | undefined): Promise<void> {
    const nodeName = pod.spec?.nodeName;
    const m = pod.metadata ?? {};
    if (!nodeName || !m.uid) return;
    await run?.cleanupVolumes();
    const root = nodeRootOf(this.dataDir, nodeName);
    const ref = { namespace: m.namespace ?? 'default', name: m.name ?? '', uid: m.uid };
    try {
      rmSync(podDirOf(root, m.uid), { recursive: true, force: true });
      rmSync(podLogDir(root, ref), { recursive: true, force: true });
      const links = join(root, 'var', 'log', 'containers');
      for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
        const prefix = `${ref.name}_${ref.namespace}_${c.name}-`;
        for (const f of safeList(links)) if (f.startsWith(prefix)) rmSync(join(links, f), { force: true });
      }
    } catch (err) {
      this.log.warn({ pod: `${ref.namespace}/${ref.name}`, err: errorMessage(err) }, 'cannot remove pod files');
    }
  }
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
