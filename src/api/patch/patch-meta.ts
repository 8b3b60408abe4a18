/**
 * Patch metadata for the built-in kinds skiff serves: for every Go type
 * reachable from those kinds, the struct tags that change how strategic merge
 * patch and server-side apply treat a field (`patchStrategy`, `patchMergeKey`,
 * `+listType`, `+listMapKey`, `+mapType=atomic`, `+structType=atomic`, and the
 * `+default` of list-map key fields). Transcribed from the upstream struct tags
 * in k8s.io/api (core/v1, apps/v1, discovery/v1, coordination/v1, events/v1,
 * autoscaling/v1) and k8s.io/apimachinery meta/v1.
 *
 * The table is pruned: a field appears only if it carries one of those tags or
 * leads to a type that does. Everything else takes the default, which is the
 * same for both algorithms: maps merge key by key and lists are replaced whole
 * (atomic). So `NodeSpec.taints`, `PodSpec.tolerations`, container
 * `command`/`args` and `EndpointSlice.endpoints` are absent on purpose: they are
 * atomic lists upstream too.
 */

/** How strategic merge patch treats a field (`patchStrategy` struct tag). */
export type PatchStrategy = 'merge' | 'retainKeys' | 'merge,retainKeys' | 'replace';

/** The metadata of one field of a Go type. Absent keys mean "the default". */
export interface FieldMeta {
  /** Go type name of the value, or of the list/map element, when that type has metadata of its own. */
  readonly type?: string;
  /** The field is a JSON array. */
  readonly list?: boolean;
  /** The field is a `map[string]T` (keys are data, not field names). */
  readonly map?: boolean;
  /** `patchStrategy` struct tag (strategic merge patch). */
  readonly patchStrategy?: PatchStrategy;
  /** `patchMergeKey` struct tag (strategic merge patch). */
  readonly patchMergeKey?: string;
  /** `+listType` marker (server-side apply). Lists without one are atomic. */
  readonly listType?: 'atomic' | 'set' | 'map';
  /** `+listMapKey` markers, in declaration order (server-side apply). */
  readonly listMapKeys?: readonly string[];
  /** `+default` of list-map key fields, used when an element omits the key. */
  readonly keyDefaults?: Readonly<Record<string, unknown>>;
  /** `+mapType=atomic` or `+structType=atomic` on the field: owned and replaced as a whole. */
  readonly atomic?: boolean;
  /** Free-form JSON (`runtime.RawExtension`, `FieldsV1`): no schema below this point. */
  readonly untyped?: boolean;
}

/** The metadata of one Go struct type. */
export interface TypeMeta {
  /** `+structType=atomic` on the type: values are owned and replaced as a whole. */
  readonly atomic?: boolean;
  readonly fields: Readonly<Record<string, FieldMeta>>;
}

/** Patch metadata for one kind: the root type and the table it indexes into. */
export interface PatchMeta {
  /** Go type name of the kind's top-level object, e.g. `Deployment`. */
  readonly root: string;
  readonly types: Readonly<Record<string, TypeMeta>>;
}

