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
 * The iterator itself (arming, pausing, ending, stopping) is op/receiver.ts's, shared
 * with a stream's chunks() and a listener's incoming().
 *
 * May touch: its socket's ring (the recvmsg request, its cancel), the buffer group.
 */
import { MultishotRecvmsgOp, SOCKADDR_ROOM, type RecvmsgSink } from '../op/net.js';
import { MSG_TRUNC } from '../sys/socket.js';
import { netError } from '../op/errors.js';
import { Receiver } from '../op/receiver.js';
import type { BufferRing } from '../runtime/bufring.js';
import type { Ring } from '../runtime/ring.js';
import { decodeSource, type AddressInfo } from './address.js';
import { ECANCELED, ENOBUFS } from '../sys/errno.js';

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

export class Messages extends Receiver<Datagram> implements RecvmsgSink {
  private readonly queue: Datagram[] = [];
  /** Index of the queue's head (a queue that is shifted one by one would copy). */
  private head = 0;
  private bytes = 0;
  private readonly maxMessages: number;
  private readonly maxBytes: number;

  constructor(private readonly source: MessageSource, private readonly group: BufferRing, options: MessagesOptions = {}) {
    super(source, 'messages', true);
    this.maxMessages = options.highWaterMark ?? DEFAULT_HIGH_WATER_MESSAGES;
    this.maxBytes = options.highWaterBytes ?? DEFAULT_HIGH_WATER_BYTES;
    this.begin(options.signal);
  }

  protected makeOp(): MultishotRecvmsgOp {
    return new MultishotRecvmsgOp(this.source.ring, this.source.fd, this.group.bgid, this);
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
    if (this.awaited) {
      this.handOver(d);
      return;
    }
    this.queue.push(d);
    this.bytes += d.data.length;
    // The consumer is behind: leave what comes in the socket's receive buffer.
    if (this.queue.length - this.head >= this.maxMessages || this.bytes >= this.maxBytes) this.pause();
  }

  /** RecvmsgSink: the request ended (1 = after a message: re-arm; < 0 = why). */
  ended(res: number): void {
    this.op = undefined;
    if (this.stopped) return;
    if (res === 1) this.arm();
    else if (res === ENOBUFS) this.starve(this.group);
    else if (res === ECANCELED) this.cancelled();
    else this.finish(netError(res, 'recvmsg'));
  }

  protected isEmpty(): boolean {
    return this.head === this.queue.length;
  }

  protected take(): Datagram {
    const d = this.queue[this.head++];
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    this.bytes -= d.data.length;
    return d;
  }

  /** Armed again once the consumer has taken the queue down to half of both marks. */
  protected override resumable(): boolean {
    return this.queue.length - this.head <= this.maxMessages / 2 && this.bytes <= this.maxBytes / 2;
  }

  protected drop(): void {
    this.queue.length = 0;
    this.head = 0;
    this.bytes = 0;
  }

  protected told(): void {
    this.source.messagesEnded(this);
  }

  /** Datagrams waiting for the consumer (for tests and back-pressure checks). */
  get queued(): number {
    return this.queue.length - this.head;
  }

  /** Is the multishot request paused by back-pressure? */
  get isPaused(): boolean {
    return this.paused;
  }
}
