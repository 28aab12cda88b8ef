/**
 * `TcpStream`: a connected TCP (or AF_UNIX stream) socket whose every operation is a
 * ring request — recv/send/readv/writev/shutdown/setsockopt, and `chunks()`, one
 * multishot recv into provided buffers (net/chunks.ts).  Closing cancels what is
 * pending on the fd first (closing an fd does not cancel io_uring requests on it), so
 * a read in flight rejects with ECANCELED instead of hanging; its buffer stays
 * referenced until its CQE.  Also `socketpair()`.
 *
 * May touch: its ring (requests), the native sockname/socketpair helpers.
 */
import { native } from '../sys/native.js';
import { adoptFd } from '../sys/fds.js';
import { AF_INET, AF_INET6, AF_UNIX, encodeSockaddr, isIP, type SocketAddress } from '../sys/sockaddr.js';
import { Opcode } from '../sys/constants.js';
import {
  BindOp, ConnectOp, IPPROTO_TCP, SendRecvOp, SetsockoptOp, ShutdownOp, SO_KEEPALIVE, SOCK_CLOEXEC, SOCK_STREAM, SocketOp,
  SOL_SOCKET, TCP_KEEPIDLE, TCP_NODELAY,
} from '../op/net.js';
import { SocketDuplex, type DuplexOptions } from './duplex.js';
import { FdHandle } from '../op/handle.js';
import { ReadvOp, writevAll } from '../op/io.js';
import { checkInteger, checkOffsetLength, checkView, checkViews, viewLength } from '../op/buffers.js';
import { checkSignal, signalOf } from '../op/op.js';
import { WaitingRequests } from '../op/waiting.js';
import { codedError, errnoError, invalidArgType, invalidArgValue, invalidState, netError } from '../op/errors.js';
import { linkOpTimeout } from '../op/link.js';
import type { Ring } from '../runtime/ring.js';
import { defaultRing } from '../runtime/current.js';
import { Chunks, type ChunkSource, type ChunksOptions } from './chunks.js';
import type { BufferRing } from '../runtime/bufring.js';
import { checkPort, checkSocketPath, closedError, resolveHost, sockname, unixSockaddr } from './address.js';

/** Options for how a stream receives (TcpListener.bind and TcpStream.connect take them too). */
export interface ReceiveOptions {
  /**
   * Bytes a connection may have received and not yet handed to its consumer
   * (chunks()) before it stops receiving and TCP back-pressure reaches the peer.
   * Default 64 KiB.
   */
  highWaterMark?: number;
}

/** A connected TCP (or AF_UNIX stream) socket. */
export class TcpStream extends FdHandle implements ChunkSource {
  private local: SocketAddress | undefined = undefined;
  private remote: SocketAddress | undefined = undefined;
  /** The provided-buffer group chunks() receive into (shared with other streams). */
  private readonly group: BufferRing | undefined;
  private readonly highWaterMark: number | undefined;
  /** The chunks()/zeroCopyChunks() iterator running, if any: one at a time. */
  private reader: Chunks | undefined = undefined;
  /** read()/readv() requests, so that ref()/unref() reach those in flight. */
  private readonly waiting = new WaitingRequests();
  private received = 0;
  private sent = 0;

  /** @internal Streams come from TcpStream.connect, TcpListener's accept/incoming, or socketpair(). */
  constructor(override readonly ring: Ring, fd: number, options?: { group?: BufferRing; highWaterMark?: number }) {
    super(ring, fd);
    this.group = options?.group;
    this.highWaterMark = options?.highWaterMark;
  }

