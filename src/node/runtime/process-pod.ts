/**
 * One pod of the process runtime (the kubelet's pod worker for one pod):
 * prepares the pod's directory and volumes, runs the init containers one
 * after another to completion (sidecars — init containers with
 * `restartPolicy: Always` — keep running once started), then runs the app
 * containers under the pod's restart policy, and reports the phase once no
 * container will run again. Stopping stops every container in parallel and
 * resolves when none of the pod's processes is left.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerStatus, Pod, PodStatus } from 'kubernetes-types/core/v1.js';
import { errorMessage } from '../../client/logger.js';
import type { PodAddressFacts } from '../envvars.js';
import { podLogDir, type PodLogRef } from '../logs/log-paths.js';
import { apiTime } from '../pod-status.js';
import type { PodRunContext, RuntimePodStatus } from '../runtime.js';
import { ContainerRun, type ContainerMountPlan, type ContainerPod, type ContainerServices, type RestartPolicy } from './process-container.js';

/** A pod's prepared volumes (the volumes module's `PodVolumes`). */
export interface PodVolumeSet {
  planFor(containerName: string): ContainerMountPlan;
  refresh(): Promise<void>;
  cleanup(): Promise<void>;
  readonly events?: ReadonlyArray<{ type: 'Normal' | 'Warning'; reason: string; message: string }>;
}

/** How a runtime sets up pod volumes (the volumes module, or a stand-in in tests). */
export interface VolumeBackend {
  prepare(pod: Pod, opts: { podDir: string; nodeRoot: string; podIP: string }): Promise<PodVolumeSet>;
  wrap(plan: ContainerMountPlan, argv: string[], workingDir: string | undefined): { argv: string[] } | { error: string };
}

/** What a pod needs from the runtime beyond what its containers need. */
export interface PodServices extends ContainerServices {
  /** Volume setup; undefined when the runtime handles no volumes (pods with volumes then fail to start). */
  volumes: VolumeBackend | undefined;
  /** Retry delay of a failed volume setup (the kubelet retries with back-off). */
  volumeRetryMs: number;
  /** How often ConfigMap/Secret/downward API volumes are refreshed (the kubelet's sync period, 1 min). */
  volumeRefreshMs: number;
  /** Tells the agent that the pod's status changed. */
  emit(uid: string): void;
}

/** Where a node keeps its tree and a pod its directory. */
export function nodeRootOf(dataDir: string, nodeName: string): string {
  return join(dataDir, 'nodes', nodeName);
}

/** `<nodeRoot>/var/lib/kubelet/pods/<uid>`, the kubelet's pod directory. */
export function podDirOf(nodeRoot: string, uid: string): string {
  return join(nodeRoot, 'var', 'lib', 'kubelet', 'pods', uid);
}

/** The pod restart policy, `Always` by default. */
export function restartPolicyOf(pod: Pod): RestartPolicy {
  const p = pod.spec?.restartPolicy;
  return p === 'Never' || p === 'OnFailure' ? p : 'Always';
}

function ran(s: ContainerStatus | undefined): boolean {
  return !!(s?.state?.running || s?.state?.terminated || s?.lastState?.terminated);
}

/**
 * @example
 * const run = new PodRun(pod, ctx, dataDir, services);
 * run.start(Promise.resolve());
 * run.status(); // RuntimePodStatus
 * await run.stop(30);
 */
export class PodRun implements ContainerPod {
  readonly uid: string;
  readonly podDir: string;
  readonly nodeRoot: string;
  readonly logRef: PodLogRef;
  readonly addr: PodAddressFacts;
  readonly inits: ContainerRun[];
  readonly apps: ContainerRun[];
  private current: Pod;
  private acceptedAt: number;
  private sandboxReady = false;
  private terminalPhase: 'Succeeded' | 'Failed' | undefined;
  private volumes: PodVolumeSet | undefined;
  private volumeMessage: string | undefined;
  private stopping = false;
  private readonly stopSignal = new AbortController();
  private done: Promise<void> = Promise.resolve();
  private readonly sidecarRuns: Promise<unknown>[] = [];
  private refreshTimer: unknown;

