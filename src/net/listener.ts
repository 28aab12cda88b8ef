/**
 * `TcpListener`: a listening socket set up entirely through the ring (socket →
 * SO_REUSEADDR and friends via URING_CMD → bind → listen).  `accept()` is one
 * IORING_OP_ACCEPT; `incoming()` is ONE multishot accept that posts a CQE per
 * connection and is re-armed when a CQE comes without IORING_CQE_F_MORE (EMFILE and
 * the like end a multishot request; the listener pauses and re-arms instead of dying).
 *
 * May touch: its ring (requests), the native sockname helper.
 */
import { AF_INET, AF_INET6, AF_UNIX, encodeSockaddr, isIP, sockname } from '../sys/sockaddr.js';
import {
  AcceptOp, BindOp, closeQuietly, ListenOp, MultishotAcceptOp, SetsockoptOp, SocketOp, type AcceptSink,
} from '../op/net.js';
import { IPPROTO_IPV6, IPV6_V6ONLY, SOCK_CLOEXEC, SOCK_STREAM, SOL_SOCKET, SO_REUSEADDR, SO_REUSEPORT } from '../sys/socket.js';
import { cancelAndClose } from '../op/cancel.js';
import { CloseOp } from '../op/io.js';
import { UnlinkatOp } from '../op/fsops.js';
import { WaitingRequests } from '../op/waiting.js';
import { invalidArgType, netError } from '../op/errors.js';
import { Receiver } from '../op/receiver.js';
import type { Ring } from '../runtime/ring.js';
import { defaultRing } from '../runtime/current.js';
import { checkPort, checkSocketPath, closedError, resolveHost, somaxconn, unixSockaddr } from './address.js';
import { checkHighWaterMark, TcpStream, type ReceiveOptions } from './stream.js';
import type { BufferRing } from '../runtime/bufring.js';
import { ECANCELED, ECONNABORTED, EMFILE, ENFILE, ENOBUFS, ENOMEM, EPROTO } from '../sys/errno.js';
import { checkInteger } from '../op/validate.js';

export interface BindOptions extends ReceiveOptions {
  port?: number;
  host?: string;
  /**
   * A Unix-domain socket instead of TCP, as node:net's `listen({ path })`: a file
   * path (the socket file is removed when the listener closes; one that exists
   * already is EADDRINUSE, as with Node), or "\0name" in Linux's abstract namespace —
   * exactly those bytes, as Linux and Node ≥ 22 name it (Node 20's libuv pads an
   * abstract name with NULs to 108 bytes: to meet a Node 20 peer, pad the same way).
   * `port`, `host`, `reusePort` and `ipv6Only` do not apply.
   */
  path?: string;
  backlog?: number;
  reusePort?: boolean;
  ipv6Only?: boolean;
  /** The ring to run on (default: the thread's default ring); e.g. an SQPOLL ring. */
  ring?: Ring;
  /**
   * A provided-buffer group of its own for this listener's connections to receive
   * into (chunks()), instead of the ring's shared one (256 × 16 KiB).  Size it as
   * connections × highWaterMark for connections that all fall behind at once;
   * `count` must be a power of two.
   */
  recvBuffers?: { count: number; size: number };
}

/** EMFILE/ENFILE/ENOBUFS/ENOMEM end a multishot accept; the listener re-arms after this pause. */
const REARM_DELAY_MS = 10;
const TRANSIENT_ACCEPT = new Set([EMFILE, ENFILE, ENOBUFS, ENOMEM, ECONNABORTED, EPROTO]);

/**
 * A listening TCP socket — or Unix-domain stream socket (`bind({ path })`): the same
 * class, as node:net has one Server for both; its connections are TcpStreams either way.
 */
export class TcpListener {
  private fdv: number;
  private readonly sinks = new Set<Incoming>();
  /** accept() requests waiting (for ref()/unref()). */
  private readonly waiting = new WaitingRequests();

