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
import net from 'node:net';
import { serveShared, shareWithChildren } from './share-handle.js';

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
  serveShared<net.Server>((server) => server.on('connection', onConnection));
} else {
  if (!vip || !vport || !procs || !bport || ips.length === 0) {
    console.error('usage: pipe-proxy.ts VIP VPORT PROCESSES BACKEND_PORT BACKEND_IP…');
    process.exit(2);
  }
  const server = net.createServer(onConnection);
  server.listen(Number(vport), vip, () => shareWithChildren(server, Number(procs), process.argv.slice(2), () => console.log('ready')));
}
