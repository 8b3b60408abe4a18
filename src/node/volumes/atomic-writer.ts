/**
 * The kubelet's atomic writer (`pkg/volume/util/atomic_writer.go`) for API-data
 * volumes (configMap, secret, downwardAPI, projected): the real files live in a
 * hidden timestamped directory `..<YYYY_MM_DD_HH_MM_SS.random>`, `..data` is a
 * symlink to it, and every user-visible top-level name is a symlink through
 * `..data` (`key -> ..data/key`). An update writes a new timestamped directory
 * and swaps `..data` with one `rename(2)`, so a reader sees either the old or
 * the new set of files, never a mix.
 */
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rename, rm, symlink, unlink, writeFile, chmod } from 'node:fs/promises';
import { join, posix } from 'node:path';

/** Content and permission bits of one projected file. */
export interface FileProjection {
  data: Buffer;
  /** Permission bits, e.g. 0o644 (API `mode` fields are decimal: 420). */
  mode: number;
}

/** Relative path → file. Paths may contain `/` (subdirectories). */
export type Payload = Map<string, FileProjection>;

const DATA_DIR = '..data';
const NEW_DATA_DIR = '..data_tmp';
const MAX_FILE_NAME = 255;
const MAX_PATH = 4096;

/**
 * Why `path` cannot be a payload path, or undefined when it can: it must be
 * relative, have no `..` element, not start with `..` (reserved for the
 * writer's own entries), and respect the file name (255) and path (4096)
 * length limits.
 *
 * @example
 * payloadPathError('a/b')     // undefined
 * payloadPathError('../etc')  // "invalid path: must not contain '..': ../etc"
 */
export function payloadPathError(path: string): string | undefined {
  if (path === '') return 'invalid path: must not be empty: ""';
  if (path.startsWith('/')) return `invalid path: must be relative path: ${path}`;
  if (path.length > MAX_PATH) return `invalid path: must be less than or equal to ${MAX_PATH} characters`;
  const items = path.split('/');
  for (const item of items) {
    if (item === '..') return `invalid path: must not contain '..': ${path}`;
    if (item.length > MAX_FILE_NAME) return `invalid path: filenames must be less than or equal to ${MAX_FILE_NAME} characters`;
  }
  if (items[0]!.startsWith('..') && items[0]!.length > 2) return `invalid path: must not start with '..': ${path}`;
  return undefined;
}

/** `YYYY_MM_DD_HH_MM_SS.` in UTC, the prefix of a timestamped data directory. */
function timestampPrefix(now: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `..${now.getUTCFullYear()}_${p(now.getUTCMonth() + 1)}_${p(now.getUTCDate())}_${p(now.getUTCHours())}_${p(now.getUTCMinutes())}_${p(now.getUTCSeconds())}.`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** Every file and directory under `dir`, as relative paths. */
async function walk(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    out.push(rel);
    if (e.isDirectory()) out.push(...(await walk(join(dir, e.name), rel)));
  }
  return out;
}

async function sameContent(oldTsDir: string, payload: Payload): Promise<boolean> {
  for (const [path, file] of payload) {
    try {
      const cur = await readFile(join(oldTsDir, path));
      if (!cur.equals(file.data)) return false;
      const st = await lstat(join(oldTsDir, path));
      if ((st.mode & 0o7777) !== file.mode) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/**
 * Projects `payload` into `targetDir` atomically; resolves true when something
 * changed on disk, false when the directory already held exactly this payload.
 * `targetDir` must exist. Throws (before touching anything) for an invalid path.
 *
 * @example
 * await writeAtomic('/pods/u1/volumes/kubernetes.io~configmap/config',
 *   new Map([['app.conf', { data: Buffer.from('x=1'), mode: 0o644 }]]));
 * // app.conf -> ..data/app.conf, ..data -> ..2024_05_01_10_00_00.123456
 */
export async function writeAtomic(targetDir: string, payload: Payload, now: Date = new Date()): Promise<boolean> {
  const clean: Payload = new Map();
  for (const [path, file] of payload) {
    const err = payloadPathError(path);
    if (err) throw new Error(err);
    clean.set(posix.normalize(path), file);
  }

  const dataDirPath = join(targetDir, DATA_DIR);
  let oldTsName = '';
  try {
    oldTsName = await readlink(dataDirPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const oldTsPath = oldTsName ? join(targetDir, oldTsName) : '';

  // Which previously visible paths disappear with this payload (with every
  // parent of a new path kept, so non-empty directories are never removed).
  let toRemove: string[] = [];
  if (oldTsPath) {
    const keep = new Set<string>();
    for (const path of clean.keys()) {
      for (let p = path; p; p = posix.dirname(p) === '.' ? '' : posix.dirname(p)) keep.add(p);
    }
    const old = (await exists(oldTsPath)) ? await walk(oldTsPath) : [];
    toRemove = old.filter((p) => !keep.has(p));
    if (toRemove.length === 0 && (await sameContent(oldTsPath, clean))) return false;
  }

  const tsDir = await mkdtemp(join(targetDir, timestampPrefix(now)));
  // 0755 regardless of umask so non-root readers can traverse it.
  await chmod(tsDir, 0o755);
  try {
    for (const [path, file] of clean) {
      const full = join(tsDir, path);
      await mkdir(posix.dirname(full), { recursive: true });
      await writeFile(full, file.data, { mode: file.mode });
      // writeFile's mode is filtered by the umask; the API mode must win.
      await chmod(full, file.mode);
    }

    for (const path of clean.keys()) {
      const top = path.split('/')[0]!;
      const visible = join(targetDir, top);
      if (!(await exists(visible))) await symlink(posix.join(DATA_DIR, top), visible);
    }

    const newDataDirPath = join(targetDir, NEW_DATA_DIR);
    await rm(newDataDirPath, { force: true });
    await symlink(posix.basename(tsDir), newDataDirPath);
    await rename(newDataDirPath, dataDirPath);
  } catch (err) {
    await rm(tsDir, { recursive: true, force: true });
    throw err;
  }

  for (const p of toRemove) {
    // Only top-level names are symlinks in the visible part; deeper paths vanish with the old directory.
    if (p.includes('/')) continue;
    await unlink(join(targetDir, p)).catch(() => {});
  }
  if (oldTsPath) await rm(oldTsPath, { recursive: true, force: true });
  return true;
}
