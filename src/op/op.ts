/**
 * `Op<T>`: one io_uring request as a lazy thenable.
 *
 * In Rust, a future does nothing until it is first polled; the original RingCore
 * wrote its SQE on that first `poll`.  The JavaScript counterpart of "first poll" is
 * the first call of `then`: `await op` calls `op.then(resolve, reject)` (through a
 * PromiseResolveThenableJob), and that is when we take a slot and write the SQE.  An
 * Op that is created and never awaited costs nothing and reaches no kernel.  Unlike a
 * Rust future, an Op is not dropped when its awaiter loses interest: once written,
 * the SQE belongs to the kernel until its terminal CQE, so the Op (and with it every
 * buffer, iovec array, path and timespec its SQE points at) stays referenced from the
 * slot table until then — even after an abort.
 *
 * The slot's waiters are the waker: the terminal CQE calls them with the result.
 * Waiters are called as the CQE is reaped.  For `await` they are the promise's own
 * resolving functions, so the awaiting code resumes in a microtask as usual.
 *
 * States (docs: the lifecycle diagram in the README's "Follow one await"):
 *
 *   IDLE ──start()──▶ QUEUED ──ring writes the SQE──▶ SUBMITTED ──terminal CQE──▶ FULFILLED | REJECTED
 *                       │  └──refused by admit()──▶ REJECTED          │
 *                       └──abort──▶ REJECTED                          └──abort──▶ ABANDONED ──terminal CQE──▶ (consume)
 *
 * Receives (RECV, RECVMSG) and stream sends (SEND) — `keepOutcome` — are the exception
 * to "abort rejects at once": what they receive is gone from the socket, what they sent
 * cannot be called back, so an abort after submission sends the cancel and stays
 * SUBMITTED; the terminal CQE decides — bytes that won the race resolve the op (a send
 * with the count that went), a cancelled request rejects with the AbortError.
 *
 * QUEUED means "wants an SQE": the ring may write it at once or keep it in its
 * backlog until the next turn (the SQ is full).  Just before writing, the ring asks
 * `admit()` whether the op may still go to the kernel: the signal may have aborted,
 * the handle may have closed (its fd number may already name another file), a buffer
 * may have been detached.  Whatever was true when the op was made, only what is true
 * when its SQE is written counts.
 *
 * May touch: its ring (to submit and cancel), its waiters.  It never writes SQE bytes
 * itself: `prepare` calls into `sys/sqe.ts`.
 */
import type { Completion } from './slots.js';
import { AbortError, errnoError, ringClosedError } from './errors.js';
import { microtask } from './microtask.js';
import { checkSignal } from './validate.js';

/** What an Op needs from a ring (implemented by runtime/ring.ts). */
export interface Submitter {
  /** @internal Queue `op` for an SQE: written now if the SQ has room, else at the next turn. */
  submit(op: Op<unknown>): void;
  /** @internal Queue `ops` as one IOSQE_IO_LINK chain: written together, or none of them. */
  submitChain(ops: Op<unknown>[]): void;
  /** @internal Ask the kernel to cancel a submitted op (IORING_OP_ASYNC_CANCEL). */
  cancelSubmitted(op: Op<unknown>): void;
  /** @internal Write a timespec for `ms` into memory owned by `slot`; its address. */
  timespec(slot: number, ms: number): number;
  /** @internal SQ entries: the longest chain that fits one submission. */
  readonly sqEntries: number;
  /** @internal Call `fn` once the ring, closed, has no request left in the kernel. */
  afterClose(fn: () => void): void;
  readonly closed: boolean;
}

const IDLE = 0; // created, nothing asked of the ring yet
const QUEUED = 1; // started: waiting for the ring to write its SQE
const SUBMITTED = 2; // SQE written, waiting for its terminal CQE
const ABANDONED = 3; // aborted after submission: awaiters rejected, the terminal CQE is still due
const FULFILLED = 4; // settled with a value
const REJECTED = 5; // settled with an error

