/**
 * `ringcore`: the runtime's public surface.  Free functions act on the thread's
 * default ring (created on first use, living in Node's event loop); `new Ring()` gives
 * an explicit one; `run()` hands the thread to a ring.
 *
 * May touch: nothing of its own; it re-exports and forwards.
 *
 * @module ringcore
 */
import { defaultRing } from './runtime/current.js';
import { Op as OpClass, type Op } from './op/op.js';
import { invalidArgType, outOfRange } from './op/errors.js';
import { Openat2Op } from './op/fsops.js';
import { AT_FDCWD } from './sys/constants.js';
import { toKernelPath } from './fs/args.js';
import type { OpOptions } from './op/io.js';
import { linkOps, linkOpTimeout } from './op/link.js';
import { allOps } from './op/batch.js';
import type { Ring, RingStats } from './runtime/ring.js';
import { checkFd, checkInteger, toPosition } from './op/validate.js';
import { MAX_RW } from './op/buffers.js';
import { SpliceOp } from './op/splice.js';
import { signalOf } from './op/validate.js';

export { Ring, type RingOptions, type RingStats, type Driver } from './runtime/ring.js';
export { run, spawn, type RunOptions } from './runtime/run.js';
export { defaultRing } from './runtime/current.js';
export { Op } from './op/op.js';
export type { OpOptions } from './op/io.js';
export { AbortError, errnoError, type RingError } from './op/errors.js';
export { explainSetupFailure, type UnavailableError } from './runtime/setup.js';
export * as constants from './sys/constants.js';
/**
 * The io_uring protocol with nothing in between: `raw.RawRing` (a ring you fill and
 * reap yourself), the SQE encoder and the SQE/CQE field guides — examples/raw_ring.ts.
 */
export * as raw from './runtime/raw.js';

/**
 * IORING_OP_NOP on the default ring: a request that does nothing, for measuring the
 * round trip and for ordering (as a member of a `link` chain).
 * @param opts  `{ signal }`: an AbortSignal that cancels it
 * @returns a lazy Op (nothing is submitted until it is awaited) resolving with 0
 * @throws ERR_INVALID_ARG_TYPE for an `opts.signal` that is not an AbortSignal
 * @example
 * ```ts
 * import { nop, stats } from 'ringcore';
 *
 * const res = await nop();                 // one SQE, one io_uring_enter, one CQE
 * console.log(res, stats().sqesSubmitted); // 0 1
 * ```
 */
export function nop(opts?: OpOptions): Op<number> {
  return defaultRing().nop(opts);
}
/**
 * read(2) through the default ring (IORING_OP_READ): up to `buffer.byteLength` bytes
 * from `fd` into `buffer`.
 * @param fd        an open file descriptor
 * @param buffer    where the bytes go (a Buffer, TypedArray or DataView; kept alive
 *                  until the kernel is done with it, even after an abort)
 * @param position  the file offset (number or bigint); -1, null or omitted: the file's
 *                  current position, which advances
 * @param opts      `{ signal }` to cancel it
 * @returns a lazy Op resolving with the byte count (0 at end of file)
 * @throws synchronously ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for a bad fd, buffer
 *         or position (nothing reaches the kernel); the Op rejects with a system
 *         error shaped like Node's (code 'EBADF', errno, syscall 'read') or an
 *         AbortError
 * @example
 * ```ts
 * import { openSync } from 'node:fs';
 * import { read } from 'ringcore';
 *
 * const fd = openSync('/etc/hostname', 'r');
 * const buf = Buffer.alloc(64);
 * const n = await read(fd, buf, 0);
 * console.log(buf.toString('utf8', 0, n));
 * ```
 */
