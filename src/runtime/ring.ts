/**
 * `Ring`: the io_uring instance as users hold it — `new Ring(options)`, the thread's
 * default ring, or run()'s — with the shortcuts that make its operations
 * (`ring.read(fd, buf)`, `ring.nop()`, `ring.link(a, b)` ...) and its provided-buffer
 * groups.  Each shortcut checks its arguments and returns a lazy op (op/); nothing
 * reaches the kernel until it is awaited.  The machinery (submission, turns, the
 * reaper, close) is `RingEngine`, in engine.ts.
 *
 * May touch: nothing of its own beyond the engine's: it makes ops and buffer groups.
 */
import { Opcode } from '../sys/constants.js';
import { CancelOp } from '../op/cancel.js';
import { CloseOp, NopOp, ReadvOp, RwOp, WritevOp, rwWhole, type OpOptions } from '../op/io.js';
import { TimeoutOp } from '../op/time.js';
import { linkOps, linkOpTimeout } from '../op/link.js';
import { allOps } from '../op/batch.js';
import { FadviseOp } from '../op/fsops.js';
import type { Op } from '../op/op.js';
import { ringClosedError } from '../op/errors.js';
import { checkFd, checkInteger, signalOf } from '../op/validate.js';
import { RingEngine, type RingStats } from './engine.js';
import { BufferRing } from './bufring.js';

export { RingEngine, type RingOptions, type RingStats } from './engine.js';
export type { Driver, DriveOptions, DrivenRing } from './driver.js';

export class Ring extends RingEngine {
  private recvGroup: BufferRing | undefined = undefined;

