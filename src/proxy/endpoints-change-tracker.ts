/**
 * Pending EndpointSlice changes (upstream `endpointschangetracker.go` with its
 * `EndpointSliceCache`): per Service the tracker holds the slices already applied
 * and the slices changed since, and on checkout turns both into endpoint lists
 * per service port — (previous, current) pairs for the sync. A slice change that
 * undoes itself, or that only moves endpoints between slices, disappears.
 */
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { endpointsFromSlices, sliceInfoFromSlice, sliceKeys, TRIGGER_TIME_ANNOTATION, type EndpointInfo, type SliceInfo } from './endpoint.js';

/** Endpoints of one Service's ports before and after its pending changes. */
export interface EndpointsChange {
  readonly previous: ReadonlyMap<string, readonly EndpointInfo[]>;
  readonly current: ReadonlyMap<string, readonly EndpointInfo[]>;
}

/** What {@link EndpointsChangeTracker.checkout} hands out. */
export interface EndpointsCheckout {
  /** Net changes by Service key (`ns/name`). */
  readonly changes: Map<string, EndpointsChange>;
  /** When the changes being applied were triggered (ms), for the network-programming latency metric. */
  readonly triggerTimes: number[];
}

interface ServiceSlices {
  applied: Map<string, { info: SliceInfo; print: string }>;
  /** `null`: the slice is to be removed. */
  pending: Map<string, { info: SliceInfo; print: string } | null>;
  triggerTimes: number[];
}

function splitServiceKey(key: string): [string, string] {
  const i = key.indexOf('/');
  return [key.slice(0, i), key.slice(i + 1)];
}

function printOf(m: ReadonlyMap<string, readonly EndpointInfo[]>): string {
  return JSON.stringify([...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function triggerTime(slice: EndpointSlice | undefined, now: number): number {
  const t = Date.parse(slice?.metadata?.annotations?.[TRIGGER_TIME_ANNOTATION] ?? '');
  return Number.isFinite(t) ? t : now;
}

/**
 * Collects EndpointSlice changes between syncs.
 *
 * @example
 * const t = new EndpointsChangeTracker();
 * t.update(undefined, slice);
 * const { changes } = t.checkout();
 * applyEndpointsChanges(endpointsMap, changes);
 */
export class EndpointsChangeTracker {
  private readonly services = new Map<string, ServiceSlices>();

  /** Milliseconds clock for trigger times of slices without the upstream annotation. */
  constructor(private readonly now: () => number = Date.now) {}

  /**
   * Records one watch event. A slice whose `kubernetes.io/service-name` label
   * changed counts as removed from the old Service and added to the new one.
   * Returns whether any change is pending afterwards.
   */
  update(previous: EndpointSlice | undefined, current: EndpointSlice | undefined): boolean {
    const pk = previous ? sliceKeys(previous) : undefined;
    const ck = current ? sliceKeys(current) : undefined;
    if (pk && (!ck || pk.service !== ck.service || pk.slice !== ck.slice)) this.record(pk.service, pk.slice, undefined, previous);
    if (ck) this.record(ck.service, ck.slice, current, current);
    return this.pending();
  }

  /** Whether a change is pending. */
  pending(): boolean {
    for (const s of this.services.values()) if (s.pending.size > 0) return true;
    return false;
  }

  /** Applies every pending slice change and returns the net endpoint changes. */
  checkout(): EndpointsCheckout {
    const changes = new Map<string, EndpointsChange>();
    const triggerTimes: number[] = [];
    for (const [key, s] of this.services) {
      if (s.pending.size === 0) continue;
      const [ns, name] = splitServiceKey(key);
      const previous = endpointsFromSlices(ns, name, [...s.applied.values()].map((a) => a.info));
      for (const [slice, p] of s.pending) {
        if (p) s.applied.set(slice, p);
        else s.applied.delete(slice);
      }
      s.pending.clear();
      triggerTimes.push(...s.triggerTimes);
      s.triggerTimes = [];
      const current = endpointsFromSlices(ns, name, [...s.applied.values()].map((a) => a.info));
      if (s.applied.size === 0) this.services.delete(key);
      if (printOf(previous) !== printOf(current)) changes.set(key, { previous, current });
    }
    return { changes, triggerTimes };
  }

  private record(service: string, slice: string, obj: EndpointSlice | undefined, source: EndpointSlice | undefined): void {
    const info = obj ? sliceInfoFromSlice(obj) : undefined;
    const next = info ? { info, print: JSON.stringify(info) } : null;
    let s = this.services.get(service);
    if (!s) {
      if (!next) return;
      this.services.set(service, (s = { applied: new Map(), pending: new Map(), triggerTimes: [] }));
    }
    const applied = s.applied.get(slice);
    if ((applied?.print ?? null) === (next?.print ?? null)) s.pending.delete(slice);
    else s.pending.set(slice, next);
    if (s.pending.size === 0) {
      s.triggerTimes = [];
      if (s.applied.size === 0) this.services.delete(service);
    } else s.triggerTimes.push(triggerTime(source, this.now()));
  }
}

/** Applies checked-out endpoint changes to the endpoints map (keyed by service port key), in place. */
export function applyEndpointsChanges(map: Map<string, readonly EndpointInfo[]>, changes: ReadonlyMap<string, EndpointsChange>): void {
  for (const change of changes.values()) {
    for (const portKey of change.previous.keys()) if (!change.current.has(portKey)) map.delete(portKey);
    for (const [portKey, eps] of change.current) map.set(portKey, eps);
  }
}
