/**
 * Static-file path confinement for the file_server example: maps a request target to
 * an OPEN file under a root directory, or to the status to answer instead — with the
 * kernel enforcing the confinement (openat2(2) with RESOLVE_BENEATH, through
 * IORING_OP_OPENAT2), not a realpath walk.
 *
 * May touch: the filesystem read-only: the root directory (opened once, O_PATH), files
 * opened beneath it through the ring (openat2, statx on the fd), and
 * /proc/self/fd/N (readlink, a synchronous syscall — no thread pool) to learn the real
 * path of an fd just opened.  It reads and writes no file contents.
 *
 * Policies:
 *  - The target loses its query and fragment and must then start with "/" (origin
 *    form; an absolute-form target should be reduced to its pathname first), else 400.
 *  - It is percent-decoded exactly once, as UTF-8.  Malformed escapes (`%`, `%2`,
 *    `%zz`), escapes that are not UTF-8 (`%ff`) and NUL (raw or `%00`) are 400.
 *  - The decoded path is split on "/" and also on "\": a `..` segment in either
 *    sense is 400, whether it was written `..`, `%2e%2e`, `..%2f` or `..\`.  On Linux
 *    "\" is an ordinary filename character, and a file named `a\b` is served, but
 *    nothing that some other layer might read as "go up" gets through.
 *  - Empty and "." segments are dropped, so the path is never absolute: `//etc/passwd`
 *    and `/%2fetc/passwd` both name `<root>/etc/passwd`.
 *  - The relative path is opened with openat2(rootfd, rel, RESOLVE_BENEATH |
 *    RESOLVE_NO_MAGICLINKS): the kernel walks it and refuses (EXDEV) any step that
 *    leaves the root — a symlink pointing outside, relative or absolute — so there is
 *    no window between a check and the open: the check IS the open.  403 for those.
 *    RESOLVE_BENEATH also refuses absolute symlinks that point back INSIDE the root;
 *    for those (EXDEV only) the path is opened once more O_PATH (no data access, no
 *    device side effects), the real path of that fd is read from /proc/self/fd, and if
 *    it lies under the root's real path it is opened beneath the root by that real
 *    relative path (again RESOLVE_BENEATH: a tree rewritten meanwhile gives 403).
 *    With `noSymlinks` (RESOLVE_NO_SYMLINKS) every symlink is 403.
 *  - Missing files (ENOENT, ENOTDIR, ENAMETOOLONG) are 404; EACCES / EPERM / ELOOP (a
 *    symlink loop) / ENXIO (a socket file) are 403.
 *  - A directory: without a trailing slash it is 301 (the server redirects to the same
 *    path plus "/", as nginx and serve-static do); with one it maps to its
 *    `index.html` (with `index: true`, the default; itself opened beneath the root and
 *    required to be a regular file), else 404.  A trailing slash after a file is 404.
 *    Anything that is not a regular file or a directory (FIFO, socket, device) is
 *    403.  Every name is first opened O_PATH and looked at (statx): only a regular file
 *    is then opened for reading, by reopening that O_PATH fd (/proc/<pid>/fd/N, the
 *    same inode, whatever the name points at by then) — a FIFO or device is never
 *    opened (no side effect), and a directory with search but no read permission
 *    still serves its index.html.
 *  - Dotfiles (`.env`, `.git/config`, anything under a segment that starts with "."):
 *    by default ignored — 404, as if absent, which is serve-static's default — or 403
 *    with `dotfiles: 'deny'`, or served with `dotfiles: 'allow'`.  Checked on the
 *    request's segments and again on the real path of the opened fd below the root,
 *    so a symlink `/public -> .git` does not open the way either.
 *  - An unusable root (missing, not a directory) throws from ServedRoot.open: that is
 *    a configuration error of the server, not an answer for the client.
 */
import path from 'node:path';
import { readlinkSync } from 'node:fs';
import { constants as C } from 'node:fs';
import { defaultRing, openat2, RESOLVE } from 'ringcore';
import { FileHandle, type BigIntStats } from 'ringcore/fs';

export { contentType } from './mime.js';

/** What to do with a path that has a segment starting with "." (see the policies). */
export type DotfilesPolicy = 'ignore' | 'deny' | 'allow';

/** A status instead of a file; 301 means "a directory: add the trailing slash". */
/** 503: the process is out of fds (EMFILE/ENFILE) — a moment's condition, not the file's. */
export type RefusedStatus = 301 | 400 | 403 | 404 | 500 | 503;

/** A request target reduced to a path relative to the root. */
export interface Target {
  /** Segments joined with "/", no leading slash; '' for the root itself. */
  readonly rel: string;
  readonly trailingSlash: boolean;
}

function hasDotSegment(segments: readonly string[]): boolean {
  return segments.some((s) => s.charCodeAt(0) === 46 /* . */);
}

