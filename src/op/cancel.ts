/**
 * IORING_OP_ASYNC_CANCEL: ask the kernel to cancel a request named by its user_data.
 *
 * A cancel produces two CQEs, in either order (io_uring_cancelation(7)): its own
 * (0 = found and cancelled, -ENOENT = not found — it already completed, -EALREADY =
 * it is running and may or may not stop) and the target's (-ECANCELED, or its real
 * result if it won the race).  The target's slot stays taken until its own CQE, so
 * its buffers stay alive whatever the cancel says.
 *
 * May touch: sys/sqe.ts (to encode).
 */
import { CancelFlag, Opcode } from '../sys/constants.js';
import { prep, setAddrWords, setOpFlags } from '../sys/sqe.js';
import { Op, type Submitter } from './op.js';
import { invalidArgType, invalidArgValue } from './errors.js';
import { CloseOp, type OpOptions } from './io.js';
import { EALREADY, ENOENT } from '../sys/errno.js';
import { signalOf } from './validate.js';

/**
 * Cancels `target`.  Resolves with the cancel's own result: 0 (cancelled),
 * -2 (ENOENT: not in flight — finished, or never submitted) or -114 (EALREADY:
 * already running).  Those are answers, not failures; other results reject.
 */
/**
 * The one writer of an IORING_OP_ASYNC_CANCEL SQE.  The kernel matches the target by
 * `addr` = its 64-bit user_data (udLo, udHi), or — with CancelFlag.FD in `flags` — by
 * `fd`; CancelFlag.ANY matches every request, CancelFlag.ALL cancels every match, not
 * just the first.  Unused keys are written as -1 (fd) and 0 (user_data), as liburing.
 */
export function prepCancel(sqes: Uint32Array, index: number, fd: number, udLo: number, udHi: number,
                           flags: number): void {
  prep(sqes, index, Opcode.ASYNC_CANCEL, fd, 0, 0, 0);
  setAddrWords(sqes, index, udLo, udHi);
  setOpFlags(sqes, index, flags);
}

export class CancelOp extends Op<number> {
  constructor(ring: Submitter, readonly target: Op<unknown>, opts?: OpOptions) {
    if (!(target instanceof Op)) throw invalidArgType('target', 'an instance of Op', target);
    // The SQE names the target by its user_data, (slot, generation) in ITS ring's slot
    // table: on another ring the same pair may be an unrelated request, cancelled instead.
    if (target.ring !== ring) throw invalidArgValue('target', target, 'must be an op of the same ring');
    super(ring, signalOf(opts));
  }
  get syscall(): string { return 'cancel'; }
  prepare(sqes: Uint32Array, index: number): void {
    // addr holds the 64-bit user_data to match: (slot, generation) of the target.
    // An op never submitted names (0, 0), which no request carries: -ENOENT.
    const t = this.target;
    prepCancel(sqes, index, -1, t.req.udLo, t.req.udHi, 0);
  }
  override accepts(res: number): boolean {
    return res >= 0 || res === ENOENT || res === EALREADY;
  }
  value(res: number): number {
    return res;
  }
}

/**
 * Cancel every request on file descriptor `fd` (IORING_ASYNC_CANCEL_FD | ALL, 5.19):
 * what a handle's close() sends first, because closing an fd does not cancel what is
 * pending on it.  Resolves with the number cancelled (or -ENOENT: none); never rejects
 * for "nothing to cancel".
 */
export class CancelFdOp extends Op<number> {
  constructor(ring: Submitter, readonly fd: number) {
    super(ring);
  }
  get syscall(): string { return 'cancel'; }
  prepare(sqes: Uint32Array, index: number): void {
    prepCancel(sqes, index, this.fd, 0, 0, CancelFlag.FD | CancelFlag.ALL);
  }
  override accepts(): boolean {
    return true;
  }
  value(res: number): number {
    return res;
  }
}

/**
 * How a handle (FileHandle, TcpStream) closes its fd: cancel everything pending on
 * it, then IORING_OP_CLOSE — both written now, so they go in the same enter, the
 * cancel first.  Resolves when the close completed.
 */
export function cancelAndClose(ring: Submitter, fd: number): Promise<void> {
  new CancelFdOp(ring, fd).start();
  return new CloseOp(ring, fd).promise();
}
