/**
 * Several processes serving one socket, for the benchmark's bare Node peers
 * (dns-floor.ts, pipe-proxy.ts): the parent forks its own script with `--child`
 * and hands each child the listening handle once the child asks for it (a handle
 * sent before the child listens would be lost); `onAllReady` runs when every
 * process serves.
 */
import { fork } from 'node:child_process';
import type { Socket as UdpSocket } from 'node:dgram';
import type { Server } from 'node:net';

type Shared = Server | UdpSocket;

/** Parent side: forks `processes - 1` children with `childArgs` and gives each `handle`. */
export function shareWithChildren(handle: Shared, processes: number, childArgs: string[], onAllReady: () => void): void {
  const children = Array.from({ length: Math.max(0, processes - 1) }, () => fork(process.argv[1]!, ['--child', ...childArgs], { execArgv: process.execArgv }));
  let ready = 0;
  const done = (): void => {
    if (++ready === children.length + 1) onAllReady();
  };
  for (const c of children) {
    c.on('message', (m) => {
      if (m === 'hello') c.send('handle', handle);
      else if (m === 'ready') done();
    });
  }
  done();
  process.on('SIGTERM', () => process.exit(0));
}

/** Child side: asks for the handle, serves it with `serve`, and exits with the parent. */
export function serveShared<T extends Shared>(serve: (handle: T) => void): void {
  process.on('message', (m: string, handle: unknown) => {
    if (m !== 'handle') return;
    serve(handle as T);
    process.send!('ready');
  });
  process.on('disconnect', () => process.exit(0));
  process.send!('hello');
}
