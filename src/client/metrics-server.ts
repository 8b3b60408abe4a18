/**
 * A tiny HTTP server for a component's own Prometheus metrics, the way CoreDNS
 * (`:9153`) and kube-proxy (`:10249`) serve theirs beside the API server's.
 */
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

/**
 * Serves `registry` as `GET /metrics` on host:port (CoreDNS's `prometheus :9153`, kube-proxy's `:10249`)
 * until `signal` aborts. Resolves with the bound port once listening; port 0 picks
 * a free one.
 */
export async function serveMetrics(registry: Registry, host: string, port: number, signal: AbortSignal): Promise<number> {
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: metrics are at /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`collecting metrics failed: ${String(err)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const close = (): void => {
    server.close();
    server.closeAllConnections();
  };
  if (signal.aborted) close();
  else signal.addEventListener('abort', close, { once: true });
  const addr = server.address();
  return typeof addr === 'object' && addr ? addr.port : port;
}
