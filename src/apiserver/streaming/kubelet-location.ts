/**
 * Where the API server reaches a node's kubelet (upstream
 * `NodeConnectionInfoGetter`): the node's InternalIP (then ExternalIP, then
 * Hostname) and `status.daemonEndpoints.kubeletEndpoint.Port`. skiff's
 * simulated nodes publish port 0: they run no kubelet server, and the API
 * server says so itself, in the words a user of skiff needs.
 */
import type { Node } from 'kubernetes-types/core/v1.js';

/** The streaming subresources of a pod. */
export type PodStreamSubresource = 'log' | 'exec' | 'attach' | 'portforward';

/** Where to dial. */
export interface KubeletLocation {
  host: string;
  port: number;
}

/** Annotation (and label) naming the runtime of a skiff node. */
const RUNTIME_KEY = 'skiff.io/runtime';

const CONSEQUENCE: Record<PodStreamSubresource, string> = {
  log: 'it has no process, so it has no logs',
  exec: 'it has no process, so there is nothing to exec into',
  attach: 'it has no process, so there is nothing to attach to',
  portforward: 'it has no process, so nothing listens on its ports',
};

/**
 * The kubelet address of `node`, or the message explaining why there is none.
 *
 * @example
 * kubeletLocation(node, { pod: 'web', container: 'app', subresource: 'log' })
 * // → { host: '127.0.1.1', port: 38211 }, or for a simulated node:
 * // → { error: 'container "app" in pod "web" is simulated by skiff (node "node-1" runs the simulated runtime): it has no process, so it has no logs; …' }
 */
export function kubeletLocation(node: Node, req: { pod: string; container?: string; subresource: PodStreamSubresource }): KubeletLocation | { error: string } {
  const nodeName = node.metadata?.name ?? '';
  const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port ?? 0;
  if (!port) {
    const runtime = node.metadata?.annotations?.[RUNTIME_KEY] ?? node.metadata?.labels?.[RUNTIME_KEY];
    const subject = req.container ? `container ${JSON.stringify(req.container)} in pod ${JSON.stringify(req.pod)}` : `pod ${JSON.stringify(req.pod)}`;
    if (runtime === 'simulated') {
      return {
        error: `${subject} is simulated by skiff (node ${JSON.stringify(nodeName)} runs the simulated runtime): ${CONSEQUENCE[req.subresource]}; schedule it onto a node of the process runtime to run it for real`,
      };
    }
    return {
      error: `node ${JSON.stringify(nodeName)} publishes no kubelet endpoint (status.daemonEndpoints.kubeletEndpoint.Port is 0), so ${subject} has no logs, exec, attach or port-forward; its node agent runs no kubelet server`,
    };
  }
  const addrs = node.status?.addresses ?? [];
  for (const type of ['InternalIP', 'ExternalIP', 'Hostname']) {
    const a = addrs.find((x) => x.type === type && x.address);
    if (a) return { host: a.address, port };
  }
  return { error: `node ${JSON.stringify(nodeName)} has no address (status.addresses is empty), so its kubelet cannot be reached` };
}
