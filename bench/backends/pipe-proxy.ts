/**
 * The naive Node proxy for the proxy benchmark, the anchor issue 5 names: each
 * accepted connection is `pipe()`d both ways to the next backend in turn,
 * nothing else (no metrics, no retries, no state). It accepts in as many
 * processes as skiff's measured data path (the parent and forked children
 * sharing one listening handle), so the two differ only in what skiff does per
 * connection; the rate it reaches is about what Node's sockets allow here.
 *
 * Usage: `node --import tsx pipe-proxy.ts VIP VPORT PROCESSES BACKEND_PORT BACKEND_IP…`;
 * prints `ready` once every process accepts.
 */
import { fork } from 'node:child_process';
import net from 'node:net';

const isChild = process.argv[2] === '--child';
const [vip, vport, procs, bport, ...ips] = process.argv.slice(isChild ? 3 : 2);
let next = 0;

function onConnection(client: net.Socket): void {
  const backend = net.connect({ host: ips[next++ % ips.length]!, port: Number(bport) });
  client.pipe(backend);
  backend.pipe(client);
  client.on('error', () => backend.destroy());
  backend.on('error', () => client.destroy());
}

if (isChild) {
  process.on('message', (m: string, handle: unknown) => {
    if (m !== 'server') return;
    (handle as net.Server).on('connection', onConnection);
    process.send!('ready');
  });
  process.on('disconnect', () => process.exit(0));
  // A handle sent before this process listens would be lost: ask for it now.
  process.send!('hello');
} else {
  if (!vip || !vport || !procs || !bport || ips.length === 0) {
    console.error('usage: pipe-proxy.ts VIP VPORT PROCESSES BACKEND_PORT BACKEND_IP…');
    process.exit(2);
  }
  const server = net.createServer(onConnection);
  server.listen(Number(vport), vip, () => {
    const children = Array.from({ length: Math.max(0, Number(procs) - 1) }, () => fork(process.argv[1]!, ['--child', ...process.argv.slice(2)], { execArgv: process.execArgv }));
    let ready = 0;
    const done = (): void => {
      if (++ready === children.length + 1) console.log('ready');
    };
    for (const c of children) {
      c.on('message', (m) => {
        if (m === 'hello') c.send('server', server);
        else if (m === 'ready') done();
      });
    }
    done();
  });
  process.on('SIGTERM', () => process.exit(0));
}
