/**
 * The typed REST client, in the manner of client-go's `rest` and `dynamic` packages:
 * `Client` turns a {@link ResourceInfo} into a {@link ResourceClient} that builds
 * Kubernetes URLs, encodes options as query parameters, decodes JSON and maps every
 * non-2xx `Status` back to an `ApiError`. It talks only to a {@link Transport}.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve as resolvePath } from 'node:path';
import type { ListMeta, ObjectMeta, Preconditions } from 'kubernetes-types/meta/v1.js';
import { ApiError, type Status } from '../api/errors.js';
import { findResource, type ResourceInfo } from '../api/resources.js';
import { errorFromResponse, errorFromStatus, isStatus } from './status.js';
import { HttpTransport, type QueryParams, type Transport, type TransportRequest, type TransportResponse } from './transport.js';

/** The least an API object has: the client needs only its metadata. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

/** A list response: items plus `metadata.resourceVersion` and `metadata.continue`. */
export interface ObjectList<T> {
  apiVersion?: string;
  kind?: string;
  metadata: ListMeta;
  items: T[];
}

/** Options of list calls (and of the list part of deleteCollection). */
export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
  timeoutSeconds?: number;
  /** Drop `metadata.managedFields` from the items (not sent; see {@link trimManagedFieldsOf}). */
  trimManagedFields?: boolean;
}

/** Options of create and update calls. */
export interface WriteOptions {
  /** `true` or `'All'` sends `dryRun=All`. */
  dryRun?: boolean | 'All';
  fieldManager?: string;
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
}

/** The four patch flavours and their content types. */
export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';

/** Content-Type of each {@link PatchType}. */
export const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

/** Options of patch calls. `fieldManager` is required by the server for `apply`; default `skiff`. */
export interface PatchOptions extends WriteOptions {
  /** Server-side apply: take ownership of conflicting fields. */
  force?: boolean;
  /** Patch a subresource such as `status` or `scale`. */
  subresource?: string;
  /** The caller does not read the patched object: the call resolves with nothing, and the transport may skip the body. */
  discardResult?: boolean;
}

/** Options of delete calls; sent as a `DeleteOptions` body. */
export interface DeleteOptions {
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  gracePeriodSeconds?: number;
  preconditions?: Preconditions;
  dryRun?: boolean | 'All';
}

/** Options of watch calls. Without `resourceVersion` the server first sends synthetic ADDED events. */
export interface WatchOptions {
  resourceVersion?: string;
  labelSelector?: string;
  fieldSelector?: string;
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
  /** Drop `metadata.managedFields` from the objects (not sent; see {@link trimManagedFieldsOf}). */
  trimManagedFields?: boolean;
}

/** Event types delivered to watch callbacks (ERROR is never delivered: it rejects the watch). */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

/** One decoded watch event. For BOOKMARK only `object.metadata.resourceVersion` is meaningful. */
export interface WatchEvent<T> {
  type: WatchEventType;
  object: T;
}

/** Options shared by every client. */
export interface ClientOptions {
  /** Field manager used for writes that do not name one. Default `skiff`. */
  fieldManager?: string;
}

/**
 * Drops `metadata.managedFields` in place, as kube-controller-manager's informers do
 * (`informers.WithTransform(trim)`): its controllers never read them, and they are a
 * third of a pod. The property is set to `undefined` rather than deleted, which keeps
 * the object's shape (and JSON leaves it out all the same).
 */
export function trimManagedFieldsOf(obj: KubeObject | undefined): void {
  const md = obj?.metadata;
  if (md && md.managedFields !== undefined) md.managedFields = undefined;
}

function dryRunQuery(d: boolean | 'All' | undefined): string | undefined {
  return d === true || d === 'All' ? 'All' : undefined;
}

function decodeJson<T>(res: TransportResponse): T {
  const text = res.body.toString('utf8');
  if (!text) return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError('InternalError', `the server returned an undecodable response (status ${res.status}): ${text.slice(0, 200)}`);
  }
}