export function read(fd: number, buffer: ArrayBufferView, position?: number | bigint | null, opts?: OpOptions): Op<number> {
  return defaultRing().read(fd, buffer, position, opts);
}
/**
 * write(2) through the default ring (IORING_OP_WRITE): `buffer` to `fd`.
 * @param fd        an open file descriptor
 * @param buffer    the bytes (kept alive until the kernel is done with them)
 * @param position  the file offset; -1, null or omitted: the current position
 * @param opts      `{ signal }` to cancel it
 * @returns a lazy Op resolving with the byte count written (may be short: a socket or
 *          pipe takes what fits)
 * @throws synchronously ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for bad arguments; the
 *         Op rejects with a Node-shaped system error (syscall 'write') or an AbortError
 * @example
 * ```ts
 * import { write } from 'ringcore';
 *
 * const n = await write(1, Buffer.from('hello from the ring\n')); // fd 1: stdout
 * console.log(n); // 20
 * ```
 */
export function write(fd: number, buffer: ArrayBufferView, position?: number | bigint | null, opts?: OpOptions): Op<number> {
  return defaultRing().write(fd, buffer, position, opts);
}
/**
 * readv(2) through the default ring (IORING_OP_READV): fill `buffers` in order.
 * @param fd        an open file descriptor
 * @param buffers   the buffers to fill, in order (at most IOV_MAX = 1024)
 * @param position  the file offset; -1, null or omitted: the current position
 * @param opts      `{ signal }` to cancel it
 * @returns a lazy Op resolving with the total byte count (0 at end of file)
 * @throws synchronously ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for bad arguments; the
 *         Op rejects with a Node-shaped system error (syscall 'read') or an AbortError
 * @example
 * ```ts
 * import { openSync } from 'node:fs';
 * import { readv } from 'ringcore';
 *
 * const fd = openSync('/etc/os-release', 'r');
 * const head = Buffer.alloc(4), rest = Buffer.alloc(60);
 * const n = await readv(fd, [head, rest], 0);
 * console.log(n, head.toString());
 * ```
 */
export function readv(fd: number, buffers: ArrayBufferView[], position?: number | bigint | null, opts?: OpOptions): Op<number> {
  return defaultRing().readv(fd, buffers, position, opts);
}
/**
 * writev(2) through the default ring (IORING_OP_WRITEV): `buffers` in order, as one
 * request.
 * @param fd        an open file descriptor
 * @param buffers   the buffers to write, in order (at most IOV_MAX = 1024)
 * @param position  the file offset; -1, null or omitted: the current position
 * @param opts      `{ signal }` to cancel it
 * @returns a lazy Op resolving with the total byte count written (may be short)
 * @throws synchronously ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for bad arguments; the
 *         Op rejects with a Node-shaped system error (syscall 'write') or an AbortError
 * @example
 * ```ts
 * import { writev } from 'ringcore';
 *
 * await writev(1, [Buffer.from('one '), Buffer.from('request\n')]);
 * ```
 */
export function writev(fd: number, buffers: ArrayBufferView[], position?: number | bigint | null, opts?: OpOptions): Op<number> {
  return defaultRing().writev(fd, buffers, position, opts);
}
/**
 * close(2) through the default ring (IORING_OP_CLOSE).
 * @param fd    the file descriptor to close (nothing else may use it afterwards)
 * @param opts  `{ signal }`
 * @returns a lazy Op resolving when the kernel has closed it
 * @throws synchronously ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for a bad fd; the Op
 *         rejects with EBADF (syscall 'close') for an fd that is not open
 * @example
 * ```ts
 * import { openSync } from 'node:fs';
 * import { close } from 'ringcore';
 *
 * await close(openSync('/etc/hostname', 'r'));
 * ```
 */
export function close(fd: number, opts?: OpOptions): Op<void> {
  return defaultRing().closeFd(fd, opts);
}
/**
 * posix_fadvise(2) through the default ring (IORING_OP_FADVISE).
 * @param fd      an open file descriptor
 * @param offset  start of the range, in bytes
 * @param length  length of the range (0: to the end of the file)
 * @param advice  one of `FADV.*` (NORMAL, SEQUENTIAL, RANDOM, NOREUSE, WILLNEED, DONTNEED)
 * @param opts    `{ signal }`
 * @returns a lazy Op resolving when the kernel has taken the advice
 * @throws synchronously ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for bad arguments
 * @example
 * ```ts
 * import { openSync } from 'node:fs';
 * import { fadvise, FADV } from 'ringcore';
 *
 * const fd = openSync('/etc/os-release', 'r');
 * await fadvise(fd, 0, 0, FADV.DONTNEED); // drop its pages from the page cache
 * ```
 */
