/**
 * Time in the ring: IORING_OP_TIMEOUT (a sleep that is itself a request) and
 * IORING_OP_LINK_TIMEOUT (a deadline for the request linked before it).
 *
 * Both point the SQE at a `struct __kernel_timespec { s64 tv_sec; s64 tv_nsec; }`,
 * which must stay put until the CQE: it lives in memory the ring keeps per slot
 * (`Submitter.timespec`), so a sleep allocates nothing the kernel could outlive.
 *
 * May touch: sys/sqe.ts (to encode).
 */
import { Opcode } from '../sys/constants.js';
import { prep } from '../sys/sqe.js';
import { Op, type Submitter } from './op.js';
import type { OpOptions } from './io.js';
import { ETIME } from '../sys/errno.js';
import { checkMs, signalOf } from './validate.js';

/**
 * IORING_OP_TIMEOUT with count 0: completes with -ETIME after `ms`, which here is
 * success.  Resolves with undefined; rejects with an AbortError if aborted.
 */
export class TimeoutOp extends Op<void> {
  readonly ms: number;
  constructor(ring: Submitter, ms: number, opts?: OpOptions) {
    const v = checkMs('ms', ms);
    super(ring, signalOf(opts));
    this.ms = v;
  }
  get syscall(): string { return 'timeout'; }
  prepare(sqes: Uint32Array, index: number): void {
    // len = 1 timespec; off = 0 completions to wait for (a pure timer).
    prep(sqes, index, Opcode.TIMEOUT, -1, this.ring.timespec(this.req.slot, this.ms), 1, 0);
  }
  override accepts(res: number): boolean {
    return res >= 0 || res === ETIME;
  }
  value(): void {}
}

/**
 * IORING_OP_LINK_TIMEOUT: must directly follow an SQE with IOSQE_IO_LINK.  If the
 * time runs out first, the kernel cancels that request (which completes with
 * -ECANCELED) and this completes with -ETIME; if the request finishes first, this
 * completes with -ECANCELED.  Resolves with its raw `res`, never rejects: `link.ts`
 * reads the pair.
 */
export class LinkTimeoutOp extends Op<number> {
  readonly ms: number;
  constructor(ring: Submitter, ms: number) {
    const v = checkMs('ms', ms);
    super(ring);
    this.ms = v;
  }
  get syscall(): string { return 'link_timeout'; }
  prepare(sqes: Uint32Array, index: number): void {
    prep(sqes, index, Opcode.LINK_TIMEOUT, -1, this.ring.timespec(this.req.slot, this.ms), 1, 0);
  }
  override accepts(): boolean {
    return true;
  }
  value(res: number): number { return res; }
}
