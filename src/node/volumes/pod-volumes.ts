/**
 * Materialises a pod's volumes on the node, the way the kubelet's volume
 * manager does, and plans each container's mounts. Layout under the pod's
 * directory (as the kubelet's `pods/<uid>/`):
 *
 *   volumes/kubernetes.io~empty-dir/<name>/     emptyDir (mode 0777)
 *   volumes/kubernetes.io~configmap/<name>/     configMap   ┐ atomic writer:
 *   volumes/kubernetes.io~secret/<name>/        secret      │ `..data` symlink
 *   volumes/kubernetes.io~downward-api/<name>/  downwardAPI │ to a timestamped
 *   volumes/kubernetes.io~projected/<name>/     projected   ┘ directory
 *   etc-hosts, resolv.conf                      the pod's own files
 *   mnt-root/                                   scratch for a private root
 *
 * hostPath volumes have no directory here: they resolve into the node's tree.
 * `emptyDir.medium: Memory` stays a plain directory (no tmpfs, so no size
 * accounting against memory), and secret volumes are written to disk, not to
 * tmpfs as the kubelet does; both are visible to root on the host like any pod
 * file. configMap, secret, downwardAPI and projected volumes are always
 * mounted read-only, as upstream does since 1.10.
 */
import { mkdirSync, realpathSync, statSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { ConfigMap, Container, Node, Pod, Secret, Volume } from 'kubernetes-types/core/v1.js';
import type { Client, KubeObject } from '../../client/client.js';
import { podFieldValue } from '../envvars.js';
import { expandVars, lookupIn } from '../expansion.js';
import { writeAtomic, type Payload } from './atomic-writer.js';
import { downwardAPIPayload, needsAllocatable } from './downward-api.js';
import { etcHostsContent, DEFAULT_CLUSTER_DOMAIN } from './etc-hosts.js';
import { isWithin, resolveHostPath } from './host-path.js';
import { configMapData, projectKeys, secretData } from './key-projection.js';
import type { Mount, MountPlan } from './mount-namespace.js';
import { projectedPayload, projectedReferences } from './projected.js';
import { parseResolvConf, podDNSConfig, renderResolvConf, type ClusterDNS } from './resolv-conf.js';
import { VolumeError } from './volume-error.js';

/** Options of {@link preparePodVolumes}. */
export interface PreparePodVolumesOptions {
  /** The pod's own directory (created when missing), e.g. `<dataDir>/nodes/node-1/pods/<uid>`. */
  podDir: string;
  /** The node's "/" for hostPath volumes, e.g. `<dataDir>/nodes/node-1`. */
  nodeRoot: string;
  /** Reads ConfigMaps, Secrets, the pod (on refresh) and the node (for allocatable). */
  client: Client;
  /** The pod's IP, for /etc/hosts. */
  podIP: string;
  /** The cluster DNS server; without it ClusterFirst falls back to Default (like the kubelet). */
  clusterDNS?: ClusterDNS;
  /** The host resolv.conf behind dnsPolicy Default. Default `/etc/resolv.conf`. */
  hostResolvConf?: string;
  /** The host hosts file behind hostNetwork pods. Default `/etc/hosts`. */
  hostHosts?: string;
  /** Clock for token placeholders. Default `Date.now`. */
  now?: () => number;
}

/** A warning the runtime should record as an Event on the pod (kubelet reasons). */
export interface VolumeEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/** A pod's materialised volumes. */
export interface PodVolumes {
  /**
   * The mounts of one container (app, init or ephemeral), with subPaths
   * resolved now (a subPath of a configMap pins the current file, as upstream:
   * subPath mounts do not see updates). Throws a VolumeError
   * (`CreateContainerConfigError`) for an unknown container or volume, or a
   * subPath that escapes its volume.
   */
  planFor(containerName: string): MountPlan;
  /**
   * Re-reads ConfigMaps, Secrets and the pod (labels/annotations) and rewrites
   * the API-data volumes atomically where they changed. A volume whose source
   * fails keeps its current files; the failures are thrown together as one
   * VolumeError after every volume was tried.
   */
  refresh(): Promise<void>;
  /** Removes everything this module created under the pod's directory (never hostPath data). */
  cleanup(): Promise<void>;
  /** Warnings gathered while preparing (e.g. DNSConfigForming, MissingClusterDNS). */
  readonly events: readonly VolumeEvent[];
}

type Kind = 'emptyDir' | 'hostPath' | 'configMap' | 'secret' | 'downwardAPI' | 'projected';

interface Prepared {
  kind: Kind;
  /** Host directory (or file, for a hostPath file) that is mounted. */
  path: string;
  /** Mounted read-only whatever the volumeMount says. */
  readOnly: boolean;
}

const PLUGIN_DIR: Record<Exclude<Kind, 'hostPath'>, string> = {
  emptyDir: 'kubernetes.io~empty-dir',
  configMap: 'kubernetes.io~configmap',
  secret: 'kubernetes.io~secret',
  downwardAPI: 'kubernetes.io~downward-api',
  projected: 'kubernetes.io~projected',
};

const SUPPORTED = 'emptyDir, hostPath, configMap, secret, downwardAPI, projected';

function volumeKind(v: Volume): Kind | undefined {
  if (v.emptyDir) return 'emptyDir';
  if (v.hostPath) return 'hostPath';
  if (v.configMap) return 'configMap';
  if (v.secret) return 'secret';
  if (v.downwardAPI) return 'downwardAPI';
  if (v.projected) return 'projected';
  return undefined;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { reason?: unknown }).reason === 'NotFound';
}

