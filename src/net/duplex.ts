/**
 * `SocketDuplex`: a RingCore stream as a `node:stream` Duplex shaped like `net.Socket`,
 * so that code written for Node's sockets runs on the ring unchanged: an
 * `http.createServer(handler)` fed with `server.emit('connection', conn.toDuplex())`,
 * `tls.connect({ socket })`, `new tls.TLSSocket(duplex)`, the `node:http` client and
 * undici through `createConnection`, `pipeline(file, socket)`.
 *
 * Reading: the back-pressured receive path — `conn.chunks()`, one multishot RECV whose
 * chunks the Duplex owns (copied out of the shared buffers).  `_read()` pulls from it
 * until `push()` says the readable buffer is full; then it stops pulling, the
 * iterator's queue reaches its own high-water mark and the connection stops
 * receiving: TCP's window tells the peer to wait.
 * Writing: `_writev` hands every buffered chunk to one `writev` (all of it goes, short
 * writes resumed); `_final` is shutdown(SHUT_WR) — the FIN, reading goes on
 * (half-close); `_destroy` closes the stream, which cancels what is in flight.
 *
 * What net.Socket has and this has too: setNoDelay, setKeepAlive, setTimeout ('timeout'
 * after that long without reads or writes), address(), remoteAddress/Port/Family,
 * localAddress/Port/Family, bytesRead/bytesWritten, destroySoon, readyState,
 * connecting/pending, ref/unref (no-ops: what keeps the process alive is the ring's
 * requests in flight), and a connecting state for `createConnection()`: writes wait
 * until the connection is up, as Node's do.
 *
 * May touch: its TcpStream (requests through it), a timer for setTimeout.
 */
import { Duplex } from 'node:stream';
import type { TcpStream } from './stream.js';
import type { SocketAddress } from '../sys/sockaddr.js';
import { abortError, codedError, invalidArgType, onAbort } from '../op/errors.js';
import { checkInteger } from '../op/validate.js';

/** Options of `TcpStream.toDuplex()` and `createConnection()`. */
export interface DuplexOptions {
  /** Keep the writable side open after the peer's FIN (default false, as net.Socket). */
  allowHalfOpen?: boolean;
  /** The Readable's buffer, in bytes (default: Node's, 16 KiB in Node 20). */
  readableHighWaterMark?: number;
  /** The Writable's buffer, in bytes (default: Node's). */
  writableHighWaterMark?: number;
}

type Chunk = { chunk: Buffer | Uint8Array | string; encoding: BufferEncoding };

function toBuffer(c: Buffer | Uint8Array | string, encoding: BufferEncoding): Uint8Array {
  return typeof c === 'string' ? Buffer.from(c, encoding) : c;
}

export class SocketDuplex extends Duplex {
  /** The RingCore stream underneath; undefined while connecting. */
  conn: TcpStream | undefined;
  /** True until the connection is up (createConnection()); then false, as net.Socket. */
  connecting: boolean;
  /** Bytes received and pushed to the Readable. */
  bytesRead = 0;
  private sent = 0;
  private chunkIter: AsyncIterator<Uint8Array> | undefined = undefined;
  private pulling = false;
  /** Sends not completed yet, and the peer's FIN waiting for them (see deliverEof). */
  private sending = 0;
  private eofPending = false;
  private eofScheduled = false;
  private eofTimer: NodeJS.Timeout | undefined = undefined;
  private idleMs = 0;
  private idleTimer: NodeJS.Timeout | undefined = undefined;
  /** Settles when connected (rejects if connecting fails); writes and reads wait for it. */
  private readonly ready: Promise<TcpStream> | undefined;
  private remoteCache: SocketAddress | undefined = undefined;
  /** ref()/unref() asked for before the connection was up. */
  private refd = true;
  /** Stops listening to the user's AbortSignal. */
  private unlisten: (() => void) | undefined = undefined;
  /** Aborts the dial (createConnection) if destroy() comes first. */
  private dial: AbortController | undefined = undefined;
  /** When the peer's FIN arrived while sends were in flight (see deliverEof). */
  private eofSince = 0;
  private localCache: SocketAddress | undefined = undefined;