/**
 * Operations on one resource type. Namespace arguments are ignored for cluster-scoped
 * resources; for namespaced resources an empty or undefined namespace in `list`/`watch`
 * means all namespaces.
 *
 * @example
 * const pods = client.resource<Pod>(findResource('', 'v1', 'pods')!);
 * const { items } = await pods.list('default', { labelSelector: 'app=web' });
 */
export class ResourceClient<T extends KubeObject = KubeObject> {
  constructor(
    private readonly transport: Transport,
    /** The resource this client serves. */
    readonly info: ResourceInfo,
    private readonly opts: ClientOptions = {},
  ) {}

  /**
   * The URL path of a collection, object or subresource, e.g.
   * `/apis/apps/v1/namespaces/default/deployments/web/scale`.
   */
  path(namespace?: string, name?: string, subresource?: string): string {
    const r = this.info;
    let p = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
    if (r.namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
    p += `/${r.resource}`;
    if (name !== undefined) {
      if (!name) throw new ApiError('BadRequest', `resource name may not be empty (${r.resource})`);
      p += `/${encodeURIComponent(name)}`;
      if (subresource) p += `/${subresource}`;
    }
    return p;
  }

  /** Reads one object. Rejects with ApiError NotFound when it does not exist. */
  async get(namespace: string | undefined, name: string, opts: { resourceVersion?: string } = {}): Promise<T> {
    return this.call<T>({ method: 'GET', path: this.path(namespace, name), query: { resourceVersion: opts.resourceVersion } });
  }

  /** Lists one page (or everything when no `limit`). */
  async list(namespace?: string, opts: ListOptions = {}): Promise<ObjectList<T>> {
    const { trimManagedFields, ...query } = opts;
    const list = await this.call<ObjectList<T>>({ method: 'GET', path: this.path(namespace), query });
    list.items ??= [];
    list.metadata ??= {};
    if (trimManagedFields) for (const item of list.items) trimManagedFieldsOf(item);
    return list;
  }

  /**
   * Lists every page by following `metadata.continue`; the result has all items and the
   * resourceVersion of the (consistent) snapshot. Default page size 500.
   */
  async listAll(namespace?: string, opts: ListOptions = {}): Promise<ObjectList<T>> {
    const first = await this.list(namespace, { limit: 500, ...opts });
    const items = [...first.items];
    let meta = first.metadata;
    while (meta.continue) {
      const page = await this.list(namespace, { ...opts, limit: opts.limit ?? 500, continue: meta.continue, resourceVersion: undefined, resourceVersionMatch: undefined });
      items.push(...page.items);
      meta = page.metadata;
    }
    return { apiVersion: first.apiVersion, kind: first.kind, metadata: { resourceVersion: meta.resourceVersion ?? first.metadata.resourceVersion }, items };
  }

  /**
   * Creates `obj`; `namespace` overrides `obj.metadata.namespace` for namespaced resources.
   * With `discardResult` the call resolves with nothing (an event recorder never reads
   * what it wrote), and the transport may skip the body.
   */
  create(namespace: string | undefined, obj: T, opts: WriteOptions & { discardResult: true }): Promise<void>;
  create(namespace: string | undefined, obj: T, opts?: WriteOptions & { discardResult?: boolean }): Promise<T>;
  async create(namespace: string | undefined, obj: T, opts: WriteOptions & { discardResult?: boolean } = {}): Promise<T | void> {
    return this.call<T>({
      method: 'POST',
      path: this.path(this.ns(namespace, obj)),
      query: this.writeQuery(opts),
      body: JSON.stringify(obj),
      ...(opts.discardResult ? { discardBody: true } : {}),
    });
  }

  /** Replaces `obj` (PUT); `obj.metadata.resourceVersion` makes it a compare-and-swap. */
  async update(namespace: string | undefined, obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.call<T>({ method: 'PUT', path: this.path(this.ns(namespace, obj), this.nameOf(obj)), query: this.writeQuery(opts), body: JSON.stringify(obj) });
  }

  /** Replaces the status of `obj` (PUT `…/status`). */
  async updateStatus(namespace: string | undefined, obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.call<T>({
      method: 'PUT',
      path: this.path(this.ns(namespace, obj), this.nameOf(obj), 'status'),
      query: this.writeQuery(opts),
      body: JSON.stringify(obj),
    });
  }

  /**
   * Patches one object. `body` is sent as-is when a string, else JSON-encoded (JSON is
   * valid YAML, so apply patches may be objects too).
   *
   * @example
   * await deployments.patch('default', 'web', 'merge', { spec: { replicas: 3 } });
   */
  patch(namespace: string | undefined, name: string, type: PatchType, body: unknown, opts: PatchOptions & { discardResult: true }): Promise<void>;
  patch(namespace: string | undefined, name: string, type: PatchType, body: unknown, opts?: PatchOptions): Promise<T>;
  async patch(namespace: string | undefined, name: string, type: PatchType, body: unknown, opts: PatchOptions = {}): Promise<T | void> {
    const query: QueryParams = this.writeQuery(opts);
    if (type === 'apply') query['fieldManager'] ??= this.opts.fieldManager ?? 'skiff';
    if (opts.force !== undefined) query['force'] = opts.force;
    return this.call<T>({
      method: 'PATCH',
      path: this.path(namespace, name, opts.subresource),
      query,
      body: typeof body === 'string' ? body : JSON.stringify(body),
      contentType: PATCH_CONTENT_TYPES[type],
      ...(opts.discardResult ? { discardBody: true } : {}),
    });
  }

  /**
   * Deletes one object. Resolves with what the server returns: the object (when
   * finalizers or a grace period keep it around) or a Success `Status`.
   */
  async delete(namespace: string | undefined, name: string, opts: DeleteOptions = {}): Promise<T | Status> {
    return this.call<T | Status>({ method: 'DELETE', path: this.path(namespace, name), body: this.deleteBody(opts) });
  }

  /** Deletes every object matching the selectors in `namespace`. */
  async deleteCollection(namespace: string | undefined, opts: DeleteOptions & Pick<ListOptions, 'labelSelector' | 'fieldSelector'> = {}): Promise<ObjectList<T> | Status> {
    return this.call({
      method: 'DELETE',
      path: this.path(namespace),
      query: { labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector },
      body: this.deleteBody(opts),
    });
  }

  /** GET of a subresource, e.g. `scale`. */
  async getSubresource<R = unknown>(namespace: string | undefined, name: string, subresource: string): Promise<R> {
    return this.call<R>({ method: 'GET', path: this.path(namespace, name, subresource) });
  }

  /** POST to a subresource, e.g. a `Binding` to `binding` or an `Eviction` to `eviction`. */
  async createSubresource<R = unknown>(namespace: string | undefined, name: string, subresource: string, body: unknown, opts: WriteOptions = {}): Promise<R> {
    return this.call<R>({ method: 'POST', path: this.path(namespace, name, subresource), query: this.writeQuery(opts), body: JSON.stringify(body) });
  }

  /** PUT to a subresource, e.g. a `Scale` to `scale`. */
  async updateSubresource<R = unknown>(namespace: string | undefined, name: string, subresource: string, body: unknown, opts: WriteOptions = {}): Promise<R> {
    return this.call<R>({ method: 'PUT', path: this.path(namespace, name, subresource), query: this.writeQuery(opts), body: JSON.stringify(body) });
  }

  /**
   * Streams watch events to `onEvent` until the server ends the watch (resolves), `signal`
   * aborts (resolves), or the server sends an ERROR event or a non-2xx answer (rejects
   * with the ApiError it carries, e.g. reason `Expired`/`Gone`, code 410, when the
   * resourceVersion is too old; informers then relist). An exception thrown by `onEvent`
   * ends the watch and rejects with it.
   */
  async watch(namespace: string | undefined, opts: WatchOptions, onEvent: (ev: WatchEvent<T>) => void, signal: AbortSignal): Promise<void> {
    const { trimManagedFields, ...query } = opts;
    const req: TransportRequest = { method: 'GET', path: this.path(namespace), query: { ...query, watch: true }, ...(trimManagedFields ? { trimManagedFields } : {}) };
    await this.transport.stream(
      req,
      (line) => {
        let ev: { type?: unknown; object?: unknown };
        try {
          ev = JSON.parse(line) as typeof ev;
        } catch {
          throw new ApiError('InternalError', `undecodable watch event from ${req.path}: ${line.slice(0, 200)}`);
        }
        if (ev.type === 'ERROR') {
          throw isStatus(ev.object) ? errorFromStatus(ev.object) : new ApiError('InternalError', `watch of ${this.info.resource} failed: ${JSON.stringify(ev.object)}`);
        }
        if (ev.type === 'ADDED' || ev.type === 'MODIFIED' || ev.type === 'DELETED' || ev.type === 'BOOKMARK') {
          if (trimManagedFields) trimManagedFieldsOf(ev.object as T);
          onEvent({ type: ev.type, object: ev.object as T });
        }
        // Unknown event types are skipped, as client-go's decoder would fail them individually.
      },
      signal,
    );
  }

  private ns(namespace: string | undefined, obj: KubeObject): string | undefined {
    return namespace || obj.metadata?.namespace;
  }

  private nameOf(obj: KubeObject): string {
    const name = obj.metadata?.name;
    if (!name) throw new ApiError('BadRequest', `${this.info.kind}: metadata.name is required for update`);
    return name;
  }

  private writeQuery(opts: WriteOptions): QueryParams {
    return {
      dryRun: dryRunQuery(opts.dryRun),
      fieldManager: opts.fieldManager ?? this.opts.fieldManager,
      fieldValidation: opts.fieldValidation,
    };
  }

  private deleteBody(opts: DeleteOptions): string {
    const body: Record<string, unknown> = { kind: 'DeleteOptions', apiVersion: 'v1' };
    if (opts.propagationPolicy) body['propagationPolicy'] = opts.propagationPolicy;
    if (opts.gracePeriodSeconds !== undefined) body['gracePeriodSeconds'] = opts.gracePeriodSeconds;
    if (opts.preconditions) body['preconditions'] = opts.preconditions;
    if (dryRunQuery(opts.dryRun)) body['dryRun'] = ['All'];
    return JSON.stringify(body);
  }

  private async call<R>(req: TransportRequest): Promise<R> {
    const res = await this.transport.request(req);
    if (res.status < 200 || res.status >= 300) throw errorFromResponse(res.status, res.body, req.method, this.info.group ? `${this.info.resource}.${this.info.group}` : this.info.resource);
    if (req.discardBody) return undefined as R;
    return decodeJson<R>(res);
  }
}

/** Connection settings drawn from a kubeconfig's current context. */
export interface KubeconfigSettings {
  server: string;
  token?: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  insecureSkipTLSVerify?: boolean;
  /** The context's default namespace, or `default`. */
  namespace: string;
}

interface KubeconfigFile {
  'current-context'?: string;
  contexts?: Array<{ name: string; context?: { cluster?: string; user?: string; namespace?: string } }>;
  clusters?: Array<{ name: string; cluster?: Record<string, unknown> }>;
  users?: Array<{ name: string; user?: Record<string, unknown> }>;
}

/**
 * Reads the connection settings of `context` (default: `current-context`) from a
 * kubeconfig file: server, token (or token file), CA/client cert data (or files,
 * resolved relative to the kubeconfig), and `insecure-skip-tls-verify`.
 */
export async function loadKubeconfig(path: string, context?: string): Promise<KubeconfigSettings> {
  // Loaded here, not with the client: threads that never read a kubeconfig skip the YAML library.
  const { parse: parseYaml } = await import('yaml');
  const doc = parseYaml(await readFile(path, 'utf8')) as KubeconfigFile | null;
  if (!doc || typeof doc !== 'object') throw new Error(`kubeconfig ${path}: empty or not a mapping`);
  const ctxName = context ?? doc['current-context'];
  if (!ctxName) throw new Error(`kubeconfig ${path}: no current-context set; pass a context name`);
  const ctx = doc.contexts?.find((c) => c.name === ctxName)?.context;
  if (!ctx) throw new Error(`kubeconfig ${path}: context "${ctxName}" not found`);
  const cluster = doc.clusters?.find((c) => c.name === ctx.cluster)?.cluster;
  if (!cluster || typeof cluster['server'] !== 'string') throw new Error(`kubeconfig ${path}: cluster "${ctx.cluster}" of context "${ctxName}" has no server`);
  const user = doc.users?.find((u) => u.name === ctx.user)?.user ?? {};
  const dir = dirname(path);
  const bytes = async (data: unknown, file: unknown): Promise<Buffer | undefined> => {
    if (typeof data === 'string' && data) return Buffer.from(data, 'base64');
    if (typeof file === 'string' && file) return readFile(resolvePath(dir, file));
    return undefined;
  };
  let token = typeof user['token'] === 'string' ? user['token'] : undefined;
  if (!token && typeof user['tokenFile'] === 'string') token = (await readFile(resolvePath(dir, user['tokenFile']), 'utf8')).trim();
  return {
    server: cluster['server'],
    token,
    ca: await bytes(cluster['certificate-authority-data'], cluster['certificate-authority']),
    cert: await bytes(user['client-certificate-data'], user['client-certificate']),
    key: await bytes(user['client-key-data'], user['client-key']),
    insecureSkipTLSVerify: cluster['insecure-skip-tls-verify'] === true,
    namespace: ctx.namespace ?? 'default',
  };
}

/**
 * The entry point: hands out {@link ResourceClient}s over one {@link Transport}.
 *
 * @example
 * const client = await Client.fromKubeconfig(`${process.env.HOME}/.kube/config`);
 * const svc = await client.resource('', 'v1', 'services').get('default', 'kubernetes');
 */
export class Client {
  private readonly cache = new Map<string, ResourceClient<KubeObject>>();

