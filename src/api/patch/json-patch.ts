/**
 * JSON patch (RFC 6902), the `application/json-patch+json` patch type, on top
 * of fast-json-patch. Malformed patches are 400 BadRequest; operations that
 * cannot be applied to this object (a path that does not exist, a failed
 * `test`) are 422 Invalid, as kube-apiserver answers.
 */
import jsonpatch from 'fast-json-patch';
import { ApiError, badRequest } from '../errors.js';
import { clone, isObject } from './json.js';

/** One RFC 6902 operation. */
export interface JsonPatchOp {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from?: string;
  value?: unknown;
}

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

/** Upstream's cap on operations in one JSON patch (`maxJSONPatchOperations`). */
export const MAX_JSON_PATCH_OPERATIONS = 10000;

/**
 * Checks that `ops` is an array of well-formed operations and returns it typed;
 * throws 400 BadRequest naming the first bad operation otherwise.
 */
export function validateJsonPatch(ops: unknown): JsonPatchOp[] {
  if (!Array.isArray(ops)) {
    throw badRequest(`json: cannot unmarshal ${jsonKind(ops)} into Go value of type jsonpatch.Patch`);
  }
  if (ops.length > MAX_JSON_PATCH_OPERATIONS) {
    throw new ApiError(
      'RequestEntityTooLarge',
      `Request entity too large: The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${ops.length}`,
    );
  }
  ops.forEach((op, i) => {
    if (!isObject(op)) throw badRequest(`json patch operation ${i} is not an object`);
    const name = op['op'];
    if (typeof name !== 'string' || !OPS.has(name)) {
      throw badRequest(`json patch operation ${i}: Unexpected kind: ${typeof name === 'string' ? name : JSON.stringify(name ?? null)}`);
    }
    if (typeof op['path'] !== 'string') throw badRequest(`json patch operation ${i} (${name}): missing "path"`);
    if ((name === 'move' || name === 'copy') && typeof op['from'] !== 'string') {
      throw badRequest(`json patch operation ${i} (${name}): missing "from"`);
    }
    if ((name === 'add' || name === 'replace' || name === 'test') && !('value' in op)) {
      throw badRequest(`json patch operation ${i} (${name}): missing "value"`);
    }
  });
  return ops as JsonPatchOp[];
}

/**
 * Applies an RFC 6902 patch and returns the new document; `target` is never
 * changed. Throws 400 for a malformed patch and 422 Invalid when an operation
 * does not apply, e.g. `json patch operation 0 (test) failed at /spec/replicas: test failed`.
 * Example: `jsonPatch({a: 1}, [{op: 'replace', path: '/a', value: 2}])` → `{a: 2}`.
 */
export function jsonPatch(target: unknown, ops: unknown): unknown {
  const valid = validateJsonPatch(ops);
  let doc = clone(target);
  valid.forEach((op, i) => {
    try {
      doc = jsonpatch.applyOperation(doc, clone(op) as jsonpatch.Operation, true, true, true, i).newDocument;
    } catch (err) {
      throw patchFailure(err, op, i);
    }
  });
  return doc;
}

function patchFailure(err: unknown, op: JsonPatchOp, i: number): ApiError {
  const name = err instanceof jsonpatch.JsonPatchError ? err.name : '';
  const where = op.op === 'move' || op.op === 'copy' ? `from ${op.from} to ${op.path}` : `at ${op.path}`;
  let why: string;
  switch (name) {
    case 'TEST_OPERATION_FAILED':
      why = `test failed: value is not ${JSON.stringify(op.value)}`;
      break;
    case 'OPERATION_PATH_UNRESOLVABLE':
    case 'OPERATION_PATH_CANNOT_ADD':
      why = 'the path does not exist';
      break;
    case 'OPERATION_FROM_UNRESOLVABLE':
      why = 'the "from" path does not exist';
      break;
    case 'OPERATION_PATH_ILLEGAL_ARRAY_INDEX':
      why = 'the array index is not a number';
      break;
    case 'OPERATION_VALUE_OUT_OF_BOUNDS':
      why = 'the array index is out of bounds';
      break;
    case 'OPERATION_PATH_INVALID':
      return badRequest(`json patch operation ${i} (${op.op}): path ${JSON.stringify(op.path)} must start with "/"`);
    default:
      why = err instanceof Error ? err.message : String(err);
  }
  return new ApiError('Invalid', `json patch operation ${i} (${op.op}) failed ${where}: ${why}`, {
    causes: [{ reason: 'FieldValueInvalid', message: why, field: op.path }],
  });
}

function jsonKind(v: unknown): string {
  if (v === null) return 'null';
  if (isObject(v)) return 'object';
  return typeof v;
}
