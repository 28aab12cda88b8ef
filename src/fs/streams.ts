/**
 * File streams: `ReadStream` and `WriteStream`, shaped like `node:fs`' (the same
 * options, defaults, events in the same order, properties and errors), whose reads
 * and writes are io_uring requests.  Made by `createReadStream`/`createWriteStream`
 * (ringcore/fs) and by `FileHandle.prototype.createReadStream`/`createWriteStream`.
 *
 * Read-ahead.  On a regular file (or block device) a read stream keeps up to
 * READ_AHEAD reads of `highWaterMark` bytes in flight at consecutive positions — the
 * point of a ring: the next chunks are on their way while the consumer handles this
 * one.  Chunks are pushed in file order and only while the Readable asks for data
 * (until push() returns false), so its buffer stays within highWaterMark as with
 * Node; what completes meanwhile waits here (at most READ_AHEAD chunks).  A short
 * read (end of file, or a file still growing) makes the reads issued past it stale:
 * they are cancelled and reading resumes where the short one stopped, so no byte is
 * skipped.  Where positions mean nothing (a pipe, a FIFO, a tty) or are not ours to
 * choose (a FileHandle stream without `start` reads from, and advances, the handle's
 * file position, as Node's does) the stream reads at position -1, one read at a time.
 *
 * node:stream is loaded on the first stream made, not when ringcore/fs is imported
 * (it costs milliseconds of startup; Node loads its fs streams lazily too), so the
 * classes are defined by a function and the public types are interfaces.
 *
 * May touch: the default ring or the FileHandle's (open, statx, read, writev, fsync,
 * cancel, close requests), node:stream.
 */
import { createRequire } from 'node:module';
import type { Readable, Writable, ReadableOptions, WritableOptions } from 'node:stream';
import { constants as C } from 'node:fs';
import { Opcode } from '../sys/constants.js';
import { CloseOp, RwOp, writevAll } from '../op/io.js';
import { FsyncOp, OpenatOp, StatxOp } from '../op/fsops.js';
import { AT } from '../sys/file.js';
import { codedError, errnoError, invalidArgType } from '../op/errors.js';
import type { KernelPath } from '../op/fsops.js';
import type { Ring } from '../runtime/ring.js';
import { defaultRing } from '../runtime/current.js';
import { FileHandle } from './filehandle.js';
import { fallBack, node } from './fallback.js';
import { optionsObject, toFlags, toKernelPath, toMode, type PathLike } from './args.js';
import { ESPIPE } from '../sys/errno.js';
import { checkEncoding, checkInteger, checkSignal } from '../op/validate.js';

/** Reads a read stream keeps in flight (or completed, waiting to be pushed) on a seekable file. */
const READ_AHEAD = 4;
/** ...and at most about this many bytes of them (fewer reads for a large highWaterMark). */
const READ_AHEAD_BYTES = 1 << 20;

export interface StreamOptions {
  /** open(2) flags, as for open(): 'r' for read streams, 'w' for write streams by default. */
  flags?: string | number;
  encoding?: BufferEncoding | null;
  /** For a file the stream creates: 0o666 by default. */
  mode?: number | string;
  /** Close the file when the stream ends or fails (default true). */
  autoClose?: boolean;
  /** Emit 'close' after the stream is destroyed (default true). */
  emitClose?: boolean;
  /** The first byte's position (default: the file position). */
  start?: number;
  highWaterMark?: number;
  signal?: AbortSignal;
  /** Use this open file instead of opening `path` (the path is then ignored). */
  fd?: number | FileHandle;
}

export interface ReadStreamOptions extends StreamOptions {
  /** The last byte's position, inclusive (default: to the end of the file). */
  end?: number;
}

export interface WriteStreamOptions extends StreamOptions {
  /** fsync(2) the file before closing it (default false). */
  flush?: boolean;
}

/** FileHandle.createReadStream's options: the handle is the file (no path, flags, mode or fd). */
export type FileHandleReadStreamOptions = Omit<ReadStreamOptions, 'flags' | 'mode' | 'fd'>;
export type FileHandleWriteStreamOptions = Omit<WriteStreamOptions, 'flags' | 'mode' | 'fd'>;

/** What node:fs' ReadStream adds to Readable. */
export interface ReadStream extends Readable {
  /** Bytes pushed so far. */
  readonly bytesRead: number;
  /** The path given (a file: URL as its path); undefined for a stream on an fd or FileHandle. */
  readonly path: string | Buffer | undefined;
  /** The fd once open; null before (and after close). */
  readonly fd: number | null;
  /** True until the file is open. */
  readonly pending: boolean;
  autoClose: boolean;
  /** Destroy the stream (closing the file); `callback` when it finished. */
  close(callback?: (err?: NodeJS.ErrnoException | null) => void): void;
}