export function fadvise(fd: number, offset: number, length: number, advice: number, opts?: OpOptions): Op<void> {
  return defaultRing().fadvise(fd, offset, length, advice, opts);
}
export { FADV } from './sys/file.js';

/**
 * splice(2) through the default ring (IORING_OP_SPLICE): move up to `length` bytes from
 * `fdIn` to `fdOut` without copying them through user memory; one of the two must be a
 * pipe.  An offset (number or bigint) reads or writes a file at that position; null, -1
 * or undefined means none (required for a pipe or socket).  `flags`: `constants.SpliceFlag`.
 * Resolves with the bytes moved (0: end of input).  Lazy, like every core op.  Runs in
 * an io-wq worker (it may block there: a full pipe, an empty one with writers, a full
 * socket).  TcpStream.sendFile is built on it (net/sendfile.ts).
 * @param fdIn    the fd read from
 * @param offIn   where to read `fdIn` (a file), or null / -1 / undefined for none (a pipe, a socket)
 * @param fdOut   the fd written to
 * @param offOut  where to write `fdOut` (a file), or null / -1 / undefined for none
 * @param length  at most this many bytes (0 .. 0x7ffff000)
 * @param flags   `constants.SpliceFlag` bits (default 0)
 * @param opts    `signal`: aborting cancels the request (a running splice is interrupted)
 * @returns a lazy op resolving with the bytes moved (0 at end of input); rejects with the kernel's errno (syscall 'splice')
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for a bad argument, before any request
 * @example
 * ```ts
 * import { splice } from 'ringcore';
 * import { open } from 'ringcore/fs';
 *
 * // `node app.js | wc -c`: stdout is a pipe, so the file's bytes can be spliced into it.
 * await using file = await open('/etc/os-release');
 * let off = 0;
 * for (let n; (n = await splice(file.fd, off, 1, null, 65536)) > 0;) off += n;
 * ```
 */
export function splice(fdIn: number, offIn: number | bigint | null | undefined, fdOut: number,
                       offOut: number | bigint | null | undefined, length: number, flags = 0, opts?: OpOptions): Op<number> {
  checkFd(fdIn, 'fdIn');
  checkFd(fdOut, 'fdOut');
  const inPos = toPosition('offIn', offIn);
  const outPos = toPosition('offOut', offOut);
  checkInteger(length, 'length', 0, MAX_RW);
  checkInteger(flags, 'flags', 0, 0xffffffff);
  return new SpliceOp(defaultRing(), fdIn, inPos, fdOut, outPos, length, flags, signalOf(opts));
}

/** openat2(2)'s options: O_* `flags`, `mode` (only with O_CREAT/O_TMPFILE), `resolve` (RESOLVE.* bits). */
export interface Openat2Options extends OpOptions {
  flags?: number;
  mode?: number;
  resolve?: number;
}
/**
 * IORING_OP_OPENAT2 (kernel 5.6) on the default ring: open `path` relative to the
 * directory fd `dirfd` (AT_FDCWD = -100 for the working directory), with the path
 * walk constrained by `resolve` — e.g. `RESOLVE.BENEATH | RESOLVE.NO_MAGICLINKS` makes
 * the kernel refuse (EXDEV) any path, `..` or symlink leading out of `dirfd`.
 * Resolves with the new fd (O_CLOEXEC added); wrap it with `new FileHandle(defaultRing(), fd)`
 * from 'ringcore/fs' for the Node-shaped methods.
 * @param dirfd    the directory the path is resolved from (an O_PATH fd will do), or -100 (AT_FDCWD)
 * @param path     the path, relative to `dirfd` (absolute paths ignore it, and RESOLVE.BENEATH refuses them)
 * @param options  `flags` (O_*), `mode` (with O_CREAT only: openat2 refuses a stray mode), `resolve` (RESOLVE.*), `signal`
 * @returns a lazy op resolving with the new fd; rejects with the kernel's errno (syscall 'openat2', path)
 * @throws ERR_OUT_OF_RANGE / ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE for a bad argument, before any request
 * @example
 * ```ts
 * import { openat2, RESOLVE, defaultRing } from 'ringcore';
 * import { FileHandle, constants } from 'ringcore/fs';
 *
 * const O_PATH = 0o10000000; // an fd that only names the directory
 * const root = await openat2(-100, '/srv/www', { flags: constants.O_DIRECTORY | O_PATH });
 * const fd = await openat2(root, 'css/site.css', { resolve: RESOLVE.BENEATH | RESOLVE.NO_MAGICLINKS })
 *   .then((n) => n, (e: NodeJS.ErrnoException) => (e.code === 'EXDEV' ? -1 : Promise.reject(e))); // EXDEV: it led out
 * if (fd >= 0) console.log(await new FileHandle(defaultRing(), fd).readFile('utf8'));
 * ```
 */
