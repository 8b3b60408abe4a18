/**
 * One line of the combined benchmark report, and the pure rules that turn a
 * measurement (plus an optional peer measured in the same run, plus an optional
 * goal) into it: the ratio is oriented so that > 1 always favours skiff, and
 * `met` is decided here once instead of in every benchmark.
 */

/** One measured value of the combined report (`bench/results/latest.json` holds an array of these). */
export interface BenchRow {
  /** Benchmark it belongs to, e.g. `api`, `dns`, `startup`. */
  group: string;
  /** What was measured, with its conditions, e.g. `GET p99 (sqlite store)`. */
  measure: string;
  /** skiff's value, in `unit`; NaN when it could not be measured (see `note`). */
  skiff: number;
  /** e.g. `ms`, `/s`, `MB`, `%`, `s`. */
  unit: string;
  /** The peer's value in the same unit, measured in the same run. */
  peer?: number;
  /** Who the peer is, e.g. `HAProxy`, `dnsmasq`, `raw etcd (etcd3 client)`. */
  peerName?: string;
  /** skiff relative to the peer, > 1 favours skiff: skiff/peer when higher is better, peer/skiff when lower is. */
  ratio?: number;
  /** The goal as text, e.g. `<= 50 ms`, `>= 1.0x HAProxy`. */
  goal?: string;
  /** Whether the goal was met; absent when there is no goal or it cannot be judged in this run. */
  met?: boolean;
  /** Anything a reader needs to interpret the row (a published anchor, why a value is missing). */
  note?: string;
}

/** What a benchmark knows about one measurement; `makeRow` derives ratio, goal text and `met`. */
export interface RowSpec extends Pick<BenchRow, 'group' | 'measure' | 'skiff' | 'unit' | 'peer' | 'peerName' | 'goal' | 'note'> {
  /** Which direction favours skiff; needed for a ratio. */
  better?: 'higher' | 'lower';
  /** Goal: skiff's value at most this (in `unit`). */
  max?: number;
  /** Goal: skiff's value at least this (in `unit`). */
  min?: number;
  /** Goal: the oriented ratio at least this. */
  minRatio?: number;
  /** False: show the goal but do not judge it (e.g. it is stated for a larger scale than this run used). */
  judge?: boolean;
}

const finite = (n: number | undefined): n is number => typeof n === 'number' && Number.isFinite(n);

/**
 * The oriented ratio: skiff/peer when higher is better, peer/skiff when lower
 * is; undefined without a usable peer, direction, or with a zero denominator.
 *
 * @example orientedRatio(2, 4, 'lower') // 2 — skiff takes half the time
 */
export function orientedRatio(skiff: number, peer: number | undefined, better: 'higher' | 'lower' | undefined): number | undefined {
  if (!better || !finite(peer) || !finite(skiff)) return undefined;
  const [num, den] = better === 'higher' ? [skiff, peer] : [peer, skiff];
  return den === 0 ? undefined : num / den;
}

/**
 * Builds a row: ratio from `better`, goal text from `max`/`min`/`minRatio`
 * (unless `goal` is given) and `met` from all goals given (all must hold;
 * NaN values fail them).
 *
 * @example makeRow({ group: 'dns', measure: 'queries/s', skiff: 90, unit: '/s', peer: 100, peerName: 'dnsmasq', better: 'higher', minRatio: 1 })
 * // → ratio 0.9, goal '>= 1.0x dnsmasq', met false
 */
export function makeRow(s: RowSpec): BenchRow {
  const ratio = orientedRatio(s.skiff, s.peer, s.better);
  const goals: string[] = [];
  const checks: boolean[] = [];
  if (s.max !== undefined) {
    goals.push(`<= ${formatValue(s.max, s.unit)}`);
    checks.push(finite(s.skiff) && s.skiff <= s.max);
  }
  if (s.min !== undefined) {
    goals.push(`>= ${formatValue(s.min, s.unit)}`);
    checks.push(finite(s.skiff) && s.skiff >= s.min);
  }
  if (s.minRatio !== undefined) {
    goals.push(`>= ${s.minRatio.toFixed(1)}x ${s.peerName ?? 'peer'}`);
    checks.push(finite(ratio) && ratio >= s.minRatio);
  }
  const row: BenchRow = { group: s.group, measure: s.measure, skiff: s.skiff, unit: s.unit };
  if (s.peer !== undefined) row.peer = s.peer;
  if (s.peerName !== undefined) row.peerName = s.peerName;
  if (ratio !== undefined) row.ratio = ratio;
  const goal = s.goal ?? (goals.length ? goals.join(', ') : undefined);
  if (goal !== undefined) row.goal = goal;
  if (checks.length && s.judge !== false) row.met = checks.every(Boolean);
  if (s.note !== undefined) row.note = s.note;
  return row;
}

/** A row for a benchmark that could not run (missing peer tool, failure): the reason goes in `note`. */
export function failedRow(group: string, measure: string, reason: string): BenchRow {
  return { group, measure, skiff: NaN, unit: '', note: reason };
}

/**
 * A value with its unit, with digits chosen by magnitude (3 significant-ish
 * digits below 10, whole numbers above 100, thousands separated).
 *
 * @example formatValue(0.4321, 'ms') // '0.432 ms'
 * @example formatValue(12345.6, '/s') // '12,346/s'
 */
export function formatValue(v: number, unit: string): string {
  if (!Number.isFinite(v)) return 'n/a';
  const a = Math.abs(v);
  const digits = a === 0 || a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;
  const num = v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  if (!unit) return num;
  return unit.startsWith('/') ? `${num}${unit}` : `${num} ${unit}`;
}
