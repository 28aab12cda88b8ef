/**
 * The socket requests: SOCKET, BIND, LISTEN (6.11), ACCEPT (single and multishot),
 * CONNECT, SEND, RECV, SHUTDOWN, setsockopt/getsockopt through URING_CMD (6.7), and
 * for datagrams SENDMSG and RECVMSG (single and multishot).  Each keeps
 * the memory its SQE points at (a sockaddr, an option value, the data) until its
 * terminal CQE, like every op.  `src/net/` shapes them into TcpListener/TcpStream.
 *
 * Field use (io_uring_enter(2), liburing's io_uring_prep_*):
 *   SOCKET   fd = domain, off = type, len = protocol            → res: the new fd
 *   BIND     fd, addr = sockaddr, off = addrlen
 *   LISTEN   fd, len = backlog
 *   ACCEPT   fd, accept_flags (SOCK_CLOEXEC | SOCK_NONBLOCK); multishot: IORING_ACCEPT_MULTISHOT in
 *            ioprio — not in accept_flags, where the original put it (EINVAL)
 *   CONNECT  fd, addr = sockaddr, off = addrlen
 *   SEND     fd, addr = data, len, msg_flags (MSG_NOSIGNAL)      → res: bytes sent
 *   RECV     fd, addr = buffer, len, msg_flags                   → res: bytes, 0 = EOF
 *   SHUTDOWN fd, len = how
 *   URING_CMD fd, cmd_op (in off) = SOCKET_URING_OP_SETSOCKOPT / _GETSOCKOPT,
 *            level/optname (in addr), optval (addr3), optlen (the file_index word)
 *   SENDMSG  fd, addr = struct msghdr (name = the destination sockaddr, iovecs = the
 *            datagram's parts), msg_flags                        → res: bytes sent
 *   RECVMSG  fd, addr = struct msghdr (name = room for the source sockaddr, iovec = the
 *            buffer); the kernel writes msg_namelen and msg_flags back into it.
 *            Multishot: IORING_RECV_MULTISHOT in ioprio + IOSQE_BUFFER_SELECT, and the
 *            msghdr only says how much room to leave for the name and control data in
 *            each provided buffer (see MultishotRecvmsgOp)
 *
 * May touch: sys/sqe.ts (to encode), op/buffers.ts.
 */
import { CQE_BUFFER_SHIFT, CqeFlag, IoprioFlag, Opcode, SqeFlag } from '../sys/constants.js';
import { prep, setAddr3, setAddrWords, setBufIndex, setFileIndex, setIoprio, setOpFlags } from '../sys/sqe.js';
import { Op, returnsFd, type Owner, type RequestOptions, type Submitter } from './op.js';
import { addressOf, MAX_RW, regionAddress, scratch, viewGone, viewLength } from './buffers.js';
import { netError } from './errors.js';
import { closeQuietly } from './io.js';
import type { OpOptions } from './io.js';
import { MSG_MORE, MSG_NOSIGNAL, SOCK_CLOEXEC, STREAM_NONBLOCK, SOCKET_URING_OP_GETSOCKOPT, SOCKET_URING_OP_SETSOCKOPT } from '../sys/socket.js';

export { closeQuietly };


/** Where an error should say it happened (node:net names address and port). */
export interface Peer {
  address?: string;
  port?: number;
}

/** IORING_OP_SOCKET (5.19): socket(2) → the new fd. */
export class SocketOp extends Op<number> {
  constructor(ring: Submitter, readonly domain: number, readonly type: number, readonly protocol = 0) {
    super(ring);
  }
  get syscall(): string { return 'socket'; }
  prepare(sqes: Uint32Array, index: number): void {
    prep(sqes, index, Opcode.SOCKET, this.domain, 0, this.protocol, this.type);
  }
  value(res: number): number { return res; }
  override consume(fd: number): void { closeQuietly(this.ring, fd); }
}
returnsFd(SocketOp);

