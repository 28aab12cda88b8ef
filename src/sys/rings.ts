/**
 * The two shared rings, seen from JavaScript: where their head, tail, mask and flags
 * live in the mapped memory, and the memory-ordering rules for touching them.
 *
 * The protocol (io_uring(7), liburing's src/queue.c):
 *   SQ: we own the tail, the kernel owns the head.  We fill SQEs, then store-release
 *       the tail so that the kernel, which load-acquires it, sees complete SQEs.
 *   CQ: the kernel owns the tail, we own the head.  We load-acquire the tail before
 *       reading CQEs, and store-release the head after we are done with them, so the
 *       kernel never overwrites a CQE we are still reading.
 * JavaScript `Atomics.load/store` are sequentially consistent, which is stronger
 * than acquire/release; plain typed-array accesses are not atomic, so head, tail and
 * the flags words are only ever touched through `Atomics`.  The SQEs and CQEs
 * themselves are plain memory ordered by those head/tail operations.
 *
 * May touch: the mapped ring memory.  Never the SQE contents (see `sqe.ts`).
 */
import type { SetupResult } from './native.js';
import { Setup } from './constants.js';

export class SubmissionQueue {
  /** The SQ ring mapping as 32-bit words (all its fields are u32). */
  readonly ring: Uint32Array;
  /** The SQE array as 32-bit words, 16 per SQE. */
  readonly sqes: Uint32Array;
  readonly entries: number;
  readonly mask: number;
  /** Word indices of the kernel-shared fields. */
  readonly headIdx: number;
  readonly tailIdx: number;
  readonly flagsIdx: number;
  readonly droppedIdx: number;
  /**
   * Our tail: SQEs written but maybe not yet published.  Unsigned 32-bit arithmetic,
   * as the kernel does: the counters wrap at 2^32 and `(tail - head) >>> 0` is the fill.
   */
  tail: number;
  /** The head as last read from the kernel: refreshed only when the SQ looks full. */
  cachedHead: number;

  constructor(r: SetupResult) {
    this.ring = new Uint32Array(r.sqRing);
    this.sqes = new Uint32Array(r.sqes);
    const o = r.sqOff;
    this.headIdx = o.head >>> 2;
    this.tailIdx = o.tail >>> 2;
    this.flagsIdx = o.flags >>> 2;
    this.droppedIdx = o.dropped >>> 2;
    this.entries = this.ring[o.ringEntries >>> 2];
    this.mask = this.ring[o.ringMask >>> 2];
    this.tail = Atomics.load(this.ring, this.tailIdx);
    this.cachedHead = Atomics.load(this.ring, this.headIdx);
    // The classic SQ has an indirection array (SQ slot -> SQE index).  We always use
    // SQE i for slot i, so it is filled once with the identity, as liburing does;
    // with IORING_SETUP_NO_SQARRAY (6.6) the array does not exist at all.
    if (!(r.flags & Setup.NO_SQARRAY)) {
      const base = o.array >>> 2;
      for (let i = 0; i < this.entries; i++) this.ring[base + i] = i;
    }
  }

  /**
   * Take the next SQE: a free SQE index, or -1 when the SQ is full even after
   * re-reading the kernel head.  The entry is ours to fill (`prep` writes all of it);
   * the kernel sees it only after `publish()` and an io_uring_enter.
   * @returns the SQE index (0 .. entries - 1), or -1 when the SQ is full
   * @example
   * ```ts
   * import { raw } from 'ringcore';
   *
   * const ring = new raw.RawRing({ entries: 2 });
   * console.log(ring.sq.next(), ring.sq.next(), ring.sq.next()); // 0 1 -1
   * ring.sq.rewind(2);
   * ring.close();
   * ```
   */
  next(): number {
    if (((this.tail - this.cachedHead) >>> 0) >= this.entries) {
      this.cachedHead = Atomics.load(this.ring, this.headIdx);
      if (((this.tail - this.cachedHead) >>> 0) >= this.entries) return -1;
    }
    const index = this.tail & this.mask;
    this.tail = (this.tail + 1) >>> 0;
    return index;
  }

  /**
   * How many SQEs can be written now (re-reading the kernel head).
   * @returns free entries: `entries` minus those taken by `next()` and not yet
   *          consumed by the kernel
   * @example
   * ```ts
   * import { raw } from 'ringcore';
   *
   * const ring = new raw.RawRing({ entries: 8 });
   * ring.sq.next();
   * console.log(ring.sq.free()); // 7
   * ring.sq.rewind(1);
   * ring.close();
   * ```
   */
  free(): number {
    this.cachedHead = Atomics.load(this.ring, this.headIdx);
    return this.entries - ((this.tail - this.cachedHead) >>> 0);
  }

