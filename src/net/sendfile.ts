/**
 * `TcpStream.sendFile(file, { offset, length, signal })`: a file's bytes to a socket
 * without copying them through JavaScript — IORING_OP_SPLICE from the file into a
 * pipe, and from the pipe into the socket (splice(2) needs a pipe on one side; the
 * kernel moves page references, not bytes).
 *
 * One submission moves up to WINDOWS windows as ONE linked chain:
 *
 *     splice(file @ off -> pipe, n1) => splice(pipe -> socket, n1) -> splice(file @ off+n1 -> pipe, n2) => ...
 *
 * (=> IOSQE_IO_HARDLINK: the drain runs whatever the fill moved, so the last, short
 * window of a file is sent in the same chain; -> IOSQE_IO_LINK.) *
 * Each window is at most the pipe's capacity, cut so that it ends on a page boundary
 * (a pipe holds one page piece per slot: a window that straddled one page more than
 * the pipe has slots would come back short).  A short splice — end of file, a signal,
 * a peer that went away — breaks the chain: the rest completes with -ECANCELED, having
 * moved nothing.  Every terminal result is exact, so after each chain we know how many
 * bytes sit in the pipe (file->pipe minus pipe->socket); leftovers are drained to the
 * socket first thing in the next chain.  A pipe is taken from the ring's pool
 * (net/pipes.ts) and given back only empty; one that may hold bytes (aborted or failed
 * mid-window) is closed instead.
 *
 * Semantics (Node has no socket sendFile; these follow createReadStream and sendfile(2)):
 *  - resolves with the number of bytes sent.  End of file before `length` (a file
 *    shorter than offset + length, or one truncated while it is sent) is not an error:
 *    the count says what went, as `createReadStream({ start, end })` ends at end of file.
 *    A caller that announced a Content-Length compares it and closes the connection.
 *    Bytes past the new end that were already spliced may arrive as zeros: the pipe holds
 *    references to page-cache pages, and truncation zeroes them — as with sendfile(2),
 *    a file must not change while it is sent if its bytes matter.
 *  - abort: rejects with an AbortError once nothing is in flight any more; what was sent
 *    stays sent (the count is lost, as with any aborted write).  The stream stays usable.
 *  - errors: the socket's as node:net words them ("write EPIPE", "write ECONNRESET"),
 *    the file's as node:fs ("EIO: i/o error, read").  Closing the stream rejects with
 *    the stream's EBADF, closing the FileHandle with its "file closed" (EBADF).
 *  - a file splice(2) refuses (EINVAL: some procfs/sysfs/special files) is sent through
 *    a buffer instead: READ + SEND, 64 KiB at a time; so is a known `length` of 64 KiB
 *    or less, which that way takes no io-wq round trip (faster, measured); and so is
 *    any file when no pipe can be made (EMFILE/ENFILE: the process at its fd limit).
 *  - order: a sendFile waits for the writes called before it and holds back those called
 *    after it (net/sendorder.ts): writes never interleave with a file's bytes.
 *
 * Why the close hooks: a linked request looks its fds up only when it starts (and a
 * splice's input fd always is), so the socket, the file and the pipe must stay open,
 * under the same numbers, until every request of the chain has completed — closed
 * earlier, the number could name a file opened meanwhile, and the bytes would go
 * there.  A stream's close() and a FileHandle's close() first stop the sendFile
 * (cancelling its requests, again each time one completes: the next link may have
 * just started) and close the fd once it has finished.  A raw fd number given as
 * `file` is the caller's to keep open until the promise settles.
 *
 * Kernel cost: splices run in io-wq worker threads.  RingCore's TCP sockets are
 * O_NONBLOCK (sys/socket.ts SOCK_NONBLOCK), so a drain into a full socket buffer (a slow
 * peer) is EAGAIN or short, and the next chain starts with a POLLOUT: no worker waits on
 * a peer.  A socket that is blocking (a Unix-domain stream from connect(), an fd adopted
 * from elsewhere) still blocks its worker until the peer reads, as sendfile(2) in a
 * thread pool would.
 *
 * May touch: its stream's and file's requests (through the ring), the pipe pool.
 */
