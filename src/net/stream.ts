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
import { isIP } from 'node:net';
import { native } from '../sys/native.js';
import { adoptFd } from '../sys/fds.js';
import { AF_INET, AF_INET6, AF_UNIX, encodeSockaddr, type SocketAddress } from '../sys/sockaddr.js';
import { Op as Opcode } from '../sys/constants.js';
import {
  ConnectOp, IPPROTO_TCP, SendRecvOp, SetsockoptOp, ShutdownOp, SOCK_CLOEXEC, SOCK_STREAM, SocketOp, TCP_NODELAY,
} from '../op/net.js';
import { FdHandle } from '../op/handle.js';
import { ReadvOp, writevAll } from '../op/io.js';
import { checkOffsetLength, checkView, checkViews, viewLength } from '../op/buffers.js';
import { signalOf } from '../op/op.js';
import { errnoError, invalidArgType, netError } from '../op/errors.js';
import type { Ring } from '../runtime/ring.js';
import { defaultRing } from '../runtime/current.js';
import { Chunks } from './chunks.js';
import { checkPort, closedError, resolveHost, sockname } from './address.js';

/** A connected TCP (or AF_UNIX stream) socket. */
export class TcpStream extends FdHandle {
  private local: SocketAddress | undefined;
  private remote: SocketAddress | undefined;

  constructor(override readonly ring: Ring, fd: number) {
    super(ring, fd);
  }

  /** Connect to `host`:`port` (IORING_OP_SOCKET + IORING_OP_CONNECT). */
  static async connect(options: { port: number; host?: string; noDelay?: boolean; signal?: AbortSignal; ring?: Ring }): Promise<TcpStream> {
    if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
    const port = checkPort(options.port);
    const host = options.host ?? '127.0.0.1';
    if (typeof host !== 'string') throw invalidArgType('options.host', 'of type string', host);
    const address = await resolveHost(host);
    const sockaddr = encodeSockaddr(address, port);
    const ring = options.ring ?? defaultRing();
    const fd = await new SocketOp(ring, isIP(address) === 6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC).promise();
    const stream = new TcpStream(ring, fd);
    try {
      await new ConnectOp(ring, fd, sockaddr, { address, port }, { signal: options.signal }).promise();
      // Known now; getpeername would fail once the peer has gone (ENOTCONN).
      stream.remote = { family: isIP(address) === 6 ? 'IPv6' : 'IPv4', address, port };
      if (options.noDelay) await stream.setNoDelay(true);
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
      op.owner = this;
      return op.promise();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Received data as it comes, from one multishot recv into the ring's provided
   * buffers (see net/chunks.ts).  Each chunk is valid until the next iteration step.
   */
  chunks(opts?: { signal?: AbortSignal }): AsyncIterableIterator<Uint8Array> {
    if (this.fdv < 0) throw closedError('read');
    return new Chunks(this, this.ring.recvBuffers, opts?.signal);
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
      op.owner = this;
      op.netStyle = true;
      return op.promise();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** writev(2) of every byte of `buffers` (batches of IOV_MAX, short writes resumed). */
  writev(buffers: ArrayBufferView[]): Promise<number> {
    try {
      checkViews('buffers', buffers);
      if (this.fdv < 0) return Promise.reject(closedError('write'));
      return writevAll(this.ring, this.fdv, buffers, -1, this, true);
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

/** Two connected AF_UNIX stream sockets, as TcpStreams (socketpair(2)). */
export function socketpair(options?: { ring?: Ring }): [TcpStream, TcpStream] {
  const r = native.socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC);
  if (typeof r === 'number') throw errnoError(r, 'socketpair');
  adoptFd(r[0]);
  adoptFd(r[1]);
  const ring = options?.ring ?? defaultRing();
  return [new TcpStream(ring, r[0]), new TcpStream(ring, r[1])];
}