  /**
   * Connect to `host`:`port` — or to the Unix-domain socket at `path` — with
   * IORING_OP_SOCKET + IORING_OP_CONNECT (a bind first for `localAddress`/`localPort`;
   * a linked IORING_OP_LINK_TIMEOUT for `timeout`).
   */
  static async connect(options: ConnectOptions): Promise<TcpStream> {
    if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
    const signal = checkSignal(options.signal);
    const highWaterMark = checkHighWaterMark(options.highWaterMark);
    const timeout = options.timeout === undefined ? undefined : checkInteger(options.timeout, 'options.timeout', 1, 2 ** 31 - 1);
    const ring = options.ring ?? defaultRing();
    let domain: number;
    let sockaddr: Buffer;
    let remote: SocketAddress;
    let local: Buffer | undefined;
    if (options.path !== undefined) {
      const path = checkSocketPath(options.path);
      sockaddr = unixSockaddr(path, 'connect');
      domain = AF_UNIX;
      remote = { family: 'unix', address: path, port: 0 };
    } else {
      if (options.port === undefined) {
        throw codedError(TypeError, 'ERR_MISSING_ARGS', 'The "options.port" or "options.path" argument must be specified');
      }
      const port = checkPort(options.port);
      const host = options.host ?? '127.0.0.1';
      if (typeof host !== 'string') throw invalidArgType('options.host', 'of type string', host);
      const family = options.family ?? 0;
      if (family !== 0 && family !== 4 && family !== 6) {
        throw codedError(TypeError, 'ERR_INVALID_ARG_VALUE', `The property 'options.family' must be one of: 0, 4, 6. Received ${String(family)}`);
      }
      const address = await resolveHost(host, family);
      const v6 = isIP(address) === 6;
      sockaddr = encodeSockaddr(address, port);
      domain = v6 ? AF_INET6 : AF_INET;
      remote = { family: v6 ? 'IPv6' : 'IPv4', address, port };
      if (options.localAddress !== undefined || options.localPort !== undefined) {
        const la = options.localAddress ?? (v6 ? '::' : '0.0.0.0');
        if (typeof la !== 'string' || isIP(la) !== (v6 ? 6 : 4)) {
          throw invalidArgValue('options.localAddress', la, `must be an IPv${v6 ? 6 : 4} address`);
        }
        local = encodeSockaddr(la, checkPort(options.localPort ?? 0, 'options.localPort'));
      }
    }
    const fd = await new SocketOp(ring, domain, SOCK_STREAM | SOCK_CLOEXEC).promise();
    const stream = newStream(ring, fd, { highWaterMark });
    try {
      if (local !== undefined) await new BindOp(ring, fd, local, { address: options.localAddress, port: options.localPort }).promise();
      const connect = new ConnectOp(ring, fd, sockaddr, { address: remote.address, port: remote.port }, { signal });
      await (timeout === undefined ? connect.promise() : linkOpTimeout(ring, connect, timeout));
      // Known now; getpeername would fail once the peer has gone (ENOTCONN).
      stream.remote = remote;
      if (options.noDelay && domain !== AF_UNIX) await stream.setNoDelay(true);
    } catch (e) {
      await stream.close();
      throw e;
    }
    return stream;
  }

  /**
   * recv(2) into `buffer` (or `length` bytes at `offset` of it): resolves with the
   * byte count, 0 when the peer has closed its side.
   */
  read(buffer: ArrayBufferView, opts?: { offset?: number; length?: number; signal?: AbortSignal }): Promise<number> {
    return this.sendRecv(Opcode.RECV, 'read', buffer, opts);
  }

  /** send(2) of `buffer`: resolves with how many bytes went (maybe fewer). */
  write(buffer: ArrayBufferView, opts?: { offset?: number; length?: number; signal?: AbortSignal }): Promise<number> {
    return this.sendRecv(Opcode.SEND, 'write', buffer, opts);
  }

