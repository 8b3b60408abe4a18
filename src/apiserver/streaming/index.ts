/**
 * The pod streaming subresources of the API server — `pods/log`, `exec`,
 * `attach`, `portforward` — relayed to the kubelet server of the pod's node
 * (found through the Node object: InternalIP and
 * `status.daemonEndpoints.kubeletEndpoint.Port`), plus the helper that lets
 * HTTP upgrade requests run through the normal router. Imports `../../api/`
 * and the API server's registry and HTTP helpers; it meets node agents only
 * through the Node object and the kubelet's HTTP interface.
 */
export { containerNames, chooseContainer, DEFAULT_CONTAINER_ANNOTATION } from './container-choice.js';
export { kubeletLocation, type KubeletLocation, type PodStreamSubresource } from './kubelet-location.js';
export { kubeletLogQuery, podLogOptions, type PodLogOptions } from './log-options.js';
export { isPodStream, PodStreams, type PodStreamRequest } from './pod-streams.js';
export { kubeletError, proxyGet, proxyUpgrade, upgradeOf, upgradeResponse } from './upgrade-proxy.js';
