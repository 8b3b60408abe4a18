/**
 * `skiff node add NAME [--label k=v]… [--taint k=v:Effect]…` and
 * `skiff node rm NAME`: talk to a running cluster (through the kubeconfig in
 * its data dir) and create or delete a Node object; the cluster's simulated
 * node pool adopts new Node objects and makes them Ready.
 */
import { join } from 'node:path';
import { Client } from '../client/client.js';
import { ApiError } from '../api/errors.js';
import { DEFAULT_CAPACITY } from '../node/node-object.js';

/** `k=v` → [k, v]; `k` alone → [k, '']. */
export function parseLabel(s: string): [string, string] {
  const i = s.indexOf('=');
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}

/** `key=value:Effect` or `key:Effect` (kubectl taint syntax) → a Taint. */
export function parseTaint(s: string): { key: string; value?: string; effect: string } {
  const m = /^([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(s);
  if (!m) throw new Error(`invalid taint "${s}": expected key[=value]:NoSchedule|PreferNoSchedule|NoExecute`);
  return { key: m[1]!, ...(m[2] !== undefined && m[2] !== '' ? { value: m[2] } : {}), effect: m[3]! };
}

/**
 * The Node object `skiff node add` creates. Like a kubelet registering (or a KWOK node
 * template), it brings its capacity and allocatable: a Node without them fits no pod, so
 * the scheduler would turn away the DaemonSet pod made for it at once and retry only
 * after its back-off (1 s). The simulated pool adopting it fills in the rest.
 */
export function nodeObject(name: string, labels: string[], taints: string[]): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', ...Object.fromEntries(labels.map(parseLabel)) },
      annotations: { 'skiff.io/runtime': 'simulated' },
    },
    spec: taints.length ? { taints: taints.map(parseTaint) } : {},
    status: { capacity: { ...DEFAULT_CAPACITY }, allocatable: { ...DEFAULT_CAPACITY } },
  };
}

async function clientFor(dataDir: string, kubeconfig?: string): Promise<Client> {
  return Client.fromKubeconfig(kubeconfig ?? join(dataDir, 'kubeconfig'));
}

/** Creates the node and waits (≤ 10 s) until it is Ready. */
export async function nodeAdd(o: { dataDir: string; kubeconfig?: string; name: string; labels: string[]; taints: string[] }): Promise<void> {
  const client = await clientFor(o.dataDir, o.kubeconfig);
  const nodes = client.resource('', 'v1', 'nodes');
  await nodes.create(undefined, nodeObject(o.name, o.labels, o.taints) as never);
  const t0 = Date.now();
  for (;;) {
    const n = (await nodes.get(undefined, o.name)) as { status?: { conditions?: Array<{ type: string; status: string }> } };
    if (n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) {
      process.stdout.write(`node/${o.name} added and Ready in ${Date.now() - t0} ms\n`);
      return;
    }
    if (Date.now() - t0 > 10_000) {
      process.stdout.write(`node/${o.name} added (not Ready yet: is a simulated node pool running?)\n`);
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Deletes the node. */
export async function nodeRemove(o: { dataDir: string; kubeconfig?: string; name: string }): Promise<void> {
  const client = await clientFor(o.dataDir, o.kubeconfig);
  try {
    await client.resource('', 'v1', 'nodes').delete(undefined, o.name);
  } catch (err) {
    if (err instanceof ApiError) throw new Error(`Error from server (${err.reason}): ${err.message}`);
    throw err;
  }
  process.stdout.write(`node/${o.name} removed\n`);
}
