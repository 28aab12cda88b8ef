/**
 * IORING_OP_SPLICE: splice(2) through the ring — move bytes between two fds without
 * copying them through user memory; one of the two must be a pipe.  What
 * TcpStream.sendFile builds on (file -> pipe -> socket, net/sendfile.ts), and the
 * core API's lazy `splice()` (src/index.ts).  Also IORING_OP_POLL_ADD for one event
 * mask, which sendFile links before a splice into a socket that said EAGAIN.
 *
 * What the kernel does with a SPLICE (io_uring/splice.c): it is always run by an
 * io-wq worker (REQ_F_FORCE_ASYNC), where it may block — on a full pipe, an empty
 * pipe that still has writers, or a socket whose send buffer is full (a blocking
 * socket; an O_NONBLOCK one answers EAGAIN, which io_uring does not retry for
 * splices).  The input fd (`splice_fd_in`) is looked up when the request starts,
 * not when it is submitted, and so is the output fd of a request linked behind
 * another (IORING_FEAT_LINKED_FILE): an fd closed before a linked splice starts is
 * EBADF, or whatever file reused its number.  Cancelling a running splice interrupts
 * it (io-wq signals its worker): it completes with the bytes it moved, or -EINTR.
 * A result short of `len` fails the request for IOSQE_IO_LINK purposes (the rest of
 * the chain completes with -ECANCELED); 0 from a file means end of file.
 *
 * May touch: sys/sqe.ts (to encode).
 */
import { Opcode } from '../sys/constants.js';
import { ECANCELED } from '../sys/errno.js';
import { prep, setFileIndex, setOpFlags } from '../sys/sqe.js';
import { MAX_RW } from './buffers.js';
import { Op, type Submitter } from './op.js';
import { errnoError, netError } from './errors.js';

/** Called once the kernel is done with a request: its terminal `res`, or ECANCELED if it never reached the kernel. */
export type DoneHook = (res: number) => void;

/**
 * A request that also tells a hook of its end — sendFile's chain members (splices and
 * polls): sendFile follows a whole chain with one waiter instead of a promise per
 * request (net/sendfile.ts runChain).
 */
abstract class ReportingOp extends Op<number> {
  /** @internal Told of the terminal CQE's `res`, or ECANCELED for a request refused before the kernel saw it. */
  done: DoneHook | undefined = undefined;

  value(res: number): number { return res; }

  override complete(res: number, flags: number): void {
    super.complete(res, flags);
    this.done?.(res);
  }

  override refuse(err: unknown): void {
    super.refuse(err);
    this.done?.(ECANCELED);
  }
}

/**
 * One IORING_OP_SPLICE.  `offIn`/`offOut`: a byte offset in a file, or -1 for "none"
 * (required for a pipe or socket: the kernel says ESPIPE otherwise).  Resolves with
 * the byte count moved (0: end of input).  Arguments are checked by the callers
 * (index.ts for the public op; sendfile.ts builds only valid ones).
 */
export class SpliceOp extends ReportingOp {
  /** @internal Errors worded as node:net's ("write EPIPE"): the output is a socket. */
  netStyle = false;

  constructor(ring: Submitter, readonly fdIn: number, readonly offIn: number, readonly fdOut: number,
              readonly offOut: number, readonly length: number, readonly flags: number, signal?: AbortSignal) {
    super(ring, signal);
  }

  get syscall(): string { return 'splice'; }

  prepare(sqes: Uint32Array, index: number): void {
    // fd = fd_out; off = off_out; the addr slot is splice_off_in (a value, -1 = none,
    // which prep() stores as all ones); splice_fd_in in the file_index word.
    const n = this.length;
    prep(sqes, index, Opcode.SPLICE, this.fdOut, this.offIn, n > MAX_RW ? MAX_RW : n, this.offOut);
    setOpFlags(sqes, index, this.flags);
    setFileIndex(sqes, index, this.fdIn);
  }

  override error(res: number): Error {
    return this.netStyle ? netError(res, 'write') : errnoError(res, this.syscall);
  }
}

/** poll(2) events (asm-generic/poll.h) for PollOp. */
export const POLLIN = 0x0001;
export const POLLOUT = 0x0004;

/**
 * IORING_OP_POLL_ADD, one shot: completes with the ready event mask once `fd` has
 * one of `events` (poll32_events in the op-flags word).  sendFile puts one linked
 * before a splice into a non-blocking socket that answered EAGAIN.
 */
export class PollOp extends ReportingOp {
  constructor(ring: Submitter, readonly fd: number, readonly events: number) {
    super(ring);
  }
  get syscall(): string { return 'poll'; }
  prepare(sqes: Uint32Array, index: number): void {
    prep(sqes, index, Opcode.POLL_ADD, this.fd, 0, 0, 0);
    setOpFlags(sqes, index, this.events);
  }
}
