/**
 * OpenAPI v3 component schemas, generated at runtime from the `.d.ts` files of the
 * installed `kubernetes-types` package. Those declarations are generated from the
 * upstream OpenAPI document and carry its field descriptions as JSDoc, so reading them
 * with the TypeScript parser (no type checker) gives back names, types, `required`
 * lists and descriptions. What the declarations lose (integer formats, patch
 * strategies, list types) comes back from two small tables below.
 */

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { dirname, join, posix } from 'node:path';
import type * as TS from 'typescript';
import { RESOURCES, groupVersion } from '../../api/resources.js';

/** One OpenAPI v3 schema object, as JSON. */
export interface OpenAPISchema {
  type?: string;
  format?: string;
  description?: string;
  properties?: Record<string, OpenAPISchema>;
  required?: string[];
  items?: OpenAPISchema;
  additionalProperties?: OpenAPISchema | boolean;
  allOf?: OpenAPISchema[];
  oneOf?: OpenAPISchema[];
  $ref?: string;
  [extension: `x-${string}`]: unknown;
}

/** A group/version/kind triple as it appears in `x-kubernetes-group-version-kind`. */
export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

/** Prefix of every `$ref` into `components.schemas`. */
export const REF_PREFIX = '#/components/schemas/';

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1.';
const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';

/** Meta kinds every group-version document carries, as upstream does. */
export const META_KINDS = ['DeleteOptions', 'Status', 'Patch', 'WatchEvent', 'APIResourceList'].map((k) => META + k);

// kubernetes-types writes every integer as `number`; these fields are int64 upstream,
// every other integer field of the served kinds is int32.
const INT64_FIELDS = new Set([
  'generation', 'deletionGracePeriodSeconds', 'remainingItemCount', 'gracePeriodSeconds',
  'activeDeadlineSeconds', 'terminationGracePeriodSeconds', 'runAsUser', 'runAsGroup', 'fsGroup',
  'supplementalGroups', 'expirationSeconds', 'tolerationSeconds', 'sizeBytes', 'revision',
  'observedGeneration', 'seconds', 'uid', 'gid',
]);

type PatchMeta = Partial<Record<'x-kubernetes-patch-strategy' | 'x-kubernetes-patch-merge-key' | 'x-kubernetes-list-type', string>> & {
  'x-kubernetes-list-map-keys'?: string[];
};