  /**
   * IORING_OP_NOP on this ring: a request that does nothing — for measuring the round
   * trip, and for ordering (as a member of a `link` chain).
   * @param opts  `{ signal }`: an AbortSignal that cancels it
   * @returns a lazy Op (nothing is submitted until it is awaited) resolving with 0
   * @throws ERR_INVALID_ARG_TYPE synchronously for an `opts` that is not an object or
   *         an `opts.signal` that is not an AbortSignal; the Op rejects with EBADF once
   *         the ring is closed, or with an AbortError
   * @example
   * ```ts
   * import { Ring } from 'ringcore';
   *
   * const ring = new Ring({ entries: 64 });
   * console.log(await ring.nop(), ring.stats().sqesSubmitted); // 0 1
   * await ring.close();
   * ```
   */
  nop(opts?: OpOptions): NopOp {
    return new NopOp(this, signalOf(opts));
  }
  /**
   * read(2) through this ring (IORING_OP_READ): up to `buffer.byteLength` bytes from
   * `fd` into `buffer`, at `position`.
   * @param fd        an open file descriptor
   * @param buffer    where the bytes go (a Buffer, TypedArray or DataView; kept alive
   *                  until the kernel is done with it, even after an abort)
   * @param position  the file offset (number or bigint); -1, null or omitted: the file's
   *                  current position, which advances
   * @param opts      `{ signal }` to cancel it
   * @returns a lazy Op resolving with the byte count (0 at end of file)
   * @throws synchronously ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for a bad fd, buffer,
   *         position or signal (nothing reaches the kernel); the Op rejects with a
   *         Node-shaped system error (code 'EBADF', errno, syscall 'read') or an AbortError
   * @example
   * ```ts
   * import { openSync } from 'node:fs';
   * import { Ring } from 'ringcore';
   *
   * const ring = new Ring();
   * const fd = openSync('/etc/os-release', 'r');
   * const buf = Buffer.alloc(64);
   * const n = await ring.read(fd, buf, 0);
   * console.log(buf.toString('utf8', 0, n));
   * await ring.close();
   * ```
   */
  read(fd: number, buffer: ArrayBufferView, position?: number | bigint | null, opts?: OpOptions): RwOp<number> {
    return rwWhole(this, Opcode.READ, fd, buffer, position, opts);
  }
  /**
   * write(2) through this ring (IORING_OP_WRITE): `buffer` to `fd`, at `position`.
   * @param fd        an open file descriptor
   * @param buffer    the bytes (kept alive until the kernel is done with them)
   * @param position  the file offset (number or bigint); -1, null or omitted: the
   *                  current position, which advances
   * @param opts      `{ signal }` to cancel it
   * @returns a lazy Op resolving with the byte count written (may be short: a socket
   *          or a pipe takes what fits)
   * @throws synchronously ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for bad arguments; the
   *         Op rejects with a Node-shaped system error (syscall 'write') or an AbortError
   * @example
   * ```ts
   * import { Ring } from 'ringcore';
   *
   * const ring = new Ring();
   * console.log(await ring.write(1, Buffer.from('hello from my ring\n'))); // 19 (fd 1: stdout)
   * await ring.close();
   * ```
   */
  write(fd: number, buffer: ArrayBufferView, position?: number | bigint | null, opts?: OpOptions): RwOp<number> {
    return rwWhole(this, Opcode.WRITE, fd, buffer, position, opts);
  }
  /**
   * readv(2) through this ring (IORING_OP_READV): fill `buffers` in order, as one
   * request.
   * @param fd        an open file descriptor
   * @param buffers   the buffers to fill, in order (at most IOV_MAX = 1024)
   * @param position  the file offset; -1, null or omitted: the current position
   * @param opts      `{ signal }` to cancel it
   * @returns a lazy Op resolving with the total byte count (0 at end of file)
   * @throws synchronously ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for bad arguments
   *         (more than 1024 buffers included); the Op rejects with a Node-shaped system
   *         error (syscall 'read') or an AbortError
   * @example
   * ```ts
   * import { openSync } from 'node:fs';
   * import { Ring } from 'ringcore';
   *
   * const ring = new Ring();
   * const fd = openSync('/etc/os-release', 'r');
   * const head = Buffer.alloc(4), rest = Buffer.alloc(60);
   * const n = await ring.readv(fd, [head, rest], 0);
   * console.log(n, head.toString()); // 64, and the file's first 4 bytes
   * await ring.close();
   * ```
   */
  readv(fd: number, buffers: ArrayBufferView[], position?: number | bigint | null, opts?: OpOptions): ReadvOp {
    return new ReadvOp(this, fd, buffers, position, opts);
  }
  /**
   * writev(2) through this ring (IORING_OP_WRITEV): `buffers` in order, as one request.
   * @param fd        an open file descriptor
   * @param buffers   the buffers to write, in order (at most IOV_MAX = 1024)
   * @param position  the file offset; -1, null or omitted: the current position
   * @param opts      `{ signal }` to cancel it
   * @returns a lazy Op resolving with the total byte count written (may be short)
   * @throws synchronously ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for bad arguments; the
   *         Op rejects with a Node-shaped system error (syscall 'write') or an AbortError
   * @example
   * ```ts
   * import { Ring } from 'ringcore';
   *
   * const ring = new Ring();
   * await ring.writev(1, [Buffer.from('one '), Buffer.from('request\n')]);
   * await ring.close();
   * ```
   */
  writev(fd: number, buffers: ArrayBufferView[], position?: number | bigint | null, opts?: OpOptions): WritevOp {
    return new WritevOp(this, fd, buffers, position, opts);
  }
  /**
   * close(2) through this ring (IORING_OP_CLOSE).  It does not cancel requests still
   * pending on `fd` (the kernel does not either).  If the ring closes before this
   * request could be submitted, the fd is closed with close(2) directly.
   * @param fd    the file descriptor to close (nothing else may use it afterwards)
   * @param opts  `{ signal }`
   * @returns a lazy Op resolving when the kernel has closed it
   * @throws synchronously ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for a bad fd or signal;
   *         the Op rejects with EBADF (syscall 'close') for an fd that is not open
   * @example
   * ```ts
   * import { openSync } from 'node:fs';
   * import { Ring } from 'ringcore';
   *
   * const ring = new Ring();
   * await ring.closeFd(openSync('/etc/hostname', 'r'));
   * await ring.close();
   * ```
   */
  closeFd(fd: number, opts?: OpOptions): CloseOp {
    return new CloseOp(this, fd, opts);
  }
  /**
   * posix_fadvise(2) through the ring (IORING_OP_FADVISE): `advice` is one of
   * FADV.* (e.g. DONTNEED drops the range's clean pages); length 0 means to the end.
   * @param fd      an open file descriptor
   * @param offset  start of the range, in bytes (an integer >= 0)
   * @param length  length of the range (0: to the end of the file; at most 2^32 - 1)
   * @param advice  one of `FADV.*` (NORMAL, RANDOM, SEQUENTIAL, WILLNEED, DONTNEED, NOREUSE: 0..5)
   * @param opts    `{ signal }`
   * @returns a lazy Op resolving when the kernel has taken the advice
   * @throws synchronously ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for bad arguments; the
   *         Op rejects with a Node-shaped system error (syscall 'fadvise'; EBADF for an
   *         fd that is not open)
   * @example
   * ```ts
   * import { openSync } from 'node:fs';
   * import { Ring, FADV } from 'ringcore';
   *
   * const ring = new Ring();
   * const fd = openSync('/etc/os-release', 'r');
   * await ring.fadvise(fd, 0, 0, FADV.SEQUENTIAL); // the whole file will be read in order
   * await ring.close();
   * ```
   */
  fadvise(fd: number, offset: number, length: number, advice: number, opts?: OpOptions): FadviseOp {
    checkFd(fd);
    checkInteger(offset, 'offset', 0);
    checkInteger(length, 'length', 0, 0xffffffff);
    checkInteger(advice, 'advice', 0, 5);
    return new FadviseOp(this, fd, offset, length, advice, { signal: signalOf(opts) });
  }
  /**
   * IORING_OP_TIMEOUT on this ring: the kernel holds the timer.
   * @param ms    milliseconds, a finite number >= 0 (fractions are kept to the nanosecond)
   * @param opts  `{ signal }`: aborting rejects it with an AbortError and cancels it
   * @returns a lazy Op resolving (with undefined) when the time has passed
   * @throws synchronously ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for a bad `ms` or signal
   * @example
   * ```ts
   * import { Ring } from 'ringcore';
   *
   * const ring = new Ring();
   * await ring.timeout(10);
   * const outcome = await ring.timeout(60_000, { signal: AbortSignal.timeout(10) })
   *   .then(() => 'slept', (e: Error) => e.name);
   * console.log(outcome); // 'AbortError'
   * await ring.close();
   * ```
   */
  timeout(ms: number, opts?: OpOptions): TimeoutOp {
    return new TimeoutOp(this, ms, opts);
  }
  /**
   * IORING_OP_ASYNC_CANCEL on this ring: the kernel stops `target` if it can, and the
   * target settles with ECANCELED (or its own result, if it finished first).  `target`
   * must be an op of this ring: the request names it by its user_data, which means
   * nothing to another ring.
   * @param target  the op to cancel (started: awaited, `.promise()`d or linked)
   * @param opts    `{ signal }`
   * @returns a lazy Op resolving with 0 (found and cancelled), -2 (ENOENT: not in flight,
   *          or never submitted) or -114 (EALREADY: already running, may or may not stop)
   * @throws ERR_INVALID_ARG_TYPE synchronously when `target` is not an Op;
   *         ERR_INVALID_ARG_VALUE when it is an op of another ring
   * @example
   * ```ts
   * import { Ring } from 'ringcore';
   *
   * const ring = new Ring();
   * const s = ring.timeout(60_000);
   * const p = s.promise();  // submitted with the next enter
   * await ring.nop();       // ... which has happened now
   * console.log(await ring.cancel(s), await p.catch((e) => e.code)); // 0 'ECANCELED'
   * await ring.close();
   * ```
   */
  cancel(target: Op<unknown>, opts?: OpOptions): CancelOp {
    return new CancelOp(this, target, opts);
  }