  /**
   * @internal Made by TcpStream.toDuplex() (a connected stream), or by createConnection()
   * with `connect(signal)`: the dial, which `destroy()` aborts while it is under way.
   */
  constructor(source: TcpStream | ((signal: AbortSignal) => Promise<TcpStream>), options: DuplexOptions = {}) {
    if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
    super({
      allowHalfOpen: options.allowHalfOpen === true,
      readableHighWaterMark: hwm(options.readableHighWaterMark, 'options.readableHighWaterMark'),
      writableHighWaterMark: hwm(options.writableHighWaterMark, 'options.writableHighWaterMark'),
      // 'end' then 'close' when both sides are done, as net.Socket.
      emitClose: true,
      autoDestroy: true,
    });
    if (typeof source === 'function') {
      this.conn = undefined;
      this.connecting = true;
      const dial = new AbortController();
      this.dial = dial;
      this.ready = source(dial.signal).then(
        (conn) => {
          this.dial = undefined;
          if (this.destroyed) {
            void conn.close();
            throw closedBeforeConnection();
          }
          this.conn = conn;
          this.connecting = false;
          if (!this.refd) conn.unref();
          this.remember(conn);
          // Receiving starts now, as a connected net.Socket's does (and keeps the
          // process alive, unless unref()'d).
          this.chunkIter = conn.chunks();
          this.emit('connect');
          this.emit('ready');
          return conn;
        },
        (e: unknown) => {
          this.dial = undefined;
          this.connecting = false;
          if (this.destroyed) throw closedBeforeConnection(); // our own abort: destroy() reported
          this.destroy(e as Error);
          throw e;
        },
      );
      this.ready.catch(() => {}); // reported through 'error' (destroy), not as unhandled
    } else {
      this.conn = source;
      this.connecting = false;
      this.ready = undefined;
      this.remember(source);
      // The stream is the Duplex's from now on: chunks() (or a second toDuplex()) on
      // it throws, as a second reader would steal data.  Receiving starts now, as a
      // net.Socket's does; what nobody reads is bounded by the high-water marks.
      this.chunkIter = source.chunks();
    }
  }

  /**
   * @internal An AbortSignal that destroys the socket with an AbortError whenever it
   * aborts — while connecting or after, as net.connect({ signal }).
   */
  watchSignal(signal: AbortSignal | undefined): void {
    if (signal === undefined) return;
    if (signal.aborted) {
      process.nextTick(() => this.destroy(abortError(signal)));
      return;
    }
    this.unlisten = onAbort(signal, (e) => this.destroy(e as Error));
  }

  /** Addresses are read while the fd is open: after close() Node still reports them. */
  private remember(conn: TcpStream): void {
    try {
      this.remoteCache = conn.remoteAddress;
      this.localCache = conn.localAddress;
    } catch {
      // a socket that is already gone: no addresses, as Node reports for it
    }
  }

  private whenReady(): TcpStream | Promise<TcpStream> {
    return this.conn ?? this.ready!;
  }

  // ---- Readable side -------------------------------------------------------------

  override _read(): void {
    if (this.pulling) return;
    this.pulling = true;
    void this.pull();
  }

  /** Pull chunks until push() refuses one (the Readable is full) or the data ends. */
  private async pull(): Promise<void> {
    try {
      const conn = await this.whenReady();
      this.chunkIter ??= conn.chunks();
      for (;;) {
        const r = await this.chunkIter.next();
        if (this.destroyed) return;
        if (r.done) {
          this.pulling = false;
          this.eofPending = true;
          this.deliverEof();
          return;
        }
        this.bytesRead += r.value.length;
        this.active();
        if (!this.push(r.value)) break;
      }
      this.pulling = false;
    } catch (e) {
      this.pulling = false;
      if (!this.destroyed) this.destroy(e as Error);
    }
  }

