/**
 * Unknown-field detection for `fieldValidation=Strict|Warn`, against the generated
 * schemas. Paths are written the way kube-apiserver 1.32 writes them (through
 * sigs.k8s.io/json): no leading dot, `.` between fields, `[i]` for list items, e.g.
 * `spec.template.spec.containers[0].unknownNested`. The server wraps each one as
 * `unknown field "<path>"`: joined with `, ` after `strict decoding error: ` in the 400
 * message, and one `Warning: 299 - "unknown field \"<path>\""` header each for Warn.
 */

import { componentSchemas, REF_PREFIX, type OpenAPISchema } from './schemas.js';
import { openapiSchemaFor } from './documents.js';

/** A schema compiled for walking: what a value at this place may contain. */
type Shape =
  | { kind: 'open' }
  | { kind: 'object'; fields: Map<string, Shape> }
  | { kind: 'array'; items: Shape }
  | { kind: 'map'; values: Shape };

const OPEN: Shape = { kind: 'open' };
const compiled = new Map<string, Shape>();

/** Compiles a named component schema once; cycles resolve through the cache. */
function named(name: string): Shape {
  const hit = compiled.get(name);
  if (hit) return hit;
  const schema = componentSchemas().get(name);
  if (!schema) return OPEN;
  if (schema.properties && !schema['x-kubernetes-preserve-unknown-fields']) {
    const shape: Shape = { kind: 'object', fields: new Map() };
    compiled.set(name, shape); // before the fields: recursive types refer back to it
    for (const [field, s] of Object.entries(schema.properties)) shape.fields.set(field, compile(s));
    return shape;
  }
  const shape = compile(schema);
  compiled.set(name, shape);
  return shape;
}

function compile(s: OpenAPISchema): Shape {
  if (s['x-kubernetes-preserve-unknown-fields']) return OPEN;
  if (s.$ref) return named(s.$ref.slice(REF_PREFIX.length));
  if (s.allOf?.length === 1 && s.allOf[0]) return compile(s.allOf[0]);
  if (s.items) return { kind: 'array', items: compile(s.items) };
  if (s.additionalProperties && typeof s.additionalProperties === 'object') {
    const values = compile(s.additionalProperties);
    return values.kind === 'open' ? OPEN : { kind: 'map', values };
  }
  if (s.properties) {
    const fields = new Map<string, Shape>();
    for (const [field, sub] of Object.entries(s.properties)) fields.set(field, compile(sub));
    return { kind: 'object', fields };
  }
  // Scalars, IntOrString, Quantity, RawExtension, FieldsV1: nothing below to check.
  return OPEN;
}

function walk(shape: Shape, value: unknown, path: string, out: string[]): void {
  if (value === null || typeof value !== 'object') return;
  switch (shape.kind) {
    case 'open':
      return;
    case 'array':
      if (Array.isArray(value)) for (let i = 0; i < value.length; i++) walk(shape.items, value[i], `${path}[${i}]`, out);
      return;
    case 'map':
      if (!Array.isArray(value)) for (const k in value) walk(shape.values, (value as Record<string, unknown>)[k], path ? `${path}.${k}` : k, out);
      return;
    case 'object': {
      if (Array.isArray(value)) return;
      const obj = value as Record<string, unknown>;
      for (const k in obj) {
        const child = shape.fields.get(k);
        const p = path ? `${path}.${k}` : k;
        if (child === undefined) out.push(p);
        else if (child.kind !== 'open') walk(child, obj[k], p, out);
      }
    }
  }
}

/**
 * Every field of `obj` that the schema of `apiVersion`/`kind` does not declare, as
 * upstream paths in document order (`spec.foo`, `spec.ports[0].bar`,
 * `metadata.unknownMeta`). Labels, annotations and other maps are open, so are
 * fields marked `x-kubernetes-preserve-unknown-fields` and opaque values
 * (IntOrString, Quantity, RawExtension, FieldsV1). Type mismatches are not reported
 * here. An unknown kind yields `[]`.
 * @example findUnknownFields('v1', 'Service', {spec: {foo: 1}}) // ['spec.foo']
 */
export function findUnknownFields(apiVersion: string, kind: string, obj: unknown): string[] {
  const key = `${apiVersion}|${kind}`;
  let shape = byKind.get(key);
  if (shape === undefined) {
    const schema = openapiSchemaFor(apiVersion, kind);
    shape = schema ? compile(schema) : OPEN;
    byKind.set(key, shape);
  }
  const out: string[] = [];
  walk(shape, obj, '', out);
  return out;
}

const byKind = new Map<string, Shape>();

/**
 * The warning/error text upstream uses for one unknown field path.
 * @example unknownFieldMessage('spec.foo') // 'unknown field "spec.foo"'
 */
export function unknownFieldMessage(path: string): string {
  return `unknown field ${JSON.stringify(path)}`;
}