  /**
   * Give back the last `n` entries taken by `next()`.  Only entries not yet
   * published can be given back: the kernel never saw them.  Nothing is checked: a
   * larger `n` moves the tail behind what was published.
   * @param n  how many entries to give back (at most those taken since the last `publish()`)
   * @example
   * ```ts
   * import { raw } from 'ringcore';
   *
   * const ring = new raw.RawRing({ entries: 4 });
   * const i = ring.sq.next();   // taken, then not needed after all
   * ring.sq.rewind(1);
   * console.log(ring.sq.next() === i, ring.sq.pending()); // true 1
   * ring.sq.rewind(1);
   * ring.close();
   * ```
   */
  rewind(n: number): void {
    this.tail = (this.tail - n) >>> 0;
  }

  /**
   * Store-release our tail now, before the turn's enter — the ring does it when it
   * writes a CLOSE.  The kernel reads the tail only inside io_uring_enter (or its
   * SQPOLL thread, for which this is the submission), so nothing moves earlier — but
   * if the thread ends before the next enter, the native cleanup can submit what was
   * written: a CLOSE must not be lost (sys/fds.ts).  Unlike `publish()` it reads
   * nothing back.
   * @example
   * ```ts
   * import { raw, constants } from 'ringcore';
   *
   * const ring = new raw.RawRing({ entries: 4 });
   * const i = ring.sq.next();
   * raw.prep(ring.sq.sqes, i, constants.Opcode.NOP, -1, 0, 0, 0);
   * ring.sq.expose();                                  // the kernel may take it now...
   * console.log(ring.enter(1, 1, constants.Enter.GETEVENTS)); // ...at this enter: 1
   * Atomics.store(ring.cq.ring, ring.cq.headIdx, ring.cq.head() + 1);
   * ring.close();
   * ```
   */
  expose(): void {
    Atomics.store(this.ring, this.tailIdx, this.tail);
  }

  /**
   * Store-release our tail: every SQE written before this is now visible to the
   * kernel.  Returns how many SQEs the kernel has not consumed yet (what to pass as
   * `to_submit`).
   * @returns SQEs published and not yet consumed: io_uring_enter's `to_submit`
   * @example
   * ```ts
   * import { raw, constants } from 'ringcore';
   *
   * const ring = new raw.RawRing({ entries: 4 });
   * for (let k = 0; k < 3; k++) raw.prep(ring.sq.sqes, ring.sq.next(), constants.Opcode.NOP, -1, 0, 0, 0);
   * const toSubmit = ring.sq.publish();                        // 3
   * console.log(ring.enter(toSubmit, 3, constants.Enter.GETEVENTS)); // 3
   * Atomics.store(ring.cq.ring, ring.cq.headIdx, ring.cq.tail()); // 3 CQEs seen
   * ring.close();
   * ```
   */
  publish(): number {
    Atomics.store(this.ring, this.tailIdx, this.tail);
    this.cachedHead = Atomics.load(this.ring, this.headIdx);
    return (this.tail - this.cachedHead) >>> 0;
  }

  /**
   * Published or written SQEs the kernel has not consumed.
   * @returns our tail minus the kernel's head (read now)
   * @example
   * ```ts
   * import { raw, constants } from 'ringcore';
   *
   * const ring = new raw.RawRing({ entries: 4 });
   * raw.prep(ring.sq.sqes, ring.sq.next(), constants.Opcode.NOP, -1, 0, 0, 0);
   * console.log(ring.sq.pending()); // 1
   * ring.enter(ring.sq.publish(), 1, constants.Enter.GETEVENTS);
   * console.log(ring.sq.pending()); // 0: consumed
   * ring.close();
   * ```
   */
  pending(): number {
    return (this.tail - Atomics.load(this.ring, this.headIdx)) >>> 0;
  }

