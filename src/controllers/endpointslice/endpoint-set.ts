/**
 * Identity and equality of EndpointSlice endpoints and port lists (upstream
 * `EndpointSet`, `hashEndpoint`, `EndpointsEqualBeyondHash`, `NewPortMapKey`).
 * An endpoint is identified by its addresses, hostname and target pod only, so
 * a change of conditions, node or zone updates it in place instead of
 * replacing it.
 */
import type { ObjectReference } from 'kubernetes-types/core/v1.js';
import type { Endpoint, EndpointPort } from 'kubernetes-types/discovery/v1.js';

/** The identity key of an endpoint: sorted addresses, hostname, target namespace/name. */
export function endpointKey(ep: Endpoint): string {
  const addrs = [...(ep.addresses ?? [])].sort();
  return JSON.stringify([addrs, ep.hostname ?? '', ep.targetRef?.namespace ?? '', ep.targetRef?.name ?? '']);
}

function refEqual(a: ObjectReference | undefined, b: ObjectReference | undefined): boolean {
  if (!a || !b) return !a && !b;
  const keys: Array<keyof ObjectReference> = ['apiVersion', 'fieldPath', 'kind', 'name', 'namespace', 'uid'];
  return keys.every((k) => (a[k] ?? '') === (b[k] ?? ''));
}

/**
 * True when two endpoints with the same key also agree on everything the key leaves
 * out: nodeName, zone, the three conditions, and the target reference (its
 * resourceVersion ignored, so pod updates that do not matter cause no writes).
 */
export function endpointsEqualBeyondKey(a: Endpoint, b: Endpoint): boolean {
  return (
    a.nodeName === b.nodeName &&
    a.zone === b.zone &&
    a.conditions?.ready === b.conditions?.ready &&
    a.conditions?.serving === b.conditions?.serving &&
    a.conditions?.terminating === b.conditions?.terminating &&
    refEqual(a.targetRef, b.targetRef)
  );
}

/** A canonical string for one port (field order fixed, missing fields normalised). */
function portString(p: EndpointPort): string {
  return JSON.stringify([p.name ?? '', p.port ?? null, p.protocol ?? '', p.appProtocol ?? null]);
}

/**
 * The key of a port list, independent of its order: slices are grouped by it, and
 * pods whose named `targetPort` resolves to different numbers land in different groups.
 */
export function portMapKey(ports: readonly EndpointPort[] | undefined): string {
  return JSON.stringify((ports ?? []).map(portString).sort());
}

/**
 * A set of endpoints keyed by {@link endpointKey}, iterated in insertion order (so
 * the planner's output is deterministic, unlike upstream's random `PopAny`).
 *
 * @example
 * const s = new EndpointSet([ep1, ep2]);
 * s.get(existing); // the desired version of an existing endpoint, if still desired
 */
export class EndpointSet {
  private readonly items = new Map<string, Endpoint>();

  constructor(endpoints: Iterable<Endpoint> = []) {
    for (const ep of endpoints) this.insert(ep);
  }

  insert(ep: Endpoint): void {
    this.items.set(endpointKey(ep), ep);
  }

  /** The member with the same key as `ep`, if any. */
  get(ep: Endpoint): Endpoint | undefined {
    return this.items.get(endpointKey(ep));
  }

  delete(ep: Endpoint): void {
    this.items.delete(endpointKey(ep));
  }

  /** Removes and returns the oldest member. */
  pop(): Endpoint | undefined {
    const first = this.items.entries().next();
    if (first.done) return undefined;
    this.items.delete(first.value[0]);
    return first.value[1];
  }

  get size(): number {
    return this.items.size;
  }

  values(): Endpoint[] {
    return [...this.items.values()];
  }
}