/** IORING_OP_BIND (6.11): bind(2).  Errors read like node:net's listen errors. */
export class BindOp extends Op<void> {
  constructor(ring: Submitter, readonly fd: number, readonly sockaddr: Buffer, readonly peer: Peer, opts?: RequestOptions) {
    super(ring, undefined, opts?.owner);
  }
  get syscall(): string { return 'listen'; } // node:net reports bind failures as 'listen'
  prepare(sqes: Uint32Array, index: number): void {
    prep(sqes, index, Opcode.BIND, this.fd, addressOf(this.sockaddr), 0, this.sockaddr.length);
  }
  value(): void {}
  override error(res: number): Error { return netError(res, 'listen', this.peer.address, this.peer.port, true); }
}

/** IORING_OP_LISTEN (6.11): listen(2) with `backlog`. */
export class ListenOp extends Op<void> {
  constructor(ring: Submitter, readonly fd: number, readonly backlog: number, readonly peer: Peer) {
    super(ring);
  }
  get syscall(): string { return 'listen'; }
  prepare(sqes: Uint32Array, index: number): void {
    prep(sqes, index, Opcode.LISTEN, this.fd, 0, this.backlog, 0);
  }
  value(): void {}
  override error(res: number): Error { return netError(res, 'listen', this.peer.address, this.peer.port, true); }
}

/** IORING_OP_ACCEPT, one connection → its fd (close-on-exec, O_NONBLOCK). */
export class AcceptOp extends Op<number> {
  constructor(ring: Submitter, readonly fd: number, opts?: OpOptions) {
    super(ring, opts?.signal);
  }
  get syscall(): string { return 'accept'; }
  prepare(sqes: Uint32Array, index: number): void {
    prep(sqes, index, Opcode.ACCEPT, this.fd, 0, 0, 0);
    setOpFlags(sqes, index, SOCK_CLOEXEC | STREAM_NONBLOCK); // see STREAM_NONBLOCK
  }
  value(res: number): number { return res; }
  override error(res: number): Error { return netError(res, 'accept'); }
  override consume(fd: number): void { closeQuietly(this.ring, fd); }
}
returnsFd(AcceptOp);

/** Where a multishot accept delivers. */
export interface AcceptSink {
  /** A connection (the sink owns the fd from here on). */
  accepted(fd: number): void;
  /** The multishot request ended: `res` < 0 is why (-ECANCELED after a cancel). */
  ended(res: number): void;
}

/**
 * IORING_OP_ACCEPT with IORING_ACCEPT_MULTISHOT (5.19): one SQE, one CQE per
 * connection, each with IORING_CQE_F_MORE while the request stays armed.  A CQE
 * without F_MORE ends it (an error such as EMFILE, or a cancel); the owner re-arms.
 */
export class MultishotAcceptOp extends Op<void> {
  constructor(ring: Submitter, readonly fd: number, private readonly sink: AcceptSink) {
    super(ring);
  }
  get syscall(): string { return 'accept'; }
  prepare(sqes: Uint32Array, index: number): void {
    prep(sqes, index, Opcode.ACCEPT, this.fd, 0, 0, 0);
    setOpFlags(sqes, index, SOCK_CLOEXEC | STREAM_NONBLOCK); // see STREAM_NONBLOCK
    setIoprio(sqes, index, IoprioFlag.ACCEPT_MULTISHOT);
  }
  override more(res: number): void {
    if (res >= 0) this.sink.accepted(res);
  }
  override complete(res: number, flags: number): void {
    // The terminal CQE may itself carry a connection (then the request just
    // stopped being multishot) or the reason it ended.
    if (res >= 0) this.sink.accepted(res);
    this.sink.ended(res >= 0 ? 0 : res);
    super.complete(0, flags);
  }
  value(): void {}
}
returnsFd(MultishotAcceptOp);

