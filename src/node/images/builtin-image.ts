/**
 * Which image references skiff runs with its built-in programs instead of a
 * container image, and the host argv that starts each program.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseImageRef } from './image-ref.js';
import { loaderArgv } from './loader-argv.js';

/** A built-in image: what the runtime runs for an image reference skiff re-implements. */
export interface BuiltinImage {
  /** 'agnhost' or 'pause'. */
  name: string;
  /** The image ENTRYPOINT as a host argv, e.g. [process.execPath, ...loader flags, '<abs path>/agnhost/main.(ts|js)']. */
  entrypoint: string[];
  /**
   * The image's default CMD used when the container gives neither command nor
   * args. agnhost: `['pause']`, as in the upstream Dockerfile (`CMD ["pause"]`);
   * pause: [].
   */
  cmd: string[];
  /** Paths that, used as container command[0], mean the entrypoint (e.g. ['/agnhost', 'agnhost'] or ['/pause', 'pause']). */
  binaries: string[];
}

/** Names of the built-in images. */
export type BuiltinImageName = 'agnhost' | 'pause';

// Legacy per-architecture names of the pause image (gcr.io/google_containers/pause-amd64:3.1).
const PAUSE_ARCH = /^pause-(amd64|arm|arm64|ppc64le|s390x)$/;

/**
 * The built-in image an image reference names, by its last path component on
 * any registry (mirrors keep it): `agnhost` → agnhost; `pause` (or a legacy
 * `pause-<arch>`) → pause. Tags and digests are ignored: one program serves
 * every version.
 *
 * @example
 * builtinImageName('registry.k8s.io/e2e-test-images/agnhost:2.53') // → 'agnhost'
 * builtinImageName('k8s.gcr.io/pause:3.9') // → 'pause'
 * builtinImageName('myagnhost') // → undefined
 */
export function builtinImageName(image: string): BuiltinImageName | undefined {
  const ref = parseImageRef(image);
  if (!ref) return undefined;
  if (ref.name === 'agnhost') return 'agnhost';
  if (ref.name === 'pause' || PAUSE_ARCH.test(ref.name)) return 'pause';
  return undefined;
}

let programArgvPrefix: string[] | undefined;

/** `[node, ...loader flags]`: how this process would start one of its own source files. */
function nodeArgvPrefix(): string[] {
  if (!programArgvPrefix) {
    const require = createRequire(import.meta.url);
    programArgvPrefix = [
      process.execPath,
      ...loaderArgv(process.execArgv, {
        typescript: import.meta.url.endsWith('.ts'),
        cwd: process.cwd(),
        resolve: (specifier, kind) => (kind === 'import' ? import.meta.resolve(specifier) : require.resolve(specifier)),
      }),
    ];
  }
  return programArgvPrefix;
}

/** Absolute path of a program's `main` file beside this module, with this module's extension (.ts under tsx, .js in dist/). */
function programPath(dir: BuiltinImageName): string {
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  return fileURLToPath(new URL(`./${dir}/main.${ext}`, import.meta.url));
}

/**
 * The built-in image for an image reference (any registry, tag or digest), or
 * undefined when skiff has no program for it.
 *
 * @example
 * const img = resolveBuiltinImage('registry.k8s.io/e2e-test-images/agnhost:2.53')!;
 * spawn(img.entrypoint[0]!, [...img.entrypoint.slice(1), 'netexec', '--http-port=8080']);
 */
export function resolveBuiltinImage(image: string): BuiltinImage | undefined {
  const name = builtinImageName(image);
  if (!name) return undefined;
  return {
    name,
    entrypoint: [...nodeArgvPrefix(), programPath(name)],
    cmd: name === 'agnhost' ? ['pause'] : [],
    binaries: [`/${name}`, name],
  };
}
