/**
 * Pending Service changes (upstream `pkg/proxy/servicechangetracker.go`): informer
 * handlers report `update(previous, current)` (add and delete have a missing
 * side); the tracker keeps, per Service, the projection from before the first
 * pending change and the latest one. A change that undoes itself disappears, so
 * a sync only ever sees net changes.
 */
import type { Service } from 'kubernetes-types/core/v1.js';
import { serviceKey, servicePortsFromService, type ServicePortInfo } from './service-port.js';

/** Ports of one Service before and after its pending changes (empty map: absent or skipped). */
export interface ServiceChange {
  readonly previous: ReadonlyMap<string, ServicePortInfo>;
  readonly current: ReadonlyMap<string, ServicePortInfo>;
}

/** A stable text form of a projection, for equality. */
function fingerprint(ports: ReadonlyMap<string, ServicePortInfo>): string {
  return JSON.stringify([...ports.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

interface Pending {
  previous: Map<string, ServicePortInfo>;
  previousPrint: string;
  current: Map<string, ServicePortInfo>;
}

/**
 * Collects Service changes between syncs.
 *
 * @example
 * const t = new ServiceChangeTracker();
 * t.update(undefined, svc);      // true: a change is pending
 * t.update(svc, undefined);      // false: created then deleted nets to nothing
 * applyServiceChanges(map, t.checkout());
 */
export class ServiceChangeTracker {
  private readonly items = new Map<string, Pending>();

  /**
   * Records one watch event. Returns whether any Service change is pending
   * afterwards (so the caller requests a sync only when there is work).
   */
  update(previous: Service | undefined, current: Service | undefined): boolean {
    const obj = current ?? previous;
    if (!obj) return this.items.size > 0;
    const key = serviceKey(obj.metadata?.namespace ?? '', obj.metadata?.name ?? '');
    let item = this.items.get(key);
    if (!item) {
      const prev = servicePortsFromService(previous);
      item = { previous: prev, previousPrint: fingerprint(prev), current: prev };
      this.items.set(key, item);
    }
    item.current = servicePortsFromService(current);
    if (fingerprint(item.current) === item.previousPrint) this.items.delete(key);
    return this.items.size > 0;
  }

  /** Whether a change is pending. */
  pending(): boolean {
    return this.items.size > 0;
  }

  /** Hands out every pending change (by Service key) and forgets them. */
  checkout(): Map<string, ServiceChange> {
    const out = new Map<string, ServiceChange>();
    for (const [key, item] of this.items) out.set(key, { previous: item.previous, current: item.current });
    this.items.clear();
    return out;
  }
}

/**
 * Applies checked-out changes to the service port map (keyed by service port
 * key), in place. Returns the Service keys whose ports changed.
 */
export function applyServiceChanges(map: Map<string, ServicePortInfo>, changes: ReadonlyMap<string, ServiceChange>): Set<string> {
  const changed = new Set<string>();
  for (const [key, change] of changes) {
    for (const portKey of change.previous.keys()) if (!change.current.has(portKey)) map.delete(portKey);
    for (const [portKey, info] of change.current) map.set(portKey, info);
    changed.add(key);
  }
  return changed;
}