  /**
   * The peer's FIN, delivered once the sends in flight are out (a macrotask later), or
   * after EOF_WAIT_MS at most.  net.Socket's writes usually complete synchronously, so
   * code that answers from its 'data' handler has written its answers before 'end' —
   * node:http answers every pipelined request of a client that sent them and then
   * half-closed, because each response is out before the next is started.  Our sends
   * complete a loop turn later: without the wait, 'end' would overtake them (and
   * node:http ends the socket on 'end').  Bounded, so a peer that stops reading cannot
   * hold our 'end' back; only sends in flight count (corked data is not on its way).
   */
  private deliverEof(): void {
    if (!this.eofPending || this.destroyed) return;
    const now = performance.now();
    if (this.eofSince === 0) this.eofSince = now;
    const waited = now - this.eofSince;
    if (this.sending > 0 && waited < EOF_WAIT_MS) {
      // send() calls again as soon as the last one completes; the timer is the bound.
      if (this.eofTimer === undefined) {
        this.eofTimer = setTimeout(() => {
          this.eofTimer = undefined;
          this.deliverEof();
        }, EOF_WAIT_MS - waited);
        this.eofTimer.unref();
      }
      return;
    }
    if (this.eofTimer !== undefined) {
      clearTimeout(this.eofTimer);
      this.eofTimer = undefined;
    }
    if (this.eofScheduled) return;
    this.eofScheduled = true;
    setImmediate(() => {
      this.eofScheduled = false;
      if (!this.eofPending || this.destroyed) return;
      // A send started meanwhile (the answer to what was just read): wait for it too.
      if (this.sending > 0 && performance.now() - this.eofSince < EOF_WAIT_MS) return this.deliverEof();
      this.eofPending = false;
      this.push(null);
    });
  }

  // ---- Writable side -------------------------------------------------------------

  override _write(chunk: Buffer | string, encoding: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.send([toBuffer(chunk, encoding)], cb);
  }

  override _writev(chunks: Chunk[], cb: (e?: Error | null) => void): void {
    this.send(chunks.map((c) => toBuffer(c.chunk, c.encoding)), cb);
  }

  private send(views: Uint8Array[], cb: (e?: Error | null) => void): void {
    let total = 0;
    for (const v of views) total += v.byteLength;
    const go = (conn: TcpStream): Promise<unknown> =>
      views.length === 1 ? conn.writeAll(views[0]) : conn.writev(views);
    const c = this.conn;
    this.sending++;
    (c !== undefined ? go(c) : this.ready!.then(go)).then(
      () => {
        this.sending--;
        this.sent += total;
        this.active();
        cb();
        if (this.eofPending && this.sending === 0) this.deliverEof();
      },
      (e: Error) => {
        this.sending--;
        cb(e);
      },
    );
  }

  override _final(cb: (e?: Error | null) => void): void {
    // FIN: the peer reads EOF; our reading goes on (half-close).  A peer that has
    // already gone makes shutdown fail with ENOTCONN: nothing left to tell it.
    const shut = (conn: TcpStream) => conn.shutdown('write');
    const c = this.conn;
    (c !== undefined ? shut(c) : this.ready!.then(shut)).then(
      () => cb(),
      (e: NodeJS.ErrnoException) => cb(e.code === 'ENOTCONN' ? null : e),
    );
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    this.clearIdle();
    if (this.eofTimer !== undefined) clearTimeout(this.eofTimer);
    this.unlisten?.();
    const it = this.chunkIter;
    this.chunkIter = undefined;
    void it?.return?.();
    const conn = this.conn;
    if (conn === undefined) {
      // Still connecting: abort the dial (TcpStream.connect closes the socket it made).
      this.connecting = false;
      this.dial?.abort();
      cb(err);
      return;
    }
    conn.close().then(() => cb(err), () => cb(err));
  }

  // ---- What net.Socket has -------------------------------------------------------

  /** Bytes written to the kernel (Node also counts what is still buffered: so do we). */
  get bytesWritten(): number {
    return this.sent + this.writableLength;
  }

  get pending(): boolean {
    return this.connecting;
  }

  /** 'opening' | 'open' | 'readOnly' | 'writeOnly' | 'closed', as net.Socket. */
  get readyState(): string {
    if (this.connecting) return 'opening';
    if (this.readable && this.writable) return 'open';
    if (this.readable && !this.writable) return 'readOnly';
    if (!this.readable && this.writable) return 'writeOnly';
    return 'closed';
  }

