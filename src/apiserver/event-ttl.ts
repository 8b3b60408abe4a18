/**
 * Event expiry. kube-apiserver stores Events with an etcd lease of
 * `--event-ttl` (default 1 h) so they vanish on their own; here a sweeper
 * deletes Events whose last activity is older than the TTL, once a minute.
 */
import { findResource } from '../api/resources.js';
import { isReason } from '../api/errors.js';
import type { Registry } from './registry.js';
import type { KObject } from './watch-cache.js';

/** Default `--event-ttl`. */
export const DEFAULT_EVENT_TTL_MS = 60 * 60 * 1000;

/** When an Event was last active: lastTimestamp, series, eventTime, or creation. */
export function eventLastActive(ev: KObject): number {
  const e = ev as KObject & { lastTimestamp?: string; eventTime?: string; series?: { lastObservedTime?: string } };
  const t = e.series?.lastObservedTime ?? e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp ?? undefined;
  const ms = t ? Date.parse(t) : NaN;
  return Number.isNaN(ms) ? 0 : ms;
}

/** Starts the sweeper; returns a stop function. */
export function startEventExpiry(registry: Registry, ttlMs = DEFAULT_EVENT_TTL_MS, everyMs = 60_000, now: () => number = Date.now): () => void {
  const events = findResource('', 'v1', 'events')!;
  let running = false;
  const sweep = async (): Promise<void> => {
    if (running) return;
    running = true;
    try {
      const cutoff = now() - ttlMs;
      const list = await registry.list(events, undefined, { fieldFilter: (ev) => eventLastActive(ev) < cutoff });
      for (const ev of list.items) {
        try {
          await registry.delete(events, ev.metadata?.namespace, ev.metadata!.name!);
        } catch (err) {
          if (!isReason(err, 'NotFound')) throw err;
        }
      }
    } catch (err) {
      console.error(`event expiry: ${(err as Error).message}`);
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void sweep(), everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
