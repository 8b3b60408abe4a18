/**
 * A container's environment exactly as the kubelet builds it (upstream
 * `pkg/kubelet/envvars` and `makeEnvironmentVariables` in
 * `pkg/kubelet/kubelet_pods.go`), as pure functions over data the caller has
 * already fetched: Service link variables (`FOO_SERVICE_HOST`, `FOO_PORT_80_TCP…`),
 * `envFrom` (with prefix), `env` values with `$(VAR)` references to earlier
 * variables, the downward API (`fieldRef`, `resourceFieldRef`) and
 * `configMapKeyRef` / `secretKeyRef` with `optional`.
 */
import type { ConfigMap, Container, EnvVar, ObjectFieldSelector, Pod, ResourceFieldSelector, Secret, Service } from 'kubernetes-types/core/v1.js';
import { parseQuantity } from '../api/quantity.js';
import { expandVars, lookupIn } from './expansion.js';
import { DEFAULT_CAPACITY } from './node-object.js';

/** One `NAME=value` pair, in the order the container will see it. */
export interface EnvPair {
  name: string;
  value: string;
}

/** Thrown when a container's environment cannot be built; the container then waits with reason `CreateContainerConfigError`. */
export class EnvVarError extends Error {
  readonly reason = 'CreateContainerConfigError';
  constructor(message: string) {
    super(message);
    this.name = 'EnvVarError';
  }
}

/** Something worth an Event that does not stop the container (skipped `envFrom` keys). */
export interface EnvWarning {
  reason: string;
  message: string;
}

/** The namespace of the API server's own Service (`kubernetes`), whose variables every pod gets. */
export const MASTER_SERVICE_NAMESPACE = 'default';

/** Upstream `makeEnvVariableName`: upper case, `-` and `.` → `_`, a leading digit gets a `_`. */
export function envVarNameFor(name: string): string {
  const n = name.replace(/[.-]/g, '_').toUpperCase();
  return /^[0-9]/.test(n) ? `_${n}` : n;
}

/** Whether `s` is a valid environment variable name (upstream `IsEnvVarName`). */
export function isEnvVarName(s: string): boolean {
  return /^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(s);
}

/** Whether the Service has a ClusterIP to advertise (not empty, not `None`). */
export function isServiceIPSet(svc: Service): boolean {
  const ip = svc.spec?.clusterIP;
  return !!ip && ip !== 'None';
}

/**
 * The link variables of `services` (upstream `envvars.FromServices`), skipping
 * Services without a ClusterIP.
 *
 * @example
 * serviceEnvVars([{ metadata: { name: 'redis-master' }, spec: { clusterIP: '127.96.0.11', ports: [{ port: 6379 }] } }])
 * // → REDIS_MASTER_SERVICE_HOST=127.96.0.11, REDIS_MASTER_SERVICE_PORT=6379, REDIS_MASTER_PORT=tcp://127.96.0.11:6379,
 * //   REDIS_MASTER_PORT_6379_TCP=tcp://127.96.0.11:6379, …_PROTO=tcp, …_PORT=6379, …_ADDR=127.96.0.11
 */
export function serviceEnvVars(services: readonly Service[]): EnvPair[] {
  const out: EnvPair[] = [];
  for (const svc of services) {
    const ports = svc.spec?.ports ?? [];
    if (!isServiceIPSet(svc) || ports.length === 0) continue;
    const ip = svc.spec!.clusterIP!;
    const prefix = envVarNameFor(svc.metadata?.name ?? '');
    out.push({ name: `${prefix}_SERVICE_HOST`, value: ip });
    out.push({ name: `${prefix}_SERVICE_PORT`, value: String(ports[0]!.port) });
    // Only the first port may be unnamed (validation), so the named ones get their own variable.
    for (const p of ports) if (p.name) out.push({ name: `${prefix}_SERVICE_PORT_${envVarNameFor(p.name)}`, value: String(p.port) });
    ports.forEach((p, i) => {
      const proto = (p.protocol || 'TCP').toUpperCase();
      const url = `${proto.toLowerCase()}://${ip}:${p.port}`;
      // Docker links: the first port also gets the bare `_PORT` name.
      if (i === 0) out.push({ name: `${prefix}_PORT`, value: url });
      const pp = `${prefix}_PORT_${p.port}_${proto}`;
      out.push({ name: pp, value: url });
      out.push({ name: `${pp}_PROTO`, value: proto.toLowerCase() });
      out.push({ name: `${pp}_PORT`, value: String(p.port) });
      out.push({ name: `${pp}_ADDR`, value: ip });
    });
  }
  return out;
}

