/**
 * The cluster zone as a chain link (CoreDNS `kubernetes` plugin): answers from
 * {@link answerZone} synchronously, passes names outside the zone on, and for an
 * ExternalName Service whose target lies outside the zone resolves the target
 * through the rest of the chain and appends what comes back.
 */
import { answerZone, type ZoneConfig } from './zone.js';
import type { DnsHandler, DnsQuery, DnsReply, Next } from './query.js';
import type { RecordSource } from './records.js';

/**
 * @example
 * const k8s = new KubernetesHandler(records, { ...DEFAULT_ZONE_CONFIG, localIPs: ['127.0.2.53'] });
 * const resolve = chain([k8s, cache, forward]);
 */
export class KubernetesHandler implements DnsHandler {
  readonly name = 'kubernetes';

  constructor(
    private readonly source: RecordSource,
    readonly config: ZoneConfig,
  ) {}

  serve(q: DnsQuery, next: Next): DnsReply | Promise<DnsReply> {
    const a = answerZone(q, this.source, this.config);
    if (!a) return next(q);
    const chase = a.chase;
    if (!chase) {
      // answerZone built this reply just now and shares it with no one.
      a.reply.cacheable = true;
      return a.reply;
    }
    const follow = (r: DnsReply): DnsReply => (r.rcode === 'NOERROR' ? { ...a.reply, answers: [...a.reply.answers, ...r.answers], truncated: r.truncated === true } : a.reply);
    try {
      const r = next({ ...q, name: chase.name, type: chase.type });
      // An unresolvable target still leaves the CNAME for the client to follow.
      return r instanceof Promise ? r.then(follow, () => a.reply) : follow(r);
    } catch {
      return a.reply;
    }
  }
}
