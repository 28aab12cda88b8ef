/**
 * `RingEngine`: one io_uring instance and the machinery around it — submitting SQEs,
 * entering the kernel, reaping CQEs and routing each to its operation.  `Ring`
 * (ring.ts) is this plus the public shortcuts that make ops (`ring.read()`, ...).
 *
 * Life of a request:
 *   1. `await op` → `op.then` (or `op.promise()`) → `ring.submit(op)`: admit it (not
 *      aborted, its handle still open), take a free SQE (or keep it in the backlog
 *      for the next turn if the SQ is full), check its memory, take a slot, let the op
 *      encode its SQE, stamp user_data = (slot, generation).  Nothing is published yet.
 *   2. The driver runs a turn (event-loop mode: once per Node loop turn, from
 *      setImmediate; run() mode: from its own loop): store-release the SQ tail and make
 *      ONE io_uring_enter that submits everything written since the last turn.
 *   3. Reap: load-acquire the CQ tail, read each CQE, route it through the slot table
 *      to its op (which resolves its awaiters), store-release the CQ head.
 *   4. When completions arrive while Node sleeps, the driver's watcher (the ring fd,
 *      or an eventfd with DEFER_TASKRUN) wakes the loop and calls `wake()`.
 *
 * The ring never blocks the event loop: in event-loop mode it enters with
 * min_complete = 0.  Only `run()` sleeps inside io_uring_enter.
 *
 * May touch: the mapped rings (through sys/rings.ts), the native enter/register/close,
 * the slot table.  It writes SQEs only through ops' `prepare` (sys/sqe.ts).
 */
import { native } from '../sys/native.js';
import { CompletionQueue, SubmissionQueue } from '../sys/rings.js';
import { CancelFlag, CqeFlag, Enter, Setup, SqeFlag, SqRingFlag } from '../sys/constants.js';
import { orSqeFlags, setUserData } from '../sys/sqe.js';
import { CW } from '../sys/cqe.js';
import { FD_RESULT, GEN_MASK, SlotTable, type Completion } from '../op/slots.js';
import { admitOp, completeOp, isQueued, markSent, Op, type Submitter } from '../op/op.js';
import { adoptFd, closingFd } from '../sys/fds.js';
import { CancelOp, prepCancel } from '../op/cancel.js';
import { CloseOp } from '../op/io.js';
import { TimespecArena } from '../op/timespec.js';
import { errnoError, invalidArgType, ringClosedError } from '../op/errors.js';
import { setupRing } from './setup.js';
import { Tracer, traceFromEnv } from './trace.js';
import { EventLoopDriver } from './loop.js';
import { probeOpcodes } from './probe.js';
import type { Driver, DriveOptions, DrivenRing } from './driver.js';

import type { BufferRing } from './bufring.js';
import { EAGAIN, EBUSY, ECANCELED, EINTR } from '../sys/errno.js';
import { checkInteger } from '../op/validate.js';

export interface RingOptions {
  /** SQ entries (rounded up to a power of two by the kernel). Default 1024. */
  entries?: number;
  /** CQ entries. Default 4 × entries: more completions than SQEs can be pending. */
  cqEntries?: number;
  /**
   * A kernel thread polls the SQ (IORING_SETUP_SQPOLL): no enter needed to submit
   * while it is awake.  It burns a CPU; never the default.  Unprivileged since 5.13.
   */
  sqpoll?: boolean | { idleMs?: number; cpu?: number };
  /** Exact io_uring_setup flags, with no fallback. */
  flags?: number;
  /** Print every SQE and CQE (default: RINGCORE_TRACE in the environment). */
  trace?: boolean;
}

