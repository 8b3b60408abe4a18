/**
 * kube-proxy's IPVS mode as text: a pure renderer from the proxy's full state to
 * `ipvsadm` commands (schedulers rr, wrr, lc, dh, sh, sed, nq; persistence for
 * ClientIP affinity). Printable only: skiff applies no IPVS rules. Imports only
 * `src/proxy/`.
 */
export { renderIpvsadm, IPVS_SCHEDULERS, type IpvsadmRenderOptions } from './render-ipvsadm.js';