const mergeBy = (key: string, mapKeys?: string[]): PatchMeta => ({
  'x-kubernetes-patch-strategy': 'merge',
  'x-kubernetes-patch-merge-key': key,
  ...(mapKeys ? { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': mapKeys } : {}),
});
const ATOMIC: PatchMeta = { 'x-kubernetes-list-type': 'atomic' };

// The strategic-merge and list-type markers of the fields kubectl and SMP care about,
// from the struct tags of k8s.io/api (core/v1, apps/v1) and apimachinery meta/v1.
const PATCH_META: Record<string, PatchMeta> = {
  [`${META}ObjectMeta.finalizers`]: { 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'set' },
  [`${META}ObjectMeta.ownerReferences`]: mergeBy('uid', ['uid']),
  [`${META}ObjectMeta.managedFields`]: ATOMIC,
  'io.k8s.api.core.v1.PodSpec.containers': mergeBy('name', ['name']),
  'io.k8s.api.core.v1.PodSpec.initContainers': mergeBy('name', ['name']),
  'io.k8s.api.core.v1.PodSpec.ephemeralContainers': mergeBy('name', ['name']),
  'io.k8s.api.core.v1.PodSpec.imagePullSecrets': mergeBy('name', ['name']),
  'io.k8s.api.core.v1.PodSpec.volumes': { ...mergeBy('name', ['name']), 'x-kubernetes-patch-strategy': 'merge,retainKeys' },
  'io.k8s.api.core.v1.PodSpec.hostAliases': mergeBy('ip', ['ip']),
  'io.k8s.api.core.v1.PodSpec.topologySpreadConstraints': mergeBy('topologyKey', ['topologyKey', 'whenUnsatisfiable']),
  'io.k8s.api.core.v1.PodSpec.schedulingGates': mergeBy('name', ['name']),
  'io.k8s.api.core.v1.PodSpec.resourceClaims': { ...mergeBy('name', ['name']), 'x-kubernetes-patch-strategy': 'merge,retainKeys' },
  'io.k8s.api.core.v1.PodSpec.tolerations': ATOMIC,
  'io.k8s.api.core.v1.Container.ports': mergeBy('containerPort', ['containerPort', 'protocol']),
  'io.k8s.api.core.v1.Container.env': mergeBy('name', ['name']),
  'io.k8s.api.core.v1.Container.volumeMounts': mergeBy('mountPath', ['mountPath']),
  'io.k8s.api.core.v1.Container.volumeDevices': mergeBy('devicePath', ['devicePath']),
  'io.k8s.api.core.v1.EphemeralContainer.env': mergeBy('name', ['name']),
  'io.k8s.api.core.v1.EphemeralContainer.volumeMounts': mergeBy('mountPath', ['mountPath']),
  'io.k8s.api.core.v1.PodStatus.conditions': mergeBy('type', ['type']),
  'io.k8s.api.core.v1.PodStatus.podIPs': mergeBy('ip', ['ip']),
  'io.k8s.api.core.v1.PodStatus.hostIPs': mergeBy('ip', ['ip']),
  'io.k8s.api.core.v1.ServiceSpec.ports': mergeBy('port', ['port', 'protocol']),
  'io.k8s.api.core.v1.ServiceSpec.clusterIPs': ATOMIC,
  'io.k8s.api.core.v1.ServiceSpec.externalIPs': ATOMIC,
  'io.k8s.api.core.v1.ServiceSpec.ipFamilies': ATOMIC,
  'io.k8s.api.core.v1.ServiceStatus.conditions': mergeBy('type', ['type']),
  'io.k8s.api.core.v1.NodeSpec.podCIDRs': { 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'set' },
  'io.k8s.api.core.v1.NodeSpec.taints': ATOMIC,
  'io.k8s.api.core.v1.NodeStatus.addresses': mergeBy('type', ['type']),
  'io.k8s.api.core.v1.NodeStatus.conditions': mergeBy('type', ['type']),
  'io.k8s.api.core.v1.EndpointSubset.addresses': ATOMIC,
  'io.k8s.api.core.v1.EndpointSubset.ports': ATOMIC,
  'io.k8s.api.core.v1.Endpoints.subsets': ATOMIC,
  'io.k8s.api.apps.v1.DeploymentSpec.strategy': { 'x-kubernetes-patch-strategy': 'retainKeys' },
  'io.k8s.api.apps.v1.DeploymentStatus.conditions': mergeBy('type', ['type']),
  'io.k8s.api.apps.v1.ReplicaSetStatus.conditions': mergeBy('type', ['type']),
  'io.k8s.api.apps.v1.DaemonSetStatus.conditions': mergeBy('type', ['type']),
  'io.k8s.api.discovery.v1.EndpointSlice.endpoints': ATOMIC,
  'io.k8s.api.discovery.v1.EndpointSlice.ports': ATOMIC,
};

/** Maps a `kubernetes-types` module path (`meta/v1`, `apps/v1`, `runtime`) to its upstream schema-name prefix. */
function schemaPrefix(module: string): string {
  switch (module) {
    case 'meta/v1':
      return META;
    case 'runtime':
      return 'io.k8s.apimachinery.pkg.runtime.';
    case 'api/resource':
      return 'io.k8s.apimachinery.pkg.api.resource.';
    case 'version':
      return 'io.k8s.apimachinery.pkg.version.';
    case 'apiextensions/v1':
      return 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.';
    default:
      return `io.k8s.api.${module.replace('/', '.')}.`;
  }
}

/** The `kubernetes-types` module of a group-version: `''`,`v1` → `core/v1`; `discovery.k8s.io`,`v1` → `discovery/v1`. */
function moduleOf(group: string, version: string): string {
  return `${group.split('.')[0] || 'core'}/${version}`;
}

/**
 * The upstream component-schema name of a kind, e.g. (`apps`, `v1`, `DaemonSet`) →
 * `io.k8s.api.apps.v1.DaemonSet`; (`autoscaling`, `v1`, `Scale`) → `io.k8s.api.autoscaling.v1.Scale`.
 */
export function schemaName(group: string, version: string, kind: string): string {
  return schemaPrefix(moduleOf(group, version)) + kind;
}

interface Declaration {
  module: string;
  node: TS.InterfaceDeclaration | TS.TypeAliasDeclaration;
  description: string | undefined;
}

interface Module {
  source: TS.SourceFile;
  local: Map<string, Declaration>;
  /** imported name → module path it comes from */
  imports: Map<string, string>;
}

/** Timings of the one-off build, for logs and the report. */
export interface SchemaBuildStats {
  /** Milliseconds spent loading the `typescript` module (first use only). */
  loadTypescriptMs: number;
  /** Wall-clock milliseconds spent parsing declarations and generating schemas. */
  buildMs: number;
  /** CPU milliseconds (user + system, all threads) of the same work; steadier than `buildMs` on a busy machine. */
  buildCpuMs: number;
  /** Number of component schemas generated. */
  schemas: number;
  /** `kubernetes-types` modules parsed. */
  modules: string[];
}

class SchemaBuilder {
  readonly schemas = new Map<string, OpenAPISchema>();
  readonly modules = new Map<string, Module>();
  private readonly root: string;
  private readonly declByName = new Map<string, Declaration>();

  constructor(
    private readonly ts: typeof TS,
    private readonly gvkOverrides: Map<string, GroupVersionKind[]>,
  ) {
    const require = createRequire(import.meta.url);
    this.root = dirname(require.resolve('kubernetes-types/package.json'));
  }

  module(path: string): Module {
    let mod = this.modules.get(path);
    if (mod) return mod;
    const ts = this.ts;
    const text = readFileSync(join(this.root, `${path}.d.ts`), 'utf8');
    const source = ts.createSourceFile(
      `${path}.d.ts`,
      text,
      { languageVersion: ts.ScriptTarget.Latest, jsDocParsingMode: ts.JSDocParsingMode.ParseNone },
      false,
      ts.ScriptKind.TS,
    );
    mod = { source, local: new Map(), imports: new Map() };
    for (const st of source.statements) {
      if (ts.isImportDeclaration(st) && ts.isStringLiteral(st.moduleSpecifier)) {
        const target = posix.normalize(posix.join(posix.dirname(path), st.moduleSpecifier.text));
        const named = st.importClause?.namedBindings;
        if (named && ts.isNamedImports(named)) for (const el of named.elements) mod.imports.set(el.name.text, target);
      } else if (ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st)) {
        mod.local.set(st.name.text, { module: path, node: st, description: docComment(text, st.pos) });
      }
    }
    this.modules.set(path, mod);
    for (const [name, decl] of mod.local) this.declByName.set(schemaPrefix(path) + name, decl);
    return mod;
  }

  /** Builds (once) the schema called `name` and everything it refers to; false if unknown. */
  ensure(name: string): boolean {
    if (this.schemas.has(name)) return true;
    const decl = this.declByName.get(name);
    if (!decl) return false;
    const schema: OpenAPISchema = {};
    this.schemas.set(name, schema); // placeholder first: the type graph has cycles
    Object.assign(schema, this.declaration(name, decl));
    return true;
  }

  private declaration(name: string, decl: Declaration): OpenAPISchema {
    const ts = this.ts;
    const out: OpenAPISchema = {};
    if (decl.description) out.description = decl.description;
    if (name === INT_OR_STRING) return { ...out, format: 'int-or-string', oneOf: [{ type: 'integer' }, { type: 'string' }] };
    if (name === 'io.k8s.apimachinery.pkg.api.resource.Quantity') return { ...out, oneOf: [{ type: 'string' }, { type: 'number' }] };
    if (ts.isTypeAliasDeclaration(decl.node)) {
      const t = this.type(decl.module, decl.node.type, '');
      if (name === `${META}Time` || name === `${META}MicroTime`) t.format = 'date-time';
      return { ...t, ...out };
    }
    const text = this.module(decl.module).source.text;
    const properties: Record<string, OpenAPISchema> = {};
    const required: string[] = [];
    const gvk: Partial<Record<'apiVersion' | 'kind', string>> = {};
    for (const m of decl.node.members) {
      if (!ts.isPropertySignature(m) || !m.type) continue;
      if (!ts.isIdentifier(m.name) && !ts.isStringLiteral(m.name)) continue;
      const field = m.name.text;
      if ((field === 'apiVersion' || field === 'kind') && ts.isLiteralTypeNode(m.type) && ts.isStringLiteral(m.type.literal)) {
        gvk[field] = m.type.literal.text;
      }
      const prop = this.type(decl.module, m.type, field);
      const description = docComment(text, m.pos);
      const isRef = prop.$ref !== undefined;
      const schema: OpenAPISchema = isRef ? { allOf: [{ $ref: prop.$ref }] } : prop;
      if (description) schema.description = description;
      Object.assign(schema, PATCH_META[`${name}.${field}`]);
      properties[field] = schema;
      if (!m.questionToken) required.push(field);
    }
    if (Object.keys(properties).length > 0) out.properties = sortKeys(properties);
    if (required.length > 0) out.required = required;
    out.type = 'object';
    const override = this.gvkOverrides.get(name);
    if (override) {
      out['x-kubernetes-group-version-kind'] = override;
    } else if (gvk.kind && gvk.apiVersion) {
      const [group, version] = gvk.apiVersion.includes('/') ? gvk.apiVersion.split('/') : ['', gvk.apiVersion];
      out['x-kubernetes-group-version-kind'] = [{ group: group ?? '', kind: gvk.kind, version: version ?? '' }];
    }
    return out;
  }

  /** Converts a type node; a reference comes back as a bare `{$ref}` for the caller to wrap. */
  private type(module: string, node: TS.TypeNode, field: string): OpenAPISchema {
    const ts = this.ts;
    switch (node.kind) {
      case ts.SyntaxKind.StringKeyword:
        return { type: 'string' };
      case ts.SyntaxKind.BooleanKeyword:
        return { type: 'boolean' };
      case ts.SyntaxKind.NumberKeyword:
        return { type: 'integer', format: INT64_FIELDS.has(field) ? 'int64' : 'int32' };
      case ts.SyntaxKind.LiteralType:
        return { type: 'string' };
      case ts.SyntaxKind.AnyKeyword:
      case ts.SyntaxKind.UnknownKeyword:
        return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
    }
    if (ts.isUnionTypeNode(node)) {
      const kinds = node.types.map((t) => t.kind).sort();
      if (kinds.length === 2 && kinds.includes(ts.SyntaxKind.NumberKeyword) && kinds.includes(ts.SyntaxKind.StringKeyword)) {
        this.intOrString();
        return { $ref: REF_PREFIX + INT_OR_STRING };
      }
      return { type: 'string' };
    }
    if (ts.isArrayTypeNode(node)) return { type: 'array', items: this.item(module, node.elementType, field) };
    if (ts.isTypeReferenceNode(node) && ts.isIdentifier(node.typeName)) {
      const ref = node.typeName.text;
      if (ref === 'Array' && node.typeArguments?.[0]) return { type: 'array', items: this.item(module, node.typeArguments[0], field) };
      const target = this.resolve(module, ref);
      if (target && this.ensure(target)) return { $ref: REF_PREFIX + target };
      return { type: 'object' };
    }
    if (ts.isTypeLiteralNode(node)) {
      const index = node.members.find(ts.isIndexSignatureDeclaration);
      if (index) return { type: 'object', additionalProperties: this.type(module, index.type, field) };
      return { type: 'object' };
    }
    return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  }

  private item(module: string, node: TS.TypeNode, field: string): OpenAPISchema {
    const t = this.type(module, node, field);
    return t.$ref !== undefined ? { allOf: [{ $ref: t.$ref }] } : t;
  }

  private intOrString(): void {
    if (this.schemas.has(INT_OR_STRING)) return;
    this.schemas.set(INT_OR_STRING, {
      description:
        'IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML marshalling and unmarshalling, it produces or consumes the inner type.  This allows you to have, for example, a JSON field that can accept a name or number.',
      format: 'int-or-string',
      oneOf: [{ type: 'integer' }, { type: 'string' }],
    });
  }

  /** Resolves a type name used in `module` to a schema name, parsing the defining module if needed. */
  private resolve(module: string, name: string): string | undefined {
    const mod = this.module(module);
    if (mod.local.has(name)) return schemaPrefix(module) + name;
    const from = mod.imports.get(name);
    if (!from) return undefined;
    return this.module(from).local.has(name) ? schemaPrefix(from) + name : undefined;
  }

  /** Loads a module and generates the schema of `kind` declared in it. */
  addRoot(module: string, kind: string): string | undefined {
    const mod = this.module(module);
    if (!mod.local.has(kind)) return undefined;
    const name = schemaPrefix(module) + kind;
    this.ensure(name);
    return name;
  }
}

/** The text of the `/** … *\/` comment that ends right before `pos`, JSDoc stars stripped. */
function docComment(text: string, pos: number): string | undefined {
  // Leading trivia of a declaration: find the last JSDoc block before the first token.
  let i = pos;
  while (i < text.length && /\s/.test(text[i]!)) i++;
  if (!text.startsWith('/**', i)) return undefined;
  let start = i;
  let end = text.indexOf('*/', start);
  // Several comments in a row: the last one documents the node.
  for (;;) {
    let j = end + 2;
    while (j < text.length && /\s/.test(text[j]!)) j++;
    if (!text.startsWith('/**', j)) break;
    start = j;
    end = text.indexOf('*/', start);
  }
  const body = text.slice(start + 3, end);
  if (!body.includes('\n')) return body.trim() || undefined;
  const lines = body.split('\n').map((l) => l.replace(/^\s*\* ?/, ''));
  return lines.join('\n').trim() || undefined;
}

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(o).sort()) out[k] = o[k] as T;
  return out;
}

