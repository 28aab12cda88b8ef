/**
 * The per-thread default ring — the one piece of global state in RingCore, the
 * counterpart of the original's `thread_local!` ring.  Each worker thread has its
 * own module instance, hence its own ring.  Created on first use; replaced while
 * `run()` owns the thread; re-created if someone closed it.
 *
 * May touch: only the `current` variable.
 */
import { Ring } from './ring.js';

let current: Ring | undefined;

/**
 * The ring that free functions (`read`, `sleep`, ...) use on this thread: created on
 * first use (with the default RingOptions), run()'s ring while run() owns the thread,
 * and a new one after somebody closed it.  It lives in Node's event loop and does not
 * keep the process alive when nothing is in flight.
 * @returns the thread's default Ring
 * @throws ERR_IO_URING_UNAVAILABLE when the ring has to be created and the kernel
 *         refuses io_uring (the error's `reason` says why and what to do)
 * @example
 * ```ts
 * import { defaultRing, nop } from 'ringcore';
 *
 * await nop();                         // made the default ring
 * const ring = defaultRing();
 * console.log(ring === defaultRing(), ring.stats().sqesSubmitted); // true 1
 * await ring.close();                  // the next use makes a new one
 * console.log(defaultRing() === ring); // false
 * ```
 */
export function defaultRing(): Ring {
  if (current === undefined || current.closed) current = new Ring();
  return current;
}

/** Make `ring` the thread's ring (run() does, for its duration); returns the previous one. */
export function swapDefaultRing(ring: Ring | undefined): Ring | undefined {
  const prev = current;
  current = ring;
  return prev;
}

/** The thread's ring if there is one, without creating it. */
export function peekDefaultRing(): Ring | undefined {
  return current;
}