/**
 * The Service variables a pod in `namespace` sees (upstream `getServiceEnvVarMap`):
 * `kubernetes` of the `default` namespace always, plus every Service of the pod's
 * namespace when `enableServiceLinks` (default true). A same-named Service of the
 * pod's own namespace does not shadow the master service.
 */
export function serviceEnvMap(services: readonly Service[], namespace: string, enableServiceLinks = true): Map<string, string> {
  const byName = new Map<string, Service>();
  const master = new Set<string>();
  for (const svc of services) {
    if (!isServiceIPSet(svc)) continue;
    const name = svc.metadata?.name ?? '';
    const ns = svc.metadata?.namespace ?? '';
    if (ns === MASTER_SERVICE_NAMESPACE && name === 'kubernetes') {
      byName.set(name, svc);
      master.add(name);
    } else if (ns === namespace && enableServiceLinks && !master.has(name)) {
      byName.set(name, svc);
    }
  }
  const sorted = [...byName.values()].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  return new Map(serviceEnvVars(sorted).map((e) => [e.name, e.value]));
}

/** Addresses the downward API reports. */
export interface PodAddressFacts {
  podIP: string;
  podIPs?: string[];
  hostIP: string;
  hostIPs?: string[];
}

/** Upstream's `formatMap`: `key="value"` lines sorted by key, as `metadata.labels` renders. */
function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(m![k])}`)
    .join('\n');
}

/**
 * The value of a downward API field path (`fieldRef.fieldPath`) for `pod`.
 *
 * @throws {EnvVarError} for an unsupported path.
 * @example
 * podFieldValue(pod, "metadata.labels['app']", addr) // 'web'
 */
export function podFieldValue(pod: Pod, fieldPath: string, addr: PodAddressFacts): string {
  const m = pod.metadata ?? {};
  const sub = /^metadata\.(labels|annotations)\['(.*)'\]$/.exec(fieldPath);
  if (sub) {
    const map = sub[1] === 'labels' ? m.labels : m.annotations;
    return map?.[sub[2]!] ?? '';
  }
  switch (fieldPath) {
    case 'metadata.name':
      return m.name ?? '';
    case 'metadata.namespace':
      return m.namespace ?? '';
    case 'metadata.uid':
      return m.uid ?? '';
    case 'metadata.labels':
      return formatMap(m.labels);
    case 'metadata.annotations':
      return formatMap(m.annotations);
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP':
      return addr.hostIPs?.[0] ?? addr.hostIP;
    case 'status.hostIPs':
      return (addr.hostIPs ?? [addr.hostIP]).join(',');
    case 'status.podIP':
      return addr.podIPs?.[0] ?? addr.podIP;
    case 'status.podIPs':
      return (addr.podIPs ?? [addr.podIP]).join(',');
    default:
      throw new EnvVarError(`unsupported fieldPath: ${fieldPath}`);
  }
}

function fieldRefValue(pod: Pod, ref: ObjectFieldSelector, addr: PodAddressFacts): string {
  if (ref.apiVersion && ref.apiVersion !== 'v1') throw new EnvVarError(`unsupported pod version: ${ref.apiVersion}`);
  return podFieldValue(pod, ref.fieldPath, addr);
}

/**
 * The value of a `resourceFieldRef` (upstream `containerResourceRuntimeValue`):
 * cpu rounded up to whole `divisor`s (default 1 core), memory and storage in
 * `divisor` units (default bytes). Unset limits fall back to the node's
 * allocatable, as upstream's `defaultPodLimitsForDownwardAPI` does.
 *
 * @example
 * resourceFieldValue(pod, container, { resource: 'limits.memory', divisor: '1Mi' }) // '128' for a 128Mi limit
 */
export function resourceFieldValue(pod: Pod, container: Container, ref: ResourceFieldSelector, allocatable: Readonly<Record<string, string>> = DEFAULT_CAPACITY): string {
  const target = ref.containerName ? [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((c) => c.name === ref.containerName) : container;
  if (!target) throw new EnvVarError(`container ${ref.containerName} not found in pod ${pod.metadata?.namespace}/${pod.metadata?.name}`);
  const dot = ref.resource.indexOf('.');
  const kind = ref.resource.slice(0, dot);
  const name = ref.resource.slice(dot + 1);
  if ((kind !== 'limits' && kind !== 'requests') || !name) throw new EnvVarError(`unsupported container resource : ${ref.resource}`);
  const res = target.resources ?? {};
  let q = (kind === 'limits' ? res.limits : res.requests)?.[name];
  if (q === undefined && kind === 'limits') q = allocatable[name];
  const divisor = ref.divisor ?? '1';
  const isCpu = name === 'cpu';
  const scale = isCpu ? 3 : 0;
  const d = parseQuantity(String(divisor), scale);
  if (d <= 0) throw new EnvVarError(`invalid divisor ${divisor} for resource ${ref.resource}`);
  const v = q === undefined ? 0 : parseQuantity(String(q), scale);
  return String(Math.ceil(v / d));
}

/** The ConfigMaps and Secrets a container's environment reads, by name. */
export interface EnvReferences {
  configMaps: string[];
  secrets: string[];
}

/** Names of the ConfigMaps and Secrets `container` references through `env` and `envFrom`. */
export function envReferences(container: Container): EnvReferences {
  const cms = new Set<string>();
  const secrets = new Set<string>();
  for (const f of container.envFrom ?? []) {
    if (f.configMapRef?.name) cms.add(f.configMapRef.name);
    if (f.secretRef?.name) secrets.add(f.secretRef.name);
  }
  for (const e of container.env ?? []) {
    if (e.value) continue;
    if (e.valueFrom?.configMapKeyRef?.name) cms.add(e.valueFrom.configMapKeyRef.name);
    if (e.valueFrom?.secretKeyRef?.name) secrets.add(e.valueFrom.secretKeyRef.name);
  }
  return { configMaps: [...cms], secrets: [...secrets] };
}

/** Fetched ConfigMaps and Secrets by name; `undefined` means the object does not exist. */
export interface EnvSources {
  configMaps: ReadonlyMap<string, ConfigMap | undefined>;
  secrets: ReadonlyMap<string, Secret | undefined>;
}

/** Everything besides the pod and container that the environment depends on. */
export interface EnvInputs extends PodAddressFacts {
  /** Services known when the container starts (all namespaces; filtered here). */
  services: readonly Service[];
  sources: EnvSources;
  /** Node allocatable for unset limits in `resourceFieldRef`. Default the agent's node capacity. */
  allocatable?: Readonly<Record<string, string>>;
}

/** The result of {@link containerEnv}. */
export interface ContainerEnv {
  env: EnvPair[];
  warnings: EnvWarning[];
}

// Stored Secrets carry only base64 `data` (the API server folds `stringData` into it).
function secretValue(s: Secret, key: string): string | undefined {
  const b64 = s.data?.[key];
  return b64 === undefined ? undefined : Buffer.from(b64, 'base64').toString('utf8');
}

function secretEntries(s: Secret): Array<[string, string]> {
  return Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]);
}

/**
 * The container's environment as the kubelet computes it: `envFrom` first
 * (later sources win; invalid names skipped with a warning), then `env` in
 * order (values expanded against the variables so far and the Service
 * variables; `valueFrom` resolved and not expanded), then the Service
 * variables the container did not define itself.
 *
 * @throws {EnvVarError} when a required ConfigMap, Secret or key is missing, e.g.
 *   `configmap "app-config" not found` or `couldn't find key mode in ConfigMap default/app-config`.
 * @example
 * containerEnv(pod, pod.spec.containers[0], { podIP, hostIP, services, sources }).env
 * // → [{ name: 'GREETING', value: 'hello' }, …, { name: 'KUBERNETES_SERVICE_HOST', value: '127.96.0.1' }, …]
 */