/**
 * Something waiting for an op: the `then` callbacks (`Chained`), or a batch waiter
 * (`op/batch.ts`) that waits for many ops with one promise.  Called once.
 */
export interface Waiter {
  settle(ok: boolean, value: unknown): void;
}

type Fulfill<T> = ((value: T) => unknown) | null | undefined;
type Reject = ((reason: unknown) => unknown) | null | undefined;

/**
 * What `then` returns: a promise-like for the callback's result.  It creates a real
 * Promise only if somebody chains on it, so that the common case — `await op`, which
 * ignores what `then` returns — allocates one small object and no promise.
 */
/** Chained waiters whose callbacks are due (see Chained.settle). */
const deferred: Chained<any>[] = [];
function runDeferred(): void {
  // Callbacks may settle more ops (pushing more here): they run in this same pass.
  for (let i = 0; i < deferred.length; i++) deferred[i].run();
  deferred.length = 0;
}

class Chained<R> implements PromiseLike<R>, Waiter {
  private p: Promise<R> | undefined = undefined;
  private res: ((v: R | PromiseLike<R>) => void) | undefined = undefined;
  private rej: ((e: unknown) => void) | undefined = undefined;
  /** The callback has run: `ok`/`out` are its outcome. */
  private done = false;
  private ok = false;
  private out: unknown = undefined;
  /** The op's outcome, until run() hands it to the callback. */
  private opOk = false;
  private opValue: unknown = undefined;

  constructor(private readonly f: Fulfill<any>, private readonly r: Reject) {}

  /**
   * The op settled.  The callbacks run later, from a microtask (Promises/A+ 2.2.4):
   * never inside `then()` itself, nor inside the ring's reap or submission, where a
   * callback that closed the ring or submitted more would run in the middle of it.
   * All the Chained settled during one reap go out in one microtask, in order.
   */
  settle(fulfilled: boolean, v: unknown): void {
    this.opOk = fulfilled;
    this.opValue = v;
    deferred.push(this);
    if (deferred.length === 1) microtask(runDeferred);
  }

  /** Run the callback (from runDeferred) and settle what `then` returned. */
  run(): void {
    const fulfilled = this.opOk;
    const v = this.opValue;
    this.opValue = undefined;
    const cb = fulfilled ? this.f : this.r;
    let ok = fulfilled;
    let out = v;
    if (typeof cb === 'function') {
      try {
        out = cb(v);
        ok = true;
      } catch (e) {
        out = e;
        ok = false;
      }
    }
    this.done = true;
    this.ok = ok;
    this.out = out;
    if (this.p) {
      if (ok) this.res!(out as R);
      else this.rej!(out);
    } else if (!ok) {
      // Failed and nobody has chained on it yet: hold a rejected promise, which a
      // later `then` adopts, and which is reported as unhandled if none comes — as
      // a promise would be.
      this.p = Promise.reject(out);
    }
  }

  then<A = R, B = never>(onfulfilled?: ((value: R) => A | PromiseLike<A>) | null,
                          onrejected?: ((reason: any) => B | PromiseLike<B>) | null): Promise<A | B> {
    if (!this.p) {
      if (this.done) {
        this.p = this.ok ? Promise.resolve(this.out as R) : Promise.reject(this.out);
      } else {
        this.p = new Promise<R>((res, rej) => {
          this.res = res;
          this.rej = rej;
        });
      }
    }
    return this.p.then(onfulfilled, onrejected);
  }
}

/** The options of an op made for a handle (not the public OpOptions): its signal, and the handle. */
export interface RequestOptions {
  signal?: AbortSignal;
  /** The handle (a FileHandle, a TcpStream, a UdpSocket): see OpRequest.owner. */
  owner?: Owner;
}

/** What an op made for a handle knows of it (op/handle.ts FdHandle). */
export interface Owner {
  /** The fd, or -1 once the handle was closed. */
  readonly fd: number;
  /** The error a call on the closed handle rejects with (Node's shape for its kind). */
  closedError(syscall: string): Error;
}

