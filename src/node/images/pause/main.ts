/**
 * The `registry.k8s.io/pause` program: sleeps until SIGINT or SIGTERM, then
 * says so on stderr and exits 0, like upstream `build/pause/linux/pause.c`
 * (`-v` prints a version; not being PID 1 earns the same warning, which a skiff
 * pod always gets since it has no PID namespace of its own).
 */
if (process.argv.slice(2).some((a) => a.toLowerCase() === '-v')) {
  process.stdout.write('pause.c skiff\n');
  process.exit(0);
}

// Signal handlers alone do not keep Node's event loop alive.
setInterval(() => undefined, 1 << 30);
const down = (text: string) => (): void => {
  process.stderr.write(`Shutting down, got signal: ${text}\n`);
  process.exit(0);
};
process.on('SIGINT', down('Interrupt'));
process.on('SIGTERM', down('Terminated'));
// After the handlers, so that the warning also tells a watcher that signals are handled.
if (process.pid !== 1) process.stderr.write('Warning: pause should be the first process\n');
