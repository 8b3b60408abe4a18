/**
 * Private mount namespaces for process pods: a container's argv is wrapped so
 * it runs under `unshare --mount --propagation private` with a small `sh`
 * script that bind-mounts each volume onto its mountPath (and the pod's
 * /etc/hosts and /etc/resolv.conf over the host's), remounts read-only mounts
 * read-only, and `exec`s the container's argv — the same PID all the way, so
 * the runtime's process bookkeeping is unaffected.
 *
 * Mount points that do not exist on the host (`/config`, `/etc/app`) are never
 * created on the host's real filesystem. Instead the script builds a new root:
 * a tmpfs on the pod's scratch directory (`MountPlan.scratchDir`) mirrors the
 * host's `/` — a directory per entry with the host entry recursively
 * bind-mounted onto it, symlinks copied as symlinks — and every directory on
 * the way to a missing mount point is mirrored the same way one level deeper,
 * so the mount point can be created on the tmpfs. The tmpfs is then moved onto
 * `/` and the command runs `chroot`ed into it. The process still sees every
 * host path (through the binds) and writes through them to the host, exactly
 * as without a namespace; only the new mount points live on the tmpfs. When
 * every mount point already exists (e.g. /etc/hosts, /var/log), the binds go
 * straight over the host paths inside the namespace and no new root is built.
 * Mount points nested in an earlier volume (`/data` then `/data/cache`) are
 * created inside that volume, as runc does.
 *
 * Decisions are a pure function over an injected view of the host filesystem
 * (`planMountSteps`); `renderMountScript` turns them into shell text.
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join, posix, relative } from 'node:path';
import { isWithin } from './host-path.js';

/** One bind mount: host `source` appears at `target` inside the namespace. */
export interface Mount {
  source: string;
  target: string;
  readOnly: boolean;
}

/** What to mount for one container. */
export interface MountPlan {
  mounts: Mount[];
  /** Host path of the pod's own /etc/hosts, when generated. */
  etcHosts?: string;
  /** Host path of the pod's own /etc/resolv.conf, when generated. */
  resolvConf?: string;
  /**
   * An empty directory owned by the pod, where the namespace builds its new
   * root when a mount point is missing on the host (see the file comment).
   * `preparePodVolumes` sets it to `<podDir>/mnt-root`.
   */
  scratchDir?: string;
}

/** What `planMountSteps` needs to know about the host's filesystem. */
export interface HostFs {
  /** `dir`, `file` (anything else that exists) or `missing`, following symlinks. */
  kind(path: string): 'dir' | 'file' | 'missing';
  /**
   * `existing`: the real path of `path`'s deepest existing ancestor (itself
   * when it exists); `real`: that joined with the missing rest.
   */
  resolve(path: string): { real: string; existing: string };
}

/** One bind in a {@link MountSteps}; `target` is canonical (no symlinks in its existing part). */
export interface BindStep {
  source: string;
  target: string;
  readOnly: boolean;
  /** Create the mount point first (on the new root's tmpfs, or inside a parent volume). */
  create?: 'dir' | 'file';
  /** The first path element that had to be created, when on the new root (a dangling symlink copy there is removed first). */
  firstMissing?: string;
}

/** The decided work of one namespace. */
export interface MountSteps {
  /** Whether a new root must be built (some mount point is missing on the host). */
  newRoot: boolean;
  /** Directories to mirror on the new root, parents first; `skip` are children mirrored themselves. */
  mirrors: { dir: string; skip: string[] }[];
  binds: BindStep[];
}

interface Placed {
  target: string;
  canonical: string;
  srcReal: string;
  srcDir: boolean;
}

function depth(p: string): number {
  return p === '/' ? 0 : p.split('/').length - 1;
}

/** Every ancestor directory of `p` from `/` down to `p` itself. */
function chain(p: string): string[] {
  const out = ['/'];
  if (p === '/') return out;
  let cur = '';
  for (const part of p.split('/').slice(1)) {
    cur += `/${part}`;
    out.push(cur);
  }
  return out;
}

/**
 * Decides how to apply `mounts` (pure over `fs`): the order (parents first,
 * like runc), where mount points must be created, and which host directories
 * must be mirrored onto a new root. Returns an error for a missing source, a
 * directory over a file (or the reverse), or a mount point that escapes its
 * parent volume through a symlink.
 *
 * @example
 * planMountSteps([{ source: '/pods/u/vol', target: '/config', readOnly: true }], hostFs)
 * // { newRoot: true, mirrors: [{ dir: '/', skip: [] }], binds: [{ source: '/pods/u/vol', target: '/config', readOnly: true, create: 'dir', firstMissing: '/config' }] }
 */