  // A Unix-domain socket has no address or port to report: undefined, as net.Socket's.
  get remoteAddress(): string | undefined { return inet(this.remoteCache)?.address; }
  get remotePort(): number | undefined { return inet(this.remoteCache)?.port; }
  get remoteFamily(): string | undefined { return inet(this.remoteCache)?.family; }
  get localAddress(): string | undefined { return inet(this.localCache)?.address; }
  get localPort(): number | undefined { return inet(this.localCache)?.port; }
  get localFamily(): string | undefined { return inet(this.localCache)?.family; }

  /**
   * { address, family, port } of our end, or {} as Node gives before connecting.
   * @returns `{ address, family, port }` of the local end, or `{}` before it is connected
   * @example
   * ```ts
   * import { socketpair } from 'ringcore/net';
   *
   * const [a, b] = socketpair();
   * const sock = a.toDuplex();
   * console.log(sock.address()); // a Unix socketpair: {} shaped as net.Socket's
   * sock.destroy();
   * await b.close();
   * ```
   */
  address(): { address: string; family: string; port: number } | Record<string, never> {
    const l = inet(this.localCache);
    return l === undefined ? {} : { address: l.address, family: l.family, port: l.port };
  }

  /**
   * TCP_NODELAY (Nagle off when true).  Errors are ignored, as Node does.
   * @param noDelay  true (default): TCP_NODELAY on
   * @returns this socket
   * @example
   * ```ts
   * import { socketpair } from 'ringcore/net';
   *
   * const [a, b] = socketpair();
   * const sock = a.toDuplex();
   * sock.setNoDelay(true); // errors are ignored, as net.Socket does (a Unix socket has no Nagle)
   * sock.destroy();
   * await b.close();
   * ```
   */
  setNoDelay(noDelay?: boolean): this {
    const on = Boolean(noDelay === undefined ? true : noDelay); // as net.Socket reads it
    void Promise.resolve(this.whenReady()).then((c) => c.setNoDelay(on)).catch(() => {});
    return this;
  }

  /**
   * SO_KEEPALIVE, and TCP_KEEPIDLE = initialDelay (ms, rounded down to seconds) when > 0.
   * @param enable        SO_KEEPALIVE on (default false, as net.Socket)
   * @param initialDelay  ms of idleness before the first probe (TCP_KEEPIDLE, whole seconds);
   *                      a value that is not a positive number is taken as 0, as net.Socket
   * @returns this socket
   * @example
   * ```ts
   * import { socketpair } from 'ringcore/net';
   *
   * const [a, b] = socketpair();
   * const sock = a.toDuplex();
   * sock.setKeepAlive(true, 60_000);
   * sock.destroy();
   * await b.close();
   * ```
   */
  setKeepAlive(enable?: boolean, initialDelay = 0): this {
    const on = Boolean(enable); // as net.Socket reads it
    const secs = Math.min(32767, Math.max(0, Math.floor((Number(initialDelay) || 0) / 1000)));
    void Promise.resolve(this.whenReady()).then((c) => c.setKeepAlive(on, secs)).catch(() => {});
    return this;
  }

  /**
   * Emit 'timeout' after `ms` without reads or writes (0 disables it); the socket is
   * not closed — the listener decides, as with net.Socket.  `callback` is added as a
   * one-time 'timeout' listener.
   * @param ms        idle time before 'timeout' (0 disables it)
   * @param callback  added as a one-time 'timeout' listener
   * @returns this socket
   * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE as net.Socket's
   * @example
   * ```ts
   * import { socketpair } from 'ringcore/net';
   *
   * const [a, b] = socketpair();
   * const sock = a.toDuplex();
   * sock.setTimeout(10, () => sock.destroy()); // nothing read or written for 10 ms: give up
   * await new Promise((resolve) => sock.on('close', resolve));
   * await b.close();
   * ```
   */
  setTimeout(ms: number, callback?: () => void): this {
    ms = timerDuration(ms, 'msecs');
    if (callback !== undefined) {
      if (typeof callback !== 'function') throw invalidArgType('callback', 'of type function', callback);
      if (ms === 0) this.removeListener('timeout', callback);
      else this.once('timeout', callback);
    }
    this.idleMs = ms;
    this.clearIdle();
    if (ms > 0 && !this.destroyed) {
      this.idleTimer = setTimeout(() => this.emit('timeout'), ms);
      this.idleTimer.unref(); // as Node's socket timers: they never keep the process alive
    }
    return this;
  }

