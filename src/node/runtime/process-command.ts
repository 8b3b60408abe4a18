/**
 * What the process runtime starts for a container, decided as data (upstream
 * `kuberuntime` + the CRI image config): the image's ENTRYPOINT and CMD,
 * replaced by the container's `command` and `args` as Kubernetes does
 * (`command` replaces ENTRYPOINT and drops CMD; `args` alone replace CMD), with
 * `$(VAR)` references expanded against the container's environment.
 *
 * skiff has no container images: a built-in image (agnhost, pause) maps its
 * ENTRYPOINT and its in-image binary paths (`/agnhost`) to a host program; any
 * other image runs its explicit `command` on the host (`sh -c …` manifests);
 * without a command there is nothing to run, and the image fallback decides:
 * `simulate` (running with no process) or `fail` (`ErrImageNeverPull`).
 */
import type { Container } from 'kubernetes-types/core/v1.js';
import { expandVars, type VarLookup } from '../expansion.js';

/** The parts of a built-in image the command plan needs (see `src/node/images`). */
export interface ImageProgram {
  name: string;
  entrypoint: string[];
  cmd: string[];
  binaries: string[];
}

/** What to do for a container whose image has no built-in program and no command. Default `simulate`. */
export type ImageFallback = 'simulate' | 'fail';

/** The decision for one container. */
export type CommandPlan =
  | { kind: 'run'; argv: string[] }
  | { kind: 'simulate'; message: string }
  | { kind: 'fail'; reason: 'ErrImageNeverPull'; message: string };

/** Replaces an in-image binary path (`/agnhost`) at `argv[0]` with the image's host entrypoint. */
export function mapImageBinary(argv: readonly string[], image: ImageProgram | undefined): string[] {
  if (image && argv.length > 0 && image.binaries.includes(argv[0]!)) return [...image.entrypoint, ...argv.slice(1)];
  return [...argv];
}

/** The Running-with-no-process explanation for a simulated container. */
export function simulatedMessage(image: string): string {
  return `image "${image}" has no built-in program in skiff and the container has no command, so it is simulated: Running with no process. Give the container a command to run a real process, or start skiff with --image-fallback fail to refuse such containers.`;
}

/** The `ErrImageNeverPull` message of a container skiff cannot run. */
export function cannotRunMessage(image: string): string {
  return `image "${image}" has no built-in program in skiff and the container has no command: give the container a command (e.g. command: ["sh", "-c", "…"]) or start skiff with --image-fallback simulate to run it as a simulated container.`;
}

/**
 * The argv for `container`, or why there is none.
 *
 * @example
 * resolveCommand({ name: 'c', image: 'busybox', command: ['sh', '-c', 'echo $(MSG)'] }, undefined, lookup, 'simulate')
 * // → { kind: 'run', argv: ['sh', '-c', 'echo hello'] }
 * resolveCommand({ name: 'c', image: 'agnhost', args: ['netexec', '--http-port=$(PORT)'] }, agnhost, lookup, 'simulate')
 * // → { kind: 'run', argv: [...agnhost.entrypoint, 'netexec', '--http-port=8080'] }
 */
export function resolveCommand(container: Container, image: ImageProgram | undefined, env: VarLookup, fallback: ImageFallback): CommandPlan {
  const command = (container.command ?? []).map((s) => expandVars(s, env));
  const args = (container.args ?? []).map((s) => expandVars(s, env));
  if (command.length > 0) return { kind: 'run', argv: mapImageBinary([...command, ...args], image) };
  if (image) return { kind: 'run', argv: [...image.entrypoint, ...(container.args !== undefined && container.args.length > 0 ? args : image.cmd)] };
  const ref = container.image ?? '';
  if (fallback === 'fail') return { kind: 'fail', reason: 'ErrImageNeverPull', message: cannotRunMessage(ref) };
  return { kind: 'simulate', message: simulatedMessage(ref) };
}