/** 404 / 403 for a dot path under `policy`, or undefined if it may be served. */
function dotStatus(segments: readonly string[], policy: DotfilesPolicy): 403 | 404 | undefined {
  if (policy === 'allow' || !hasDotSegment(segments)) return undefined;
  return policy === 'deny' ? 403 : 404;
}

function isInside(rootReal: string, real: string): boolean {
  if (real === rootReal) return true;
  const prefix = rootReal.endsWith(path.sep) ? rootReal : rootReal + path.sep;
  return real.startsWith(prefix);
}

/**
 * The target's path relative to the root, or 400 / 403 / 404 (see the policies).
 * Pure: no filesystem access.
 */
export function parseTarget(target: string, dotfiles: DotfilesPolicy = 'ignore'): Target | { status: 400 | 403 | 404 } {
  let end = target.length;
  const q = target.indexOf('?');
  if (q !== -1) end = q;
  const h = target.indexOf('#');
  if (h !== -1 && h < end) end = h;
  const raw = target.slice(0, end);
  if (raw.charCodeAt(0) !== 47 /* / */) return { status: 400 };

  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return { status: 400 };
  }
  if (decoded.includes('\0')) return { status: 400 };

  const segments: string[] = [];
  for (const seg of decoded.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') return { status: 400 };
    if (seg.includes('\\') && seg.split('\\').includes('..')) return { status: 400 };
    segments.push(seg);
  }
  const dot = dotStatus(segments, dotfiles);
  if (dot !== undefined) return { status: dot };
  return { rel: segments.join('/'), trailingSlash: decoded.endsWith('/') && segments.length > 0 };
}

/** An open file under the root: its handle, statx (bigint: nanosecond times), real path. */
export interface OpenedFile {
  readonly fh: FileHandle;
  readonly stat: BigIntStats;
  /** Absolute real path (what /proc/self/fd says), for messages and tests. */
  readonly real: string;
  /** The path relative to the root that was opened (the index.html for a directory). */
  readonly rel: string;
}

/** O_PATH (x86-64 and most Linux ABIs): an fd that names a file without opening it for I/O. */
const O_PATH = 0o10000000;

/** O_NONBLOCK: opening a FIFO would otherwise wait for a writer; no effect on regular files. */
const OPEN_FLAGS = C.O_RDONLY | C.O_NONBLOCK;

function errorStatus(e: unknown): 403 | 404 | 500 | 503 {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENAMETOOLONG') return 404;
  if (code === 'EXDEV' || code === 'EACCES' || code === 'EPERM' || code === 'ELOOP' || code === 'ENXIO') return 403;
  if (code === 'EMFILE' || code === 'ENFILE') return 503; // the open-file cache frees fds and retries
  return 500;
}

/** The real path of an open fd (the kernel's d_path of it). */
function fdPath(fd: number): string {
  return readlinkSync(`/proc/self/fd/${fd}`);
}

export interface RootOptions {
  /** RESOLVE_NO_SYMLINKS: refuse every symlink (403). */
  noSymlinks?: boolean;
}

/** The served directory, opened once (O_PATH | O_DIRECTORY); files are opened beneath it. */
export class ServedRoot {
  private constructor(
    /** The root as given, made absolute (revalidation stats `path + '/' + rel`). */
    readonly path: string,
    /** Its real path (the fd's), against which fallback paths and dotfiles are checked; refreshed if the root moves. */
    public real: string,
    readonly fd: number,
    private readonly resolve: number,
  ) {}

  /** Opens `root` (throws ENOENT / ENOTDIR for a missing root or one that is not a directory). */
  static async open(root: string, options: RootOptions = {}): Promise<ServedRoot> {
    const abs = path.resolve(root);
    const fd = await openat2(-100, abs, { flags: O_PATH | C.O_DIRECTORY });
    const resolve = RESOLVE.BENEATH | RESOLVE.NO_MAGICLINKS | (options.noSymlinks ? RESOLVE.NO_SYMLINKS : 0);
    return new ServedRoot(abs, fdPath(fd), fd, resolve);
  }

  /** Closes the root's fd (files already open stay usable). */
  async close(): Promise<void> {
    await new FileHandle(defaultRing(), this.fd).close();
  }

