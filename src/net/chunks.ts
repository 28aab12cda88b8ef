/**
 * `stream.chunks()`: received data as an async iterator, from ONE multishot RECV
 * that picks its buffers from the ring's provided-buffer group.
 *
 * Zero copy, hence one rule: a chunk is a view of a kernel-provided buffer and is
 * valid until the next `next()` call (the next loop iteration); that call gives the
 * buffer back to the kernel.  Copy it (Buffer.from(chunk)) to keep it longer.
 *
 * The multishot request ends on EOF (the iterator finishes), on an error (it throws),
 * or with -ENOBUFS when every buffer of the group is out in some consumer's hands:
 * then it re-arms as soon as a buffer comes back, never spinning.
 *
 * May touch: its stream's ring (the recv request), the buffer group.
 */
import { MultishotRecvOp, type RecvSink } from '../op/net.js';
import { abortError, netError, onAbort } from '../op/errors.js';
import type { BufferRing } from '../runtime/bufring.js';
import type { Ring } from '../runtime/ring.js';

const ENOBUFS = -105;
const ECANCELED = -125;

export interface ChunkSource {
  readonly ring: Ring;
  readonly fd: number;
}

export class Chunks implements AsyncIterableIterator<Uint8Array>, RecvSink {
  /** Received and not yet handed out: (bid, length) pairs. */
  private readonly queue: number[] = [];
  /** The bid the consumer holds (its last chunk), or -1. */
  private held = -1;
  private waiter: { resolve: (r: IteratorResult<Uint8Array>) => void; reject: (e: unknown) => void } | undefined;
  private op: MultishotRecvOp | undefined;
  private starved = false;
  private eof = false;
  private failure: unknown;
  private stopped = false;
  private readonly unlisten: (() => void) | undefined;

  constructor(private readonly source: ChunkSource, private readonly group: BufferRing, signal?: AbortSignal) {
    if (signal?.aborted) {
      this.stopped = true;
      this.failure = abortError(signal);
      return;
    }
    if (signal) this.unlisten = onAbort(signal, (e) => this.stop(e));
    this.arm();
  }

  private arm(): void {
    this.starved = false;
    if (this.stopped || this.eof || this.source.fd < 0) return;
    this.op = new MultishotRecvOp(this.source.ring, this.source.fd, this.group.bgid, this);
    this.op.start();
  }

  data(length: number, bid: number): void {
    this.group.took();
    if (this.stopped) {
      this.group.recycle(bid);
      return;
    }
    const w = this.waiter;
    if (w !== undefined && this.queue.length === 0) {
      this.waiter = undefined;
      this.held = bid;
      w.resolve({ value: this.group.view(bid, length), done: false });
    } else {
      this.queue.push(bid, length);
    }
  }

  ended(res: number): void {
    this.op = undefined;
    if (this.stopped) return;
    if (res === 1) this.arm();
    else if (res === 0) this.finish(undefined);
    else if (res === ENOBUFS) {
      this.starved = true;
      this.group.whenAvailable(() => {
        if (this.starved) this.arm();
      });
    } else if (res === ECANCELED && this.source.fd < 0) this.finish(undefined); // the stream closed
    else this.finish(netError(res, 'read'));
  }

  /** No more data will come: wake a waiting consumer once the queue is drained. */
  private finish(err: unknown): void {
    this.eof = true;
    this.failure = err;
    if (this.waiter !== undefined && this.queue.length === 0) {
      const w = this.waiter;
      this.waiter = undefined;
      this.settleEnd(w);
    }
  }

  private settleEnd(w: { resolve: (r: IteratorResult<Uint8Array>) => void; reject: (e: unknown) => void }): void {
    const f = this.failure;
    this.failure = undefined;
    if (f !== undefined) w.reject(f);
    else w.resolve({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    if (this.held >= 0) {
      this.group.recycle(this.held); // the previous chunk is no longer the consumer's
      this.held = -1;
    }
    if (this.queue.length > 0) {
      const bid = this.queue.shift()!;
      const length = this.queue.shift()!;
      this.held = bid;
      try {
        return Promise.resolve({ value: this.group.view(bid, length), done: false });
      } catch (e) {
        return Promise.reject(e);
      }
    }
    if (this.eof || this.stopped) {
      return new Promise((resolve, reject) => this.settleEnd({ resolve, reject }));
    }
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** Stop receiving: cancel the request, give every buffer back. */
  stop(err: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    this.unlisten?.();
    if (this.op !== undefined && this.source.fd >= 0) this.source.ring.cancel(this.op).then(undefined, () => {});
    for (let i = 0; i < this.queue.length; i += 2) this.group.recycle(this.queue[i]);
    this.queue.length = 0;
    if (this.held >= 0) {
      this.group.recycle(this.held);
      this.held = -1;
    }
    this.failure = err;
    if (this.waiter !== undefined) {
      const w = this.waiter;
      this.waiter = undefined;
      this.settleEnd(w);
    }
  }

  return(): Promise<IteratorResult<Uint8Array>> {
    this.stop(undefined);
    this.failure = undefined;
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Uint8Array> {
    return this;
  }
}
