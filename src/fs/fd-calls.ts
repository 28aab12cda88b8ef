/**
 * fchmod, fchown and futimes on an fd RingCore opened (no IORING_OP for fchmod(2),
 * fchown(2) or futimens(2)): node:fs' own functions on Node and Bun.
 *
 * Under Deno they go through the fd's /proc/self/fd/N link instead (chmod, chown, utimes
 * on that path: the kernel follows the link to the open file's inode, the same file the
 * f* call would change).  Deno's node:fs keeps its own table of the fds it opened and
 * refuses any other fd with EBADF — `deno run -A` with a ringcore/fs FileHandle:
 * `fs.fstatSync(fh.fd)` throws EBADF — so its fchmod cannot be given ours.
 *
 * May touch: the file behind the fd (its mode, owner, times), through node:fs.
 */
import { chmod, chown, fchmod as nodeFchmod, fchown as nodeFchown, futimes as nodeFutimes, utimes, type TimeLike } from 'node:fs';

type Done = (err: NodeJS.ErrnoException | null) => void;

const viaProc = 'Deno' in globalThis;
const proc = (fd: number): string => `/proc/self/fd/${fd}`;

export const fchmod: (fd: number, mode: string | number, cb: Done) => void =
  viaProc ? (fd, mode, cb) => chmod(proc(fd), mode, cb) : nodeFchmod;

export const fchown: (fd: number, uid: number, gid: number, cb: Done) => void =
  viaProc ? (fd, uid, gid, cb) => chown(proc(fd), uid, gid, cb) : nodeFchown;

export const futimes: (fd: number, atime: TimeLike, mtime: TimeLike, cb: Done) => void =
  viaProc ? (fd, atime, mtime, cb) => utimes(proc(fd), atime, mtime, cb) : nodeFutimes;
