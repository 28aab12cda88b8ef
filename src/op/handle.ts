/**
 * `FdHandle`: what FileHandle and TcpStream share — an fd owned by an object that
 * closes it through the ring.  After close() the fd reads -1 at once (so no request
 * made later can reach a reused fd number; see `Op.owner`), what is still pending on
 * the fd is cancelled, and the close itself is one IORING_OP_CLOSE.
 *
 * May touch: its ring (cancel + close requests).
 */
import { cancelAndClose } from './cancel.js';
import type { Submitter } from './op.js';

export class FdHandle {
  protected fdv: number;
  private closing: Promise<void> | undefined;

  constructor(readonly ring: Submitter, fd: number) {
    this.fdv = fd;
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
    return (this.closing = fd < 0 ? Promise.resolve() : cancelAndClose(this.ring, fd));
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
