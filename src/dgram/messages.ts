/**
 * `socket.messages()`: received datagrams as an async iterator, from ONE multishot
 * RECVMSG (op/net.ts MultishotRecvmsgOp) that picks its buffers from a provided-buffer
 * group (runtime/bufring.ts) — the ring's shared one, or the socket's own.
 *
 * Each CQE is one datagram.  Its buffer holds struct io_uring_recvmsg_out, the source
 * address and the payload; the payload is copied into a Buffer the caller owns, the
 * address decoded, and the provided buffer goes straight back to the kernel — so a
 * slow consumer never holds buffers that other sockets and connections receive into.
 *
 * Back-pressure.  UDP has none on the wire: the sender is never told to wait.  What we
 * can bound is our own memory.  Once `highWaterMark` datagrams (or `highWaterBytes`
 * bytes) wait for the consumer, the multishot request is cancelled, so the kernel
 * keeps what arrives in the socket's receive buffer (SO_RCVBUF, see
 * setRecvBufferSize) instead of handing it to us; it is armed again when the consumer
 * has taken the queue down to half.  Past the receive buffer the KERNEL drops
 * datagrams, as it does for any UDP socket that is read too slowly — that is UDP, and
 * what node:dgram does too (it keeps reading into memory without a bound instead).
 * The cancel reaches the kernel at the next enter, so the queue can pass the mark by
 * what arrives until then: when the request is re-armed over a backlog, the kernel
 * fills every free buffer of the group in one go, so the bound is the mark plus the
 * group's buffer count (each copied out at once, so the group itself is never held).
 *
 * The request ends after a zero-length datagram (the kernel's multishot rule; it is
 * delivered, then we re-arm), on -ENOBUFS when every buffer of the group is out (the
 * datagram stays queued in the socket; we re-arm when a buffer comes back), on an
 * error (the iterator throws it: on a connected socket an ICMP error such as
 * ECONNREFUSED is reported by the receive side), or when we cancel it (pause,
 * stop).  Closing the socket, `return()` or the signal stop it.
 *
 * May touch: its socket's ring (the recvmsg request, its cancel), the buffer group.
 */
import { MSG_TRUNC, MultishotRecvmsgOp, SOCKADDR_ROOM, type RecvmsgSink } from '../op/net.js';
import { abortError, netError, onAbort } from '../op/errors.js';
import type { BufferRing } from '../runtime/bufring.js';
import type { Ring } from '../runtime/ring.js';
import { decodeSource, type AddressInfo } from './address.js';

const ENOBUFS = -105;
const ECANCELED = -125;
/** sizeof(struct io_uring_recvmsg_out): namelen, controllen, payloadlen, flags (u32 each). */
const RECVMSG_OUT = 16;
/** Where the payload starts in each provided buffer: the header, then the name's room (no control data). */
export const PAYLOAD_AT = RECVMSG_OUT + SOCKADDR_ROOM;

/** One datagram: its bytes (the caller's own Buffer) and where it came from. */
export interface Datagram extends AddressInfo {
  data: Buffer;
  /** It was longer than the buffer it was received into; the rest is lost. */
  truncated: boolean;
}

export interface MessagesOptions {
  /** Stop the iteration: it throws an AbortError. */
  signal?: AbortSignal;
  /** Datagrams received and not yet taken before the socket stops taking them from the kernel.  Default 1024. */
  highWaterMark?: number;
  /** The same bound in bytes of payload.  Default 4 MiB. */
  highWaterBytes?: number;
}

export const DEFAULT_HIGH_WATER_MESSAGES = 1024;
export const DEFAULT_HIGH_WATER_BYTES = 4 * 1024 * 1024;

/** What a Messages iterator reads from. */
export interface MessageSource {
  readonly ring: Ring;
  readonly fd: number;
  /** unref()'d: the recvmsg request does not keep the process alive. */
  readonly unrefd?: boolean;
  /** @internal The iterator ended: the source may start another. */
  messagesEnded(m: Messages): void;
}

type Waiter = { resolve: (r: IteratorResult<Datagram>) => void; reject: (e: unknown) => void };

export class Messages implements AsyncIterableIterator<Datagram>, RecvmsgSink {
  private readonly queue: Datagram[] = [];
  /** Index of the queue's head (a queue that is shifted one by one would copy). */
  private head = 0;
  private bytes = 0;
  private waiter: Waiter | undefined = undefined;
  private op: MultishotRecvmsgOp | undefined = undefined;
  /** Over a high-water mark: the request was cancelled on purpose. */
  private paused = false;
  private starved = false;
  private ended_ = false;
  private failure: unknown = undefined;
  private stopped = false;
  private readonly unlisten: (() => void) | undefined;
  private readonly maxMessages: number;
  private readonly maxBytes: number;

  constructor(private readonly source: MessageSource, private readonly group: BufferRing, options: MessagesOptions = {}) {
    this.maxMessages = options.highWaterMark ?? DEFAULT_HIGH_WATER_MESSAGES;
    this.maxBytes = options.highWaterBytes ?? DEFAULT_HIGH_WATER_BYTES;
    const signal = options.signal;
    const aborted = signal?.aborted === true;
    this.unlisten = signal !== undefined && !aborted ? onAbort(signal, (e) => this.stop(e)) : undefined;
    if (aborted) {
      this.stopped = true;
      this.failure = abortError(signal);
      return;
    }
    this.arm();
  }

