/**
 * `WaitingRequests`: an owner's requests that only wait for a peer — accept(), read(),
 * recv() — kept so that the owner's ref()/unref() reaches those in flight (as Node's
 * unref() does for a handle that is reading).  Sends are never added: an unref()'d
 * socket still finishes writing what it was given.  The ring does the counting
 * (Ring.setWeak, a no-op for a request no longer in flight); this only remembers which
 * requests to tell, dropping finished ones as the list grows (most owners have one at a
 * time).  One of these per listener, stream or UDP socket.
 *
 * May touch: the requests' `req.unref` flag, the ring's weak count through setWeak.
 */
import { opFinished, type Op } from './op.js';

/** What counts requests as keeping the process alive or not (runtime/ring.ts). */
export interface WeakCounter {
  setWeak(op: Op<unknown>, weak: boolean): void;
}

export class WaitingRequests {
  /** The owner is unref()'d: its waiting requests do not keep the process alive. */
  unref = false;
  private ops: Op<unknown>[] = [];

  /** A waiting request is made: it follows the owner's ref state, now and later. */
  add(op: Op<unknown>): void {
    op.req.unref = this.unref;
    const ops = this.ops;
    if (ops.length >= 8) this.prune();
    ops.push(op);
  }

  /** ref() (true) or unref() (false): tell every request still waiting. */
  setRef(ring: WeakCounter, refd: boolean): void {
    this.unref = !refd;
    this.prune();
    for (const op of this.ops) ring.setWeak(op, !refd);
  }

  private prune(): void {
    const ops = this.ops;
    let k = 0;
    for (const op of ops) if (!opFinished(op)) ops[k++] = op;
    ops.length = k;
  }
}
