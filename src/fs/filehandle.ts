/**
 * `FileHandle`: an open file, shaped like `node:fs/promises`' FileHandle, whose every
 * operation is one io_uring request on the handle's ring.
 *
 * Every method starts its request when it is called and returns a real Promise, as
 * node:fs/promises does; the hot ones (`read`, `write`) are plain functions returning
 * `op.promise()`, not async functions (one promise chain less per call).  Argument
 * errors come back as rejected promises, as from Node's async methods.
 *
 * `close()` first cancels whatever is still pending on the fd (closing an fd does not
 * cancel io_uring requests on it), then closes it through the ring.  A closed handle
 * answers every call with an EBADF error, as Node's does; it never reaches the kernel
 * with a stale fd number.
 *
 * Like Node's, a FileHandle is an EventEmitter (its methods are mixed in, as Node's
 * EventEmitterMixin does; nothing is allocated until a listener is added) and emits
 * 'close' when close() is called.
 *
 * Not on io_uring — no opcode for fchmod(2), fchown(2) or futimens(2): `chmod`,
 * `chown` and `utimes` are node:fs' fchmod/fchown/futimes on the fd (libuv's pool).
 *
 * May touch: its ring (ops), its fd; streams.ts for its streams; node:fs for
 * fchmod/fchown/futimes.
 */
import { Opcode } from '../sys/constants.js';
import { RwOp, readvAll, writevAll } from '../op/io.js';
import { FdHandle } from '../op/handle.js';
import { FsyncOp, FtruncateOp, StatxOp, RwAtOp } from '../op/fsops.js';
import { AT } from '../sys/file.js';
import { viewLength } from '../op/buffers.js';
import { errnoError, internalAssertion, invalidArgType, invalidState, invalidArgValue } from '../op/errors.js';
import type { Ring } from '../runtime/ring.js';
import { createRequire } from 'node:module';
import { EventEmitter } from 'node:events';
import type { TimeLike } from 'node:fs';
import { fchmod, fchown, futimes } from './fd-calls.js'; // node:fs' own (Deno: through /proc/self/fd)
import type { Interface as ReadlineInterface } from 'node:readline';
import { statsFromStatx, bigIntStatsFromStatx, type Stats, type BigIntStats } from './stats.js';
import { filePosition, readPosition } from './args.js';
import { readAll, writeAll, toChunks, type WriteData } from './io.js';
import { createReadStream, createWriteStream, type FileHandleReadStreamOptions, type FileHandleWriteStreamOptions,
         type ReadStream, type WriteStream } from './streams.js';
import { EINVAL } from '../sys/errno.js';
import { checkOffsetLength, checkView, checkViews, checkEncoding, checkInteger } from '../op/validate.js';

// node:readline is loaded on the first readLines(): importing ringcore/fs does not pay for it.
let readline: typeof import('node:readline') | undefined;
function loadReadline(): typeof import('node:readline') {
  return (readline ??= createRequire(import.meta.url)('node:readline') as typeof import('node:readline'));
}

export interface ReadResult<T extends ArrayBufferView = Buffer> {
  bytesRead: number;
  buffer: T;
}
export interface WriteResult<T = Buffer> {
  bytesWritten: number;
  buffer: T;
}
export interface ReadOptions {
  offset?: number | null;
  length?: number | null;
  position?: number | bigint | null;
}
export interface ReadOptionsWithBuffer<T extends ArrayBufferView = Buffer> extends ReadOptions {
  buffer?: T;
}
/** FileHandle.readFile's options (ringcore/fs's readFile takes `flag` too). */
export interface FileReadOptions {
  encoding?: BufferEncoding | null;
  signal?: AbortSignal;
}
export interface FileWriteOptions {
  encoding?: BufferEncoding | null;
  signal?: AbortSignal;
}

const EMPTY_PATH = { bytes: Buffer.from([0]), display: '' };

function totalLength(views: readonly ArrayBufferView[]): number {
  let n = 0;
  for (const v of views) n += viewLength(v);
  return n;
}

function readResult(n: number, op: RwOp<ReadResult<any>>): ReadResult<any> {
  return { bytesRead: n, buffer: op.buffer };
}
function writeResult(n: number, op: RwOp<WriteResult<any>>): WriteResult<any> {
  return { bytesWritten: n, buffer: op.buffer };
}

/**
 * Why a FileHandle method cannot run: the handle is closed (Node's "file closed"), or
 * `this` is no FileHandle at all (Node's fsCall assertion, ERR_INTERNAL_ASSERTION).
 */
function unusable(self: unknown, syscall: string): Error {
  if (!isFileHandle(self)) return internalAssertion('handle must be an instance of FileHandle');
  return closedError(syscall);
}

/** Outside the class body: a class naming itself inside its body is renamed by esbuild (`_FileHandle`). */
function isFileHandle(v: unknown): v is FileHandle {
  return v instanceof FileHandle;
}

/** The fd of `self`, or Node's error for a closed handle (or for `self` not being one). */
function live(self: FileHandle, syscall: string): number {
  const fd = (self as { fd?: number }).fd as number;
  if (!(fd >= 0) || !isFileHandle(self)) throw unusable(self, syscall);
  return fd;
}

