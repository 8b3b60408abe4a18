/**
 * `agnhost pause`: prints "Paused" and waits for SIGINT or SIGTERM, then
 * (after `--delay-shutdown` seconds) exits 0. Upstream exits 1 (SIGINT) or 2
 * (SIGTERM); skiff exits 0 so a deleted pod's container ends "Completed" like
 * the `pause` image's does.
 */
import type { FlagSpecs, FlagValues } from './flags.js';

/** pause's flags, as upstream. */
export const flagSpecs: FlagSpecs = {
  'delay-shutdown': { kind: 'int', default: 0, usage: 'Number of seconds to delay shutdown when receiving SIGTERM/SIGINT.' },
};

/** Blocks until SIGINT/SIGTERM. */
export function run(flags: FlagValues): void {
  // Signal handlers alone do not keep Node's event loop alive.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    const delay = flags['delay-shutdown'] as number;
    const exit = (): void => {
      clearInterval(keepAlive);
      process.stdout.write('exiting 0\n');
      process.exit(0);
    };
    if (delay > 0) {
      process.stdout.write(`Sleeping ${delay} seconds before exit ...`);
      setTimeout(exit, delay * 1000);
    } else {
      exit();
    }
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // Said only once the handlers are in place, so "Paused" means a signal is handled.
  process.stdout.write('Paused\n');
}
