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
 * May touch: its ring (cancel + close requests), the native close for a handle
 * collected after its ring closed.
 */
import { cancelAndClose } from './cancel.js';
import { CloseOp } from './io.js';
import type { Submitter } from './op.js';
import { errnoError } from './errors.js';
import { native } from '../sys/native.js';
import { releaseFd } from '../sys/fds.js';

/** What the collector needs to close a forgotten handle's fd: never the handle itself. */
interface Forgotten {
  ring: Submitter;
  fd: number;
}

const collector = new FinalizationRegistry<Forgotten>(({ ring, fd }) => {
  process.emitWarning(`Closing file descriptor ${fd} on garbage collection`, 'Warning');
  if (!ring.closed) new CloseOp(ring, fd).start();
  else {
    releaseFd(fd);
    native.closeFd(fd);
  }
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
    return errnoError(-9, syscall);
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
    return (this.closing = fd < 0 ? Promise.resolve() : cancelAndClose(this.ring, fd));
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