  constructor(
    pod: Pod,
    ctx: PodRunContext,
    dataDir: string,
    private readonly svc: PodServices,
    adopted?: PodStatus,
  ) {
    this.current = pod;
    const m = pod.metadata ?? {};
    this.uid = m.uid ?? '';
    this.nodeRoot = nodeRootOf(dataDir, ctx.nodeName);
    this.podDir = podDirOf(this.nodeRoot, this.uid);
    this.logRef = { namespace: m.namespace ?? 'default', name: m.name ?? '', uid: this.uid };
    // hostNetwork pods share the node's network: their address is the node's.
    const podIP = pod.spec?.hostNetwork ? ctx.hostIP : ctx.podIP;
    this.addr = { podIP, podIPs: [podIP], hostIP: ctx.hostIP, hostIPs: [ctx.hostIP] };
    this.acceptedAt = (adopted?.startTime && Date.parse(adopted.startTime)) || svc.clock.now();
    const hasInit = (pod.spec?.initContainers?.length ?? 0) > 0;
    this.inits = (pod.spec?.initContainers ?? []).map((c) => new ContainerRun(c, c.restartPolicy === 'Always' ? 'sidecar' : 'init', this, svc, 'PodInitializing'));
    this.apps = (pod.spec?.containers ?? []).map((c) => new ContainerRun(c, 'app', this, svc, hasInit ? 'PodInitializing' : 'ContainerCreating'));
    if (adopted) this.restore(adopted);
  }

  /** Carries restart counts and completed init containers over from the API status of an earlier runtime. */
  private restore(status: PodStatus): void {
    const restoreOne = (c: ContainerRun, s: ContainerStatus | undefined): void => {
      if (!s) return;
      if (c.kind === 'init' && s.state?.terminated?.exitCode === 0) return c.restoreCompleted(s);
      // The process of the earlier runtime was killed: the next instance is a restart.
      const lost = s.state?.running ? { exitCode: 137, reason: 'Error', message: 'The container was restarted because the node agent restarted and could not re-attach to its process', startedAt: s.state.running.startedAt, finishedAt: apiTime(this.svc.clock.now()), containerID: s.containerID } : s.state?.terminated ?? s.lastState?.terminated;
      c.restore((s.restartCount ?? 0) + (ran(s) ? 1 : 0), lost);
    };
    for (const c of this.inits) restoreOne(c, status.initContainerStatuses?.find((s) => s.name === c.name));
    for (const c of this.apps) restoreOne(c, status.containerStatuses?.find((s) => s.name === c.name));
  }

  /** The latest pod object (labels and annotations for the downward API, grace periods). */
  pod(): Pod {
    return this.current;
  }

  /** Takes a newer version of the pod object. */
  update(pod: Pod): void {
    if (pod.metadata?.uid === this.uid) this.current = pod;
  }

  changed(): void {
    this.svc.emit(this.uid);
  }

  mountPlan(container: string): ContainerMountPlan | undefined {
    if (this.volumes) return this.volumes.planFor(container);
    const spec = [...(this.current.spec?.initContainers ?? []), ...(this.current.spec?.containers ?? [])].find((c) => c.name === container);
    if (spec?.volumeMounts?.length) throw new Error(`container "${container}" has volumeMounts but this runtime has no volume support configured (it needs an API client): remove the volumeMounts or run the agent with a client`);
    return undefined;
  }

  /** Starts the pod's life once `leftovers` (processes of an earlier runtime) are gone. */
  start(leftovers: Promise<unknown>): void {
    this.done = this.run(leftovers).catch((err: unknown) => {
      this.svc.log.error({ pod: `${this.logRef.namespace}/${this.logRef.name}`, err: errorMessage(err) }, 'pod worker failed');
    });
  }