export function containerEnv(pod: Pod, container: Container, inputs: EnvInputs): ContainerEnv {
  const ns = pod.metadata?.namespace ?? 'default';
  const serviceEnv = serviceEnvMap(inputs.services, ns, pod.spec?.enableServiceLinks ?? true);
  const vars = new Map<string, string>();
  const warnings: EnvWarning[] = [];
  const { configMaps, secrets } = inputs.sources;

  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    let entries: Array<[string, string]>;
    let what: string;
    let name: string;
    if (from.configMapRef) {
      name = from.configMapRef.name ?? '';
      what = 'configMap';
      const cm = configMaps.get(name);
      if (!cm) {
        if (from.configMapRef.optional) continue;
        throw new EnvVarError(`configmap "${name}" not found`);
      }
      entries = Object.entries(cm.data ?? {});
    } else if (from.secretRef) {
      name = from.secretRef.name ?? '';
      what = 'secret';
      const s = secrets.get(name);
      if (!s) {
        if (from.secretRef.optional) continue;
        throw new EnvVarError(`secret "${name}" not found`);
      }
      entries = secretEntries(s);
    } else {
      continue;
    }
    const invalid: string[] = [];
    for (const [k, v] of entries) {
      const key = prefix + k;
      if (!isEnvVarName(key)) {
        invalid.push(key);
        continue;
      }
      vars.set(key, v);
    }
    if (invalid.length) {
      invalid.sort();
      warnings.push({
        reason: 'InvalidEnvironmentVariableNames',
        message: `Keys [${invalid.join(', ')}] from the EnvFrom ${what} ${ns}/${name} were skipped since they are considered invalid environment variable names.`,
      });
    }
  }

  const lookup = lookupIn(vars, serviceEnv);
  for (const e of container.env ?? []) {
    const value = envValue(pod, container, e, inputs, lookup);
    if (value === undefined) continue;
    // A redefinition keeps the first position (the map's insertion order) but takes the new value.
    vars.set(e.name, value);
  }

  const env: EnvPair[] = [...vars].map(([name, value]) => ({ name, value }));
  for (const [name, value] of serviceEnv) if (!vars.has(name)) env.push({ name, value });
  return { env, warnings };
}

