/**
 * The nftables data path (kube-proxy's nftables mode): a pure renderer from the
 * proxy's full state to an `nft -f` script for table `ip kube-proxy`, and a
 * data path that swaps the table in one transaction. Imports only `src/proxy/`
 * (including the shared kernel plan in `../iptables/`) and `src/client/`.
 */
export { renderNftables, type NftablesRenderOptions } from './render-nftables.js';
export { NftablesDataplane, type NftablesDataplaneOptions } from './nftables-dataplane.js';