  /**
   * `address`: the IP address, or the socket path; `port`: 0 for a Unix socket.
   * `socketFile`: the path to remove on close (a filesystem Unix socket).
   */
  private constructor(readonly ring: Ring, fd: number, readonly address: string, readonly port: number,
                      private readonly streamOptions: { group?: BufferRing; highWaterMark?: number },
                      private readonly socketFile: string | undefined) {
    this.fdv = fd;
  }

  /** The provided-buffer group this listener's connections receive into. */
  get recvBuffers(): BufferRing {
    return this.streamOptions.group ?? this.ring.recvBuffers;
  }

  /** @internal A stream for an accepted fd, with this listener's receive options. */
  stream(fd: number): TcpStream {
    return new TcpStream(this.ring, fd, this.streamOptions);
  }

  /**
   * socket → SO_REUSEADDR (and SO_REUSEPORT / IPV6_V6ONLY if asked) → bind → listen,
   * each a ring request.  `port: 0` picks a free port (`listener.port`).  The
   * backlog defaults to the kernel's cap (net.core.somaxconn), not the original's
   * 128 that made the kernel drop SYNs under 200 simultaneous connects.
   * @param options  `{ port, host?, backlog?, reusePort?, ipv6Only? }` (port 0: the kernel
   *                 picks one; `listener.port` says which) or `{ path }` for a Unix-domain
   *                 socket (its file is removed on close); `ring`, receive options
   * @returns a Promise of the listening socket
   * @throws (as a rejection) ERR_SOCKET_BAD_PORT / ERR_INVALID_ARG_TYPE for bad options;
   *         EADDRINUSE, EACCES as Node's (syscall 'bind' or 'listen', address, port)
   * @example
   * ```ts
   * import { TcpListener } from 'ringcore/net';
   *
   * const listener = await TcpListener.bind({ port: 0, host: '127.0.0.1' });
   * console.log(listener.port > 0); // true
   * await listener.close();
   * ```
   */
  static async bind(options: BindOptions = {}): Promise<TcpListener> {
    if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
    if (options.path !== undefined) return bindUnix(options);
    const port = checkPort(options.port ?? 0);
    const host = options.host ?? '127.0.0.1';
    if (typeof host !== 'string') throw invalidArgType('options.host', 'of type string', host);
    const backlog = checkInteger(options.backlog ?? somaxconn(), 'options.backlog', 0, 2147483647);
    const highWaterMark = checkHighWaterMark(options.highWaterMark);
    const rb = options.recvBuffers;
    if (rb !== undefined && (rb === null || typeof rb !== 'object')) throw invalidArgType('options.recvBuffers', 'of type object', rb);
    const address = await resolveHost(host);
    const v6 = isIP(address) === 6;
    const ring = options.ring ?? defaultRing();
    const fd = await new SocketOp(ring, v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC).promise();
    try {
      await new SetsockoptOp(ring, fd, SOL_SOCKET, SO_REUSEADDR, 1).promise();
      if (options.reusePort) await new SetsockoptOp(ring, fd, SOL_SOCKET, SO_REUSEPORT, 1).promise();
      if (v6 && options.ipv6Only !== undefined) await new SetsockoptOp(ring, fd, IPPROTO_IPV6, IPV6_V6ONLY, options.ipv6Only ? 1 : 0).promise();
      await new BindOp(ring, fd, encodeSockaddr(address, port), { address, port }).promise();
      await new ListenOp(ring, fd, backlog, { address, port }).promise();
    } catch (e) {
      await new CloseOp(ring, fd).promise();
      throw e;
    }
    const bound = sockname(fd, false);
    const group = rb === undefined ? undefined : ring.provideBuffers(rb.count, rb.size);
    return new Listener(ring, fd, address, bound?.port ?? port, { group, highWaterMark }, undefined);
  }

