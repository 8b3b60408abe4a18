/**
 * Which container of a pod a log, exec or attach request means (upstream
 * `validateContainer` in `pkg/registry/core/pod/strategy.go`), plus the
 * `kubectl.kubernetes.io/default-container` annotation kubectl itself honours.
 */
import type { Pod } from 'kubernetes-types/core/v1.js';
import { badRequest } from '../../api/errors.js';

/** The annotation naming the container kubectl picks when none is given. */
export const DEFAULT_CONTAINER_ANNOTATION = 'kubectl.kubernetes.io/default-container';

/** Every container name of the pod: init, app, then ephemeral containers (upstream `VisitContainers` order). */
export function containerNames(pod: Pod): string[] {
  const s = pod.spec;
  return [...(s?.initContainers ?? []), ...(s?.containers ?? []), ...(s?.ephemeralContainers ?? [])].map((c) => c.name);
}

/**
 * The container a request is for. A named container must exist; without a
 * name, the pod's only app container, or the one the default-container
 * annotation names (skiff honours it on the server too, so API clients get
 * what kubectl shows); otherwise a 400 listing the choices.
 *
 * @example
 * chooseContainer(pod, '') // throws `a container name must be specified for pod web, choose one of: [a b]`
 */
export function chooseContainer(pod: Pod, requested: string | null | undefined): string {
  const name = pod.metadata?.name ?? '';
  const all = containerNames(pod);
  if (requested) {
    if (!all.includes(requested)) throw badRequest(`container ${requested} is not valid for pod ${name}`);
    return requested;
  }
  const annotated = pod.metadata?.annotations?.[DEFAULT_CONTAINER_ANNOTATION];
  if (annotated && all.includes(annotated)) return annotated;
  const app = pod.spec?.containers ?? [];
  if (app.length === 1) return app[0]!.name;
  if (app.length === 0) throw badRequest(`a container name must be specified for pod ${name}`);
  // Go's %s of a string slice: `[a b]`.
  throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${all.join(' ')}]`);
}
