/**
 * `stream.chunks()` and `stream.zeroCopyChunks()`: received data as an async iterator,
 * from ONE multishot RECV that picks its buffers from a provided-buffer group shared
 * by many connections (runtime/bufring.ts).
 *
 * Two ways to hand the data over:
 *  - `chunks()` (the default): each chunk is a Buffer the caller owns.  The bytes are
 *    copied out of the shared buffer as the CQE is handled and the buffer goes back to
 *    the kernel at once, so a chunk can be kept, queued by a stream, or transferred.
 *  - `zeroCopyChunks()`: each chunk is a view of the shared buffer itself — no copy —
 *    valid only until the next `next()` call, which gives the buffer back.  The caller
 *    must be done with it (parse it, copy it) before asking for the next one.  For
 *    code that consumes each chunk on the spot, like an HTTP parser that copies what
 *    it keeps.
 *
 * Back-pressure, per connection.  Once the data waiting for the consumer reaches
 * `highWaterMark` bytes (default 64 KiB), the multishot RECV is cancelled, so the
 * kernel stops taking this connection's data — the socket's receive buffer fills and
 * TCP's window tells the peer to wait — and it is armed again when the consumer has
 * taken the queue down to half.  The cancel reaches the kernel at the next enter, so
 * what waits can pass the mark by what arrives until then (about one loop turn of
 * data, copied into memory of this connection's own); the shared buffers one
 * connection holds never pass the mark, so one slow reader cannot drain the group
 * that every other connection receives into.
 *
 * The multishot request ends on EOF (the iterator finishes after the queue), on an
 * error (it throws), on -ENOBUFS when every buffer of the group is momentarily out
 * (it re-arms when one comes back, never spinning), or when we cancel it (pause,
 * stop).  Closing the stream, `return()` or the signal stop it: every buffer still
 * held goes back to the group.
 *
 * The iterator itself (arming, pausing, ending, stopping) is op/receiver.ts's, shared
 * with a listener's incoming() and a UDP socket's messages().
 *
 * May touch: its stream's ring (the recv request, its cancel), the buffer group.
 */
import { MultishotRecvOp, type RecvSink } from '../op/net.js';
import { netError } from '../op/errors.js';
import { Receiver } from '../op/receiver.js';
import type { BufferRing } from '../runtime/bufring.js';
import type { Ring } from '../runtime/ring.js';
import { ECANCELED, ENOBUFS } from '../sys/errno.js';

/** chunks(): how large a chunk grows by appending while the consumer is behind. */
const COALESCE_BYTES = 64 * 1024;

/** What a Chunks reads from. */
export interface ChunkSource {
  readonly ring: Ring;
  readonly fd: number;
  /** unref()'d: the recv request does not keep the process alive. */
  readonly unrefd?: boolean;
  /** Told of the bytes received (a TcpStream's bytesRead). */
  counted?(received: boolean, bytes: number): void;
  /** @internal The iterator ended (stopped, EOF, error): the source may start another. */
  chunksEnded(c: Chunks): void;
}

export interface ChunksOptions {
  /** Stop the iteration: it throws an AbortError. */
  signal?: AbortSignal;
  /**
   * Bytes received and not yet taken by the consumer before this connection stops
   * receiving (TCP back-pressure).  Default 64 KiB; at least one buffer of the group.
   */
  highWaterMark?: number;
}

/** Default per-connection bound on received, unconsumed bytes. */
export const DEFAULT_HIGH_WATER_MARK = 64 * 1024;

export class Chunks extends Receiver<Uint8Array> implements RecvSink {
  /** Received, not handed out: (bid, length) pairs (zero-copy) and owned chunks. */
  private readonly queue: (number | Uint8Array)[] = [];
  /** Bytes in the queue (and, zero-copy, in the chunk the consumer holds). */
  private buffered = 0;
  /** zero-copy: the bid the consumer holds (its last chunk), or -1. */
  private held = -1;
  private heldBytes = 0;
  /**
   * chunks(): the owned chunk at the queue's tail, while more data may be appended to
   * it (its buffer was made with room: see data()), and how much of `tailBuf` it uses.
   */
  private tailBuf: Buffer | undefined = undefined;
  private tailStart = 0;
  private tailEnd = 0;
  private readonly highWaterMark: number;

  /** zeroCopyChunks(): chunks are views of the shared buffers, valid until the next next(). */
  private readonly zeroCopy: boolean;

  constructor(private readonly source: ChunkSource, private readonly group: BufferRing,
              options: ChunksOptions & { zeroCopy: boolean }) {
    super(source, 'chunks', true);
    this.zeroCopy = options.zeroCopy;
    this.highWaterMark = Math.max(options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK, group.size);
    this.begin(options.signal);
  }

  protected makeOp(): MultishotRecvOp {
    return new MultishotRecvOp(this.source.ring, this.source.fd, this.group.bgid, this);
  }