import type { Ring } from '../runtime/ring.js';
import type { FileHandle } from '../fs/filehandle.js';
import { Opcode, SpliceFlag, SqeFlag } from '../sys/constants.js';
import { EAGAIN, ECANCELED, EINTR, EINVAL, ENOENT, EPIPE } from '../sys/errno.js';
import { FdHandle } from '../op/handle.js';
import { isQueued, opFinished, type Op, type Owner, type Waiter } from '../op/op.js';
import { abortError, errnoError, invalidArgType, netError, outOfRange } from '../op/errors.js';
import { startChain } from '../op/link.js';
import { CancelOp } from '../op/cancel.js';
import { RwOp } from '../op/io.js';
import { StatxOp } from '../op/fsops.js';
import { AT } from '../sys/file.js';
import { SendRecvOp } from '../op/net.js';
import { PollOp, POLLOUT, SpliceOp } from '../op/splice.js';
import { givePipe, takePipe, type Pipe } from './pipes.js';
import type { SendOrder } from './sendorder.js';
import { checkFd, checkInteger, checkSignal } from '../op/validate.js';

/** Options of TcpStream.sendFile. */
export interface SendFileOptions {
  /** Where in the file to start (default 0).  Up to 2^53 - 1. */
  offset?: number | bigint;
  /**
   * How many bytes to send (default: up to the end of the file as it is when the
   * sendFile starts — its size then, by fstat, as sendfile(2) servers do; a file that
   * grows meanwhile is not followed, one that shrinks ends early).
   */
  length?: number;
  /** Aborting stops the transfer: the promise rejects with an AbortError. */
  signal?: AbortSignal;
}

/** What sendFile needs of the stream (TcpStream implements it). */
export interface SendFileHost extends Owner {
  readonly ring: Ring;
  /** @internal bytesWritten. */
  counted(received: boolean, bytes: number): void;
  /** @internal The stream's send order (created on first use). */
  sendOrder(): SendOrder;
  /** @internal The sendFile running on the stream, if any (its close() waits for it). */
  fileJob: FileJob | undefined;
}

const PAGE = 4096;
/** account(): the socket is non-blocking and full (EAGAIN from a drain): poll, then drain. */
const SOCKET_FULL = 1 << 30;
/** Windows per chain (2 SQEs each).  @internal settable for measurements. */
let WINDOWS = 4;
/** The read+send path's buffer. */
const COPY_CHUNK = 64 * 1024;
/** Known lengths up to this are sent by READ + SEND (see splices()).  @internal settable for measurements. */
let COPY_BELOW = 64 * 1024;

/** @internal For measurements and tests: the largest known length sent by READ + SEND (-1: always splice). */
export function setCopyBelow(n: number): void {
  COPY_BELOW = n;
}

/** @internal For measurements: windows per submitted chain. */
export function setWindowsPerChain(n: number): void {
  WINDOWS = n;
}

/** A FileHandle of ringcore/fs (told apart structurally: importing its module here would load all of ringcore/fs with ringcore/net). */
function isFileHandle(v: unknown): v is FileHandle {
  return v instanceof FdHandle && typeof (v as { use?: unknown }).use === 'function' &&
    typeof (v as { release?: unknown }).release === 'function';
}