/** IORING_OP_CONNECT: connect(2) to the sockaddr. */
export class ConnectOp extends Op<void> {
  constructor(ring: Submitter, readonly fd: number, readonly sockaddr: Buffer, readonly peer: Peer, opts?: RequestOptions) {
    super(ring, opts?.signal, opts?.owner);
  }
  get syscall(): string { return 'connect'; }
  prepare(sqes: Uint32Array, index: number): void {
    prep(sqes, index, Opcode.CONNECT, this.fd, addressOf(this.sockaddr), 0, this.sockaddr.length);
  }
  value(): void {}
  override error(res: number): Error { return netError(res, 'connect', this.peer.address, this.peer.port); }
}

/**
 * IORING_OP_SEND / IORING_OP_RECV on a connected socket: `length` bytes at `offset`
 * in `buffer`.  Resolves with the byte count (RECV: 0 = the peer closed).  SEND
 * carries MSG_NOSIGNAL: a closed peer is an EPIPE error, never a SIGPIPE; and
 * MSG_MORE when the request says more follows at once (`more`).
 */
export class SendRecvOp extends Op<number> {
  private readonly opcode: number;
  readonly fd: number;
  readonly buffer: ArrayBufferView;
  readonly offset: number;
  readonly length: number;
  /** Told of every byte moved (a TcpStream's bytesRead/bytesWritten). */
  private readonly counter: ByteCounter | undefined;
  /** SEND's msg_flags. */
  private readonly msgFlags: number;
  constructor(ring: Submitter, r: SendRecvRequest) {
    super(ring, r.signal, r.owner);
    this.opcode = r.opcode;
    this.fd = r.fd;
    this.buffer = r.buffer;
    this.offset = r.offset ?? 0;
    this.length = r.length;
    this.counter = r.counter;
    this.msgFlags = r.more === true ? MSG_NOSIGNAL | MSG_MORE : MSG_NOSIGNAL;
    // Bytes received are gone from the socket, bytes sent cannot be called back: either
    // way an abort after submission waits for the CQE, so the caller learns the count
    // (a write aborted after part of it went resolves with that part, never an
    // AbortError that would make a retry send those bytes twice).
    this.req.keepOutcome = true;
  }
  /** The address of the region, found by check() (which always runs just before prepare). */
  private addr = 0;
  get syscall(): string { return this.opcode === Opcode.RECV ? 'read' : 'write'; }
  override check(): Error | undefined {
    const a = regionAddress(this.buffer, this.offset, this.length, this.syscall);
    if (typeof a !== 'number') return a;
    this.addr = a;
    return undefined;
  }
  prepare(sqes: Uint32Array, index: number): void {
    const n = this.length;
    prep(sqes, index, this.opcode, this.fd, this.addr, n > MAX_RW ? MAX_RW : n, 0);
    if (this.opcode === Opcode.SEND) setOpFlags(sqes, index, this.msgFlags);
  }
  value(res: number): number {
    if (this.counter !== undefined) this.counter.counted(this.opcode === Opcode.RECV, res);
    return res;
  }
  override error(res: number): Error { return netError(res, this.syscall); }
}

/** What one SEND or RECV moves, and for whom: SendRecvOp's request, by name. */
export interface SendRecvRequest {
  /** Opcode.SEND or Opcode.RECV. */
  opcode: number;
  fd: number;
  buffer: ArrayBufferView;
  /** Where the region starts inside `buffer` (default 0). */
  offset?: number;
  length: number;
  signal?: AbortSignal;
  /** The handle the socket belongs to (`OpRequest.owner`): the op fails once it closed. */
  owner?: Owner;
  /** Told of every byte moved. */
  counter?: ByteCounter;
  /** SEND: more data follows at once (MSG_MORE: TCP holds back a last partial segment). */
  more?: boolean;
}

/** What counts a stream's bytes (net.Socket's bytesRead/bytesWritten). */
export interface ByteCounter {
  counted(received: boolean, bytes: number): void;
}

