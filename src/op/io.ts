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
import { Opcode } from '../sys/constants.js';
import { native } from '../sys/native.js';
import { adoptFd, releaseFd } from '../sys/fds.js';
import { prep } from '../sys/sqe.js';
import { Op, type Owner as OpOwner, type Submitter } from './op.js';
import { addressOf, iovecs, MAX_RW, regionAddress, viewBuffer, viewGone, viewLength, viewOffset } from './buffers.js';
import { AbortError, errnoError, netError, outOfRange } from './errors.js';
import { ECANCELED, EIO, EPIPE } from '../sys/errno.js';
import { checkFd, checkView, checkViews, toPosition, signalOf } from './validate.js';

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
  value(res: number): number { return res; }
}

/** What one READ or WRITE transfers, and for whom: RwOp's request, by name. */
export interface RwRequest<T, P = number> {
  /** Opcode.READ or Opcode.WRITE. */
  opcode: number;
  fd: number;
  buffer: ArrayBufferView;
  /** Where the region starts inside `buffer` (default 0). */
  offset?: number;
  /** Bytes to move (more than MAX_RW is cut to MAX_RW: the kernel's most per request). */
  length: number;
  /** File offset; -1: the file's current position (and advance it). */
  position: P;
  signal?: AbortSignal;
  /** The handle the fd belongs to (`OpRequest.owner`): the op fails once it closed. */
  owner?: OpOwner;
  /** The byte count → the value awaited (fs wants `{ bytesRead, buffer }`); default: the count. */
  map?: (n: number, op: RwOp<T>) => T;
}

/**
 * IORING_OP_READ / IORING_OP_WRITE: read(2)/pread(2) into, or write(2)/pwrite(2) from,
 * `length` bytes at `offset` inside `buffer`; resolves with the byte count (0 at end
 * of file; fewer than asked is legal).  Arguments are validated by the caller (the
 * ring's methods, the fs layer), so this constructor does no checking: it is on the
 * hot path.
 */
export class RwOp<T = number> extends Op<T> {
  private readonly opcode: number;
  readonly fd: number;
  readonly buffer: ArrayBufferView;
  readonly offset: number;
  readonly length: number;
  readonly position: number;
  private readonly map: ((n: number, op: RwOp<T>) => T) | undefined;
  constructor(ring: Submitter, r: RwRequest<T>) {
    super(ring, r.signal, r.owner);
    this.opcode = r.opcode;
    this.fd = r.fd;
    this.buffer = r.buffer;
    this.offset = r.offset ?? 0;
    this.length = r.length;
    this.position = r.position;
    this.map = r.map;
  }
  /** The address of the region, found by check() (which always runs just before prepare). */
  private addr = 0;
  get syscall(): string { return this.opcode === Opcode.READ ? 'read' : 'write'; }
  override check(): Error | undefined {
    const a = regionAddress(this.buffer, this.offset, this.length, this.syscall);
    if (typeof a !== 'number') return a;
    this.addr = a;
    return undefined;
  }
  prepare(sqes: Uint32Array, index: number): void {
    const n = this.length;
    prep(sqes, index, this.opcode, this.fd, this.addr, n > MAX_RW ? MAX_RW : n, this.position);
  }
  value(res: number): T {
    return this.map === undefined ? (res as T) : this.map(res, this);
  }
}

/** Checked construction of a whole-buffer read or write (the ring's own methods). */
export function rwWhole(ring: Submitter, opcode: number, fd: unknown, buffer: unknown,
                        position: unknown, opts: OpOptions | undefined): RwOp<number> {
  checkFd(fd);
  checkView('buffer', buffer);
  const pos = toPosition('position', position);
  return new RwOp<number>(ring, { opcode, fd, buffer, length: viewLength(buffer), position: pos, signal: signalOf(opts) });
}

/**
 * Linux's IOV_MAX: one readv/writev takes at most this many buffers (more is EINVAL).
 * The raw ops refuse more; FileHandle and TcpStream loop over batches of this size.
 */
export const IOV_MAX = 1024;

/** readv/writev options beyond OpOptions, for the layers above (not the public ring methods). */
export interface VectorOptions extends OpOptions {
  /** The handle the fd belongs to (`OpRequest.owner`): the op fails once it closed. */
  owner?: OpOwner;
  /** Errors worded as node:net's ("write EPIPE") instead of fs's, for sockets. */
  netStyle?: boolean;
}