/** The checks and the start: the body of TcpStream.sendFile. */
export function sendFile(host: SendFileHost, file: unknown, options: unknown): Promise<number> {
  let job: FileJob;
  try {
    let fh: FileHandle | undefined;
    if (isFileHandle(file)) fh = file;
    else if (typeof file === 'number') checkFd(file, 'file');
    else throw invalidArgType('file', 'of type number or an instance of FileHandle', file);
    // An array is refused as Node's validateObject refuses it: its `length` would be read
    // as options.length (`sendFile(fh, [a, b])` sending 2 bytes).
    if (options !== undefined && (options === null || typeof options !== 'object' || Array.isArray(options))) {
      throw invalidArgType('options', 'of type object', options);
    }
    const o = (options ?? {}) as SendFileOptions;
    const offset = checkOffset(o.offset);
    const length = o.length === undefined ? Infinity : checkInteger(o.length, 'options.length', 0);
    const signal = checkSignal(o.signal);
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (host.fd < 0) return Promise.reject(host.closedError('write'));
    if (fh !== undefined && fh.fd < 0) return Promise.reject(fh.closedError('read'));
    if (length === 0) return Promise.resolve(0);
    job = new FileJob(host, fh, fh === undefined ? (file as number) : -1, offset, length, signal);
  } catch (e) {
    return Promise.reject(e);
  }
  const signal = job.signal;
  if (signal === undefined) return host.sendOrder().exclusive(() => job.run());
  // One listener for the whole call.  Aborted while the job waits for its turn (behind
  // a write to a slow peer, say): reject now — nothing of it is in flight, and when its
  // turn comes it does nothing (run() sees the aborted signal).  Once it runs, the
  // abort stops it, and it rejects itself after its last request.
  let rejectEarly!: (e: unknown) => void;
  const early = new Promise<never>((_, reject) => { rejectEarly = reject; });
  const onAbort = (): void => {
    const err = abortError(signal);
    if (job.started) job.abort(err);
    else rejectEarly(err);
  };
  try {
    // A signal-like object (Node's check only asks for `aborted`) may have no working
    // addEventListener: refused before anything started, so nothing is to undo.
    signal.addEventListener('abort', onAbort, { once: true });
  } catch (e) {
    return Promise.reject(e);
  }
  const p = host.sendOrder().exclusive(() => job.run());
  const done = (): void => {
    try {
      signal.removeEventListener('abort', onAbort);
    } catch {
      // A signal-like object without a working removeEventListener: nothing to remove from.
    }
  };
  p.then(done, done);
  return Promise.race([p, early]);
}

function checkOffset(v: unknown): number {
  if (v === undefined) return 0;
  if (typeof v === 'bigint') {
    if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) throw outOfRange('options.offset', `>= 0 && <= ${Number.MAX_SAFE_INTEGER}`, v);
    return Number(v);
  }
  if (typeof v !== 'number') throw invalidArgType('options.offset', 'of type number or bigint', v);
  return checkInteger(v, 'options.offset', 0);
}

const noop = (): void => {};
/** statx(fd, "", AT_EMPTY_PATH). */
const EMPTY_PATH = { bytes: Buffer.from([0]), display: '' };
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;

/** What one request of a chain does (how its result is accounted). */
const FILL = 0; // file -> pipe
const DRAIN = 1; // pipe -> socket
const POLL = 2; // wait for room in a non-blocking socket

/** Settles a chain once each of its `n` requests has settled (Op.watch). */
class ChainWaiter implements Waiter {
  constructor(private n: number, private readonly resolve: () => void) {}
  settle(): void {
    if (--this.n === 0) this.resolve();
  }
}

/**
 * The error that refused or broke a settled chain, as linkOps reports it: the first
 * rejection that is not ECANCELED (what the links behind a failed request get), else
 * the first rejection; undefined if every request succeeded.
 */
function refusal(ops: Op<number>[]): unknown {
  let first: unknown;
  for (const op of ops) {
    const r: unknown = op.result;
    if (!(r instanceof Error)) continue;
    if ((r as { errno?: number }).errno !== ECANCELED) return r;
    first ??= r;
  }
  return first;
}

/** @internal One sendFile, from its turn in the stream's send order to its settlement. */
export class FileJob implements Owner {
  /** Why it stops (abort, a close): set once. */
  private stopped: Error | undefined = undefined;
  /** The requests of the chain in flight, their kinds and their results. */
  private chain: Op<number>[] = [];
  private kinds: number[] = [];
  private results: number[] = [];
  private retry: ReturnType<typeof setTimeout> | undefined = undefined;
  /** The cancels sent: awaited too, so that nothing of this sendFile is in flight once it settles. */
  private cancels: Promise<number>[] = [];
  /** Settles when run() has settled (every request done). */
  private finished: Promise<void> | undefined = undefined;
  private sock = -1;
  private file = -1;
  private off: number;
  private remaining: number;
  /** Bytes spliced into the pipe and not yet out of it. */
  private inPipe = 0;
  private sent = 0;
  private eof = false;
  /** Bytes the last chain moved (into and out of the pipe). */
  private moved = 0;

  constructor(private readonly host: SendFileHost, private readonly fh: FileHandle | undefined, fd: number,
              offset: number, length: number, readonly signal: AbortSignal | undefined) {
    this.file = fd;
    this.off = offset;
    this.remaining = length;
  }

  /** Owner of every request: refused once stopped or once the stream or file closed. */
  get fd(): number {
    return this.stopped !== undefined || this.host.fd < 0 || (this.fh !== undefined && this.fh.fd < 0) ? -1 : this.sock;
  }

