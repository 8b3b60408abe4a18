/**
 * hostPath volumes inside a virtual node (upstream `pkg/volume/hostpath`). A
 * skiff node's "/" is its own directory `<dataDir>/nodes/<node>/`, so hostPath
 * `/var/log` on node-1 is `<dataDir>/nodes/node-1/var/log`. A path can never
 * leave the node's tree: `..` elements are refused before anything is looked
 * up, and symlinks are resolved and the result must still lie inside the node
 * root. An absolute symlink inside the tree (`var/run -> /run`) therefore
 * points at the *host's* /run and is refused, rather than re-rooted; a
 * relative one that stays inside the tree is followed.
 *
 * `type` checks are upstream's (`DirectoryOrCreate`, `Directory`,
 * `FileOrCreate`, `File`, `Socket`, `CharDevice`, `BlockDevice`). Two
 * deliberate differences, both because a node's tree starts empty where a real
 * node's disk is full of system directories: an unset type creates a missing
 * directory (as containerd does for missing bind sources), and `FileOrCreate`
 * also creates missing parent directories.
 */
import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { mkdir, open, stat } from 'node:fs/promises';
import { dirname, join, posix, resolve as resolvePath, sep } from 'node:path';

/** The `type` values of a hostPath volume (`""` = unset, no check). */
export type HostPathType = '' | 'DirectoryOrCreate' | 'Directory' | 'FileOrCreate' | 'File' | 'Socket' | 'CharDevice' | 'BlockDevice';

/**
 * The node-tree path of `hostPath` (pure), or an error for a path with a `..`
 * element. Relative paths are taken from the node's root.
 *
 * @example
 * nodePath('/data/nodes/node-1', '/var/log')   // { path: '/data/nodes/node-1/var/log' }
 * nodePath('/data/nodes/node-1', '/var/../etc') // { error: "invalid HostPath `/var/../etc`: must not contain '..'" }
 */
export function nodePath(nodeRoot: string, hostPath: string): { path: string } | { error: string } {
  if (!hostPath) return { error: 'invalid HostPath ``: must not be empty' };
  if (hostPath.split('/').includes('..')) return { error: `invalid HostPath \`${hostPath}\`: must not contain '..'` };
  const rel = posix.normalize(`/${hostPath}`).replace(/^\/+/, '').replace(/\/+$/, '');
  return { path: rel ? join(nodeRoot, rel) : nodeRoot };
}

/** True when `p` is `root` or inside it (both already resolved). */
export function isWithin(root: string, p: string): boolean {
  return p === root || p.startsWith(root.endsWith(sep) ? root : root + sep);
}

/**
 * The real path of `p`, or of its deepest existing ancestor joined with the
 * missing rest. A dangling symlink on the way is followed to its target (as
 * `open(O_CREAT)` and `mkdir` through it would), so a link to a missing path
 * outside the node's tree resolves outside and is refused before anything is
 * created through it.
 */
export function realpathAllowMissing(p: string): string {
  const missing: string[] = [];
  let cur = p;
  let hops = 0;
  for (;;) {
    try {
      const real = realpathSync(cur);
      return missing.length ? join(real, ...missing.reverse()) : real;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
      const target = danglingTarget(cur);
      if (target !== undefined) {
        if (++hops > 40) throw new Error(`too many levels of symbolic links resolving ${p}`);
        cur = resolvePath(dirname(cur), target);
        continue;
      }
      const parent = dirname(cur);
      if (parent === cur) return p;
      missing.push(cur.slice(parent.length).replace(/^\/+/, ''));
      cur = parent;
    }
  }
}

/** The target of `p` when `p` itself is a symlink (realpath already failed, so a dangling one). */
function danglingTarget(p: string): string | undefined {
  try {
    return lstatSync(p).isSymbolicLink() ? readlinkSync(p) : undefined;
  } catch {
    return undefined;
  }
}

type FileKind = 'Directory' | 'File' | 'Socket' | 'CharDevice' | 'BlockDevice' | '';

async function kindOf(p: string): Promise<FileKind | undefined> {
  try {
    const st = await stat(p);
    if (st.isDirectory()) return 'Directory';
    if (st.isFile()) return 'File';
    if (st.isSocket()) return 'Socket';
    if (st.isCharacterDevice()) return 'CharDevice';
    if (st.isBlockDevice()) return 'BlockDevice';
    return '';
  } catch {
    return undefined;
  }
}

const DESCRIPTION: Record<Exclude<FileKind, ''>, string> = {
  Directory: 'directory',
  File: 'file',
  Socket: 'socket file',
  CharDevice: 'character device',
  BlockDevice: 'block device',
};

/**
 * Resolves a hostPath volume inside `nodeRoot`, creating what its `type` asks
 * for, and returns the resolved host path to bind-mount. Throws an Error whose
 * message is the kubelet's detail (the caller wraps it into `MountVolume.SetUp
 * failed for volume …`).
 *
 * @example
 * await resolveHostPath('/data/nodes/node-1', '/var/log', 'DirectoryOrCreate') // '/data/nodes/node-1/var/log'
 */
export async function resolveHostPath(nodeRoot: string, hostPath: string, type: string = ''): Promise<string> {
  const np = nodePath(nodeRoot, hostPath);
  if ('error' in np) throw new Error(np.error);
  await mkdir(nodeRoot, { recursive: true });
  const root = realpathSync(nodeRoot);
  const escapeCheck = (): string => {
    const real = realpathAllowMissing(np.path);
    if (!isWithin(root, real)) {
      throw new Error(`hostPath ${hostPath} resolves to ${real}, outside the node's root ${root} (through a symlink); hostPath volumes stay inside the node's own tree`);
    }
    return real;
  };
  // Check before creating anything, so a symlinked ancestor cannot make us create outside the tree.
  const real = escapeCheck();
  const current = await kindOf(real);

  switch (type as HostPathType) {
    case '':
      if (current === undefined) await mkdir(real, { recursive: true, mode: 0o755 });
      return escapeCheck();
    case 'DirectoryOrCreate':
      if (current === undefined) await mkdir(real, { recursive: true, mode: 0o755 });
      return expect(escapeCheck(), hostPath, 'Directory');
    case 'FileOrCreate':
      if (current === undefined) {
        await mkdir(dirname(real), { recursive: true, mode: 0o755 });
        await (await open(real, 'a', 0o644)).close();
      }
      return expect(escapeCheck(), hostPath, 'File');
    case 'Directory':
    case 'File':
    case 'Socket':
    case 'CharDevice':
    case 'BlockDevice':
      return expect(real, hostPath, type as Exclude<FileKind, ''>);
    default:
      throw new Error(`${type} is an invalid volume type`);
  }
}

async function expect(real: string, hostPath: string, want: Exclude<FileKind, ''>): Promise<string> {
  const kind = await kindOf(real);
  if (kind === undefined) throw new Error(`hostPath ${hostPath} doesn't exist`);
  if (kind !== want) throw new Error(`hostPath type check failed: ${hostPath} is not a ${DESCRIPTION[want]}, it's a ${kind || 'unknown file type'}`);
  return real;
}
