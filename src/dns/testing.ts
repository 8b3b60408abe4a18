/**
 * Test doubles for the DNS code: a fake {@link RecordSource} (plain arrays searched
 * linearly, so answer tests check the answers and not the projection's indexes),
 * a tiny DNS client ({@link ask}) and a scripted upstream resolver
 * ({@link FakeUpstream}). Not used by production code.
 */
import { createSocket } from 'node:dgram';
import { connect, createServer, type Server } from 'node:net';
import { decode, encode, type Answer, type DecodedPacket, type Packet } from 'dns-packet';
import type { EndpointSliceRecord, PodRecord, RecordSource, ServiceRecord } from './records.js';

/** The contents of a {@link fakeSource}. */
export interface FakeRecords {
  namespaces?: string[];
  services?: ServiceRecord[];
  slices?: EndpointSliceRecord[];
  pods?: PodRecord[];
  /** Default true. */
  synced?: boolean;
  /** Default 1499347823 (CoreDNS's test serial). */
  serial?: number;
}

/**
 * @example
 * const src = fakeSource({ namespaces: ['default'], services: [{ namespace: 'default', name: 'web', headless: false, clusterIPs: ['10.0.0.1'], ports: [], publishNotReady: false }] });
 */
export function fakeSource(d: FakeRecords): RecordSource {
  const services = d.services ?? [];
  const slices = d.slices ?? [];
  const pods = d.pods ?? [];
  return {
    hasSynced: () => d.synced ?? true,
    serial: () => d.serial ?? 1499347823,
    namespaceExists: (ns) => (d.namespaces ?? []).includes(ns),
    service: (ns, name) => services.find((s) => s.namespace === ns && s.name === name),
    endpointSlices: (ns, svc) => slices.filter((s) => s.namespace === ns && s.service === svc),
    servicesByIP: (ip) => services.filter((s) => s.clusterIPs.includes(ip)),
    slicesByIP: (ip) => slices.filter((s) => s.endpoints.some((e) => e.ip === ip)),
    podsByIP: (ip) => pods.filter((p) => p.ips.includes(ip)),
  };
}


/** Options of {@link ask}. */
export interface AskOptions {
  type?: string;
  proto?: 'udp' | 'tcp';
  /** Add an OPT record advertising this payload size. */
  edns?: number;
  id?: number;
  timeoutMs?: number;
}

