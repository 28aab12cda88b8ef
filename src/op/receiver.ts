/**
 * `Receiver`: the CQEs of one multishot request as an async iterator — what a
 * listener's `incoming()` (multishot ACCEPT), a stream's `chunks()` (multishot RECV)
 * and a UDP socket's `messages()` (multishot RECVMSG) share.
 *
 * The request's sink (the subclass) queues what each CQE brings, or hands it straight
 * to a `next()` that waits; this class owns the rest of the skeleton: arming the
 * request (and re-arming it: the kernel ends a multishot request now and then — a
 * group ran dry, an error, our own cancel), back-pressure (a paused request is
 * cancelled and armed again once the consumer has caught up), ref()/unref() of the
 * request in flight, the end of the iteration (delivered once: an error is thrown to
 * one `next()`, then the iterator is simply done), and stopping it — by `return()`,
 * the signal or its owner's close — which cancels the request in the kernel.
 *
 * May touch: its host's ring (the request, its cancel, its weak count).
 */
import type { Op } from './op.js';
import type { WeakCounter } from './waiting.js';
import { abortError, onAbort } from './errors.js';

/** What a Receiver receives for: a listener, a stream, a UDP socket. */
export interface ReceiverHost {
  readonly ring: WeakCounter & {
    /** Ask the kernel to cancel `op` (Ring.cancel): its result is not needed. */
    cancel(op: Op<unknown>): PromiseLike<unknown>;
  };
  /** The fd the request reads; -1 once the host is closed. */
  readonly fd: number;
  /** unref()'d: the request does not keep the process alive. */
  readonly unrefd?: boolean;
}

type Waiter<T> = { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void };

export abstract class Receiver<T> implements AsyncIterableIterator<T> {
  /** The multishot request in flight, if any. */
  protected op: Op<unknown> | undefined = undefined;
  /** Back-pressure: the request was cancelled on purpose (see pause()). */
  protected paused = false;
  /** The request ended for want of a buffer: armed again when one comes back. */
  private starved = false;
  /** No more will come (EOF, an error): the queue is still delivered. */
  private finished = false;
  /** Stopped (return(), the signal, the host closed, an error that drops the queue). */
  protected stopped = false;
  /** How the iteration ends, for the next() that reaches the end (once). */
  private failure: unknown = undefined;
  private readonly waiters: Waiter<T>[] = [];
  private unlisten: (() => void) | undefined = undefined;

  /**
   * @param name    for the error of a second next() while one waits ('chunks')
   * @param oneNext at most one next() may wait at a time (else they queue up)
   */
  constructor(protected readonly host: ReceiverHost, private readonly name: string,
              private readonly oneNext: boolean) {}

  /** The multishot request, with this receiver as its sink (not started). */
  protected abstract makeOp(): Op<unknown>;
  /** Is nothing queued for the consumer? */
  protected abstract isEmpty(): boolean;
  /** The queue's head, removed (only called when !isEmpty()). */
  protected abstract take(): T;
  /** Drop what is queued (stop): give buffers back, close fds. */
  protected abstract drop(): void;
  /** Tell the host that this iterator ended (it may start another). */
  protected abstract told(): void;
  /** A paused request is armed again from next() once this says the queue drained enough. */
  protected resumable(): boolean {
    return true;
  }
  /** next() was called: what the consumer held until now is no longer its. */
  protected released(): void {}

  /** The subclass constructor's last step: listen to `signal`, arm the request. */
  protected begin(signal: AbortSignal | undefined): void {
    const aborted = signal?.aborted === true;
    if (aborted) {
      this.stopped = true;
      this.failure = abortError(signal);
      return;
    }
    if (signal !== undefined) this.unlisten = onAbort(signal, (e) => this.stop(e));
    this.arm();
  }

  /** Start the request, unless one is in flight, or the iteration is paused or over. */
  protected arm(): void {
    this.starved = false;
    if (this.stopped || this.finished || this.paused || this.op !== undefined || this.host.fd < 0) return;
    const op = (this.op = this.makeOp());
    op.req.unref = this.host.unrefd === true;
    op.start();
  }

  /** @internal The host was ref()'d or unref()'d: so is the request in flight. */
  refChanged(): void {
    if (this.op !== undefined) this.host.ring.setWeak(this.op, this.host.unrefd === true);
  }

  /** Does a next() wait (then the queue is empty)? */
  protected get awaited(): boolean {
    return this.waiters.length > 0;
  }

  /** Hand `value` to the next() that waits longest (call only when `awaited`). */
  protected handOver(value: T): void {
    this.waiters.shift()!.resolve({ value, done: false });
  }

  /** The consumer is behind: cancel the request, so the kernel keeps what comes. */
  protected pause(): void {
    if (this.op === undefined || this.paused) return;
    this.paused = true;
    void this.host.ring.cancel(this.op).then(undefined, () => {});
  }

  /** The request ended with -ENOBUFS: arm again once `group` has a buffer back. */
  protected starve(group: { whenAvailable(fn: () => void): void }): void {
    this.starved = true;
    group.whenAvailable(() => {
      if (this.starved) this.arm();
    });
  }

  /**
   * The request ended with -ECANCELED: the host closed (stop), or our own pause
   * (armed again now if the consumer caught up meanwhile; else next() re-arms it once
   * the queue has drained enough).
   */
  protected cancelled(): void {
    if (this.host.fd < 0) this.stop(undefined);
    else if (!this.paused) this.arm();
  }

  /** No more will come: a waiting next() ends now (the queue, if any, is delivered first). */
  protected finish(err: unknown): void {
    this.finished = true;
    this.failure = err;
    if (this.waiters.length > 0 && this.isEmpty()) this.settleEnd(this.waiters.shift()!);
  }

  private settleEnd(w: Waiter<T>): void {
    const f = this.failure;
    this.failure = undefined;
    this.told();
    if (f !== undefined) w.reject(f);
    else w.resolve({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<T>> {
    this.released();
    if (!this.isEmpty()) {
      let value: T;
      try {
        value = this.take();
      } catch (e) {
        return Promise.reject(e);
      }
      if (this.paused && this.resumable()) {
        this.paused = false;
        this.arm();
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.paused) {
      this.paused = false;
      this.arm();
    }
    if (this.finished || this.stopped) {
      return new Promise((resolve, reject) => this.settleEnd({ resolve, reject }));
    }
    if (this.oneNext && this.waiters.length > 0) {
      return Promise.reject(new Error(`${this.name}(): next() called again before the previous call settled`));
    }
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
    });
  }

  /** Stop: cancel the request, drop what waits, end the iteration (`err` for a waiting next()). */
  stop(err: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    this.unlisten?.();
    if (this.op !== undefined && this.host.fd >= 0) void this.host.ring.cancel(this.op).then(undefined, () => {});
    this.drop();
    this.failure = err;
    if (this.waiters.length === 0) {
      this.told();
      return;
    }
    const f = this.failure;
    this.failure = undefined;
    this.told();
    for (const w of this.waiters.splice(0)) {
      if (f !== undefined) w.reject(f);
      else w.resolve({ value: undefined, done: true });
    }
  }

  return(): Promise<IteratorResult<T>> {
    this.stop(undefined);
    this.failure = undefined;
    return Promise.resolve({ value: undefined, done: true });
  }

  /** Stopped (before it started, if the signal was already aborted). */
  get isStopped(): boolean {
    return this.stopped;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}