/** Counters since the ring was created. */
export interface RingStats {
  /** io_uring_enter system calls. */
  enters: number;
  /** SQEs the kernel consumed. */
  sqesSubmitted: number;
  /** CQEs reaped. */
  cqesReaped: number;
  /** Requests submitted whose terminal CQE has not arrived. */
  inFlight: number;
  /** Enters made only to move overflowed CQEs back into the CQ. */
  overflowFlushes: number;
  /** Driver turns (event-loop turns that flushed the ring, or run() iterations). */
  turns: number;
  /** Wake-ups from the watcher (completions that arrived while Node slept). */
  wakeups: number;
  /** Enters that waited for completions (run() mode). */
  waits: number;
  /** CQEs whose user_data named no live request (never expected; counted, not fatal). */
  staleCqes: number;
  /** Operations waiting for a free SQE. */
  backlog: number;
}


/** placeChain: a member that settled while it waited (nothing to reject it with). */
const SETTLED = Symbol('settled');
/** placeOne/placeChain results: written or settled; no SQ room now (keep it for later). */
const DONE = 0;
const NO_ROOM = 1;
/** The CQE field guide's word offsets (sys/cqe.ts), as constants the reaper's loads fold. */
const { UD_LO: CQE_UD_LO, UD_HI: CQE_UD_HI, RES: CQE_RES, FLAGS: CQE_FLAGS } = CW;

export class RingEngine implements Submitter {
  readonly fd: number;
  /** The setup flags the ring actually has. */
  readonly setupFlags: number;
  /** IORING_FEAT_* reported by the kernel. */
  readonly features: number;
  readonly sqEntries: number;
  readonly cqEntries: number;
  /** Opcodes this kernel supports (IORING_REGISTER_PROBE); empty if probing failed. */
  readonly supported: ReadonlySet<number>;
  private isClosed = false;

  private readonly handle: object;
  private readonly sq: SubmissionQueue;
  private readonly cq: CompletionQueue;
  private readonly slots = new SlotTable(256);
  /** Words the native cleanup reads (native/ringcore.c rc_ring.shared). */
  private readonly shared: Int32Array;
  private readonly tracer: Tracer | null;
  private readonly sqpoll: boolean;
  /** @internal With DEFER_TASKRUN every reap must be preceded by an enter with GETEVENTS. */
  readonly deferTaskrun: boolean;
  private driverImpl: Driver;
  private flushPending = false;
  private reaping = false;
  /** SQPOLL: the tail as of the last publish, to count what the kernel thread takes. */
  private sqPublished = 0;
  /** Ops that found the SQ full even after a flush (SQPOLL, or a kernel refusing). */
  private backlog: (Op<unknown> | Op<unknown>[])[] = [];
  /** TIMEOUT / LINK_TIMEOUT timespecs, one per slot. */
  private readonly timespecs = new TimespecArena();
  private onDrained: (() => void) | null = null;
  /** close() wants the cancel-everything request written at the next turn. */
  private cancelAllDue = false;
  /** close() finished: nothing may touch the mapped memory any more. */
  private unmapped = false;
  /** @internal CQEs the last reap handled (the driver's hint: a small batch is latency-bound). */
  lastReaped = 0;
  /** Requests in flight whose owner was unref()'d: they do not keep the process alive. */
  private weakInFlight = 0;
  /** Provided-buffer groups registered with this ring (Ring.provideBuffers): freed at close. */
  protected readonly bufferRings: BufferRing[] = [];
  private closing: Promise<void> | null = null;
  /** whenClosing() callbacks: what layers above keep per ring (sendFile's idle pipes). */
  private closeHooks: (() => void)[] = [];
  private readonly counters = {
    enters: 0, sqesSubmitted: 0, cqesReaped: 0, overflowFlushes: 0, turns: 0, wakeups: 0, waits: 0, staleCqes: 0,
  };

