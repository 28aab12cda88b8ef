/**
 * `ringcore/net`: TCP on io_uring.  `TcpListener` (socket → setsockopt → bind →
 * listen, every step a ring request), `TcpStream` (recv/send/readv/writev/shutdown/
 * close as ring requests), `socketpair()`.
 *
 * Accepting: `listener.accept()` is one IORING_OP_ACCEPT; `listener.incoming()` is
 * ONE multishot accept that posts a CQE per connection and is re-armed when a CQE
 * comes without IORING_CQE_F_MORE (EMFILE and the like end a multishot request; the
 * listener waits a moment and re-arms instead of dying).
 *
 * Closing a stream cancels what is pending on its fd first (closing an fd does not
 * cancel io_uring requests on it), so a read in flight rejects with ECANCELED
 * instead of hanging; the buffers it points at stay referenced until its CQE.
 *
 * May touch: its ring (requests), the native sockname/socketpair helpers, node:dns
 * for host names (literals never touch it).
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { readFileSync } from 'node:fs';
import { native } from '../sys/native.js';
import { AF_INET, AF_INET6, AF_UNIX, decodeSockaddr, encodeSockaddr, type SocketAddress } from '../sys/sockaddr.js';
import { Op as Opcode } from '../sys/constants.js';
import {
  AcceptOp, BindOp, closeQuietly, ConnectOp, IPPROTO_IPV6, IPPROTO_TCP, IPV6_V6ONLY, ListenOp, MultishotAcceptOp,
  SendRecvOp, SetsockoptOp, ShutdownOp, SO_REUSEADDR, SO_REUSEPORT, SOCK_CLOEXEC, SOCK_STREAM, SocketOp, TCP_NODELAY,
  type AcceptSink,
} from '../op/net.js';
import { cancelAndClose } from '../op/cancel.js';
import { FdHandle } from '../op/handle.js';
import { CloseOp, ReadvOp, WritevOp } from '../op/io.js';
import { checkView, checkViews } from '../op/buffers.js';
import { abortError, errnoError, invalidArgType, netError, onAbort, outOfRange } from '../op/errors.js';
import type { Ring } from '../runtime/ring.js';
import { defaultRing } from '../runtime/current.js';
import { Chunks } from './chunks.js';

export type { SocketAddress } from '../sys/sockaddr.js';

/** The kernel's listen backlog cap; a server that means to hold load asks for all of it. */
function somaxconn(): number {
  try {
    return Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8').trim()) || 4096;
  } catch {
    return 4096;
  }
}

async function resolveHost(host: string): Promise<string> {
  if (isIP(host)) return host;
  return (await lookup(host)).address;
}

function checkPort(port: unknown, name = 'port'): number {
  if (typeof port !== 'number' || !Number.isInteger(port)) throw invalidArgType(name, 'of type number', port);
  if (port < 0 || port > 65535) throw outOfRange(name, '>= 0 && < 65536', port);
  return port;
}

function sockname(fd: number, peer: boolean): SocketAddress | undefined {
  const r = native.sockname(fd, peer);
  return typeof r === 'number' ? undefined : decodeSockaddr(new Uint8Array(r));
}

