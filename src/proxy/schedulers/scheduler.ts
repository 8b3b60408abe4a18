/**
 * The scheduler contract shared by every load-balancing algorithm (IPVS names:
 * `rr`, `wrr`, `lc`, `dh`, `sh`, `sed`, `nq`, plus `random` as the iptables mode
 * does): given the usable backends of one service port with their live
 * active-connection counts, and the client's source and destination addresses,
 * choose one backend. Schedulers run on the connection hot path: they allocate
 * nothing per call and never throw.
 */

/** What a scheduler sees of a backend. Data paths pass their own richer objects. */
export interface Backend {
  /** `ip:port`, unique within one service port. */
  readonly key: string;
  readonly ip: string;
  readonly port: number;
  /**
   * Relative capacity (IPVS weight). 0 takes no new connections (quiesced), as
   * IPVS treats weight 0; every scheduler skips such backends. Default 1.
   */
  readonly weight: number;
  /** Connections (TCP) or associations (UDP) open right now. */
  readonly active: number;
}

/** The scheduler names the proxy accepts (flag `--proxy-scheduler`, annotation `skiff.io/scheduler`). */
export const SCHEDULER_NAMES = ['rr', 'wrr', 'lc', 'dh', 'sh', 'sed', 'nq', 'random'] as const;

/** One of {@link SCHEDULER_NAMES}. */
export type SchedulerName = (typeof SCHEDULER_NAMES)[number];

/** Whether `s` names a scheduler. */
export function isSchedulerName(s: unknown): s is SchedulerName {
  return typeof s === 'string' && (SCHEDULER_NAMES as readonly string[]).includes(s);
}

/**
 * Chooses a backend for a new connection. Implementations may keep state between
 * calls (the round-robin position); one instance serves one service port.
 *
 * @example
 * const s = createScheduler('lc');
 * s.pick([{ key: 'a', ip: '127.128.0.1', port: 80, weight: 1, active: 3 }, …], '127.0.0.1', '127.96.0.20');
 */
export interface Scheduler {
  readonly name: SchedulerName;
  /**
   * The backend for a connection from `source` to `destination` (both plain IP
   * text), or undefined when no backend may take it (none, or all weight 0; `dh`
   * and `sh` also when the hashed backend is quiesced, as in IPVS).
   */
  pick<B extends Backend>(backends: readonly B[], source: string, destination: string): B | undefined;
}