/** What node:fs' WriteStream adds to Writable. */
export interface WriteStream extends Writable {
  readonly bytesWritten: number;
  readonly path: string | Buffer | undefined;
  readonly fd: number | null;
  readonly pending: boolean;
  autoClose: boolean;
  /** end() the stream, and call `callback` once it is closed. */
  close(callback?: (err?: NodeJS.ErrnoException | null) => void): void;
  /** end(): a file has no shutdown(). */
  destroySoon(): void;
}

/**
 * Open a read stream on `path` (or on `options.fd`), like node:fs' createReadStream:
 * the same options, events ('open', 'ready', 'data', 'end', 'close') and errors; its
 * reads are io_uring requests on the default ring (a FileHandle's own ring with `fd`),
 * several in flight at once on a regular file.  Where io_uring cannot be had, it is
 * node:fs' own stream.
 * @param path     the file (string, Buffer or file: URL); ignored when `options.fd` is given
 * @param options  an encoding, or `{ flags ('r'), encoding, fd (a number or a
 *                 FileHandle), mode, autoClose (true), emitClose (true), start, end
 *                 (inclusive), highWaterMark (64 KiB), signal }`
 * @returns the ReadStream (a Readable); the file is opened asynchronously
 * @throws synchronously ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE / ERR_OUT_OF_RANGE
 *         for a bad path, encoding, fd, signal, start or end (start > end included), as
 *         Node does; a file that cannot be opened (ENOENT ...), bad `flags` and read
 *         errors arrive as the stream's 'error' event
 * @example
 * ```ts
 * import { createReadStream } from 'ringcore/fs';
 *
 * let text = '';
 * for await (const chunk of createReadStream('/etc/os-release', { start: 0, end: 9, encoding: 'utf8' })) {
 *   text += chunk;
 * }
 * console.log(text.length); // 10: bytes 0..9
 * ```
 */
export function createReadStream(path: PathLike | undefined, options?: BufferEncoding | ReadStreamOptions | null): ReadStream {
  if (fallBack()) return node().createReadStream(path as never, options as never) as unknown as ReadStream; // no io_uring here
  return new (classes().ReadStream)(path, options);
}

/**
 * Open a write stream on `path` (or on `options.fd`), like node:fs' createWriteStream:
 * the same options, events ('open', 'ready', 'finish', 'close') and errors; its
 * writes are io_uring requests (chunks buffered meanwhile go out as one writev).
 * Where io_uring cannot be had, it is node:fs' own stream.
 * @param path     the file (string, Buffer or file: URL); ignored when `options.fd` is given
 * @param options  an encoding, or `{ flags ('w'), encoding, fd (a number or a
 *                 FileHandle), mode (0o666), autoClose (true), emitClose (true), start,
 *                 highWaterMark, signal, flush (fsync before closing; false) }`
 * @returns the WriteStream (a Writable); the file is opened asynchronously
 * @throws synchronously ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE / ERR_OUT_OF_RANGE
 *         for a bad path, encoding, fd, signal, start or flush, as Node does; a file
 *         that cannot be opened (EACCES, ENOENT ...), bad `flags` and write errors arrive
 *         as the stream's 'error' event
 * @example
 * ```ts
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { finished } from 'node:stream/promises';
 * import { createWriteStream, readFile, rm } from 'ringcore/fs';
 *
 * const file = join(tmpdir(), `ringcore-${process.pid}.txt`);
 * const out = createWriteStream(file);
 * out.write('hello, ');
 * out.end('world\n');
 * await finished(out);
 * console.log(await readFile(file, 'utf8')); // 'hello, world\n'
 * await rm(file);
 * ```
 */
export function createWriteStream(path: PathLike | undefined, options?: BufferEncoding | WriteStreamOptions | null): WriteStream {
  if (fallBack()) return node().createWriteStream(path as never, options as never) as unknown as WriteStream; // no io_uring here
  return new (classes().WriteStream)(path, options);
}

interface Classes {
  ReadStream: new (path: unknown, options: unknown) => ReadStream;
  WriteStream: new (path: unknown, options: unknown) => WriteStream;
}
let loaded: Classes | undefined;

