/**
 * Type checking of decoded objects against the generated schemas, the way Go's
 * `encoding/json` refuses a value of the wrong JSON type when kube-apiserver decodes
 * a body into its typed structs: `json: cannot unmarshal string into Go struct field
 * DeploymentSpec.spec.replicas of type int32`. The first mismatch in document order
 * is reported (Go stops there too); `null` fits anything; opaque values
 * (IntOrString, Quantity, RawExtension, preserve-unknown-fields) accept what Go does.
 */
import { componentSchemas, REF_PREFIX, type OpenAPISchema } from './schemas.js';
import { openapiSchemaFor } from './documents.js';

type TShape =
  | { t: 'any' }
  | { t: 'object'; struct: string; goType: string; fields: Map<string, TShape> }
  | { t: 'array'; items: TShape; goType: string }
  | { t: 'map'; values: TShape; goType: string }
  | { t: 'scalar'; json: 'string' | 'integer' | 'number' | 'boolean'; goType: string };

const ANY: TShape = { t: 'any' };
const compiled = new Map<string, TShape>();
const byKind = new Map<string, TShape>();

/** `io.k8s.api.core.v1.Container` → `v1.Container` (Go's package-qualified name). */
function goName(component: string): string {
  const parts = component.split('.');
  return parts.slice(-2).join('.');
}

function scalar(s: OpenAPISchema): TShape {
  switch (s.type) {
    case 'string':
      return s.format === 'int-or-string' ? ANY : { t: 'scalar', json: 'string', goType: 'string' };
    case 'integer':
      return { t: 'scalar', json: 'integer', goType: s.format === 'int32' ? 'int32' : 'int64' };
    case 'number':
      return { t: 'scalar', json: 'number', goType: 'float64' };
    case 'boolean':
      return { t: 'scalar', json: 'boolean', goType: 'bool' };
    default:
      return ANY;
  }
}

function named(name: string): TShape {
  const hit = compiled.get(name);
  if (hit) return hit;
  const schema = componentSchemas().get(name);
  if (!schema || schema['x-kubernetes-preserve-unknown-fields'] || schema.oneOf || schema.format === 'int-or-string') {
    compiled.set(name, ANY);
    return ANY;
  }
  if (schema.properties) {
    const shape: TShape = { t: 'object', struct: goName(name).split('.')[1]!, goType: goName(name), fields: new Map() };
    compiled.set(name, shape); // before the fields: recursive types refer back to it
    for (const [field, s] of Object.entries(schema.properties)) shape.fields.set(field, compile(s));
    return shape;
  }
  const shape = compile(schema);
  compiled.set(name, shape);
  return shape;
}

function compile(s: OpenAPISchema): TShape {
  if (s['x-kubernetes-preserve-unknown-fields'] || s.oneOf || s.format === 'int-or-string') return ANY;
  if (s.$ref) return named(s.$ref.slice(REF_PREFIX.length));
  if (s.allOf?.length === 1 && s.allOf[0]) return compile(s.allOf[0]);
  if (s.type === 'array' || s.items) {
    const items = s.items ? compile(s.items) : ANY;
    return { t: 'array', items, goType: `[]${goTypeOf(items)}` };
  }
  if (s.additionalProperties && typeof s.additionalProperties === 'object') {
    const values = compile(s.additionalProperties);
    return { t: 'map', values, goType: `map[string]${goTypeOf(values)}` };
  }
  if (s.properties) {
    const fields = new Map<string, TShape>();
    for (const [field, sub] of Object.entries(s.properties)) fields.set(field, compile(sub));
    return { t: 'object', struct: 'struct', goType: 'struct', fields };
  }
  return scalar(s);
}

function goTypeOf(s: TShape): string {
  return s.t === 'any' ? 'interface {}' : s.goType;
}

function jsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  return typeof v;
}

function where(struct: string, path: string): string {
  return path ? ` into Go struct field ${struct}.${path}` : ' into Go value';
}

function wrong(shape: TShape, v: unknown, struct: string, path: string): string {
  return `json: cannot unmarshal ${jsonType(v)}${where(struct, path)} of type ${goTypeOf(shape)}`;
}

/**
 * The first type error under `shape`, or undefined. `struct` and `path` locate it like Go
 * does. A hot path (every write): no closures or strings are made unless there is an error.
 */
function check(shape: TShape, v: unknown, struct: string, path: string): string | undefined {
  if (v === null || v === undefined || shape.t === 'any') return undefined;
  switch (shape.t) {
    case 'scalar': {
      if (shape.json === 'integer') {
        if (typeof v !== 'number') return wrong(shape, v, struct, path);
        if (!Number.isInteger(v) || (shape.goType === 'int32' && (v > 2147483647 || v < -2147483648))) {
          return `json: cannot unmarshal number ${v}${where(struct, path)} of type ${shape.goType}`;
        }
        return undefined;
      }
      if (shape.json === 'number') return typeof v === 'number' ? undefined : wrong(shape, v, struct, path);
      if (shape.json === 'boolean') return typeof v === 'boolean' ? undefined : wrong(shape, v, struct, path);
      return typeof v === 'string' ? undefined : wrong(shape, v, struct, path);
    }
    case 'array': {
      if (!Array.isArray(v)) return wrong(shape, v, struct, path);
      if (shape.items.t === 'any') return undefined;
      for (let i = 0; i < v.length; i++) {
        const e = check(shape.items, v[i], struct, path);
        if (e) return e;
      }
      return undefined;
    }
    case 'map': {
      if (typeof v !== 'object' || Array.isArray(v)) return wrong(shape, v, struct, path);
      if (shape.values.t === 'any') return undefined;
      const m = v as Record<string, unknown>;
      for (const k in m) {
        const e = check(shape.values, m[k], struct, path);
        if (e) return e;
      }
      return undefined;
    }
    case 'object': {
      if (typeof v !== 'object' || Array.isArray(v)) return wrong(shape, v, struct, path);
      const obj = v as Record<string, unknown>;
      const inner = shape.struct !== 'struct' ? shape.struct : struct;
      for (const k in obj) {
        const child = shape.fields.get(k);
        // Unknown fields are field validation's business.
        if (child === undefined || child.t === 'any') continue;
        const e = check(child, obj[k], inner, path ? `${path}.${k}` : k);
        if (e) return e;
      }
      return undefined;
    }
  }
}

/**
 * The first JSON type mismatch of `obj` against the schema of `apiVersion`/`kind`, in
 * Go's wording, or undefined. An unknown kind has no schema and no errors.
 *
 * @example findTypeError('apps/v1', 'Deployment', { spec: { replicas: 'x' } })
 * // 'json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32'
 */
export function findTypeError(apiVersion: string, kind: string, obj: unknown): string | undefined {
  const key = `${apiVersion}|${kind}`;
  let shape = byKind.get(key);
  if (shape === undefined) {
    const schema = openapiSchemaFor(apiVersion, kind);
    shape = schema ? compile(schema) : ANY;
    byKind.set(key, shape);
  }
  const top = shape.t === 'object' && shape.struct !== 'struct' ? shape.struct : kind;
  return check(shape, obj, top, '');
}
