/**
 * One container of a process pod over its whole life (the kubelet's
 * per-container part of `SyncPod`): start an instance (environment, command,
 * mounts, log file, `postStart`), watch it (probes, memory limit), and when it
 * exits decide — by restart policy and crash-loop back-off — whether and when
 * the next instance starts. Its status is the API `ContainerStatus` the agent
 * publishes. Stopping runs `preStop`, sends SIGTERM to the container's main
 * process and SIGKILL to its whole process group after the grace period.
 */
import { createHash } from 'node:crypto';
import { closeSync, createWriteStream, existsSync, mkdirSync, openSync, rmSync, symlinkSync, type WriteStream } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import type { Container, ContainerState, ContainerStateTerminated, ContainerStatus, LifecycleHandler, Pod } from 'kubernetes-types/core/v1.js';
import type { Clock } from '../../client/clock.js';
import { errorMessage, type Logger } from '../../client/logger.js';
import { lookupIn } from '../expansion.js';
import { EnvVarError, type ContainerEnv, type PodAddressFacts } from '../envvars.js';
import { containerLogFile, containerLogLink, logInstances, type PodLogRef } from '../logs/log-paths.js';
import { CriLogWriter } from '../logs/cri-log-writer.js';
import { KUBELET_VERSION } from '../node-object.js';
import { apiTime } from '../pod-status.js';
import { runAction, type ExecOutcome, type HandlerTarget, type ProbeOutcome } from '../probes/handlers.js';
import type { ProbeKind } from '../probes/thresholds.js';
import { ProbeWorker } from '../probes/worker.js';
import { parseQuantity } from '../../api/quantity.js';
import { backoffRemainingMs, crashLoopMessage, formatPod, nextBackoff, type BackoffEntry, type BackoffPolicy } from './backoff.js';
import { mapImageBinary, resolveCommand, type ImageFallback, type ImageProgram } from './process-command.js';
import { ProcessGroup, StartError, type GroupSpec } from './process-group.js';
import { simulatedImageID } from './simulated.js';

/** A bind mount of a container (the volumes module's `Mount`). */
export interface ContainerMount {
  source: string;
  target: string;
  readOnly: boolean;
}

/** A container's mounts (the volumes module's `MountPlan`). */
export interface ContainerMountPlan {
  mounts: ContainerMount[];
  etcHosts?: string;
  resolvConf?: string;
  scratchDir?: string;
}

/** Restart policy of a container (the pod's, or `Always` for sidecars). */
export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