/**
 * @internal
 * What the ring and the state machine keep about one request, in an object of its
 * own: every request kind (RwOp, OpenatOp, ...) is a class of its own, so fields
 * stored on the op itself have a different hidden class per kind, and the base
 * constructor's stores, and the ring's loads, become megamorphic once a program has
 * used a few kinds — measured: page-cache reads 25 % slower for good after a mixed
 * warm-up, a tenth of their time in V8's generic StoreIC.  One class here: the
 * constructor's stores and every access after the `op.req` load are monomorphic.
 */
export class OpRequest {
  /** IOSQE_* bits to OR into the SQE (BUFFER_SELECT...; IO_LINK is the ring's). */
  sqeFlags = 0;
  /** Slot index while submitted, -1 otherwise. */
  slot = -1;
  /**
   * The user_data this op was submitted with: low word = slot, high word = the
   * slot's generation.  Kept after completion (a late cancel then finds nothing).
   */
  udLo = 0;
  udHi = 0;
  state = IDLE;
  first: Waiter | undefined = undefined;
  rest: Waiter[] | undefined = undefined;
  /** The value or the error, once settled. */
  outcome: unknown = undefined;
  onAbort: (() => void) | undefined = undefined;
  /**
   * The handle this op was made for (a FileHandle, a TcpStream), if any.  If the
   * handle was closed before the SQE is written (its fd reads -1 from close() on),
   * the fd number the op holds may already name another file, so the op fails with
   * EBADF instead (see `admitOp`).
   */
  owner: Owner | undefined = undefined;
  /**
   * Should not keep the process alive while in flight: set by an unref()'d listener or
   * stream on the requests that only wait for a peer (accept, recv) — never on sends.
   */
  unref = false;
  /** Counted by the ring as in flight but not keeping the process alive. */
  weak = false;
  /**
   * A receive (RECV, RECVMSG) or a stream send (SEND): what the kernel hands over is
   * gone from the socket, what it sent cannot be unsent, so an abort after submission
   * must not hide it.  Such a request is not rejected at once: the cancel is sent and
   * the terminal CQE decides — bytes or a datagram that won the race (a send: the count
   * that went) resolve the op; a cancelled one rejects with `abortError`.
   */
  keepOutcome = false;
  /** The AbortError a keepOutcome request rejects with if its cancel wins. */
  abortError: Error | undefined = undefined;

  constructor(readonly signal: AbortSignal | undefined) {}
}

export abstract class Op<T> implements PromiseLike<T>, Completion {
  /** The syscall name errors report, as Node would ('read', 'openat' -> 'open'...). */
  abstract readonly syscall: string;

  /**
   * @internal
   * Does a successful CQE of this request carry a new fd (open, socket, accept)?  The
   * ring marks it in user_data, so that a thread ending before the CQE is reaped
   * still closes that fd (native ring cleanup; op/slots.ts).  A prototype property
   * (`returnsFd`), not a getter: the ring reads it for every request.
   */
  declare readonly fdResult: boolean;
  /** @internal The request's bookkeeping (see OpRequest). */
  readonly req: OpRequest;

  /**
   * @param ring   the ring that will submit it
   * @param signal aborting it cancels the request (checked: Node's validateAbortSignal)
   * @param owner  the handle the op is made for, if any (`OpRequest.owner`)
   */
  constructor(readonly ring: Submitter, signal?: AbortSignal, owner?: Owner) {
    this.req = new OpRequest(signal === undefined ? undefined : checkSignal(signal));
    if (owner !== undefined) this.req.owner = owner;
  }