export function planMountSteps(mounts: readonly Mount[], fs: HostFs): MountSteps | { error: string } {
  const normalized: Mount[] = [];
  for (const m of mounts) {
    if (!m.target.startsWith('/')) return { error: `mount target "${m.target}" must be an absolute path` };
    if (m.source.includes('\0') || m.target.includes('\0')) return { error: `mount of "${m.target}" contains a NUL byte` };
    const target = posix.normalize(m.target).replace(/(.)\/+$/, '$1');
    normalized.push({ ...m, target });
  }
  // Parents before children; a stable sort keeps the pod's order among equals.
  const ordered = normalized.map((m, i) => ({ m, i })).sort((a, b) => depth(a.m.target) - depth(b.m.target) || a.i - b.i).map((x) => x.m);

  const placed: Placed[] = [];
  const binds: BindStep[] = [];
  const mirrorDirs = new Set<string>();
  for (const m of ordered) {
    const srcKind = fs.kind(m.source);
    if (srcKind === 'missing') return { error: `mount source ${m.source} for ${m.target} does not exist` };
    const srcDir = srcKind === 'dir';
    const srcReal = fs.resolve(m.source).real;
    const parent = placed.filter((p) => p.srcDir && (m.target === p.target || m.target.startsWith(p.target === '/' ? '/' : `${p.target}/`))).pop();

    let canonical: string;
    let targetKind: 'dir' | 'file' | 'missing';
    const step: BindStep = { source: m.source, target: '', readOnly: m.readOnly };
    if (parent) {
      // The mount point lies inside an earlier volume: look it up in that volume's source.
      const rel = relative(parent.target, m.target);
      const inVolume = fs.resolve(join(parent.srcReal, rel));
      if (!isWithin(parent.srcReal, inVolume.real)) {
        return { error: `mount point ${m.target} escapes the volume mounted at ${parent.target} through a symlink (resolves to ${inVolume.real})` };
      }
      canonical = posix.join(parent.canonical, relative(parent.srcReal, inVolume.real));
      targetKind = fs.kind(inVolume.real);
      if (targetKind === 'missing') step.create = srcDir ? 'dir' : 'file';
    } else {
      const r = fs.resolve(m.target);
      canonical = r.real;
      targetKind = fs.kind(m.target);
      if (targetKind === 'missing') {
        if (fs.kind(r.existing) !== 'dir') return { error: `cannot create mount point ${m.target}: ${r.existing} is not a directory` };
        for (const d of chain(r.existing)) mirrorDirs.add(d);
        step.create = srcDir ? 'dir' : 'file';
        const rest = relative(r.existing, r.real).split('/')[0]!;
        step.firstMissing = posix.join(r.existing, rest);
      }
    }
    if (targetKind === 'dir' && !srcDir) return { error: `cannot mount file ${m.source} onto directory ${m.target}` };
    if (targetKind === 'file' && srcDir) return { error: `cannot mount directory ${m.source} onto ${m.target}, which is not a directory` };
    step.target = canonical;
    binds.push(step);
    placed.push({ target: m.target, canonical, srcReal, srcDir });
  }

  const newRoot = mirrorDirs.size > 0;
  const dirs = [...mirrorDirs].sort((a, b) => depth(a) - depth(b) || (a < b ? -1 : 1));
  const mirrors = dirs.map((dir) => ({
    dir,
    skip: dirs.filter((d) => d !== '/' && dirname(d) === dir).map((d) => posix.basename(d)),
  }));
  return { newRoot, mirrors, binds };
}

