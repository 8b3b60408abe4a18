/**
 * Request-body codecs for the API server: Content-Type negotiation and decoding of
 * create/update bodies (JSON, YAML, and the Kubernetes protobuf that `kubectl create
 * <generator>` sends), size limits, and duplicate-key detection for strict field
 * validation, all failing with kube-apiserver's wording. Pure functions over bytes
 * and text; this folder may import only from `../../api/` (plus the `yaml` package).
 */
export {
  ACCEPTED_BODY_MEDIA_TYPES,
  DEFAULT_MAX_BODY_BYTES,
  bodyMediaType,
  decodeBody,
  type BodyMediaType,
  type DecodeBodyOptions,
} from './body.js';
export {
  duplicateFieldWarning,
  findDuplicateFields,
  findDuplicateYamlFields,
  scanJson,
  strictDuplicateMessage,
  yamlDuplicateMessage,
  type JsonScan,
  type YamlDuplicate,
} from './duplicates.js';
export {
  PROTOBUF_MAGIC,
  decodeK8sProtobuf,
  protobufKinds,
  type DecodeProtobufOptions,
  type DecodedProtobuf,
} from './protobuf.js';
