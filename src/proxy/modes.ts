/**
 * The proxy's mode names, apart from the proxy itself: the CLI offers them as
 * flag choices without loading the data paths.
 */

/**
 * Data path modes: `userspace` (listeners in this process, no root), or the kernel's
 * `iptables` / `nftables` NAT (root; rules in this process's network namespace, or `netns`).
 */
export type ProxyMode = 'userspace' | 'iptables' | 'nftables';

/** Every {@link ProxyMode}, for flag choices. */
export const PROXY_MODES: readonly ProxyMode[] = ['userspace', 'iptables', 'nftables'];

/** The rule formats `skiff proxy rules` prints. */
export const PROXY_RULE_MODES = ['iptables', 'nftables', 'ipvs'] as const;

/** One of {@link PROXY_RULE_MODES}. */
export type ProxyRuleMode = (typeof PROXY_RULE_MODES)[number];
