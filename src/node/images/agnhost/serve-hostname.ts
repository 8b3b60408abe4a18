/**
 * `agnhost serve-hostname`: answers every HTTP request, TCP connection or UDP
 * datagram on `--port` (9376) with the hostname, like upstream
 * `test/images/agnhost/serve-hostname`. On SIGTERM it logs like upstream and
 * exits 0 at once (upstream sleeps 60 s "awaiting pod deletion", which would
 * only hold every skiff pod deletion for its whole grace period).
 */
import { createSocket } from 'node:dgram';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, isIP } from 'node:net';
import type { FlagSpecs, FlagValues } from './flags.js';
import { listenOrDie, remoteAddr, writeBody } from './go-http.js';
import { fatalf, logf } from './log.js';
import { bindAddress, joinHostPort, podHostname } from './pod-env.js';

/** serve-hostname's flags, as upstream. */
export const flagSpecs: FlagSpecs = {
  tcp: { kind: 'bool', default: false, usage: 'Serve raw over TCP.' },
  udp: { kind: 'bool', default: false, usage: 'Serve raw over UDP.' },
  http: { kind: 'bool', default: true, usage: 'Serve HTTP.' },
  close: { kind: 'bool', default: false, usage: 'Close connection per each HTTP request.' },
  port: { kind: 'int', default: 9376, usage: 'Port number.' },
};

/** Starts the servers the flags ask for; HTTP and TCP/UDP are exclusive, as upstream. */
export function run(flags: FlagValues): void {
  const doTCP = flags.tcp === true;
  const doUDP = flags.udp === true;
  const doHTTP = flags.http === true;
  const port = flags.port as number;
  if (doHTTP && (doTCP || doUDP)) fatalf("Can't server TCP/UDP mode and HTTP mode at the same time");
  const host = bindAddress();
  const hostname = podHostname();

  if (doTCP) {
    const server = createTcpServer((conn) => {
      logf(`TCP request from ${joinHostPort(conn.remoteAddress ?? '', conn.remotePort ?? 0)}`);
      conn.on('error', () => undefined);
      conn.end(hostname);
    });
    server.once('error', (err) => fatalf(`Error from net.Listen(): listen tcp ${joinHostPort(host, port)}: ${err.message}`));
    server.listen(port, host);
  }
  if (doUDP) {
    const sock = createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
    sock.once('error', (err) => fatalf(`Error from ListenUDP(): listen udp ${joinHostPort(host, port)}: ${err.message}`));
    sock.on('message', (_msg, rinfo) => {
      logf(`UDP request from ${joinHostPort(rinfo.address, rinfo.port)}`);
      sock.send(hostname, rinfo.port, rinfo.address);
    });
    sock.bind(port, host);
  }
  if (doHTTP) {
    const server = createHttpServer((req, res) => {
      logf(`HTTP request from ${remoteAddr(req)}`);
      // Forces the client to reconnect per request (used to spread requests over backends).
      if (flags.close === true) res.setHeader('Connection', 'close');
      writeBody(res, 200, hostname);
    });
    listenOrDie(server, host, port);
  }
  logf(`Serving on port ${port}.`);
  process.on('SIGTERM', () => {
    logf('Shutting down after receiving signal: terminated.');
    process.exit(0);
  });
}
