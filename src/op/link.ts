/**
 * Linked requests: IOSQE_IO_LINK chains and linked timeouts.
 *
 * `link(ring, a, b, c)` writes the three SQEs back to back in one submission, with
 * IOSQE_IO_LINK on every one but the last: the kernel starts b only after a has
 * completed successfully (a short read counts as failure), c only after b.  If a link
 * fails, the rest complete with -ECANCELED (io_uring_enter(2), "IOSQE_IO_LINK").
 * A chain must never span two submissions, so the ring first makes room for all of
 * it (`ring.reserve`).
 *
 * `linkTimeout(ring, op, ms)` puts an IORING_OP_LINK_TIMEOUT right after `op`: if the
 * time runs out, the kernel cancels `op`, which then rejects with ETIMEDOUT.
 *
 * May touch: its ops' `sqeFlags` and `start()`, the ring's `reserve`.
 */
import { SqeFlag } from '../sys/constants.js';
import { Op, type Submitter } from './op.js';
import { errnoError, invalidArgType } from './errors.js';
import { ECANCELED, ETIME, LinkTimeoutOp } from './time.js';

/** What `link` needs besides submitting. */
export interface Linker extends Submitter {
  reserve(n: number): void;
}

function checkChain(ring: Linker, ops: Op<unknown>[]): void {
  if (ops.length === 0) throw invalidArgType('ops', 'at least one Op', ops);
  for (const op of ops) {
    if (!(op instanceof Op)) throw invalidArgType('ops', 'Op instances', op);
    if (op.ring !== ring) throw invalidArgType('ops', 'Ops of this ring', op);
    if (op.submitted) throw invalidArgType('ops', 'Ops not yet started (a chain is written in one go)', op);
  }
}

/**
 * Submit `ops` as one IOSQE_IO_LINK chain.  Resolves with all results in order;
 * rejects with the first failure (the ops after it reject with ECANCELED, visible
 * when awaited on their own).
 */
export function link(ring: Linker, ops: Op<unknown>[]): Promise<unknown[]> {
  checkChain(ring, ops);
  ring.reserve(ops.length);
  for (let i = 0; i < ops.length - 1; i++) ops[i].sqeFlags |= SqeFlag.IO_LINK;
  for (const op of ops) op.start();
  return Promise.all(ops);
}

/**
 * Submit `op` followed by a linked IORING_OP_LINK_TIMEOUT of `ms`.  Resolves with
 * op's result if it finishes in time; rejects with an ETIMEDOUT error if the kernel
 * cancelled it because the time ran out; otherwise with op's own error.
 */
export async function linkTimeout<T>(ring: Linker, op: Op<T>, ms: number): Promise<T> {
  checkChain(ring, [op as Op<unknown>]);
  const timer = new LinkTimeoutOp(ring, ms);
  ring.reserve(2);
  op.sqeFlags |= SqeFlag.IO_LINK;
  op.start();
  timer.start();
  // Both CQEs come, in either order; read them as a pair.
  const [r, t] = await Promise.allSettled([op, timer]);
  if (r.status === 'fulfilled') return r.value;
  const err = r.reason as { errno?: number };
  if (t.status === 'fulfilled' && t.value === ETIME && err?.errno === ECANCELED) {
    const e = errnoError(-110, op.syscall);
    e.message = `ETIMEDOUT: ${op.syscall} did not complete within ${ms} ms (IORING_OP_LINK_TIMEOUT)`;
    throw e;
  }
  throw r.reason;
}