/** Where a multishot recv delivers. */
export interface RecvSink {
  /** `length` bytes arrived in provided buffer `bid` (the sink owns it until recycled). */
  data(length: number, bid: number): void;
  /** The request ended: 0 = the peer closed (EOF), 1 = stopped with data (re-arm), < 0 = why. */
  ended(res: number): void;
}

/**
 * IORING_OP_RECV with IORING_RECV_MULTISHOT (6.0) and IOSQE_BUFFER_SELECT: one SQE,
 * a CQE per arrival of data, each in a buffer the kernel took from provided-buffer
 * group `bgid` (its id in flags >> 16).  -ENOBUFS (the group ran dry) ends it, as
 * does EOF (res 0) or any error; the owner re-arms.
 */
export class MultishotRecvOp extends Op<void> {
  constructor(ring: Submitter, readonly fd: number, readonly bgid: number, private readonly sink: RecvSink) {
    super(ring);
    this.req.sqeFlags = SqeFlag.BUFFER_SELECT;
  }
  get syscall(): string { return 'read'; }
  prepare(sqes: Uint32Array, index: number): void {
    prep(sqes, index, Opcode.RECV, this.fd, 0, 0, 0); // len 0: each buffer's own size
    setIoprio(sqes, index, IoprioFlag.RECV_MULTISHOT);
    setBufIndex(sqes, index, this.bgid);
  }
  override more(res: number, flags: number): void {
    if (res > 0 && (flags & CqeFlag.BUFFER) !== 0) this.sink.data(res, flags >>> CQE_BUFFER_SHIFT);
  }
  override complete(res: number, flags: number): void {
    if (res > 0 && (flags & CqeFlag.BUFFER) !== 0) {
      this.sink.data(res, flags >>> CQE_BUFFER_SHIFT);
      this.sink.ended(1);
    } else {
      this.sink.ended(res);
    }
    super.complete(0, flags);
  }
  value(): void {}
}

/** IORING_OP_SHUTDOWN: shutdown(2); how = 0 read, 1 write, 2 both. */
export class ShutdownOp extends Op<void> {
  constructor(ring: Submitter, readonly fd: number, readonly how: number) {
    super(ring);
  }
  get syscall(): string { return 'shutdown'; }
  prepare(sqes: Uint32Array, index: number): void {
    prep(sqes, index, Opcode.SHUTDOWN, this.fd, 0, this.how, 0);
  }
  value(): void {}
  override error(res: number): Error { return netError(res, 'shutdown'); }
}

/**
 * setsockopt(2) through IORING_OP_URING_CMD (6.7): an int option (`value` a number),
 * or a struct option (`value` the bytes of the struct, e.g. an ip_mreq: optlen is
 * their length — the kernel checks it against the struct it expects).  `syscall`
 * names the call in errors (node:dgram says 'setTTL', 'addMembership', ...).
 */
export class SetsockoptOp extends Op<void> {
  private readonly optval: Buffer;
  private readonly name: string;
  constructor(ring: Submitter, readonly fd: number, readonly level: number, readonly optname: number,
              value: number | Uint8Array, syscall = 'setsockopt', opts?: RequestOptions) {
    super(ring, undefined, opts?.owner);
    if (typeof value === 'number') {
      this.optval = Buffer.alloc(4);
      this.optval.writeInt32LE(value, 0);
    } else {
      this.optval = Buffer.from(value); // our own copy: the kernel reads it at submission
    }
    this.name = syscall;
  }
  get syscall(): string { return this.name; }
  prepare(sqes: Uint32Array, index: number): void {
    prep(sqes, index, Opcode.URING_CMD, this.fd, 0, 0, SOCKET_URING_OP_SETSOCKOPT);
    setAddrWords(sqes, index, this.level, this.optname);
    setAddr3(sqes, index, addressOf(this.optval));
    setFileIndex(sqes, index, this.optval.length);
  }
  value(): void {}
  override error(res: number): Error { return netError(res, this.name); }
}

