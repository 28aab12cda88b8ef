/**
 * `all(ops)`: submit many ops and wait for all of them with ONE promise.
 *
 * `Promise.all(ops)` works on ops too, but wraps each in a promise of its own (a
 * promise, its resolving functions and a thenable job per op).  Here one shared
 * waiter counts the completions down: per op it costs a counter decrement.  The ops
 * are written in order, so they go to the kernel in the same io_uring_enter.
 *
 * May touch: the ops' waiter lists.
 */
import { Op, watchOp, type Waiter } from './op.js';
import { invalidArgType } from './errors.js';

class All<T> implements Waiter {
  private remaining: number;
  private failed = false;
  constructor(private readonly ops: Op<T>[], private readonly resolve: (v: T[]) => void,
              private readonly reject: (e: unknown) => void) {
    this.remaining = ops.length;
  }
  settle(ok: boolean, value: unknown): void {
    if (!ok && !this.failed) {
      this.failed = true;
      this.reject(value);
    }
    if (--this.remaining === 0 && !this.failed) {
      const ops = this.ops;
      const out = new Array<T>(ops.length);
      for (let i = 0; i < ops.length; i++) out[i] = ops[i].result;
      this.resolve(out);
    }
  }
}

/**
 * Start every op and resolve with their values in order, or reject with the first
 * failure (the others still run to completion; their buffers stay referenced).
 */
export function allOps<T>(ops: Op<T>[]): Promise<T[]> {
  if (!Array.isArray(ops)) throw invalidArgType('ops', 'an Array of Op', ops);
  for (const op of ops) if (!(op instanceof Op)) throw invalidArgType('ops', 'an Array of Op', op);
  if (ops.length === 0) return Promise.resolve([]);
  return new Promise<T[]>((resolve, reject) => {
    const w = new All(ops, resolve, reject);
    for (const op of ops) watchOp(op, w);
  });
}
