/**
 * Writing kubeconfigs: the cluster's own file in the data dir, and merging a
 * `skiff` cluster/user/context into the user's kubeconfig (the first path of
 * `KUBECONFIG`, else `~/.kube/config`) without disturbing other entries.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync, chmodSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { homedir } from 'node:os';
import YAML from 'yaml';

export interface KubeconfigEntry {
  /** Name used for the cluster, user and context. */
  name: string;
  server: string;
  token?: string;
  caData?: string;
}

type Named<T> = { name: string } & T;
interface Kubeconfig {
  apiVersion?: string;
  kind?: string;
  clusters?: Array<Named<{ cluster: Record<string, unknown> }>>;
  users?: Array<Named<{ user: Record<string, unknown> }>>;
  contexts?: Array<Named<{ context: Record<string, unknown> }>>;
  'current-context'?: string;
  preferences?: Record<string, unknown>;
}

function upsert<T extends { name: string }>(list: T[] | undefined, item: T): T[] {
  const out = (list ?? []).filter((x) => x.name !== item.name);
  out.push(item);
  return out;
}

/** Adds or replaces the entry in a kubeconfig document and makes it current. */
export function mergeKubeconfig(doc: Kubeconfig, e: KubeconfigEntry): Kubeconfig {
  // client-node 1.x refuses plain http:// unless insecure-skip-tls-verify is set (see reference/clients.md).
  const cluster: Record<string, unknown> = { server: e.server };
  if (e.caData) cluster['certificate-authority-data'] = e.caData;
  else if (e.server.startsWith('http://')) cluster['insecure-skip-tls-verify'] = true;
  return {
    apiVersion: 'v1',
    kind: 'Config',
    preferences: doc.preferences ?? {},
    clusters: upsert(doc.clusters, { name: e.name, cluster }),
    users: upsert(doc.users, { name: e.name, user: e.token ? { token: e.token } : {} }),
    contexts: upsert(doc.contexts, { name: e.name, context: { cluster: e.name, user: e.name, namespace: 'default' } }),
    'current-context': e.name,
  };
}

/** Merges the entry into the kubeconfig file at `path` (created, mode 0600, if missing). */
export function writeKubeconfig(path: string, e: KubeconfigEntry): void {
  let doc: Kubeconfig = {};
  if (existsSync(path)) {
    const text = readFileSync(path, 'utf8');
    doc = (YAML.parse(text) as Kubeconfig | null) ?? {};
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, YAML.stringify(mergeKubeconfig(doc, e)), { mode: 0o600 });
  chmodSync(path, 0o600);
}

/** The user's kubeconfig path: first entry of `KUBECONFIG`, else `~/.kube/config`. */
export function userKubeconfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const first = (env.KUBECONFIG ?? '').split(':').find((p) => p.length > 0);
  return first ?? join(homedir(), '.kube', 'config');
}