/** Reads API objects for one setup pass, once per name. */
class Sources {
  private readonly configMaps = new Map<string, Promise<ConfigMap | undefined>>();
  private readonly secrets = new Map<string, Promise<Secret | undefined>>();
  private allocatable: Promise<Record<string, string> | undefined> | undefined;

  constructor(
    private readonly client: Client,
    private readonly pod: Pod,
  ) {}

  private async get<T extends KubeObject>(resource: string, name: string): Promise<T | undefined> {
    try {
      return await this.client.resource<T>('', 'v1', resource).get(this.pod.metadata?.namespace, name);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  configMap(name: string): Promise<ConfigMap | undefined> {
    let p = this.configMaps.get(name);
    if (!p) this.configMaps.set(name, (p = this.get<ConfigMap>('configmaps', name)));
    return p;
  }

  secret(name: string): Promise<Secret | undefined> {
    let p = this.secrets.get(name);
    if (!p) this.secrets.set(name, (p = this.get<Secret>('secrets', name)));
    return p;
  }

  /** The node's allocatable, or undefined (callers then use skiff's default capacity). */
  nodeAllocatable(): Promise<Record<string, string> | undefined> {
    this.allocatable ??= (async () => {
      const nodeName = this.pod.spec?.nodeName;
      if (!nodeName) return undefined;
      try {
        const node = await this.client.resource<Node>('', 'v1', 'nodes').get(undefined, nodeName);
        return node.status?.allocatable;
      } catch {
        return undefined;
      }
    })();
    return this.allocatable;
  }
}

function allContainers(pod: Pod): Container[] {
  return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? []), ...((pod.spec?.ephemeralContainers ?? []) as Container[])];
}

/** The environment `subPathExpr` expands against: literal values and pod fieldRefs, in order. */
function subPathEnv(pod: Pod, c: Container, podIP: string): Map<string, string> {
  const env = new Map<string, string>();
  for (const e of c.env ?? []) {
    if (e.value !== undefined) env.set(e.name, expandVars(e.value, lookupIn(env)));
    else if (e.valueFrom?.fieldRef) {
      try {
        env.set(e.name, podFieldValue(pod, e.valueFrom.fieldRef.fieldPath, { podIP, hostIP: pod.status?.hostIP ?? '' }));
      } catch {
        // An unsupported field leaves the variable unset, so `$(VAR)` stays literal.
      }
    }
  }
  return env;
}

