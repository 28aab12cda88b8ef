/**
 * Linked requests: IOSQE_IO_LINK chains and linked timeouts.
 *
 * `linkOps(ring, [a, b, c])` writes the three SQEs back to back in one submission, with
 * IOSQE_IO_LINK on every one but the last: the kernel starts b only after a has
 * completed successfully (a short read counts as failure), c only after b.  If a link
 * fails, the rest complete with -ECANCELED (io_uring_enter(2), "IOSQE_IO_LINK").
 * A chain must never span two submissions: the ring writes it whole, when the SQ
 * has room for all of it (`ring.submitChain`), or not at all.
 *
 * `linkOpTimeout(ring, op, ms)` puts an IORING_OP_LINK_TIMEOUT right after `op`: if the
 * time runs out, the kernel cancels `op`, which then rejects with ETIMEDOUT.
 *
 * May touch: its ops' `enqueue()`, the ring's `submitChain`.
 */
import { enqueueOp, isQueued, Op, type Submitter } from './op.js';
import { errnoError, invalidArgType, outOfRange } from './errors.js';
import { LinkTimeoutOp } from './time.js';
import { ECANCELED, ETIME, ETIMEDOUT } from '../sys/errno.js';

function checkChain(ring: Submitter, ops: Op<unknown>[]): void {
  if (ops.length === 0) throw invalidArgType('ops', 'at least one Op', ops);
  for (const op of ops) {
    if (!(op instanceof Op)) throw invalidArgType('ops', 'Op instances', op);
    if (op.ring !== ring) throw invalidArgType('ops', 'Ops of this ring', op);
    if (op.submitted) throw invalidArgType('ops', 'Ops not yet started (a chain is written in one go)', op);
  }
  if (new Set(ops).size !== ops.length) throw invalidArgType('ops', 'distinct Ops (the same Op twice)', ops);
  if (ops.length > ring.sqEntries) {
    throw outOfRange('chain length', `<= the ring's SQ entries (${ring.sqEntries})`, ops.length);
  }
}

/**
 * Start `ops` and hand them to the ring as one chain.  A member that cannot start
 * (its signal already aborted, the ring closed) rejects with its own error; then the
 * others reject with ECANCELED and nothing is submitted.
 */
export function startChain(ring: Submitter, ops: Op<unknown>[]): void {
  let ok = true;
  for (const op of ops) if (!enqueueOp(op)) ok = false;
  if (ok) {
    ring.submitChain(ops);
    return;
  }
  for (const op of ops) if (isQueued(op)) op.refuse(errnoError(ECANCELED, op.syscall));
}

/**
 * Submit `ops` as one IOSQE_IO_LINK chain.  Resolves with all results in order once
 * every member completed; rejects with the error that broke the chain (the others
 * reject with ECANCELED, visible when awaited on their own).  The chain reaches the
 * kernel whole or not at all.
 */
export function linkOps(ring: Submitter, ops: Op<unknown>[]): Promise<unknown[]> {
  checkChain(ring, ops);
  const settled = Promise.allSettled(ops);
  startChain(ring, ops);
  return settled.then(chainOutcome);
}

/**
 * All values, or the error that broke the chain: the first failure that is not
 * ECANCELED (members after a failed link, and before a refused one, are ECANCELED
 * only because of it), else the first failure.
 */
function chainOutcome(results: PromiseSettledResult<unknown>[]): unknown[] {
  let first: PromiseRejectedResult | undefined;
  for (const r of results) {
    if (r.status !== 'rejected') continue;
    if ((r.reason as { errno?: number })?.errno !== ECANCELED) throw r.reason;
    first ??= r;
  }
  if (first !== undefined) throw first.reason;
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value);
}

/**
 * Submit `op` followed by a linked IORING_OP_LINK_TIMEOUT of `ms`.  Resolves with
 * op's result if it finishes in time; rejects with an ETIMEDOUT error if the kernel
 * cancelled it because the time ran out; otherwise with op's own error.
 */
export function linkOpTimeout<T>(ring: Submitter, op: Op<T>, ms: number): Promise<T> {
  // Arguments are checked here, synchronously, as link() checks them: a bad `ms` or op
  // throws before anything is submitted (not a rejected promise).
  const timer = new LinkTimeoutOp(ring, ms);
  checkChain(ring, [op as Op<unknown>, timer]);
  // Both CQEs come, in either order; read them as a pair.
  const pair = Promise.allSettled([op, timer]);
  startChain(ring, [op as Op<unknown>, timer]);
  return timedOutcome(op, ms, pair);
}

async function timedOutcome<T>(op: Op<T>, ms: number, pair: Promise<[PromiseSettledResult<T>, PromiseSettledResult<number>]>): Promise<T> {
  const [r, t] = await pair;
  if (r.status === 'fulfilled') return r.value;
  const err = r.reason as { errno?: number };
  if (t.status === 'fulfilled' && t.value === ETIME && err?.errno === ECANCELED) {
    const e = errnoError(ETIMEDOUT, op.syscall);
    e.message = `ETIMEDOUT: ${op.syscall} did not complete within ${ms} ms (IORING_OP_LINK_TIMEOUT)`;
    throw e;
  }
  throw r.reason;
}
