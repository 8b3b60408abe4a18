/**
 * DaemonSet history (upstream `pkg/controller/daemon/update.go` and
 * `controller.ComputeHash`): ControllerRevisions named `<ds>-<hash>` whose
 * `data` is the strategic merge patch that restores the template, the hash
 * itself, which revision is current and which are duplicates, and which old
 * revisions `revisionHistoryLimit` lets go. Pure functions.
 */
import type { ControllerRevision, DaemonSet } from 'kubernetes-types/apps/v1.js';
import { REVISION_HASH_LABEL, controllerRef } from './pods.js';

/** Upstream `rand.SafeEncodeString` alphabet: no vowels, no confusable digits. */
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** JSON with object keys sorted at every level (Go's encoding of maps), `undefined` dropped. */
export function canonicalJSON(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : canonicalJSON(x))).join(',')}]`;
  const o = v as Record<string, unknown>;
  const parts: string[] = [];
  for (const k of Object.keys(o).sort()) {
    if (o[k] === undefined) continue;
    parts.push(`${JSON.stringify(k)}:${canonicalJSON(o[k])}`);
  }
  return `{${parts.join(',')}}`;
}

function fnv32a(bytes: Uint8Array, h = 0x811c9dc5): number {
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Upstream `rand.SafeEncodeString`: each byte mapped into {@link SAFE_ALPHABET}. */
export function safeEncodeString(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += SAFE_ALPHABET[s.charCodeAt(i) % SAFE_ALPHABET.length];
  return out;
}

/**
 * The template hash (upstream `controller.ComputeHash`): FNV-32a over the template's
 * canonical JSON, then the collision count as 8 little-endian bytes when set, the
 * decimal sum rendered with the safe alphabet. Stable across processes.
 *
 * @example computeHash(ds.spec.template, ds.status?.collisionCount) // e.g. '6b4f9c7d8'
 */
export function computeHash(template: unknown, collisionCount?: number): string {
  let h = fnv32a(new TextEncoder().encode(canonicalJSON(template)));
  if (collisionCount !== undefined && collisionCount !== null) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(b, h);
  }
  return safeEncodeString(String(h));
}

/** Upstream `getPatch`: `{"spec":{"template":{...,"$patch":"replace"}}}`, which `kubectl rollout undo` applies. */
export function revisionData(ds: DaemonSet): { spec: { template: Record<string, unknown> } } {
  return { spec: { template: { ...(structuredClone(ds.spec?.template ?? {}) as Record<string, unknown>), $patch: 'replace' } } };
}

/** Upstream `Match`: the revision stores exactly the current template. */
export function revisionMatches(ds: DaemonSet, cr: ControllerRevision): boolean {
  return canonicalJSON(revisionData(ds)) === canonicalJSON(cr.data);
}

/** The hash a revision stands for: its hash label, else its name (upstream relabels with the name). */
export function revisionHash(cr: ControllerRevision): string {
  return cr.metadata?.labels?.[REVISION_HASH_LABEL] ?? cr.metadata?.name ?? '';
}

/** A new ControllerRevision for the current template (upstream `snapshot`). */
export function newRevision(ds: DaemonSet, revision: number, hash: string): ControllerRevision {
  const cr: ControllerRevision = {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: `${ds.metadata?.name ?? ''}-${hash}`,
      namespace: ds.metadata?.namespace,
      labels: { ...(ds.spec?.template?.metadata?.labels ?? {}), [REVISION_HASH_LABEL]: hash },
      ownerReferences: [controllerRef(ds)],
    },
    data: revisionData(ds),
    revision,
  };
  if (ds.metadata?.annotations) cr.metadata!.annotations = { ...ds.metadata.annotations };
  return cr;
}

/** What {@link planHistory} decided. */
export interface HistoryPlan {
  /** The existing revision matching the template (highest revision among duplicates), if any. */
  current?: ControllerRevision;
  /** Further revisions matching the template: delete them (after relabelling their pods to `current`). */
  duplicates: ControllerRevision[];
  /** Revisions of other templates. */
  old: ControllerRevision[];
  /** The revision number the current template must carry: max(old) + 1. */
  revision: number;
}

/**
 * Upstream `constructHistory` without the I/O: splits the DaemonSet's revisions into
 * current and old, picks one current among duplicates (the highest revision), and
 * says which number it must carry. A rollback to an old template therefore re-uses
 * that revision with a bumped number instead of creating a new one.
 */
export function planHistory(ds: DaemonSet, revisions: readonly ControllerRevision[]): HistoryPlan {
  const cur: ControllerRevision[] = [];
  const old: ControllerRevision[] = [];
  for (const r of revisions) (revisionMatches(ds, r) ? cur : old).push(r);
  const revision = old.reduce((m, r) => Math.max(m, r.revision ?? 0), 0) + 1;
  let keep: ControllerRevision | undefined;
  for (const r of cur) if (!keep || (r.revision ?? 0) >= (keep.revision ?? 0)) keep = r;
  return { current: keep, duplicates: cur.filter((r) => r !== keep), old, revision };
}

/**
 * Upstream `cleanupHistory`: with more old revisions than `limit`, delete the oldest
 * ones (lowest revision first) whose hash no live pod carries, until `limit` remain
 * or none can go.
 */
export function planHistoryCleanup(old: readonly ControllerRevision[], limit: number, liveHashes: ReadonlySet<string>): ControllerRevision[] {
  let toKill = old.length - Math.max(0, limit);
  if (toKill <= 0) return [];
  const out: ControllerRevision[] = [];
  for (const r of [...old].sort((a, b) => (a.revision ?? 0) - (b.revision ?? 0))) {
    if (toKill <= 0) break;
    if (liveHashes.has(revisionHash(r))) continue;
    out.push(r);
    toKill--;
  }
  return out;
}