  constructor(
    /** The wire this client talks over. */
    readonly transport: Transport,
    private readonly opts: ClientOptions = {},
  ) {}

  /** A client over HTTP(S) configured from a kubeconfig file (current context unless `context` is given). */
  static async fromKubeconfig(path: string, context?: string, opts: ClientOptions = {}): Promise<Client> {
    const s = await loadKubeconfig(path, context);
    return new Client(new HttpTransport({ server: s.server, token: s.token, ca: s.ca, cert: s.cert, key: s.key, insecureSkipTLSVerify: s.insecureSkipTLSVerify }), opts);
  }

  /**
   * The client of one resource, by catalogue entry or by group/version/resource.
   * Throws ApiError NotFound for a resource skiff does not serve.
   */
  resource<T extends KubeObject = KubeObject>(info: ResourceInfo): ResourceClient<T>;
  resource<T extends KubeObject = KubeObject>(group: string, version: string, resource: string): ResourceClient<T>;
  resource<T extends KubeObject = KubeObject>(a: ResourceInfo | string, version?: string, resource?: string): ResourceClient<T> {
    const info = typeof a === 'string' ? findResource(a, version ?? '', resource ?? '') : a;
    if (!info) {
      throw new ApiError('NotFound', `the server doesn't have a resource type "${resource}" in ${a ? `${a}/` : ''}${version}`);
    }
    const key = `${info.group}/${info.version}/${info.resource}`;
    let rc = this.cache.get(key);
    if (!rc) {
      rc = new ResourceClient<KubeObject>(this.transport, info, this.opts);
      this.cache.set(key, rc);
    }
    return rc as unknown as ResourceClient<T>;
  }

  /** GET of a subresource (`scale`, …) of an object of `info`. */
  getSubresource<R = unknown>(info: ResourceInfo, namespace: string | undefined, name: string, subresource: string): Promise<R> {
    return this.resource(info).getSubresource<R>(namespace, name, subresource);
  }

  /** POST to a subresource (`binding`, `eviction`, …) of an object of `info`. */
  createSubresource<R = unknown>(info: ResourceInfo, namespace: string | undefined, name: string, subresource: string, body: unknown, opts?: WriteOptions): Promise<R> {
    return this.resource(info).createSubresource<R>(namespace, name, subresource, body, opts);
  }

  /** A raw JSON request (discovery, `/version`, …); non-2xx answers reject with ApiError. */
  async raw<R = unknown>(req: TransportRequest): Promise<R> {
    const res = await this.transport.request(req);
    if (res.status < 200 || res.status >= 300) throw errorFromResponse(res.status, res.body, req.method, req.path);
    return decodeJson<R>(res);
  }
}