  /**
   * @param drive who runs the turns — by default Node's event loop; `run()` passes its
   *   own executor and asks for DEFER_TASKRUN (runtime/driver.ts).
   */
  constructor(options: RingOptions = {}, drive: DriveOptions = {}) {
    if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
    const entries = checkInteger(options.entries ?? 1024, 'options.entries', 1, 32768);
    const cqEntries = checkInteger(options.cqEntries ?? entries * 4, 'options.cqEntries', entries, 65536);
    const sp = options.sqpoll;
    if (sp !== undefined && typeof sp !== 'boolean' && (sp === null || typeof sp !== 'object')) {
      throw invalidArgType('options.sqpoll', 'of type boolean or object', sp);
    }
    const sqpoll = sp !== undefined && sp !== false;
    const spo = typeof sp === 'object' ? sp : {};
    const idleMs = checkInteger(spo.idleMs ?? 1000, 'options.sqpoll.idleMs', 0, 0xffffffff);
    const cpu = spo.cpu === undefined ? undefined : checkInteger(spo.cpu, 'options.sqpoll.cpu', 0, 0xffff);
    const flags = options.flags === undefined ? undefined : checkInteger(options.flags, 'options.flags', 0, 0xffffffff);
    if (options.trace !== undefined && typeof options.trace !== 'boolean') {
      throw invalidArgType('options.trace', 'of type boolean', options.trace);
    }
    const r = setupRing({ entries, cqEntries, sqpoll, sqThreadIdle: idleMs, sqThreadCpu: cpu, flags, deferTaskrun: drive.deferTaskrun ?? false });
    this.handle = r.handle;
    this.fd = r.fd;
    this.setupFlags = r.flags;
    this.features = r.features;
    this.sqEntries = r.sqEntries;
    this.cqEntries = r.cqEntries;
    this.sq = new SubmissionQueue(r);
    this.cq = new CompletionQueue(r);
    this.shared = new Int32Array(r.shared, 0, 2);
    this.shared[1] = this.sq.tail;
    this.sqpoll = (r.flags & Setup.SQPOLL) !== 0;
    this.deferTaskrun = (r.flags & Setup.DEFER_TASKRUN) !== 0;
    this.tracer = options.trace ?? traceFromEnv() ? new Tracer(r.fd) : null;
    this.supported = probeOpcodes(r.fd);
    this.driverImpl = (drive.driver ?? eventLoopDriver)(this);
  }

  // ------------------------------------------------------------ submission --

  /** close() was called: new requests are refused (EBADF). */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Requests submitted and not yet completed. */
  get inFlight(): number {
    // Every submitted request holds exactly one slot until its terminal CQE.
    return this.slots.used;
  }

  /**
   * @internal
   * Submitter: write `op`'s SQE into the next free entry, or — if the SQ is full, or
   * older requests are already waiting — keep it for the next turn.  Never enters the
   * kernel itself: a turn does, from the event loop, so that however many requests
   * are ready, Node's timers and I/O get their share of every loop turn (a ring that
   * entered and reaped here would keep continuations in the microtask queue forever).
   */
  submit(op: Op<unknown>): void {
    if (this.backlog.length === 0 && this.placeOne(op) !== NO_ROOM) return;
    this.backlog.push(op);
    this.requestTurn();
  }

  /**
   * @internal
   * Submitter: `ops` as one IOSQE_IO_LINK chain, written back to back in one
   * submission (a chain split across two enters would link to whatever comes next).
   * The caller (op/link.ts) has checked that the SQ can hold it.
   */
  submitChain(ops: Op<unknown>[]): void {
    if (this.backlog.length === 0 && this.placeChain(ops) !== NO_ROOM) return;
    this.backlog.push(ops);
    this.requestTurn();
  }

