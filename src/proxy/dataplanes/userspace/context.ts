/**
 * What every listener of the userspace data path shares with the data path.
 */
import type { Logger } from '../../../client/logger.js';

/** Something open that the data path must be able to tear down on stop. */
export interface Closable {
  destroy(): void;
}

/** Shared by the TCP and UDP listeners. */
export interface FrontendContext {
  now(): number;
  readonly log: Logger;
  /** Every open connection and association, so `close()` can end them all. */
  readonly open: Set<Closable>;
  /** Connect timeout of each successive attempt; its length is the number of attempts. */
  readonly dialTimeoutsMs: readonly number[];
  /** How long a UDP association lives without traffic. */
  readonly udpIdleTimeoutMs: number;
}