/** The kinds whose schemas are generated: every served kind and list, their subresource kinds, and the meta kinds. */
function rootKinds(): Array<{ module: string; kind: string }> {
  const roots: Array<{ module: string; kind: string }> = [];
  const add = (module: string, kind: string) => {
    if (!roots.some((r) => r.module === module && r.kind === kind)) roots.push({ module, kind });
  };
  for (const r of RESOURCES) {
    add(moduleOf(r.group, r.version), r.kind);
    add(moduleOf(r.group, r.version), r.listKind);
    for (const s of r.subresources) add(moduleOf(s.group ?? r.group, s.version ?? r.version), s.kind);
  }
  for (const k of META_KINDS) add('meta/v1', k.slice(META.length));
  return roots;
}

/** Meta kinds are registered in every group-version; upstream lists each registration. */
function metaGVKs(): Map<string, GroupVersionKind[]> {
  const gvs = new Map<string, { group: string; version: string }>();
  for (const r of RESOURCES) gvs.set(groupVersion(r), { group: r.group, version: r.version });
  for (const r of RESOURCES) for (const s of r.subresources) {
    if (s.group !== undefined) gvs.set(`${s.group}/${s.version}`, { group: s.group, version: s.version ?? r.version });
  }
  const every = (kind: string) => [...gvs.values()].map((gv) => ({ group: gv.group, kind, version: gv.version }));
  return new Map([
    [`${META}DeleteOptions`, every('DeleteOptions')],
    [`${META}WatchEvent`, every('WatchEvent')],
    [`${META}Status`, [{ group: '', kind: 'Status', version: 'v1' }]],
  ]);
}

