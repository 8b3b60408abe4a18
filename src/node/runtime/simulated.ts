/**
 * The simulated runtime (like KWOK): a pod "starts" after a random delay drawn
 * from `readyDelayMs` and from then on every container is running, started and
 * ready, with no process behind it. Containers never exit, so pods with
 * restartPolicy Never/OnFailure also stay Running. Stopping is immediate. One
 * instance serves every node of a pool; its state is a few fields per pod.
 */
import { createHash } from 'node:crypto';
import type { ContainerStatus, Pod } from 'kubernetes-types/core/v1.js';
import { realClock, type Clock } from '../../client/clock.js';
import type { PodRunContext, Runtime, RuntimePodStatus } from '../runtime.js';
import { apiTime } from '../pod-status.js';

/**
 * Parses `--sim-ready-delay`: `MS` or `MIN-MAX` in milliseconds, whole numbers, at most an
 * hour. Throws an Error naming the flag when the text is anything else.
 *
 * @example parseReadyDelay('0-500') // [0, 500]
 * @example parseReadyDelay('200') // [200, 200]
 */
export function parseReadyDelay(text: string): [number, number] {
  const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(text);
  const lo = m ? Number(m[1]) : NaN;
  const hi = m ? Number(m[2] ?? m[1]) : NaN;
  if (!m || hi < lo || hi > 3_600_000) {
    throw new Error(`--sim-ready-delay: "${text}" is not a delay in milliseconds: use MS or MIN-MAX with MIN <= MAX <= 3600000, e.g. 0-500`);
  }
  return [lo, hi];
}

/** Options of {@link SimulatedRuntime}. */
export interface SimulatedRuntimeOptions {
  /** Start delay range in ms, drawn uniformly per pod. Default [0, 500]. */
  readyDelayMs?: [number, number];
  clock?: Clock;
  random?: () => number;
}

interface SimPod {
  acceptedAt: number;
  startedAt?: number;
  timer?: unknown;
  /** Container IDs by container name, made once: the status is asked for on every sync. */
  containerIDs?: Map<string, string>;
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** `registry/name@sha256:<digest of the reference>`: a stable, plausible imageID. */
export function simulatedImageID(image: string): string {
  let id = imageIDs.get(image);
  if (id === undefined) {
    if (imageIDs.size >= 4096) imageIDs.clear();
    imageIDs.set(image, (id = imageIDOf(image)));
  }
  return id;
}

/** Image references seen recently and their IDs (a cluster runs few distinct images). */
const imageIDs = new Map<string, string>();

function imageIDOf(image: string): string {
  const at = image.indexOf('@');
  if (at >= 0) return image;
  const slash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  const repo = colon > slash ? image.slice(0, colon) : image;
  return `${repo}@sha256:${sha256(image)}`;
}

function containerID(sim: SimPod, uid: string, name: string): string {
  sim.containerIDs ??= new Map();
  let id = sim.containerIDs.get(name);
  if (id === undefined) sim.containerIDs.set(name, (id = `skiff-simulated://${sha256(`${uid}/${name}`)}`));
  return id;
}

/**
 * @example
 * const rt = new SimulatedRuntime({ readyDelayMs: [0, 0] });
 * rt.onChange((uid) => console.log(uid, 'changed'));
 * await rt.startPod(pod, ctx); // shortly after: rt.podStatus(pod).containerStatuses[0].state.running
 */
export class SimulatedRuntime implements Runtime {
  readonly name = 'simulated';
  readonly version = 'skiff-simulated://0.1';
  private readonly pods = new Map<string, SimPod>();
  private readonly listeners = new Set<(uid: string) => void>();
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly delay: [number, number];

  constructor(opts: SimulatedRuntimeOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.random = opts.random ?? Math.random;
    const [lo, hi] = opts.readyDelayMs ?? [0, 500];
    this.delay = [Math.max(0, lo), Math.max(lo, hi)];
  }

  async startPod(pod: Pod, _ctx: PodRunContext): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    if (this.pods.has(uid)) return;
    const sim: SimPod = { acceptedAt: this.clock.now() };
    this.pods.set(uid, sim);
    const ms = this.delay[0] + Math.floor(this.random() * (this.delay[1] - this.delay[0] + 1));
    sim.timer = this.clock.setTimeout(() => {
      sim.timer = undefined;
      if (this.pods.get(uid) !== sim) return;
      sim.startedAt = this.clock.now();
      this.emit(uid);
    }, ms);
  }

  adoptPod(pod: Pod, _ctx: PodRunContext): void {
    const uid = pod.metadata?.uid ?? '';
    if (this.pods.has(uid)) return;
    const started = pod.status?.containerStatuses?.[0]?.state?.running?.startedAt ?? pod.status?.startTime;
    const at = started ? Date.parse(started) : this.clock.now();
    const t = Number.isFinite(at) ? at : this.clock.now();
    this.pods.set(uid, { acceptedAt: pod.status?.startTime ? Date.parse(pod.status.startTime) || t : t, startedAt: t });
  }

  async stopPod(pod: Pod, _gracePeriodSeconds: number): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    const sim = this.pods.get(uid);
    if (sim?.timer !== undefined) this.clock.clearTimeout(sim.timer);
    this.pods.delete(uid);
  }

  forgetPod(uid: string): void {
    const sim = this.pods.get(uid);
    if (sim?.timer !== undefined) this.clock.clearTimeout(sim.timer);
    this.pods.delete(uid);
  }

  /** Undefined until the pod has started: a simulated pod has no interesting Pending state worth a write. */
  podStatus(pod: Pod): RuntimePodStatus | undefined {
    const uid = pod.metadata?.uid ?? '';
    const sim = this.pods.get(uid);
    if (!sim || sim.startedAt === undefined) return undefined;
    const startedAt = apiTime(sim.startedAt);
    const statuses = (containers: NonNullable<Pod['spec']>['containers'] | undefined, init: boolean): ContainerStatus[] =>
      (containers ?? []).map((c) => {
        const image = c.image ?? '';
        const base = { name: c.name, image, imageID: simulatedImageID(image), containerID: containerID(sim, uid, c.name), restartCount: 0, lastState: {} };
        // Plain init containers ran to completion before the app containers started.
        if (init && c.restartPolicy !== 'Always') {
          return { ...base, ready: true, started: false, state: { terminated: { exitCode: 0, reason: 'Completed', startedAt, finishedAt: startedAt, containerID: base.containerID } } };
        }
        return { ...base, ready: true, started: true, state: { running: { startedAt } } };
      });
    const status: RuntimePodStatus = {
      startTime: apiTime(sim.acceptedAt),
      sandboxReady: true,
      containerStatuses: statuses(pod.spec?.containers, false),
    };
    if (pod.spec?.initContainers?.length) status.initContainerStatuses = statuses(pod.spec.initContainers, true);
    return status;
  }

  onChange(listener: (uid: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Number of pods the runtime holds. */
  size(): number {
    return this.pods.size;
  }

  private emit(uid: string): void {
    for (const l of this.listeners) l(uid);
  }
}
