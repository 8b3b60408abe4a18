/**
 * The seam between the node agent and whatever runs containers. The agent
 * decides *what* should run (pods bound to its nodes, minus terminating ones)
 * and turns what the runtime reports into API status; a runtime only starts,
 * stops and observes pods. Two implementations: `runtime/simulated.ts` (no
 * process, for thousands of nodes) and the process runtime (next issue).
 */
import type { ContainerStatus, Pod } from 'kubernetes-types/core/v1.js';

/** What the agent hands a runtime together with a pod to start. */
export interface PodRunContext {
  /** The node the pod runs on. */
  nodeName: string;
  /** The pod's IP, allocated by the agent from the node's pod CIDR. */
  podIP: string;
  /** The node's InternalIP. */
  hostIP: string;
}

/**
 * What a runtime knows about one pod. `containerStatuses` use the API shape
 * (`state.running.startedAt`, `ready`, `started`, `restartCount`, …); the agent
 * derives phase and conditions from them (see `podStatusFor`).
 */
export interface RuntimePodStatus {
  /** When the runtime accepted the pod (becomes `status.startTime`). */
  startTime: string;
  /** Sandbox/network ready (`PodReadyToStartContainers`). */
  sandboxReady: boolean;
  initContainerStatuses?: ContainerStatus[];
  containerStatuses: ContainerStatus[];
  /** Set once every container has terminated for good (restartPolicy Never/OnFailure). */
  terminalPhase?: 'Succeeded' | 'Failed';
  /** Optional `status.message` / `status.reason`. */
  message?: string;
  reason?: string;
}

/**
 * A container runtime as the node agent sees it. Calls are idempotent and keyed
 * by pod UID; a runtime never writes to the API. State changes are reported
 * through `onChange` listeners, after which the agent calls `podStatus` again.
 *
 * @example
 * runtime.onChange((uid) => agent.podChanged(uid));
 * await runtime.startPod(pod, { nodeName: 'node-1', podIP: '127.128.1.5', hostIP: '127.0.1.1' });
 * runtime.podStatus(pod); // → containerStatuses with state.running once started
 */
export interface Runtime {
  /** Short name, e.g. `simulated` (the node annotation `skiff.io/runtime`). */
  readonly name: string;
  /** `status.nodeInfo.containerRuntimeVersion`, e.g. `skiff-simulated://0.1`. */
  readonly version: string;
  /** Starts (or keeps running) the pod. Resolves once accepted, not once running. */
  startPod(pod: Pod, ctx: PodRunContext): Promise<void>;
  /**
   * Stops the pod's containers, waiting at most `gracePeriodSeconds` before
   * killing them; resolves when nothing of the pod runs any more.
   */
  stopPod(pod: Pod, gracePeriodSeconds: number): Promise<void>;
  /** Takes over a pod a previous agent started (after a restart), from its API status. */
  adoptPod?(pod: Pod, ctx: PodRunContext): void;
  /** The runtime's view of the pod, or undefined when it has nothing to report yet. */
  podStatus(pod: Pod): RuntimePodStatus | undefined;
  /** Forgets a pod after it was stopped and deleted. */
  forgetPod(uid: string): void;
  /** Registers a listener for state changes of a pod (by UID); returns an unsubscribe function. */
  onChange(listener: (uid: string) => void): () => void;
}

/**
 * The streams of one `kubectl exec` session, as the kubelet server hands them
 * to a runtime. `stdin` is absent unless the client asked for it (`-i`);
 * with `tty` stderr is merged into stdout, like a terminal.
 */
export interface ExecIO {
  stdin?: NodeJS.ReadableStream;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
  tty: boolean;
  /** Terminal size changes (`kubectl exec -t` sends them on the resize channel). */
  onResize?(listener: (size: { width: number; height: number }) => void): void;
  /** Aborted when the client goes away; the runtime then kills the command. */
  signal: AbortSignal;
}

/**
 * What a runtime offers the kubelet server beyond running pods (`kubectl logs`
 * and `kubectl exec`). Optional: a runtime without processes (simulated) has
 * no logs to read and nothing to exec into, and the kubelet server says so.
 */
export interface StreamingRuntime {
  /**
   * Path of the container's log file in the CRI format
   * (`<RFC3339Nano> <stdout|stderr> <F|P> <text>` per line), for the current
   * instance or, with `previous`, the one before the last restart; undefined when there is none.
   */
  containerLogPath(pod: Pod, container: string, previous: boolean): string | undefined;
  /** Runs `command` in the container's context (env, working dir, pod IP); resolves with its exit code. */
  exec(pod: Pod, container: string, command: string[], io: ExecIO): Promise<number>;
}

/** True when `runtime` can serve logs and exec. */
export function isStreamingRuntime(runtime: Runtime): runtime is Runtime & StreamingRuntime {
  const r = runtime as Partial<StreamingRuntime>;
  return typeof r.containerLogPath === 'function' && typeof r.exec === 'function';
}