  private async run(leftovers: Promise<unknown>): Promise<void> {
    await leftovers;
    mkdirSync(this.podDir, { recursive: true });
    mkdirSync(podLogDir(this.nodeRoot, this.logRef), { recursive: true });
    if (!(await this.prepareVolumes())) return;
    this.sandboxReady = true;
    this.changed();
    const policy = restartPolicyOf(this.current);

    for (const c of this.inits) {
      if (this.stopping) return;
      if (c.kind === 'init' && c.state.terminated?.exitCode === 0) continue; // completed before a restart of skiff
      if (c.kind === 'sidecar') {
        this.sidecarRuns.push(c.supervise('Always'));
        await c.startedOnce;
        continue;
      }
      const end = await c.supervise(policy === 'Never' ? 'Never' : 'OnFailure');
      if (this.stopping) return;
      if (!end || end.exitCode !== 0) {
        this.terminalPhase = 'Failed';
        await this.stopSidecars();
        this.changed();
        return;
      }
    }
    if (this.stopping) return;
    const ends = await Promise.all(this.apps.map((c) => c.supervise(policy)));
    if (this.stopping) return;
    // No app container will run again (restartPolicy Never/OnFailure): the pod is done.
    this.terminalPhase = ends.every((e) => e?.exitCode === 0) ? 'Succeeded' : 'Failed';
    await this.stopSidecars();
    this.changed();
  }

  private async prepareVolumes(): Promise<boolean> {
    const backend = this.svc.volumes;
    if (!backend) return true;
    for (;;) {
      if (this.stopping) return false;
      try {
        this.volumes = await backend.prepare(this.current, { podDir: this.podDir, nodeRoot: this.nodeRoot, podIP: this.addr.podIP });
        this.volumeMessage = undefined;
        for (const e of this.volumes.events ?? []) this.svc.event(this.current, e.type, e.reason, e.message);
        this.scheduleRefresh();
        return true;
      } catch (err) {
        const reason = (err as { reason?: string }).reason ?? 'FailedMount';
        this.volumeMessage = errorMessage(err);
        this.svc.event(this.current, 'Warning', reason, this.volumeMessage);
        this.changed();
        await new Promise<void>((r) => {
          const h = this.svc.clock.setTimeout(r, this.svc.volumeRetryMs);
          this.stopSignal.signal.addEventListener('abort', () => (this.svc.clock.clearTimeout(h), r()), { once: true });
        });
      }
    }
  }

  private scheduleRefresh(): void {
    this.refreshTimer = this.svc.clock.setTimeout(() => {
      if (this.stopping || !this.volumes) return;
      this.volumes.refresh().then(
        () => this.scheduleRefresh(),
        (err: unknown) => {
          this.svc.event(this.current, 'Warning', (err as { reason?: string }).reason ?? 'FailedMount', errorMessage(err));
          this.scheduleRefresh();
        },
      );
    }, this.svc.volumeRefreshMs);
  }

  private async stopSidecars(): Promise<void> {
    const grace = this.current.spec?.terminationGracePeriodSeconds ?? 30;
    await Promise.all(this.inits.filter((c) => c.kind === 'sidecar').map((c) => c.stop(grace)));
  }

  /** Stops every container with `graceSeconds`; resolves once none of the pod's processes runs. */
  async stop(graceSeconds: number): Promise<void> {
    this.stopping = true;
    this.stopSignal.abort();
    if (this.refreshTimer !== undefined) this.svc.clock.clearTimeout(this.refreshTimer);
    await Promise.all([...this.inits, ...this.apps].map((c) => c.stop(graceSeconds)));
    await Promise.all(this.sidecarRuns);
    await this.done;
  }

  /** Removes what the pod left on the node: volumes, then its directory. Its log files go with the caller. */
  async cleanupVolumes(): Promise<void> {
    await this.volumes?.cleanup().catch((err: unknown) => this.svc.log.warn({ pod: this.uid, err: errorMessage(err) }, 'volume cleanup failed'));
  }

  /** The runtime view the agent turns into the pod's status. */
  status(): RuntimePodStatus {
    const s: RuntimePodStatus = {
      startTime: apiTime(this.acceptedAt),
      sandboxReady: this.sandboxReady,
      containerStatuses: this.apps.map((c) => c.status()),
    };
    if (this.inits.length) s.initContainerStatuses = this.inits.map((c) => c.status());
    if (this.terminalPhase) s.terminalPhase = this.terminalPhase;
    const simulated = [...this.inits, ...this.apps].filter((c) => c.simulated);
    if (simulated.length) s.message = simulated.map((c) => `container "${c.name}": ${c.simulatedMessage ?? ''}`).join(' ');
    else if (this.volumeMessage) s.message = this.volumeMessage;
    return s;
  }
}
