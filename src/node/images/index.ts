/**
 * Built-in images for the process runtime: Node.js re-implementations of the
 * Kubernetes e2e test image `agnhost` (`netexec`, `serve-hostname`, `pause`,
 * `liveness`, `test-webserver`) and of `registry.k8s.io/pause`, so manifests
 * that name those images run as real processes without a container engine.
 * `resolveBuiltinImage` maps an image reference to the program's host argv; the
 * programs under `agnhost/` and `pause/` import only `node:` builtins and
 * their own folder so that each pod process starts fast. This folder imports
 * nothing else of skiff.
 */
export { builtinImageName, resolveBuiltinImage, type BuiltinImage, type BuiltinImageName } from './builtin-image.js';
export { parseImageRef, type ImageRef } from './image-ref.js';
