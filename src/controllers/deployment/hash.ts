/**
 * The pod-template hash that names a Deployment's ReplicaSets (upstream
 * `controller.ComputeHash`): FNV-1a 32 over the template, then the
 * `collisionCount` as 8 little-endian bytes, and the decimal digits of the sum
 * mapped to the "safe" alphabet of `apimachinery/pkg/util/rand` (no vowels, no
 * look-alike digits). Upstream feeds FNV with Go's `spew` dump of the struct;
 * here it is canonical JSON (sorted keys, no nulls or empty values), which is
 * as stable and carries the same information.
 */
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';

/** The label that tells a Deployment's ReplicaSets (and their pods) apart. */
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** Upstream `rand.SafeEncodeString`: each byte of `s` becomes `alphabet[byte % 27]`. */
export function safeEncodeString(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) out += SAFE_ALPHABET[b % SAFE_ALPHABET.length];
  return out;
}

/** FNV-1a, 32 bit, continuing from `hash` (default: the offset basis). */
export function fnv32a(bytes: Uint8Array, hash = 0x811c9dc5): number {
  let h = hash >>> 0;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * A canonical form of an API value for hashing and semantic comparison: object keys
 * sorted; nulls, empty arrays and empty objects dropped (Go's semantic equality treats
 * nil and empty alike).
 */
export function canonical(v: unknown): unknown {
  if (v === null || v === undefined) return undefined;
  if (Array.isArray(v)) {
    if (v.length === 0) return undefined;
    return v.map((x) => canonical(x) ?? null);
  }
  if (typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).sort()) {
      const c = canonical((v as Record<string, unknown>)[k]);
      if (c !== undefined) out[k] = c;
    }
    return Object.keys(out).length ? out : undefined;
  }
  return v;
}

/** A template without `metadata.creationTimestamp` (kubectl sends `null`) and, optionally, the hash label. */
function templateForCompare(t: PodTemplateSpec | undefined, dropHash: boolean): unknown {
  const c = structuredClone(t ?? {}) as PodTemplateSpec & { metadata?: { creationTimestamp?: unknown } };
  if (c.metadata) {
    delete c.metadata.creationTimestamp;
    if (dropHash && c.metadata.labels) delete c.metadata.labels[POD_TEMPLATE_HASH_LABEL];
  }
  return canonical(c);
}

/**
 * The hash of `template` and `collisionCount`, e.g. `5d4f8c7b9`.
 *
 * @example
 * const name = `${deploy.metadata.name}-${computeHash(deploy.spec.template, deploy.status?.collisionCount)}`;
 */
export function computeHash(template: PodTemplateSpec | undefined, collisionCount?: number): string {
  let h = fnv32a(Buffer.from(JSON.stringify(templateForCompare(template, false) ?? {}), 'utf8'));
  if (collisionCount !== undefined && collisionCount !== null) {
    const b = Buffer.alloc(8);
    b.writeUInt32LE(collisionCount >>> 0, 0);
    h = fnv32a(b, h);
  }
  return safeEncodeString(String(h));
}

/**
 * Upstream `EqualIgnoreHash`: the two templates are semantically equal once the
 * `pod-template-hash` label is removed from both. This is how a Deployment finds its
 * new ReplicaSet, including after `kubectl rollout undo` restores an old template.
 */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  return JSON.stringify(templateForCompare(a, true)) === JSON.stringify(templateForCompare(b, true));
}
