/**
 * The kubelet's crash-loop back-off (upstream `client-go/util/flowcontrol`
 * `Backoff` as `kuberuntime` uses it): the first restart of an exited
 * container is immediate; each further exit within the current delay keeps it
 * in `CrashLoopBackOff` for 10 s, 20 s, 40 s … capped at 5 min; an exit more
 * than twice the cap (10 min) after the previous one starts over at 10 s.
 * Pure functions over one entry per container, so tests need no clock.
 */

/** Back-off delays in milliseconds. */
export interface BackoffPolicy {
  /** First delay. Default 10 000 (the kubelet's `backOffPeriod`). */
  initialMs: number;
  /** Cap. Default 300 000 (`MaxContainerBackOff`). Entries older than twice the cap reset. */
  maxMs: number;
}

/** The kubelet's container restart back-off: 10 s doubling to 5 min. */
export const CONTAINER_BACKOFF: BackoffPolicy = { initialMs: 10_000, maxMs: 300_000 };

/** One container's back-off state. */
export interface BackoffEntry {
  /** Current delay. */
  delayMs: number;
  /** Event time (the exit's `finishedAt`) that last advanced the entry. */
  lastUpdate: number;
}

function expired(eventTime: number, lastUpdate: number, policy: BackoffPolicy): boolean {
  return eventTime - lastUpdate > 2 * policy.maxMs;
}

/**
 * Advances the entry for an exit at `eventTime` (upstream `Backoff.Next`):
 * a missing or stale entry starts at `initialMs`, otherwise the delay doubles up to `maxMs`.
 *
 * @example
 * let e = nextBackoff(undefined, t0);      // { delayMs: 10000 }
 * e = nextBackoff(e, t0 + 15_000);         // { delayMs: 20000 }
 */
export function nextBackoff(entry: BackoffEntry | undefined, eventTime: number, policy: BackoffPolicy = CONTAINER_BACKOFF): BackoffEntry {
  if (!entry || expired(eventTime, entry.lastUpdate, policy)) return { delayMs: policy.initialMs, lastUpdate: eventTime };
  return { delayMs: Math.min(entry.delayMs * 2, policy.maxMs), lastUpdate: eventTime };
}

/**
 * Milliseconds the container must still wait after an exit at `eventTime`
 * (upstream `IsInBackOffSince`); 0 when it may restart now.
 */
export function backoffRemainingMs(entry: BackoffEntry | undefined, eventTime: number, now: number, policy: BackoffPolicy = CONTAINER_BACKOFF): number {
  if (!entry || expired(now, entry.lastUpdate, policy)) return 0;
  return Math.max(0, entry.delayMs - (now - eventTime));
}

/**
 * A duration in Go's `time.Duration.String()` form, as the kubelet prints
 * back-off delays: `10s`, `1m20s`, `5m0s`, `1.5s`, `250ms`.
 */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const sMs = ms % 60_000;
  const s = sMs % 1000 === 0 ? String(sMs / 1000) : String(sMs / 1000).replace(/0+$/, '');
  if (h) return `${h}h${m}m${s}s`;
  if (m) return `${m}m${s}s`;
  return `${s}s`;
}

/** Upstream `format.Pod`: `name_namespace(uid)`, used in kubelet messages. */
export function formatPod(pod: { metadata?: { name?: string; namespace?: string; uid?: string } }): string {
  const m = pod.metadata ?? {};
  return `${m.name ?? ''}_${m.namespace ?? ''}(${m.uid ?? ''})`;
}

/** The Waiting message of a container in `CrashLoopBackOff`. */
export function crashLoopMessage(delayMs: number, container: string, pod: Parameters<typeof formatPod>[0]): string {
  return `back-off ${goDuration(delayMs)} restarting failed container=${container} pod=${formatPod(pod)}`;
}