export function openat2(dirfd: number, path: string | Buffer | URL, options: Openat2Options = {}): Op<number> {
  checkInteger(dirfd, 'dirfd', AT_FDCWD, 0x7fffffff);
  if (dirfd < 0 && dirfd !== AT_FDCWD) throw outOfRange('dirfd', `>= 0 or ${AT_FDCWD} (AT_FDCWD)`, dirfd);
  const kp = toKernelPath(path);
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
  const flags = checkInteger(options.flags ?? 0, 'options.flags', 0, 0x7fffffff);
  const mode = checkInteger(options.mode ?? 0, 'options.mode', 0, 0o7777);
  const resolve = checkInteger(options.resolve ?? 0, 'options.resolve', 0, 0x3f);
  return new Openat2Op(defaultRing(), kp, flags, mode, resolve, options, dirfd);
}
export { RESOLVE } from './sys/constants.js';
/**
 * IORING_OP_TIMEOUT on the default ring: the kernel holds the timer (`sleep` is the
 * same request under the name people look for).
 * @param ms    milliseconds, a finite number >= 0 (fractions are kept to the nanosecond)
 * @param opts  `{ signal }`: aborting rejects it with an AbortError and cancels it
 * @returns a lazy Op resolving (with undefined) when the time has passed
 * @throws synchronously ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for a bad `ms`
 * @example
 * ```ts
 * import { timeout } from 'ringcore';
 *
 * await timeout(10);
 * ```
 */
export function timeout(ms: number, opts?: OpOptions): Op<void> {
  return defaultRing().timeout(ms, opts);
}
/**
 * `await sleep(ms, { signal })`: IORING_OP_TIMEOUT, the same request as `timeout`.
 * @param ms    milliseconds, a finite number >= 0
 * @param opts  `{ signal }`: aborting rejects it at once with an AbortError and sends
 *              an ASYNC_CANCEL for it
 * @returns a lazy Op resolving (with undefined) when the time has passed
 * @throws synchronously ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for a bad `ms`
 * @example
 * ```ts
 * import { sleep } from 'ringcore';
 *
 * await sleep(5);
 * const outcome = await sleep(60_000, { signal: AbortSignal.timeout(10) }).then(
 *   () => 'slept', (e: Error) => e.name); // 'AbortError'
 * console.log(outcome);
 * ```
 */
export function sleep(ms: number, opts?: OpOptions): Op<void> {
  return defaultRing().timeout(ms, opts);
}
/**
 * IORING_OP_ASYNC_CANCEL of an op already submitted: the kernel stops it if it can,
 * and the target settles with ECANCELED (or its own result, if it finished first).
 * @param target  the op to cancel (started: awaited, `.promise()`d or linked)
 * @param opts    `{ signal }`
 * @returns a lazy Op resolving with 0 (found and cancelled), -2 (ENOENT: not in flight
 *          any more) or -114 (EALREADY: already running, may or may not stop)
 * @throws ERR_INVALID_ARG_TYPE synchronously when `target` is not an Op
 * @example
 * ```ts
 * import { cancel, nop, sleep } from 'ringcore';
 *
 * const s = sleep(60_000);
 * const p = s.promise();     // submitted with the next enter
 * await nop();               // ... which has happened now
 * console.log(await cancel(s), await p.catch((e) => e.code)); // 0 'ECANCELED'
 * ```
 */