/**
 * getsockopt(2) of an int option through IORING_OP_URING_CMD (6.7).  The kernel only
 * serves level SOL_SOCKET this way (-EOPNOTSUPP otherwise); on success res is the
 * optlen it wrote and the value is in optval.
 */
export class GetsockoptOp extends Op<number> {
  private readonly optval = Buffer.alloc(4);
  constructor(ring: Submitter, readonly fd: number, readonly level: number, readonly optname: number, opts?: RequestOptions) {
    super(ring, undefined, opts?.owner);
  }
  get syscall(): string { return 'getsockopt'; }
  prepare(sqes: Uint32Array, index: number): void {
    prep(sqes, index, Opcode.URING_CMD, this.fd, 0, 0, SOCKET_URING_OP_GETSOCKOPT);
    setAddrWords(sqes, index, this.level, this.optname);
    setAddr3(sqes, index, addressOf(this.optval));
    setFileIndex(sqes, index, 4);
  }
  value(): number { return this.optval.readInt32LE(0); }
  override error(res: number): Error { return netError(res, 'getsockopt'); }
}

// ------------------------------------------------------------------ datagrams --

/**
 * `struct msghdr` (x86-64, 56 bytes), what SENDMSG and RECVMSG point at:
 *
 *   0 msg_name *  |  8 msg_namelen u32 (+4 pad)  | 16 msg_iov *  | 24 msg_iovlen u64
 *   32 msg_control * | 40 msg_controllen u64 | 48 msg_flags s32 (+4 pad)
 *
 * The kernel copies the header when it prepares the request (and, for RECVMSG,
 * writes msg_namelen and msg_flags back at completion); everything it points at is
 * kept by the op until the terminal CQE like any other request memory.
 */
export const MSGHDR_SIZE = 56;
/** Room for a source address: sizeof(struct sockaddr_in6), the larger of the two. */
export const SOCKADDR_ROOM = 28;

function put64(words: Uint32Array, at: number, v: number): void {
  const lo = v >>> 0;
  words[at] = lo;
  words[at + 1] = (v - lo) / 4294967296;
}

/** Write a msghdr at word `w` of `words`: name, namelen, iovecs. */
function writeMsghdr(words: Uint32Array, w: number, name: number, namelen: number, iov: number, iovlen: number): void {
  put64(words, w, name);
  words[w + 2] = namelen;
  words[w + 3] = 0;
  put64(words, w + 4, iov);
  put64(words, w + 6, iovlen);
  put64(words, w + 8, 0); // no control data
  put64(words, w + 10, 0);
  words[w + 12] = 0;
  words[w + 13] = 0;
}

/**
 * IORING_OP_SENDMSG: one datagram, gathered from `parts`, to the address in
 * `sockaddr` (or, without one, to the connected peer).  One piece of scratch memory
 * holds the msghdr, the sockaddr and the iovec array — written at prepare time, when
 * the parts' addresses are taken — and stays referenced until the CQE with the parts.
 * Errors read like node:dgram's: "send EMSGSIZE 127.0.0.1:9".
 */