/** The transcribed table. Keys are Go type names; types outside core/apps/meta carry their package (`discovery.EndpointPort`). */
export const PATCH_TYPES: Readonly<Record<string, TypeMeta>> = {
  Namespace: { fields: {
    metadata: { type: 'ObjectMeta' },
    status: { type: 'NamespaceStatus' },
  } },
  ObjectMeta: { fields: {
    ownerReferences: { type: 'OwnerReference', list: true, patchStrategy: 'merge', patchMergeKey: 'uid', listType: 'map', listMapKeys: ['uid'] },
    finalizers: { list: true, patchStrategy: 'merge', listType: 'set' },
    managedFields: { type: 'ManagedFieldsEntry', list: true, listType: 'atomic' },
  } },
  OwnerReference: { atomic: true, fields: {} },
  ManagedFieldsEntry: { fields: {
    fieldsV1: { untyped: true },
  } },
  NamespaceStatus: { fields: {
    conditions: { list: true, patchStrategy: 'merge', patchMergeKey: 'type', listType: 'map', listMapKeys: ['type'] },
  } },
  Node: { fields: {
    metadata: { type: 'ObjectMeta' },
    spec: { type: 'NodeSpec' },
    status: { type: 'NodeStatus' },
  } },
  NodeSpec: { fields: {
    podCIDRs: { list: true, patchStrategy: 'merge', listType: 'set' },
    podPreemptionPolicy: { type: 'NodePodPreemptionPolicy' },
  } },
  NodePodPreemptionPolicy: { fields: {
    disableResizePreemption: { list: true, listType: 'set' },
  } },
  NodeStatus: { fields: {
    conditions: { list: true, patchStrategy: 'merge', patchMergeKey: 'type', listType: 'map', listMapKeys: ['type'] },
    addresses: { list: true, patchStrategy: 'merge', patchMergeKey: 'type', listType: 'map', listMapKeys: ['type'] },
  } },
  Pod: { fields: {
    metadata: { type: 'ObjectMeta' },
    spec: { type: 'PodSpec' },
    status: { type: 'PodStatus' },
  } },
  PodSpec: { fields: {
    volumes: { type: 'Volume', list: true, patchStrategy: 'merge,retainKeys', patchMergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
    initContainers: { type: 'Container', list: true, patchStrategy: 'merge', patchMergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
    containers: { type: 'Container', list: true, patchStrategy: 'merge', patchMergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
    ephemeralContainers: { type: 'EphemeralContainer', list: true, patchStrategy: 'merge', patchMergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
    nodeSelector: { map: true, atomic: true },
    imagePullSecrets: { type: 'LocalObjectReference', list: true, patchStrategy: 'merge', patchMergeKey: 'name', listType: 'map', listMapKeys: ['name'], keyDefaults: { name: '' } },
    affinity: { type: 'Affinity' },
    hostAliases: { list: true, patchStrategy: 'merge', patchMergeKey: 'ip', listType: 'map', listMapKeys: ['ip'] },
    topologySpreadConstraints: { type: 'TopologySpreadConstraint', list: true, patchStrategy: 'merge', patchMergeKey: 'topologyKey', listType: 'map', listMapKeys: ['topologyKey', 'whenUnsatisfiable'] },
    schedulingGates: { list: true, patchStrategy: 'merge', patchMergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
    resourceClaims: { list: true, patchStrategy: 'merge,retainKeys', patchMergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
    resources: { type: 'ResourceRequirements' },
    evictionResponders: { type: 'EvictionResponder', list: true, patchStrategy: 'merge', patchMergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
  } },
  Volume: { fields: {
    iscsi: { type: 'ISCSIVolumeSource' },
    rbd: { type: 'RBDVolumeSource' },
    flexVolume: { type: 'FlexVolumeSource' },
    cinder: { type: 'CinderVolumeSource' },
    cephfs: { type: 'CephFSVolumeSource' },
    downwardAPI: { type: 'DownwardAPIVolumeSource' },
    projected: { type: 'ProjectedVolumeSource' },
    scaleIO: { type: 'ScaleIOVolumeSource' },
    storageos: { type: 'StorageOSVolumeSource' },
    csi: { type: 'CSIVolumeSource' },
    ephemeral: { type: 'EphemeralVolumeSource' },
  } },
  ISCSIVolumeSource: { fields: {
    secretRef: { type: 'LocalObjectReference' },
  } },
  LocalObjectReference: { atomic: true, fields: {} },
  RBDVolumeSource: { fields: {
    secretRef: { type: 'LocalObjectReference' },
  } },
  FlexVolumeSource: { fields: {
    secretRef: { type: 'LocalObjectReference' },
  } },
  CinderVolumeSource: { fields: {
    secretRef: { type: 'LocalObjectReference' },
  } },
  CephFSVolumeSource: { fields: {
    secretRef: { type: 'LocalObjectReference' },
  } },
  DownwardAPIVolumeSource: { fields: {
    items: { type: 'DownwardAPIVolumeFile', list: true, listType: 'atomic' },
  } },
  DownwardAPIVolumeFile: { fields: {
    fieldRef: { type: 'ObjectFieldSelector' },
    resourceFieldRef: { type: 'ResourceFieldSelector' },
  } },
  ObjectFieldSelector: { atomic: true, fields: {} },
  ResourceFieldSelector: { atomic: true, fields: {} },
  ProjectedVolumeSource: { fields: {
    sources: { type: 'VolumeProjection', list: true, listType: 'atomic' },
  } },
  VolumeProjection: { fields: {
    downwardAPI: { type: 'DownwardAPIProjection' },
    clusterTrustBundle: { type: 'ClusterTrustBundleProjection' },
  } },
  DownwardAPIProjection: { fields: {
    items: { type: 'DownwardAPIVolumeFile', list: true, listType: 'atomic' },
  } },
  ClusterTrustBundleProjection: { fields: {
    labelSelector: { type: 'LabelSelector' },
  } },
  LabelSelector: { atomic: true, fields: {} },
  ScaleIOVolumeSource: { fields: {
    secretRef: { type: 'LocalObjectReference' },
  } },
  StorageOSVolumeSource: { fields: {
    secretRef: { type: 'LocalObjectReference' },
  } },
  CSIVolumeSource: { fields: {
    nodePublishSecretRef: { type: 'LocalObjectReference' },
  } },
  EphemeralVolumeSource: { fields: {
    volumeClaimTemplate: { type: 'PersistentVolumeClaimTemplate' },
  } },
  PersistentVolumeClaimTemplate: { fields: {
    metadata: { type: 'ObjectMeta' },
    spec: { type: 'PersistentVolumeClaimSpec' },
  } },
  PersistentVolumeClaimSpec: { fields: {
    selector: { type: 'LabelSelector' },
    dataSource: { type: 'TypedLocalObjectReference' },
  } },
  TypedLocalObjectReference: { atomic: true, fields: {} },
  Container: { fields: {
    ports: { list: true, patchStrategy: 'merge', patchMergeKey: 'containerPort', listType: 'map', listMapKeys: ['containerPort', 'protocol'], keyDefaults: { protocol: 'TCP' } },
    env: { type: 'EnvVar', list: true, patchStrategy: 'merge', patchMergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
    resources: { type: 'ResourceRequirements' },
    restartPolicyRules: { type: 'ContainerRestartRule', list: true, listType: 'atomic' },
    volumeMounts: { type: 'VolumeMount', list: true, patchStrategy: 'merge', patchMergeKey: 'mountPath', listType: 'map', listMapKeys: ['mountPath'] },
    volumeDevices: { list: true, patchStrategy: 'merge', patchMergeKey: 'devicePath', listType: 'map', listMapKeys: ['devicePath'] },
  } },
  EnvVar: { fields: {
    valueFrom: { type: 'EnvVarSource' },
  } },
  EnvVarSource: { fields: {
    fieldRef: { type: 'ObjectFieldSelector' },
    resourceFieldRef: { type: 'ResourceFieldSelector' },
    configMapKeyRef: { type: 'ConfigMapKeySelector' },
    secretKeyRef: { type: 'SecretKeySelector' },
    fileKeyRef: { type: 'FileKeySelector' },
  } },
  ConfigMapKeySelector: { atomic: true, fields: {} },
  SecretKeySelector: { atomic: true, fields: {} },
  FileKeySelector: { atomic: true, fields: {} },
  ResourceRequirements: { fields: {
    claims: { list: true, listType: 'map', listMapKeys: ['name'] },
  } },
  ContainerRestartRule: { fields: {
    exitCodes: { type: 'ContainerRestartRuleOnExitCodes' },
  } },
  ContainerRestartRuleOnExitCodes: { fields: {
    values: { list: true, listType: 'set' },
  } },
  VolumeMount: { fields: {
    bindMountOptions: { list: true, listType: 'set' },
  } },
  EphemeralContainer: { fields: {
    ports: { list: true, patchStrategy: 'merge', patchMergeKey: 'containerPort', listType: 'map', listMapKeys: ['containerPort', 'protocol'], keyDefaults: { protocol: 'TCP' } },
    env: { type: 'EnvVar', list: true, patchStrategy: 'merge', patchMergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
    resources: { type: 'ResourceRequirements' },
    restartPolicyRules: { type: 'ContainerRestartRule', list: true, listType: 'atomic' },
    volumeMounts: { type: 'VolumeMount', list: true, patchStrategy: 'merge', patchMergeKey: 'mountPath', listType: 'map', listMapKeys: ['mountPath'] },
    volumeDevices: { list: true, patchStrategy: 'merge', patchMergeKey: 'devicePath', listType: 'map', listMapKeys: ['devicePath'] },
  } },
  Affinity: { fields: {
    nodeAffinity: { type: 'NodeAffinity' },
    podAffinity: { type: 'PodAffinity' },
    podAntiAffinity: { type: 'PodAntiAffinity' },
  } },
  NodeAffinity: { fields: {
    requiredDuringSchedulingIgnoredDuringExecution: { type: 'NodeSelector' },
    preferredDuringSchedulingIgnoredDuringExecution: { type: 'PreferredSchedulingTerm', list: true, listType: 'atomic' },
  } },
  NodeSelector: { atomic: true, fields: {
    nodeSelectorTerms: { type: 'NodeSelectorTerm', list: true, listType: 'atomic' },
  } },
  NodeSelectorTerm: { atomic: true, fields: {} },
  PreferredSchedulingTerm: { fields: {
    preference: { type: 'NodeSelectorTerm' },
  } },
  PodAffinity: { fields: {
    requiredDuringSchedulingIgnoredDuringExecution: { type: 'PodAffinityTerm', list: true, listType: 'atomic' },
    preferredDuringSchedulingIgnoredDuringExecution: { type: 'WeightedPodAffinityTerm', list: true, listType: 'atomic' },
  } },
  PodAffinityTerm: { fields: {
    labelSelector: { type: 'LabelSelector' },
    namespaceSelector: { type: 'LabelSelector' },
  } },
  WeightedPodAffinityTerm: { fields: {
    podAffinityTerm: { type: 'PodAffinityTerm' },
  } },
  PodAntiAffinity: { fields: {
    requiredDuringSchedulingIgnoredDuringExecution: { type: 'PodAffinityTerm', list: true, listType: 'atomic' },
    preferredDuringSchedulingIgnoredDuringExecution: { type: 'WeightedPodAffinityTerm', list: true, listType: 'atomic' },
  } },
  TopologySpreadConstraint: { fields: {
    labelSelector: { type: 'LabelSelector' },
  } },
  EvictionResponder: { atomic: true, fields: {} },
  PodStatus: { fields: {
    conditions: { list: true, patchStrategy: 'merge', patchMergeKey: 'type', listType: 'map', listMapKeys: ['type'] },
    hostIPs: { list: true, patchStrategy: 'merge', patchMergeKey: 'ip', listType: 'atomic' },
    podIPs: { list: true, patchStrategy: 'merge', patchMergeKey: 'ip', listType: 'map', listMapKeys: ['ip'] },
    initContainerStatuses: { type: 'ContainerStatus', list: true, listType: 'atomic' },
    containerStatuses: { type: 'ContainerStatus', list: true, listType: 'atomic' },
    ephemeralContainerStatuses: { type: 'ContainerStatus', list: true, listType: 'atomic' },
    resourceClaimStatuses: { list: true, patchStrategy: 'merge,retainKeys', patchMergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
    resources: { type: 'ResourceRequirements' },
    nodeAllocatableResourceClaimStatuses: { type: 'NodeAllocatableResourceClaimStatus', list: true, patchStrategy: 'merge', patchMergeKey: 'resourceClaimName', listType: 'map', listMapKeys: ['resourceClaimName'] },
    volumeHealth: { type: 'PodVolumeHealth', list: true, listType: 'map', listMapKeys: ['name'] },
  } },
  ContainerStatus: { fields: {
    resources: { type: 'ResourceRequirements' },
    volumeMounts: { list: true, patchStrategy: 'merge', patchMergeKey: 'mountPath', listType: 'map', listMapKeys: ['mountPath'] },
    allocatedResourcesStatus: { type: 'ResourceStatus', list: true, patchStrategy: 'merge', patchMergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
  } },
  ResourceStatus: { fields: {
    resources: { list: true, listType: 'map', listMapKeys: ['resourceID'] },
  } },
  NodeAllocatableResourceClaimStatus: { fields: {
    containers: { list: true, listType: 'set' },
    mapping: { list: true, patchStrategy: 'merge', patchMergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
    overhead: { list: true, patchStrategy: 'merge', patchMergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
  } },
  PodVolumeHealth: { fields: {
    healthConditions: { list: true, patchStrategy: 'merge', patchMergeKey: 'status', listType: 'map', listMapKeys: ['status', 'reason'] },
  } },
  Service: { fields: {
    metadata: { type: 'ObjectMeta' },
    spec: { type: 'ServiceSpec' },
    status: { type: 'ServiceStatus' },
  } },
  ServiceSpec: { fields: {
    ports: { list: true, patchStrategy: 'merge', patchMergeKey: 'port', listType: 'map', listMapKeys: ['port', 'protocol'], keyDefaults: { protocol: 'TCP' } },
    selector: { map: true, atomic: true },
  } },
  ServiceStatus: { fields: {
    conditions: { list: true, patchStrategy: 'merge', patchMergeKey: 'type', listType: 'map', listMapKeys: ['type'] },
  } },
  Endpoints: { fields: {
    metadata: { type: 'ObjectMeta' },
    subsets: { type: 'EndpointSubset', list: true, listType: 'atomic' },
  } },
  EndpointSubset: { fields: {
    addresses: { type: 'EndpointAddress', list: true, listType: 'atomic' },
    notReadyAddresses: { type: 'EndpointAddress', list: true, listType: 'atomic' },
    ports: { type: 'EndpointPort', list: true, listType: 'atomic' },
  } },
  EndpointAddress: { atomic: true, fields: {
    targetRef: { type: 'ObjectReference' },
  } },
  ObjectReference: { atomic: true, fields: {} },
  EndpointPort: { atomic: true, fields: {} },
  ConfigMap: { fields: {
    metadata: { type: 'ObjectMeta' },
  } },
  Secret: { fields: {
    metadata: { type: 'ObjectMeta' },
  } },
  ServiceAccount: { fields: {
    metadata: { type: 'ObjectMeta' },
    secrets: { type: 'ObjectReference', list: true, patchStrategy: 'merge', patchMergeKey: 'name', listType: 'map', listMapKeys: ['name'] },
    imagePullSecrets: { type: 'LocalObjectReference', list: true, listType: 'atomic' },
  } },
  Event: { fields: {
    metadata: { type: 'ObjectMeta' },
    involvedObject: { type: 'ObjectReference' },
    related: { type: 'ObjectReference' },
  } },
  DaemonSet: { fields: {
    metadata: { type: 'ObjectMeta' },
    spec: { type: 'DaemonSetSpec' },
    status: { type: 'DaemonSetStatus' },
  } },
  DaemonSetSpec: { fields: {
    selector: { type: 'LabelSelector' },
    template: { type: 'PodTemplateSpec' },
  } },
  PodTemplateSpec: { fields: {
    metadata: { type: 'ObjectMeta' },
    spec: { type: 'PodSpec' },
  } },
  DaemonSetStatus: { fields: {
    conditions: { list: true, patchStrategy: 'merge', patchMergeKey: 'type', listType: 'map', listMapKeys: ['type'] },
  } },
  Deployment: { fields: {
    metadata: { type: 'ObjectMeta' },
    spec: { type: 'DeploymentSpec' },
    status: { type: 'DeploymentStatus' },
  } },
  DeploymentSpec: { fields: {
    selector: { type: 'LabelSelector' },
    template: { type: 'PodTemplateSpec' },
    strategy: { patchStrategy: 'retainKeys' },
  } },
  DeploymentStatus: { fields: {
    conditions: { list: true, patchStrategy: 'merge', patchMergeKey: 'type', listType: 'map', listMapKeys: ['type'] },
  } },
  ReplicaSet: { fields: {
    metadata: { type: 'ObjectMeta' },
    spec: { type: 'ReplicaSetSpec' },
    status: { type: 'ReplicaSetStatus' },
  } },
  ReplicaSetSpec: { fields: {
    selector: { type: 'LabelSelector' },
    template: { type: 'PodTemplateSpec' },
  } },
  ReplicaSetStatus: { fields: {
    conditions: { list: true, patchStrategy: 'merge', patchMergeKey: 'type', listType: 'map', listMapKeys: ['type'] },
  } },
  ControllerRevision: { fields: {
    metadata: { type: 'ObjectMeta' },
    data: { untyped: true },
  } },
  'discovery.EndpointSlice': { fields: {
    metadata: { type: 'ObjectMeta' },
    endpoints: { type: 'discovery.Endpoint', list: true, listType: 'atomic' },
    ports: { type: 'discovery.EndpointPort', list: true, listType: 'atomic' },
  } },
  'discovery.Endpoint': { fields: {
    addresses: { list: true, listType: 'set' },
    targetRef: { type: 'ObjectReference' },
  } },
  'discovery.EndpointPort': { atomic: true, fields: {} },
  'coordination.Lease': { fields: {
    metadata: { type: 'ObjectMeta' },
  } },
  'events.Event': { fields: {
    metadata: { type: 'ObjectMeta' },
    regarding: { type: 'ObjectReference' },
    related: { type: 'ObjectReference' },
  } },
  'autoscaling.Scale': { fields: {
    metadata: { type: 'ObjectMeta' },
  } },
};

const KINDS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  v1: {
    Namespace: 'Namespace',
    Node: 'Node',
    Pod: 'Pod',
    Service: 'Service',
    Endpoints: 'Endpoints',
    ConfigMap: 'ConfigMap',
    Secret: 'Secret',
    ServiceAccount: 'ServiceAccount',
    Event: 'Event',
  },
  'apps/v1': {
    DaemonSet: 'DaemonSet',
    Deployment: 'Deployment',
    ReplicaSet: 'ReplicaSet',
    ControllerRevision: 'ControllerRevision',
  },
  'discovery.k8s.io/v1': { EndpointSlice: 'discovery.EndpointSlice' },
  'coordination.k8s.io/v1': { Lease: 'coordination.Lease' },
  'events.k8s.io/v1': { Event: 'events.Event' },
  'autoscaling/v1': { Scale: 'autoscaling.Scale' },
};

/**
 * The patch metadata of a built-in kind, or `undefined` for kinds skiff does
 * not know (for those, strategic merge patch is unsupported and apply treats
 * every map as mergeable and every list as atomic).
 * Example: `patchMetaFor('apps/v1', 'Deployment')?.root` → `'Deployment'`.
 */
export function patchMetaFor(apiVersion: string, kind: string): PatchMeta | undefined {
  const root = KINDS[apiVersion]?.[kind];
  return root === undefined ? undefined : { root, types: PATCH_TYPES };
}

/**
 * The metadata of field `name` of Go type `typeName`; `undefined` when either is
 * unknown, which callers treat as "default behaviour".
 */
export function fieldMeta(meta: PatchMeta | undefined, typeName: string | undefined, name: string): FieldMeta | undefined {
  if (!meta || typeName === undefined) return undefined;
  return meta.types[typeName]?.fields[name];
}

/** True when values of this field are owned and replaced as a whole (atomic struct or map). */
export function isAtomicValue(meta: PatchMeta | undefined, field: FieldMeta | undefined): boolean {
  if (!field) return false;
  if (field.atomic) return true;
  return field.type !== undefined && meta?.types[field.type]?.atomic === true;
}
