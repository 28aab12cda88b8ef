/**
 * `FdHandle`: what FileHandle and TcpStream share — an fd owned by an object that
 * closes it through the ring.  After close() the fd reads -1 at once (so no request
 * made later can reach a reused fd number; see `OpRequest.owner`), what is still pending on
 * the fd is cancelled, and the close itself is one IORING_OP_CLOSE.
 *
 * A handle dropped without close() is closed when it is garbage-collected, with a
 * process warning naming the fd — what Node does for its FileHandle.  (While a
 * request on the fd is in flight, the op references the handle, so it cannot be
 * collected then.)
 *
 * May touch: its ring (cancel + close requests; CloseOp closes directly once the
 * ring has closed).
 */
import { cancelAndClose } from './cancel.js';
import { closeQuietly } from './io.js';
import type { Submitter } from './op.js';
import { errnoError } from './errors.js';
import { EBADF } from '../sys/errno.js';

/** What the collector needs to close a forgotten handle's fd: never the handle itself. */
interface Forgotten {
  ring: Submitter;
  fd: number;
}

const collector = new FinalizationRegistry<Forgotten>(({ ring, fd }) => {
  process.emitWarning(`Closing file descriptor ${fd} on garbage collection`, 'Warning');
  closeQuietly(ring, fd); // (after the ring closed: close(2) directly; see CloseOp)
});

export class FdHandle {
  protected fdv: number;
  private closing: Promise<void> | undefined = undefined;

  protected constructor(readonly ring: Submitter, fd: number) {
    this.fdv = fd;
    collector.register(this, { ring, fd }, this);
  }

  /** The error a call on this handle rejects with once it is closed (Node's shape for its kind). */
  closedError(syscall: string): Error {
    return errnoError(EBADF, syscall);
  }

  /** The file descriptor, or -1 once close() was called. */
  get fd(): number {
    return this.fdv;
  }

  /** Cancel what is pending on the fd, then close it.  Idempotent. */
  close(): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    const fd = this.fdv;
    this.fdv = -1;
    collector.unregister(this);
    return (this.closing = fd < 0 ? Promise.resolve() : this.closeFd(fd));
  }

  /**
   * How close() closes `fd` (the handle already reads -1): cancel what is pending on it,
   * then CLOSE.  A subclass whose linked requests name `fd` before they start (a linked
   * request looks its fd up only when it starts) waits for them first: net/sendfile.ts.
   */
  protected closeFd(fd: number): Promise<void> {
    return cancelAndClose(this.ring, fd);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
