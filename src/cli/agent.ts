/**
 * `skiff agent`: one node joining a running cluster from another process (or,
 * later, another machine) — the node agent with the process runtime and the
 * service proxy, as a kubelet and kube-proxy would, talking to the API server
 * over HTTP like any client. The node goes NotReady when the agent dies and
 * comes back when it restarts.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Client } from '../client/client.js';
import { HttpTransport } from '../client/transport.js';
import { startComponents, type Components } from './components.js';

export interface AgentOptions {
  /** The API server URL. */
  server: string;
  /** The node to register (and run). */
  name: string;
  /** Bearer token for the API server. */
  token?: string;
  /** The node's directory tree: pod logs and volumes live under `<dataDir>/nodes/<name>/`. */
  dataDir: string;
  imageFallback?: 'simulate' | 'fail';
  /** Run the service proxy for this machine. Default true. */
  proxy?: boolean;
  /** Pod IPs for this node's /24 come from the lower half of this range (as with `skiff up`). */
  clusterCIDR?: string;
  /** The kube-dns ClusterIP for pods' resolv.conf, or `off`. */
  clusterDNS?: string;
  log?: (line: string) => void;
}

/** Starts the agent; resolves once its node is registered and Ready. */
export async function startAgent(o: AgentOptions): Promise<Components> {
  const log = o.log ?? (() => {});
  mkdirSync(o.dataDir, { recursive: true, mode: 0o700 });
  const transport = new HttpTransport({ server: o.server, userAgent: `skiff-agent/${o.name}`, ...(o.token ? { token: o.token } : {}) });
  const client = new Client(transport);
  const components = startComponents(
    client,
    {
      controllers: 'none',
      nodes: 1,
      nodeNames: [o.name],
      runtime: 'process',
      dataDir: resolve(o.dataDir),
      ...(o.imageFallback ? { imageFallback: o.imageFallback } : {}),
      ...(o.clusterCIDR ? { clusterCIDR: o.clusterCIDR } : {}),
      // Pods point at the cluster DNS; the server runs it (components with no controllers run none).
      ...(o.clusterDNS && o.clusterDNS !== 'off' ? { clusterDNS: o.clusterDNS } : {}),
      ...(o.proxy === false ? {} : { proxy: { mode: 'userspace' as const } }),
    },
    log,
  );
  log(`agent: node ${o.name} joining ${o.server}`);
  const ms = await components.nodesReady;
  log(`agent: node ${o.name} Ready in ${ms} ms`);
  return {
    ...components,
    async stop() {
      await components.stop();
      transport.close();
    },
  };
}