  /** The checked request behind read() and write(); argument errors come back as rejections. */
  private sendRecv(opcode: number, syscall: string, buffer: ArrayBufferView,
                   opts: { offset?: number; length?: number; signal?: AbortSignal } | undefined): Promise<number> {
    try {
      checkView('buffer', buffer);
      const signal = signalOf(opts);
      const offset = opts?.offset ?? 0;
      const size = viewLength(buffer);
      const length = opts?.length ?? size - (offset as number);
      checkOffsetLength(offset, length, size);
      if (this.fdv < 0) return Promise.reject(closedError(syscall));
      const op = new SendRecvOp(this.ring, opcode, this.fdv, buffer, offset, length, signal);
      op.req.owner = this;
      op.counter = this;
      if (opcode === Opcode.RECV) this.waiting.add(op);
      return op.promise();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Received data as it comes, as Buffers the caller owns: keep them, queue them,
   * pipe them (`Readable.from(conn.chunks())`).  One multishot recv into provided
   * buffers (net/chunks.ts); each chunk is copied out of the shared buffer as it
   * arrives.  At most `highWaterMark` bytes wait unconsumed; past that the
   * connection stops receiving until the consumer catches up (TCP back-pressure).
   * One iterator at a time per stream.
   */
  chunks(opts?: ChunksOptions): AsyncIterableIterator<Uint8Array> {
    return this.startChunks(false, opts);
  }

  /**
   * Like chunks(), without the copy: each chunk is a view of a buffer shared with the
   * kernel and with other connections, VALID ONLY UNTIL THE NEXT `next()` CALL (the
   * next loop iteration), which gives it back.  Consume it on the spot — parse it,
   * copy what you keep — and never hand it to code that may hold on to it (a stream,
   * a queue, a pending write).  The same `highWaterMark` bounds how many shared
   * buffers this connection can hold.  A chunk's `.buffer` is the whole shared group:
   * code that holds a zero-copy chunk can read (and write) what other connections of
   * the ring received — use it only in code you trust, and `chunks()` otherwise.
   */
  zeroCopyChunks(opts?: ChunksOptions): AsyncIterableIterator<Uint8Array> {
    return this.startChunks(true, opts);
  }

  private startChunks(zeroCopy: boolean, opts: ChunksOptions | undefined): AsyncIterableIterator<Uint8Array> {
    if (opts !== undefined && (opts === null || typeof opts !== 'object')) throw invalidArgType('options', 'of type object', opts);
    const signal = checkSignal(opts?.signal);
    const highWaterMark = checkHighWaterMark(opts?.highWaterMark) ?? this.highWaterMark;
    if (this.fdv < 0) throw closedError('read');
    if (this.reader !== undefined) throw invalidState('this stream already has a chunks() iterator running');
    const reader = new Chunks(this, this.group ?? this.ring.recvBuffers, zeroCopy, { signal, highWaterMark });
    if (!reader.isStopped) this.reader = reader;
    return reader;
  }

  /** Bytes received on this stream (read, readv, chunks), as net.Socket's bytesRead. */
  get bytesRead(): number {
    return this.received;
  }

  /** Bytes sent on this stream (write, writeAll, writev), as net.Socket's bytesWritten. */
  get bytesWritten(): number {
    return this.sent;
  }

  /** @internal ByteCounter (read/write requests) and ChunkSource (chunks()). */
  counted(received: boolean, bytes: number): void {
    if (received) this.received += bytes;
    else this.sent += bytes;
  }

  /** @internal ChunkSource: the iterator stopped (EOF, error, return, close). */
  chunksEnded(c: Chunks): void {
    if (this.reader === c) this.reader = undefined;
  }

  /** Cancel what is pending (a chunks() iterator gives its buffers back), then close. */
  override close(): Promise<void> {
    const reader = this.reader;
    const closing = super.close();
    reader?.stop(undefined);
    return closing;
  }

  /** Send all of `buffer`, looping over short sends. */
  async writeAll(buffer: ArrayBufferView | string, opts?: { signal?: AbortSignal }): Promise<void> {
    const b = typeof buffer === 'string' ? Buffer.from(buffer) : buffer;
    checkView('buffer', b);
    const total = viewLength(b); // fixed now: a buffer detached midway is an error, not the end
    let off = 0;
    while (off < total) {
      const n = await this.write(b, { offset: off, length: total - off, signal: opts?.signal });
      if (n === 0) throw netError(-32, 'write'); // EPIPE: nothing more will go
      off += n;
    }
  }

  /**
   * readv(2) on the socket: what has arrived, scattered over `buffers` (at most
   * IOV_MAX = 1024 of them: one request; more is an ERR_OUT_OF_RANGE error).
   */
  readv(buffers: ArrayBufferView[]): Promise<number> {
    try {
      checkViews('buffers', buffers);
      if (this.fdv < 0) return Promise.reject(closedError('read'));
      const op = new ReadvOp(this.ring, this.fdv, buffers, -1, undefined);
      op.req.owner = this;
      op.netStyle = true;
      this.waiting.add(op);
      return op.promise().then((n) => {
        this.received += n;
        return n;
      });
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** writev(2) of every byte of `buffers` (batches of IOV_MAX, short writes resumed). */
  writev(buffers: ArrayBufferView[]): Promise<number> {
    try {
      checkViews('buffers', buffers);
      if (this.fdv < 0) return Promise.reject(closedError('write'));
      return writevAll(this.ring, this.fdv, buffers, -1, this, true).then((n) => {
        this.sent += n;
        return n;
      });
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** shutdown(2): 'write' (send FIN, keep reading), 'read', or 'both'. */
  async shutdown(how: 'read' | 'write' | 'both' = 'write'): Promise<void> {
    const h = how === 'read' ? 0 : how === 'write' ? 1 : how === 'both' ? 2 : -1;
    if (h < 0) throw invalidArgType('how', "one of 'read', 'write', 'both'", how);
    if (this.fdv < 0) throw closedError('shutdown');
    await new ShutdownOp(this.ring, this.fdv, h).promise();
  }

  /**
   * This stream as a `node:stream` Duplex shaped like `net.Socket` (net/duplex.ts):
   * for `node:http`, `node:tls`, `pipeline()`.  It reads through `chunks()` (so the
   * stream must not have another iterator running) and owns the stream from then on:
   * it starts receiving at once (as a net.Socket does), chunks() on the stream then
   * throws, and destroying the Duplex closes the stream.
   */
  toDuplex(options?: DuplexOptions): SocketDuplex {
    if (this.fdv < 0) throw closedError('read');
    if (this.reader !== undefined) throw invalidState('this stream already has a chunks() iterator running');
    return new SocketDuplex(this, options);
  }

  /**
   * Let the process exit while this stream waits (as net.Socket's unref()): its
   * requests — the chunks() recv that stays armed, reads and writes placed from now
   * on — no longer keep the event loop alive.  A request already in flight other than
   * chunks()' keeps it until it completes.
   */
  unref(): this {
    return this.setRef(false);
  }

  /** Undo unref(): waiting on this stream keeps the process alive again (the default). */
  ref(): this {
    return this.setRef(true);
  }

  private setRef(refd: boolean): this {
    this.waiting.setRef(this.ring, refd);
    this.reader?.refChanged();
    return this;
  }

  /** unref()'d: requests waiting for the peer on this stream do not keep the process alive. */
  get unrefd(): boolean {
    return this.waiting.unref;
  }

  /** SO_KEEPALIVE on or off; with `idleSeconds` > 0, TCP_KEEPIDLE too. */
  async setKeepAlive(enable: boolean, idleSeconds = 0): Promise<void> {
    if (this.fdv < 0) throw closedError('setsockopt');
    checkInteger(idleSeconds, 'idleSeconds', 0, 32767);
    await new SetsockoptOp(this.ring, this.fdv, SOL_SOCKET, SO_KEEPALIVE, enable ? 1 : 0).promise();
    if (enable && idleSeconds > 0) {
      await new SetsockoptOp(this.ring, this.fdv, IPPROTO_TCP, TCP_KEEPIDLE, idleSeconds).promise();
    }
  }

  /** TCP_NODELAY on or off (setsockopt through IORING_OP_URING_CMD). */
  async setNoDelay(noDelay = true): Promise<void> {
    if (this.fdv < 0) throw closedError('setsockopt');
    await new SetsockoptOp(this.ring, this.fdv, IPPROTO_TCP, TCP_NODELAY, noDelay ? 1 : 0).promise();
  }

  /** getsockname(2), decoded; undefined once closed. */
  get localAddress(): SocketAddress | undefined {
    if (this.fdv < 0) return undefined;
    return (this.local ??= sockname(this.fdv, false));
  }

  /** getpeername(2), decoded; undefined once closed or if not connected. */
  get remoteAddress(): SocketAddress | undefined {
    if (this.fdv < 0) return undefined;
    return (this.remote ??= sockname(this.fdv, true));
  }

}

/**
 * `new TcpStream(...)` from outside the class body: a class that names itself inside its
 * body is bundled as `var TcpStream = class _TcpStream`, and its `name` would be
 * `_TcpStream` (in messages, inspect() and stacks).
 */
function newStream(ring: Ring, fd: number, options?: { group?: BufferRing; highWaterMark?: number }): TcpStream {
  return new TcpStream(ring, fd, options);
}

/** Options of TcpStream.connect. */
export interface ConnectOptions extends ReceiveOptions {
  /** TCP: the port (required unless `path` is given). */
  port?: number;
  /** Default '127.0.0.1'; names are resolved with node:dns. */
  host?: string;
  /** A Unix-domain socket to connect to instead ("\0name": the abstract namespace). */
  path?: string;
  /** For a host name: resolve to IPv4 (4) or IPv6 (6) only; 0 (default): either. */
  family?: number;
  /** Bind to this local address and/or port before connecting. */
  localAddress?: string;
  localPort?: number;
  /** Give up connecting after this many ms: ETIMEDOUT (a linked IORING_OP_LINK_TIMEOUT). */
  timeout?: number;
  /** TCP_NODELAY once connected. */
  noDelay?: boolean;
  signal?: AbortSignal;
  /** The ring to run on (default: the thread's default ring). */
  ring?: Ring;
}

/** undefined, or an integer number of bytes >= 1. */
export function checkHighWaterMark(v: unknown, name = 'options.highWaterMark'): number | undefined {
  return v === undefined ? undefined : checkInteger(v, name, 1, 2 ** 31 - 1);
}

/** Two connected AF_UNIX stream sockets, as TcpStreams (socketpair(2)). */
export function socketpair(options?: { ring?: Ring } & ReceiveOptions): [TcpStream, TcpStream] {
  const r = native.socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC);
  if (typeof r === 'number') throw errnoError(r, 'socketpair');
  adoptFd(r[0]);
  adoptFd(r[1]);
  const ring = options?.ring ?? defaultRing();
  const highWaterMark = checkHighWaterMark(options?.highWaterMark);
  return [new TcpStream(ring, r[0], { highWaterMark }), new TcpStream(ring, r[1], { highWaterMark })];
}
