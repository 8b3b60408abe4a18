/**
 * Splits a container image reference into the parts the built-in image lookup
 * needs, with the defaulting `docker pull` applies: a first path component is a
 * registry only when it looks like a host (has a `.` or `:`, or is
 * `localhost`); otherwise the registry is `docker.io` and one-component names
 * live under `library/`.
 */

/** A parsed image reference. */
export interface ImageRef {
  /** Registry host (with port), e.g. `registry.k8s.io`; `docker.io` when the reference names none. */
  registry: string;
  /** Repository path below the registry, e.g. `e2e-test-images/agnhost`, `library/nginx`. */
  path: string;
  /** The last path component, e.g. `agnhost`. */
  name: string;
  /** Tag, when given (`2.53`). */
  tag?: string;
  /** Digest, when given (`sha256:…`). */
  digest?: string;
}

/**
 * Parses `[registry/]path[:tag][@digest]`. Returns undefined for an empty or
 * malformed reference (empty path component).
 *
 * @example
 * parseImageRef('registry.k8s.io/e2e-test-images/agnhost:2.53')
 * // → { registry: 'registry.k8s.io', path: 'e2e-test-images/agnhost', name: 'agnhost', tag: '2.53' }
 * parseImageRef('nginx') // → { registry: 'docker.io', path: 'library/nginx', name: 'nginx' }
 */
export function parseImageRef(image: string): ImageRef | undefined {
  let rest = image.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  // A colon before the last slash is a registry port, not a tag.
  if (colon > slash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const parts = rest.split('/');
  if (parts.some((p) => p === '')) return undefined;
  let registry = 'docker.io';
  const first = parts[0]!;
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    registry = first;
    parts.shift();
  }
  if (registry === 'docker.io' && parts.length === 1) parts.unshift('library');
  const ref: ImageRef = { registry, path: parts.join('/'), name: parts[parts.length - 1]! };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}