export class SendmsgOp extends Op<number> {
  private readonly lengths: number[];
  /** The msghdr + sockaddr + iovecs the SQE points at (kept until the CQE). */
  mem: Buffer | undefined = undefined;
  constructor(ring: Submitter, readonly fd: number, readonly parts: readonly ArrayBufferView[],
              readonly sockaddr: Buffer | undefined, readonly peer: Peer, opts?: RequestOptions) {
    super(ring, undefined, opts?.owner);
    this.lengths = parts.map(viewLength);
  }
  get syscall(): string { return 'send'; }
  override check(): Error | undefined {
    const p = this.parts;
    for (let i = 0; i < p.length; i++) {
      const gone = viewGone(p[i], 0, this.lengths[i], 'send');
      if (gone !== undefined) return gone;
    }
    return undefined;
  }
  prepare(sqes: Uint32Array, index: number): void {
    const n = this.parts.length;
    const sa = this.sockaddr;
    const iovAt = MSGHDR_SIZE + 32; // the sockaddr (<= 28 bytes) between: everything 8-byte aligned
    const mem = (this.mem = scratch(iovAt + Math.max(1, n) * 16));
    const words = new Uint32Array(mem.buffer, mem.byteOffset, mem.byteLength >>> 2);
    const base = addressOf(mem);
    if (sa !== undefined) mem.set(sa, MSGHDR_SIZE);
    for (let i = 0; i < n; i++) {
      const len = this.lengths[i];
      put64(words, (iovAt >>> 2) + i * 4, len === 0 ? 0 : addressOf(this.parts[i]));
      put64(words, (iovAt >>> 2) + i * 4 + 2, len);
    }
    writeMsghdr(words, 0, sa === undefined ? 0 : base + MSGHDR_SIZE, sa === undefined ? 0 : sa.length, base + iovAt, n);
    prep(sqes, index, Opcode.SENDMSG, this.fd, base, 0, 0);
    setOpFlags(sqes, index, MSG_NOSIGNAL);
  }
  value(res: number): number { return res; }
  override error(res: number): Error { return netError(res, 'send', this.peer.address, this.peer.port); }
}

/**
 * IORING_OP_SEND of one datagram on a connected socket (no address: the kernel uses
 * the peer connect() set).  Errors say 'send', as node:dgram's do.
 */
export class DatagramSendOp extends Op<number> {
  private addr = 0;
  private readonly length: number;
  constructor(ring: Submitter, readonly fd: number, readonly buffer: ArrayBufferView, readonly peer: Peer, opts?: RequestOptions) {
    super(ring, undefined, opts?.owner);
    this.length = viewLength(buffer);
  }
  get syscall(): string { return 'send'; }
  override check(): Error | undefined {
    const a = regionAddress(this.buffer, 0, this.length, 'send');
    if (typeof a !== 'number') return a;
    this.addr = a;
    return undefined;
  }
  prepare(sqes: Uint32Array, index: number): void {
    prep(sqes, index, Opcode.SEND, this.fd, this.addr, this.length, 0);
    setOpFlags(sqes, index, MSG_NOSIGNAL);
  }
  value(res: number): number { return res; }
  override error(res: number): Error { return netError(res, 'send', this.peer.address, this.peer.port); }
}

/** What one RECVMSG received: `length` bytes in its buffer, the source sockaddr, MSG_* flags. */
export interface Received {
  length: number;
  name: Uint8Array;
  flags: number;
}

/**
 * IORING_OP_RECVMSG, one datagram into `buffer` (a datagram longer than the buffer is
 * cut, and MSG_TRUNC is set in the flags the kernel writes back).  The msghdr leaves
 * SOCKADDR_ROOM bytes for the source address; the kernel writes its real length into
 * msg_namelen.
 */
export class RecvmsgOp extends Op<Received> {
  private readonly mem: Buffer;
  constructor(ring: Submitter, readonly fd: number, readonly buffer: Buffer, opts?: RequestOptions) {
    super(ring, opts?.signal, opts?.owner);
    this.req.keepOutcome = true; // a datagram received is never dropped by an abort
    this.mem = scratch(MSGHDR_SIZE + 32 + 16);
  }
  get syscall(): string { return 'recvmsg'; }
  override check(): Error | undefined {
    return viewGone(this.buffer, 0, this.buffer.length, 'recvmsg');
  }
  prepare(sqes: Uint32Array, index: number): void {
    const mem = this.mem;
    const words = new Uint32Array(mem.buffer, mem.byteOffset, mem.byteLength >>> 2);
    const base = addressOf(mem);
    const iovAt = MSGHDR_SIZE + 32;
    put64(words, iovAt >>> 2, addressOf(this.buffer));
    put64(words, (iovAt >>> 2) + 2, this.buffer.length);
    writeMsghdr(words, 0, base + MSGHDR_SIZE, SOCKADDR_ROOM, base + iovAt, 1);
    prep(sqes, index, Opcode.RECVMSG, this.fd, base, 0, 0);
  }
  value(res: number): Received {
    const namelen = Math.min(this.mem.readUInt32LE(8), SOCKADDR_ROOM);
    return { length: res, name: this.mem.subarray(MSGHDR_SIZE, MSGHDR_SIZE + namelen), flags: this.mem.readInt32LE(48) };
  }
  override error(res: number): Error { return netError(res, 'recvmsg'); }
}

