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

/** The ring that free functions (`read`, `sleep`, ...) use on this thread. */
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