export function cancel(target: Op<unknown>, opts?: OpOptions): Op<number> {
  if (!(target instanceof OpClass)) throw invalidArgType('target', 'an instance of Op', target);
  return (target.ring as Ring).cancel(target, opts);
}
/**
 * Start every op now and wait for all of them with one promise (cheaper than
 * `Promise.all` over lazy ops: one waiter for the batch, not one promise each).
 * @param ops  ops, none started yet
 * @returns a Promise of their values in order; it rejects with the first failure
 * @throws ERR_INVALID_ARG_TYPE synchronously for something that is not an array of Ops
 * @example
 * ```ts
 * import { all, nop, stats } from 'ringcore';
 *
 * const before = stats().enters;
 * console.log(await all([nop(), nop(), nop()]), stats().enters - before); // [0, 0, 0] 1
 * ```
 */
export function all<T>(ops: Op<T>[]): Promise<T[]> {
  return allOps(ops);
}
/**
 * Submit ops as one IOSQE_IO_LINK chain: each starts only when the one before it
 * succeeded completely; a failure (or a short read/write) cancels the rest.
 * @param ops  ops of one ring, none started yet, in chain order
 * @returns a Promise of their values in order; it rejects with the first failure (the
 *          members after it are ECANCELED)
 * @throws ERR_INVALID_ARG_TYPE synchronously for no ops, something that is not an Op,
 *         an op already started, of another ring or given twice; ERR_OUT_OF_RANGE for a
 *         chain longer than the ring's SQ
 * @example
 * ```ts
 * import { openSync } from 'node:fs';
 * import { link, read, write } from 'ringcore';
 *
 * const fd = openSync('/etc/os-release', 'r');
 * const buf = Buffer.alloc(16);
 * // One submission; the write starts only once the read has filled all 16 bytes
 * // (a short read would cancel it: the promise would reject with ECANCELED).
 * const [n, written] = await link(read(fd, buf, 0), write(1, buf));
 * console.log(n, written); // 16 16
 * ```
 */
export function link(...ops: Op<unknown>[]): Promise<unknown[]> {
  return linkOps((ops[0]?.ring ?? defaultRing()) as Ring, ops);
}
/**
 * Run `op` with a linked IORING_OP_LINK_TIMEOUT: the kernel cancels it if `ms` passes
 * first.
 * @param op  an op not yet started
 * @param ms  milliseconds, a finite number >= 0
 * @returns a Promise of the op's value; it rejects with ETIMEDOUT when the time ran out
 * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE synchronously for a bad `op` (not an
 *         Op, already started) or `ms`
 * @example
 * ```ts
 * import { linkTimeout, sleep } from 'ringcore';
 *
 * // The kernel cancels the 1 s sleep after 50 ms.
 * console.log(await linkTimeout(sleep(1000), 50).catch((e) => e.code)); // 'ETIMEDOUT'
 * ```
 */
export function linkTimeout<T>(op: Op<T>, ms: number): Promise<T> {
  if (!(op instanceof OpClass)) throw invalidArgType('op', 'an instance of Op', op);
  return linkOpTimeout(op.ring as Ring, op, ms);
}
/**
 * Counters of the thread's default ring since it was created.
 * @returns `{ enters, sqesSubmitted, cqesReaped, overflowFlushes, turns, wakeups,
 *          waits, staleCqes, inFlight, backlog }` (a snapshot)
 * @example
 * ```ts
 * import { nop, stats } from 'ringcore';
 *
 * await nop();
 * const { enters, sqesSubmitted, cqesReaped, inFlight } = stats();
 * console.log(enters, sqesSubmitted, cqesReaped, inFlight); // 1 1 1 0
 * ```
 */
export function stats(): RingStats {
  return defaultRing().stats();
}