abstract class VectorOp extends Op<number> {
  readonly position: number;
  /** The buffers, as given (a copy of the list: the caller may change theirs). */
  readonly buffers: readonly ArrayBufferView[];
  /** Each buffer's length when the op was made: what the iovecs will say. */
  private readonly lengths: number[];
  /**
   * The iovec array the SQE points at, built at prepare time.  Never read from
   * JavaScript: holding it here is what keeps it alive until the CQE.
   */
  iov: Uint32Array | undefined = undefined;
  constructor(ring: Submitter, readonly fd: number, buffers: ArrayBufferView[],
              position: number | bigint | null | undefined, opts: VectorOptions | undefined) {
    checkFd(fd);
    checkViews('buffers', buffers);
    if (buffers.length > IOV_MAX) throw outOfRange('buffers.length', `<= ${IOV_MAX} (IOV_MAX)`, buffers.length);
    const pos = toPosition('position', position);
    super(ring, signalOf(opts), opts?.owner);
    this.position = pos;
    this.buffers = buffers.slice();
    this.lengths = this.buffers.map(viewLength);
    this.netStyle = opts?.netStyle === true;
  }
  protected abstract readonly opcode: number;
  /** Errors worded as node:net's ("write EPIPE") instead of fs's (VectorOptions.netStyle). */
  readonly netStyle: boolean;
  override error(res: number): Error {
    return this.netStyle ? netError(res, this.syscall) : errnoError(res, this.syscall);
  }
  override check(): Error | undefined {
    const b = this.buffers;
    for (let i = 0; i < b.length; i++) {
      const gone = viewGone(b[i], 0, this.lengths[i], this.syscall);
      if (gone !== undefined) return gone;
    }
    return undefined;
  }
  prepare(sqes: Uint32Array, index: number): void {
    const iov = (this.iov = iovecs(this.buffers));
    prep(sqes, index, this.opcode, this.fd, addressOf(iov), this.buffers.length, this.position);
  }
  value(res: number): number { return res; }
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

/** Who owns the fd of a looped transfer (its ops fail once it closed). */
/**
 * Every byte of `views`, written in order: batches of IOV_MAX buffers, and after a
 * short write the rest of the same batch (as libuv's uv__fs_write_all does).  With a
 * position (>= 0) each batch writes at its own offset; -1 writes at the file position.
 * Resolves with the total (the sum of the lengths); a write of 0 bytes is EIO, never a
 * silent stop.
 */
export async function writevAll(ring: Submitter, fd: number, views: readonly ArrayBufferView[], position: number,
                                opts: VectorOptions = {}): Promise<number> {
  const { owner, netStyle = false } = opts;
  let rest = views.slice();
  let total = 0;
  while (rest.length > 0) {
    const batch = rest.length > IOV_MAX ? rest.slice(0, IOV_MAX) : rest;
    const op = new WritevOp(ring, fd, batch as ArrayBufferView[], position, { owner, netStyle });
    const n = await op.promise();
    if (n === 0 && batch.some((b) => viewLength(b) > 0)) throw netStyle ? netError(EPIPE, 'write') : errnoError(EIO, 'write'); // no progress
    total += n;
    if (position >= 0) position += n;
    rest = skipBytes(rest, n);
  }
  return total;
}

/**
 * Fill `views` in order, batch after batch of IOV_MAX buffers, until they are full or
 * a batch comes back short (end of file, or what a socket had).  Resolves with the
 * total read.
 */
export async function readvAll(ring: Submitter, fd: number, views: readonly ArrayBufferView[], position: number,
                               opts: VectorOptions = {}): Promise<number> {
  const { owner } = opts;
  let total = 0;
  for (let i = 0; i < views.length; i += IOV_MAX) {
    const batch = views.slice(i, i + IOV_MAX);
    const op = new ReadvOp(ring, fd, batch as ArrayBufferView[], position, { owner });
    const n = await op.promise();
    total += n;
    if (position >= 0) position += n;
    let want = 0;
    for (const b of batch) want += viewLength(b);
    if (n < want) break;
  }
  return total;
}

/** `views` without their first `n` bytes (whole views dropped, the next one cut). */
function skipBytes(views: ArrayBufferView[], n: number): ArrayBufferView[] {
  let i = 0;
  while (i < views.length && n >= viewLength(views[i])) {
    n -= viewLength(views[i]);
    i++;
  }
  const out = views.slice(i);
  if (n > 0 && out.length > 0) {
    const v = out[0];
    out[0] = new Uint8Array(viewBuffer(v), viewOffset(v) + n, viewLength(v) - n);
  }
  return out;
}

/**
 * IORING_OP_CLOSE: close(2) through the ring — the one way RingCore closes an fd.
 * Closing an fd does not cancel requests still pending on it
 * (io_uring_cancelation(7)); callers that own such requests cancel them first.
 *
 * If the ring is closed before this request can be submitted (it waited for SQ room
 * when `ring.close()` came, or it was made afterwards), the fd is closed with close(2)
 * directly once the ring has finished closing: a handle closed around a ring's close
 * must not leak its fd.
 */
export class CloseOp extends Op<void> {
  constructor(ring: Submitter, readonly fd: number, opts?: OpOptions) {
    checkFd(fd);
    super(ring, signalOf(opts));
  }
  get syscall(): string { return 'close'; }
  prepare(sqes: Uint32Array, index: number): void {
    prep(sqes, index, Opcode.CLOSE, this.fd, 0, 0, 0);
  }
  override complete(res: number, flags: number): void {
    // -ECANCELED: the CLOSE never ran (a chain broke before it): the fd is still ours.
    if (res === ECANCELED) adoptFd(this.fd);
    else releaseFd(this.fd);
    super.complete(res, flags);
  }
  value(): void {}
  override refuse(err: unknown): void {
    if (this.ring.closed && !(err instanceof AbortError)) {
      // After the ring's cancel-everything has run: requests still pending on the fd
      // end with ECANCELED, not with a surprise from a closed fd.
      this.ring.afterClose(() => {
        releaseFd(this.fd);
        const r = native.closeFd(this.fd);
        if (r < 0) super.refuse(errnoError(r, 'close'));
        else this.settle(true, undefined);
      });
      return;
    }
    super.refuse(err);
  }
}

/** Close an fd nobody waits for (an accepted or opened fd whose owner went away). */
export function closeQuietly(ring: Submitter, fd: number): void {
  new CloseOp(ring, fd).start();
}