  /** RecvSink: `length` bytes arrived in buffer `bid`. */
  data(length: number, bid: number): void {
    this.group.took();
    this.source.counted?.(true, length);
    if (this.stopped) {
      this.group.recycle(bid);
      return;
    }
    let chunk: Uint8Array | undefined;
    // Copy out now and give the buffer straight back — always for chunks() (the caller
    // owns what it gets), and for zero-copy chunks past the high-water mark: the pause
    // reaches the kernel only at the next enter, and what the multishot recv takes
    // meanwhile must not come out of the buffers every connection shares.
    if (!this.zeroCopy || this.buffered + this.heldBytes + length > this.highWaterMark) {
      if (this.queue.length > 0 && this.append(bid, length)) return this.afterQueued();
      chunk = Buffer.allocUnsafe(length);
      chunk.set(this.group.view(bid, length));
      this.group.recycle(bid);
    }
    if (this.awaited && this.queue.length === 0) {
      this.handOver(chunk ?? this.hold(bid, length));
    } else {
      if (chunk !== undefined) this.queue.push(chunk);
      else this.queue.push(bid, length);
      this.buffered += length;
    }
    this.afterQueued();
  }

  /**
   * chunks(): append `length` bytes of buffer `bid` to the owned chunk at the queue's
   * tail, if it is still being filled and has room (then the shared buffer goes back).
   */
  private append(bid: number, length: number): boolean {
    if (this.zeroCopy) return false;
    const q = this.queue;
    const last = q[q.length - 1];
    if (typeof last === 'number') return false;
    let buf = this.tailBuf;
    if (buf === undefined || last.buffer !== buf.buffer) {
      // The consumer is behind and bulk data keeps coming (a full buffer's worth): make
      // the waiting chunk a larger one — one chunk instead of many, so every stream
      // stage after us (push, write, callback) runs once per chunk.  Made only now that
      // something is appended, so a chunk that nothing joins keeps its exact size.
      if (last.length < this.group.size / 2 || last.length + length > COALESCE_BYTES) return false;
      buf = Buffer.allocUnsafeSlow(COALESCE_BYTES);
      buf.set(last, 0);
      this.tailBuf = buf;
      this.tailStart = 0;
      this.tailEnd = last.length;
    } else if (this.tailEnd + length > buf.length) {
      return false;
    }
    buf.set(this.group.view(bid, length), this.tailEnd);
    this.group.recycle(bid);
    this.tailEnd += length;
    q[q.length - 1] = buf.subarray(this.tailStart, this.tailEnd);
    this.buffered += length;
    return true;
  }

  private afterQueued(): void {
    // The consumer is behind: stop taking this connection's data.
    if (this.buffered + this.heldBytes >= this.highWaterMark) this.pause();
  }

  /** zero-copy: hand `bid` to the consumer until its next `next()`. */
  private hold(bid: number, length: number): Uint8Array {
    this.held = bid;
    this.heldBytes = length;
    return this.group.view(bid, length);
  }

  /** RecvSink: the request ended (1 = stopped with data, re-arm; 0 = EOF; < 0 = why). */
  ended(res: number): void {
    this.op = undefined;
    if (this.stopped) return;
    if (res === 1) this.arm();
    else if (res === 0) this.finish(undefined);
    else if (res === ENOBUFS) this.starve(this.group);
    else if (res === ECANCELED) this.cancelled();
    else this.finish(netError(res, 'read'));
  }

  protected override released(): void {
    if (this.held >= 0) {
      this.group.recycle(this.held); // the previous chunk is no longer the consumer's
      this.held = -1;
      this.heldBytes = 0;
    }
  }

  protected isEmpty(): boolean {
    return this.queue.length === 0;
  }

  protected take(): Uint8Array {
    const head = this.queue.shift()!;
    if (typeof head === 'number') { // zero-copy: (bid, length)
      const length = this.queue.shift() as number;
      this.buffered -= length;
      return this.hold(head, length);
    }
    this.buffered -= head.length;
    // Handed out: nothing more is appended to its buffer.
    if (this.tailBuf !== undefined && head.buffer === this.tailBuf.buffer) this.tailBuf = undefined;
    return head;
  }

  /** Armed again once the consumer has taken the queue down to half the mark. */
  protected override resumable(): boolean {
    return this.buffered + this.heldBytes <= this.highWaterMark / 2;
  }

  /** Give every buffer still held back to the group. */
  protected drop(): void {
    const q = this.queue;
    for (let i = 0; i < q.length; i++) {
      const e = q[i];
      if (typeof e === 'number') {
        this.group.recycle(e); // a (bid, length) pair
        i++;
      }
    }
    q.length = 0;
    this.tailBuf = undefined;
    this.buffered = 0;
    if (this.held >= 0) {
      this.group.recycle(this.held);
      this.held = -1;
      this.heldBytes = 0;
    }
  }

  protected told(): void {
    this.source.chunksEnded(this);
  }
}