  closedError(syscall: string): Error {
    if (this.stopped !== undefined) return this.stopped;
    if (this.host.fd < 0 || this.fh === undefined) return this.host.closedError(syscall);
    return this.fh.closedError(syscall);
  }

  /** FileHandle's HandleUser: the file is being closed. */
  handleClosing(): void {
    this.stop(this.fh!.closedError('read'));
  }

  /** The stream is being closed: stop, and settle once no request names its fd. */
  stopForClose(): Promise<void> {
    this.stop(this.host.closedError('write'));
    return this.finished ?? Promise.resolve();
  }

  /** run() was called: its turn in the stream's send order came. */
  started = false;

  run(): Promise<number> {
    this.started = true;
    const p = this.runInner();
    this.finished = p.then(noop, noop);
    return p;
  }

  private async runInner(): Promise<number> {
    const { host, fh, signal } = this;
    if (signal?.aborted) throw abortError(signal);
    if (host.fd < 0) throw host.closedError('write');
    if (fh !== undefined) {
      if (fh.fd < 0) throw fh.closedError('read');
      this.file = fh.fd;
      fh.use(this);
    }
    this.sock = host.fd;
    host.fileJob = this;
    try {
      return await this.splices();
    } finally {
      if (this.retry !== undefined) clearTimeout(this.retry);
      if (host.fileJob === this) host.fileJob = undefined;
      fh?.release(this);
    }
  }

  /** The caller's signal fired while this runs (sendFile's listener). */
  abort(err: Error): void {
    this.stop(err);
  }

  /** Stop: refuse what is not submitted yet, cancel what is. */
  private stop(err: Error): void {
    if (this.stopped !== undefined) return;
    this.stopped = err;
    this.cancelRound();
  }

  /**
   * Cancel every request of the chain that is in the kernel.  Repeated when one of them
   * completes (the next link starts then, and a cancel sent before could not find it)
   * and, while a cancel finds nothing yet the request is not done, a moment later.
   */
  private cancelRound(): void {
    if (this.stopped === undefined) return;
    const ring = this.host.ring;
    for (const op of this.chain) {
      if (!op.submitted || isQueued(op) || opFinished(op) || ring.closed) continue;
      const cancel = new CancelOp(ring, op).promise();
      this.cancels.push(cancel);
      cancel.then((r) => {
        if (r === ENOENT && !opFinished(op) && this.retry === undefined) {
          this.retry = setTimeout(() => {
            this.retry = undefined;
            this.cancelRound();
          }, 2);
        }
      }, noop);
    }
  }