/** Node's error for using a closed stream or listener. */
function closedError(syscall: string): Error {
  return errnoError(-9, syscall);
}

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
    const fd = await new SocketOp(ring, isIP(address) === 6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC);
    const stream = new TcpStream(ring, fd);
    try {
      await new ConnectOp(ring, fd, sockaddr, { address, port }, { signal: options.signal });
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
  read(buffer: ArrayBufferView, opts?: { offset?: number; length?: number; signal?: AbortSignal }): PromiseLike<number> {
    return this.sendRecv(Opcode.RECV, 'read', buffer, opts);
  }

  /** send(2) of `buffer`: resolves with how many bytes went (maybe fewer). */
  write(buffer: ArrayBufferView, opts?: { offset?: number; length?: number; signal?: AbortSignal }): PromiseLike<number> {
    return this.sendRecv(Opcode.SEND, 'write', buffer, opts);
  }

  /** The checked request behind read() and write(); argument errors come back as rejections. */
  private sendRecv(opcode: number, syscall: string, buffer: ArrayBufferView,
                   opts: { offset?: number; length?: number; signal?: AbortSignal } | undefined): PromiseLike<number> {
    try {
      checkView('buffer', buffer);
      const offset = opts?.offset ?? 0;
      const length = opts?.length ?? buffer.byteLength - offset;
      if (offset < 0 || length < 0 || offset + length > buffer.byteLength) {
        throw outOfRange('length', `<= ${buffer.byteLength - offset}`, length);
      }
      if (this.fdv < 0) return Promise.reject(closedError(syscall));
      const op = new SendRecvOp(this.ring, opcode, this.fdv, buffer, offset, length, opts?.signal);
      op.owner = this;
      return op;
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
    let off = 0;
    while (off < b.byteLength) {
      const n = await this.write(b, { offset: off, length: b.byteLength - off, signal: opts?.signal });
      if (n === 0) throw netError(-32, 'write'); // EPIPE: nothing more will go
      off += n;
    }
  }

  /** readv(2) on the socket. */
  readv(buffers: ArrayBufferView[]): PromiseLike<number> {
    try {
      checkViews('buffers', buffers);
      if (this.fdv < 0) return Promise.reject(closedError('read'));
      const op = new ReadvOp(this.ring, this.fdv, buffers, -1, undefined);
      op.owner = this;
      return op;
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** writev(2) on the socket (may be short). */
  writev(buffers: ArrayBufferView[]): PromiseLike<number> {
    try {
      checkViews('buffers', buffers);
      if (this.fdv < 0) return Promise.reject(closedError('write'));
      const op = new WritevOp(this.ring, this.fdv, buffers, -1, undefined);
      op.owner = this;
      return op;
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** shutdown(2): 'write' (send FIN, keep reading), 'read', or 'both'. */
  async shutdown(how: 'read' | 'write' | 'both' = 'write'): Promise<void> {
    const h = how === 'read' ? 0 : how === 'write' ? 1 : how === 'both' ? 2 : -1;
    if (h < 0) throw invalidArgType('how', "one of 'read', 'write', 'both'", how);
    if (this.fdv < 0) throw closedError('shutdown');
    await new ShutdownOp(this.ring, this.fdv, h);
  }

  /** TCP_NODELAY on or off (setsockopt through IORING_OP_URING_CMD). */
  async setNoDelay(noDelay = true): Promise<void> {
    if (this.fdv < 0) throw closedError('setsockopt');
    await new SetsockoptOp(this.ring, this.fdv, IPPROTO_TCP, TCP_NODELAY, noDelay ? 1 : 0);
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

export interface BindOptions {
  port?: number;
  host?: string;
  backlog?: number;
  reusePort?: boolean;
  ipv6Only?: boolean;
  /** The ring to run on (default: the thread's default ring); e.g. an SQPOLL ring. */
  ring?: Ring;
}

/** EMFILE/ENFILE/ENOBUFS/ENOMEM end a multishot accept; the listener re-arms after this pause. */
const REARM_DELAY_MS = 10;
const TRANSIENT_ACCEPT = new Set([-24, -23, -105, -12, -103, -71]); // EMFILE ENFILE ENOBUFS ENOMEM ECONNABORTED EPROTO

/** A listening TCP socket. */
export class TcpListener {
  private fdv: number;
  private readonly sinks = new Set<Incoming>();

  private constructor(readonly ring: Ring, fd: number, readonly address: string, readonly port: number) {
    this.fdv = fd;
  }

  /**
   * socket → SO_REUSEADDR (and SO_REUSEPORT / IPV6_V6ONLY if asked) → bind → listen,
   * each a ring request.  `port: 0` picks a free port (`listener.port`).  The
   * backlog defaults to the kernel's cap (net.core.somaxconn), not the original's
   * 128 that made the kernel drop SYNs under 200 simultaneous connects.
   */
  static async bind(options: BindOptions = {}): Promise<TcpListener> {
    if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
    const port = checkPort(options.port ?? 0);
    const host = options.host ?? '127.0.0.1';
    if (typeof host !== 'string') throw invalidArgType('options.host', 'of type string', host);
    const backlog = options.backlog ?? somaxconn();
    if (!Number.isInteger(backlog) || backlog < 0) throw outOfRange('options.backlog', 'an integer >= 0', backlog);
    const address = await resolveHost(host);
    const v6 = isIP(address) === 6;
    const ring = options.ring ?? defaultRing();
    const fd = await new SocketOp(ring, v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC);
    try {
      await new SetsockoptOp(ring, fd, 1 /* SOL_SOCKET */, SO_REUSEADDR, 1);
      if (options.reusePort) await new SetsockoptOp(ring, fd, 1, SO_REUSEPORT, 1);
      if (v6 && options.ipv6Only !== undefined) await new SetsockoptOp(ring, fd, IPPROTO_IPV6, IPV6_V6ONLY, options.ipv6Only ? 1 : 0);
      await new BindOp(ring, fd, encodeSockaddr(address, port), { address, port });
      await new ListenOp(ring, fd, backlog, { address, port });
    } catch (e) {
      await new CloseOp(ring, fd);
      throw e;
    }
    const bound = sockname(fd, false);
    return new TcpListener(ring, fd, address, bound?.port ?? port);
  }

  /** The listening fd, or -1 after close(). */
  get fd(): number {
    return this.fdv;
  }

  /** One connection (one IORING_OP_ACCEPT). */
  async accept(opts?: { signal?: AbortSignal }): Promise<TcpStream> {
    if (this.fdv < 0) throw closedError('accept');
    const fd = await new AcceptOp(this.ring, this.fdv, opts);
    return new TcpStream(this.ring, fd);
  }

  /**
   * Connections as they come, from ONE multishot accept.  Ends when the signal
   * aborts (the iterator then throws an AbortError) or the listener closes.
   */
  incoming(opts?: { signal?: AbortSignal }): AsyncIterableIterator<TcpStream> {
    if (this.fdv < 0) throw closedError('accept');
    const sink = new Incoming(this, opts?.signal);
    this.sinks.add(sink);
    return sink;
  }

  /** Stop accepting (cancels multishot accepts), close the socket.  Idempotent. */
  async close(): Promise<void> {
    const fd = this.fdv;
    if (fd < 0) return;
    this.fdv = -1;
    for (const s of this.sinks) s.stop(undefined);
    await cancelAndClose(this.ring, fd);
  }

  /** @internal */
  forget(sink: Incoming): void {
    this.sinks.delete(sink);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** The async iterator behind `incoming()`: a queue between CQEs and `next()` calls. */
class Incoming implements AsyncIterableIterator<TcpStream>, AcceptSink {
  private readonly ready: number[] = [];
  private readonly waiting: { resolve: (r: IteratorResult<TcpStream>) => void; reject: (e: unknown) => void }[] = [];
  private op: MultishotAcceptOp | undefined;
  private done = false;
  private failure: unknown;
  private readonly unlisten: (() => void) | undefined;

  constructor(private readonly listener: TcpListener, signal: AbortSignal | undefined) {
    if (signal?.aborted) {
      this.done = true;
      this.failure = abortError(signal);
      return;
    }
    if (signal) this.unlisten = onAbort(signal, (e) => this.stop(e));
    this.arm();
  }

  private arm(): void {
    if (this.done || this.listener.fd < 0) return;
    this.op = new MultishotAcceptOp(this.listener.ring, this.listener.fd, this);
    this.op.start();
  }

  accepted(fd: number): void {
    if (this.done) {
      closeQuietly(this.listener.ring, fd); // nobody will take it
      return;
    }
    const w = this.waiting.shift();
    if (w) w.resolve({ value: new TcpStream(this.listener.ring, fd), done: false });
    else this.ready.push(fd);
  }

  ended(res: number): void {
    this.op = undefined;
    if (this.done) return;
    if (res === 0) {
      this.arm(); // the kernel stopped multishot without an error: arm again
    } else if (TRANSIENT_ACCEPT.has(res)) {
      // Out of fds or memory for a moment: not a reason to stop serving.
      setTimeout(() => this.arm(), REARM_DELAY_MS);
    } else if (res === -125 /* ECANCELED */ && this.listener.fd < 0) {
      this.stop(undefined);
    } else {
      this.stop(netError(res, 'accept'));
    }
  }

  /** End the iteration: `err` for waiters, or a clean end. */
  stop(err: unknown): void {
    if (this.done) return;
    this.done = true;
    this.failure = err;
    this.unlisten?.();
    if (this.op && this.listener.fd >= 0) this.listener.ring.cancel(this.op).then(undefined, () => {});
    for (const fd of this.ready.splice(0)) closeQuietly(this.listener.ring, fd);
    const waiting = this.waiting.splice(0);
    for (const w of waiting) {
      if (err === undefined) w.resolve({ value: undefined, done: true });
      else w.reject(err);
    }
    if (waiting.length > 0) this.failure = undefined; // thrown once, to whoever was waiting
    this.listener.forget(this);
  }

  next(): Promise<IteratorResult<TcpStream>> {
    const fd = this.ready.shift();
    if (fd !== undefined) return Promise.resolve({ value: new TcpStream(this.listener.ring, fd), done: false });
    if (this.done) {
      if (this.failure !== undefined) {
        const f = this.failure;
        this.failure = undefined; // thrown once, then the iterator is simply done
        return Promise.reject(f);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  return(): Promise<IteratorResult<TcpStream>> {
    this.stop(undefined);
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<TcpStream> {
    return this;
  }
}

/** Two connected AF_UNIX stream sockets, as TcpStreams (socketpair(2)). */
export function socketpair(options?: { ring?: Ring }): [TcpStream, TcpStream] {
  const r = native.socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC);
  if (typeof r === 'number') throw errnoError(r, 'socketpair');
  const ring = options?.ring ?? defaultRing();
  return [new TcpStream(ring, r[0]), new TcpStream(ring, r[1])];
}