class PreparedPodVolumes implements PodVolumes {
  readonly events: VolumeEvent[] = [];
  private readonly volumes = new Map<string, Prepared>();
  private refreshing: Promise<void> = Promise.resolve();

  constructor(
    private pod: Pod,
    private readonly opts: PreparePodVolumesOptions,
  ) {}

  private get etcHostsPath(): string {
    return join(this.opts.podDir, 'etc-hosts');
  }

  private get resolvConfPath(): string {
    return join(this.opts.podDir, 'resolv.conf');
  }

  private get scratchDir(): string {
    return join(this.opts.podDir, 'mnt-root');
  }

  private get podName(): string {
    return `${this.pod.metadata?.namespace ?? 'default'}/${this.pod.metadata?.name ?? ''}`;
  }

  async prepare(): Promise<void> {
    const { podDir } = this.opts;
    await mkdir(podDir, { recursive: true });
    await mkdir(this.scratchDir, { recursive: true, mode: 0o755 });
    const sources = new Sources(this.opts.client, this.pod);
    for (const v of this.pod.spec?.volumes ?? []) {
      const kind = volumeKind(v);
      if (!kind) {
        const type = Object.keys(v).filter((k) => k !== 'name').join(', ') || 'none';
        throw VolumeError.setUp(v.name, `volume type ${type} is not supported by skiff's process runtime (supported: ${SUPPORTED}); use emptyDir or hostPath instead`);
      }
      this.volumes.set(v.name, await this.setUp(v, kind, sources));
    }
    await this.writeEtcFiles();
  }

  private async setUp(v: Volume, kind: Kind, sources: Sources): Promise<Prepared> {
    if (kind === 'hostPath') {
      try {
        return { kind, path: await resolveHostPath(this.opts.nodeRoot, v.hostPath!.path, v.hostPath!.type ?? ''), readOnly: false };
      } catch (err) {
        throw VolumeError.setUp(v.name, errorText(err));
      }
    }
    const dir = join(this.opts.podDir, 'volumes', PLUGIN_DIR[kind], v.name);
    await mkdir(dir, { recursive: true, mode: 0o755 });
    if (kind === 'emptyDir') {
      // Upstream makes emptyDir world-writable so any container user can use it.
      await chmod(dir, 0o777);
      return { kind, path: dir, readOnly: false };
    }
    await this.project(v, kind, dir, sources);
    return { kind, path: dir, readOnly: true };
  }