  /**
   * IORING_SQ_* bits the kernel sets (NEED_WAKEUP, CQ_OVERFLOW, TASKRUN).
   * @returns the SQ ring's flags word (`constants.SqRingFlag` bits), read now
   * @example
   * ```ts
   * import { raw, constants } from 'ringcore';
   *
   * const ring = new raw.RawRing();
   * const f = ring.sq.flags();
   * // CQ_OVERFLOW: completions wait outside the CQ; an enter with GETEVENTS brings them in.
   * if (f & constants.SqRingFlag.CQ_OVERFLOW) ring.enter(0, 0, constants.Enter.GETEVENTS);
   * ring.close();
   * ```
   */
  flags(): number {
    return Atomics.load(this.ring, this.flagsIdx);
  }

  /**
   * SQEs the kernel dropped as invalid (bad index in the SQ array).
   * @returns the SQ ring's dropped counter (0 unless an SQ array entry was out of range)
   * @example
   * ```ts
   * import { raw } from 'ringcore';
   *
   * const ring = new raw.RawRing();
   * console.log(ring.sq.dropped()); // 0
   * ring.close();
   * ```
   */
  dropped(): number {
    return Atomics.load(this.ring, this.droppedIdx);
  }
}

export class CompletionQueue {
  /** The CQ ring mapping as 32-bit words: head, tail, and the CQEs (4 words each). */
  readonly ring: Uint32Array;
  /** The same memory as signed words, for `cqe.res`. */
  readonly ringI32: Int32Array;
  readonly entries: number;
  readonly mask: number;
  readonly headIdx: number;
  readonly tailIdx: number;
  readonly overflowIdx: number;
  /** Word index of CQE 0. */
  readonly cqesIdx: number;
  /** Words per CQE: 4, or 8 with IORING_SETUP_CQE32. */
  readonly cqeWords: number;

  constructor(r: SetupResult) {
    this.ring = new Uint32Array(r.cqRing);
    this.ringI32 = new Int32Array(r.cqRing);
    const o = r.cqOff;
    this.headIdx = o.head >>> 2;
    this.tailIdx = o.tail >>> 2;
    this.overflowIdx = o.overflow >>> 2;
    this.cqesIdx = o.cqes >>> 2;
    this.entries = this.ring[o.ringEntries >>> 2];
    this.mask = this.ring[o.ringMask >>> 2];
    this.cqeWords = r.flags & Setup.CQE32 ? 8 : 4;
  }

  /**
   * Load-acquire the kernel's tail: CQEs from `head()` up to it may be read.
   * @returns the CQ tail (a 32-bit counter: `(tail - head) >>> 0` CQEs are ready)
   * @example
   * ```ts
   * import { raw, constants } from 'ringcore';
   *
   * const ring = new raw.RawRing();
   * raw.prep(ring.sq.sqes, ring.sq.next(), constants.Opcode.NOP, -1, 0, 0, 0);
   * ring.enter(ring.sq.publish(), 1, constants.Enter.GETEVENTS);
   * const cq = ring.cq;
   * for (let h = cq.head(), t = cq.tail(); h !== t; h = (h + 1) >>> 0) {
   *   console.log(raw.decodeCqe(cq.ring, cq.cqesIdx + (h & cq.mask) * cq.cqeWords).res); // 0
   * }
   * Atomics.store(cq.ring, cq.headIdx, cq.tail()); // store-release: the entries are the kernel's again
   * ring.close();
   * ```
   */
  tail(): number {
    return Atomics.load(this.ring, this.tailIdx);
  }

  /**
   * Our head (only we write it, so a plain read would do; Atomics keeps it uniform).
   * The reaper (runtime/engine.ts) loads and store-releases it through `headIdx` itself;
   * so does a RawRing's user: `Atomics.store(cq.ring, cq.headIdx, newHead)`.
   * @returns the CQ head: the next CQE to read is at `cqesIdx + (head & mask) * cqeWords`
   * @example
   * ```ts
   * import { raw } from 'ringcore';
   *
   * const ring = new raw.RawRing();
   * console.log(ring.cq.tail() - ring.cq.head()); // 0: nothing completed yet
   * ring.close();
   * ```
   */
  head(): number {
    return Atomics.load(this.ring, this.headIdx);
  }

  /**
   * CQEs the kernel had to drop (only without IORING_FEAT_NODROP: since 5.5 it keeps
   * overflowed CQEs and sets `SqRingFlag.CQ_OVERFLOW` instead).
   * @returns the CQ ring's overflow counter
   * @example
   * ```ts
   * import { raw } from 'ringcore';
   *
   * const ring = new raw.RawRing();
   * console.log(ring.cq.overflow()); // 0
   * ring.close();
   * ```
   */
  overflow(): number {
    return Atomics.load(this.ring, this.overflowIdx);
  }
}
