/**
 * Entry of one DNS reader (see readers.ts): answers queries on the UDP socket its
 * parent sends from the answers its parent copies to it, passes every other
 * query to the parent, and reports what it answered. Exits when the parent goes
 * away.
 */
import type { RemoteInfo, Socket as UdpSocket } from 'node:dgram';
import { AnswerCache, parsePlainQuery } from './answer-cache.js';
import { HitCounters, hitSlot, type HitCounter, type HitRow } from './hit-counters.js';
import { lookUpSynchronously, REPORT_INTERVAL_MS, type FromReader, type ToReader } from './readers.js';

let gen = -1;
let maxUdpSize = 4096;
const cache = new AnswerCache<HitCounter | undefined>({ generation: () => gen });
const hits = new HitCounters();

function send(m: FromReader): void {
  if (process.connected) process.send!(m);
}

function onPacket(udp: UdpSocket, msg: Buffer, rinfo: RemoteInfo): void {
  const t0 = process.hrtime.bigint();
  const plain = parsePlainQuery(msg, 'udp', maxUdpSize);
  const hit = plain && cache.lookup(plain, msg);
  if (!hit) {
    send({ t: 'miss', buf: msg, address: rinfo.address, port: rinfo.port });
    return;
  }
  const out = AnswerCache.render(hit, msg, plain);
  try {
    udp.send(out, rinfo.port, rinfo.address);
  } catch {
    // The socket closed under us: the parent is going away.
  }
  hit.labels?.add(hitSlot('udp', rinfo.family === 'IPv6'), Number(process.hrtime.bigint() - t0) / 1e9);
}

process.on('message', (m: ToReader, handle: unknown) => {
  if (m.t === 'socket') {
    const udp = handle as UdpSocket;
    maxUdpSize = m.maxUdpSize;
    gen = m.g;
    lookUpSynchronously(udp);
    udp.on('message', (msg, rinfo) => onPacket(udp, msg, rinfo));
    udp.on('error', () => {});
  } else if (m.t === 'gen') {
    if (m.g > gen) gen = m.g;
    send({ t: 'gen', g: m.g });
  } else if (m.t === 'put') {
    // Generations only grow; an answer from an older one is stale on arrival.
    if (m.g > gen) gen = m.g;
    if (m.g !== gen) return;
    const view = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
    cache.adopt({ bytes: view(m.bytes), echoes: m.echoes, name: view(m.name), variant: m.variant, labels: m.labels ? hits.get(...m.labels) : undefined });
  }
});

setInterval(() => {
  const rows: HitRow[] = [];
  hits.drain((r) => rows.push(r));
  if (rows.length) send({ t: 'hits', rows });
}, REPORT_INTERVAL_MS).unref();
send({ t: 'ready' });
process.on('disconnect', () => process.exit(0));
