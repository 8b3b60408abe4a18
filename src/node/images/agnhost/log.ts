/**
 * agnhost's log lines, in the format of Go's `log` package
 * (`2006/01/02 15:04:05 message`). They go to stdout so that `kubectl logs`
 * shows them on the stream skiff's tooling reads first (upstream writes them to
 * stderr; the container log file holds both streams either way).
 */
import { goLogTime } from './go-compat.js';

/** Writes one log line. */
export function logf(message: string): void {
  process.stdout.write(`${goLogTime(new Date())} ${message}${message.endsWith('\n') ? '' : '\n'}`);
}

/** `log.Fatal`: writes the line and exits with code 1 once stdout is flushed. */
export function fatalf(message: string): never {
  logf(message);
  // Exit synchronously (stdout is a pipe or file, written synchronously on Linux): nothing may run after a fatal error.
  process.exit(1);
}