  /**
   * Write this op's SQE at `index` (through sys/sqe.ts).  Called exactly once, by
   * the ring, with a free SQE, after `admit()` said yes and `check()` found nothing
   * wrong (some ops take the buffer's address there).  user_data and sqeFlags are
   * set by the ring after.  Not for calling on an op in flight: the SQE it would write
   * is not the one the kernel has.
   * @param sqes   the SQE array, as 32-bit words (`ring.sq.sqes`)
   * @param index  the SQE to write (16 words from `index * 16`)
   * @example
   * ```ts
   * import { raw, constants, read } from 'ringcore';
   *
   * // What a read would send, without sending it: its SQE written into a RawRing.
   * const ring = new raw.RawRing({ entries: 4 });
   * const op = read(0, Buffer.alloc(4096), 0); // never awaited: nothing is submitted
   * const i = ring.sq.next();
   * if (op.check() === undefined) op.prepare(ring.sq.sqes, i);
   * const sqe = raw.decodeSqe(ring.sq.sqes, i);
   * console.log(sqe.opcode === constants.Opcode.READ, sqe.fd, sqe.len, sqe.off); // true 0 4096 0
   * ring.sq.rewind(1); // the entry goes back unpublished: the kernel never sees it
   * ring.close();
   * ```
   */
  abstract prepare(sqes: Uint32Array, index: number): void;

  /** Turn an accepted `res` into the op's value. */
  /** @internal (subclasses implement it: the op's value) */
  abstract value(res: number, flags: number): T;

  /**
   * Is `res` a result rather than a failure?  Usually `res >= 0`; a timeout's
   * -ETIME and a cancel's -ENOENT are answers, not errors.  The ring asks it of every
   * terminal CQE: yes settles the op with its value, no rejects it with `error(res)`.
   * @param res  the CQE's result (>= 0, or a negated errno)
   * @returns true when `res` fulfils the op
   * @example
   * ```ts
   * import { cancel, nop, sleep } from 'ringcore';
   *
   * const timer = sleep(1);
   * console.log(nop().accepts(0), nop().accepts(-2));  // true false
   * console.log(timer.accepts(-62));                   // true: -ETIME is "the time passed"
   * console.log(cancel(timer).accepts(-2));            // true: ENOENT, "nothing to cancel"
   * ```
   */
  accepts(res: number): boolean {
    return res >= 0;
  }

  /**
   * An error for a failed `res` (< 0), shaped like Node's (errno, code, syscall,
   * message).  Subclasses add `path` and the like, or word it as node:net does.
   * @param res  the CQE's result: a negated errno
   * @returns the Error the op rejects with (not thrown)
   * @example
   * ```ts
   * import { read } from 'ringcore';
   *
   * const e = read(0, Buffer.alloc(1)).error(-9) as NodeJS.ErrnoException;
   * console.log(e.message, e.code, e.errno, e.syscall); // 'EBADF: bad file descriptor, read' 'EBADF' -9 'read'
   * ```
   */
  error(res: number): Error {
    return errnoError(res, this.syscall);
  }

  /**
   * The request succeeded after its awaiter gave up (abort raced completion):
   * release what the kernel handed us — close an fd, return a buffer.  Default:
   * nothing to release.  The ring calls it with the terminal CQE of an abandoned op;
   * it must not throw.
   * @param _res    the CQE's result (>= 0)
   * @param _flags  the CQE's flags (IORING_CQE_F_*: a provided buffer's id in 16..31)
   * @example
   * ```ts
   * import { nop } from 'ringcore';
   *
   * nop().consume(0, 0); // a NOP holds nothing: does nothing (an open would close its fd)
   * ```
   */
  consume(_res: number, _flags: number): void {}

  /**
   * Subclass check at submission time: is the memory this op points at still there?
   * (A view can be detached between the call and the SQE.)  An Error refuses it.
   * It runs no user code (engine getters only), so nothing can change between this
   * check and the SQE that the ring writes right after it.
   * @returns undefined when the op may be submitted; else the Error it is rejected with
   *          (ERR_INVALID_STATE for a buffer detached or shrunk) — returned, not thrown
   * @example
   * ```ts
   * import { read } from 'ringcore';
   *
   * const buf = new Uint8Array(16);
   * const op = read(0, buf, 0);
   * console.log(op.check());                                   // undefined
   * structuredClone(buf.buffer, { transfer: [buf.buffer] });   // detaches buf
   * console.log((op.check() as NodeJS.ErrnoException).code);   // 'ERR_INVALID_STATE'
   * ```
   */
  check(): Error | undefined {
    return undefined;
  }

