/**
 * OpenAPI for skiff's API server: component schemas generated at runtime from the
 * `.d.ts` files of `kubernetes-types` (parsed with the `typescript` package, no type
 * checker), the `/openapi/v3` root and per-group-version documents that kubectl uses
 * for `explain` and to decide that the server validates fields, and the unknown-field
 * walker behind `fieldValidation=Strict|Warn`. It may import `../../api/` and
 * `typescript`; nothing here does I/O beyond reading the installed declaration files.
 */

export {
  componentSchemas,
  reachableSchemas,
  resolveRef,
  schemaBuildStats,
  schemaName,
  REF_PREFIX,
  type GroupVersionKind,
  type OpenAPISchema,
  type SchemaBuildStats,
} from './schemas.js';
export {
  gvPath,
  openapiSchemaFor,
  openapiV3Document,
  openapiV3Response,
  openapiV3Root,
  servedOpenAPIPaths,
  OPENAPI_INFO_VERSION,
  type OpenAPIDocument,
  type OpenAPIResponse,
} from './documents.js';
export { findUnknownFields, unknownFieldMessage } from './unknown-fields.js';