/** Where a multishot recvmsg delivers. */
export interface RecvmsgSink {
  /** A datagram arrived: `length` bytes of provided buffer `bid`, laid out as struct io_uring_recvmsg_out says. */
  message(length: number, bid: number): void;
  /** The request ended: 1 = stopped after a message (re-arm), < 0 = why (-ECANCELED, -ENOBUFS, ...). */
  ended(res: number): void;
}

/**
 * IORING_OP_RECVMSG with IORING_RECV_MULTISHOT (6.0) and IOSQE_BUFFER_SELECT: one SQE,
 * one CQE per datagram, each in a buffer the kernel took from group `bgid`.  Each
 * buffer starts with struct io_uring_recvmsg_out:
 *
 *   0 namelen u32 (the source address's real length) | 4 controllen u32
 *   | 8 payloadlen u32 (the datagram's length as recvmsg returned it) | 12 flags u32 (MSG_TRUNC ...)
 *
 * then msg_namelen bytes for the name (always that many, whatever the address's
 * length), msg_controllen bytes for control data (0 here), then the payload; the
 * CQE's res is the length of all of it, so the payload is `res - 16 - namelen room`
 * bytes (liburing's io_uring_recvmsg_validate/_payload do the same sums).  A datagram
 * longer than that is cut and MSG_TRUNC is set.  The kernel ends the request (a CQE
 * without F_MORE) after a zero-length datagram, on -ENOBUFS (the group ran dry: the
 * datagram stays queued in the socket), on an error or a cancel; the owner re-arms.
 */
export class MultishotRecvmsgOp extends Op<void> {
  private readonly mem: Buffer;
  constructor(ring: Submitter, readonly fd: number, readonly bgid: number, private readonly sink: RecvmsgSink) {
    super(ring);
    this.req.sqeFlags = SqeFlag.BUFFER_SELECT;
    this.mem = scratch(MSGHDR_SIZE);
  }
  get syscall(): string { return 'recvmsg'; }
  prepare(sqes: Uint32Array, index: number): void {
    const mem = this.mem;
    const words = new Uint32Array(mem.buffer, mem.byteOffset, mem.byteLength >>> 2);
    // msg_name is not written through (the name lands in the buffer): only its room counts.
    writeMsghdr(words, 0, 0, SOCKADDR_ROOM, 0, 0);
    prep(sqes, index, Opcode.RECVMSG, this.fd, addressOf(mem), 0, 0);
    setIoprio(sqes, index, IoprioFlag.RECV_MULTISHOT);
    setBufIndex(sqes, index, this.bgid);
  }
  override more(res: number, flags: number): void {
    if (res > 0 && (flags & CqeFlag.BUFFER) !== 0) this.sink.message(res, flags >>> CQE_BUFFER_SHIFT);
  }
  override complete(res: number, flags: number): void {
    if (res > 0 && (flags & CqeFlag.BUFFER) !== 0) {
      this.sink.message(res, flags >>> CQE_BUFFER_SHIFT);
      this.sink.ended(1);
    } else {
      this.sink.ended(res === 0 ? 1 : res);
    }
    super.complete(0, flags);
  }
  value(): void {}
}