/** Sends raw bytes and returns the first reply (UDP datagram or TCP frame); rejects after `timeoutMs`. */
export function exchange(host: string, port: number, packet: Buffer, proto: 'udp' | 'tcp' = 'udp', timeoutMs = 3000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (proto === 'udp') {
      const s = createSocket(host.includes(':') ? 'udp6' : 'udp4');
      const t = setTimeout(() => {
        s.close();
        reject(new Error(`no UDP reply from ${host}:${port} within ${timeoutMs} ms`));
      }, timeoutMs);
      s.on('message', (m) => {
        clearTimeout(t);
        s.close();
        resolve(m);
      });
      s.send(packet, port, host);
      return;
    }
    const c = connect({ host, port });
    let buf = Buffer.alloc(0);
    const t = setTimeout(() => {
      c.destroy();
      reject(new Error(`no TCP reply from ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    c.on('error', (err) => {
      clearTimeout(t);
      reject(err);
    });
    c.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(packet.length);
      c.write(Buffer.concat([len, packet]));
    });
    c.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        clearTimeout(t);
        c.destroy();
        resolve(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      }
    });
  });
}

/**
 * Asks a DNS server one question and decodes the reply (`rcode` included).
 *
 * @example const r = await ask('127.0.0.1', port, 'web.default.svc.cluster.local');
 */
export async function ask(host: string, port: number, name: string, o: AskOptions = {}): Promise<DecodedPacket & { rcode: string }> {
  const p: Packet = { type: 'query', id: o.id ?? 1234, flags: 1 << 8, questions: [{ name, type: (o.type ?? 'A') as 'A', class: 'IN' }] };
  if (o.edns) p.additionals = [{ type: 'OPT', name: '.', udpPayloadSize: o.edns, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] } as Answer];
  return decode(await exchange(host, port, encode(p), o.proto ?? 'udp', o.timeoutMs)) as DecodedPacket & { rcode: string };
}

/** What a {@link FakeUpstream} answers: records (NOERROR), an rcode, or nothing (silence). */
export type FakeAnswer = { answers: Answer[]; authorities?: Answer[]; truncateOverUdp?: boolean } | { rcode: 'NXDOMAIN' | 'SERVFAIL' | 'REFUSED'; authorities?: Answer[] } | 'silence';

/**
 * A scripted upstream resolver on UDP and TCP (same port), counting queries per
 * protocol. `answer` maps a question to a reply; the default is NXDOMAIN.
 */
export class FakeUpstream {
  readonly queries: Array<{ name: string; type: string; proto: 'udp' | 'tcp' }> = [];
  answer: (name: string, type: string) => FakeAnswer | Promise<FakeAnswer> = () => ({ rcode: 'NXDOMAIN' });
  port = 0;
  private udp = createSocket('udp4');
  private tcp: Server = createServer();

  constructor(readonly host = '127.0.0.1') {}

  async start(): Promise<this> {
    await new Promise<void>((r) => this.udp.bind(0, this.host, () => r()));
    this.port = this.udp.address().port;
    await new Promise<void>((resolve, reject) => {
      this.tcp.once('error', reject);
      this.tcp.listen(this.port, this.host, () => resolve());
    });
    this.udp.on('message', (m, rinfo) => {
      void this.reply(m, 'udp').then((out) => out && this.udp.send(out, rinfo.port, rinfo.address));
    });
    this.tcp.on('connection', (s) => {
      let buf = Buffer.alloc(0);
      s.on('error', () => s.destroy());
      s.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          const frame = buf.subarray(2, 2 + buf.readUInt16BE(0));
          buf = buf.subarray(2 + frame.length);
          void this.reply(frame, 'tcp').then((out) => {
            if (!out || s.destroyed) return;
            const len = Buffer.alloc(2);
            len.writeUInt16BE(out.length);
            s.write(Buffer.concat([len, out]));
          });
        }
      });
    });
    return this;
  }

  count(name: string, proto?: 'udp' | 'tcp'): number {
    return this.queries.filter((q) => q.name.toLowerCase() === name.toLowerCase() && (!proto || q.proto === proto)).length;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.udp.close(() => r()));
    await new Promise<void>((r) => this.tcp.close(() => r()));
  }

  private async reply(buf: Buffer, proto: 'udp' | 'tcp'): Promise<Buffer | undefined> {
    let q: DecodedPacket;
    try {
      q = decode(buf);
    } catch {
      return undefined;
    }
    const question = q.questions?.[0];
    if (!question) return undefined;
    this.queries.push({ name: question.name, type: question.type, proto });
    const a = await this.answer(question.name, question.type);
    if (a === 'silence') return undefined;
    const base = { type: 'response' as const, id: q.id, questions: [question] };
    if ('rcode' in a) {
      const code = { NXDOMAIN: 3, SERVFAIL: 2, REFUSED: 5 }[a.rcode];
      return encode({ ...base, flags: (1 << 8) | (1 << 7) | code, authorities: a.authorities ?? [] });
    }
    if (a.truncateOverUdp && proto === 'udp') return encode({ ...base, flags: (1 << 8) | (1 << 7) | (1 << 9), answers: [] });
    return encode({ ...base, flags: (1 << 8) | (1 << 7), answers: a.answers, authorities: a.authorities ?? [] });
  }
}

/** The `ttl` and `data` of a record (undefined for OPT), for assertions. */
export function rr(a: Answer | undefined): { ttl?: number; data?: unknown } {
  return (a ?? {}) as { ttl?: number; data?: unknown };
}
