/**
 * The catalogue of API resources skiff serves: one entry per resource with the
 * upstream names, kinds, scope, short names, categories, verbs and subresources.
 * Discovery, OpenAPI, the registry and the Table printers all read this list, so
 * a resource is added in exactly one place.
 */

export interface SubresourceInfo {
  /** e.g. `status`, `scale`, `eviction`. */
  name: string;
  /** The kind returned, with its group/version when it differs from the parent's. */
  kind: string;
  group?: string;
  version?: string;
  verbs: string[];
}

export interface ResourceInfo {
  /** API group, '' for core. */
  group: string;
  version: string;
  /** Plural resource name, e.g. `services`. */
  resource: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  subresources: SubresourceInfo[];
  /** Store key segment: `/registry/<storageGroup>/<resource>`; events of both groups share one store. */
  storagePrefix: string;
}

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const STATUS = (kind: string): SubresourceInfo => ({ name: 'status', kind, verbs: ['get', 'patch', 'update'] });
const SCALE: SubresourceInfo = { name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] };

function res(
  group: string,
  version: string,
  resource: string,
  kind: string,
  namespaced: boolean,
  extra: Partial<Pick<ResourceInfo, 'shortNames' | 'categories' | 'verbs' | 'subresources' | 'storagePrefix' | 'singular'>> = {},
): ResourceInfo {
  return {
    group,
    version,
    resource,
    singular: extra.singular ?? kind.toLowerCase(),
    kind,
    listKind: `${kind}List`,
    namespaced,
    shortNames: extra.shortNames ?? [],
    categories: extra.categories ?? [],
    verbs: extra.verbs ?? ALL_VERBS,
    subresources: extra.subresources ?? [],
    storagePrefix: extra.storagePrefix ?? `/registry/${group || 'core'}/${resource}`,
  };
}

/** Every resource skiff serves, in discovery order. */
export const RESOURCES: readonly ResourceInfo[] = [
  res('', 'v1', 'namespaces', 'Namespace', false, {
    shortNames: ['ns'],
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    subresources: [STATUS('Namespace'), { name: 'finalize', kind: 'Namespace', verbs: ['update'] }],
  }),
  res('', 'v1', 'nodes', 'Node', false, { shortNames: ['no'], subresources: [STATUS('Node')] }),
  res('', 'v1', 'pods', 'Pod', true, {
    shortNames: ['po'],
    categories: ['all'],
    subresources: [
      STATUS('Pod'),
      { name: 'binding', kind: 'Binding', verbs: ['create'] },
      { name: 'eviction', kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] },
      { name: 'log', kind: 'Pod', verbs: ['get'] },
      { name: 'exec', kind: 'PodExecOptions', verbs: ['create', 'get'] },
      { name: 'attach', kind: 'PodAttachOptions', verbs: ['create', 'get'] },
      { name: 'portforward', kind: 'PodPortForwardOptions', verbs: ['create', 'get'] },
    ],
  }),
  res('', 'v1', 'services', 'Service', true, { shortNames: ['svc'], categories: ['all'], subresources: [STATUS('Service')] }),
  res('', 'v1', 'endpoints', 'Endpoints', true, { shortNames: ['ep'], singular: 'endpoints' }),
  res('', 'v1', 'configmaps', 'ConfigMap', true, { shortNames: ['cm'] }),
  res('', 'v1', 'secrets', 'Secret', true),
  res('', 'v1', 'serviceaccounts', 'ServiceAccount', true, { shortNames: ['sa'] }),
  res('', 'v1', 'events', 'Event', true, { shortNames: ['ev'], storagePrefix: '/registry/core/events' }),
  res('apps', 'v1', 'daemonsets', 'DaemonSet', true, { shortNames: ['ds'], categories: ['all'], subresources: [STATUS('DaemonSet')] }),
  res('apps', 'v1', 'deployments', 'Deployment', true, {
    shortNames: ['deploy'],
    categories: ['all'],
    subresources: [STATUS('Deployment'), SCALE],
  }),
  res('apps', 'v1', 'replicasets', 'ReplicaSet', true, {
    shortNames: ['rs'],
    categories: ['all'],
    subresources: [STATUS('ReplicaSet'), SCALE],
  }),
  res('apps', 'v1', 'controllerrevisions', 'ControllerRevision', true),
  res('discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice', true),
  res('coordination.k8s.io', 'v1', 'leases', 'Lease', true),
  // Same storage as core events: events.k8s.io/v1 is another view of the same objects.
  res('events.k8s.io', 'v1', 'events', 'Event', true, { storagePrefix: '/registry/core/events' }),
];

/** `apps/v1`, or `v1` for core. */
export function groupVersion(r: { group: string; version: string }): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

/** Looks a resource up by group, version and plural name. */
export function findResource(group: string, version: string, resource: string): ResourceInfo | undefined {
  return RESOURCES.find((r) => r.group === group && r.version === version && r.resource === resource);
}

/** Looks a resource up by its apiVersion and kind (e.g. `apps/v1`, `DaemonSet`). */
export function findByKind(apiVersion: string, kind: string): ResourceInfo | undefined {
  return RESOURCES.find((r) => groupVersion(r) === apiVersion && r.kind === kind);
}

/** The distinct group-versions served, core first. */
export function groupVersions(): Array<{ group: string; version: string }> {
  const seen = new Map<string, { group: string; version: string }>();
  for (const r of RESOURCES) seen.set(groupVersion(r), { group: r.group, version: r.version });
  return [...seen.values()];
}