/** One `env` entry's value; undefined when an optional source is missing (the variable is then not set). */
function envValue(pod: Pod, container: Container, e: EnvVar, inputs: EnvInputs, lookup: (n: string) => string | undefined): string | undefined {
  const ns = pod.metadata?.namespace ?? 'default';
  if (e.value) return expandVars(e.value, lookup);
  const from = e.valueFrom;
  if (!from) return '';
  if (from.fieldRef) return fieldRefValue(pod, from.fieldRef, inputs);
  if (from.resourceFieldRef) return resourceFieldValue(pod, container, from.resourceFieldRef, inputs.allocatable);
  if (from.configMapKeyRef) {
    const { name = '', key, optional } = from.configMapKeyRef;
    const cm = inputs.sources.configMaps.get(name);
    if (!cm) {
      if (optional) return undefined;
      throw new EnvVarError(`configmap "${name}" not found`);
    }
    const v = cm.data?.[key];
    if (v === undefined) {
      if (optional) return undefined;
      throw new EnvVarError(`couldn't find key ${key} in ConfigMap ${ns}/${name}`);
    }
    return v;
  }
  if (from.secretKeyRef) {
    const { name = '', key, optional } = from.secretKeyRef;
    const s = inputs.sources.secrets.get(name);
    if (!s) {
      if (optional) return undefined;
      throw new EnvVarError(`secret "${name}" not found`);
    }
    const v = secretValue(s, key);
    if (v === undefined) {
      if (optional) return undefined;
      throw new EnvVarError(`couldn't find key ${key} in Secret ${ns}/${name}`);
    }
    return v;
  }
  return '';
}
