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
 * May touch: its ring (to submit and cancel), its waiters.  It never writes SQE bytes
 * itself: `prepare` calls into `sys/sqe.ts`.
 */
import type { Completion } from './slots.js';
import { AbortError, errnoError, ringClosedError } from './errors.js';

/** What an Op needs from a ring (implemented by runtime/ring.ts). */
export interface Submitter {
  /** Take a slot, write the SQE (via op.prepare), queue it for the next enter. */
  submit(op: Op<unknown>): void;
  /** Ask the kernel to cancel a submitted op (IORING_OP_ASYNC_CANCEL). */
  cancelSubmitted(op: Op<unknown>): void;
  /** Write a timespec for `ms` into memory owned by `slot`; its address. */
  timespec(slot: number, ms: number): number;
  readonly closed: boolean;
}

const IDLE = 0; // created, no SQE yet
const SUBMITTED = 1; // SQE written, waiting for its terminal CQE
const ABANDONED = 2; // aborted: awaiters rejected, the terminal CQE is still due
const FULFILLED = 3; // settled with a value
const REJECTED = 4; // settled with an error

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
class Chained<R> implements PromiseLike<R>, Waiter {
  private p: Promise<R> | undefined;
  private res: ((v: R | PromiseLike<R>) => void) | undefined;
  private rej: ((e: unknown) => void) | undefined;
  private done = false;
  private ok = false;
  private out: unknown;

  constructor(private readonly f: Fulfill<any>, private readonly r: Reject) {}