  /**
   * Write one op's SQE if it may still go to the kernel, refuse it if not, or say
   * NO_ROOM (the caller keeps it for later).  The only place (with placeChain) that
   * takes SQ entries and slots.
   *
   * Order matters: admission first — it may run user code (a signal's `aborted`
   * getter), which may submit other requests or fill the SQ — and only then take an
   * entry, check the memory (engine getters, no user code) and write.  Between taking
   * the entry and writing it nothing else can run, so a refused op gives back exactly
   * the entry it took.
   */
  private placeOne(op: Op<unknown>): number {
    if (!isQueued(op)) return DONE; // settled while it waited (aborted): it never reaches the kernel
    const refusal = admission(op);
    if (refusal !== undefined) {
      op.refuse(refusal);
      return DONE;
    }
    if (!isQueued(op)) return DONE; // the getter aborted it
    if (this.isClosed) {
      op.refuse(ringClosedError(op.syscall)); // the getter closed the ring
      return DONE;
    }
    const index = this.sq.next();
    if (index < 0) return NO_ROOM;
    const gone = op.check();
    if (gone !== undefined) {
      this.sq.rewind(1);
      op.refuse(gone);
      return DONE;
    }
    let slot = -1;
    try {
      slot = this.slots.alloc(op);
      this.writeSqe(op, index, slot, 0);
    } catch (e) {
      // Thrown before writeSqe's paired stores: nothing was published or counted.
      this.sq.rewind(1);
      if (slot >= 0) this.slots.release(slot);
      op.req.slot = -1;
      op.refuse(e);
      return DONE;
    }
    markSent(op);
    if (op.req.unref) this.countWeak(op);
    if (op instanceof CloseOp) this.closeWritten(op);
    if (!this.flushPending) this.requestTurn();
    return DONE;
  }

