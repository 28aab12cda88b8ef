/**
 * The pipes TcpStream.sendFile splices through (file -> pipe -> socket), kept per ring
 * for reuse: a sendFile takes one for its duration and gives it back clean (empty),
 * so an idle connection holds no pipe and a busy server holds about as many pipes as
 * it has files in flight.  A pipe that may still hold bytes (a sendFile aborted, or
 * failed, with data in it) is closed instead: a later file must never start with
 * another file's leftovers.
 *
 * How many idle pipes a ring keeps follows demand: up to the most pipes in use at once
 * lately (so a server with 256 files in flight does not make and close a pipe per
 * file), never more than MAX_IDLE_BYTES of pipe capacity.  A pipe's capacity is
 * charged to the user's pipe-user-pages-soft budget (64 MiB by default, shared by
 * every process of the user) whether or not it holds anything, so a burst's pipes are
 * given back: once a second, idle pipes beyond the peak in use during the last second
 * are closed (an unref'd timer, stopped while nothing is idle).  An idle pipe is empty:
 * it pins no page, only its slot array.  Closing the ring closes its idle pipes
 * (runtime/engine.ts whenClosing()).  Measured (loaded 2-core VM): with the former fixed
 * 8 idle pipes, file_server at wrk -c256 on a 1 MiB file made a pipe (pipe2 + 2 fcntl,
 * then 2 CLOSEs) for ~80% of its responses, now for ~5% (strace -c); 256 streams each
 * sending 1 MiB files from one process: 0.79x the CPU per file.
 *
 * A pipe is made by the native gate (pipe2(O_CLOEXEC) + F_SETPIPE_SZ: no io_uring
 * request sets a pipe's size) and entered in the thread's fd ledger, so a thread that
 * ends closes it (sys/fds.ts).  Its capacity is what the kernel granted: past the
 * user's /proc/sys/fs/pipe-user-pages-soft, new pipes get the default (or less), and
 * the window of a sendFile follows the capacity it got.
 *
 * May touch: the native pipe and close calls, the fd ledger, CLOSE requests on its own
 * fds, one timer per ring with idle pipes.
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
/**
 * Idle pipe capacity a ring may keep, in bytes: 32 MiB, 128 pipes of 256 KiB — half of
 * the default pipe-user-pages-soft, leaving the other half to pipes in use and to the
 * user's other processes.  @internal settable for measurements.
 */
let MAX_IDLE_BYTES = 32 * 1024 * 1024;
/** How often idle pipes beyond recent demand are closed. */
const TRIM_MS = 1000;

/** A ring's pipes: the idle ones, how many are in use, the most in use since the last trim. */
interface Pool {
  idle: Pipe[];
  inUse: number;
  peak: number;
  timer: ReturnType<typeof setInterval> | undefined;
}

const pools = new WeakMap<Ring, Pool>();

/** @internal For measurements and tests: the capacity new pipes ask for (0: the kernel's default). */
export function setPipeSize(bytes: number): void {
  wantedSize = bytes;
}

/** @internal For measurements: the idle pipe capacity a ring may keep (bytes; 0: none). */
export function setIdleBytes(bytes: number): void {
  MAX_IDLE_BYTES = bytes;
}

/** @internal How many idle pipes `ring` keeps (tests count fds with it). */
export function idlePipes(ring: Ring): number {
  return pools.get(ring)?.idle.length ?? 0;
}

function poolOf(ring: Ring): Pool {
  let pool = pools.get(ring);
  if (pool === undefined) {
    pools.set(ring, (pool = { idle: [], inUse: 0, peak: 0, timer: undefined }));
    ring.whenClosing(() => drainPipes(ring));
  }
  return pool;
}

/** A clean pipe for `ring`: an idle one, or a new one.  Throws (EMFILE...) like Node's pipe errors. */
export function takePipe(ring: Ring): Pipe {
  const pool = poolOf(ring);
  let p = pool.idle.pop();
  if (p === undefined) {
    const r = native.pipe(wantedSize);
    if (typeof r === 'number') throw errnoError(r, 'pipe');
    adoptFd(r[0]);
    adoptFd(r[1]);
    p = { r: r[0], w: r[1], size: r[2] };
  }
  if (++pool.inUse > pool.peak) pool.peak = pool.inUse;
  return p;
}

/**
 * Give `p` back: kept for the next sendFile if `clean` (nothing left in it), of the
 * size pipes are made at, and the ring keeps fewer idle pipes than its recent peak in
 * use and its byte bound allow; closed otherwise (resolves once both CLOSEs completed:
 * a sendFile settles with nothing of its own in flight).  Call only once no request
 * names its fds.
 */
export function givePipe(ring: Ring, p: Pipe, clean: boolean): Promise<void> | undefined {
  const pool = pools.get(ring);
  if (pool !== undefined) pool.inUse--;
  if (clean && pool !== undefined && !ring.closed && p.size >= wantedSize && p.size > 0 &&
      pool.idle.length + pool.inUse < pool.peak && (pool.idle.length + 1) * p.size <= MAX_IDLE_BYTES) {
    pool.idle.push(p);
    if (pool.timer === undefined) {
      pool.timer = setInterval(trim, TRIM_MS, ring, pool);
      pool.timer.unref();
    }
    return undefined;
  }
  return closePipe(ring, p);
}

/** The timer: close idle pipes beyond the most in use since the last trim; stop once none is idle. */
function trim(ring: Ring, pool: Pool): void {
  const keep = Math.max(0, pool.peak - pool.inUse);
  while (pool.idle.length > keep) closeNow(pool.idle.pop()!);
  pool.peak = pool.inUse;
  if (pool.idle.length === 0 || ring.closed) stopTimer(pool);
}

function stopTimer(pool: Pool): void {
  if (pool.timer !== undefined) clearInterval(pool.timer);
  pool.timer = undefined;
}

/** Close every idle pipe of `ring` (the ring is closing; tests; measurements). */
export function drainPipes(ring: Ring): void {
  const pool = pools.get(ring);
  if (pool === undefined) return;
  stopTimer(pool);
  for (const p of pool.idle.splice(0)) closeNow(p);
}

/**
 * Close an idle pipe at once, by close(2) from this thread: no request names its fds
 * (it is idle), and a ring that is closing, or driven by run() outside its loop,
 * takes no new CLOSE.
 */
function closeNow(p: Pipe): void {
  for (const fd of [p.r, p.w]) {
    releaseFd(fd);
    native.closeFd(fd);
  }
}

function closePipe(ring: Ring, p: Pipe): Promise<void> | undefined {
  if (ring.closed) {
    closeNow(p);
    return undefined;
  }
  const quiet = (): void => {};
  return Promise.all([new CloseOp(ring, p.r).promise(), new CloseOp(ring, p.w).promise()]).then(quiet, quiet);
}
