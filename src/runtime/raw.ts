/**
 * `raw` (exported by 'ringcore' as a namespace): the io_uring protocol with nothing
 * in between — a ring you fill and reap yourself, with no ops, promises, slots or
 * event-loop driver.  For learning the SQ/CQ protocol (examples/raw_ring.ts) and for
 * measuring the ceiling the runtime is compared with (bench/nop.ts).  Everything it
 * hands out is what the runtime itself uses: the same setup, ring views and encoder.
 *
 * A RawRing is yours alone: the default ring, `run()` and `ringcore/fs` never see it,
 * and no cleanup happens for it if the thread ends with requests in flight (use it
 * for requests that cannot outlive the code that waits for them, such as NOPs and
 * reads of memory you keep).
 *
 * May touch: one ring of its own (setup, enter, close through the native gate).
 */
import { native } from '../sys/native.js';
import { CompletionQueue, SubmissionQueue } from '../sys/rings.js';
import { setupRing } from './setup.js';
import { errnoError, invalidArgType } from '../op/errors.js';
import { checkInteger } from '../op/validate.js';
import { EBADF, EINTR } from '../sys/errno.js';

export { SubmissionQueue, CompletionQueue } from '../sys/rings.js';
export { prep, setUserData, orSqeFlags, setOpFlags, decodeSqe, SQE_WORDS, SQE_SIZE, W, type DecodedSqe } from '../sys/sqe.js';
export { CW, decodeCqe, type DecodedCqe } from '../sys/cqe.js';

/** What `new RawRing()` takes. */
export interface RawRingOptions {
  /** SQ entries, a power of two is used (default 64). */
  entries?: number;
  /** CQ entries (default 4 × entries). */
  cqEntries?: number;
  /** Exact io_uring_setup flags (default: the runtime's best set for this kernel). */
  flags?: number;
}

/**
 * One io_uring instance and its two mapped rings, with no machinery around it.
 *
 * @example
 * ```ts
 * import { raw, constants } from 'ringcore';
 *
 * const ring = new raw.RawRing({ entries: 8 });
 * const i = ring.sq.next();                                   // a free SQE index
 * raw.prep(ring.sq.sqes, i, constants.Opcode.NOP, -1, 0, 0, 0); // the 64 bytes
 * raw.setUserData(ring.sq.sqes, i, 42, 0);
 * ring.enter(ring.sq.publish(), 1, constants.Enter.GETEVENTS); // submit, wait for 1
 * const w = ring.cq.cqesIdx + (ring.cq.head() & ring.cq.mask) * ring.cq.cqeWords;
 * console.log(ring.cq.ring[w + raw.CW.UD_LO], ring.cq.ringI32[w + raw.CW.RES]); // 42 0
 * Atomics.store(ring.cq.ring, ring.cq.headIdx, ring.cq.head() + 1);
 * ring.close();
 * ```
 */
export class RawRing {
  /** The ring's fd (what io_uring_enter takes). */
  readonly fd: number;
  /** The setup flags the kernel granted (IORING_SETUP_*: constants.Setup). */
  readonly setupFlags: number;
  /** The submission queue: `next()` an SQE index, write it, `publish()` the tail. */
  readonly sq: SubmissionQueue;
  /** The completion queue: read CQEs from `head()` up to `tail()`, then store the head. */
  readonly cq: CompletionQueue;
  private readonly handle: object;
  private closed = false;

  /**
   * Create the ring (io_uring_setup + mmap).
   * @param options  sizes and flags; see RawRingOptions
   * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for bad options;
   *         ERR_IO_URING_UNAVAILABLE when the kernel refuses io_uring.
   */
  constructor(options: RawRingOptions = {}) {
    if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
    const entries = checkInteger(options.entries ?? 64, 'options.entries', 1, 32768);
    const cqEntries = checkInteger(options.cqEntries ?? entries * 4, 'options.cqEntries', entries, 65536);
    const flags = options.flags === undefined ? undefined : checkInteger(options.flags, 'options.flags', 0, 0x7fffffff);
    const r = setupRing({ entries, cqEntries, sqpoll: false, sqThreadIdle: 0, sqThreadCpu: undefined, flags, deferTaskrun: false });
    this.fd = r.fd;
    this.setupFlags = r.flags;
    this.handle = r.handle;
    this.sq = new SubmissionQueue(r);
    this.cq = new CompletionQueue(r);
  }

  /**
   * io_uring_enter(2): submit `toSubmit` published SQEs and, with `Enter.GETEVENTS`,
   * wait until `minComplete` CQEs are there.  Blocks the thread while it waits.
   * @param toSubmit     SQEs to submit (what `sq.publish()` returned)
   * @param minComplete  completions to wait for (0: do not wait)
   * @param flags        IORING_ENTER_* (constants.Enter)
   * @returns SQEs the kernel consumed
   * @throws ERR_OUT_OF_RANGE / ERR_INVALID_ARG_TYPE for a bad argument; EBADF after
   *         close(); otherwise the kernel's errno (code, errno, syscall 'io_uring_enter')
   * @example
   * ```ts
   * import { raw, constants } from 'ringcore';
   *
   * const ring = new raw.RawRing();
   * for (let i = 0; i < 4; i++) {
   *   const index = ring.sq.next();
   *   raw.prep(ring.sq.sqes, index, constants.Opcode.NOP, -1, 0, 0, 0);
   *   raw.setUserData(ring.sq.sqes, index, i, 0);
   * }
   * const submitted = ring.enter(ring.sq.publish(), 4, constants.Enter.GETEVENTS); // 4
   * console.log(submitted, ring.cq.tail() - ring.cq.head()); // 4 4
   * ring.close();
   * ```
   */
  enter(toSubmit: number, minComplete = 0, flags = 0): number {
    if (this.closed) throw errnoError(EBADF, 'io_uring_enter');
    checkInteger(toSubmit, 'toSubmit', 0, 0xffffffff);
    checkInteger(minComplete, 'minComplete', 0, 0xffffffff);
    checkInteger(flags, 'flags', 0, 0xffffffff);
    for (;;) {
      const r = native.enter(this.fd, toSubmit, minComplete, flags);
      if (r >= 0) return r;
      if (r !== EINTR) throw errnoError(r, 'io_uring_enter');
    }
  }

  /**
   * Unmap the rings and close the fd.  Requests still in flight are the kernel's to
   * finish (memory they point at must outlive them).  A second call does nothing.
   * @example
   * ```ts
   * import { raw } from 'ringcore';
   *
   * const ring = new raw.RawRing({ entries: 4 });
   * ring.close();
   * ring.close(); // nothing
   * ```
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    native.close(this.handle);
  }
}
