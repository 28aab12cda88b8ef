/**
 * `SendOrder`: the order of what a TcpStream sends, once files are involved.
 *
 * Writes (write, writev, writeAll) are "shared" units: any number may run at once,
 * as before — their relative order is the caller's business (await one before the
 * next), as with node:net's raw fds.  A sendFile is an "exclusive" unit: it starts
 * only once every write that was called before it has settled, and everything
 * called after it — writes and other sendFiles — waits until it has settled.  So
 * `stream.writeAll(head); stream.sendFile(fh); stream.writeAll(tail)` without awaits
 * sends head, file, tail in that order, and no write's bytes can land inside a
 * file's: a file's splices and a write's SEND are separate requests the kernel runs
 * in any order (a SEND may be half sent, then wait for room while a splice goes).
 *
 * FIFO: a write called while a sendFile waits for earlier writes waits behind it
 * (files are never starved by a stream of writes).
 *
 * May touch: nothing but its queue; the units are the caller's functions.
 */
import type { Waiter } from '../op/op.js';

interface Unit {
  exclusive: boolean;
  start: () => void;
}

export class SendOrder {
  /** Shared units running. */
  private active = 0;
  /** An exclusive unit is running. */
  private locked = false;
  private readonly queue: Unit[] = [];

  /**
   * May a write start now (no file running or waiting)?  Then the caller calls begin(),
   * and end() once the write has settled — from inside the write itself (a finally, or
   * `ender` watching its request), never as a reaction added to the promise it returns:
   * one more reaction there would cut V8's async stack trace (an error's stack would
   * lose the caller's frame) and delay nothing useful.
   */
  get open(): boolean {
    return !this.locked && this.queue.length === 0;
  }

  begin(): void {
    this.active++;
  }

  end(): void {
    this.active--;
    this.pump();
  }

  /**
   * A request's waiter that calls end() when the request settles (op.watch(order.ender)).
   * Waiters are called while the ring reaps; what end() may start (a queued sendFile
   * submitting its chain) runs from a microtask instead, outside the reap.
   */
  readonly ender: Waiter = {
    settle: () => {
      this.active--;
      if (this.queue.length > 0) queueMicrotask(this.pumpLater);
    },
  };
  private readonly pumpLater = (): void => this.pump();

  /** A write that may not start now: started in its turn (begin() done for it; `start` calls end()). */
  later<T>(start: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({
        exclusive: false,
        start: () => {
          this.active++;
          call(start).then(resolve, reject);
        },
      });
    });
  }

  /** Run `fn` as a file: once nothing runs before it; nothing else runs until it settles. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (!this.locked && this.active === 0 && this.queue.length === 0) return this.runExclusive(fn);
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ exclusive: true, start: () => this.runExclusive(fn).then(resolve, reject) });
    });
  }

  /** Is anything running or queued (a unit test's view)? */
  get busy(): boolean {
    return this.locked || this.active > 0 || this.queue.length > 0;
  }

  // sendFile's own promise is returned, its end counted in a reaction of our own: the
  // caller's continuations run when they would without a SendOrder (a `.finally()` in
  // between would delay them by two microtasks).

  private runExclusive<T>(fn: () => Promise<T>): Promise<T> {
    this.locked = true;
    const p = call(fn);
    p.then(this.exclusiveEnd, this.exclusiveEnd);
    return p;
  }

  private readonly exclusiveEnd = (): void => {
    this.locked = false;
    this.pump();
  };

  /** Start what may start now, in order. */
  private pump(): void {
    const q = this.queue;
    while (q.length > 0 && !this.locked) {
      const u = q[0];
      if (u.exclusive && this.active > 0) return;
      q.shift();
      u.start();
    }
  }
}

function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return fn();
  } catch (e) {
    return Promise.reject(e);
  }
}