function classes(): Classes {
  return (loaded ??= define(createRequire(import.meta.url)('node:stream') as typeof import('node:stream')));
}

/** What both kinds of stream take from their arguments, validated in Node's order. */
interface Setup {
  /** Options for the Readable/Writable constructor (a copy, as Node passes them). */
  options: Record<string, unknown>;
  ring: Ring;
  /** The path to open, unless a file was given. */
  kpath: KernelPath | undefined;
  path: string | Buffer | undefined;
  fd: number | null;
  handle: FileHandle | undefined;
}

function setup(path: unknown, opts: unknown): Setup {
  const options: Record<string, unknown> = { ...optionsObject(opts) };
  if (options.encoding !== 'buffer') checkEncoding(options.encoding);
  checkSignal(options.signal);
  let kpath: KernelPath | undefined;
  let shown: string | Buffer | undefined;
  let fd: number | null = null;
  let handle: FileHandle | undefined;
  const given = options.fd;
  if (given === undefined || given === null) {
    kpath = toKernelPath(path);
    shown = path instanceof URL ? kpath.display : (path as string | Buffer);
  } else if (given instanceof FileHandle) {
    handle = given;
    fd = checkInteger(given.fd, 'fd', 0, 0x7fffffff); // Node: a closed FileHandle's fd (-1) is out of range
  } else if (typeof given === 'number') {
    fd = checkInteger(given, 'fd', 0, 0x7fffffff); // Node's validateInt32
  } else {
    throw invalidArgType('options.fd', 'of type number or an instance of FileHandle', given);
  }
  return { options, ring: handle?.ring ?? defaultRing(), kpath, path: shown, fd, handle };
}

function checkStart(v: unknown): number | undefined {
  return v === undefined ? undefined : checkInteger(v, 'start', 0);
}

/** Node's ERR_STREAM_DESTROYED. */
function destroyedError(syscall: string): Error {
  return codedError(Error, 'ERR_STREAM_DESTROYED', `Cannot call ${syscall} after a stream was destroyed`);
}

/** A pipe, FIFO or socket: pread there is ESPIPE (io_uring would ignore the position). */
function pipeLike(statx: Buffer): boolean {
  const type = statx.readUInt16LE(28) & C.S_IFMT;
  return type === C.S_IFIFO || type === C.S_IFSOCK;
}

/** Is the file at `statx` a regular file or block device (positions mean something)? */
function seekableMode(statx: Buffer): boolean {
  const type = statx.readUInt16LE(28) & C.S_IFMT;
  return type === C.S_IFREG || type === C.S_IFBLK;
}

const EMPTY_PATH = { bytes: Buffer.from([0]), display: '' };

/** One read of a read stream: its request, its own buffer, and its outcome once done. */
interface Read {
  op: RwOp<number>;
  buf: Buffer;
  pos: number;
  n: number;
  failed: boolean;
  err: unknown;
  done: boolean;
}