  /** The splice loop; returns the bytes sent. */
  private async splices(): Promise<number> {
    // A small file of known length: READ + SEND complete inline (page cache, socket
    // room) in the turn's one enter, where a splice always goes through an io-wq
    // worker — measured on loopback (bench/sendfile.ts, a loaded 2-core VM): 4 KiB and
    // 16 KiB files went about 2x faster copied, with half the CPU; at 64 KiB the two
    // were even in bytes/s and the copy used ~12% less CPU; at 1 MiB splicing was
    // 1.7-2.2x faster with half the CPU.
    // An unknown length: the file's size, by one STATX (fstat) first.  Without it the end
    // of the file shows only as a splice that moves 0 bytes — one more chain after the
    // last bytes, or the cancelled windows planned past a short one: measured (bench/
    // sendfile.ts-style, 16 streams, loaded 2-core VM) 1.9x the CPU per 1 MiB file and
    // 2.1x per 300 KB file of a known length; with the STATX, within noise of it.
    if (this.remaining === Infinity && this.host.ring.supported.has(Opcode.STATX)) {
      const size = await this.fileSize();
      if (this.stopped !== undefined) throw this.stopped;
      // 0 is no answer: procfs and debugfs files say 0 and have bytes.
      if (size > 0) this.remaining = Math.max(0, size - this.off);
      if (this.remaining === 0) return 0;
    }
    if (this.remaining <= COPY_BELOW) return this.copy();
    const ring = this.host.ring;
    let pipe: Pipe;
    try {
      pipe = takePipe(ring);
    } catch (e) {
      // No fds for a pipe (EMFILE, ENFILE: a server at its fd limit): the bytes go through
      // a buffer instead — slower, but the caller has usually sent a Content-Length already.
      const code = (e as { code?: string }).code;
      if (code === 'EMFILE' || code === 'ENFILE') return this.copy(); // (no idle pipe was left to reuse)
      throw e;
    }
    let needPoll = false;
    try {
      for (;;) {
        if (this.stopped !== undefined) throw this.stopped;
        if (this.inPipe === 0 && (this.remaining === 0 || this.eof)) return this.sent;
        const ops: Op<number>[] = [];
        const kinds: number[] = [];
        if (this.inPipe > 0) {
          if (needPoll) {
            ops.push(new PollOp(ring, this.sock, POLLOUT));
            kinds.push(POLL);
          }
          ops.push(this.splice(pipe.r, -1, this.sock, this.inPipe, true));
          kinds.push(DRAIN);
        }
        if (!needPoll && !this.eof) this.windows(pipe, ops, kinds);
        needPoll = false;
        const refused = await this.runChain(ops, kinds);
        const r = this.account();
        if (this.stopped !== undefined) throw this.stopped;
        if (r === 0 && this.moved === 0 && !this.eof) {
          // Nothing moved and nothing failed: the chain was refused (the ring closed...).
          throw refused ?? errnoError(ECANCELED, 'splice');
        }
        if (r === SOCKET_FULL) needPoll = true;
        else if (r === EINVAL) {
          // splice(2) refused the file (nothing moved by this chain's first fill): copy instead.
          if (this.inPipe === 0) break;
          throw errnoError(EINVAL, 'read');
        } else if (r !== 0) throw r < 0 ? errnoError(r, 'read') : netError(-r, 'write');
      }
    } finally {
      this.chain = [];
      await givePipe(ring, pipe, this.inPipe === 0);
    }
    return this.copy();
  }

  /**
   * The file's size by STATX (AT_EMPTY_PATH) if it is a regular file, else 0; 0 too if
   * the STATX fails (the splices then find the end, and any error of the file).
   */
  private async fileSize(): Promise<number> {
    const op = new StatxOp(this.host.ring, EMPTY_PATH, AT.EMPTY_PATH, undefined, this.file, 'fstat');
    op.req.owner = this;
    try {
      const buf = await this.one(op);
      // struct statx: stx_mode (u16) at 28, stx_size (u64) at 40.
      return (buf.readUInt16LE(28) & S_IFMT) === S_IFREG ? Number(buf.readBigUInt64LE(40)) : 0;
    } catch {
      return 0;
    }
  }

  /** Add file->pipe->socket windows to the chain. */
  private windows(pipe: Pipe, ops: Op<number>[], kinds: number[]): void {
    const ring = this.host.ring;
    let off = this.off;
    let rem = this.remaining;
    const max = Math.min(WINDOWS, (ring.sqEntries - ops.length) >> 1);
    for (let k = 0; k < max && rem > 0; k++) {
      let n = pipe.size - (off % PAGE);
      if (n > rem) n = rem;
      const fill = this.splice(this.file, off, pipe.w, n, false);
      // Within a window the link is hard: the drain runs whatever the fill did — a short
      // fill (the end of the file) still has its bytes sent in this same chain.  The
      // drain is non-blocking on the pipe side (SPLICE_F_NONBLOCK: an empty pipe is
      // EAGAIN, not a wait for a writer that will not come; the socket side still waits
      // for room).  Between windows the link is soft: a short drain ends the chain.
      fill.req.sqeFlags = SqeFlag.IO_HARDLINK;
      ops.push(fill, this.splice(pipe.r, -1, this.sock, n, true, SpliceFlag.NONBLOCK));
      kinds.push(FILL, DRAIN);
      off += n;
      rem -= n;
    }
  }

  private splice(fdIn: number, offIn: number, fdOut: number, n: number, toSocket: boolean, flags = 0): SpliceOp {
    const op = new SpliceOp(this.host.ring, fdIn, offIn, fdOut, -1, n, flags);
    op.netStyle = toSocket;
    return op;
  }

