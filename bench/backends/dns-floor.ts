/**
 * The Node ceiling for the DNS benchmark: the least a Node UDP server can do per
 * query, in as many processes reading one socket as skiff's server uses. Each
 * query is read, its header and question copied, the response bits set, one
 * fixed A record appended (a pointer to the question's name) and the reply sent.
 * No names, no cache, no metrics: the rate this reaches is what Node's dgram
 * path itself allows on the machine at that moment, so skiff's rate against it
 * is skiff's own cost, apart from the runtime's.
 *
 * Usage: `node --import tsx dns-floor.ts HOST PROCESSES`; prints `ready <port>`
 * once every process reads the socket. Replies go through the same synchronous
 * address lookup skiff's server and readers use.
 */
import { createSocket, type Socket } from 'node:dgram';
import { lookUpSynchronously, syncLookup } from '../../src/dns/readers.js';
import { serveShared, shareWithChildren } from './share-handle.js';

/** TYPE A, CLASS IN, TTL 5, RDLENGTH 4, 127.96.0.1, after a pointer to offset 12. */
const ANSWER = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 127, 96, 0, 1]);

function answer(udp: Socket, msg: Buffer, port: number, address: string): void {
  if (msg.length < 17 || msg[2]! & 0x80) return;
  let o = 12;
  while (o < msg.length && msg[o] !== 0) o += msg[o]! + 1;
  const qEnd = o + 5;
  if (qEnd > msg.length) return;
  const out = Buffer.allocUnsafe(qEnd + ANSWER.length);
  msg.copy(out, 0, 0, qEnd);
  out[2] = 0x80 | (msg[2]! & 0x01); // QR, RD as asked
  out[3] = 0x80; // RA, NOERROR
  out.writeUInt16BE(1, 6); // ANCOUNT
  out.writeUInt32BE(0, 8); // NSCOUNT, ARCOUNT (an EDNS OPT in the query is not echoed)
  ANSWER.copy(out, qEnd);
  udp.send(out, port, address);
}

function serve(udp: Socket): void {
  udp.on('message', (msg, rinfo) => answer(udp, msg, rinfo.port, rinfo.address));
  udp.on('error', () => {});
}

if (process.argv[2] === '--child') {
  serveShared<Socket>((udp) => {
    lookUpSynchronously(udp);
    serve(udp);
  });
} else {
  const [host = '127.0.5.53', procs = '2'] = process.argv.slice(2);
  const udp = createSocket({ type: 'udp4', lookup: syncLookup(4) });
  udp.bind(0, host, () => {
    serve(udp);
    shareWithChildren(udp, Number(procs), [], () => console.log(`ready ${udp.address().port}`));
  });
}