function define({ Readable, Writable, finished }: typeof import('node:stream')): Classes {
  /**
   * What both stream kinds share (they cannot share a base class: one is a Readable,
   * the other a Writable): opening a path in _construct and closing in _destroy.
   */
  interface FileStream {
    ring: Ring;
    kpath: KernelPath | undefined;
    fd: number | null;
    handle: FileHandle | undefined;
    flags: unknown;
    mode: unknown;
    flush: boolean;
    /** _destroy ran before there was an fd (see closedEarly). */
    destroyedBeforeOpen?: boolean;
    emit(event: string, ...args: unknown[]): boolean;
    handleClosing(): void;
  }

  function openFile(s: FileStream, dfltFlags: string, then: (err?: unknown) => void, opened?: () => void): void {
    if (s.fd !== null) {
      then();
      return;
    }
    let flags: number;
    let mode: number;
    try {
      flags = toFlags(s.flags, dfltFlags);
      mode = toMode(s.mode, 'mode', 0o666);
    } catch (e) {
      then(e); // Node reports bad flags or mode as the stream's 'error', not a throw
      return;
    }
    new OpenatOp(s.ring, s.kpath!, flags, mode).then((fd) => {
      s.handle = new FileHandle(s.ring, fd);
      s.fd = fd;
      if (!s.destroyedBeforeOpen) opened?.();
      then();
      s.emit('open', fd);
      s.emit('ready');
      if (s.destroyedBeforeOpen) closeFile(s, null, () => {}); // Node leaks this fd
    }, then);
  }

  /**
   * A signal that was already aborted destroys the stream inside the Readable/Writable
   * constructor — before this class's constructor has set any field, so _destroy
   * found no fd (Node sets its fields first; its _destroy closes a given fd).  Close
   * a given fd now; a path is still opened (Node emits 'open' and 'ready' after
   * 'close' in that case), and then closed at once.
   */
  function closedEarly(s: FileStream): void {
    if (s.destroyedBeforeOpen && s.fd !== null) closeFile(s, null, () => {});
  }

  /** Node's close(): fsync first with `flush`, then close the handle (or the raw fd). */
  function closeFile(s: FileStream, err: Error | null, cb: (err: Error | null) => void): void {
    const fd = s.fd;
    if (fd === null || fd === undefined) {
      s.destroyedBeforeOpen = true;
      cb(err);
      return;
    }
    const closeNow = (e: Error | null) => {
      s.fd = null;
      s.handle?.release(s);
      const done = s.handle !== undefined ? s.handle.close() : new CloseOp(s.ring, fd).promise();
      done.then(() => cb(e), (ce: Error) => cb(ce ?? e));
    };
    if (s.flush) new FsyncOp(s.ring, fd, 'fsync').then(() => closeNow(err), (fe: Error) => closeNow(err ?? fe));
    else closeNow(err);
  }

  class ReadStream extends Readable {
    bytesRead: number;
    path: string | Buffer | undefined;
    fd: number | null;
    flags: unknown;
    mode: unknown;
    start: number | undefined;
    end: number;
    flush: boolean;
    ring: Ring;
    kpath: KernelPath | undefined;
    handle: FileHandle | undefined;
    destroyedBeforeOpen?: boolean; // (never initialized: set by _destroy, maybe inside super())
    /** Position of the next byte to ask for (with position -1: bytes asked so far). */
    private next: number;
    /** Positions are ours (explicit pread offsets); undefined until known (statx). */
    private seekable: boolean | undefined;
    private readonly queue: Read[];
    /** The Readable asked for data and has not said "enough" (push() returning false). */
    private wanted: boolean;
    /** Every read up to `end` has been issued. */
    private exhausted: boolean;
    /** push(null) was called. */
    private ended: boolean;

    constructor(path: unknown, opts: unknown) {
      const s = setup(path, opts);
      const o = s.options;
      const start = checkStart(o.start);
      let end = Infinity;
      if (o.end !== undefined && o.end !== Infinity) {
        end = checkInteger(o.end, 'end', 0);
        if (start !== undefined && start > end) {
          throw codedError(RangeError, 'ERR_OUT_OF_RANGE',
                           `The value of "start" is out of range. It must be <= "end" (here: ${end}). Received ${start}`);
        }
      }
      if (o.highWaterMark === undefined) o.highWaterMark = 64 * 1024;
      o.autoDestroy = o.autoClose === undefined ? true : o.autoClose;
      super(o as ReadableOptions);
      this.ring = s.ring;
      this.kpath = s.kpath;
      this.fd = s.fd;
      this.handle = s.handle;
      if (s.kpath !== undefined) {
        this.path = s.path;
        this.flags = o.flags === undefined ? 'r' : o.flags;
        this.mode = o.mode === undefined ? 0o666 : o.mode;
      }
      this.flush = false;
      this.start = start;
      this.end = end;
      this.bytesRead = 0;
      this.next = start ?? 0;
      // Whether positions mean something is asked of statx once the file is open (see
      // _construct) — except for a FileHandle or fd without `start`, which reads at its
      // own file position, one read at a time, whatever the file.
      this.seekable = start === undefined && s.kpath === undefined ? false : undefined;
      this.queue = [];
      this.wanted = false;
      this.exhausted = false;
      this.ended = false;
      s.handle?.use(this); // closing the handle closes this stream first
      closedEarly(this);
    }

    get pending(): boolean {
      return this.fd === null;
    }

    get autoClose(): boolean {
      return (this as unknown as { _readableState: { autoDestroy: boolean } })._readableState.autoDestroy;
    }

    set autoClose(v: boolean) {
      (this as unknown as { _readableState: { autoDestroy: boolean } })._readableState.autoDestroy = v;
    }

    override _construct(cb: (err?: Error | null) => void): void {
      let probed = false;
      const probe = () => {
        if (this.seekable !== undefined || probed) return;
        probed = true;
        // Without `start`, the first read goes at position -1 (position 0 of a file
        // just opened) while statx says whether the following ones may go ahead at
        // explicit positions.  With `start`, nothing is read before the answer: on a
        // pipe, FIFO or socket a position means nothing — io_uring would read at the
        // current position, ignoring it — and Node's pread fails with ESPIPE: so do we.
        new StatxOp(this.ring, EMPTY_PATH, AT.EMPTY_PATH, undefined, this.fd!, 'fstat').then((st) => {
          this.seekable = seekableMode(st);
          // (A directory read at a position fails with EISDIR from the kernel, as Node's.)
          if (this.start !== undefined && pipeLike(st)) this.destroy(errnoError(ESPIPE, 'read'));
          else this.fill();
        }, (e: unknown) => {
          this.seekable = false;
          if (this.start !== undefined) this.destroy(e as Error);
          else this.fill();
        });
      };
      openFile(this, 'r', (err?: unknown) => {
        if (err === undefined && this.start !== undefined && this.fd !== null) probe(); // a given fd or handle
        (cb as (err?: unknown) => void)(err);
      }, probe);
    }

    override _read(): void {
      this.wanted = true;
      this.deliver();
    }

    /** Issue reads up to the read-ahead (one at a time at position -1). */
    private fill(): void {
      if (this.destroyed || !this.wanted || this.ended || this.fd === null) return;
      if (this.seekable === undefined && this.start !== undefined) return; // statx first (_construct)
      const seekable = this.seekable === true;
      // Read-ahead in bytes stays near 1 MiB: 4 reads of 64 KiB, but one of a 16 MiB
      // highWaterMark (Node holds about two; four of those would be a lot of memory).
      const depth = seekable ? Math.max(1, Math.min(READ_AHEAD, Math.floor(READ_AHEAD_BYTES / this.readableHighWaterMark))) : 1;
      const q = this.queue;
      while (q.length < depth && !this.exhausted) {
        const len = Math.min(this.readableHighWaterMark, this.end - this.next + 1);
        if (len <= 0) {
          this.exhausted = true;
          break;
        }
        // A fresh buffer per read: an abandoned read's buffer is never handed out, and
        // the kernel may write into it until its cancellation completes.
        const buf = Buffer.allocUnsafeSlow(len);
        const pos = this.next;
        const op = new RwOp<number>(this.ring, {
          opcode: Opcode.READ, fd: this.fd, buffer: buf, length: len, position: seekable ? pos : -1, owner: this.handle,
        });
        const r: Read = { op, buf, pos, n: 0, failed: false, err: undefined, done: false };
        q.push(r);
        this.next += len;
        op.then((n) => {
          r.n = n;
          r.done = true;
          this.deliver();
        }, (e: unknown) => {
          r.failed = true;
          r.err = e;
          r.done = true;
          this.deliver();
        });
      }
      if (this.exhausted && q.length === 0) this.finish();
    }

    /** Push completed reads in file order while the Readable wants them; then read more. */
    private deliver(): void {
      const q = this.queue;
      while (q.length > 0 && q[0].done && this.wanted && !this.destroyed) {
        const r = q.shift()!;
        if (r.failed) {
          this.fail(r.err);
          return;
        }
        if (r.n === 0) {
          this.finish();
          return;
        }
        let buf = r.buf;
        if (r.n < buf.length) {
          // Copy rather than slice: do not pin a large buffer for a few bytes.  The reads
          // issued past this one are stale; resume where this one stopped.
          buf = Buffer.allocUnsafeSlow(r.n);
          r.buf.copy(buf, 0, 0, r.n);
          this.cancelReads();
          this.next = r.pos + r.n;
          this.exhausted = false;
        }
        this.bytesRead += r.n;
        this.wanted = this.push(buf);
      }
      this.fill();
    }

    private finish(): void {
      if (this.ended) return;
      this.ended = true;
      this.cancelReads();
      this.push(null);
    }

    /** A read failed: as Node's errorOrDestroy (an error with autoClose false leaves the stream). */
    private fail(err: unknown): void {
      if (this.autoClose) this.destroy(err as Error);
      else this.emit('error', err);
    }

    /** Abort the reads in flight (their buffers stay with the kernel until their CQEs). */
    private cancelReads(): void {
      if (this.queue === undefined) return; // destroyed inside super(): see closedEarly
      for (const r of this.queue) r.op.abort();
      this.queue.length = 0;
    }

    override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
      this.cancelReads();
      closeFile(this, err, cb);
    }

    close(cb?: (err?: NodeJS.ErrnoException | null) => void): void {
      if (typeof cb === 'function') finished(this, cb);
      this.destroy();
    }

    /** @internal Its FileHandle is closing: close, as Node's stream does on the handle's 'close'. */
    handleClosing(): void {
      this.close();
    }
  }

  class WriteStream extends Writable {
    bytesWritten: number;
    path: string | Buffer | undefined;
    fd: number | null;
    flags: unknown;
    mode: unknown;
    start: number | undefined;
    flush: boolean;
    ring: Ring;
    kpath: KernelPath | undefined;
    handle: FileHandle | undefined;
    destroyedBeforeOpen?: boolean;
    /** The next write's position; undefined: the file position (-1). */
    private pos: number | undefined;
    /** The write in flight (never rejects): _destroy waits for it, as Node does. */
    private io: Promise<void> | undefined;

    constructor(path: unknown, opts: unknown) {
      const s = setup(path, opts);
      const o = s.options;
      o.decodeStrings = true; // only buffers reach _write, as in Node
      o.autoDestroy = o.autoClose === undefined ? true : o.autoClose;
      let flush = false;
      if (o.flush !== undefined && o.flush !== null) {
        if (typeof o.flush !== 'boolean') throw invalidArgType('options.flush', 'of type boolean', o.flush);
        flush = o.flush;
      }
      const start = checkStart(o.start);
      super(o as WritableOptions);
      this.ring = s.ring;
      this.kpath = s.kpath;
      this.fd = s.fd;
      this.handle = s.handle;
      if (s.kpath !== undefined) {
        this.path = s.path;
        this.flags = o.flags === undefined ? 'w' : o.flags;
        this.mode = o.mode === undefined ? 0o666 : o.mode;
      }
      this.flush = flush;
      this.start = start;
      this.pos = start;
      this.bytesWritten = 0;
      this.io = undefined;
      if (o.encoding) this.setDefaultEncoding(o.encoding as BufferEncoding);
      s.handle?.use(this); // closing the handle closes this stream first
      closedEarly(this);
    }

    get pending(): boolean {
      return this.fd === null;
    }

    get autoClose(): boolean {
      return (this as unknown as { _writableState: { autoDestroy: boolean } })._writableState.autoDestroy;
    }

    set autoClose(v: boolean) {
      (this as unknown as { _writableState: { autoDestroy: boolean } })._writableState.autoDestroy = v;
    }

    override _construct(cb: (err?: Error | null) => void): void {
      openFile(this, 'w', cb as (err?: unknown) => void);
    }

    override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
      this.writeAll([chunk], 'write', cb);
    }

    override _writev(chunks: Array<{ chunk: Buffer }>, cb: (err?: Error | null) => void): void {
      this.writeAll(chunks.map((c) => c.chunk), 'writev', cb);
    }

    /** Every byte of `bufs`, in one writev where it fits (writevAll resumes short writes). */
    private writeAll(bufs: Buffer[], syscall: string, cb: (err?: Error | null) => void): void {
      let size = 0;
      for (const b of bufs) size += b.length;
      const pos = this.pos ?? -1;
      if (this.pos !== undefined) this.pos += size;
      const written = writevAll(this.ring, this.fd!, bufs, pos, { owner: this.handle });
      const io = (this.io = written.then(() => {}, () => {}));
      written.then((n) => {
        if (this.io === io) this.io = undefined;
        if (this.destroyed) return cb(destroyedError(syscall));
        this.bytesWritten += n;
        cb();
      }, (e: Error) => {
        if (this.io === io) this.io = undefined;
        cb(e);
      });
    }

    override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
      // A write in flight finishes first (its bytes were accepted); then close.
      if (this.io !== undefined) this.io.then(() => closeFile(this, err, cb));
      else closeFile(this, err, cb);
    }

    close(cb?: (err?: NodeJS.ErrnoException | null) => void): void {
      if (cb) {
        if (this.closed) {
          process.nextTick(cb);
          return;
        }
        this.on('close', cb);
      }
      // Without autoClose, 'finish' would not destroy (close) the stream.
      if (!this.autoClose) this.on('finish', this.destroy);
      this.end();
    }

    destroySoon(): void {
      this.end();
    }

    /**
     * @internal Its FileHandle is closing: end, as Node's stream does on the handle's
     * 'close' — or, already finished without autoClose, let go (Node's close() would
     * wait for a 'finish' that has passed, and the handle's close() with it, forever).
     */
    handleClosing(): void {
      if (this.writableFinished) this.destroy();
      else this.close();
    }
  }

  return { ReadStream, WriteStream } as unknown as Classes;
}
