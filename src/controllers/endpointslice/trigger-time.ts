/**
 * The trigger-time tracker (upstream `TriggerTimeTracker`): computes the
 * `endpoints.kubernetes.io/last-change-trigger-time` annotation, i.e. when the
 * earliest change not yet reflected in the endpoints happened — a pod's Ready
 * transition or, for a Service seen for the first time, its creation. Used by
 * the Endpoints and EndpointSlice controllers (one tracker each).
 */
import type { Pod, Service } from 'kubernetes-types/core/v1.js';

function timeMs(t: string | undefined | null): number | undefined {
  if (!t) return undefined;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * RFC 3339 with fractional seconds only when non-zero (Go's `time.RFC3339Nano`
 * formatting of a millisecond time).
 *
 * @example
 * formatTriggerTime(Date.parse('2026-01-01T00:00:00Z')) // '2026-01-01T00:00:00Z'
 */
export function formatTriggerTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.replace(/\.(\d*?)0*Z$/, (_m, frac: string) => (frac ? `.${frac}Z` : 'Z'));
}

interface ServiceState {
  serviceTime: number | undefined;
  podTimes: Map<string, number>;
}

/**
 * Remembers, per Service key, the trigger times seen at the last sync.
 *
 * @example
 * const t = tracker.compute(svc, pods); // epoch ms, or undefined = clear the annotation
 */
export class TriggerTimeTracker {
  private readonly states = new Map<string, ServiceState>();

  /**
   * The trigger time to export for a sync of `svc` over `pods` (the pods it selects), and
   * records the current state. A Service not seen before yields its creationTimestamp;
   * later, the earliest pod Ready transition (or Service creation) newer than at the
   * previous call; undefined when nothing changed.
   */
  compute(svc: Service, pods: readonly Pod[]): number | undefined {
    const key = `${svc.metadata?.namespace ?? ''}/${svc.metadata?.name ?? ''}`;
    const prev = this.states.get(key);
    let min: number | undefined;
    const podTimes = new Map<string, number>();
    for (const pod of pods) {
      const t = timeMs(pod.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime);
      if (t === undefined) continue;
      const name = pod.metadata?.name ?? '';
      podTimes.set(name, t);
      const before = prev?.podTimes.get(name);
      if (before === undefined || t > before) min = min === undefined ? t : Math.min(min, t);
    }
    const serviceTime = timeMs(svc.metadata?.creationTimestamp);
    if (serviceTime !== undefined && (prev?.serviceTime === undefined || serviceTime > prev.serviceTime)) {
      min = min === undefined ? serviceTime : Math.min(min, serviceTime);
    }
    this.states.set(key, { serviceTime, podTimes });
    if (!prev) return serviceTime;
    return min;
  }

  /** Forgets a Service (it was deleted). */
  delete(namespace: string, name: string): void {
    this.states.delete(`${namespace}/${name}`);
  }
}
