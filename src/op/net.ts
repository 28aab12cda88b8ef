/**
 * The socket requests: SOCKET, BIND, LISTEN (6.11), ACCEPT (single and multishot),
 * CONNECT, SEND, RECV, SHUTDOWN, and setsockopt through URING_CMD (6.7).  Each keeps
 * the memory its SQE points at (a sockaddr, an option value, the data) until its
 * terminal CQE, like every op.  `src/net/` shapes them into TcpListener/TcpStream.
 *
 * Field use (io_uring_enter(2), liburing's io_uring_prep_*):
 *   SOCKET   fd = domain, off = type, len = protocol            → res: the new fd
 *   BIND     fd, addr = sockaddr, off = addrlen
 *   LISTEN   fd, len = backlog
 *   ACCEPT   fd, accept_flags (SOCK_CLOEXEC); multishot: IORING_ACCEPT_MULTISHOT in
 *            ioprio — not in accept_flags, where the original put it (EINVAL)
 *   CONNECT  fd, addr = sockaddr, off = addrlen
 *   SEND     fd, addr = data, len, msg_flags (MSG_NOSIGNAL)      → res: bytes sent
 *   RECV     fd, addr = buffer, len, msg_flags                   → res: bytes, 0 = EOF
 *   SHUTDOWN fd, len = how
 *   URING_CMD fd, cmd_op (in off) = SOCKET_URING_OP_SETSOCKOPT, level/optname (in
 *            addr), optval (addr3), optlen (the file_index word)
 *
 * May touch: sys/sqe.ts (to encode), op/buffers.ts.
 */
import { CQE_BUFFER_SHIFT, CqeFlag, IoprioFlag, Opcode, SqeFlag } from '../sys/constants.js';
import { prep, setAddr3, setAddrWords, setBufIndex, setFileIndex, setIoprio, setOpFlags } from '../sys/sqe.js';
import { Op, returnsFd, type Submitter } from './op.js';
import { addressOf, MAX_RW, regionAddress } from './buffers.js';
import { netError } from './errors.js';
import { closeQuietly } from './io.js';
import type { OpOptions } from './io.js';

export { closeQuietly };

export const SOCK_STREAM = 1;
export const SOCK_CLOEXEC = 0o2000000;
export const MSG_NOSIGNAL = 0x4000;
export const SOL_SOCKET = 1;
export const SO_REUSEADDR = 2;
export const SO_REUSEPORT = 15;
export const IPPROTO_TCP = 6;
export const TCP_NODELAY = 1;
export const TCP_KEEPIDLE = 4;
export const SO_KEEPALIVE = 9;
export const IPPROTO_IPV6 = 41;
export const IPV6_V6ONLY = 26;
/** enum io_uring_socket_op */
const SOCKET_URING_OP_SETSOCKOPT = 3;

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
  constructor(ring: Submitter, readonly fd: number, readonly sockaddr: Buffer, readonly peer: Peer) {
    super(ring);
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

/** IORING_OP_ACCEPT, one connection → its fd (close-on-exec). */
export class AcceptOp extends Op<number> {
  constructor(ring: Submitter, readonly fd: number, opts?: OpOptions) {
    super(ring, opts?.signal);
  }
  get syscall(): string { return 'accept'; }
  prepare(sqes: Uint32Array, index: number): void {
    prep(sqes, index, Opcode.ACCEPT, this.fd, 0, 0, 0);
    setOpFlags(sqes, index, SOCK_CLOEXEC);
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
    setOpFlags(sqes, index, SOCK_CLOEXEC);
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
  constructor(ring: Submitter, readonly fd: number, readonly sockaddr: Buffer, readonly peer: Peer, opts?: OpOptions) {
    super(ring, opts?.signal);
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
 * carries MSG_NOSIGNAL: a closed peer is an EPIPE error, never a SIGPIPE.
 */
export class SendRecvOp extends Op<number> {
  constructor(ring: Submitter, private readonly opcode: number, readonly fd: number, readonly buffer: ArrayBufferView,
              readonly offset: number, readonly length: number, signal: AbortSignal | undefined) {
    super(ring, signal);
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
    if (this.opcode === Opcode.SEND) setOpFlags(sqes, index, MSG_NOSIGNAL);
  }
  value(res: number): number { return res; }
  override error(res: number): Error { return netError(res, this.syscall); }
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

/** setsockopt(2) of an int option, through IORING_OP_URING_CMD (6.7). */
export class SetsockoptOp extends Op<void> {
  private readonly optval: Buffer;
  constructor(ring: Submitter, readonly fd: number, readonly level: number, readonly optname: number, value: number) {
    super(ring);
    this.optval = Buffer.alloc(4);
    this.optval.writeInt32LE(value, 0);
  }
  get syscall(): string { return 'setsockopt'; }
  prepare(sqes: Uint32Array, index: number): void {
    prep(sqes, index, Opcode.URING_CMD, this.fd, 0, 0, SOCKET_URING_OP_SETSOCKOPT);
    setAddrWords(sqes, index, this.level, this.optname);
    setAddr3(sqes, index, addressOf(this.optval));
    setFileIndex(sqes, index, 4);
  }
  value(): void {}
  override error(res: number): Error { return netError(res, 'setsockopt'); }
}
