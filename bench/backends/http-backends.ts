/**
 * Benchmark backends: minimal HTTP/1.1 responders on the addresses given as
 * arguments (`node --import tsx http-backends.ts 127.77.0.1 127.77.0.2 …`), all
 * on one free port, in a process of their own so they never share a thread with
 * the proxy being measured. Prints `ready <port>` once every address listens.
 *
 * `GET /big` answers 1 MiB, anything else 13 bytes. Requests are recognised by
 * their blank line, which is all wrk sends (no bodies), so the responder costs
 * far less than Node's `http` module and leaves the CPU to the proxies.
 * `Connection: close` in a request makes the server end the connection after
 * answering, as an HTTP server would.
 */
import net from 'node:net';

const SMALL_BODY = 'hello, skiff\n';
const BIG_BODY = Buffer.alloc(1 << 20, 0x61);
const head = (len: number, close: boolean): string => `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${len}\r\n${close ? 'Connection: close\r\n' : ''}\r\n`;
const SMALL = Buffer.from(head(SMALL_BODY.length, false) + SMALL_BODY);
const SMALL_CLOSE = Buffer.from(head(SMALL_BODY.length, true) + SMALL_BODY);
const BIG = Buffer.concat([Buffer.from(head(BIG_BODY.length, false)), BIG_BODY]);
const BIG_CLOSE = Buffer.concat([Buffer.from(head(BIG_BODY.length, true)), BIG_BODY]);

type Conn = net.Socket & { benchRest?: string };

function onData(this: Conn, d: Buffer): void {
  let text = (this.benchRest ?? '') + d.toString('latin1');
  for (;;) {
    const end = text.indexOf('\r\n\r\n');
    if (end < 0) break;
    const req = text.slice(0, end);
    text = text.slice(end + 4);
    const big = req.startsWith('GET /big');
    const close = /\r\nconnection:\s*close/i.test(req);
    this.write(big ? (close ? BIG_CLOSE : BIG) : close ? SMALL_CLOSE : SMALL);
    if (close) {
      this.end();
      return;
    }
  }
  this.benchRest = text.length > 0 ? text : undefined;
}

function ignore(): void {}

function onConnection(s: net.Socket): void {
  s.setNoDelay(true);
  s.on('data', onData);
  s.on('error', ignore);
}

const ips = process.argv.slice(2);
if (ips.length === 0) {
  console.error('usage: http-backends.ts IP…');
  process.exit(2);
}
let port = 0;
for (const ip of ips) {
  const srv = net.createServer({ noDelay: true }, onConnection);
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen({ host: ip, port, backlog: 4096 }, () => resolve());
  });
  port = (srv.address() as net.AddressInfo).port;
}
console.log(`ready ${port}`);
process.on('SIGTERM', () => process.exit(0));
