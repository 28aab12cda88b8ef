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
import { checkFd, checkInteger, signalOf } from '../op/validate.js';
import { RingEngine, type RingStats } from './engine.js';
import { BufferRing } from './bufring.js';

export { RingEngine, type RingOptions, type RingStats } from './engine.js';
export type { Driver, DriveOptions, DrivenRing } from './driver.js';

export class Ring extends RingEngine {
  private recvGroup: BufferRing | undefined = undefined;

  /** IORING_OP_NOP. */
  nop(opts?: OpOptions): NopOp {
    return new NopOp(this, signalOf(opts));
  }
  /** read(2) at `position` (-1/null: the current file position) into `buffer`. */
  read(fd: number, buffer: ArrayBufferView, position?: number | bigint | null, opts?: OpOptions): RwOp<number> {
    return rwWhole(this, Opcode.READ, fd, buffer, position, opts);
  }
  /** write(2) at `position` (-1/null: the current file position) from `buffer`. */
  write(fd: number, buffer: ArrayBufferView, position?: number | bigint | null, opts?: OpOptions): RwOp<number> {
    return rwWhole(this, Opcode.WRITE, fd, buffer, position, opts);
  }
  /** readv(2) into several buffers. */
  readv(fd: number, buffers: ArrayBufferView[], position?: number | bigint | null, opts?: OpOptions): ReadvOp {
    return new ReadvOp(this, fd, buffers, position, opts);
  }
  /** writev(2) from several buffers. */
  writev(fd: number, buffers: ArrayBufferView[], position?: number | bigint | null, opts?: OpOptions): WritevOp {
    return new WritevOp(this, fd, buffers, position, opts);
  }
  /** close(2) of a file descriptor, through the ring. */
  closeFd(fd: number, opts?: OpOptions): CloseOp {
    return new CloseOp(this, fd, opts);
  }
  /**
   * posix_fadvise(2) through the ring (IORING_OP_FADVISE): `advice` is one of
   * FADV.* (e.g. DONTNEED drops the range's clean pages); length 0 means to the end.
   */
  fadvise(fd: number, offset: number, length: number, advice: number, opts?: OpOptions): FadviseOp {
    checkFd(fd);
    checkInteger(offset, 'offset', 0);
    checkInteger(length, 'length', 0, 0xffffffff);
    checkInteger(advice, 'advice', 0, 5);
    return new FadviseOp(this, fd, offset, length, advice, { signal: signalOf(opts) });
  }
  /** A timer in the ring: resolves after `ms` milliseconds. */
  timeout(ms: number, opts?: OpOptions): TimeoutOp {
    return new TimeoutOp(this, ms, opts);
  }
  /** Ask the kernel to cancel `target`; resolves 0, -ENOENT or -EALREADY. */
  cancel(target: Op<unknown>, opts?: OpOptions): CancelOp {
    return new CancelOp(this, target, opts);
  }

  /** Start all `ops` (one batch) and wait for them with one promise; see op/batch.ts. */
  all<T>(ops: Op<T>[]): Promise<T[]> {
    return allOps(ops);
  }
  /** Submit ops (not yet started) as one IOSQE_IO_LINK chain; see op/link.ts. */
  link(...ops: Op<unknown>[]): Promise<unknown[]> {
    return linkOps(this, ops);
  }
  /** Run `op` with an IORING_OP_LINK_TIMEOUT: rejects with ETIMEDOUT after `ms`. */
  linkTimeout<T>(op: Op<T>, ms: number): Promise<T> {
    return linkOpTimeout(this, op, ms);
  }

  /**
   * Register a provided-buffer ring of `count` buffers of `size` bytes (a new
   * buffer group id each time); see runtime/bufring.ts.
   */
  provideBuffers(count: number, size: number): BufferRing {
    const b = new BufferRing(this.fd, this.bufferRings.length, count, size);
    this.bufferRings.push(b);
    return b;
  }

  /** The buffer group stream `chunks()` receive into: 256 × 16 KiB, made on first use. */
  get recvBuffers(): BufferRing {
    return (this.recvGroup ??= this.provideBuffers(256, 16384));
  }

  /** Counters since creation (a snapshot). */
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
   */
  close(): Promise<void> {
    return this.shutdown();
  }
}
