/**
 * The probe worker's bookkeeping as a pure step (upstream
 * `pkg/kubelet/prober/worker.go` `doProbe`): a result is published only after
 * `successThreshold` consecutive successes or `failureThreshold` consecutive
 * failures; a published liveness/startup failure puts the worker on hold
 * until the next container instance.
 */

/** Which probe. */
export type ProbeKind = 'readiness' | 'liveness' | 'startup';

/** Consecutive-result state of one probe worker. */
export interface ProbeRunState {
  /** The last raw result. */
  last?: boolean;
  /** How many times in a row `last` came. */
  run: number;
  /** Stop probing until a new container instance (after a published liveness/startup failure). */
  onHold: boolean;
}

/** Thresholds with upstream defaults (1 success, 3 failures). */
export interface ProbeThresholds {
  successThreshold?: number;
  failureThreshold?: number;
}

/** The published value of a probe before any result counts: readiness starts failed, liveness passed, startup unknown. */
export function initialProbeValue(kind: ProbeKind): boolean | undefined {
  return kind === 'readiness' ? false : kind === 'liveness' ? true : undefined;
}

/**
 * Folds one raw result into the worker state; `publish` is set when the
 * result crosses its threshold and becomes the probe's value.
 *
 * @example
 * let s = { run: 0, onHold: false };
 * ({ state: s } = probeStep(s, false, 'liveness', { failureThreshold: 2 }));        // nothing published yet
 * const r = probeStep(s, false, 'liveness', { failureThreshold: 2 });               // r.publish === false, r.state.onHold
 */
export function probeStep(state: ProbeRunState, success: boolean, kind: ProbeKind, t: ProbeThresholds): { state: ProbeRunState; publish?: boolean } {
  const run = state.last === success ? state.run + 1 : 1;
  const next: ProbeRunState = { last: success, run, onHold: state.onHold };
  const need = success ? Math.max(1, t.successThreshold ?? 1) : Math.max(1, t.failureThreshold ?? 3);
  if (run < need) return { state: next };
  if (!success && kind !== 'readiness') return { state: { ...next, run: 0, onHold: true }, publish: false };
  return { state: next, publish: success };
}