  /** Has the op been started (queued, submitted or settled)? */
  get submitted(): boolean {
    return this.req.state !== IDLE;
  }



  /** @internal The value, once fulfilled (for batch waiters). */
  get result(): T {
    return this.req.outcome as T;
  }

  /**
   * What makes an Op awaitable: the first `then` (the one `await` makes) starts the
   * request.  The callbacks run later, in a microtask, as a promise's would — never
   * inside `then` itself.  Every `then` waits for the same request; an op is never
   * submitted twice.
   * @param onfulfilled  called with the op's value
   * @param onrejected   called with its error (a Node-shaped system error, an
   *                     AbortError, EBADF once the ring is closed ...)
   * @returns a promise-like for the callback's result (a real Promise is made only if
   *          something chains on it)
   * @example
   * ```ts
   * import { nop, sleep } from 'ringcore';
   *
   * const n = await nop();       // await calls then(): this is when the SQE is written
   * nop().then((res) => console.log('nop:', res), (e: Error) => console.error(e));
   * const code = await sleep(1_000, { signal: AbortSignal.timeout(5) })
   *   .then(() => 'slept', (e: { code?: string }) => e.code); // 'ABORT_ERR'
   * console.log(n, code);
   * ```
   */
  then<A = T, B = never>(onfulfilled?: ((value: T) => A | PromiseLike<A>) | null,
                          onrejected?: ((reason: any) => B | PromiseLike<B>) | null): PromiseLike<A | B> {
    const c = new Chained<A | B>(onfulfilled, onrejected);
    watchOp(this, c);
    return c;
  }

  /**
   * Start the op now and return a real Promise for it: how the Node-shaped layers
   * (`ringcore/fs`, `ringcore/net`) behave like Node — the request is on its way
   * when the call returns, awaited or not.  A rejection's stack is captured again
   * where the caller awaits it (as node:fs/promises does), so it shows the caller's
   * frames instead of only the reaper's.  Each call makes a new Promise of the same
   * request (started once).
   * @returns a Promise of the op's value; it rejects as `then` does
   * @example
   * ```ts
   * import { nop, sleep } from 'ringcore';
   *
   * const timer = sleep(20).promise();   // started now, awaited or not
   * const [a, b] = await Promise.all([nop().promise(), nop().promise()]);
   * await timer;
   * console.log(a, b); // 0 0
   * ```
   */
  promise(): Promise<T> {
    const p = new Promise<T>(capture);
    watchOp(this, new Settle(captured!, capturedReject!));
    captured = capturedReject = undefined;
    return p.then(undefined, recapture);
  }

  /**
   * @internal
   * Add a waiter and, if this is the first, start the op.  A waiter added after the
   * op settled is called in a microtask (never synchronously).
   */
  watch(w: Waiter): void {
    watchOp(this, w);
  }

  /** @internal Ask the ring for an SQE now, without waiting for an awaiter. */
  start(): void {
    startOp(this);
  }




  /**
   * @internal
   * The ring will not submit this op: reject it with `err`.  (CloseOp overrides it:
   * an fd whose close could not go through a closed ring is closed directly.)
   */
  refuse(err: unknown): void {
    this.settle(false, err);
  }

  /** @internal The terminal CQE (the ring has already freed the slot); see `completeOp`. */
  complete(res: number, flags: number): void {
    baseComplete(this, res, flags);
  }

  /** @internal A non-terminal CQE (IORING_CQE_F_MORE).  Only multishot ops expect these. */
  more(_res: number, _flags: number): void {}

