/**
 * Event recording (upstream `client-go/tools/record`): controllers call
 * `recorder.event(obj, 'Normal', 'SuccessfulCreate', 'Created pod: x')` and the
 * recorder writes core/v1 Events in the background, so `kubectl describe`
 * shows them. Identical events for the same object are aggregated into one
 * Event whose `count` and `lastTimestamp` grow (the upstream correlator's
 * dedup), and writes never block or fail the caller.
 */
import type { Client, KubeObject } from '../../client/client.js';
import { silentLogger, type Logger } from '../../client/logger.js';

export type EventType = 'Normal' | 'Warning';

/** The object an event is about. */
export interface EventTarget extends KubeObject {
  metadata?: KubeObject['metadata'];
}

interface Pending {
  key: string;
  target: EventTarget;
  type: EventType;
  reason: string;
  message: string;
  at: Date;
}

/**
 * Events waiting to be written, at most (upstream's broadcaster queue, `maxQueuedEvents`):
 * when the API server falls behind, further events are dropped rather than kept.
 */
export const MAX_QUEUED_EVENTS = 1000;

/** RFC 3339 without fractions. */
function ts(d: Date): string {
  return `${d.toISOString().slice(0, 19)}Z`;
}

/** Records events for one component (e.g. `daemonset-controller`). */
export class EventRecorder {
  private readonly seen = new Map<string, { name: string; namespace: string; count: number; first: string }>();
  private readonly queue: Pending[] = [];
  private draining = false;
  /** Events dropped because the queue was full. */
  private dropped = 0;
  private readonly maxCached = 4096;

  constructor(
    private readonly client: Client,
    readonly component: string,
    private readonly log: Logger = silentLogger,
    private readonly host = '',
    private readonly now: () => Date = () => new Date(),
    /** Events that may wait at once; a recorder that stands for many kubelets gets a queue per kubelet. */
    private readonly maxQueued = MAX_QUEUED_EVENTS,
  ) {}

  /**
   * Queues an event about `target`. Never throws. As upstream's spam filter,
   * each (component, object) gets a token bucket of 25 events refilled at one
   * per 5 minutes: a DaemonSet creating 5,000 pods records 25 SuccessfulCreate
   * events, not 5,000. With `maxQueued` ({@link MAX_QUEUED_EVENTS}) waiting, the event is dropped
   * before it reaches the filter, as upstream's broadcaster drops it.
   */
  event(target: EventTarget, type: EventType, reason: string, message: string): void {
    const m = target.metadata ?? {};
    if (this.queue.length >= this.maxQueued) {
      // Upstream logs every drop; one line per thousand keeps a burst from flooding the log.
      if (this.dropped++ % 1000 === 0) this.log.warn({ reason, dropped: this.dropped, queued: this.queue.length }, 'unable to record event: too many queued events, dropped event');
      return;
    }
    if (!this.allow(`${m.uid ?? ''}/${m.namespace ?? ''}/${m.name ?? ''}/${target.kind ?? ''}`)) return;
    const key = [m.uid, m.namespace, m.name, target.kind, type, reason, message].join('\u0000');
    this.queue.push({ key, target, type, reason, message, at: this.now() });
    if (!this.draining) void this.drain();
  }

  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  /** Token bucket per object: burst 25, one token per 300 s (upstream EventSourceObjectSpamFilter). */
  private allow(objectKey: string): boolean {
    const now = this.now().getTime();
    let b = this.buckets.get(objectKey);
    if (!b) {
      if (this.buckets.size >= this.maxCached) this.buckets.delete(this.buckets.keys().next().value as string);
      b = { tokens: 25, at: now };
      this.buckets.set(objectKey, b);
    }
    b.tokens = Math.min(25, b.tokens + (now - b.at) / 300_000);
    b.at = now;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Formatted variant: `eventf(obj, 'Normal', 'Scaled', 'Scaled up to %d', 3)`. */
  eventf(target: EventTarget, type: EventType, reason: string, fmt: string, ...args: unknown[]): void {
    let i = 0;
    this.event(target, type, reason, fmt.replace(/%[sdv]/g, () => String(args[i++])));
  }

  /** Resolves when every queued event has been written (for tests). */
  async flush(): Promise<void> {
    while (this.draining || this.queue.length) await new Promise((r) => setTimeout(r, 5));
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      for (let p = this.queue.shift(); p; p = this.queue.shift()) {
        try {
          await this.write(p);
        } catch (err) {
          this.log.warn({ err: (err as Error).message, reason: p.reason }, 'could not write event');
        }
      }
    } finally {
      this.draining = false;
    }
  }

  private async write(p: Pending): Promise<void> {
    const events = this.client.resource('', 'v1', 'events');
    const m = p.target.metadata ?? {};
    const namespace = m.namespace || 'default';
    const prev = this.seen.get(p.key);
    const now = ts(p.at);
    if (prev) {
      prev.count++;
      try {
        await events.patch(namespace, prev.name, 'merge', { count: prev.count, lastTimestamp: now }, { discardResult: true });
        return;
      } catch {
        this.seen.delete(p.key); // the Event is gone (TTL, namespace deleted): write a new one
      }
    }
    const name = `${m.name ?? 'unknown'}.${(BigInt(p.at.getTime()) * 1_000_000n + BigInt(Math.floor(Math.random() * 1_000_000))).toString(16)}`;
    const ev = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: {
        kind: p.target.kind,
        namespace: m.namespace,
        name: m.name,
        uid: m.uid,
        apiVersion: p.target.apiVersion,
        resourceVersion: m.resourceVersion,
      },
      reason: p.reason,
      message: p.message,
      source: { component: this.component, ...(this.host ? { host: this.host } : {}) },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      type: p.type,
      eventTime: null,
      reportingComponent: this.component,
      reportingInstance: this.host,
    };
    await events.create(namespace, ev as never, { discardResult: true });
    if (this.seen.size >= this.maxCached) this.seen.delete(this.seen.keys().next().value as string);
    this.seen.set(p.key, { name, namespace, count: 1, first: now });
  }
}
