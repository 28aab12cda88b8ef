/**
 * The thread's ledger of the file descriptors RingCore owns: one byte per fd number in
 * memory the native gate allocated (native/ringcore.c, `fdLedger`).  JavaScript marks
 * an fd when a request hands it one (open, socket, accept, socketpair) and unmarks it
 * when it gives the fd up (the CLOSE is written, or close(2) is called directly).
 * Nothing reads it here: when the thread ends — a worker that is terminated with
 * sockets and files open — the native cleanup closes what is still marked, as Node
 * closes its own handles, so the process does not keep their fds forever.
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

/** RingCore gives `fd` up (its close is on the way). */
export function releaseFd(fd: number): void {
  if (fd >= 0 && fd < ledger.length) ledger[fd] = 0;
}
