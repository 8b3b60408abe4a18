/**
 * `pods/log`, `pods/exec`, `pods/attach` and `pods/portforward` (upstream
 * `pkg/registry/core/pod/rest/log.go` and `subresources.go`): validate the
 * request against the pod the way upstream does, find the node's kubelet
 * (`kubeletLocation`) and relay to `/containerLogs`, `/exec`, `/attach` or
 * `/portForward` there.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { ApiError, badRequest } from '../../api/errors.js';
import { findResource, type ResourceInfo } from '../../api/resources.js';
import type { Registry } from '../registry.js';
import { parseBool } from '../http.js';
import { chooseContainer } from './container-choice.js';
import { kubeletLocation, type KubeletLocation, type PodStreamSubresource } from './kubelet-location.js';
import { kubeletLogQuery, podLogOptions } from './log-options.js';
import { proxyGet, proxyUpgrade, upgradeOf } from './upgrade-proxy.js';

const SUBRESOURCES: ReadonlySet<string> = new Set<PodStreamSubresource>(['log', 'exec', 'attach', 'portforward']);

/**
 * Whether a request is for one of the pod streaming subresources.
 *
 * @example
 * isPodStream(podsInfo, 'exec') // true
 */
export function isPodStream(info: ResourceInfo, subresource: string | undefined): subresource is PodStreamSubresource {
  return info.group === '' && info.resource === 'pods' && subresource !== undefined && SUBRESOURCES.has(subresource);
}

/** One streaming request, as the API server's router hands it over. */
export interface PodStreamRequest {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  namespace: string | undefined;
  name: string;
  subresource: PodStreamSubresource;
}

function methodNotAllowed(): ApiError {
  return new ApiError('MethodNotAllowed', 'the server does not allow this method on the requested resource');
}

/** The exec/attach query the kubelet gets (upstream `streamParams`). */
function streamQuery(q: URLSearchParams, withCommand: boolean): string {
  const p = new URLSearchParams();
  for (const flag of ['stdin', 'stdout', 'stderr', 'tty']) if (parseBool(q.get(flag))) p.set(flag, '1');
  if (withCommand) for (const c of q.getAll('command')) p.append('command', c);
  return p.toString();
}

/**
 * @example
 * const streams = new PodStreams(registry);
 * if (isPodStream(info, sub)) await streams.serve({ req, res, url, namespace, name, subresource: sub });
 */
export class PodStreams {
  private readonly pods: ResourceInfo;
  private readonly nodes: ResourceInfo;

  constructor(private readonly registry: Registry) {
    this.pods = findResource('', 'v1', 'pods')!;
    this.nodes = findResource('', 'v1', 'nodes')!;
  }

  /** Serves one request; throws ApiErrors for the caller to render as Status. */
  async serve(r: PodStreamRequest): Promise<void> {
    if (r.namespace === undefined) throw badRequest('a namespace is required for pod subresources');
    const method = r.req.method ?? 'GET';
    if (r.subresource === 'log') {
      if (method !== 'GET') throw methodNotAllowed();
      return this.serveLog(r);
    }
    if (method !== 'GET' && method !== 'POST') throw methodNotAllowed();
    if (!upgradeOf(r.req)) throw badRequest('Upgrade request required');
    const q = r.url.searchParams;
    const pod = (await this.registry.get(this.pods, r.namespace, r.name)) as Pod;
    let container: string | undefined;
    if (r.subresource !== 'portforward') container = chooseContainer(pod, q.get('container'));
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) throw badRequest(`pod ${r.name} does not have a host assigned`);
    const loc = await this.locate(nodeName, { pod: r.name, ...(container ? { container } : {}), subresource: r.subresource });
    const ns = encodeURIComponent(r.namespace);
    const pn = encodeURIComponent(r.name);
    let path: string;
    if (r.subresource === 'portforward') {
      const ports = q.getAll('ports').flatMap((v) => v.split(',')).filter(Boolean);
      path = `/portForward/${ns}/${pn}${ports.length ? `?port=${encodeURIComponent(ports.join(','))}` : ''}`;
    } else {
      const query = streamQuery(q, r.subresource === 'exec');
      path = `/${r.subresource}/${ns}/${pn}/${encodeURIComponent(container!)}${query ? `?${query}` : ''}`;
    }
    await proxyUpgrade(r.req, r.res, loc, path, nodeName);
  }

  private async serveLog(r: PodStreamRequest): Promise<void> {
    const opts = podLogOptions(r.url.searchParams, r.name);
    const pod = (await this.registry.get(this.pods, r.namespace, r.name)) as Pod;
    const container = chooseContainer(pod, opts.container);
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) {
      // Upstream answers an empty body here; a 400 in the kubelet's words tells the user why.
      throw badRequest(`container ${JSON.stringify(container)} in pod ${JSON.stringify(r.name)} is waiting to start: the pod is not scheduled to a node yet`);
    }
    const loc = await this.locate(nodeName, { pod: r.name, container, subresource: 'log' });
    const query = kubeletLogQuery(opts);
    const path = `/containerLogs/${encodeURIComponent(r.namespace!)}/${encodeURIComponent(r.name)}/${encodeURIComponent(container)}${query ? `?${query}` : ''}`;
    await proxyGet(r.res, loc, path, nodeName);
  }

  private async locate(nodeName: string, what: { pod: string; container?: string; subresource: PodStreamSubresource }): Promise<KubeletLocation> {
    const node = (await this.registry.get(this.nodes, undefined, nodeName)) as Node;
    const loc = kubeletLocation(node, what);
    if ('error' in loc) throw badRequest(loc.error);
    return loc;
  }
}
