/**
 * The EndpointSlice tracker (upstream `EndpointSliceTracker`): remembers, per
 * Service, the slices this controller wrote and the resourceVersion each write
 * returned (or that it expects a slice to vanish), so a sync can tell that its
 * informer cache still lags behind its own writes and must wait instead of
 * creating a slice twice. Upstream compares `metadata.generation`; skiff's
 * EndpointSlices carry no generation, so resourceVersions (store revisions,
 * decimal integers) are compared instead.
 */
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { LABEL_SERVICE_NAME } from './labels.js';

const DELETION_EXPECTED = 'deleted';

function rvNumber(rv: string | undefined): bigint | undefined {
  return rv && /^\d+$/.test(rv) ? BigInt(rv) : undefined;
}

/** True when `a` is known to be an older resourceVersion than `b`. */
function olderThan(a: string | undefined, b: string | undefined): boolean {
  const na = rvNumber(a);
  const nb = rvNumber(b);
  return na !== undefined && nb !== undefined && na < nb;
}

/** `namespace/service` of a slice, from its `kubernetes.io/service-name` label. */
export function serviceKeyOfSlice(slice: EndpointSlice): string {
  return `${slice.metadata?.namespace ?? ''}/${slice.metadata?.labels?.[LABEL_SERVICE_NAME] ?? ''}`;
}

/**
 * Tracks written slices per Service key (`namespace/name`).
 *
 * @example
 * tracker.update(created);                 // after a create/update call returned
 * tracker.staleSlices('ns/web', uid, cached) // true while the cache misses that write
 */
export class EndpointSliceTracker {
  /** service key → slice uid → resourceVersion written, or 'deleted'. */
  private readonly bySvc = new Map<string, Map<string, string>>();
  private readonly svcUID = new Map<string, string>();

  private slicesOf(slice: EndpointSlice, create: boolean): Map<string, string> | undefined {
    const key = serviceKeyOfSlice(slice);
    let m = this.bySvc.get(key);
    if (!m && create) this.bySvc.set(key, (m = new Map()));
    return m;
  }

  /** True when the tracker knows this slice (written or expected deleted). */
  has(slice: EndpointSlice): boolean {
    return this.slicesOf(slice, false)?.has(slice.metadata?.uid ?? '') ?? false;
  }

  /**
   * Whether an informer event for `slice` needs a sync: not when it only reports a write
   * of ours (its resourceVersion is the one we wrote, or older).
   */
  shouldSync(slice: EndpointSlice): boolean {
    const rv = this.slicesOf(slice, false)?.get(slice.metadata?.uid ?? '');
    if (rv === undefined || rv === DELETION_EXPECTED) return true;
    const mine = rv === slice.metadata?.resourceVersion || olderThan(slice.metadata?.resourceVersion, rv);
    return !mine;
  }

  /**
   * True when the cached `slices` of the Service lag behind our writes: one of them is
   * older than what we wrote, or expected deleted, or a slice we wrote is missing. A new
   * Service UID (deleted and recreated) forgets the old writes.
   */
  staleSlices(serviceKey: string, serviceUID: string, slices: readonly EndpointSlice[]): boolean {
    const known = this.svcUID.get(serviceKey);
    if (known && serviceUID && known !== serviceUID) this.bySvc.delete(serviceKey);
    if (serviceUID) this.svcUID.set(serviceKey, serviceUID);
    const m = this.bySvc.get(serviceKey);
    if (!m) return false;
    const provided = new Set<string>();
    for (const s of slices) {
      const uid = s.metadata?.uid ?? '';
      provided.add(uid);
      const rv = m.get(uid);
      if (rv === undefined) continue;
      if (rv === DELETION_EXPECTED || olderThan(s.metadata?.resourceVersion, rv)) return true;
    }
    for (const [uid, rv] of m) if (rv !== DELETION_EXPECTED && !provided.has(uid)) return true;
    return false;
  }

  /** Records a slice as returned by a create or update call. */
  update(slice: EndpointSlice): void {
    this.slicesOf(slice, true)?.set(slice.metadata?.uid ?? '', slice.metadata?.resourceVersion ?? '');
  }

  /** Records that we deleted `slice` and expect the informer to report it gone. */
  expectDeletion(slice: EndpointSlice): void {
    this.slicesOf(slice, true)?.set(slice.metadata?.uid ?? '', DELETION_EXPECTED);
  }

  /** Handles an informer deletion; false when the deletion was not ours (the Service must sync). */
  handleDeletion(slice: EndpointSlice): boolean {
    const m = this.slicesOf(slice, false);
    if (!m) return true;
    const uid = slice.metadata?.uid ?? '';
    const rv = m.get(uid);
    m.delete(uid);
    return rv === undefined || rv === DELETION_EXPECTED;
  }

  /** Forgets a Service. */
  deleteService(serviceKey: string): void {
    this.bySvc.delete(serviceKey);
    this.svcUID.delete(serviceKey);
  }
}