/** One callback API of node:fs on a fd, as a promise (its own argument checks included). */
function onFd(fn: (...args: any[]) => void, ...args: unknown[]): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    fn(...args, (err: Error | null) => (err ? reject(err) : resolve()));
  });
}

/** Node's error for a call on a closed FileHandle. */
function closedError(syscall: string): Error {
  // Node's own shape: code and syscall, no errno.
  const err = new Error('file closed') as Error & { code: string; syscall: string };
  err.code = 'EBADF';
  err.syscall = syscall;
  return err;
}

/** @internal A stream on a handle: told when the handle is asked to close (see FileHandle.close). */
export interface HandleUser {
  handleClosing(): void;
}

/** FileHandle is an EventEmitter, as Node's (the methods come from EventEmitter.prototype). */
export interface FileHandle extends EventEmitter {}

export class FileHandle extends FdHandle {
  /** A readableWebStream() is reading it (Node's kLocked). */
  private locked = false;
  /** Streams using this handle (Node's FileHandle counts them as references). */
  private users: Set<HandleUser> | undefined;
  /** Called when the last user let go after close() was asked for. */
  private usersGone: (() => void) | undefined;
  private closingUsers: Promise<void> | undefined;
  /** 'close' was emitted (set on the first close(); not initialized: keeps construction cheap). */
  private closeEmitted: boolean | undefined;

  /** @internal FileHandles come from open(). */
  constructor(override readonly ring: Ring, fd: number) {
    super(ring, fd);
    this.users = undefined;
    this.usersGone = undefined;
    this.closingUsers = undefined;
  }

  /**
   * Close the file.  Streams made on this handle are closed first, and the fd once the
   * last one let go — as Node's FileHandle does (its 'close' event closes them): a read
   * stream stops (its reads in flight are cancelled), a write stream ends (what it was
   * given is written).
   * @returns a Promise that resolves once the fd is closed (requests on it cancelled first)
   * @throws EBADF when it was closed already by another path
   * @example
   * ```ts
   * import { tmpdir } from 'node:os';
   * import { join } from 'node:path';
   * import { mkdtemp, open, rm } from 'ringcore/fs';
   *
   * const dir = await mkdtemp(join(tmpdir(), 'ringcore-'));
   * const fh = await open(join(dir, 'f'), 'w');
   * await fh.close();
   * await rm(dir, { recursive: true });
   * ```
   */
  override close(): Promise<void> {
    if (!isFileHandle(this)) return Promise.reject(unusable(this, 'close'));
    const first = this.closeEmitted !== true && this.fdv >= 0;
    const closed = this.closeFile();
    if (first) {
      this.closeEmitted = true;
      // As Node's: 'close' is emitted synchronously by the first close() (the emitter's
      // state exists only once someone listened: no listener, nothing to do).
      if ((this as unknown as { _events?: object })._events !== undefined) this.emit('close');
    }
    return closed;
  }

  private closeFile(): Promise<void> {
    const users = this.users;
    if (users === undefined || users.size === 0) return super.close();
    if (this.closingUsers === undefined) {
      this.closingUsers = new Promise<void>((resolve) => {
        this.usersGone = resolve;
      }).then(() => super.close());
      for (const u of [...users]) u.handleClosing();
    }
    return this.closingUsers;
  }

  /** @internal A stream starts using this handle. */
  use(user: HandleUser): void {
    (this.users ??= new Set()).add(user);
  }

  /** @internal A stream is done with this handle (before it closes it, with autoClose). */
  release(user: HandleUser): void {
    const users = this.users;
    if (users !== undefined && users.delete(user) && users.size === 0) this.usersGone?.();
  }

  /**
   * Node's error for a call on a closed FileHandle: what every method called after
   * close() rejects with (a request made before close() but not yet submitted too).
   * Built, not thrown; Node's shape: message 'file closed', `code` 'EBADF', `syscall`,
   * no `errno`.
   * @param syscall  the operation that could not run ('read', 'write', 'fstat' ...)
   * @returns a new Error
   * @example
   * ```ts
   * import { open } from 'ringcore/fs';
   *
   * const fh = await open('/etc/hostname');
   * const e = fh.closedError('read') as NodeJS.ErrnoException;
   * console.log(e.message, e.code, e.syscall); // 'file closed' 'EBADF' 'read'
   * await fh.close();
   * console.log(await fh.read().catch((err: Error) => err.message)); // 'file closed'
   * ```
   */
  override closedError(syscall: string): Error {
    return closedError(syscall);
  }

