/**
 * The pipes TcpStream.sendFile splices through (file -> pipe -> socket), kept per ring
 * for reuse: a sendFile takes one for its duration and gives it back clean (empty),
 * so an idle connection holds no pipe and a busy server holds about as many pipes as
 * it has files in flight.  A pipe that may still hold bytes (a sendFile aborted, or
 * failed, with data in it) is closed instead: a later file must never start with
 * another file's leftovers.
 *
 * A pipe is made by the native gate (pipe2(O_CLOEXEC) + F_SETPIPE_SZ: no io_uring
 * request sets a pipe's size) and entered in the thread's fd ledger, so a thread that
 * ends closes it (sys/fds.ts).  Its capacity is what the kernel granted: past the
 * user's /proc/sys/fs/pipe-user-pages-soft, new pipes get the default (or less), and
 * the window of a sendFile follows the capacity it got.
 *
 * May touch: the native pipe call, the fd ledger, CLOSE requests on its own fds.
 */
import { native } from '../sys/native.js';
import { adoptFd, releaseFd } from '../sys/fds.js';
import { errnoError } from '../op/errors.js';
import { CloseOp } from '../op/io.js';
import type { Ring } from '../runtime/ring.js';

/** A pipe's two ends and its capacity in bytes. */
export interface Pipe {
  readonly r: number;
  readonly w: number;
  readonly size: number;
}

/**
 * The capacity asked for each new pipe (F_SETPIPE_SZ).  Measured (bench/sendfile.ts, a
 * 1 MiB file over loopback, loaded 2-core VM): 64 KiB pipes 1.2-1.7x the copy path's
 * bytes/s, 256 KiB 1.8-2.2x, 1 MiB 1.4-2.1x, with 256 KiB and 1 MiB using the least CPU
 * (~180-190 µs per MiB against the copy's ~380).  256 KiB takes a quarter of what 1 MiB
 * takes of the user's pipe-user-pages-soft budget (64 MiB by default).
 */
let wantedSize = 256 * 1024;
/** Idle pipes kept per ring; more are closed when given back. */
const MAX_IDLE = 8;

const pools = new WeakMap<Ring, Pipe[]>();

/** @internal For measurements and tests: the capacity new pipes ask for (0: the kernel's default). */
export function setPipeSize(bytes: number): void {
  wantedSize = bytes;
}

/** @internal How many idle pipes `ring` keeps (tests count fds with it). */
export function idlePipes(ring: Ring): number {
  return pools.get(ring)?.length ?? 0;
}

/** A clean pipe for `ring`: an idle one, or a new one.  Throws (EMFILE...) like Node's pipe errors. */
export function takePipe(ring: Ring): Pipe {
  const pool = pools.get(ring);
  const p = pool?.pop();
  if (p !== undefined) return p;
  const r = native.pipe(wantedSize);
  if (typeof r === 'number') throw errnoError(r, 'pipe');
  adoptFd(r[0]);
  adoptFd(r[1]);
  return { r: r[0], w: r[1], size: r[2] };
}

/**
 * Give `p` back: kept for the next sendFile if `clean` (nothing left in it) and the
 * ring has room, closed otherwise (resolves once both CLOSEs completed: a sendFile
 * settles with nothing of its own in flight).  Call only once no request names its fds.
 */
export function givePipe(ring: Ring, p: Pipe, clean: boolean): Promise<void> | undefined {
  if (clean && !ring.closed && p.size >= wantedSize) {
    let pool = pools.get(ring);
    if (pool === undefined) pools.set(ring, (pool = []));
    if (pool.length < MAX_IDLE) {
      pool.push(p);
      return undefined;
    }
  }
  return closePipe(ring, p);
}

/** Close every idle pipe of `ring` (tests; a ring about to close). */
export function drainPipes(ring: Ring): void {
  const pool = pools.get(ring);
  if (pool === undefined) return;
  pools.delete(ring);
  for (const p of pool) closePipe(ring, p);
}

function closePipe(ring: Ring, p: Pipe): Promise<void> | undefined {
  if (ring.closed) {
    for (const fd of [p.r, p.w]) {
      releaseFd(fd);
      native.closeFd(fd);
    }
    return undefined;
  }
  const quiet = (): void => {};
  return Promise.all([new CloseOp(ring, p.r).promise(), new CloseOp(ring, p.w).promise()]).then(quiet, quiet);
}