/** Single-quotes `s` for sh. */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The PATH the setup script runs its tools with (inside a subshell, so the container's PATH is untouched). */
const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Shell function mirroring one host directory onto the new root `$S` (see the file comment). */
const MIRROR_FN = `_skiff_mirror() {
  _d=$1; shift
  for _e in "$_d"/* "$_d"/.[!.]* "$_d"/..?*; do
    [ -e "$_e" ] || [ -L "$_e" ] || continue
    _n=\${_e##*/}; _t=$S$_e; _skip=
    for _x in "$@"; do [ "$_x" = "$_n" ] && _skip=1; done
    if [ -n "$_skip" ]; then
      mkdir "$_t"; chmod --reference="$_e" "$_t"; chown --reference="$_e" "$_t"
    elif [ -L "$_e" ]; then
      ln -s "$(readlink "$_e")" "$_t"
    elif [ -d "$_e" ]; then
      mkdir "$_t"; mount --rbind "$_e" "$_t"
    else
      : > "$_t"; mount --bind "$_e" "$_t"
    fi
  done
}`;

/**
 * The `sh -c` script applying `steps`, then `exec`ing its arguments ("$@")
 * in `workingDir` (default: the directory it was started in). Setup failures
 * exit 126 with the tool's message on stderr. All paths are single-quoted.
 */
export function renderMountScript(steps: MountSteps, opts: { chroot: string; scratchDir?: string; workingDir?: string }): string | { error: string } {
  const q = shQuote;
  const lines: string[] = [];
  lines.push(opts.workingDir ? `set -- ${q(opts.workingDir)} "$@"` : 'set -- "$PWD" "$@"');
  lines.push('(');
  lines.push('set -e');
  lines.push(`PATH=${SYSTEM_PATH}`);
  let prefix = '';
  if (steps.newRoot) {
    if (!opts.scratchDir) return { error: 'a mount point is missing on the host and the mount plan has no scratchDir to build a private root in' };
    const scratch = opts.scratchDir;
    lines.push(`S=${q(scratch)}`);
    lines.push('mount -t tmpfs -o mode=0755 skiff-root "$S"');
    lines.push(MIRROR_FN);
    for (const m of steps.mirrors) lines.push(`_skiff_mirror ${q(m.dir === '/' ? '' : m.dir)}${m.skip.map((s) => ` ${q(s)}`).join('')}`);
    prefix = '"$S"';
  }
  const at = (p: string) => `${prefix}${q(p)}`;
  for (const b of steps.binds) {
    if (b.firstMissing && steps.newRoot) lines.push(`if [ -L ${at(b.firstMissing)} ]; then rm -f ${at(b.firstMissing)}; fi`);
    if (b.create === 'dir') lines.push(`mkdir -p ${at(b.target)}`);
    if (b.create === 'file') lines.push(`mkdir -p ${at(posix.dirname(b.target))}`, `[ -e ${at(b.target)} ] || : > ${at(b.target)}`);
    lines.push(`mount --bind ${q(b.source)} ${at(b.target)}`);
  }
  for (const b of steps.binds) if (b.readOnly) lines.push(`mount -o remount,bind,ro ${at(b.target)}`);
  if (steps.newRoot) {
    // The rbind of the scratch directory's ancestors copied the new root into itself; drop that copy.
    lines.push('umount -l "$S$S" 2>/dev/null || true');
  }
  lines.push(`) || { echo "skiff: setting up the pod's mounts failed (see the message above)" >&2; exit 126; }`);
  const cd = opts.workingDir ? `cd -- "$1" || { echo "skiff: cannot enter working directory $1" >&2; exit 126; }` : 'cd -- "$1" 2>/dev/null || cd /';
  if (steps.newRoot) {
    lines.push(`cd -- ${q(opts.scratchDir!)} || exit 126`);
    lines.push(`(PATH=${SYSTEM_PATH}; mount --move . /) || { echo "skiff: cannot switch to the pod's private root" >&2; exit 126; }`);
    lines.push(`exec ${q(opts.chroot)} . /bin/sh -c ${q(`${cd}; shift; unset OLDPWD; exec "$@"`)} skiff-mount "$@"`);
  } else {
    lines.push(cd);
    lines.push('shift');
    // `cd` exported OLDPWD, which a container would not have; sh itself always exports PWD (the real cwd).
    lines.push('unset OLDPWD');
    lines.push('exec "$@"');
  }
  return lines.join('\n');
}

/** The real host filesystem, for {@link planMountSteps}. */
export const realHostFs: HostFs = {
  kind(path) {
    try {
      return statSync(path).isDirectory() ? 'dir' : 'file';
    } catch {
      return 'missing';
    }
  },
  resolve(path) {
    const missing: string[] = [];
    let cur = path;
    for (;;) {
      try {
        const existing = realpathSync(cur);
        return { existing, real: missing.length ? posix.join(existing, ...missing.reverse()) : existing };
      } catch {
        const parent = posix.dirname(cur);
        if (parent === cur) return { existing: '/', real: path };
        missing.push(posix.basename(cur));
        cur = parent;
      }
    }
  },
};

interface Support {
  ok: boolean;
  reason: string;
  /** The argv prefix entering a private mount namespace. */
  prefix: string[];
  chroot: string;
}

let support: Support | undefined;

function findTool(name: string): string | undefined {
  for (const dir of SYSTEM_PATH.split(':')) {
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

function probe(): Support {
  const missing = ['unshare', 'mount', 'umount', 'chroot', 'sh'].filter((t) => !findTool(t));
  if (missing.length) return { ok: false, reason: `missing tools: ${missing.join(', ')} (install util-linux and coreutils)`, prefix: [], chroot: '' };
  const unshare = findTool('unshare')!;
  const chroot = findTool('chroot')!;
  const tryPrefix = (prefix: string[]) => {
    const r = spawnSync(prefix[0]!, [...prefix.slice(1), '/bin/sh', '-c', 'exit 0'], { stdio: 'pipe', timeout: 5000 });
    return r.status === 0 ? '' : (r.stderr?.toString().trim() || r.error?.message || `exit ${r.status}`);
  };
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const rootPrefix = [unshare, '--mount', '--propagation', 'private'];
  if (isRoot) {
    const err = tryPrefix(rootPrefix);
    if (!err) return { ok: true, reason: '', prefix: rootPrefix, chroot };
    return { ok: false, reason: `unshare --mount failed: ${err}`, prefix: [], chroot };
  }
  // Unprivileged: a user namespace where we are root owns the new mount namespace.
  const userPrefix = [unshare, '--user', '--map-root-user', '--mount', '--propagation', 'private'];
  const err = tryPrefix(userPrefix);
  if (!err) return { ok: true, reason: '', prefix: userPrefix, chroot };
  return { ok: false, reason: `not root, and unprivileged user namespaces are unavailable (${err})`, prefix: [], chroot };
}

function currentSupport(): Support {
  support ??= probe();
  return support;
}

/**
 * Whether private mount namespaces can be used here: as root, or through an
 * unprivileged user namespace (then the container runs as uid 0 of that
 * namespace, which maps to the caller's uid). Probed once per process by
 * running `unshare` for real.
 *
 * @example
 * const s = mountNamespaceSupport(); if (!s.ok) console.warn(s.reason);
 */
export function mountNamespaceSupport(): { ok: true } | { ok: false; reason: string } {
  const s = currentSupport();
  return s.ok ? { ok: true } : { ok: false, reason: s.reason };
}

/** Options of {@link wrapWithMounts}. */
export interface WrapOptions {
  /**
   * The container's working directory, entered after the mounts are in place
   * (so a workingDir that is itself a mountPath works). Default: the directory
   * the wrapper was started in.
   */
  workingDir?: string;
  /** For tests: the host filesystem view. Default the real one. */
  hostFs?: HostFs;
}

/**
 * Wraps a host argv so it runs in a private mount namespace with `plan`
 * applied. Returns the argv unchanged when there is nothing to mount. When the
 * plan has volume mounts but namespaces are unavailable, returns an error —
 * volumes are never silently replaced by host paths. A plan with only the
 * generated /etc/hosts and /etc/resolv.conf runs unwrapped in that case (the
 * pod then sees the host's files; check {@link mountNamespaceSupport} to warn).
 *
 * @example
 * const r = wrapWithMounts(volumes.planFor('app'), ['sh', '-c', 'cat /config/key']);
 * if ('error' in r) fail(r.error); else spawn(r.argv[0], r.argv.slice(1));
 */
export function wrapWithMounts(plan: MountPlan, argv: string[], opts: WrapOptions = {}): { argv: string[] } | { error: string } {
  const mounts: Mount[] = [...plan.mounts];
  const has = (t: string) => plan.mounts.some((m) => posix.normalize(m.target) === t);
  if (plan.etcHosts && !has('/etc/hosts')) mounts.push({ source: plan.etcHosts, target: '/etc/hosts', readOnly: false });
  if (plan.resolvConf && !has('/etc/resolv.conf')) mounts.push({ source: plan.resolvConf, target: '/etc/resolv.conf', readOnly: false });
  if (mounts.length === 0) return { argv };
  if (argv.length === 0) return { error: 'nothing to run: the argv is empty' };

  const s = currentSupport();
  if (!s.ok) {
    if (plan.mounts.length === 0) return { argv };
    return {
      error: `the pod's volumes need a private mount namespace, which is unavailable here: ${s.reason}. Run skiff as root (or enable unprivileged user namespaces), or remove the container's volumeMounts`,
    };
  }
  const steps = planMountSteps(mounts, opts.hostFs ?? realHostFs);
  if ('error' in steps) return steps;
  let scratchDir = plan.scratchDir;
  if (steps.newRoot && scratchDir) {
    try {
      scratchDir = realpathSync(scratchDir);
    } catch {
      return { error: `the pod's scratch directory ${scratchDir} does not exist` };
    }
  }
  const script = renderMountScript(steps, { chroot: s.chroot, scratchDir, workingDir: opts.workingDir });
  if (typeof script !== 'string') return script;
  return { argv: [...s.prefix, '/bin/sh', '-c', script, 'skiff-mount', ...argv] };
}
