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
import { AF_INET, AF_INET6, AF_UNIX, encodeSockaddr, isIP, type SocketAddress, sockname } from '../sys/sockaddr.js';
import { Opcode } from '../sys/constants.js';
import { BindOp, ConnectOp, SendRecvOp, SetsockoptOp, ShutdownOp, SocketOp } from '../op/net.js';
import {
  IPPROTO_TCP, SOCK_CLOEXEC, STREAM_NONBLOCK, SOCK_STREAM, SOL_SOCKET, SO_KEEPALIVE, TCP_KEEPIDLE, TCP_NODELAY,
} from '../sys/socket.js';
import { SocketDuplex, type DuplexOptions } from './duplex.js';
import { FdHandle } from '../op/handle.js';
import { ReadvOp, writevAll } from '../op/io.js';
import { viewLength } from '../op/buffers.js';
import { WaitingRequests } from '../op/waiting.js';
import { codedError, errnoError, invalidArgType, invalidArgValue, invalidState, netError } from '../op/errors.js';
import { linkOpTimeout } from '../op/link.js';
import type { Ring } from '../runtime/ring.js';
import { defaultRing } from '../runtime/current.js';
import { Chunks, type ChunkSource, type ChunksOptions } from './chunks.js';
import type { BufferRing } from '../runtime/bufring.js';
import { checkPort, checkSocketPath, closedError, resolveHost, unixSockaddr } from './address.js';
import { sendFile, type FileJob, type SendFileOptions } from './sendfile.js';
import { SendOrder } from './sendorder.js';
import { CancelFdOp } from '../op/cancel.js';
import type { FileHandle } from '../fs/filehandle.js';
import { EPIPE } from '../sys/errno.js';
import { checkBoolean, checkInteger, checkOffsetLength, checkView, checkViews, checkSignal, signalOf } from '../op/validate.js';

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
  /** The order of sends once a sendFile is involved (net/sendorder.ts); made on first use. */
  private order: SendOrder | undefined = undefined;
  /** @internal The sendFile running on this stream (close() lets it finish first). */
  fileJob: FileJob | undefined = undefined;

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
   * @param options  `{ port, host? }` (host default 'localhost'; IPv4 or IPv6, names resolved
   *                 with dns.lookup) or `{ path }` for a Unix-domain socket ("\0name":
   *                 abstract); `timeout` (ms, a linked LINK_TIMEOUT), `localAddress`,
   *                 `localPort`, `family`, `signal`, `ring`, and the receive options of chunks()
   * @returns a Promise of the connected stream
   * @throws (as a rejection) ERR_INVALID_ARG_TYPE / ERR_SOCKET_BAD_PORT for bad options;
   *         ECONNREFUSED, ETIMEDOUT, ENOENT (no socket file) ... shaped as Node's net errors
   *         (code, errno, syscall 'connect', address, port)
   * @example
   * ```ts
   * import { TcpListener, TcpStream } from 'ringcore/net';
   *
   * const listener = await TcpListener.bind({ port: 0, host: '127.0.0.1' });
   * const client = await TcpStream.connect({ port: listener.port, host: '127.0.0.1', timeout: 1000 });
   * const server = await listener.accept();
   * await client.writeAll('ping');
   * const buf = Buffer.alloc(4);
   * await server.read(buf);
   * console.log(buf.toString()); // 'ping'
   * await Promise.all([client.close(), server.close(), listener.close()]);
   * ```
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
    // O_NONBLOCK (see sys/socket.ts SOCK_NONBLOCK) for TCP; not for a Unix-domain
    // connect: to a listener whose backlog is full, a non-blocking connect is EAGAIN at
    // once (and an unconnected Unix socket polls writable, so there is nothing to wait
    // on), where a blocking one waits for room in io-wq, as RingCore always did.
    const nonblock = domain === AF_UNIX ? 0 : STREAM_NONBLOCK;
    const fd = await new SocketOp(ring, domain, SOCK_STREAM | SOCK_CLOEXEC | nonblock).promise();
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
   * @param buffer  where the bytes go (kept alive until the kernel is done with it)
   * @param opts    `offset` and `length` within `buffer` (default: all of it), `signal`
   * @returns a Promise of the byte count; 0 when the peer has closed its side
   * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for bad arguments; ECONNRESET and other
   *         socket errors as Node's (syscall 'read'); an AbortError on abort
   * @example
   * ```ts
   * import { socketpair } from 'ringcore/net';
   *
   * const [a, b] = socketpair();
   * await a.write(Buffer.from('hi'));
   * const buf = Buffer.alloc(16);
   * const n = await b.read(buf);
   * console.log(buf.toString('utf8', 0, n)); // 'hi'
   * await Promise.all([a.close(), b.close()]);
   * ```
   */
  read(buffer: ArrayBufferView, opts?: { offset?: number; length?: number; signal?: AbortSignal }): Promise<number> {
    return this.sendRecv(Opcode.RECV, 'read', buffer, opts);
  }

  /**
   * send(2) of `buffer`: resolves with how many bytes went (maybe fewer).  Called while
   * a sendFile() is pending on the stream, it waits for the file (net/sendorder.ts).
   * @param buffer  the bytes (kept alive until the kernel is done with them)
   * @param opts    `offset` and `length` within `buffer` (default: all of it), `signal`,
   *                `more` (see writeAll())
   * @returns a Promise of the byte count sent — maybe fewer than asked (use writeAll() for all)
   * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for bad arguments; EPIPE, ECONNRESET ...
   *         as Node's (syscall 'write'); an AbortError on abort
   * @example
   * ```ts
   * import { socketpair } from 'ringcore/net';
   *
   * const [a, b] = socketpair();
   * const sent = await a.write(Buffer.from('hello'), { offset: 1, length: 3 }); // 'ell'
   * console.log(sent); // 3
   * await Promise.all([a.close(), b.close()]);
   * ```
   */
  write(buffer: ArrayBufferView, opts?: { offset?: number; length?: number; signal?: AbortSignal; more?: boolean }): Promise<number> {
    let o: { offset?: number; length?: number; signal: AbortSignal | undefined; more: boolean };
    try {
      // Read and checked once, here: a write queued behind a sendFile starts later, with
      // what was asked now (a caller changing its options object meanwhile changes nothing).
      checkView('buffer', buffer);
      const so = sendOptions(opts);
      const offset = opts?.offset;
      const length = opts?.length;
      o = offset === undefined && length === undefined ? so : { signal: so.signal, more: so.more, offset, length };
      const size = viewLength(buffer);
      checkOffsetLength(offset ?? 0, length ?? size - ((offset ?? 0) as number), size);
    } catch (e) {
      return Promise.reject(e);
    }
    const order = this.sendOrder();
    if (!order.open) return order.later(() => this.sendRecv(Opcode.SEND, 'write', buffer, o, order));
    order.begin();
    return this.sendRecv(Opcode.SEND, 'write', buffer, o, order);
  }

  /**
   * Send bytes of a file — `length` bytes (default: to its end) from `offset` (default
   * 0) of a ringcore/fs FileHandle or a file descriptor — without copying them through
   * JavaScript: IORING_OP_SPLICE file -> pipe -> socket, linked (net/sendfile.ts).
   * Resolves with the bytes sent: fewer than `length` only if the file ended first.
   * Writes called before it go first, writes called after it wait for it.
   *
   * The file must not change while it is sent (as with sendfile(2): truncated bytes
   * already in the pipe may arrive as zeros).  A file splice(2) refuses (some procfs or
   * sysfs files), and a `length` of 64 KiB or less, go through a buffer instead (READ +
   * SEND).  Closing the stream or the FileHandle meanwhile stops it first; a raw fd
   * given as `file` is the caller's to keep open until the promise settles.  Each
   * splice runs in an io-wq kernel thread, which a slow peer keeps blocked.
   * @param file     a FileHandle of ringcore/fs, or an open file descriptor
   * @param options  `offset` (number or bigint, default 0, up to 2^53 - 1), `length`
   *                 (default: to the end of the file), `signal` (aborting stops it: what
   *                 was sent stays sent, the stream stays usable)
   * @returns a Promise of the bytes sent
   * @throws nothing synchronously: the promise rejects with ERR_INVALID_ARG_TYPE /
   *         ERR_OUT_OF_RANGE for a bad `file` or option; an AbortError; the stream's
   *         EBADF once it is closed, the FileHandle's 'file closed' (EBADF) once that
   *         is; socket errors worded as node:net's ("write EPIPE", "write
   *         ECONNRESET"), file errors as node:fs' ("EIO: i/o error, read")
   * @example
   * ```ts
   * import { open } from 'ringcore/fs';
   * import { socketpair } from 'ringcore/net';
   *
   * const [a, b] = socketpair();
   * const file = await open('/etc/os-release');
   * const sending = a.sendFile(file, { offset: 0, length: 100 });
   * const buf = Buffer.alloc(100);
   * let got = 0;
   * while (got < 100) got += await b.read(buf, { offset: got, length: 100 - got });
   * console.log(await sending, got); // 100 100
   * await Promise.all([a.close(), b.close(), file.close()]);
   * ```
   */
  sendFile(file: FileHandle | number, options?: SendFileOptions): Promise<number> {
    return sendFile(this, file, options);
  }

  /** @internal The stream's send order (sendFile and the writes). */
  sendOrder(): SendOrder {
    return (this.order ??= new SendOrder());
  }

  /**
   * Closing with a sendFile running: its linked splices name this fd before they start,
   * so the fd is closed once the sendFile has stopped (what else is pending on the fd
   * is cancelled at once, as always).
   */
  protected override closeFd(fd: number): Promise<void> {
    const job = this.fileJob;
    if (job === undefined) return super.closeFd(fd);
    new CancelFdOp(this.ring, fd).start();
    return job.stopForClose().then(() => super.closeFd(fd));
  }

  /** The checked request behind read() and write(); argument errors come back as rejections. */
  private sendRecv(opcode: number, syscall: string, buffer: ArrayBufferView,
                   opts: { offset?: number; length?: number; signal?: AbortSignal; more?: boolean } | undefined,
                   order?: SendOrder): Promise<number> {
    try {
      checkView('buffer', buffer);
      const signal = signalOf(opts);
      const more = opcode === Opcode.SEND && opts?.more === true; // checked by write()/writeAll()
      const offset = opts?.offset ?? 0;
      const size = viewLength(buffer);
      const length = opts?.length ?? size - (offset as number);
      checkOffsetLength(offset, length, size);
      if (this.fdv < 0) {
        order?.end();
        return Promise.reject(closedError(syscall));
      }
      const op = new SendRecvOp(this.ring, { opcode, fd: this.fdv, buffer, offset, length, signal, owner: this, counter: this, more });
      if (opcode === Opcode.RECV) this.waiting.add(op);
      if (order !== undefined) op.watch(order.ender); // (starts the op) the write's end, for the send order
      return op.promise();
    } catch (e) {
      order?.end();
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
   * @param opts  `signal` to stop the iteration (the recv is cancelled)
   * @returns an async iterator of the received data (each chunk a Uint8Array you own); it
   *          ends when the peer closes its side
   * @throws ERR_INVALID_STATE when another iterator (or toDuplex()) already reads this stream;
   *         socket errors as Node's
   * @example
   * ```ts
   * import { socketpair } from 'ringcore/net';
   *
   * const [a, b] = socketpair();
   * await a.writeAll('one multishot recv');
   * await a.close();
   * let total = 0;
   * for await (const chunk of b.chunks()) total += chunk.length;
   * console.log(total); // 18
   * await b.close();
   * ```
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
   * @param opts  `signal` to stop the iteration
   * @returns an async iterator of views into shared provided buffers, each valid only until
   *          the next iteration
   * @throws as chunks()
   * @example
   * ```ts
   * import { socketpair } from 'ringcore/net';
   *
   * const [a, b] = socketpair();
   * await a.writeAll('parse me in place');
   * await a.close();
   * let spaces = 0;
   * for await (const view of b.zeroCopyChunks()) for (const byte of view) if (byte === 32) spaces++;
   * console.log(spaces); // 3
   * await b.close();
   * ```
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
    const reader = new Chunks(this, this.group ?? this.ring.recvBuffers, { zeroCopy, signal, highWaterMark });
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

  /**
   * Cancel what is pending (a chunks() iterator gives its buffers back), then close.
   * @returns a Promise that resolves once the socket is closed (its pending requests cancelled)
   * @example
   * ```ts
   * import { socketpair } from 'ringcore/net';
   *
   * const [a, b] = socketpair();
   * await a.close();
   * console.log(await b.read(Buffer.alloc(1))); // 0: the peer closed
   * await b.close();
   * ```
   */
  override close(): Promise<void> {
    const reader = this.reader;
    const closing = super.close();
    reader?.stop(undefined);
    return closing;
  }

  /**
   * Send all of `buffer`, looping over short sends (one unit of the send order: no file inside).
   *
   * `more: true` says more data follows at once — an HTTP head before its body, say:
   * each SEND carries MSG_MORE, so TCP holds the last partial segment back until the
   * next send fills it (what TCP_CORK does, for these sends only).  Without it a head
   * goes out as a segment of its own, and with a large body behind it the peer's receive
   * window stays small (measured: file_server's 1 MiB responses, 37 segments per response and
   * the client's CPU pushing the server's queued data, against 21-23 with `more`, as under
   * nginx; ~1.3-1.45x the throughput).  A held segment goes out with the next send that carries bytes, or
   * when an ACK arrives, or by itself after the retransmission timeout (at least 200 ms;
   * about that on loopback) if none follows — do not set it on a stream's last write.
   * A zero-byte write or sendFile does not release it; setNoDelay(true), shutdown() and
   * close() do.
   * @param buffer  the bytes, or a string (sent as UTF-8)
   * @param opts    `signal`; `more` (boolean, default false): more data follows at once (MSG_MORE)
   * @returns a Promise that resolves once every byte was sent
   * @throws as write()
   * @example
   * ```ts
   * import { socketpair } from 'ringcore/net';
   *
   * const [a, b] = socketpair();
   * await a.writeAll('all of it, however many sends it takes');
   * await Promise.all([a.close(), b.close()]);
   * ```
   */
  writeAll(buffer: ArrayBufferView | string, opts?: { signal?: AbortSignal; more?: boolean }): Promise<void> {
    let o: SendOptions;
    try {
      o = sendOptions(opts); // once, at the call (see write())
    } catch (e) {
      return Promise.reject(e);
    }
    const order = this.sendOrder();
    if (!order.open) return order.later(() => this.writeAllNow(buffer, o, order));
    order.begin();
    return this.writeAllNow(buffer, o, order);
  }

  /**
   * The first SEND carries the whole buffer; only a short one (a socket buffer that
   * filled) goes on to the loop.  A plain promise chain rather than nested async
   * functions: a server answers most requests with one writeAll, and each async frame
   * costs a promise and microtasks per call.
   */
  private writeAllNow(buffer: ArrayBufferView | string, opts: SendOptions, order: SendOrder): Promise<void> {
    let b: ArrayBufferView;
    let total: number;
    try {
      b = typeof buffer === 'string' ? Buffer.from(buffer) : buffer;
      checkView('buffer', b);
      total = viewLength(b); // fixed now: a buffer detached midway is an error, not the end
    } catch (e) {
      order.end();
      return Promise.reject(e);
    }
    if (total === 0) {
      order.end();
      return Promise.resolve();
    }
    let first: Promise<number>;
    try {
      first = this.sendRecv(Opcode.SEND, 'write', b, { offset: 0, length: total, signal: opts.signal, more: opts.more });
    } catch (e) { // (sendRecv rejects rather than throws; should that change, the order still ends)
      order.end();
      return Promise.reject(e);
    }
    return first.then((n) => {
      if (n === total) return order.end();
      return this.writeAllLoop(b, n, total, opts).finally(() => order.end());
    }, (e: unknown) => {
      order.end();
      throw e;
    });
  }

  /** After a short first SEND of `first` bytes: the rest, one SEND at a time. */
  private async writeAllLoop(b: ArrayBufferView, first: number, total: number, opts: SendOptions): Promise<void> {
    let off = 0;
    for (let n = first; ; n = await this.sendRecv(Opcode.SEND, 'write', b, { offset: off, length: total - off, signal: opts.signal, more: opts.more })) {
      if (n === 0) throw netError(EPIPE, 'write'); // nothing more will go
      off += n;
      if (off >= total) return;
    }
  }

  /**
   * readv(2) on the socket: what has arrived, scattered over `buffers` (at most
   * IOV_MAX = 1024 of them: one request; more is an ERR_OUT_OF_RANGE error).
   * @param buffers  the buffers to fill, in order (at most 1024)
   * @returns a Promise of the byte count received; 0 when the peer has closed its side
   * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for bad arguments; socket errors as Node's
   * @example
   * ```ts
   * import { socketpair } from 'ringcore/net';
   *
   * const [a, b] = socketpair();
   * await a.writeAll('headbody');
   * const head = Buffer.alloc(4), body = Buffer.alloc(4);
   * console.log(await b.readv([head, body]), head.toString(), body.toString()); // 8 'head' 'body'
   * await Promise.all([a.close(), b.close()]);
   * ```
   */
  readv(buffers: ArrayBufferView[]): Promise<number> {
    try {
      checkViews('buffers', buffers);
      if (this.fdv < 0) return Promise.reject(closedError('read'));
      const op = new ReadvOp(this.ring, this.fdv, buffers, -1, { owner: this, netStyle: true });
      this.waiting.add(op);
      return op.promise().then((n) => {
        this.received += n;
        return n;
      });
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * writev(2) of every byte of `buffers` (batches of IOV_MAX, short writes resumed).
   * @param buffers  the buffers to send, in order
   * @returns a Promise of the total byte count (all of it: short writes are resumed)
   * @throws ERR_INVALID_ARG_TYPE for bad arguments; EPIPE, ECONNRESET ... as Node's
   * @example
   * ```ts
   * import { socketpair } from 'ringcore/net';
   *
   * const [a, b] = socketpair();
   * console.log(await a.writev([Buffer.from('HTTP/1.1 200 OK\r\n'), Buffer.from('\r\n')])); // 19
   * await Promise.all([a.close(), b.close()]);
   * ```
   */
  writev(buffers: ArrayBufferView[]): Promise<number> {
    try {
      checkViews('buffers', buffers);
      if (this.fdv < 0) return Promise.reject(closedError('write'));
      const order = this.sendOrder();
      if (!order.open) return order.later(() => this.writevNow(buffers, order));
      order.begin();
      return this.writevNow(buffers, order);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private async writevNow(buffers: ArrayBufferView[], order: SendOrder): Promise<number> {
    try {
      if (this.fdv < 0) throw closedError('write');
      const n = await writevAll(this.ring, this.fdv, buffers, -1, { owner: this, netStyle: true });
      this.sent += n;
      return n;
    } finally {
      order.end();
    }
  }

  /**
   * shutdown(2): 'write' (send FIN, keep reading), 'read', or 'both'.
   * @param how  'write' (default: send FIN, keep reading), 'read' or 'both'
   * @returns a Promise that resolves once the kernel has shut that side down
   * @throws ERR_INVALID_ARG_TYPE for another `how`; ENOTCONN as Node's
   * @example
   * ```ts
   * import { socketpair } from 'ringcore/net';
   *
   * const [a, b] = socketpair();
   * await a.shutdown('write');
   * console.log(await b.read(Buffer.alloc(1))); // 0: end of stream, and a can still read
   * await Promise.all([a.close(), b.close()]);
   * ```
   */
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
   * @param options  node:stream Duplex options (`allowHalfOpen`, `highWaterMark`, ...)
   * @returns the Duplex; it owns this stream from now on
   * @throws ERR_INVALID_STATE when a chunks() iterator already reads this stream
   * @example
   * ```ts
   * import { socketpair } from 'ringcore/net';
   *
   * const [a, b] = socketpair();
   * const sock = a.toDuplex();
   * sock.end('through node:stream');
   * for await (const chunk of b.chunks()) console.log(Buffer.from(chunk).toString());
   * await b.close();
   * ```
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
   * @returns this stream
   * @example
   * ```ts
   * import { socketpair } from 'ringcore/net';
   *
   * const [a] = socketpair();
   * a.unref();
   * void a.read(Buffer.alloc(1)).catch(() => {}); // waits, but lets the process exit
   * ```
   */
  unref(): this {
    return this.setRef(false);
  }

  /**
   * Undo unref(): waiting on this stream keeps the process alive again (the default).
   * @returns this stream
   * @example
   * ```ts
   * import { socketpair } from 'ringcore/net';
   *
   * const [a, b] = socketpair();
   * a.unref().ref(); // back to the default: a pending read keeps the process alive
   * await Promise.all([a.close(), b.close()]);
   * ```
   */
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

  /**
   * SO_KEEPALIVE on or off; with `idleSeconds` > 0, TCP_KEEPIDLE too.
   * @param enable       SO_KEEPALIVE on or off
   * @param idleSeconds  > 0: seconds of idleness before the first probe (TCP_KEEPIDLE)
   * @returns a Promise that resolves once the options are set
   * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for bad arguments
   * @example
   * ```ts
   * import { TcpListener, TcpStream } from 'ringcore/net';
   *
   * const listener = await TcpListener.bind({ port: 0 });
   * const conn = await TcpStream.connect({ port: listener.port });
   * await conn.setKeepAlive(true, 60);
   * await Promise.all([conn.close(), listener.close()]);
   * ```
   */
  async setKeepAlive(enable: boolean, idleSeconds = 0): Promise<void> {
    if (this.fdv < 0) throw closedError('setsockopt');
    checkInteger(idleSeconds, 'idleSeconds', 0, 32767);
    await new SetsockoptOp(this.ring, this.fdv, SOL_SOCKET, SO_KEEPALIVE, enable ? 1 : 0).promise();
    if (enable && idleSeconds > 0) {
      await new SetsockoptOp(this.ring, this.fdv, IPPROTO_TCP, TCP_KEEPIDLE, idleSeconds).promise();
    }
  }

  /**
   * TCP_NODELAY on or off (setsockopt through IORING_OP_URING_CMD).
   * @param noDelay  true (default): send small writes at once (TCP_NODELAY)
   * @returns a Promise that resolves once the option is set
   * @throws ENOTSUP (syscall 'setsockopt') on a Unix-domain socket
   * @example
   * ```ts
   * import { TcpListener, TcpStream } from 'ringcore/net';
   *
   * const listener = await TcpListener.bind({ port: 0 });
   * const conn = await TcpStream.connect({ port: listener.port });
   * await conn.setNoDelay(true);
   * await Promise.all([conn.close(), listener.close()]);
   * ```
   */
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

/** The options of write()/writeAll() as read, once, at the call. */
interface SendOptions {
  signal: AbortSignal | undefined;
  more: boolean;
}

/** The two option sets without a signal, shared: a write with no options (or only `more`) allocates none. */
const PLAIN: SendOptions = Object.freeze({ signal: undefined, more: false });
const MORE_ONLY: SendOptions = Object.freeze({ signal: undefined, more: true });

/** Check and copy `opts` of write()/writeAll(): an object (or nothing), `signal`, `more` (a boolean). */
function sendOptions(opts: unknown): SendOptions {
  if (opts === undefined) return PLAIN;
  const signal = signalOf(opts); // throws ERR_INVALID_ARG_TYPE unless opts is an object, undefined or null
  const m = (opts as { more?: unknown } | null)?.more;
  const more = m === undefined ? false : checkBoolean(m, 'options.more');
  if (signal === undefined) return more ? MORE_ONLY : PLAIN;
  return { signal, more };
}

/** undefined, or an integer number of bytes >= 1. */
export function checkHighWaterMark(v: unknown, name = 'options.highWaterMark'): number | undefined {
  return v === undefined ? undefined : checkInteger(v, name, 1, 2 ** 31 - 1);
}

/**
 * Two connected AF_UNIX stream sockets, as TcpStreams (socketpair(2)).
 * @param options  `ring` (default: the thread's ring) and the receive options of chunks()
 *                 (`highWaterMark`, ...)
 * @returns two connected streams
 * @throws EMFILE / ENFILE (syscall 'socketpair') when no fd is left
 * @example
 * ```ts
 * import { socketpair } from 'ringcore/net';
 *
 * const [a, b] = socketpair();
 * await a.writeAll('x');
 * console.log(await b.read(Buffer.alloc(1))); // 1
 * await Promise.all([a.close(), b.close()]);
 * ```
 */
export function socketpair(options?: { ring?: Ring } & ReceiveOptions): [TcpStream, TcpStream] {
  const r = native.socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | STREAM_NONBLOCK);
  if (typeof r === 'number') throw errnoError(r, 'socketpair');
  adoptFd(r[0]);
  adoptFd(r[1]);
  const ring = options?.ring ?? defaultRing();
  const highWaterMark = checkHighWaterMark(options?.highWaterMark);
  return [new TcpStream(ring, r[0], { highWaterMark }), new TcpStream(ring, r[1], { highWaterMark })];
}