  /** Computes and atomically writes the files of an API-data volume. */
  private async project(v: Volume, kind: Kind, dir: string, sources: Sources): Promise<void> {
    let result: { payload: Payload } | { error: string };
    try {
      result = await this.payloadOf(v, kind, sources);
    } catch (err) {
      throw VolumeError.setUp(v.name, errorText(err));
    }
    if ('error' in result) throw VolumeError.setUp(v.name, result.error);
    try {
      await writeAtomic(dir, result.payload, new Date(this.now()));
    } catch (err) {
      throw VolumeError.setUp(v.name, `writing the volume's files for pod ${this.podName} failed: ${errorText(err)}`);
    }
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  private async payloadOf(v: Volume, kind: Kind, sources: Sources): Promise<{ payload: Payload } | { error: string }> {
    switch (kind) {
      case 'configMap': {
        const src = v.configMap!;
        const cm = await sources.configMap(src.name ?? '');
        return projectKeys('configmap', src.name ?? '', cm ? configMapData(cm) : undefined, src);
      }
      case 'secret': {
        const src = v.secret!;
        const secret = await sources.secret(src.secretName ?? '');
        return projectKeys('secret', src.secretName ?? '', secret ? secretData(secret) : undefined, src);
      }
      case 'downwardAPI': {
        const items = v.downwardAPI!.items ?? [];
        const allocatable = needsAllocatable(items) ? await sources.nodeAllocatable() : undefined;
        return downwardAPIPayload(items, this.pod, v.downwardAPI!.defaultMode, allocatable);
      }
      case 'projected': {
        const src = v.projected!;
        const refs = projectedReferences(src);
        const configMaps = new Map<string, ConfigMap | undefined>();
        const secrets = new Map<string, Secret | undefined>();
        for (const n of refs.configMaps) configMaps.set(n, await sources.configMap(n));
        for (const n of refs.secrets) secrets.set(n, await sources.secret(n));
        const items = (src.sources ?? []).flatMap((s) => s.downwardAPI?.items ?? []);
        const allocatable = needsAllocatable(items) ? await sources.nodeAllocatable() : undefined;
        return projectedPayload(src, this.pod, { configMaps, secrets, allocatable, now: this.now() });
      }
      default:
        return { payload: new Map() };
    }
  }

  private async writeEtcFiles(): Promise<void> {
    const { pod, opts } = this;
    const clusterDomain = opts.clusterDNS?.clusterDomain || DEFAULT_CLUSTER_DOMAIN;
    const hostHosts = pod.spec?.hostNetwork ? await readFile(opts.hostHosts ?? '/etc/hosts', 'utf8').catch(() => '') : undefined;
    await writeFile(this.etcHostsPath, etcHostsContent(pod, { podIPs: opts.podIP ? [opts.podIP] : [], clusterDomain, hostHosts }), { mode: 0o644 });
    await chmod(this.etcHostsPath, 0o644);
    // An unreadable host resolv.conf reads as empty: the resolver then asks 127.0.0.1, as libc does.
    const host = parseResolvConf(await readFile(opts.hostResolvConf ?? '/etc/resolv.conf', 'utf8').catch(() => ''));
    const { config, events } = podDNSConfig(pod, { host, clusterDNS: opts.clusterDNS });
    this.events.push(...events);
    await writeFile(this.resolvConfPath, renderResolvConf(config), { mode: 0o644 });
    await chmod(this.resolvConfPath, 0o644);
  }

  planFor(containerName: string): MountPlan {
    const c = allContainers(this.pod).find((x) => x.name === containerName);
    if (!c) throw VolumeError.container(`container "${containerName}" not found in pod ${this.podName}`);
    const mounts: Mount[] = [];
    let env: Map<string, string> | undefined;
    for (const vm of c.volumeMounts ?? []) {
      const vol = this.volumes.get(vm.name);
      if (!vol) throw VolumeError.container(`cannot find volume "${vm.name}" to mount into container "${c.name}" of pod ${this.podName}`, vm.name);
      let sub = vm.subPath ?? '';
      if (vm.subPathExpr) {
        env ??= subPathEnv(this.pod, c, this.opts.podIP);
        sub = expandVars(vm.subPathExpr, lookupIn(env));
      }
      const source = sub ? this.subPathSource(vol, sub, vm.name, c.name) : vol.path;
      mounts.push({ source, target: vm.mountPath, readOnly: vm.readOnly === true || vol.readOnly });
    }
    const mounted = new Set(mounts.map((m) => posix.normalize(m.target)));
    const plan: MountPlan = { mounts, scratchDir: this.scratchDir };
    // The kubelet leaves /etc/hosts alone when the container mounts its own.
    if (!mounted.has('/etc/hosts')) plan.etcHosts = this.etcHostsPath;
    if (!mounted.has('/etc/resolv.conf')) plan.resolvConf = this.resolvConfPath;
    return plan;
  }

  /** The host path of `sub` inside a volume: created as a directory when missing, never outside the volume. */
  private subPathSource(vol: Prepared, sub: string, volume: string, container: string): string {
    const fail = (why: string) =>
      VolumeError.container(`failed to prepare subPath for volumeMount "${volume}" of container "${container}" in pod ${this.podName}: ${why}`, volume);
    if (sub.startsWith('/')) throw fail(`subPath ${sub} must be a relative path`);
    if (sub.split('/').includes('..')) throw fail(`subPath ${sub} must not contain '..'`);
    let root: string;
    try {
      root = realpathSync(vol.path);
    } catch (err) {
      throw fail(errorText(err));
    }
    const wanted = join(vol.path, sub);
    try {
      statSync(wanted);
    } catch {
      // Upstream creates a missing subPath as a directory; refuse first if a symlinked parent points outside.
      const parentReal = (() => {
        let p = posix.dirname(wanted);
        for (;;) {
          try {
            return realpathSync(p);
          } catch {
            if (p === vol.path || p === '/') return root;
            p = posix.dirname(p);
          }
        }
      })();
      if (!isWithin(root, parentReal)) throw fail(`subPath ${sub} is outside the volume (through a symlink)`);
      try {
        mkdirSync(wanted, { recursive: true, mode: 0o755 });
      } catch (err) {
        throw fail(errorText(err));
      }
    }
    const real = realpathSync(wanted);
    if (!isWithin(root, real)) throw fail(`subPath ${sub} resolves to ${real}, outside the volume (through a symlink)`);
    return real;
  }

  refresh(): Promise<void> {
    const run = this.refreshing.then(() => this.doRefresh());
    this.refreshing = run.catch(() => {});
    return run;
  }

  private async doRefresh(): Promise<void> {
    const ns = this.pod.metadata?.namespace;
    const name = this.pod.metadata?.name;
    if (name) {
      try {
        const fresh = await this.opts.client.resource<Pod>('', 'v1', 'pods').get(ns, name);
        if (fresh.metadata?.uid === this.pod.metadata?.uid) this.pod = fresh;
      } catch {
        // Keep the pod we have: labels and annotations just stay as they were.
      }
    }
    const sources = new Sources(this.opts.client, this.pod);
    const failures: VolumeError[] = [];
    for (const v of this.pod.spec?.volumes ?? []) {
      const vol = this.volumes.get(v.name);
      if (!vol || !vol.readOnly) continue;
      try {
        await this.project(v, vol.kind, vol.path, sources);
      } catch (err) {
        failures.push(err instanceof VolumeError ? err : VolumeError.setUp(v.name, errorText(err)));
      }
    }
    if (failures.length === 1) throw failures[0]!;
    if (failures.length > 1) throw new VolumeError('FailedMount', failures.map((f) => f.message).join('; '));
  }

  async cleanup(): Promise<void> {
    const { podDir } = this.opts;
    await rm(join(podDir, 'volumes'), { recursive: true, force: true });
    await rm(this.etcHostsPath, { force: true });
    await rm(this.resolvConfPath, { force: true });
    // rmdir, not rm -r: the scratch directory is only ever a mount point, and must never be emptied recursively.
    await rmdir(this.scratchDir).catch(() => {});
  }
}

/**
 * Materialises the pod's volumes under `podDir` and returns what to mount
 * where, per container via `planFor()`. Throws a VolumeError (reason
 * `FailedMount`, message kubelet-style: `MountVolume.SetUp failed for volume
 * "x" : configmap "y" not found`) when a volume cannot be set up; the runtime
 * should record it as a Warning event and retry later, as the kubelet does.
 *
 * @example
 * const volumes = await preparePodVolumes(pod, { podDir, nodeRoot, client, podIP: '127.128.1.5', clusterDNS: { nameserver: '127.96.0.10', searches: [], options: [] } });
 * const r = wrapWithMounts(volumes.planFor('app'), argv);
 */
export async function preparePodVolumes(pod: Pod, opts: PreparePodVolumesOptions): Promise<PodVolumes> {
  const v = new PreparedPodVolumes(pod, opts);
  await v.prepare();
  return v;
}