  /**
   * Write a chain whole, or none of it: every member must be admitted first.  If one
   * is refused (aborted, its handle closed, a buffer detached...), it rejects with its
   * own error and the others with ECANCELED — what the kernel would have done had
   * the chain broken there — and no SQE is written, so nothing outside the chain can
   * ever be linked to it.  NO_ROOM if the SQ cannot hold it now.
   */
  private placeChain(ops: Op<unknown>[]): number {
    // Every member's admission (which may run user code — a getter that detaches
    // another member's buffer, or submits requests of its own) before the room is
    // counted and any memory is checked (no user code), and the SQEs right after:
    // nothing can change in between.
    let refusals: unknown[] | undefined;
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i];
      const r = isQueued(op) ? admission(op) : SETTLED;
      if (r !== undefined) (refusals ??= new Array(ops.length))[i] = r;
    }
    if (refusals === undefined && this.isClosed) {
      for (const op of ops) if (isQueued(op)) op.refuse(ringClosedError(op.syscall)); // a getter closed the ring
      return DONE;
    }
    if (refusals === undefined) {
      for (let i = 0; i < ops.length; i++) if (!isQueued(ops[i])) (refusals ??= new Array(ops.length))[i] = SETTLED;
    }
    if (refusals === undefined) {
      if (this.sq.free() < ops.length) return NO_ROOM;
      for (let i = 0; i < ops.length; i++) {
        const r = ops[i].check();
        if (r !== undefined) (refusals ??= new Array(ops.length))[i] = r;
      }
    }
    if (refusals === undefined) {
      const slots: number[] = [];
      let taken = 0; // SQ entries taken
      let written = 0; // SQEs written and counted (writeSqe returned)
      try {
        for (let i = 0; i < ops.length; i++) {
          const index = this.sq.next(); // room was counted just above; nothing ran since
          taken++;
          const slot = this.slots.alloc(ops[i]);
          slots.push(slot);
          this.writeSqe(ops[i], index, slot, i < ops.length - 1 ? SqeFlag.IO_LINK : 0);
          written++;
        }
      } catch (e) {
        // Member `written` threw before its own stores: undo the SQ entries and the
        // count of those written before it (adjacent stores, as in writeSqe).
        this.sq.rewind(taken);
        const sh = this.shared;
        sh[1] = this.sq.tail;
        sh[0] = sh[0] - written;
        for (let i = 0; i < slots.length; i++) {
          this.slots.release(slots[i]);
          ops[i].req.slot = -1;
        }
        refusals = new Array(ops.length);
        refusals[written] = e;
      }
      if (refusals === undefined) {
        for (const op of ops) {
          markSent(op);
          if (op.req.unref) this.countWeak(op);
          if (op instanceof CloseOp) this.closeWritten(op);
        }
        if (!this.flushPending) this.requestTurn();
        return DONE;
      }
    }
    for (let i = 0; i < ops.length; i++) {
      const r = refusals[i];
      if (r === SETTLED || !isQueued(ops[i])) continue;
      ops[i].refuse(r !== undefined ? r : errnoError(ECANCELED, ops[i].syscall));
    }
    return DONE;
  }

  /**
   * A CLOSE is written: make the SQ tail visible now (SubmissionQueue.expose) and note
   * in the thread's fd ledger that the close is on its way — if the thread ends before
   * the next enter, the native cleanup submits it and does not close the fd again.
   */
  private closeWritten(op: CloseOp): void {
    this.sq.expose();
    closingFd(op.fd);
  }

  /** Encode `op` into entry `index` for `slot`: prepare, user_data, flags, trace. */
  private writeSqe(op: Op<unknown>, index: number, slot: number, linkFlag: number): void {
    const sqes = this.sq.sqes;
    const hi = op.fdResult ? this.slots.gen[slot] | FD_RESULT : this.slots.gen[slot];
    const req = op.req;
    req.slot = slot;
    req.udLo = slot;
    req.udHi = hi;
    op.prepare(sqes, index);
    setUserData(sqes, index, slot, hi);
    const f = req.sqeFlags | linkFlag;
    if (f !== 0) orSqeFlags(sqes, index, f);
    if (this.tracer !== null) this.tracer.sqe(sqes, index);
    // The native cleanup's words (native/ringcore.c): SQEs complete up to here, and one
    // more request to wait for.  Two adjacent stores with no call between them: a
    // worker's termination (V8 checks for it at calls and loop edges) cannot fall
    // between, so the cleanup never waits for a request it will not see, nor misses one.
    const sh = this.shared;
    sh[1] = this.sq.tail;
    sh[0] = sh[0] + 1;
    // Nothing after these two stores may throw (the caller would undo the SQE but not
    // the count): the turn is requested by the caller once the op is placed.
  }

  private requestTurn(): void {
    // Our flag (and the driver's) only once the turn is really scheduled: a
    // setImmediate that throws (at the stack limit) must not leave the ring believing
    // a turn is coming, or it would never take another.
    this.driverImpl.schedule();
    this.flushPending = true;
  }

  /** @internal Submitter: cancel a submitted op on behalf of its AbortSignal. */
  cancelSubmitted(op: Op<unknown>): void {
    if (this.closed) return; // close() cancels everything
    new CancelOp(this, op).start();
  }

  /**
   * @internal
   * Submitter: a `struct __kernel_timespec` for `ms` in memory owned by `slot`, which
   * lives as long as the ring (op/timespec.ts).  Its address.
   */
  timespec(slot: number, ms: number): number {
    return this.timespecs.write(slot, ms);
  }

  /**
   * Write what waited for room, in order, as far as the SQ holds it (a chain only
   * whole).  Once one unit does not fit, the rest waits too: order is kept.
   */
  private drainBacklog(): void {
    const b = this.backlog;
    let i = 0;
    // (User code run by an admission may push onto the backlog — placed in order
    // behind — or close the ring, which empties it.)
    for (; i < b.length; i++) {
      const unit = b[i];
      const r = Array.isArray(unit) ? this.placeChain(unit) : this.placeOne(unit);
      if (r === NO_ROOM) break;
    }
    b.splice(0, i);
  }

  // ---------------------------------------------------------------- kernel --

  /**
   * @internal
   * One turn: submit everything written since the last turn in one io_uring_enter,
   * then reap.  The event-loop driver calls this once per loop turn.
   */
  turn(minComplete = 0): void {
    if (this.unmapped) return;
    this.flushPending = false;
    this.counters.turns++;
    this.drainBacklog();
    if (this.cancelAllDue) this.writeCancelAll();
    this.enterAndReap(minComplete);
    if (this.backlog.length > 0 || this.cancelAllDue) this.requestTurn();
    this.afterReap();
  }

  /** @internal The watcher saw completions while Node slept. */
  wake(): void {
    if (this.unmapped) return;
    this.counters.wakeups++;
    if (this.deferTaskrun) this.enterAndReap(0); // completions are posted only inside enter
    else this.reapAll();
    this.afterReap();
  }

  /** @internal Are CQEs waiting to be reaped? */
  hasCompletions(): boolean {
    return !this.unmapped && this.cq.tail() !== this.cq.head();
  }

  /**
   * @internal A number that changes whenever an SQE is written or an op joins the
   * backlog (the driver's follow() waits for it to stay still before it enters).
   */
  get writeMark(): number {
    return (this.sq.tail + this.backlog.length) | 0;
  }

  /** @internal SQEs written but not yet consumed by the kernel, or ops waiting for an SQE. */
  hasUnsubmitted(): boolean {
    return !this.unmapped && (this.sq.pending() > 0 || this.backlog.length > 0 || this.cancelAllDue);
  }

  /**
   * Tell the driver whether anything is in flight (it keeps the process alive while
   * so; it only calls into native code when that changes), and finish a close().
   */
  private afterReap(): void {
    const idle = this.slots.used === 0;
    this.driverImpl.idle(this.slots.used - this.weakInFlight === 0);
    if (idle && this.onDrained !== null && !this.cancelAllDue) this.onDrained();
  }

  /**
   * A request that only waits for a peer (an accept, a recv) of an unref()'d owner went
   * in flight: it does not keep the process alive.  Sends, connects and closes always
   * do — as in Node, an unref()'d socket still finishes writing what it was given.
   */
  private countWeak(op: Op<unknown>): void {
    op.req.weak = true;
    this.weakInFlight++;
  }

  /**
   * @internal ref()/unref() of an owner whose op is in flight (a multishot accept or
   * recv that stays armed): count it again, or no longer, as keeping the process alive.
   * An op not in flight is counted when it is placed, from `req.unref`.
   */
  setWeak(op: Op<unknown>, weak: boolean): void {
    const req = op.req;
    req.unref = weak;
    if (req.slot < 0 || req.weak === weak) return;
    req.weak = weak;
    this.weakInFlight += weak ? 1 : -1;
    if (!this.unmapped) this.driverImpl.idle(this.slots.used - this.weakInFlight === 0);
  }

  /**
   * Publish the SQ tail, io_uring_enter, reap.  `minComplete > 0` sleeps in the
   * kernel until that many completions are available (run() mode only).
   */
  private enterAndReap(minComplete: number): void {
    const sq = this.sq;
    let toSubmit = sq.publish();
    let flags = minComplete > 0 || this.deferTaskrun ? Enter.GETEVENTS : 0;
    if (this.sqpoll) {
      // The kernel thread consumes the SQ by itself; enter only to wake it or to wait.
      // (Atomics.load of sq_flags after the tail store is the full barrier the
      // protocol needs here: both are sequentially consistent.)  What we published
      // since the last turn is counted as submitted: the thread will take it.
      this.counters.sqesSubmitted += (sq.tail - this.sqPublished) >>> 0;
      this.sqPublished = sq.tail;
      if (sq.flags() & SqRingFlag.NEED_WAKEUP) flags |= Enter.SQ_WAKEUP;
      toSubmit = 0;
    }
    if (toSubmit > 0 || flags !== 0) {
      for (let attempt = 0; ; attempt++) {
        const r = native.enter(this.fd, toSubmit, minComplete, flags);
        this.counters.enters++;
        if (minComplete > 0) this.counters.waits++;
        if (this.tracer !== null) this.tracer.enter(toSubmit, minComplete, flags, r);
        if (r >= 0) {
          if (!this.sqpoll) this.counters.sqesSubmitted += r;
          break;
        }
        if (r === EINTR) continue;
        if ((r === EAGAIN || r === EBUSY) && attempt < 64) {
          // The kernel wants completions reaped first (CQ overflow backlog, or no
          // memory for requests right now).  Reap, then retry with what is left.
          this.reap();
          flags |= Enter.GETEVENTS;
          minComplete = 0;
          toSubmit = this.sqpoll ? 0 : sq.pending();
          continue;
        }
        throw errnoError(r, 'io_uring_enter');
      }
    }
    this.reapAll();
  }

  /**
   * Reap, then bring back completions that overflowed: with IORING_FEAT_NODROP the
   * kernel keeps what the CQ could not hold and sets IORING_SQ_CQ_OVERFLOW; an enter
   * with GETEVENTS moves them back (io_uring_enter(2)).  Bounded: each pass frees up
   * to a full CQ.  Not from inside a reap (a nested call cannot drain the CQ, so the
   * flushes would find it still full); the outer call comes back here when done.
   */
  private reapAll(): void {
    this.reap();
    const sq = this.sq;
    for (let i = 0; i < 64 && !this.reaping && (sq.flags() & SqRingFlag.CQ_OVERFLOW) !== 0; i++) {
      const r = native.enter(this.fd, 0, 0, Enter.GETEVENTS);
      this.counters.enters++;
      this.counters.overflowFlushes++;
      if (this.tracer !== null) this.tracer.enter(0, 0, Enter.GETEVENTS, r);
      if (this.reap() === 0 && r < 0 && r !== EINTR && r !== EBUSY && r !== EAGAIN) break;
    }
  }

  /**
   * Reap every CQE: load-acquire the tail, dispatch, store-release the head.  An
   * op's waiters may run user code that submits more (and so re-enters); that nested
   * call returns at once and this loop picks up whatever arrived meanwhile.
   */
  private reap(): number {
    if (this.reaping) return 0;
    this.reaping = true;
    const cq = this.cq;
    const ring = cq.ring;
    const res32 = cq.ringI32;
    const mask = cq.mask;
    const base = cq.cqesIdx;
    const words = cq.cqeWords;
    const slots = this.slots;
    const sh = this.shared;
    let head = Atomics.load(ring, cq.headIdx);
    let n = 0;
    try {
      for (;;) {
        const tail = Atomics.load(ring, cq.tailIdx);
        if (head === tail) break;
        do {
          const w = base + (head & mask) * words;
          const lo = ring[w + CQE_UD_LO];
          const hi = ring[w + CQE_UD_HI];
          const res = res32[w + CQE_RES];
          const flags = ring[w + CQE_FLAGS];
          head = (head + 1) >>> 0;
          n++;
          // A new fd is ours from here on (the thread's ledger closes it if the thread
          // ends), and the CQE is copied out: give its entry back before handling it.
          // Either the native cleanup still sees the CQE (and closes the fd), or the
          // ledger has the fd — never both, never neither, wherever the thread stops.
          if ((hi & FD_RESULT) !== 0 && res >= 0) adoptFd(res);
          const op = lo < slots.ops.length && slots.gen[lo] === (hi & GEN_MASK) ? slots.ops[lo] : undefined;
          const terminal = op !== undefined && (flags & CqeFlag.MORE) === 0;
          // One request fewer to wait for, and the CQE consumed: adjacent stores, as
          // in writeSqe, so that a termination leaves the two words agreeing.
          if (terminal) sh[0] = sh[0] - 1;
          Atomics.store(ring, cq.headIdx, head);
          this.dispatch(op, lo, hi, res, flags, terminal); // never throws: see dispatch
        } while (head !== tail);
      }
    } finally {
      Atomics.store(ring, cq.headIdx, head);
      this.reaping = false;
      this.counters.cqesReaped += n;
      this.lastReaped = n;
    }
    return n;
  }

  private dispatch(op: Completion | undefined, lo: number, hi: number, res: number, flags: number, terminal: boolean): void {
    if (this.tracer !== null) this.tracer.cqe(lo, hi, res, flags);
    if (op === undefined) {
      if (lo !== 0 || hi !== 0) this.counters.staleCqes++; // (0, 0): the ring's own request
      return;
    }
    // Handling one CQE can reach user code (a getter, a signal's listeners); if it
    // throws, the error is that op's — it must not stop the other CQEs of the batch.
    try {
      if (!terminal) {
        op.more(res, flags);
        return;
      }
      this.slots.release(lo);
      const o = op as Op<unknown>; // the ring stores only Ops in its slots
      if (o.req.weak) {
        o.req.weak = false;
        this.weakInFlight--;
      }
      completeOp(o, res, flags);
    } catch (e) {
      op.fail(e);
    }
  }

  // --------------------------------------------------------------- control --

  /** The counters since creation, as a snapshot (Ring.stats()). */
  protected snapshot(): RingStats {
    return { ...this.counters, inFlight: this.slots.used, backlog: this.backlog.length };
  }

  /**
   * Close the ring (Ring.close()): refuse new requests, cancel everything in flight
   * (one IORING_OP_ASYNC_CANCEL with CANCEL_ANY|ALL, written at the next turn), and
   * once every terminal CQE is in — at the end of a driver turn, never in the middle
   * of a reap — unmap the rings, free the buffer groups and close the fd.  Idempotent.
   */
  protected shutdown(): Promise<void> {
    if (this.closing !== null) return this.closing;
    this.isClosed = true;
    for (const fn of this.closeHooks.splice(0)) fn();
    this.closing = new Promise<void>((resolve) => {
      this.onDrained = () => {
        this.onDrained = null;
        this.unmapped = true;
        for (const b of this.bufferRings) b.close();
        this.driverImpl.close();
        native.close(this.handle);
        resolve();
      };
    });
    this.cancelAllDue = this.slots.used > 0;
    this.requestTurn();
    for (const unit of this.backlog.splice(0)) {
      for (const op of Array.isArray(unit) ? unit : [unit]) {
        if (isQueued(op)) op.refuse(ringClosedError(op.syscall)); // never reached the kernel
      }
    }
    return this.closing;
  }

  /** The ring's own request: cancel everything (user_data 0 names no slot; op/slots.ts). */
  private writeCancelAll(): void {
    const index = this.sq.next();
    if (index < 0) return; // the SQ is full of unsubmitted entries: after this enter
    this.cancelAllDue = false;
    const sqes = this.sq.sqes;
    prepCancel(sqes, index, -1, 0, 0, CancelFlag.ANY | CancelFlag.ALL); // user_data stays (0, 0)
    if (this.tracer !== null) this.tracer.sqe(sqes, index);
    this.shared[1] = this.sq.tail;
  }

  /**
   * @internal `fn` when close() is called (at once if it has been): the layers above
   * the runtime (which it does not import) free what they keep per ring — idle pipes
   * (net/pipes.ts).  `fn` runs with `closed` already true and must not throw.
   */
  whenClosing(fn: () => void): void {
    if (this.isClosed) fn();
    else this.closeHooks.push(fn);
  }

  /** @internal Submitter: `fn` once close() has finished (at once, in a microtask, if it has). */
  afterClose(fn: () => void): void {
    if (this.closing === null) throw new Error('afterClose before close()'); // never: only refused ops ask
    void this.closing.then(fn);
  }

  /** @internal close() has finished: the rings are unmapped and the fd closed. */
  get finished(): boolean {
    return this.unmapped;
  }

  /** @internal The native handle (the portable wake-up thread reads the CQ words through it). */
  get nativeHandle(): object {
    return this.handle;
  }

  /** @internal Who drives this ring (the event loop, or a run() executor). */
  get driver(): Driver {
    return this.driverImpl;
  }
}

/** `admitOp(op)`, with an exception (a throwing getter) as the refusal. */
function admission(op: Op<unknown>): unknown {
  try {
    return admitOp(op);
  } catch (e) {
    return e;
  }
}

function eventLoopDriver(ring: DrivenRing): Driver {
  return new EventLoopDriver(ring);
}
