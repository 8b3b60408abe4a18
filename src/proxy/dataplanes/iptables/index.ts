/**
 * The iptables data path (kube-proxy's iptables mode): a pure renderer from the
 * proxy's full state to `iptables-restore` text, and a data path that applies
 * it atomically, in a network namespace where given. Also home of what the
 * kernel renderers share (chain hashes, per-service-port plan). Imports only
 * `src/proxy/` and `src/client/`.
 */
export { renderIptables, chainsOf, type IptablesRenderOptions } from './render-iptables.js';
export { IptablesDataplane, IPTABLES_JUMPS, type IptablesDataplaneOptions } from './iptables-dataplane.js';
export { planKernelServices, servicePortName, localNodeNames, nodePortAddresses, type KernelServicePlan } from './kernel-service-plan.js';
export { portProtoHash, serviceChains, endpointChain, hashName, base32 } from './chain-names.js';
export { commandRunner, mustSucceed, type CommandRunner, type CommandResult } from './run-command.js';
export { kernelSnapshot } from './kernel-snapshot.js';
