/**
 * Static-file path confinement for the file_server example: maps a request target to
 * a real file under a root directory, or to the status to answer instead.
 *
 * May touch: the filesystem read-only, and only through fs.promises.realpath and
 * fs.promises.stat of the root and of paths joined under it.  It opens, reads and
 * writes nothing.
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
 *  - The joined path is resolved with realpath and must be the root's real path or
 *    below it, else 403 (a symlink inside the root pointing outside it).  Missing
 *    files (ENOENT, ENOTDIR) are 404; EACCES / EPERM / ELOOP are 403.
 *  - A directory maps to its `index.html` (itself confined the same way, and required
 *    to be a regular file), else 404; there is no directory listing and no redirect
 *    from `/dir` to `/dir/`.  A trailing slash after a file is 404.  Anything that is
 *    not a regular file or a directory (FIFO, socket, device) is 403: reading a FIFO
 *    would hang the server.
 *  - Dotfiles (`.env`, `.git/config`, anything under a segment that starts with "."):
 *    by default ignored — 404, as if absent, which is serve-static's default — or 403
 *    with `dotfiles: 'deny'`, or served with `dotfiles: 'allow'`.  Checked on the
 *    request's segments and again on the resolved real path below the root, so a
 *    symlink `/public -> .git` does not open the way either.
 *  - An unusable root (missing, not a directory) throws: that is a configuration
 *    error of the server, not an answer for the client.
 *
 * Confinement holds at the moment of the check.  Someone who can rename or replace
 * files inside the root concurrently can still race a later open(); the examples do
 * not defend against writers inside the served tree.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';

export type Resolved = { path: string } | { status: 400 | 403 | 404 };

/** What to do with a path that has a segment starting with "." (see the policies). */
export type DotfilesPolicy = 'ignore' | 'deny' | 'allow';

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

function errorStatus(e: unknown): 403 | 404 {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENAMETOOLONG') return 404;
  if (code === 'EACCES' || code === 'EPERM' || code === 'ELOOP') return 403;
  throw e;
}

/** realpath + stat of `p`, confined to rootReal. */
async function confined(
  rootReal: string,
  p: string,
): Promise<{ real: string; dir: boolean } | { status: 403 | 404 }> {
  let real: string;
  try {
    real = await fsp.realpath(p);
  } catch (e) {
    return { status: errorStatus(e) };
  }
  if (!isInside(rootReal, real)) return { status: 403 };
  let st;
  try {
    st = await fsp.stat(real);
  } catch (e) {
    return { status: errorStatus(e) };
  }
  if (st.isDirectory()) return { real, dir: true };
  if (st.isFile()) return { real, dir: false };
  return { status: 403 };
}

/**
 * The real path of the file to serve for `target` under `root`, or the status to
 * answer with.  See the policies above.
 */
export async function resolveUnderRoot(root: string, target: string,
                                       dotfiles: DotfilesPolicy = 'ignore'): Promise<Resolved> {
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
  const trailingSlash = decoded.endsWith('/') && segments.length > 0;
  const dot = dotStatus(segments, dotfiles);
  if (dot !== undefined) return { status: dot };

  const rootReal = await fsp.realpath(root);
  if (!(await fsp.stat(rootReal)).isDirectory()) throw new Error(`root is not a directory: ${root}`);
  const joined = path.join(rootReal, ...segments);
  // Cannot fail given the segment rules above; kept so that a future change to them
  // cannot quietly turn into a traversal.
  if (!isInside(rootReal, joined)) return { status: 403 };

  const r = await confined(rootReal, joined);
  if ('status' in r) return r;
  const realDot = dotStatus(path.relative(rootReal, r.real).split(path.sep), dotfiles);
  if (realDot !== undefined) return { status: realDot };
  if (!r.dir) return trailingSlash ? { status: 404 } : { path: r.real };
  const index = await confined(rootReal, path.join(r.real, 'index.html'));
  if ('status' in index) return index;
  if (index.dir) return { status: 404 };
  const indexDot = dotStatus(path.relative(rootReal, index.real).split(path.sep), dotfiles);
  if (indexDot !== undefined) return { status: indexDot };
  return { path: index.real };
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.svg': 'image/svg+xml',
  '.wasm': 'application/wasm',
  '.ico': 'image/x-icon',
  '.pdf': 'application/pdf',
};

/** The Content-Type for a file by its extension (case-insensitive); application/octet-stream if unknown. */
export function contentType(p: string): string {
  return TYPES[path.extname(p).toLowerCase()] ?? 'application/octet-stream';
}