  /** @internal bind({ path }): socket(AF_UNIX) → bind → listen, each a ring request. */
  static async bindUnixSocket(options: BindOptions): Promise<TcpListener> {
    const path = checkSocketPath(options.path);
    const backlog = checkInteger(options.backlog ?? somaxconn(), 'options.backlog', 0, 2147483647);
    const highWaterMark = checkHighWaterMark(options.highWaterMark);
    const rb = options.recvBuffers;
    if (rb !== undefined && (rb === null || typeof rb !== 'object')) throw invalidArgType('options.recvBuffers', 'of type object', rb);
    const sockaddr = unixSockaddr(path, 'listen');
    const ring = options.ring ?? defaultRing();
    const fd = await new SocketOp(ring, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC).promise();
    try {
      await new BindOp(ring, fd, sockaddr, { address: path }).promise();
      await new ListenOp(ring, fd, backlog, { address: path }).promise();
    } catch (e) {
      await new CloseOp(ring, fd).promise();
      throw e;
    }
    const group = rb === undefined ? undefined : ring.provideBuffers(rb.count, rb.size);
    const file = path.startsWith('\0') ? undefined : path;
    return new Listener(ring, fd, path, 0, { group, highWaterMark }, file);
  }

  /** The listening fd, or -1 after close(). */
  get fd(): number {
    return this.fdv;
  }

  /**
   * One connection (one IORING_OP_ACCEPT).
   * @param opts  `signal` to stop waiting
   * @returns a Promise of the next connection (one IORING_OP_ACCEPT)
   * @throws EMFILE and other accept errors as Node's; an AbortError on abort
   * @example
   * ```ts
   * import { TcpListener, TcpStream } from 'ringcore/net';
   *
   * const listener = await TcpListener.bind({ port: 0 });
   * const [client, server] = await Promise.all([TcpStream.connect({ port: listener.port }), listener.accept()]);
   * await Promise.all([client.close(), server.close(), listener.close()]);
   * ```
   */
  async accept(opts?: { signal?: AbortSignal }): Promise<TcpStream> {
    if (this.fdv < 0) throw closedError('accept');
    const op = new AcceptOp(this.ring, this.fdv, opts);
    this.waiting.add(op); // so that ref()/unref() reach it while it waits
    return this.stream(await op.promise());
  }

  /**
   * Connections as they come, from ONE multishot accept.  Ends when the signal
   * aborts (the iterator then throws an AbortError) or the listener closes.
   * @param opts  `signal` to end the iteration (the multishot accept is cancelled)
   * @returns an async iterator of connections from ONE multishot accept (each iterator has
   *          its own); it ends when the listener closes
   * @example
   * ```ts
   * import { TcpListener, TcpStream } from 'ringcore/net';
   *
   * const listener = await TcpListener.bind({ port: 0 });
   * const client = await TcpStream.connect({ port: listener.port });
   * for await (const conn of listener.incoming()) {
   *   await conn.writeAll('welcome\n');
   *   await conn.close();
   *   break; // one is enough here; break cancels the accept
   * }
   * await Promise.all([client.close(), listener.close()]);
   * ```
   */
  incoming(opts?: { signal?: AbortSignal }): AsyncIterableIterator<TcpStream> {
    if (this.fdv < 0) throw closedError('accept');
    const sink = new Incoming(this, opts?.signal);
    this.sinks.add(sink);
    return sink;
  }

  /**
   * Stop accepting (cancels multishot accepts), close the socket.  Idempotent.
   * @returns a Promise that resolves once the listening socket is closed (accepts in flight
   *          cancelled; a Unix socket's file removed)
   * @example
   * ```ts
   * import { TcpListener } from 'ringcore/net';
   *
   * const listener = await TcpListener.bind({ port: 0 });
   * await listener.close();
   * ```
   */
  async close(): Promise<void> {
    const fd = this.fdv;
    if (fd < 0) return;
    this.fdv = -1;
    for (const s of this.sinks) s.stop(undefined);
    await cancelAndClose(this.ring, fd);
    // A Unix socket's file outlives its socket: remove it, as libuv does for Node, so
    // that the path can be bound again.  (Gone already, or replaced: not our error.)
    const file = this.socketFile;
    if (file !== undefined) {
      await new UnlinkatOp(this.ring, { bytes: Buffer.from(file + '\0'), display: file }, 'unlink').promise().catch(() => {});
    }
  }