  /**
   * Start every op now and wait for all of them with one promise (cheaper than
   * `Promise.all` over lazy ops: one waiter for the batch); see op/batch.ts.  The ops
   * may be of any ring: each is submitted by its own.
   * @param ops  ops, none started yet (an op already started is waited for as well)
   * @returns a Promise of their values in order; it rejects with the first failure (the
   *          others still run to completion)
   * @throws ERR_INVALID_ARG_TYPE synchronously for something that is not an array of Ops
   * @example
   * ```ts
   * import { Ring } from 'ringcore';
   *
   * const ring = new Ring();
   * const before = ring.stats().enters;
   * console.log(await ring.all([ring.nop(), ring.nop(), ring.nop()]), ring.stats().enters - before); // [0, 0, 0] 1
   * await ring.close();
   * ```
   */
  all<T>(ops: Op<T>[]): Promise<T[]> {
    return allOps(ops);
  }
  /**
   * Submit ops as one IOSQE_IO_LINK chain (see op/link.ts): each starts only when the
   * one before it succeeded completely; a failure (or a short read/write) cancels the
   * rest.  The chain reaches the kernel whole, in one submission, or not at all.
   * @param ops  ops of this ring, none started yet, in chain order (at most the SQ's
   *             entries)
   * @returns a Promise of their values in order; it rejects with the error that broke
   *          the chain (the members after it are ECANCELED)
   * @throws synchronously ERR_INVALID_ARG_TYPE for no ops, something that is not an Op,
   *         an op of another ring, one already started or the same op twice;
   *         ERR_OUT_OF_RANGE for a chain longer than the SQ
   * @example
   * ```ts
   * import { openSync } from 'node:fs';
   * import { Ring } from 'ringcore';
   *
   * const ring = new Ring();
   * const fd = openSync('/etc/os-release', 'r');
   * const buf = Buffer.alloc(16);
   * // One submission; the write starts only once the read has filled all 16 bytes.
   * const [n, written] = await ring.link(ring.read(fd, buf, 0), ring.write(1, buf));
   * console.log(n, written); // 16 16
   * await ring.close();
   * ```
   */
  link(...ops: Op<unknown>[]): Promise<unknown[]> {
    return linkOps(this, ops);
  }
  /**
   * Run `op` with a linked IORING_OP_LINK_TIMEOUT: the kernel cancels it if `ms` passes
   * first.
   * @param op  an op of this ring, not yet started
   * @param ms  milliseconds, a finite number >= 0
   * @returns a Promise of the op's value; it rejects with ETIMEDOUT (syscall: the op's)
   *          when the time ran out, else with the op's own error
   * @throws nothing synchronously: a bad `op` (not an Op, of another ring, already
   *         started) or `ms` rejects the promise with ERR_INVALID_ARG_TYPE /
   *         ERR_OUT_OF_RANGE, before anything is submitted
   * @example
   * ```ts
   * import { Ring } from 'ringcore';
   *
   * const ring = new Ring();
   * // The kernel cancels the 1 s timer after 50 ms.
   * console.log(await ring.linkTimeout(ring.timeout(1000), 50).catch((e) => e.code)); // 'ETIMEDOUT'
   * await ring.close();
   * ```
   */
  linkTimeout<T>(op: Op<T>, ms: number): Promise<T> {
    return linkOpTimeout(this, op, ms);
  }