  /** openat2 beneath the root; an absolute symlink back inside is retried by its real path. */
  private async openBeneath(rel: string, flags: number): Promise<number | { status: 403 | 404 | 500 | 503 }> {
    const p = rel === '' ? '.' : rel;
    try {
      return await openat2(this.fd, p, { flags, resolve: this.resolve });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EXDEV' || (this.resolve & RESOLVE.NO_SYMLINKS) !== 0) {
        return { status: errorStatus(e) };
      }
    }
    // EXDEV: the walk left the root, or met an absolute symlink (maybe pointing inside).
    let real: string;
    try {
      const pathFd = await openat2(this.fd, p, { flags: O_PATH, resolve: RESOLVE.NO_MAGICLINKS });
      try {
        real = fdPath(pathFd);
      } finally {
        await new FileHandle(defaultRing(), pathFd).close();
      }
    } catch (e) {
      return { status: errorStatus(e) };
    }
    if (!this.contains(real)) return { status: 403 };
    try {
      return await openat2(this.fd, path.relative(this.real, real) || '.', { flags, resolve: this.resolve });
    } catch (e) {
      return { status: errorStatus(e) };
    }
  }

  /**
   * Opens what `target` names (see the policies): a regular file, or the status to
   * answer with.  The caller owns the returned FileHandle.
   */
  async openTarget(target: Target, dotfiles: DotfilesPolicy = 'ignore', index = true): Promise<OpenedFile | { status: RefusedStatus }> {
    const first = await this.openChecked(target.rel, dotfiles);
    if ('status' in first) return first;
    if (first.stat.isFile()) {
      if (target.trailingSlash) {
        await first.fh.close();
        return { status: 404 };
      }
      return first;
    }
    await first.fh.close();
    if (!first.stat.isDirectory()) return { status: 403 };
    if (!target.trailingSlash && target.rel !== '') return { status: 301 };
    if (!index) return { status: 404 };
    const rel = target.rel === '' ? 'index.html' : `${target.rel}/index.html`;
    const idx = await this.openChecked(rel, dotfiles);
    if ('status' in idx) return idx;
    if (idx.stat.isFile()) return idx;
    await idx.fh.close();
    return { status: idx.stat.isDirectory() ? 404 : 403 };
  }

  /** Whether `real` is the root or below it — by the root fd's current path (the root may have been renamed). */
  private contains(real: string): boolean {
    if (isInside(this.real, real)) return true;
    const now = fdPath(this.fd);
    if (now === this.real) return false;
    this.real = now;
    return isInside(now, real);
  }

  /**
   * What `rel` names beneath the root, looked at before anything is opened for reading:
   * an O_PATH fd (which needs no read permission and has no side effect: a FIFO or a
   * device is never opened) and its statx.  A directory stops there — serving its
   * index.html needs only search permission on it, as with nginx.  A regular file is
   * then opened for reading through its O_PATH fd's link in /proc/<pid>/fd: that
   * reopens the very inode that was looked at, where a second walk of the name could
   * meet whatever a rename put there meanwhile (a FIFO, say).
   */
  private async openChecked(rel: string, dotfiles: DotfilesPolicy): Promise<OpenedFile | { status: 403 | 404 | 500 | 503 }> {
    const looked = await this.openAndCheck(rel, O_PATH, dotfiles);
    if ('status' in looked || !looked.stat.isFile()) return looked;
    try {
      const fd = await openat2(-100, `/proc/${process.pid}/fd/${looked.fh.fd}`, { flags: OPEN_FLAGS });
      return { ...looked, fh: new FileHandle(defaultRing(), fd) };
    } catch (e) {
      return { status: errorStatus(e) };
    } finally {
      await looked.fh.close();
    }
  }

  /**
   * Open beneath the root with `flags`, statx on the fd, dotfile check on its real path;
   * anything but a regular file or a directory is 403.
   */
  private async openAndCheck(rel: string, flags: number, dotfiles: DotfilesPolicy): Promise<OpenedFile | { status: 403 | 404 | 500 | 503 }> {
    const fd = await this.openBeneath(rel, flags);
    if (typeof fd !== 'number') return fd;
    const fh = new FileHandle(defaultRing(), fd);
    try {
      const real = fdPath(fd);
      // Cannot fail given RESOLVE_BENEATH; kept so that a future change cannot
      // quietly turn into a traversal.
      if (!this.contains(real)) throw Object.assign(new Error('outside'), { code: 'EXDEV' });
      if (real !== this.real) {
        const dot = dotStatus(path.relative(this.real, real).split(path.sep), dotfiles);
        if (dot !== undefined) throw Object.assign(new Error('dotfile'), { code: dot === 404 ? 'ENOENT' : 'EACCES' });
      }
      const stat = await fh.stat({ bigint: true });
      if (!stat.isFile() && !stat.isDirectory()) throw Object.assign(new Error('not a file'), { code: 'EACCES' });
      return { fh, stat, real, rel };
    } catch (e) {
      await fh.close();
      return { status: errorStatus(e) };
    }
  }
}

/**
 * The real path of the file to serve for `target` under `root`, or the status to
 * answer with (301: a directory named without its trailing slash) — the file is
 * opened beneath the root and closed again.  For tests and tools; the server keeps
 * the handle (examples/lib/file-cache.ts).
 */
export async function resolveUnderRoot(root: string | ServedRoot, target: string, dotfiles: DotfilesPolicy = 'ignore',
                                       options: RootOptions = {}): Promise<{ path: string } | { status: RefusedStatus }> {
  const t = parseTarget(target, dotfiles);
  if ('status' in t) return t;
  const r = typeof root === 'string' ? await ServedRoot.open(root, options) : root;
  try {
    const o = await r.openTarget(t, dotfiles);
    if ('status' in o) return o;
    await o.fh.close();
    return { path: o.real };
  } finally {
    if (typeof root === 'string') await r.close();
  }
}
