/**
 * The datagram protocol of netexec's UDP server: the payload, trimmed and
 * lower-cased, is `hostname`, `echo <text>` or `clientip`; anything else is
 * logged and not answered.
 */

/** What to send back (if anything) and what to log. */
export interface UdpAnswer {
  reply?: string;
  log?: string;
}

/**
 * Answers one datagram. Note the echo is of the lower-cased text, as upstream.
 *
 * @example
 * answerUdpCommand('Echo Hello', () => 'pod-a', '127.0.0.1:5000') // → { reply: 'hello', log: 'Echoing hello to UDP client 127.0.0.1:5000' }
 */
export function answerUdpCommand(payload: string, hostname: () => string, client: string): UdpAnswer {
  const text = payload.trim().toLowerCase();
  if (text === 'hostname') return { log: 'Sending udp hostName response', reply: hostname() };
  if (text.startsWith('echo ')) {
    const reply = text.slice('echo '.length);
    return { log: `Echoing ${reply} to UDP client ${client}`, reply };
  }
  if (text === 'clientip') return { log: `Sending clientip back to UDP client ${client}`, reply: client };
  if (text.length > 0) return { log: `Unknown UDP command received from ${client}: ${text}` };
  return {};
}

/**
 * `--udp-listen-addresses`: a comma-separated list of IPs, de-duplicated and
 * sorted; empty means the pod's own address. Throws with upstream's text for a
 * bad entry.
 */
export function parseListenAddresses(list: string, fallback: string, isIP: (s: string) => number): string[] {
  if (list === '') return [fallback];
  const out = new Set<string>();
  for (const a of list.split(',')) {
    if (!isIP(a)) throw new Error(`parseAddress: invalid address ${a}`);
    out.add(a);
  }
  return [...out].sort();
}
