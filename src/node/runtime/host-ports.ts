/**
 * hostPort: a container port published on its node's IP (`<hostIP>:<hostPort>`),
 * as the CNI portmap plugin does for the kubelet. skiff's pods bind their own
 * loopback address, so the node agent forwards: a TCP listener or UDP socket on
 * the node IP (`hostIP` when the port sets one) that relays to `<podIP>:<containerPort>`.
 * A port already taken on the node fails that port only, with a clear reason.
 */
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import net from 'node:net';
import type { Pod } from 'kubernetes-types/core/v1.js';

/** One published port of a pod. */
export interface HostPortMapping {
  protocol: 'TCP' | 'UDP';
  hostIP: string;
  hostPort: number;
  podIP: string;
  containerPort: number;
}

/** The hostPort mappings of `pod` (pure). hostNetwork pods need none: they bind the node IP themselves. */
export function hostPortMappings(pod: Pod, hostIP: string, podIP: string): HostPortMapping[] {
  if (pod.spec?.hostNetwork) return [];
  const out: HostPortMapping[] = [];
  for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort) continue;
      const protocol = p.protocol === 'UDP' ? 'UDP' : p.protocol === 'SCTP' ? undefined : 'TCP';
      if (!protocol) continue;
      out.push({ protocol, hostIP: p.hostIP && p.hostIP !== '0.0.0.0' ? p.hostIP : hostIP, hostPort: p.hostPort, podIP, containerPort: p.containerPort });
    }
  }
  return out;
}

/** Open forwarders of one pod; `close()` ends them all. */
export interface HostPorts {
  /** Mappings that could not be opened, with the reason. */
  readonly failed: Array<{ mapping: HostPortMapping; reason: string }>;
  close(): void;
}

function forwardTcp(m: HostPortMapping): Promise<net.Server> {
  const server = net.createServer({ allowHalfOpen: true }, (client) => {
    const upstream = net.connect({ host: m.podIP, port: m.containerPort, allowHalfOpen: true });
    client.pipe(upstream).pipe(client);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(m.hostPort, m.hostIP, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

function forwardUdp(m: HostPortMapping): Promise<UdpSocket> {
  const sock = createSocket('udp4');
  // One upstream socket per client address, so replies find their way back.
  const peers = new Map<string, { s: UdpSocket; timer: NodeJS.Timeout }>();
  sock.on('message', (msg: Buffer, from: RemoteInfo) => {
    const key = `${from.address}:${from.port}`;
    let peer = peers.get(key);
    if (!peer) {
      const s = createSocket('udp4');
      s.on('message', (reply) => sock.send(reply, from.port, from.address));
      s.on('error', () => s.close());
      peer = { s, timer: setTimeout(() => {}, 0) };
      peers.set(key, peer);
    }
    clearTimeout(peer.timer);
    const p = peer;
    p.timer = setTimeout(() => {
      peers.delete(key);
      p.s.close();
    }, 30_000);
    p.timer.unref();
    p.s.send(msg, m.containerPort, m.podIP);
  });
  sock.on('close', () => {
    for (const p of peers.values()) {
      clearTimeout(p.timer);
      p.s.close();
    }
    peers.clear();
  });
  return new Promise((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(m.hostPort, m.hostIP, () => {
      sock.off('error', reject);
      resolve(sock);
    });
  });
}

/** Opens every mapping; resolves once each is listening or has failed. */
export async function openHostPorts(mappings: readonly HostPortMapping[]): Promise<HostPorts> {
  const closers: Array<() => void> = [];
  const failed: HostPorts['failed'] = [];
  for (const m of mappings) {
    try {
      if (m.protocol === 'TCP') {
        const s = await forwardTcp(m);
        closers.push(() => s.close());
      } else {
        const s = await forwardUdp(m);
        closers.push(() => s.close());
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      failed.push({ mapping: m, reason: code === 'EADDRINUSE' ? `${m.hostIP}:${m.hostPort}/${m.protocol} is already in use on the node` : String((err as Error).message) });
    }
  }
  return {
    failed,
    close() {
      for (const c of closers) c();
    },
  };
}