  /**
   * Register a provided-buffer ring (IORING_REGISTER_PBUF_RING, Linux 5.19) of `count`
   * buffers of `size` bytes, with a new buffer group id each time; see
   * runtime/bufring.ts.  A listener's `recvBuffers` option makes one for its streams;
   * the ring frees them all when it closes.  The memory (count × size bytes) stays
   * allocated, and pinned by the kernel, as long as the ring.
   * @param count  buffers in the group: a power of two, 1 .. 32768
   * @param size   bytes per buffer, 1 .. 16 MiB
   * @returns the BufferRing (`bgid`, `count`, `size`, `memory`)
   * @throws synchronously ERR_OUT_OF_RANGE for a bad `count` or `size`; a Node-shaped
   *         system error (syscall 'io_uring_register'; EINVAL before Linux 5.19) when
   *         the kernel refuses the registration; EBADF (syscall 'io_uring_register')
   *         once the ring is closed — its old fd number may name another ring by then
   * @example
   * ```ts
   * import { Ring } from 'ringcore';
   *
   * const ring = new Ring();
   * const group = ring.provideBuffers(64, 4096);
   * console.log(group.bgid, group.memory.byteLength); // 0 262144
   * await ring.close();
   * ```
   */
  provideBuffers(count: number, size: number): BufferRing {
    if (this.closed) throw ringClosedError('io_uring_register');
    const b = new BufferRing(this.fd, this.bufferRings.length, count, size);
    this.bufferRings.push(b);
    return b;
  }

  /** The buffer group stream `chunks()` receive into: 256 × 16 KiB, made on first use. */
  get recvBuffers(): BufferRing {
    return (this.recvGroup ??= this.provideBuffers(256, 16384));
  }

  /**
   * This ring's counters since it was created.
   * @returns `{ enters, sqesSubmitted, cqesReaped, overflowFlushes, turns, wakeups,
   *          waits, staleCqes, inFlight, backlog }` (a snapshot: a new object each call)
   * @example
   * ```ts
   * import { Ring } from 'ringcore';
   *
   * const ring = new Ring();
   * await ring.all([ring.nop(), ring.nop()]);
   * const { enters, sqesSubmitted, cqesReaped, inFlight } = ring.stats();
   * console.log(enters, sqesSubmitted, cqesReaped, inFlight); // 1 2 2 0
   * await ring.close();
   * ```
   */
  stats(): RingStats {
    return this.snapshot();
  }

  /**
   * Cancel everything in flight (one IORING_OP_ASYNC_CANCEL with CANCEL_ANY|ALL),
   * wait for every terminal CQE — so no buffer is still in the kernel's hands — then
   * unmap the rings and close the fd.  Operations started afterwards reject with EBADF;
   * those still waiting for an SQE reject with the same ring-closed error now.
   *
   * Safe from anywhere, a completion callback included: the unmapping happens at the
   * end of a driver turn, never in the middle of a reap, so the CQEs of the batch
   * being delivered are all delivered.
   *
   * Idempotent: every call returns the same promise.
   * @returns a Promise that resolves once the ring's fd is closed (it never rejects)
   * @example
   * ```ts
   * import { Ring } from 'ringcore';
   *
   * const ring = new Ring();
   * const late = ring.timeout(60_000).promise();
   * await ring.nop();                                    // the timer is in the kernel now
   * await ring.close();                                  // cancels it, waits for its CQE
   * console.log(await late.catch((e) => e.code));        // 'ECANCELED'
   * console.log(await ring.nop().then(() => 'ran', (e) => e.code)); // 'EBADF'
   * ```
   */
  close(): Promise<void> {
    return this.shutdown();
  }
}