  /**
   * read(buffer, offset?, length?, position?) | read(buffer, options) | read(options) | read()
   * → `{ bytesRead, buffer }` (the buffer passed in, with its type).  position: see
   * readPosition (args.ts) — null/-1: from the current file position (Node 20: anything
   * but a safe integer or a bigint too; Node 22+ refuses those); bigints up to 2^63-1.
   * @param buffer    where the bytes go (default: a new 16 KiB Buffer)
   * @param offset    where in `buffer` to start (default 0); or the options object
   * @param length    how many bytes (default: the rest of `buffer`)
   * @param position  file offset (number or bigint); null or -1: the current position
   * @param options   `{ buffer, offset, length, position }`, as node:fs/promises
   * @returns a Promise of `{ bytesRead, buffer }` (bytesRead 0 at end of file)
   * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for bad arguments; EBADF on a closed
   *         handle; EISDIR ... shaped as node:fs/promises' (code, errno, syscall, path)
   * @example
   * ```ts
   * import { tmpdir } from 'node:os';
   * import { join } from 'node:path';
   * import { mkdtemp, open, rm, writeFile } from 'ringcore/fs';
   *
   * const dir = await mkdtemp(join(tmpdir(), 'ringcore-'));
   * await writeFile(join(dir, 'f'), 'hello, ring');
   * await using fh = await open(join(dir, 'f'));
   * const { bytesRead, buffer } = await fh.read(Buffer.alloc(5), 0, 5, 7);
   * console.log(bytesRead, buffer.toString()); // 4 'ring' + 1 zero byte
   * await rm(dir, { recursive: true });
   * ```
   */
  read<T extends ArrayBufferView>(buffer: T, offset?: number | null, length?: number | null,
                                  position?: number | bigint | null): Promise<ReadResult<T>>;
  read<T extends ArrayBufferView>(buffer: T, options?: ReadOptions): Promise<ReadResult<T>>;
  read<T extends ArrayBufferView = Buffer>(options?: ReadOptionsWithBuffer<T>): Promise<ReadResult<T>>;
  read<T extends ArrayBufferView = Buffer>(buffer?: T | ReadOptionsWithBuffer<T>, offset?: number | ReadOptions | null,
                                            length?: number | null, position?: number | bigint | null): Promise<ReadResult<T>> {
    const fd = this.fdv;
    if (!(fd >= 0)) return Promise.reject(unusable(this, 'read'));
    try {
      let buf: ArrayBufferView;
      if (ArrayBuffer.isView(buffer)) {
        buf = buffer;
        if (offset !== null && typeof offset === 'object') {
          const o = offset as ReadOptions;
          offset = o.offset;
          length = o.length;
          position = o.position;
        }
      } else {
        if (buffer !== undefined && buffer !== null && typeof buffer !== 'object') {
          throw invalidArgType('options', 'of type object', buffer);
        }
        const o = (buffer ?? {}) as ReadOptionsWithBuffer<T>;
        buf = o.buffer ?? Buffer.alloc(16384);
        checkView('buffer', buf);
        offset = o.offset;
        length = o.length;
        position = o.position;
      }
      const off = offset === undefined || offset === null ? 0 : checkInteger(offset, 'offset', 0);
      const size = viewLength(buf);
      const len = length === undefined || length === null ? size - off : length;
      if (len === 0) return Promise.resolve({ bytesRead: 0, buffer: buf as T });
      if (size === 0) throw invalidArgValue('buffer', buf, 'is empty and cannot be written');
      checkOffsetLength(off, len, size);
      const pos = readPosition(position, len);
      const op = typeof pos === 'number'
        ? new RwOp<ReadResult<T>>(this.ring, { opcode: Opcode.READ, fd, buffer: buf, offset: off, length: len, position: pos, owner: this, map: readResult })
        : new RwAtOp<ReadResult<T>>(this.ring, { opcode: Opcode.READ, fd, buffer: buf, offset: off, length: len, position: pos, owner: this, map: readResult });
      return op.promise();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * write(buffer, offset?, length?, position?) | write(buffer, options) |
   * write(string, position?, encoding?) → `{ bytesWritten, buffer }`.  One write(2):
   * it may be short; writeFile() loops.  As Node 20: a string's encoding, if not one
   * Buffer knows, is utf8; positions as read's.
   * @param buffer    the bytes to write
   * @param offset    where in `buffer` to start (default 0); or the options object
   * @param length    how many bytes (default: the rest of `buffer`)
   * @param position  file offset; null or -1: the current position
   * @param options   `{ offset, length, position }`
   * @param data      (string form) the text to write
   * @param encoding  (string form) its encoding (default 'utf8')
   * @returns a Promise of `{ bytesWritten, buffer }`
   * @throws ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE for bad arguments; EBADF on a closed
   *         handle; ENOSPC ... shaped as node:fs/promises' (code, errno, syscall, path)
   * @example
   * ```ts
   * import { tmpdir } from 'node:os';
   * import { join } from 'node:path';
   * import { mkdtemp, open, rm } from 'ringcore/fs';
   *
   * const dir = await mkdtemp(join(tmpdir(), 'ringcore-'));
   * await using fh = await open(join(dir, 'f'), 'w');
   * const { bytesWritten } = await fh.write('text at position 0', 0, 'utf8');
   * console.log(bytesWritten); // 18
   * await rm(dir, { recursive: true });
   * ```
   */
  write<T extends ArrayBufferView>(buffer: T, offset?: number | null, length?: number | null,
                                   position?: number | bigint | null): Promise<WriteResult<T>>;
  write<T extends ArrayBufferView>(buffer: T, options?: ReadOptions): Promise<WriteResult<T>>;
  write(data: string, position?: number | bigint | null, encoding?: BufferEncoding | null): Promise<WriteResult<string>>;
  write<T extends ArrayBufferView | string>(buffer: T, offset?: number | bigint | ReadOptions | null, length?: number | BufferEncoding | null,
                                            position?: number | bigint | null): Promise<WriteResult<T>> {
    const fd = this.fdv;
    if (!(fd >= 0)) return Promise.reject(unusable(this, 'write'));
    try {
      if ((buffer as { byteLength?: unknown } | null | undefined)?.byteLength === 0) {
        return Promise.resolve({ bytesWritten: 0, buffer });
      }
      if (ArrayBuffer.isView(buffer)) {
        const size = viewLength(buffer);
        // Node destructures any object here — null included (then everything defaults).
        if (typeof offset === 'object') {
          const o = offset ?? {};
          offset = o.offset;
          length = o.length;
          position = o.position;
        }
        const off = offset === undefined || offset === null ? 0 : checkInteger(offset, 'offset', 0);
        const len = typeof length === 'number' ? length : size - off;
        checkOffsetLength(off, len, size);
        const pos = filePosition(position, len);
        const op = typeof pos === 'number'
          ? new RwOp<WriteResult<T>>(this.ring, { opcode: Opcode.WRITE, fd, buffer, offset: off, length: len, position: pos, owner: this, map: writeResult as never })
          : new RwAtOp<WriteResult<T>>(this.ring, { opcode: Opcode.WRITE, fd, buffer, offset: off, length: len, position: pos, owner: this, map: writeResult as never });
        return op.promise();
      }
      if (typeof buffer !== 'string') {
        throw invalidArgType('buffer', 'of type string or an instance of Buffer, TypedArray, or DataView', buffer);
      }
      // write(string, position, encoding): Node's binding takes any encoding it does not
      // know (a number, 'bogus', 'buffer') as utf8; only odd-length hex is refused.
      const enc: BufferEncoding = typeof length === 'string' && length.toLowerCase() !== 'buffer' && Buffer.isEncoding(length)
        ? length : 'utf8';
      if (enc.toLowerCase() === 'hex' && buffer.length % 2 !== 0) {
        throw invalidArgValue('encoding', length, `is invalid for data of length ${buffer.length}`);
      }
      const bytes = Buffer.from(buffer, enc);
      const str = buffer;
      // The position of a string write: a safe integer >= 0, else the current position
      // (Node 20 ignores a bigint here too).
      const pos = typeof offset === 'number' && Number.isSafeInteger(offset) && offset >= 0 ? offset : -1;
      const op = new RwOp<WriteResult<T>>(this.ring, {
        opcode: Opcode.WRITE, fd, buffer: bytes, length: bytes.byteLength, position: pos, owner: this,
        map: (n) => ({ bytesWritten: n, buffer: str as T }),
      });
      return op.promise();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * readv(buffers, position?) → `{ bytesRead, buffers }` (all buffers, or up to EOF).
   * @param buffers   the buffers to fill, in order
   * @param position  file offset; null or omitted: the current position
   * @returns a Promise of `{ bytesRead, buffers }`
   * @throws ERR_INVALID_ARG_TYPE for bad arguments; EBADF on a closed handle
   * @example
   * ```ts
   * import { tmpdir } from 'node:os';
   * import { join } from 'node:path';
   * import { mkdtemp, open, rm, writeFile } from 'ringcore/fs';
   *
   * const dir = await mkdtemp(join(tmpdir(), 'ringcore-'));
   * await writeFile(join(dir, 'f'), 'headbody');
   * await using fh = await open(join(dir, 'f'));
   * const { bytesRead } = await fh.readv([Buffer.alloc(4), Buffer.alloc(4)], 0);
   * console.log(bytesRead); // 8
   * await rm(dir, { recursive: true });
   * ```
   */
  async readv<T extends ArrayBufferView[]>(buffers: T, position?: number | bigint | null): Promise<{ bytesRead: number; buffers: T }> {
    const fd = live(this, 'readv');
    checkViews('buffers', buffers);
    const pos = filePosition(position, totalLength(buffers));
    // Node (libuv's preadv) refuses an empty list with EINVAL; so do we.
    if (buffers.length === 0) throw errnoError(EINVAL, 'read');
    if (typeof pos === 'bigint') return { bytesRead: await this.eachAt(Opcode.READ, buffers, pos), buffers };
    // Past IOV_MAX buffers, batch after batch until the buffers are full or EOF
    // (libuv would fill only the first 1024).
    const bytesRead = await readvAll(this.ring, fd, buffers, pos, { owner: this });
    return { bytesRead, buffers };
  }

  /**
   * writev(buffers, position?) → `{ bytesWritten, buffers }`: every byte.
   * @param buffers   the buffers to write, in order
   * @param position  file offset; null or omitted: the current position
   * @returns a Promise of `{ bytesWritten, buffers }`
   * @throws ERR_INVALID_ARG_TYPE for bad arguments; EBADF on a closed handle
   * @example
   * ```ts
   * import { tmpdir } from 'node:os';
   * import { join } from 'node:path';
   * import { mkdtemp, open, rm } from 'ringcore/fs';
   *
   * const dir = await mkdtemp(join(tmpdir(), 'ringcore-'));
   * await using fh = await open(join(dir, 'f'), 'w');
   * console.log((await fh.writev([Buffer.from('a'), Buffer.from('b')])).bytesWritten); // 2
   * await rm(dir, { recursive: true });
   * ```
   */
  async writev<T extends ArrayBufferView[]>(buffers: T, position?: number | bigint | null): Promise<{ bytesWritten: number; buffers: T }> {
    const fd = live(this, 'writev');
    checkViews('buffers', buffers);
    const pos = filePosition(position, totalLength(buffers));
    if (buffers.length === 0) return { bytesWritten: 0, buffers };
    if (typeof pos === 'bigint') return { bytesWritten: await this.eachAt(Opcode.WRITE, buffers, pos), buffers };
    // Every byte, as Node writes them: batches of IOV_MAX, short writes resumed.
    const bytesWritten = await writevAll(this.ring, fd, buffers, pos, { owner: this });
    return { bytesWritten, buffers };
  }

  /**
   * readv/writev at a position past 2^53: one READ/WRITE per buffer at the next offset
   * (a Number cannot carry the offset into READV/WRITEV's SQE; see RwAtOp), stopping
   * at a short transfer.
   */
  private async eachAt(opcode: number, buffers: readonly ArrayBufferView[], pos: bigint): Promise<number> {
    let total = 0;
    for (const b of buffers) {
      const len = viewLength(b);
      if (len === 0) continue;
      const op = new RwAtOp<number>(this.ring, {
        opcode, fd: live(this, opcode === Opcode.READ ? 'readv' : 'writev'), buffer: b, length: len,
        position: pos + BigInt(total), owner: this,
      });
      const n = await op.promise();
      total += n;
      if (n < len) break;
    }
    return total;
  }

  /**
   * fstat through statx(fd, "", AT_EMPTY_PATH); `{ bigint: true }`: BigIntStats, with nanoseconds.
   * @param options  `bigint: true` for BigIntStats
   * @returns a Promise of fs.Stats (or BigIntStats) of the open file (STATX with AT_EMPTY_PATH)
   * @throws EBADF on a closed handle
   * @example
   * ```ts
   * import { tmpdir } from 'node:os';
   * import { join } from 'node:path';
   * import { mkdtemp, open, rm } from 'ringcore/fs';
   *
   * const dir = await mkdtemp(join(tmpdir(), 'ringcore-'));
   * await using fh = await open(join(dir, 'f'), 'w');
   * console.log((await fh.stat()).size); // 0
   * await rm(dir, { recursive: true });
   * ```
   */
  stat(options?: { bigint?: false }): Promise<Stats>;
  stat(options: { bigint: true }): Promise<BigIntStats>;
  stat(options?: { bigint?: boolean }): Promise<Stats | BigIntStats>;
  async stat(options: { bigint?: boolean } = { bigint: false }): Promise<Stats | BigIntStats> {
    const fd = live(this, 'fstat');
    // Node reads options.bigint without checking options (null: a TypeError, as Node).
    const bigint = options.bigint === true;
    const buf = await new StatxOp(this.ring, EMPTY_PATH, AT.EMPTY_PATH, undefined, fd, 'fstat').promise();
    return bigint ? bigIntStatsFromStatx(buf) : statsFromStatx(buf);
  }

  /**
   * fsync(2).
   * @returns a Promise that resolves once data and metadata are on disk (IORING_OP_FSYNC)
   * @throws EBADF on a closed handle; EIO
   * @example
   * ```ts
   * import { tmpdir } from 'node:os';
   * import { join } from 'node:path';
   * import { mkdtemp, open, rm } from 'ringcore/fs';
   *
   * const dir = await mkdtemp(join(tmpdir(), 'ringcore-'));
   * await using fh = await open(join(dir, 'f'), 'w');
   * await fh.write('durable');
   * await fh.sync();
   * await rm(dir, { recursive: true });
   * ```
   */
  async sync(): Promise<void> {
    await new FsyncOp(this.ring, live(this, 'fsync'), 'fsync').promise();
  }

  /**
   * fdatasync(2).
   * @returns a Promise that resolves once the data is on disk (FSYNC with DATASYNC)
   * @throws EBADF on a closed handle; EIO
   * @example
   * ```ts
   * import { tmpdir } from 'node:os';
   * import { join } from 'node:path';
   * import { mkdtemp, open, rm } from 'ringcore/fs';
   *
   * const dir = await mkdtemp(join(tmpdir(), 'ringcore-'));
   * await using fh = await open(join(dir, 'f'), 'w');
   * await fh.write('data');
   * await fh.datasync();
   * await rm(dir, { recursive: true });
   * ```
   */
  async datasync(): Promise<void> {
    await new FsyncOp(this.ring, live(this, 'fdatasync'), 'fdatasync').promise();
  }

  /**
   * ftruncate(2) to `len` bytes (default 0).
   * @param len  the new length (default 0)
   * @returns a Promise that resolves once truncated (IORING_OP_FTRUNCATE, kernel 6.9+)
   * @throws EBADF on a closed handle; EINVAL for a handle not open for writing
   * @example
   * ```ts
   * import { tmpdir } from 'node:os';
   * import { join } from 'node:path';
   * import { mkdtemp, open, rm } from 'ringcore/fs';
   *
   * const dir = await mkdtemp(join(tmpdir(), 'ringcore-'));
   * await using fh = await open(join(dir, 'f'), 'w+');
   * await fh.write('abcdef');
   * await fh.truncate(3);
   * await rm(dir, { recursive: true });
   * ```
   */
  async truncate(len = 0): Promise<void> {
    const fd = live(this, 'ftruncate');
    checkInteger(len, 'len', Number.MIN_SAFE_INTEGER);
    await new FtruncateOp(this.ring, fd, Math.max(0, len)).promise();
  }

  /**
   * fchmod(2) — no IORING_OP: node:fs' fchmod on the fd (libuv's pool), its checks and errors.
   * @param mode  the permission bits (number, or an octal string)
   * @returns a Promise that resolves once changed (Node's fchmod: there is no opcode)
   * @throws ERR_INVALID_ARG_VALUE / ERR_OUT_OF_RANGE for a bad mode; EBADF on a closed handle
   * @example
   * ```ts
   * import { tmpdir } from 'node:os';
   * import { join } from 'node:path';
   * import { mkdtemp, open, rm } from 'ringcore/fs';
   *
   * const dir = await mkdtemp(join(tmpdir(), 'ringcore-'));
   * await using fh = await open(join(dir, 'f'), 'w');
   * await fh.chmod(0o600);
   * console.log(((await fh.stat()).mode & 0o777).toString(8)); // '600'
   * await rm(dir, { recursive: true });
   * ```
   */
  async chmod(mode: string | number): Promise<void> {
    return onFd(fchmod, live(this, 'fchmod'), mode);
  }

  /**
   * fchown(2) — no IORING_OP: node:fs' fchown on the fd.
   * @param uid  the new owner (-1: unchanged)
   * @param gid  the new group (-1: unchanged)
   * @returns a Promise that resolves once changed (Node's fchown: there is no opcode)
   * @throws EPERM without the privilege; EBADF on a closed handle
   * @example
   * ```ts
   * import { tmpdir } from 'node:os';
   * import { join } from 'node:path';
   * import { mkdtemp, open, rm } from 'ringcore/fs';
   *
   * const dir = await mkdtemp(join(tmpdir(), 'ringcore-'));
   * await using fh = await open(join(dir, 'f'), 'w');
   * const { uid, gid } = await fh.stat();
   * await fh.chown(uid, gid); // to itself: allowed for anyone
   * await rm(dir, { recursive: true });
   * ```
   */
  async chown(uid: number, gid: number): Promise<void> {
    return onFd(fchown, live(this, 'fchown'), uid, gid);
  }

  /**
   * futimens(2) — no IORING_OP: node:fs' futimes on the fd.
   * @param atime  access time: a Date, seconds since the epoch, or a numeric string
   * @param mtime  modification time, the same forms
   * @returns a Promise that resolves once set (Node's futimes: there is no opcode)
   * @throws ERR_INVALID_ARG_TYPE for a bad time; EBADF on a closed handle
   * @example
   * ```ts
   * import { tmpdir } from 'node:os';
   * import { join } from 'node:path';
   * import { mkdtemp, open, rm } from 'ringcore/fs';
   *
   * const dir = await mkdtemp(join(tmpdir(), 'ringcore-'));
   * await using fh = await open(join(dir, 'f'), 'w');
   * await fh.utimes(new Date(0), new Date(0));
   * console.log((await fh.stat()).mtimeMs); // 0
   * await rm(dir, { recursive: true });
   * ```
   */
  async utimes(atime: TimeLike, mtime: TimeLike): Promise<void> {
    return onFd(futimes, live(this, 'futimes'), atime, mtime);
  }

  /**
   * Everything from the current position to EOF, as a Buffer or (with an encoding) a string.
   * @param options  `encoding` (a string result), `signal`; or an encoding name
   * @returns a Promise of the rest of the file from the current position: a Buffer or string
   * @throws EBADF on a closed handle; ERR_FS_FILE_TOO_LARGE past 2 GiB; an AbortError
   * @example
   * ```ts
   * import { tmpdir } from 'node:os';
   * import { join } from 'node:path';
   * import { mkdtemp, open, rm, writeFile } from 'ringcore/fs';
   *
   * const dir = await mkdtemp(join(tmpdir(), 'ringcore-'));
   * await writeFile(join(dir, 'f'), 'whole file');
   * await using fh = await open(join(dir, 'f'));
   * console.log(await fh.readFile('utf8')); // 'whole file'
   * await rm(dir, { recursive: true });
   * ```
   */
  readFile(options?: (FileReadOptions & { encoding?: null }) | null): Promise<Buffer>;
  readFile(options: (FileReadOptions & { encoding: BufferEncoding }) | BufferEncoding): Promise<string>;
  readFile(options?: FileReadOptions | BufferEncoding | null): Promise<Buffer | string>;
  async readFile(options?: FileReadOptions | BufferEncoding | null): Promise<Buffer | string> {
    const fd = live(this, 'readFile');
    const o = typeof options === 'string' ? { encoding: options } : options ?? {};
    const enc = checkEncoding(o.encoding);
    // Sized first, as Node's (a file over 2 GiB is refused before anything is read).
    const data = await readAll(this.ring, fd, o.signal, true);
    return enc === null ? data : data.toString(enc);
  }

  /**
   * Write all of `data` at the current position (looping over short writes).
   * @param data     a string, bytes, or an (async) iterable of them
   * @param options  `encoding`, `flush`, `signal`; or an encoding name
   * @returns a Promise that resolves once all is written (at the current position)
   * @throws EBADF on a closed handle; an AbortError
   * @example
   * ```ts
   * import { tmpdir } from 'node:os';
   * import { join } from 'node:path';
   * import { mkdtemp, open, rm } from 'ringcore/fs';
   *
   * const dir = await mkdtemp(join(tmpdir(), 'ringcore-'));
   * await using fh = await open(join(dir, 'f'), 'w');
   * await fh.writeFile(['line 1\n', 'line 2\n']);
   * await rm(dir, { recursive: true });
   * ```
   */
  async writeFile(data: WriteData, options?: BufferEncoding | FileWriteOptions | null): Promise<void> {
    const fd = live(this, 'writeFile');
    const o = typeof options === 'string' ? { encoding: options } : options ?? {};
    const enc = checkEncoding(o.encoding ?? 'utf8') ?? 'utf8';
    await writeAll(this.ring, fd, toChunks(data, enc), o.signal);
  }

  /**
   * Like writeFile; on a handle the file's own flags decide whether it appends.
   * @param data     a string or bytes
   * @param options  `encoding`, `flush`, `signal`; or an encoding name
   * @returns a Promise that resolves once appended
   * @throws as writeFile()
   * @example
   * ```ts
   * import { tmpdir } from 'node:os';
   * import { join } from 'node:path';
   * import { mkdtemp, open, rm } from 'ringcore/fs';
   *
   * const dir = await mkdtemp(join(tmpdir(), 'ringcore-'));
   * await using fh = await open(join(dir, 'f'), 'a');
   * await fh.appendFile('more\n');
   * await rm(dir, { recursive: true });
   * ```
   */
  appendFile(data: WriteData, options?: BufferEncoding | FileWriteOptions | null): Promise<void> {
    if (!isFileHandle(this)) return Promise.reject(unusable(this, 'writeFile'));
    return this.writeFile(data, options);
  }

  /**
   * A ReadStream on this file, as Node's: from `start` (default: the file position)
   * to `end`; with autoClose (the default) the handle is closed when the stream ends.
   * @param options  as fs.createReadStream's: `encoding`, `start`, `end`, `highWaterMark`,
   *                 `autoClose`, `emitClose`, `signal`
   * @returns a ReadStream over this handle (up to 4 reads in flight on a regular file)
   * @throws ERR_OUT_OF_RANGE / ERR_INVALID_ARG_TYPE for bad options, as node:fs
   * @example
   * ```ts
   * import { tmpdir } from 'node:os';
   * import { join } from 'node:path';
   * import { mkdtemp, open, rm, writeFile } from 'ringcore/fs';
   *
   * const dir = await mkdtemp(join(tmpdir(), 'ringcore-'));
   * await writeFile(join(dir, 'f'), '0123456789');
   * const fh = await open(join(dir, 'f'));
   * let text = '';
   * for await (const chunk of fh.createReadStream({ start: 2, end: 5, encoding: 'utf8' })) text += chunk;
   * console.log(text); // '2345'
   * await rm(dir, { recursive: true });
   * ```
   */
  createReadStream(options?: FileHandleReadStreamOptions): ReadStream {
    return createReadStream(undefined, { ...options, fd: this });
  }

  /**
   * A WriteStream to this file, as Node's (autoClose: the handle is closed when it finishes).
   * @param options  as fs.createWriteStream's: `encoding`, `start`, `flush`, `autoClose`,
   *                 `emitClose`, `highWaterMark`
   * @returns a WriteStream over this handle
   * @throws ERR_OUT_OF_RANGE / ERR_INVALID_ARG_TYPE for bad options, as node:fs
   * @example
   * ```ts
   * import { tmpdir } from 'node:os';
   * import { join } from 'node:path';
   * import { mkdtemp, open, readFile, rm } from 'ringcore/fs';
   * import { once } from 'node:events';
   *
   * const dir = await mkdtemp(join(tmpdir(), 'ringcore-'));
   * const fh = await open(join(dir, 'f'), 'w');
   * const ws = fh.createWriteStream();
   * ws.end('streamed');
   * await once(ws, 'close'); // autoClose: the handle is closed with the stream
   * console.log(await readFile(join(dir, 'f'), 'utf8')); // 'streamed'
   * await rm(dir, { recursive: true });
   * ```
   */
  createWriteStream(options?: FileHandleWriteStreamOptions): WriteStream {
    return createWriteStream(undefined, { ...options, fd: this });
  }

  /**
   * The file's lines, as Node's `filehandle.readLines()`: a `readline.Interface` over
   * `createReadStream(options)` with `crlfDelay: Infinity` (so "\r\n" is one line
   * break); `for await (const line of fh.readLines())`.  The handle is closed when the
   * stream ends (autoClose, as Node).
   * @param options  createReadStream()'s options (`encoding`, `start`, `end`, ...)
   * @returns a readline Interface: an async iterable of the file's lines (crlfDelay Infinity)
   * @throws ERR_INVALID_STATE / EBADF on a closed handle
   * @example
   * ```ts
   * import { tmpdir } from 'node:os';
   * import { join } from 'node:path';
   * import { mkdtemp, open, rm, writeFile } from 'ringcore/fs';
   *
   * const dir = await mkdtemp(join(tmpdir(), 'ringcore-'));
   * await writeFile(join(dir, 'f'), 'one\r\ntwo\nthree');
   * const fh = await open(join(dir, 'f'));
   * const lines: string[] = [];
   * for await (const line of fh.readLines()) lines.push(line);
   * console.log(lines); // ['one', 'two', 'three']
   * await rm(dir, { recursive: true });
   * ```
   */
  readLines(options?: FileHandleReadStreamOptions): ReadlineInterface {
    return loadReadline().createInterface({ input: this.createReadStream(options), crlfDelay: Infinity });
  }

  /**
   * The file as a Web `ReadableStream` of bytes, as Node's
   * `filehandle.readableWebStream()`: reads of 16 KiB (or into the reader's own buffer,
   * BYOB) at the file position, until EOF.  A handle gives one such stream in its life
   * (Node locks it: a second call throws).  `autoClose: true` (as newer Node has)
   * closes the handle at EOF, on an error or on cancel; otherwise close it yourself.
   * @param options  `type: 'bytes'` (the default here, as Node 22+), `autoClose`
   * @returns a web ReadableStream of the file's bytes (BYOB-capable)
   * @throws ERR_INVALID_STATE when the handle is closed or already locked to a stream
   * @example
   * ```ts
   * import { tmpdir } from 'node:os';
   * import { join } from 'node:path';
   * import { mkdtemp, open, rm, writeFile } from 'ringcore/fs';
   *
   * const dir = await mkdtemp(join(tmpdir(), 'ringcore-'));
   * await writeFile(join(dir, 'f'), 'web bytes');
   * await using fh = await open(join(dir, 'f'));
   * let n = 0;
   * for await (const chunk of fh.readableWebStream()) n += (chunk as Uint8Array).byteLength;
   * console.log(n); // 9
   * await rm(dir, { recursive: true });
   * ```
   */
  readableWebStream(options?: { type?: 'bytes'; autoClose?: boolean }): ReadableStream<Uint8Array> {
    if (this.fdv < 0) throw invalidState('The FileHandle is closed');
    if (this.locked) throw invalidState('The FileHandle is locked');
    this.locked = true;
    if (options !== undefined && (options === null || typeof options !== 'object')) {
      throw invalidArgType('options', 'of type object', options);
    }
    const autoClose = options?.autoClose ?? false;
    if (typeof autoClose !== 'boolean') throw invalidArgType('options.autoClose', 'of type boolean', autoClose);
    const done = (): Promise<void> | undefined => (autoClose ? this.close().catch(() => {}) : undefined);
    return new ReadableStream({
      type: 'bytes',
      autoAllocateChunkSize: 16384,
      pull: async (controller) => {
        const req = controller.byobRequest!;
        const view = req.view!;
        let bytesRead: number;
        try {
          ({ bytesRead } = await this.read(view, 0, view.byteLength, -1));
        } catch (e) {
          await done();
          throw e;
        }
        if (bytesRead === 0) {
          await done();
          controller.close();
        }
        req.respond(bytesRead);
      },
      cancel: async () => {
        await done();
      },
    });
  }

  /**
   * Node's FileHandle.getAsyncId() answers the async id of its native handle; ours has
   * no AsyncWrap (an fd on the ring), so this is the id of the context that opened it.
   * @returns the async id of the context that opened the file (ours has no native handle)
   * @example
   * ```ts
   * import { tmpdir } from 'node:os';
   * import { join } from 'node:path';
   * import { mkdtemp, open, rm } from 'ringcore/fs';
   *
   * const dir = await mkdtemp(join(tmpdir(), 'ringcore-'));
   * await using fh = await open(join(dir, 'f'), 'w');
   * console.log(typeof fh.getAsyncId()); // 'number'
   * await rm(dir, { recursive: true });
   * ```
   */
  getAsyncId(): number {
    return this.asyncId ??= (createRequire(import.meta.url)('node:async_hooks') as typeof import('node:async_hooks')).executionAsyncId();
  }
  private asyncId: number | undefined;
}

// The EventEmitter methods (on, once, off, emit, ...), as Node's EventEmitterMixin
// gives its FileHandle: copied onto the prototype, so a FileHandle costs nothing until
// a listener is added (EventEmitter creates its state on first use).
for (const [key, desc] of Object.entries(Object.getOwnPropertyDescriptors(EventEmitter.prototype))) {
  if (key !== 'constructor' && !Object.prototype.hasOwnProperty.call(FileHandle.prototype, key)) {
    Object.defineProperty(FileHandle.prototype, key, desc);
  }
}
