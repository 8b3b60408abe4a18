/**
 * The structured-logging shape the client parts accept: a pino-compatible subset
 * (`logger.warn({ key, err }, 'msg')`), so callers pass a pino child logger carrying
 * their component name and tests pass nothing.
 */

/** Structured logger (pino-compatible subset). */
export interface Logger {
  debug?(obj: Record<string, unknown>, msg: string): void;
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

/** A logger that drops everything; the default everywhere. */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

/** The message of any thrown value. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
