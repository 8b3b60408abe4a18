/**
 * Test helpers for schedulers: backends from a compact spec and choice sequences
 * that optionally count each choice as a new long-lived connection.
 */
import type { Backend, Scheduler } from './scheduler.js';

/** A mutable backend for tests. */
export interface TestBackend extends Backend {
  active: number;
  weight: number;
}

/** Backends named by key with `ip` 127.128.0.<n>; `spec` maps key → weight (and optional active count). */
export function backends(spec: Record<string, number | { weight?: number; active?: number }>): TestBackend[] {
  return Object.entries(spec).map(([key, v], i) => ({
    key,
    ip: `127.128.0.${i + 1}`,
    port: 80,
    weight: typeof v === 'number' ? v : (v.weight ?? 1),
    active: typeof v === 'number' ? 0 : (v.active ?? 0),
  }));
}

/**
 * The keys of `n` successive choices (`-` for none). With `connect`, each chosen
 * backend's `active` grows by one, as if every connection stayed open.
 */
export function sequence(s: Scheduler, list: TestBackend[], n: number, o: { connect?: boolean; source?: string; destination?: string } = {}): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const b = s.pick(list, o.source ?? '127.0.0.1', o.destination ?? '127.96.0.10');
    out.push(b ? b.key : '-');
    if (b && o.connect) b.active++;
  }
  return out.join(' ');
}
