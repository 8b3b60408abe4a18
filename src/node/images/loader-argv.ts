/**
 * The Node.js flags a child process needs to run this project's TypeScript
 * sources the way the current process does (`node --import tsx …`). Bare
 * specifiers are resolved to absolute URLs here because a container's working
 * directory is not the project, and `--import tsx` resolves against it.
 */
import { isAbsolute, resolve as resolvePath } from 'node:path';

/** Resolves a bare module specifier (`tsx`) to an absolute path or URL, as `import` or `require` would. */
export type SpecifierResolver = (specifier: string, kind: 'import' | 'require') => string;

const LOADER_FLAGS: Record<string, 'import' | 'require'> = {
  '--import': 'import',
  '--loader': 'import',
  '--experimental-loader': 'import',
  '--require': 'require',
  '-r': 'require',
};

function isBare(specifier: string): boolean {
  return !(specifier.startsWith('.') || isAbsolute(specifier) || /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(specifier));
}

/**
 * Loader flags from `execArgv` (`--import`, `--loader`, `--experimental-loader`,
 * `--require`/`-r`, with a separate or `=` value), made independent of the
 * working directory; when `typescript` and none of them is tsx, `--import tsx`
 * is added. Returns [] when not `typescript` (compiled JavaScript needs no loader).
 *
 * @example
 * loaderArgv(['--import', 'tsx', '--test'], { typescript: true, cwd: '/p', resolve: () => 'file:///p/node_modules/tsx/dist/loader.mjs' })
 * // → ['--import', 'file:///p/node_modules/tsx/dist/loader.mjs']
 */
export function loaderArgv(execArgv: readonly string[], opts: { typescript: boolean; cwd: string; resolve: SpecifierResolver }): string[] {
  if (!opts.typescript) return [];
  const out: string[] = [];
  let hasTsx = false;
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!;
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const kind = LOADER_FLAGS[flag];
    if (!kind) continue;
    let value: string | undefined;
    if (eq > 0) value = arg.slice(eq + 1);
    else value = execArgv[++i];
    if (value === undefined || value === '') continue;
    if (value === 'tsx' || /[\\/]tsx[\\/]/.test(value)) hasTsx = true;
    let absolute = value;
    if (isBare(value)) absolute = opts.resolve(value, kind);
    else if (value.startsWith('.')) absolute = resolvePath(opts.cwd, value);
    out.push(flag, absolute);
  }
  if (!hasTsx) out.push('--import', opts.resolve('tsx', 'import'));
  return out;
}
