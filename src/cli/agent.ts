/**
 * `skiff agent`: one node joining a running cluster from another process (or,
 * later, another machine) — the node agent with the process runtime and the
 * service proxy, as a kubelet and kube-proxy would, talking to the API server
 * over HTTP like any client. The node goes NotReady when the agent dies and
 * comes back when it restarts.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Client } from '../client/client.js';
import { HttpTransport } from '../client/transport.js';
import { startComponents, type Components } from './components.js';
import type { ProxyMode } from '../proxy/index.js';
import { isReason } from '../api/errors.js';

export interface AgentOptions {
  /** The API server URL. */
  server: string;
  /** `--node-lease-duration-seconds`: the Lease duration the node advertises (renewed every quarter). Default 40. */
  nodeLeaseDurationSeconds?: number;
  /** The node to register (and run). */
  name: string;
  /** Bearer token for the API server (the server's join token in secure mode). */
  token?: string;
  /** PEM file of the CA that signs the API server's certificate (`https://` servers). */
  certificateAuthority?: string;
  /** Do not verify the API server's certificate. */
  insecureSkipTLSVerify?: boolean;
  /** The node's directory tree: pod logs and volumes live under `<dataDir>/nodes/<name>/`. */
  dataDir: string;
  imageFallback?: 'simulate' | 'fail';
  /** The service proxy for this machine: its mode (default `userspace`), or false for none. */
  proxy?: false | ProxyMode;
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
  let ca: Buffer | undefined;
  if (o.certificateAuthority) {
    try {
      ca = readFileSync(o.certificateAuthority);
    } catch (e) {
      throw new Error(`skiff agent: cannot read --certificate-authority ${o.certificateAuthority}: ${(e as Error).message}`);
    }
  }
  const transport = new HttpTransport({
    server: o.server,
    userAgent: `skiff-agent/${o.name}`,
    ...(o.token ? { token: o.token } : {}),
    ...(ca ? { ca } : {}),
    ...(o.insecureSkipTLSVerify ? { insecureSkipTLSVerify: true } : {}),
  });
  const client = new Client(transport);
  try {
    await preflight(client, o.server, log);
  } catch (e) {
    transport.close();
    throw e;
  }
  const components = startComponents(
    client,
    {
      controllers: 'none',
      ...(o.nodeLeaseDurationSeconds ? { nodeLeaseDurationSeconds: o.nodeLeaseDurationSeconds } : {}),
      nodes: 1,
      nodeNames: [o.name],
      runtime: 'process',
      dataDir: resolve(o.dataDir),
      ...(o.imageFallback ? { imageFallback: o.imageFallback } : {}),
      ...(o.clusterCIDR ? { clusterCIDR: o.clusterCIDR } : {}),
      // Pods point at the cluster DNS; the server runs it (components with no controllers run none).
      ...(o.clusterDNS && o.clusterDNS !== 'off' ? { clusterDNS: o.clusterDNS } : {}),
      ...(o.proxy === false ? {} : { proxy: { mode: o.proxy ?? 'userspace' } }),
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

/**
 * One request before anything starts: a refused token or an untrusted
 * certificate will not get better by retrying, so the agent stops with the
 * reason instead of registering nothing forever. A server that is not up yet
 * is no reason to stop: the components retry.
 */
async function preflight(client: Client, server: string, log: (line: string) => void): Promise<void> {
  try {
    await client.raw({ method: 'GET', path: '/version' });
  } catch (e) {
    if (isReason(e, 'Unauthorized')) throw new Error('skiff agent: the API server refused the token (401 Unauthorized): check --token');
    const code = (e as NodeJS.ErrnoException).code ?? '';
    if (/CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/.test(code)) {
      throw new Error(`skiff agent: cannot verify the certificate of ${server} (${code}): pass --certificate-authority <server data-dir>/pki/ca.crt`);
    }
    // A secure server closes plain-HTTP connections without an answer.
    const hint = server.startsWith('http://') && code === 'ECONNRESET' ? ' (a server started beyond loopback or with --secure speaks https only)' : '';
    log(`agent: ${server} did not answer (${code || (e as Error).message})${hint}; the node agent keeps retrying`);
  }
}