  /**
   * @internal
   * Handling this op's CQE threw (user code reached from a getter, a listener...):
   * the error is the op's outcome if it has none yet.  The ring calls this so that
   * one op's exception never stops the reaping of the others.
   */
  fail(err: unknown): void {
    const state = this.req.state;
    if (state === QUEUED || state === SUBMITTED) this.settle(false, err);
    else process.emitWarning(err instanceof Error ? err : new Error(String(err)), 'RingCoreWarning');
  }

  /**
   * Abort: reject the awaiters now with an AbortError and ask the kernel to cancel.
   * The slot, and every buffer the SQE points at, stays alive until the terminal CQE.
   * An op still queued simply never reaches the kernel.
   */
  /** @internal */
  abort(): void {
    const req = this.req;
    const state = req.state;
    if (state !== SUBMITTED && state !== QUEUED) return;
    if (state === SUBMITTED && req.keepOutcome) {
      // A receive or a send: the bytes may already have moved (see keepOutcome) — the CQE decides.
      if (req.abortError !== undefined) return;
      req.abortError = new AbortError(undefined, { cause: req.signal?.reason });
      this.ring.cancelSubmitted(this);
      return;
    }
    this.settle(false, new AbortError(undefined, { cause: req.signal?.reason }));
    if (state === SUBMITTED) {
      req.state = ABANDONED; // (after settle) the terminal CQE is still to come
      this.ring.cancelSubmitted(this);
    }
  }

  protected settle(ok: boolean, v: unknown): void {
    settleOp(this, ok, v);
  }
}

(Op.prototype as { fdResult: boolean }).fdResult = false;

/** Mark a request class whose successful result is a new fd (see Op.fdResult). */
export function returnsFd(cls: abstract new (...args: any[]) => Op<unknown>): void {
  (cls.prototype as { fdResult: boolean }).fdResult = true;
}

/** Waiting for the ring to write its SQE? */
export function isQueued(op: Op<unknown>): boolean {
  return op.req.state === QUEUED;
}

/** The ring wrote the SQE. */
export function markSent(op: Op<unknown>): void {
  op.req.state = SUBMITTED;
}

// The state machine as plain functions of the op.  Every kind of request runs through
// these; as methods they would be called on receivers of many classes (megamorphic:
// no inlining, a lookup per call) — measured, a program that had used a few kinds of
// request read files 25 % slower for good.  As functions they are known call targets
// that the JIT inlines into the ring's hot paths.

/** Add a waiter and, if this is the first, start the op (see Op.watch). */
export function watchOp(op: Op<unknown>, w: Waiter): void {
  const req = op.req;
  const state = req.state;
  if (state >= ABANDONED) {
    const ok = state === FULFILLED;
    const v = req.outcome;
    microtask(() => notify(w, ok, v));
    return;
  }
  if (req.first === undefined) req.first = w;
  else (req.rest ??= []).push(w);
  if (state === IDLE) startOp(op);
}

/** Ask the ring for an SQE now (see Op.start). */
export function startOp(op: Op<unknown>): void {
  if (enqueueOp(op)) op.ring.submit(op);
}

/** IDLE → QUEUED (see Op.enqueue). */
export function enqueueOp(op: Op<unknown>): boolean {
  const req = op.req;
  if (req.state !== IDLE) return false;
  req.state = QUEUED;
  const signal = req.signal;
  if (signal !== undefined) {
    let aborted: boolean;
    try {
      aborted = signal.aborted; // anything shaped like a signal: a getter may throw
    } catch (e) {
      settleOp(op, false, e);
      return false;
    }
    if (aborted) {
      settleOp(op, false, new AbortError(undefined, { cause: signal.reason }));
      return false;
    }
  }
  if (op.ring.closed) {
    op.refuse(ringClosedError(op.syscall));
    return false;
  }
  if (signal !== undefined) {
    const onAbort = () => op.abort();
    try {
      signal.addEventListener('abort', onAbort, { once: true });
      req.onAbort = onAbort;
    } catch {
      // Not a real EventTarget (Node accepts anything with `aborted`): no
      // cancellation in flight, but `admit` still checks `aborted` before submitting.
    }
  }
  return true;
}