  /**
   * Let the process exit while this listener waits for connections (as
   * net.Server's unref()): its accept requests no longer keep the event loop alive.
   * @returns this listener
   * @example
   * ```ts
   * import { TcpListener } from 'ringcore/net';
   *
   * const listener = await TcpListener.bind({ port: 0 });
   * listener.unref(); // a server that should not keep the process alive by itself
   * void listener.accept().catch(() => {});
   * ```
   */
  unref(): this {
    return this.setRef(false);
  }

  /**
   * Undo unref() (the default: a listening server keeps the process alive).
   * @returns this listener
   * @example
   * ```ts
   * import { TcpListener } from 'ringcore/net';
   *
   * const listener = await TcpListener.bind({ port: 0 });
   * listener.unref().ref(); // the default again
   * await listener.close();
   * ```
   */
  ref(): this {
    return this.setRef(true);
  }

  private setRef(refd: boolean): this {
    this.waiting.setRef(this.ring, refd);
    for (const s of this.sinks) s.refChanged();
    return this;
  }

  /** unref()'d: waiting for connections does not keep the process alive. */
  get unrefd(): boolean {
    return this.waiting.unref;
  }

  /** @internal */
  forget(sink: Incoming): void {
    this.sinks.delete(sink);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * The class under another name, for `bind` to construct it: a class that names itself
 * inside its body is bundled as `var TcpListener = class _TcpListener`, and its `name`
 * would be `_TcpListener` (see newStream in stream.ts).
 */
const Listener = TcpListener;
const bindUnix = (options: BindOptions) => TcpListener.bindUnixSocket(options);

/**
 * The async iterator behind `incoming()`: accepted fds queued between CQEs and `next()`
 * calls (op/receiver.ts; several next() calls may wait at once).  An error ends it at
 * once, closing the connections not yet taken.
 */
class Incoming extends Receiver<TcpStream> implements AcceptSink {
  private readonly ready: number[] = [];

  constructor(private readonly listener: TcpListener, signal: AbortSignal | undefined) {
    super(listener, 'incoming', false);
    this.begin(signal);
  }

  protected makeOp(): MultishotAcceptOp {
    return new MultishotAcceptOp(this.listener.ring, this.listener.fd, this);
  }

  accepted(fd: number): void {
    if (this.stopped) {
      closeQuietly(this.listener.ring, fd); // nobody will take it
      return;
    }
    if (this.awaited) this.handOver(this.listener.stream(fd));
    else this.ready.push(fd);
  }

  ended(res: number): void {
    this.op = undefined;
    if (this.stopped) return;
    if (res === 0) {
      this.arm(); // the kernel stopped multishot without an error: arm again
    } else if (TRANSIENT_ACCEPT.has(res)) {
      // Out of fds or memory for a moment: not a reason to stop serving.
      const t = setTimeout(() => this.arm(), REARM_DELAY_MS);
      if (this.listener.unrefd) t.unref();
    } else if (res === ECANCELED && this.listener.fd < 0) {
      this.stop(undefined);
    } else {
      this.stop(netError(res, 'accept'));
    }
  }

  protected isEmpty(): boolean {
    return this.ready.length === 0;
  }

  protected take(): TcpStream {
    return this.listener.stream(this.ready.shift()!);
  }

  protected drop(): void {
    for (const fd of this.ready.splice(0)) closeQuietly(this.listener.ring, fd);
  }

  protected told(): void {
    this.listener.forget(this);
  }
}
