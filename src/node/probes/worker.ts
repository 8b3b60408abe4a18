/**
 * One probe of one container instance, run periodically (upstream
 * `pkg/kubelet/prober/worker.go`): nothing before `initialDelaySeconds`,
 * then every `periodSeconds` with `timeoutSeconds` per attempt; readiness and
 * liveness wait until the container has started (its startup probe passed);
 * results cross `successThreshold` / `failureThreshold` before they count
 * (see {@link probeStep}). A worker lives exactly as long as its container
 * instance; the next instance gets a fresh worker.
 */
import type { Probe } from 'kubernetes-types/core/v1.js';
import type { Clock, TimerHandle } from '../../client/clock.js';
import { runAction, type HandlerTarget, type ProbeOutcome } from './handlers.js';
import { probeStep, type ProbeKind, type ProbeRunState } from './thresholds.js';

/** Options of {@link ProbeWorker}. */
export interface ProbeWorkerOptions {
  kind: ProbeKind;
  probe: Probe;
  clock: Clock;
  target: HandlerTarget;
  /** When the container instance started (ms); `initialDelaySeconds` counts from here. */
  startedAt: number;
  /** Whether the container counts as started (readiness and liveness wait for it). */
  started(): boolean;
  /** A result crossed its threshold and is now the probe's value. */
  onPublish(value: boolean, outcome: ProbeOutcome): void;
  /** Every failed attempt (the kubelet records an `Unhealthy` event for each). */
  onFailure?(outcome: ProbeOutcome): void;
  /** A success with a warning (`ProbeWarning` event). */
  onWarning?(outcome: ProbeOutcome): void;
}

/**
 * @example
 * const w = new ProbeWorker({ kind: 'readiness', probe, clock, target, startedAt: Date.now(), started: () => true,
 *   onPublish: (ready) => setReady(ready) });
 * w.start(); // … w.stop() when the instance exits
 */
export class ProbeWorker {
  private state: ProbeRunState = { run: 0, onHold: false };
  private timer: TimerHandle | undefined;
  private inFlight = false;
  private stopped = false;

  constructor(private readonly opts: ProbeWorkerOptions) {}

  /** Schedules the first attempt after the initial delay. */
  start(): void {
    const delay = (this.opts.probe.initialDelaySeconds ?? 0) * 1000;
    this.schedule(Math.max(0, this.opts.startedAt + delay - this.opts.clock.now()));
  }

  /** Probes now (when allowed) instead of waiting for the next period, e.g. right after the container started. */
  trigger(): void {
    if (this.stopped) return;
    if (this.opts.clock.now() < this.opts.startedAt + (this.opts.probe.initialDelaySeconds ?? 0) * 1000) return;
    if (this.timer !== undefined) this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.tick();
  }

  /** Stops probing; an attempt in flight is ignored when it returns. */
  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = this.opts.clock.setTimeout(() => {
      this.timer = undefined;
      this.tick();
    }, ms);
  }

  private tick(): void {
    if (this.stopped) return;
    const period = Math.max(1, this.opts.probe.periodSeconds ?? 10) * 1000;
    this.schedule(period);
    if (this.inFlight || this.state.onHold) return;
    const started = this.opts.started();
    // Startup probes stop once the container started; the others wait for it.
    if (this.opts.kind === 'startup' ? started : !started) return;
    this.inFlight = true;
    const timeout = Math.max(1, this.opts.probe.timeoutSeconds ?? 1) * 1000;
    void runAction(this.opts.probe, this.opts.target, timeout)
      .catch((err: unknown): ProbeOutcome => ({ result: 'failure', output: (err as Error).message }))
      .then((outcome) => {
        this.inFlight = false;
        if (this.stopped || outcome.result === 'unknown') return; // upstream throws unknown results away
        const success = outcome.result !== 'failure';
        if (outcome.result === 'failure') this.opts.onFailure?.(outcome);
        if (outcome.result === 'warning') this.opts.onWarning?.(outcome);
        const step = probeStep(this.state, success, this.opts.kind, this.opts.probe);
        this.state = step.state;
        if (step.publish !== undefined) this.opts.onPublish(step.publish, outcome);
      });
  }
}
