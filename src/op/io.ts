/**
 * The basic requests: NOP, READ, WRITE, READV, WRITEV, CLOSE.
 *
 * Each class checks its arguments when constructed (so a bad argument throws before
 * anything reaches the kernel), keeps every piece of memory its SQE points at in a
 * field (so it lives until the terminal CQE), and writes its SQE in `prepare`
 * through the one encoder, `sys/sqe.ts`.
 *
 * May touch: sys/sqe.ts (to encode), op/buffers.ts (addresses).
 */
import { Op as Opcode } from '../sys/constants.js';
import { prep } from '../sys/sqe.js';
import { Op, type Submitter } from './op.js';
import { addressOf, checkFd, checkView, checkViews, iovecs, MAX_RW, toPosition } from './buffers.js';

/** Options every operation takes. */
export interface OpOptions {
  /** Aborting cancels the request in the kernel and rejects with an AbortError. */
  signal?: AbortSignal;
}

/** IORING_OP_NOP: does nothing, completes with 0.  The ring's own round trip. */
export class NopOp extends Op<number> {
  get syscall(): string { return 'nop'; }
  prepare(sqes: Uint32Array, index: number): void {
    prep(sqes, index, Opcode.NOP, -1, 0, 0, 0);
  }
  protected value(res: number): number { return res; }
}

/**
 * IORING_OP_READ / IORING_OP_WRITE: read(2)/pread(2) into, or write(2)/pwrite(2) from,
 * `length` bytes at `offset` inside `buffer`; resolves with the byte count (0 at end
 * of file; fewer than asked is legal).  Arguments are validated by the caller (the
 * ring's methods, the fs layer), so this constructor does no checking: it is on the
 * hot path.  `map` turns the byte count into the value awaited (fs wants
 * `{ bytesRead, buffer }`).
 */
export class RwOp<T = number> extends Op<T> {
  constructor(ring: Submitter, private readonly opcode: number, readonly fd: number,
              readonly buffer: ArrayBufferView, readonly offset: number, readonly length: number,
              readonly position: number, signal: AbortSignal | undefined,
              private readonly map: ((n: number, op: RwOp<T>) => T) | undefined) {
    super(ring, signal);
  }
  get syscall(): string { return this.opcode === Opcode.READ ? 'read' : 'write'; }
  prepare(sqes: Uint32Array, index: number): void {
    const n = this.length;
    prep(sqes, index, this.opcode, this.fd, n === 0 ? 0 : addressOf(this.buffer) + this.offset,
         n > MAX_RW ? MAX_RW : n, this.position);
  }
  protected value(res: number): T {
    return this.map === undefined ? (res as T) : this.map(res, this);
  }
}

/** Checked construction of a whole-buffer read or write (the ring's own methods). */
export function rwWhole(ring: Submitter, opcode: number, fd: unknown, buffer: unknown,
                        position: unknown, opts: OpOptions | undefined): RwOp<number> {
  checkFd(fd);
  checkView('buffer', buffer);
  const pos = toPosition('position', position);
  return new RwOp<number>(ring, opcode, fd, buffer, 0, buffer.byteLength, pos, opts?.signal, undefined);
}

/** Linux's IOV_MAX: readv/writev take at most this many buffers. */
export const IOV_MAX = 1024;

abstract class VectorOp extends Op<number> {
  readonly position: number;
  /**
   * The iovec array the SQE points at, built at prepare time.  Never read from
   * JavaScript: holding it here is what keeps it alive until the CQE.
   */
  iov: Uint32Array | undefined;
  constructor(ring: Submitter, readonly fd: number, readonly buffers: ArrayBufferView[],
              position: number | bigint | null | undefined, opts: OpOptions | undefined) {
    checkFd(fd);
    checkViews('buffers', buffers);
    const pos = toPosition('position', position);
    super(ring, opts?.signal);
    this.position = pos;
  }
  protected abstract readonly opcode: number;
  prepare(sqes: Uint32Array, index: number): void {
    // More than IOV_MAX buffers is EINVAL in the kernel; like libuv, pass the first
    // IOV_MAX and let the caller see a short transfer.
    const bufs = this.buffers.length > IOV_MAX ? this.buffers.slice(0, IOV_MAX) : this.buffers;
    const iov = (this.iov = iovecs(bufs));
    prep(sqes, index, this.opcode, this.fd, addressOf(iov), bufs.length, this.position);
  }
  protected value(res: number): number { return res; }
}

/** IORING_OP_READV: readv(2)/preadv2(2) scattering into several buffers. */
export class ReadvOp extends VectorOp {
  get syscall(): string { return 'read'; }
  protected get opcode(): number { return Opcode.READV; }
}

/** IORING_OP_WRITEV: writev(2)/pwritev2(2) gathering from several buffers. */
export class WritevOp extends VectorOp {
  get syscall(): string { return 'write'; }
  protected get opcode(): number { return Opcode.WRITEV; }
}

/**
 * IORING_OP_CLOSE: close(2) through the ring.  Closing an fd does not cancel
 * requests still pending on it (io_uring_cancelation(7)); callers that own such
 * requests cancel them first.
 */
export class CloseOp extends Op<void> {
  constructor(ring: Submitter, readonly fd: number, opts?: OpOptions) {
    checkFd(fd);
    super(ring, opts?.signal);
  }
  get syscall(): string { return 'close'; }
  prepare(sqes: Uint32Array, index: number): void {
    prep(sqes, index, Opcode.CLOSE, this.fd, 0, 0, 0);
  }
  protected value(): void {}
}
