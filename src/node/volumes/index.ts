/**
 * Pod volumes for the process runtime and the private mount namespaces that
 * show them to a container: `preparePodVolumes` materialises emptyDir,
 * hostPath (inside the node's own tree), configMap, secret, downwardAPI and
 * projected volumes under the pod's directory (API-data volumes through the
 * kubelet's atomic `..data` writer) plus the pod's /etc/hosts and
 * /etc/resolv.conf, and plans each container's mounts; `wrapWithMounts` turns
 * a plan and an argv into an `unshare` + `sh` argv that applies the mounts and
 * execs the command. Decisions (key projection, downward API files, hostPath
 * names, hosts and resolv.conf content, mount steps) are pure functions beside
 * the I/O. This folder may import `../../api/`, `../../client/` and the node
 * helpers `../envvars.ts` and `../expansion.ts` (so env vars and volume files
 * read pod fields the same way); it never writes to the API.
 */
export { preparePodVolumes, type PodVolumes, type PreparePodVolumesOptions, type VolumeEvent } from './pod-volumes.js';
export {
  mountNamespaceSupport,
  planMountSteps,
  realHostFs,
  renderMountScript,
  shQuote,
  wrapWithMounts,
  type BindStep,
  type HostFs,
  type Mount,
  type MountPlan,
  type MountSteps,
  type WrapOptions,
} from './mount-namespace.js';
export { VolumeError, type VolumeErrorReason } from './volume-error.js';
export { payloadPathError, writeAtomic, type FileProjection, type Payload } from './atomic-writer.js';
export { configMapData, DEFAULT_FILE_MODE, projectKeys, secretData, type KeyData, type KeySourceKind } from './key-projection.js';
export { downwardAPIPayload, needsAllocatable } from './downward-api.js';
export { placeholderServiceAccountToken, projectedPayload, projectedReferences, type ProjectedInputs } from './projected.js';
export { isWithin, nodePath, realpathAllowMissing, resolveHostPath, type HostPathType } from './host-path.js';
export { DEFAULT_CLUSTER_DOMAIN, etcHostsContent, podHostnameAndDomain } from './etc-hosts.js';
export {
  MAX_DNS_NAMESERVERS,
  MAX_DNS_SEARCH_LIST_CHARS,
  MAX_DNS_SEARCH_PATHS,
  parseResolvConf,
  podDNSConfig,
  renderResolvConf,
  type ClusterDNS,
  type DNSConfig,
  type DNSEvent,
} from './resolv-conf.js';