let cache: { schemas: ReadonlyMap<string, OpenAPISchema>; stats: SchemaBuildStats } | undefined;

function build(): NonNullable<typeof cache> {
  const t0 = performance.now();
  const ts = createRequire(import.meta.url)('typescript') as typeof TS;
  const t1 = performance.now();
  const cpu = process.cpuUsage();
  const builder = new SchemaBuilder(ts, metaGVKs());
  for (const { module, kind } of rootKinds()) builder.addRoot(module, kind);
  const sorted = new Map([...builder.schemas.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const t2 = performance.now();
  const used = process.cpuUsage(cpu);
  return {
    schemas: sorted,
    stats: {
      loadTypescriptMs: Math.round((t1 - t0) * 10) / 10,
      buildMs: Math.round((t2 - t1) * 10) / 10,
      buildCpuMs: Math.round((used.user + used.system) / 100) / 10,
      schemas: sorted.size,
      modules: [...builder.modules.keys()],
    },
  };
}

/**
 * Every generated component schema by upstream name (`io.k8s.api.core.v1.Service`, …),
 * built on first call and cached for the life of the process. The objects are shared:
 * callers must not mutate them.
 */
export function componentSchemas(): ReadonlyMap<string, OpenAPISchema> {
  cache ??= loadOrBuild();
  return cache.schemas;
}

/** Timings and size of the schema build (triggers the build if it has not run). */
export function schemaBuildStats(): SchemaBuildStats {
  cache ??= loadOrBuild();
  return cache.stats;
}

/**
 * The built schemas are kept in `node_modules/.cache/skiff/`, keyed by the
 * kubernetes-types version and this module's own text, so a process pays the
 * TypeScript parse (about a second on a busy machine) once per install, not on
 * its first write.
 */
function cachePath(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    const pkgPath = require.resolve('kubernetes-types/package.json');
    const version = (JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string }).version;
    const self = createHash('sha256').update(readFileSync(fileURLToPath(import.meta.url))).digest('hex').slice(0, 16);
    return join(dirname(dirname(pkgPath)), '.cache', 'skiff', `openapi-schemas-${version}-${self}.json`);
  } catch {
    return undefined;
  }
}