  settle(fulfilled: boolean, v: unknown): void {
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

export abstract class Op<T> implements PromiseLike<T>, Completion {
  /** The syscall name errors report, as Node would ('read', 'openat' -> 'open'...). */
  abstract readonly syscall: string;

  /** IOSQE_* bits to OR into this op's SQE (IO_LINK is set by `link`). */
  sqeFlags = 0;
  /** Slot index while submitted, -1 otherwise. */
  slot = -1;
  /**
   * The user_data this op was submitted with: low word = slot, high word = the
   * slot's generation.  Kept after completion (a late cancel then finds nothing).
   */
  udLo = 0;
  udHi = 0;
  private state = IDLE;
  private first: Waiter | undefined = undefined;
  private rest: Waiter[] | undefined = undefined;
  /** The value or the error, once settled. */
  private outcome: unknown = undefined;
  private signal: AbortSignal | undefined;
  private onAbort: (() => void) | undefined = undefined;
  /**
   * The handle this op was made for (a FileHandle, a TcpStream), if any.  The SQE is
   * written later than the op is made (at the first `then`); if the handle was
   * closed in between (its fd reads -1 from close() on), the fd number the op holds
   * may already name another file, so the op fails with EBADF instead.
   */
  owner: { readonly fd: number } | undefined = undefined;

  constructor(readonly ring: Submitter, signal?: AbortSignal) {
    this.signal = signal;
  }

  /**
   * Write this op's SQE at `index` (through sys/sqe.ts).  Called exactly once, by
   * the ring, with a free SQE.  user_data and sqeFlags are set by the ring after.
   */
  abstract prepare(sqes: Uint32Array, index: number): void;

  /** Turn an accepted `res` into the op's value. */
  protected abstract value(res: number, flags: number): T;

  /**
   * Is `res` a result rather than a failure?  Usually `res >= 0`; a timeout's
   * -ETIME and a cancel's -ENOENT are answers, not errors.
   */
  protected accepts(res: number): boolean {
    return res >= 0;
  }

  /** An error for a failed `res` (< 0).  Subclasses add `path` and the like. */
  protected error(res: number): Error {
    return errnoError(res, this.syscall);
  }

  /**
   * The request succeeded after its awaiter gave up (abort raced completion):
   * release what the kernel handed us — close an fd, return a buffer.  Default:
   * nothing to release.
   */
  protected consume(_res: number, _flags: number): void {}

  /** Has the SQE been written (or the op settled without one)? */
  get submitted(): boolean {
    return this.state !== IDLE;
  }

  /** Aborted before its terminal CQE: nobody wants the result any more. */
  get abandoned(): boolean {
    return this.state === ABANDONED;
  }

  /** The value, once fulfilled (for batch waiters). */
  get result(): T {
    return this.outcome as T;
  }

  then<A = T, B = never>(onfulfilled?: ((value: T) => A | PromiseLike<A>) | null,
                          onrejected?: ((reason: any) => B | PromiseLike<B>) | null): PromiseLike<A | B> {
    const c = new Chained<A | B>(onfulfilled, onrejected);
    this.watch(c);
    return c;
  }

  /**
   * Add a waiter and, if this is the first, write the SQE.  A waiter added after the
   * op settled is called in a microtask (never synchronously).
   */
  watch(w: Waiter): void {
    const state = this.state;
    if (state >= ABANDONED) {
      const ok = state === FULFILLED;
      const v = this.outcome;
      queueMicrotask(() => w.settle(ok, v));
      return;
    }
    if (this.first === undefined) this.first = w;
    else (this.rest ??= []).push(w);
    if (state === IDLE) this.start();
  }

  /** Write the SQE now, without waiting for an awaiter (used by `link`). */
  start(): void {
    if (this.state !== IDLE) return;
    this.state = SUBMITTED;
    const signal = this.signal;
    if (signal !== undefined) {
      if (signal.aborted) {
        this.settle(false, new AbortError(undefined, { cause: signal.reason }));
        return;
      }
    }
    if (this.ring.closed) {
      this.settle(false, ringClosedError(this.syscall));
      return;
    }
    if (this.owner !== undefined && this.owner.fd < 0) {
      this.settle(false, errnoError(-9, this.syscall)); // EBADF: closed before submission
      return;
    }
    try {
      this.ring.submit(this);
    } catch (e) {
      this.settle(false, e);
      return;
    }
    if (signal !== undefined) {
      this.onAbort = () => this.abort();
      signal.addEventListener('abort', this.onAbort, { once: true });
    }
  }

  /** The terminal CQE (the ring has already freed the slot). */
  complete(res: number, flags: number): void {
    this.slot = -1;
    if (this.state === ABANDONED) {
      // Nobody is waiting any more; the kernel may still have done the work.
      if (res >= 0) this.consume(res, flags);
      return;
    }
    if (!this.accepts(res)) this.settle(false, this.error(res));
    else {
      let v: T;
      try {
        v = this.value(res, flags);
      } catch (e) {
        this.settle(false, e);
        return;
      }
      this.settle(true, v);
    }
  }

  /** A non-terminal CQE (IORING_CQE_F_MORE).  Only multishot ops expect these. */
  more(_res: number, _flags: number): void {}

  /**
   * Abort: reject the awaiters now with an AbortError and ask the kernel to cancel.
   * The slot, and every buffer the SQE points at, stays alive until the terminal CQE.
   */
  private abort(): void {
    if (this.state !== SUBMITTED) return;
    const err = new AbortError(undefined, { cause: this.signal?.reason });
    this.settle(false, err);
    this.state = ABANDONED; // (after settle) the terminal CQE is still to come
    if (this.slot >= 0) this.ring.cancelSubmitted(this);
  }

  protected settle(ok: boolean, v: unknown): void {
    if (this.state >= ABANDONED) return;
    this.state = ok ? FULFILLED : REJECTED;
    this.outcome = v;
    if (this.onAbort !== undefined) {
      this.signal!.removeEventListener('abort', this.onAbort);
      this.onAbort = undefined;
    }
    const first = this.first;
    this.first = undefined;
    if (first !== undefined) first.settle(ok, v);
    const rest = this.rest;
    if (rest !== undefined) {
      this.rest = undefined;
      for (const c of rest) c.settle(ok, v);
    }
  }
}
