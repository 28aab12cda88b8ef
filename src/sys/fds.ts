/**
 * The thread's ledger of the file descriptors RingCore owns: one byte per fd number in
 * memory the native gate allocated (native/ringcore.c, `fdLedger`).  JavaScript marks
 * an fd when a request hands it one (open, socket, accept, socketpair: 1), notes
 * when its CLOSE is written (2) and unmarks it when the close is done (0).  Nothing
 * reads it here: when the thread ends — a worker that is terminated with sockets and
 * files open — the native cleanup closes what is still owned (1), as Node closes its
 * own handles, so the process does not keep their fds forever.  Fds that requests
 * returned but JavaScript never saw (completions not reaped yet) are closed by the
 * ring's own cleanup: their user_data says "the result is an fd" (op/slots.ts).
 *
 * An fd number at or past the ledger's size (2^20, Linux's default fs.nr_open) is not
 * tracked.  An fd handed to another thread by number (`fh.fd` in a message) still
 * belongs to this thread's ledger: it is closed when this thread ends.
 *
 * May touch: the ledger bytes only.
 */
import { native } from './native.js';

const ledger = new Uint8Array(native.fdLedger());

/** RingCore owns `fd` now (a request returned it). */
export function adoptFd(fd: number): void {
  if (fd >= 0 && fd < ledger.length) ledger[fd] = 1;
}

/**
 * The CLOSE of `fd` is written into the SQ.  If the thread ends before it is entered,
 * the ring's native cleanup submits it; the ledger then leaves `fd` alone (closing it
 * twice could close whatever reused the number meanwhile).
 */
export function closingFd(fd: number): void {
  if (fd >= 0 && fd < ledger.length && ledger[fd] === 1) ledger[fd] = 2;
}

/** RingCore no longer owns `fd` (its close completed, or was done directly). */
export function releaseFd(fd: number): void {
  if (fd >= 0 && fd < ledger.length) ledger[fd] = 0;
}