  private arm(): void {
    this.starved = false;
    if (this.stopped || this.ended_ || this.paused || this.op !== undefined || this.source.fd < 0) return;
    this.op = new MultishotRecvmsgOp(this.source.ring, this.source.fd, this.group.bgid, this);
    this.op.req.unref = this.source.unrefd === true;
    this.op.start();
  }

  /** @internal The socket was ref()'d or unref()'d: so is the recvmsg request in flight. */
  refChanged(): void {
    if (this.op !== undefined) this.source.ring.setWeak(this.op, this.source.unrefd === true);
  }

  /** RecvmsgSink: a datagram in buffer `bid`, `length` bytes of header, name and payload. */
  message(length: number, bid: number): void {
    this.group.took();
    if (this.stopped || length < PAYLOAD_AT) {
      this.group.recycle(bid);
      return;
    }
    let d: Datagram;
    try {
      const b = this.group.view(bid, length);
      const namelen = b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24);
      const flags = b[12] | (b[13] << 8) | (b[14] << 16) | (b[15] << 24);
      const from = decodeSource(b, RECVMSG_OUT, Math.min(namelen, SOCKADDR_ROOM));
      const data = Buffer.allocUnsafe(length - PAYLOAD_AT);
      data.set(b.subarray(PAYLOAD_AT, length));
      d = { data, address: from.address, family: from.family, port: from.port, truncated: (flags & MSG_TRUNC) !== 0 };
    } finally {
      this.group.recycle(bid); // copied out: the buffer is the kernel's again
    }
    const w = this.waiter;
    if (w !== undefined) {
      this.waiter = undefined;
      w.resolve({ value: d, done: false });
      return;
    }
    this.queue.push(d);
    this.bytes += d.data.length;
    if ((this.queue.length - this.head >= this.maxMessages || this.bytes >= this.maxBytes) && this.op !== undefined && !this.paused) {
      this.paused = true; // the consumer is behind: leave what comes in the socket's receive buffer
      void this.source.ring.cancel(this.op).then(undefined, () => {});
    }
  }

  /** RecvmsgSink: the request ended (1 = after a message: re-arm; < 0 = why). */
  ended(res: number): void {
    this.op = undefined;
    if (this.stopped) return;
    if (res === 1) this.arm();
    else if (res === ENOBUFS) {
      this.starved = true;
      this.group.whenAvailable(() => {
        if (this.starved) this.arm();
      });
    } else if (res === ECANCELED) {
      if (this.source.fd < 0) this.stop(undefined); // the socket closed
      else if (!this.paused) this.arm(); // our pause, already over
    } else this.finish(netError(res, 'recvmsg'));
  }

  /** No more datagrams will come: wake a waiting consumer once the queue is drained. */
  private finish(err: unknown): void {
    this.ended_ = true;
    this.failure = err;
    if (this.waiter !== undefined && this.queue.length === this.head) {
      const w = this.waiter;
      this.waiter = undefined;
      this.settleEnd(w);
    }
  }

  private settleEnd(w: Waiter): void {
    const f = this.failure;
    this.failure = undefined;
    this.source.messagesEnded(this);
    if (f !== undefined) w.reject(f);
    else w.resolve({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<Datagram>> {
    if (this.head < this.queue.length) {
      const d = this.queue[this.head++];
      if (this.head === this.queue.length) {
        this.queue.length = 0;
        this.head = 0;
      } else if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      this.bytes -= d.data.length;
      if (this.paused && this.queue.length - this.head <= this.maxMessages / 2 && this.bytes <= this.maxBytes / 2) {
        this.paused = false;
        this.arm();
      }
      return Promise.resolve({ value: d, done: false });
    }
    if (this.paused) {
      this.paused = false;
      this.arm();
    }
    if (this.ended_ || this.stopped) {
      return new Promise((resolve, reject) => this.settleEnd({ resolve, reject }));
    }
    if (this.waiter !== undefined) return Promise.reject(new Error('messages(): next() called again before the previous call settled'));
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** Stop receiving: cancel the request, drop what waits, end the iteration. */
  stop(err: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    this.unlisten?.();
    if (this.op !== undefined && this.source.fd >= 0) void this.source.ring.cancel(this.op).then(undefined, () => {});
    this.queue.length = 0;
    this.head = 0;
    this.bytes = 0;
    this.failure = err;
    if (this.waiter !== undefined) {
      const w = this.waiter;
      this.waiter = undefined;
      this.settleEnd(w);
    } else {
      this.source.messagesEnded(this);
    }
  }

  return(): Promise<IteratorResult<Datagram>> {
    this.stop(undefined);
    this.failure = undefined;
    return Promise.resolve({ value: undefined, done: true });
  }

  /** Stopped before it started (an aborted signal). */
  get isStopped(): boolean {
    return this.stopped;
  }

  /** Datagrams waiting for the consumer (for tests and back-pressure checks). */
  get queued(): number {
    return this.queue.length - this.head;
  }

  /** Is the multishot request paused by back-pressure? */
  get isPaused(): boolean {
    return this.paused;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Datagram> {
    return this;
  }
}
