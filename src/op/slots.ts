/**
 * The slot table: how a CQE finds its operation.
 *
 * Every SQE carries a 64-bit `user_data` that the kernel copies, untouched, into its
 * CQE.  RingCore puts a slot index in the low 32 bits and the slot's generation in
 * the high 32 bits.  A slot is taken when an SQE is written and freed only on that
 * request's terminal CQE (for multishot requests: the first CQE without
 * IORING_CQE_F_MORE); freeing bumps the generation, so a CQE that names a slot's
 * previous occupant can never be delivered to the new one — it is counted as stale.
 *
 * `user_data == 0` (slot 0, generation 0) never names a slot, because generations
 * start at 1: it is reserved for the ring's own request that no op owns — the
 * cancel-everything that `Ring.close()` sends.
 *
 * Generations use 29 bits, and bit 29 of the high word (`FD_RESULT`) marks a request
 * whose result is a new file descriptor (open, socket, accept): nothing in JavaScript
 * needs it, but if the thread ends before such a CQE is reaped, the native ring
 * cleanup closes the fd it carries instead of leaking it.  (Why not the top bit: V8
 * keeps integers below 2^30 unboxed (Smis); a user_data word past that is a heap
 * number in every op that holds it, and the ops' hidden classes widen — measured:
 * reads slowed down for good once any fd-returning op had run.)
 *
 * May touch: only its own arrays.
 */

/** What the ring calls when a CQE arrives for a slot. */
export interface Completion {
  /** @internal The terminal CQE: the slot is already free when this runs. */
  complete(res: number, flags: number): void;
  /** @internal A CQE with IORING_CQE_F_MORE: the request is still live. */
  more(res: number, flags: number): void;
  /** @internal Handling one of its CQEs threw `err`: make it the request's outcome. */
  fail(err: unknown): void;
}

/** user_data high-word bit: the result is a new fd (see above; native/ringcore.c). */
export const FD_RESULT = 0x20000000;
/** The generation part of a user_data high word. */
export const GEN_MASK = 0x1fffffff;

export class SlotTable {
  /** The operation in each slot, or undefined when free. */
  ops: (Completion | undefined)[] = [];
  /** Generation of each slot: the high word of its user_data. */
  gen: Uint32Array = new Uint32Array(0);
  /** Stack of free slot indices. */
  private free: Int32Array = new Int32Array(0);
  private freeTop = 0;
  /** Slots taken. */
  used = 0;
  constructor(initial = 256) {
    this.grow(initial);
  }

  /** Take a slot for `op`; its user_data is (index, this.gen[index]). */
  alloc(op: Completion): number {
    if (this.freeTop === 0) this.grow(this.ops.length * 2);
    const i = this.free[--this.freeTop];
    this.ops[i] = op;
    this.used++;
    return i;
  }

  /** Release a slot after its terminal CQE; the next occupant gets a new generation. */
  release(i: number): void {
    this.ops[i] = undefined;
    const g = (this.gen[i] + 1) & GEN_MASK;
    this.gen[i] = g === 0 ? 1 : g;
    this.free[this.freeTop++] = i;
    this.used--;
  }

  private grow(n: number): void {
    const old = this.ops.length;
    const gen = new Uint32Array(n);
    gen.set(this.gen);
    gen.fill(1, old);
    this.gen = gen;
    const free = new Int32Array(n);
    free.set(this.free.subarray(0, this.freeTop));
    // Push new slots so that the lowest index is handed out first.
    for (let i = n - 1; i >= old; i--) free[this.freeTop++] = i;
    this.free = free;
    for (let i = old; i < n; i++) this.ops.push(undefined);
  }
}