function loadOrBuild(): NonNullable<typeof cache> {
  const path = cachePath();
  if (path) {
    try {
      const saved = JSON.parse(readFileSync(path, 'utf8')) as { schemas: Array<[string, OpenAPISchema]>; stats: SchemaBuildStats };
      return { schemas: new Map(saved.schemas), stats: saved.stats };
    } catch {
      // not cached yet (or unreadable): build below
    }
  }
  const built = build();
  if (path) {
    try {
      mkdirSync(dirname(path), { recursive: true });
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify({ schemas: [...built.schemas], stats: built.stats }));
      renameSync(tmp, path);
    } catch {
      // a read-only install just builds each time
    }
  }
  return built;
}

/** The schema a `$ref` string points to, or undefined. */
export function resolveRef(ref: string): OpenAPISchema | undefined {
  return ref.startsWith(REF_PREFIX) ? componentSchemas().get(ref.slice(REF_PREFIX.length)) : undefined;
}

/** Names of `roots` and every schema they reach through `$ref`, sorted. */
export function reachableSchemas(roots: Iterable<string>): string[] {
  const all = componentSchemas();
  const seen = new Set<string>();
  const stack = [...roots];
  const visit = (s: unknown): void => {
    if (Array.isArray(s)) {
      for (const x of s) visit(x);
    } else if (s !== null && typeof s === 'object') {
      for (const [k, v] of Object.entries(s)) {
        if (k === '$ref' && typeof v === 'string' && v.startsWith(REF_PREFIX)) stack.push(v.slice(REF_PREFIX.length));
        else if (typeof v === 'object') visit(v);
      }
    }
  };
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (seen.has(name) || !all.has(name)) continue;
    seen.add(name);
    visit(all.get(name));
  }
  return [...seen].sort();
}