/** What a container needs from the runtime (implemented by `ProcessRuntime`). */
export interface ContainerServices {
  clock: Clock;
  log: Logger;
  backoff: BackoffPolicy;
  fallback: ImageFallback;
  /** Delay before retrying a container whose configuration could not be built. */
  configRetryMs: number;
  image(ref: string): ImageProgram | undefined;
  buildEnv(pod: Pod, container: Container, addr: PodAddressFacts): Promise<ContainerEnv>;
  /**
   * Wraps `argv` to run with the plan's mounts; inside a mount namespace
   * (`namespaced`) the wrapper enters `workingDir` after mounting.
   */
  wrap(plan: ContainerMountPlan | undefined, argv: string[], workingDir: string | undefined): { argv: string[]; namespaced: boolean } | { error: string };
  /** Starts a process group and records it for restart safety; the record goes when it ends. */
  spawn(podDir: string, kind: 'container' | 'exec', container: string, spec: GroupSpec): Promise<ProcessGroup>;
  /** Calls `onExceed` when the group's resident memory exceeds `limitBytes`; returns a cancel function. */
  watchMemory(group: ProcessGroup, limitBytes: number, onExceed: () => void): () => void;
  event(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

/** What a container needs from its pod (implemented by `PodRun`). */
export interface ContainerPod {
  readonly uid: string;
  readonly podDir: string;
  readonly nodeRoot: string;
  readonly logRef: PodLogRef;
  readonly addr: PodAddressFacts;
  /** The latest pod object. */
  pod(): Pod;
  /** The container's mounts, or undefined when volumes are not handled. Throws a VolumeError-like error. */
  mountPlan(container: string): ContainerMountPlan | undefined;
  /** Something changed that the agent should publish. */
  changed(): void;
}

/** How an instance ended: the terminated state (restart decisions use its exit code). */
export type InstanceEnd = ContainerStateTerminated;

/** What a launched instance runs with; exec sessions and exec probes reuse it. */
interface LaunchContext {
  env: Record<string, string>;
  /** Host cwd for spawn. */
  cwd: string;
  workingDir?: string;
  plan?: ContainerMountPlan;
  image?: ImageProgram;
}

/** What starting an instance comes to: a launch, a Waiting reason (retried or not), or a simulated container. */
type Launch =
  | { kind: 'launch'; ctx: LaunchContext; argv: string[] }
  | { kind: 'wait'; reason: string; message: string; retry: boolean }
  | { kind: 'simulate'; message: string };

/** Whether a container that ended with `exitCode` restarts under `policy` (upstream `ShouldContainerBeRestarted`). */
export function shouldRestart(policy: RestartPolicy, exitCode: number): boolean {
  return policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0);
}

/** The terminated reason the kubelet reports for an exit. */
export function terminatedReason(exitCode: number, oomKilled: boolean): string {
  if (oomKilled) return 'OOMKilled';
  return exitCode === 0 ? 'Completed' : 'Error';
}

/** The host PATH given to containers (a container image would bring its own). */
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Sleeps `ms` on `clock`, resolving early when `signal` aborts. */
function sleepOn(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const h = clock.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clock.clearTimeout(h);
      resolve();
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * One container's supervisor.
 *
 * @example
 * const c = new ContainerRun(spec, 'app', podRun, services);
 * const end = await c.supervise('OnFailure'); // resolves once the container will not run again
 */
export class ContainerRun {
  readonly name: string;
  restartCount = 0;
  state: ContainerState;
  lastTerminated: ContainerStateTerminated | undefined;
  containerID: string | undefined;
  ready = false;
  started = false;
  /** Running with no process (image fallback `simulate`). */
  simulated = false;
  /** The simulated-container explanation, for the pod message. */
  simulatedMessage: string | undefined;

  private group: ProcessGroup | undefined;
  private launch: LaunchContext | undefined;
  private backoff: BackoffEntry | undefined;
  private stopping = false;
  private readonly stopSignal = new AbortController();
  private probes: ProbeWorker[] = [];
  private instances = 0;
  private oomKilled = false;
  /** When the last instance ended, in ms (API times have only seconds). */
  private lastExitMs = 0;
  private killing: Promise<void> | undefined;
  private resolveStarted!: () => void;
  /** Resolves when the container first counts as started, or when it is stopped. */
  readonly startedOnce: Promise<void>;

  constructor(
    readonly spec: Container,
    readonly kind: 'init' | 'sidecar' | 'app',
    private readonly pod: ContainerPod,
    private readonly svc: ContainerServices,
    waitingReason = 'ContainerCreating',
  ) {
    this.name = spec.name;
    this.state = { waiting: { reason: waitingReason } };
    this.startedOnce = new Promise((r) => (this.resolveStarted = r));
  }

  /**
   * Takes over the counters of an earlier runtime's container (after a restart
   * of skiff): its restart count, and its last termination.
   */
  restore(restartCount: number, lastTerminated: ContainerStateTerminated | undefined): void {
    this.restartCount = restartCount;
    this.instances = restartCount;
    this.lastTerminated = lastTerminated;
  }

  /** Marks an init container as already completed (adopted from the API status). */
  restoreCompleted(status: ContainerStatus): void {
    this.restartCount = status.restartCount ?? 0;
    this.instances = this.restartCount + 1;
    this.containerID = status.containerID;
    this.state = { terminated: status.state!.terminated! };
    this.lastTerminated = status.lastState?.terminated;
    this.ready = true;
  }

  /** The API status of this container. */
  status(): ContainerStatus {
    const image = this.spec.image ?? '';
    const s: ContainerStatus = {
      name: this.name,
      image,
      imageID: this.containerID ? simulatedImageID(image) : '',
      ready: this.ready,
      restartCount: this.restartCount,
      started: this.started,
      state: this.state,
      lastState: this.lastTerminated ? { terminated: this.lastTerminated } : {},
    };
    if (this.containerID) s.containerID = this.containerID;
    return s;
  }

  /** Whether a process of this container runs now. */
  get running(): boolean {
    return !!this.group?.running;
  }

  /**
   * Runs instances until the container will not run again under `policy`
   * (or is stopped); resolves with the last termination, or undefined when
   * stopped or never run.
   */
  async supervise(policy: RestartPolicy): Promise<InstanceEnd | undefined> {
    for (;;) {
      if (this.stopping) return undefined;
      const r = await this.runInstance();
      if (this.stopping) return r === 'retry' || r === 'parked' ? undefined : r;
      if (r === 'retry') {
        await sleepOn(this.svc.clock, this.svc.configRetryMs, this.stopSignal.signal);
        continue;
      }
      if (r === 'parked') {
        // Simulated, or not runnable: nothing changes until the pod stops.
        await new Promise<void>((res) => (this.stopSignal.signal.aborted ? res() : this.stopSignal.signal.addEventListener('abort', () => res(), { once: true })));
        return undefined;
      }
      if (!shouldRestart(policy, r.exitCode)) return r;
      await this.waitBackoff(this.lastExitMs);
    }
  }

  /** Upstream `doBackOff`: the first restart is immediate; a quick second exit waits in CrashLoopBackOff. */
  private async waitBackoff(finishedAt: number): Promise<void> {
    const finished = Math.min(finishedAt, this.svc.clock.now());
    for (;;) {
      if (this.stopping) return;
      const remaining = backoffRemainingMs(this.backoff, finished, this.svc.clock.now(), this.svc.backoff);
      if (remaining <= 0) {
        this.backoff = nextBackoff(this.backoff, finished, this.svc.backoff);
        return;
      }
      const pod = this.pod.pod();
      this.setState({ waiting: { reason: 'CrashLoopBackOff', message: crashLoopMessage(this.backoff!.delayMs, this.name, pod) } });
      this.pod.changed();
      this.svc.event(pod, 'Warning', 'BackOff', `Back-off restarting failed container ${this.name} in pod ${formatPod(pod)}`);
      await sleepOn(this.svc.clock, remaining, this.stopSignal.signal);
    }
  }

  /** Resolves the environment, command, mounts and working directory, or says why it cannot. */
  private async prepareLaunch(): Promise<Launch> {
    const pod = this.pod.pod();
    let env: ContainerEnv;
    try {
      env = await this.svc.buildEnv(pod, this.spec, this.pod.addr);
    } catch (err) {
      const message = errorMessage(err);
      return { kind: 'wait', reason: err instanceof EnvVarError ? err.reason : 'CreateContainerConfigError', message, retry: true };
    }
    for (const w of env.warnings) this.svc.event(pod, 'Warning', w.reason, w.message);
    const image = this.svc.image(this.spec.image ?? '');
    const lookup = lookupIn(new Map(env.env.map((e) => [e.name, e.value])));
    const plan = resolveCommand(this.spec, image, lookup, this.svc.fallback);
    if (plan.kind === 'fail') return { kind: 'wait', reason: plan.reason, message: plan.message, retry: false };
    if (plan.kind === 'simulate') return { kind: 'simulate', message: plan.message };

    let mounts: ContainerMountPlan | undefined;
    try {
      mounts = this.pod.mountPlan(this.name);
    } catch (err) {
      return { kind: 'wait', reason: 'CreateContainerConfigError', message: errorMessage(err), retry: true };
    }
    const vars: Record<string, string> = { PATH: DEFAULT_PATH, HOSTNAME: hostnameOf(pod) };
    for (const e of env.env) vars[e.name] = e.value;
    vars['POD_IP'] ??= this.pod.addr.podIP;
    const own = join(this.pod.podDir, 'containers', this.name);
    mkdirSync(own, { recursive: true });
    const wd = this.spec.workingDir;
    const wrapped = this.svc.wrap(mounts, plan.argv, wd);
    if ('error' in wrapped) return { kind: 'wait', reason: 'CreateContainerError', message: wrapped.error, retry: true };
    let cwd = own;
    if (wd && !wrapped.namespaced) {
      // Not in a mount namespace: the working directory is a host path, or lives in a volume.
      const host = hostPathFor(wd, mounts?.mounts ?? []);
      if (!existsSync(host)) {
        if (host !== wd) mkdirSync(host, { recursive: true });
        else return { kind: 'wait', reason: 'CreateContainerError', retry: true, message: `working directory "${wd}" does not exist on node ${pod.spec?.nodeName ?? ''} (skiff runs containers as host processes): create it, or mount a volume there` };
      }
      cwd = host;
    }
    return { kind: 'launch', ctx: { env: vars, cwd, workingDir: wd, plan: mounts, image }, argv: wrapped.argv };
  }

  /** Starts one instance and waits for it to end. */
  private async runInstance(): Promise<InstanceEnd | 'retry' | 'parked'> {
    const pod = this.pod.pod();
    const prepared = await this.prepareLaunch();
    if (this.stopping) return 'retry';
    if (prepared.kind === 'simulate') return this.runSimulated(prepared.message);
    if (prepared.kind === 'wait') {
      this.setState({ waiting: { reason: prepared.reason, message: prepared.message } });
      this.pod.changed();
      this.svc.event(pod, 'Warning', 'Failed', `Error: ${prepared.message}`);
      return prepared.retry ? 'retry' : 'parked';
    }
    const { ctx, argv } = prepared;
    const image = this.spec.image ?? '';
    this.svc.event(pod, 'Normal', 'Pulled', `Container image "${image}" already present on machine`);

    // A new instance after an earlier one is a restart.
    if (this.instances > 0) this.restartCount = this.instances;
    const instanceNo = this.restartCount;
    this.instances = instanceNo + 1;
    const logPath = containerLogFile(this.pod.nodeRoot, this.pod.logRef, this.name, instanceNo);
    mkdirSync(dirname(logPath), { recursive: true });
    const startMs = this.svc.clock.now();
    const id = createHash('sha256').update(`${this.pod.uid}/${this.name}/${instanceNo}/${startMs}/${Math.random()}`).digest('hex');

    let group: ProcessGroup;
    let logFd: number | undefined;
    try {
      // Opened first, so the file exists (for `kubectl logs`) as soon as the container runs.
      logFd = openSync(logPath, 'a');
      group = await this.svc.spawn(this.pod.podDir, 'container', this.name, { argv, cwd: ctx.cwd, env: ctx.env });
    } catch (err) {
      if (logFd !== undefined) closeSync(logFd);
      const message = err instanceof StartError ? err.message : errorMessage(err);
      this.containerID = `skiff-process://${id}`;
      const now = apiTime(this.svc.clock.now());
      const end: InstanceEnd = { exitCode: 128, reason: 'StartError', message, startedAt: now, finishedAt: now, containerID: this.containerID };
      this.finish(end);
      this.svc.event(pod, 'Warning', 'Failed', `Error: ${message}`);
      return end;
    }
    this.group = group;
    this.launch = ctx;
    this.oomKilled = false;
    this.containerID = `skiff-process://${id}`;
    this.svc.event(pod, 'Normal', 'Created', `Created container ${this.name}`);

    const log = createWriteStream('', { fd: logFd });
    log.on('error', (err) => this.svc.log.warn({ pod: formatPod(pod), container: this.name, err: err.message }, 'cannot write container log'));
    const outputDone = this.attachLogs(group, log);
    this.linkLog(id, logPath, instanceNo);

    const startedAt = apiTime(startMs);
    this.setState({ running: { startedAt } });
    const hasStartup = !!this.spec.startupProbe;
    this.started = !hasStartup;
    this.ready = this.started && !this.spec.readinessProbe;
    if (this.started) this.resolveStarted();
    this.pod.changed();
    this.svc.event(pod, 'Normal', 'Started', `Started container ${this.name}`);

    const limit = memoryLimit(this.spec);
    const unwatch = limit ? this.svc.watchMemory(group, limit, () => this.onOOM()) : () => {};
    this.startProbes(startMs);
    void this.runPostStart(group);

    const exit = await group.exited;
    unwatch();
    this.stopProbes();
    await outputDone;
    const end: InstanceEnd = {
      exitCode: this.oomKilled ? 137 : exit.exitCode,
      reason: terminatedReason(exit.exitCode, this.oomKilled),
      startedAt,
      finishedAt: apiTime(this.svc.clock.now()),
      containerID: this.containerID,
    };
    this.group = undefined;
    this.finish(end);
    return end;
  }

  /** Moves to `next`; a termination being left becomes `lastState` (what `kubectl describe` shows as Last State). */
  private setState(next: ContainerState): void {
    if (this.state.terminated && this.state.terminated !== next.terminated) this.lastTerminated = this.state.terminated;
    this.state = next;
  }

  /** Records an instance's end as the current state. */
  private finish(end: InstanceEnd): void {
    this.lastExitMs = this.svc.clock.now();
    this.setState({ terminated: end });
    this.ready = this.kind === 'init' && end.exitCode === 0;
    this.started = false;
    this.pod.changed();
  }

  /** The image fallback `simulate`: Running and Ready with no process, until stopped. */
  private runSimulated(message: string): 'parked' {
    const pod = this.pod.pod();
    const id = createHash('sha256').update(`${this.pod.uid}/${this.name}/simulated`).digest('hex');
    this.containerID = `skiff-process://${id}`;
    this.simulated = true;
    this.simulatedMessage = message;
    this.setState({ running: { startedAt: apiTime(this.svc.clock.now()) } });
    this.started = true;
    this.ready = true;
    this.resolveStarted();
    this.pod.changed();
    this.svc.event(pod, 'Normal', 'ImageSimulated', `Container ${this.name}: ${message}`);
    return 'parked';
  }

  private attachLogs(group: ProcessGroup, log: WriteStream): Promise<void> {
    const sink = (b: Buffer): void => void log.write(b);
    const out = new CriLogWriter('stdout', sink);
    // A container with a TTY has one stream: the CRI logs it all as stdout.
    const err = new CriLogWriter(this.spec.tty ? 'stdout' : 'stderr', sink);
    group.stdout.on('data', (b: Buffer) => out.write(b));
    group.stderr.on('data', (b: Buffer) => err.write(b));
    const ended = (s: NodeJS.ReadableStream): Promise<void> => new Promise((r) => (s.once('close', () => r()), s.once('end', () => r())));
    return Promise.all([ended(group.stdout), ended(group.stderr)]).then(
      () =>
        new Promise<void>((resolve) => {
          out.end();
          err.end();
          log.end(() => resolve());
        }),
    );
  }

  /** `/var/log/containers/<pod>_<ns>_<container>-<id>.log` → the instance's file; older files beyond the previous one go. */
  private linkLog(id: string, logPath: string, instanceNo: number): void {
    const link = containerLogLink(this.pod.nodeRoot, this.pod.logRef, this.name, id);
    try {
      mkdirSync(dirname(link), { recursive: true });
      symlinkSync(relative(dirname(link), logPath), link);
    } catch (err) {
      this.svc.log.warn({ link, err: errorMessage(err) }, 'cannot link container log');
    }
    // Like the kubelet's container GC (one dead instance kept per container): keep this and the previous log.
    const dir = dirname(logPath);
    for (const n of logInstances(dir)) if (n < instanceNo - 1) rmSync(join(dir, `${n}.log`), { force: true });
  }

  private handlerTarget(): HandlerTarget {
    return {
      podIP: this.pod.addr.podIP,
      container: this.spec,
      userAgent: `kube-probe/${KUBELET_VERSION.replace(/^v/, '').split('.').slice(0, 2).join('.')}`,
      exec: (command, timeoutMs) => this.execCapture(command, timeoutMs),
    };
  }

  private startProbes(startMs: number): void {
    const pod = this.pod.pod();
    const target = this.handlerTarget();
    const label: Record<ProbeKind, string> = { readiness: 'Readiness', liveness: 'Liveness', startup: 'Startup' };
    const make = (kind: ProbeKind): ProbeWorker | undefined => {
      const probe = kind === 'readiness' ? this.spec.readinessProbe : kind === 'liveness' ? this.spec.livenessProbe : this.spec.startupProbe;
      if (!probe) return undefined;
      return new ProbeWorker({
        kind,
        probe,
        clock: this.svc.clock,
        target,
        startedAt: startMs,
        started: () => this.started,
        onFailure: (o: ProbeOutcome) => this.svc.event(pod, 'Warning', 'Unhealthy', `${label[kind]} probe failed: ${o.output}`),
        onWarning: (o: ProbeOutcome) => this.svc.event(pod, 'Warning', 'ProbeWarning', `${label[kind]} probe warning: ${o.output}`),
        onPublish: (value) => this.onProbe(kind, value),
      });
    };
    this.probes = (['startup', 'readiness', 'liveness'] as const).map(make).filter((w): w is ProbeWorker => !!w);
    for (const w of this.probes) w.start();
  }

  private stopProbes(): void {
    for (const w of this.probes) w.stop();
    this.probes = [];
  }

  private onProbe(kind: ProbeKind, value: boolean): void {
    if (!this.group?.running || this.killing) return;
    if (kind === 'readiness') {
      if (this.ready !== value) {
        this.ready = value;
        this.pod.changed();
      }
      return;
    }
    if (kind === 'startup' && value) {
      if (!this.started) {
        this.started = true;
        this.ready = !this.spec.readinessProbe;
        this.resolveStarted();
        this.pod.changed();
        // Readiness and liveness begin now rather than a period later.
        for (const w of this.probes) w.trigger();
      }
      return;
    }
    if (!value) {
      const pod = this.pod.pod();
      const what = kind === 'liveness' ? 'liveness' : 'startup';
      this.svc.event(pod, 'Normal', 'Killing', `Container ${this.name} failed ${what} probe, will be restarted`);
      const probe = kind === 'liveness' ? this.spec.livenessProbe : this.spec.startupProbe;
      const grace = probe?.terminationGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
      void this.kill(grace);
    }
  }

  private onOOM(): void {
    if (!this.group?.running) return;
    this.oomKilled = true;
    this.group.signal('SIGKILL');
  }

  private async runPostStart(group: ProcessGroup): Promise<void> {
    const hook = this.spec.lifecycle?.postStart;
    if (!hook) return;
    const pod = this.pod.pod();
    const grace = (pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000;
    const err = await this.runHook(hook, Math.max(grace, 1000));
    if (!err || group !== this.group || !group.running) return;
    this.svc.event(pod, 'Warning', 'FailedPostStartHook', err);
    void this.kill(pod.spec?.terminationGracePeriodSeconds ?? 30);
  }

  /** Runs a lifecycle hook; resolves with the failure message, or undefined on success. */
  private async runHook(hook: LifecycleHandler, timeoutMs: number): Promise<string | undefined> {
    const pod = this.pod.pod();
    const where = `for Container "${this.name}" in Pod "${formatPod(pod)}"`;
    if (hook.sleep) {
      // Not cut short by stopping: a preStop sleep is exactly what runs while the pod stops.
      await sleepOn(this.svc.clock, Math.min(hook.sleep.seconds * 1000, timeoutMs), new AbortController().signal);
      return undefined;
    }
    const outcome = await runAction(hook, this.handlerTarget(), timeoutMs);
    if (outcome.result === 'success' || outcome.result === 'warning') return undefined;
    if (hook.exec) return `Exec lifecycle hook (${JSON.stringify(hook.exec.command ?? [])}) ${where} failed - error: ${outcome.output.trim() || 'command failed'}`;
    if (hook.httpGet) return `HTTP lifecycle hook (${hook.httpGet.path ?? '/'}) ${where} failed - error: ${outcome.output}`;
    return `lifecycle hook ${where} failed - error: ${outcome.output}`;
  }

  /**
   * Kills the running instance (upstream `killContainer`): `preStop` within the
   * grace period, SIGTERM to the main process, SIGKILL to the group once the
   * rest of the grace period (at least 2 s after a hook) has passed.
   */
  kill(graceSeconds: number): Promise<void> {
    const group = this.group;
    if (!group || !group.running) return Promise.resolve();
    if (this.killing) {
      // A forced stop cuts a graceful one short.
      if (graceSeconds === 0) group.signal('SIGKILL');
      return this.killing;
    }
    this.killing = (async () => {
      let graceMs = Math.max(0, graceSeconds * 1000);
      const preStop = this.spec.lifecycle?.preStop;
      if (preStop && graceMs > 0) {
        const t0 = Date.now();
        const err = await this.runHook(preStop, graceMs);
        if (err) this.svc.event(this.pod.pod(), 'Warning', 'FailedPreStopHook', err);
        graceMs = Math.max(graceMs - (Date.now() - t0), 2_000);
      }
      if (graceMs === 0) {
        group.signal('SIGKILL');
      } else {
        group.signalLeader('SIGTERM');
        // Real time: the process decides how long it takes, not the injected clock.
        let timer: NodeJS.Timeout | undefined;
        const timedOut = await Promise.race([group.exited.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), graceMs)))]);
        clearTimeout(timer);
        if (timedOut) group.signal('SIGKILL');
      }
      await group.exited;
    })().finally(() => {
      this.killing = undefined;
    });
    return this.killing;
  }

  /**
   * Stops the container for good: no more restarts; the running instance is
   * killed with `graceSeconds`; resolves once its processes are gone.
   */
  async stop(graceSeconds: number): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      this.stopSignal.abort();
      this.resolveStarted();
      if (this.group?.running) this.svc.event(this.pod.pod(), 'Normal', 'Killing', `Stopping container ${this.name}`);
    }
    this.stopProbes();
    await this.kill(graceSeconds);
    if (this.group) await this.group.exited;
    if (this.simulated && this.state.running) {
      this.state = { terminated: { exitCode: 0, reason: 'Completed', startedAt: this.state.running.startedAt, finishedAt: apiTime(this.svc.clock.now()), containerID: this.containerID } };
      this.ready = false;
    }
  }

  /** Whether the container has a context to run commands in (a live process or none at all). */
  execContext(): LaunchContext | { error: string } {
    if (this.simulated) return { error: `container "${this.name}" is simulated by skiff (image "${this.spec.image ?? ''}" has no built-in program): it has no process, so there is nothing to exec into` };
    if (!this.group?.running || !this.launch) return { error: `container not found ("${this.name}")` };
    return this.launch;
  }

  /** The argv, env and cwd to start `command` in this container's context. */
  execSpec(command: string[], extraEnv: Record<string, string> = {}): GroupSpec | { error: string } {
    const ctx = this.execContext();
    if ('error' in ctx) return ctx;
    const argv = mapImageBinary(command, ctx.image);
    const wrapped = this.svc.wrap(ctx.plan, argv, ctx.workingDir);
    if ('error' in wrapped) return wrapped;
    return { argv: wrapped.argv, cwd: ctx.cwd, env: { ...ctx.env, ...extraEnv } };
  }

  /** Runs `command` in the container, capturing up to 10 KiB of output (exec probes and hooks). */
  async execCapture(command: string[], timeoutMs: number): Promise<ExecOutcome> {
    const spec = this.execSpec(command);
    if ('error' in spec) throw new Error(spec.error);
    const group = await this.svc.spawn(this.pod.podDir, 'exec', this.name, spec);
    const chunks: Buffer[] = [];
    let size = 0;
    const take = (b: Buffer): void => {
      if (size < 10 * 1024) chunks.push(b.subarray(0, 10 * 1024 - size));
      size += b.length;
    };
    group.stdout.on('data', take);
    group.stderr.on('data', take);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      group.signal('SIGKILL');
    }, timeoutMs);
    const exit = await group.exited;
    clearTimeout(timer);
    return { exitCode: exit.exitCode, output: Buffer.concat(chunks).toString('utf8'), timedOut };
  }
}

/** `HOSTNAME` of a pod: `spec.hostname`, else the pod name, at most 63 characters (upstream `GeneratePodHostNameAndDomain`). */
export function hostnameOf(pod: Pod): string {
  return (pod.spec?.hostname || pod.metadata?.name || '').slice(0, 63);
}

/** `limits.memory` of a container in bytes, or undefined. */
export function memoryLimit(c: Container): number | undefined {
  const q = c.resources?.limits?.['memory'];
  if (q === undefined) return undefined;
  try {
    const n = parseQuantity(String(q));
    return n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** The host path behind a container path when it lies in a mounted volume; else the path itself. */
export function hostPathFor(containerPath: string, mounts: readonly ContainerMount[]): string {
  const p = posix.normalize(containerPath);
  let best: ContainerMount | undefined;
  for (const m of mounts) {
    const t = posix.normalize(m.target).replace(/(.)\/$/, '$1');
    if ((p === t || p.startsWith(`${t}/`)) && (!best || t.length > best.target.length)) best = { ...m, target: t };
  }
  if (!best) return p;
  return join(best.source, p.slice(best.target.length));
}