/** May the op still go to the kernel (see Op.admit)? */
export function admitOp(op: Op<unknown>): unknown {
  const req = op.req;
  const signal = req.signal;
  if (signal !== undefined && signal.aborted) return new AbortError(undefined, { cause: signal.reason });
  const owner = req.owner;
  if (owner !== undefined && owner.fd < 0) return owner.closedError(op.syscall); // closed before submission
  return undefined;
}

/** Settled and no CQE still due: the kernel is done with this request. */
export function opFinished(op: Op<unknown>): boolean {
  return op.req.state >= FULFILLED;
}

/** What Op.complete does for every request that does not override it. */
function baseComplete(op: Op<unknown>, res: number, flags: number): void {
  const req = op.req;
  req.slot = -1;
  if (req.state === ABANDONED) {
    // Nobody is waiting any more; the kernel may still have done the work.
    if (res >= 0) op.consume(res, flags);
    req.state = REJECTED;
    return;
  }
  if (!op.accepts(res)) settleOp(op, false, req.abortError ?? op.error(res));
  else {
    let v: unknown;
    try {
      v = op.value(res, flags);
    } catch (e) {
      settleOp(op, false, e);
      return;
    }
    settleOp(op, true, v);
  }
}

const opComplete = Op.prototype.complete;

/**
 * The terminal CQE of `op` (the ring has already freed the slot): its own `complete`
 * if it has one (multishot requests, CLOSE), else the common path, called directly.
 */
export function completeOp(op: Op<unknown>, res: number, flags: number): void {
  if (op.complete !== opComplete) op.complete(res, flags);
  else baseComplete(op, res, flags);
}

/** Settle the op once and tell its waiters. */
export function settleOp(op: Op<unknown>, ok: boolean, v: unknown): void {
  const req = op.req;
  if (req.state >= ABANDONED) return;
  req.state = ok ? FULFILLED : REJECTED;
  req.outcome = v;
  const onAbort = req.onAbort;
  if (onAbort !== undefined) {
    req.onAbort = undefined;
    try {
      req.signal!.removeEventListener('abort', onAbort);
    } catch {
      // A signal whose removeEventListener throws: the listener is `once` and
      // `abort` ignores a settled op, so nothing is left to undo.
    }
  }
  const first = req.first;
  req.first = undefined;
  if (first !== undefined) notify(first, ok, v);
  const rest = req.rest;
  if (rest !== undefined) {
    req.rest = undefined;
    for (const c of rest) notify(c, ok, v);
  }
}

/** A waiter that settles a native promise. */
class Settle implements Waiter {
  constructor(private readonly res: (v: any) => void, private readonly rej: (e: unknown) => void) {}
  settle(ok: boolean, v: unknown): void {
    if (ok) this.res(v);
    else this.rej(v);
  }
}

// The resolving functions of the promise being made, taken by an executor shared by
// every call (no closure per promise).
let captured: ((v: any) => void) | undefined;
let capturedReject: ((e: unknown) => void) | undefined;
function capture(res: (v: any) => void, rej: (e: unknown) => void): void {
  captured = res;
  capturedReject = rej;
}

/**
 * Runs as a reaction of the promise the caller awaits, so V8 can see the caller's
 * async frames now (node:fs/promises' handleErrorFromBinding does the same).
 */
function recapture(err: unknown): never {
  if (err instanceof Error) Error.captureStackTrace(err, recapture);
  throw err;
}

/** Tell one waiter; a waiter that throws does not keep the others from hearing. */
function notify(w: Waiter, ok: boolean, v: unknown): void {
  try {
    w.settle(ok, v);
  } catch (e) {
    queueMicrotask(() => {
      throw e;
    });
  }
}