  /** The socket's current idle timeout (ms; 0: none). */
  get timeout(): number {
    return this.idleMs;
  }

  private active(): void {
    this.idleTimer?.refresh();
  }

  private clearIdle(): void {
    if (this.idleTimer !== undefined) {
      clearTimeout(this.idleTimer);
      this.idleTimer = undefined;
    }
  }

  /**
   * end(), then destroy once everything written is out (node:http calls it).
   * @returns nothing: the socket is ended, and destroyed once its writes are out
   * @example
   * ```ts
   * import { socketpair } from 'ringcore/net';
   *
   * const [a, b] = socketpair();
   * const sock = a.toDuplex();
   * sock.write('last words');
   * sock.destroySoon();
   * await new Promise((resolve) => sock.on('close', resolve));
   * await b.close();
   * ```
   */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }

  /**
   * As net.Socket's: waiting on this socket keeps the process alive (the default).
   * @returns this socket
   * @example
   * ```ts
   * import { socketpair } from 'ringcore/net';
   *
   * const [a, b] = socketpair();
   * const sock = a.toDuplex();
   * sock.unref().ref(); // the default again
   * sock.destroy();
   * await b.close();
   * ```
   */
  ref(): this {
    this.refd = true;
    this.conn?.ref();
    return this;
  }

  /**
   * As net.Socket's: let the process exit while this socket waits.
   * @returns this socket
   * @example
   * ```ts
   * import { socketpair } from 'ringcore/net';
   *
   * const [a, b] = socketpair();
   * const sock = a.toDuplex();
   * sock.unref(); // reading no longer keeps the process alive
   * sock.destroy();
   * await b.close();
   * ```
   */
  unref(): this {
    this.refd = false;
    this.conn?.unref();
    return this;
  }
}

/** Node's TIMEOUT_MAX (2^31 - 1 ms): longer timers would overflow to 1 ms. */
const TIMEOUT_MAX = 2 ** 31 - 1;

/** Node's getTimerDuration: a number, non-negative and finite (else ERR_OUT_OF_RANGE), capped at TIMEOUT_MAX with a warning. */
function timerDuration(ms: unknown, name: string): number {
  if (typeof ms !== 'number') throw invalidArgType(name, 'of type number', ms);
  if (!(ms >= 0) || !Number.isFinite(ms)) {
    throw codedError(RangeError, 'ERR_OUT_OF_RANGE', `The value of "${name}" is out of range. It must be a non-negative finite number. Received ${String(ms)}`);
  }
  if (ms > TIMEOUT_MAX) {
    process.emitWarning(`${ms} does not fit into a 32-bit signed integer.\nTimer duration was truncated to ${TIMEOUT_MAX}.`, 'TimeoutOverflowWarning');
    return TIMEOUT_MAX;
  }
  return ms;
}

/** How long the peer's FIN may wait for our sends in flight (see deliverEof). */
const EOF_WAIT_MS = 100;

function closedBeforeConnection(): Error {
  return codedError(Error, 'ERR_SOCKET_CLOSED_BEFORE_CONNECTION', 'Socket closed before the connection was established');
}

function inet(a: SocketAddress | undefined): SocketAddress | undefined {
  return a === undefined || a.family === 'unix' ? undefined : a;
}

function hwm(v: unknown, name: string): number | undefined {
  return v === undefined ? undefined : checkInteger(v, name, 0, 2 ** 31 - 1);
}

/**
 * A socket returned at once in the connecting state (writes wait for the connection),
 * as `net.createConnection` returns one; `callback(err, socket)` is called once it is
 * connected or has failed.  Without a callback, a failure is the socket's 'error'.
 */
export function connectDuplex(
  dial: (signal: AbortSignal) => Promise<TcpStream>,
  options: DuplexOptions,
  callback?: (err: Error | null, socket?: SocketDuplex) => void,
): SocketDuplex {
  const socket = new SocketDuplex(dial, options);
  if (callback !== undefined) {
    const onError = (e: Error) => {
      socket.off('connect', onConnect);
      callback(e);
    };
    const onConnect = () => {
      socket.off('error', onError); // later errors are the user's, not swallowed here
      callback(null, socket);
    };
    socket.once('connect', onConnect);
    socket.once('error', onError);
  }
  return socket;
}