  /**
   * Submit `ops` as one chain; resolves once every one of them is done with the kernel,
   * with the error that refused or broke the chain, if any.
   */
  private async runChain(ops: Op<number>[], kinds: number[]): Promise<unknown> {
    const results = new Array<number>(ops.length).fill(ECANCELED);
    this.chain = ops;
    this.kinds = kinds;
    this.results = results;
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i] as SpliceOp | PollOp;
      op.req.owner = this;
      op.done = (res) => {
        results[i] = res;
        if (this.stopped !== undefined) this.cancelRound();
      };
    }
    // No AbortSignal on the requests: an aborted request settles at once, while the
    // kernel may still run it; these settle only at their terminal CQE (or refusal).
    // One waiter for the whole chain rather than a promise per request (linkOps'
    // Promise.allSettled): a chain is up to 2 * WINDOWS + 2 requests, and each promise
    // costs thenable jobs and microtasks.  Measured (256 streams each sending 1 MiB files
    // from one process, loaded 2-core VM): 0.86x the CPU per file.
    await new Promise<void>((resolve) => {
      startChain(this.host.ring, ops);
      const w = new ChainWaiter(ops.length, resolve);
      for (const op of ops) op.watch(w);
    });
    while (this.cancels.length > 0) {
      const c = this.cancels;
      this.cancels = [];
      await Promise.allSettled(c);
    }
    return refusal(ops);
  }

  /**
   * Count what the chain moved.  Returns 0 (go on), SOCKET_FULL (the socket is
   * non-blocking and full: poll, then drain), EINVAL (the file cannot be spliced), a
   * negative errno of the file, or a positive errno of the socket.
   */
  private account(): number {
    const { kinds, results, chain } = this;
    let verdict = 0;
    this.moved = 0;
    for (let i = 0; i < chain.length; i++) {
      const res = results[i];
      const kind = kinds[i];
      if (kind === POLL) {
        if (res < 0 && res !== ECANCELED && res !== EINTR && verdict === 0) verdict = -res;
        continue;
      }
      if (res >= 0) {
        this.moved += res;
        if (kind === FILL) {
          this.inPipe += res;
          this.off += res;
          this.remaining -= res;
          if (res === 0) this.eof = true;
        } else {
          this.inPipe -= res;
          this.sent += res;
          if (res > 0) this.host.counted(false, res);
          else if (verdict === 0 && this.stopped === undefined) verdict = -EPIPE; // no progress: the socket is gone
        }
        continue;
      }
      if (res === ECANCELED || res === EINTR || verdict !== 0) continue;
      if (kind === FILL) verdict = res; // EINVAL: not spliceable; else the file's error
      else if (res !== EAGAIN) verdict = -res;
      else if (this.inPipe > 0) verdict = SOCKET_FULL; // (an empty pipe after a fill that moved nothing: nothing to do)
    }
    this.chain = [];
    return verdict;
  }

  /**
   * One request of the copy path, awaited until the kernel is done with it: no
   * AbortSignal on it (an aborted request settles at once, its CQE still due); stop()
   * cancels it as it cancels a chain, and the cancel is awaited too.
   */
  private async one<T>(op: Op<T>): Promise<T> {
    this.chain = [op as Op<unknown> as Op<number>];
    try {
      return await op.promise();
    } finally {
      this.chain = [];
      while (this.cancels.length > 0) {
        const c = this.cancels;
        this.cancels = [];
        await Promise.allSettled(c);
      }
    }
  }

  /** The copy path for files splice(2) refuses: READ into a buffer, SEND it all. */
  private async copy(): Promise<number> {
    const ring = this.host.ring;
    const buf = Buffer.allocUnsafe(Math.min(COPY_CHUNK, this.remaining));
    try {
      while (this.remaining > 0) {
        if (this.stopped !== undefined) throw this.stopped;
        const want = Math.min(buf.length, this.remaining);
        const read = new RwOp<number>(ring, {
          opcode: Opcode.READ, fd: this.file, buffer: buf, length: want, position: this.off, owner: this,
        });
        const r = await this.one(read);
        if (r === 0) break;
        this.off += r;
        this.remaining -= r;
        let w = 0;
        while (w < r) {
          const send = new SendRecvOp(ring, {
            opcode: Opcode.SEND, fd: this.sock, buffer: buf, offset: w, length: r - w, owner: this,
          });
          const s = await this.one(send);
          if (s === 0) throw netError(EPIPE, 'write');
          w += s;
          this.sent += s;
          this.host.counted(false, s);
        }
      }
      return this.sent;
    } catch (e) {
      throw this.stopped ?? e;
    }
  }
}
