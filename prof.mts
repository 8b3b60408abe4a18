import http from 'node:http';
import { startCluster } from './src/cli/cluster.ts';
const c = await startCluster({ dataDir: '/tmp/skprof', store: 'memory', port: 0 });
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
const post = (i: number) => new Promise<void>((res, rej) => {
  const body = JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `p-${i}`, labels: { app: 'bench' } }, spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'agnhost', args: ['pause'], ports: [{ containerPort: 8080 }] }] } });
  const r = http.request(c.url + '/api/v1/namespaces/default/pods', { method: 'POST', agent, headers: { 'Content-Type': 'application/json' } }, (x) => { x.resume(); x.on('end', () => res()); });
  r.on('error', rej); r.end(body);
});
await post(-1);
const t0 = Date.now(); let n = 0;
await Promise.all(Array.from({ length: 16 }, async () => { while (n < 4000) await post(n++); }));
console.log('creates/s', 4000 / ((Date.now() - t0) / 1000));
await c.stop(); process.exit(0);
