/**
 * `ringcore/fs`: the `node:fs/promises` functions, on io_uring.  Same names, argument
 * shapes, defaults, results and error codes, so that swapping the import is enough.
 * Each function is a short sequence of ring requests on the thread's default ring.
 *
 * Not on io_uring: `access` — the kernel has no IORING_OP for faccessat(2), so it is
 * Node's own `fs/promises.access` (through libuv's thread pool), loaded when first used;
 * and copyFile's fchmod(2) and reflink modes (see copyFile).
 *
 * Beside them, node:fs' `createReadStream`/`createWriteStream` (streams.ts).
 *
 * May touch: the default ring (through ops), node:fs/promises for `access`.
 */
import { dirname } from 'node:path';
import { constants as C, fchmod as fchmodCb } from 'node:fs';
import { promisify } from 'node:util';
import { defaultRing } from '../runtime/current.js';
import { errnoError, outOfRange, type RingError } from '../op/errors.js';
import { AT, MkdiratOp, OpenatOp, RenameatOp, StatxOp, UnlinkatOp, FtruncateOp } from '../op/fsops.js';
import { CloseOp } from '../op/io.js';
import { Opcode } from '../sys/constants.js';
import { RwOp } from '../op/io.js';
import { FileHandle } from './filehandle.js';
import { Stats } from './stats.js';
import { checkEncoding, checkInteger, checkSignal, optionsObject, toFlags, toKernelPath, toMode, type PathLike } from './args.js';
import { readAll, toChunks, writeAll, type WriteData } from './io.js';

/** Node's own fs/promises, loaded on first use (importing it costs startup). */
function nodeFs(): Promise<typeof import('node:fs/promises')> {
  return import('node:fs/promises');
}

/** access(path, mode): Node's own (no IORING_OP for faccessat). */
export async function access(path: PathLike, mode?: number): Promise<void> {
  return (await nodeFs()).access(path, mode);
}
export { FileHandle, type ReadResult, type WriteResult, type ReadOptions, type ReadOptionsWithBuffer, type FileReadOptions, type FileWriteOptions } from './filehandle.js';
export type { WriteData } from './io.js';
export { createReadStream, createWriteStream, type ReadStream, type WriteStream, type StreamOptions, type ReadStreamOptions,
         type WriteStreamOptions, type FileHandleReadStreamOptions, type FileHandleWriteStreamOptions } from './streams.js';
export { Stats } from './stats.js';
export type { PathLike } from './args.js';
export const constants = C;

const fchmod = promisify(fchmodCb);

/** open(path, flags = 'r', mode = 0o666) → FileHandle. */
export async function open(path: PathLike, flags?: string | number, mode?: string | number): Promise<FileHandle> {
  const p = toKernelPath(path);
  const f = toFlags(flags, 'r');
  const m = toMode(mode, 'mode', 0o666);
  const ring = defaultRing();
  const fd = await new OpenatOp(ring, p, f, m).promise();
  return new FileHandle(ring, fd);
}

export interface ReadFileOptions {
  encoding?: BufferEncoding | null;
  flag?: string | number;
  signal?: AbortSignal;
}

/** The whole file (until EOF) as a Buffer, or a string with an encoding. */
export async function readFile(path: PathLike | FileHandle, options?: (ReadFileOptions & { encoding?: null }) | null): Promise<Buffer>;
export async function readFile(path: PathLike | FileHandle, options: (ReadFileOptions & { encoding: BufferEncoding }) | BufferEncoding): Promise<string>;
export async function readFile(path: PathLike | FileHandle, options?: ReadFileOptions | BufferEncoding | null): Promise<Buffer | string>;
export async function readFile(path: PathLike | FileHandle, options?: unknown): Promise<Buffer | string> {
  const o = optionsObject<ReadFileOptions>(options);
  const enc = checkEncoding(o.encoding);
  const signal = checkSignal(o.signal);
  if (path instanceof FileHandle) return path.readFile({ encoding: enc, signal });
  const p = toKernelPath(path);
  const flags = toFlags(o.flag, 'r', 'flag');
  const ring = defaultRing();
  const fd = await new OpenatOp(ring, p, flags, 0o666, { signal }).promise();
  let data: Buffer;
  try {
    data = await readAll(ring, fd, signal);
  } finally {
    await new CloseOp(ring, fd).promise();
  }
  return enc === null ? data : data.toString(enc);
}

export interface WriteFileOptions {
  encoding?: BufferEncoding | null;
  mode?: number | string;
  flag?: string | number;
  flush?: boolean;
  signal?: AbortSignal;
}

async function writeOrAppend(path: PathLike | FileHandle, data: WriteData, options: unknown, dfltFlag: string): Promise<void> {
  const o = optionsObject<WriteFileOptions>(options);
  const enc = checkEncoding(o.encoding ?? 'utf8') ?? 'utf8';
  const signal = checkSignal(o.signal);
  const chunks = toChunks(data, enc);
  if (path instanceof FileHandle) {
    await path.writeFile(chunks as WriteData, { signal });
    return;
  }
  const p = toKernelPath(path);
  const flags = toFlags(o.flag, dfltFlag, 'flag');
  const mode = toMode(o.mode, 'mode', 0o666);
  const ring = defaultRing();
  const fh = new FileHandle(ring, await new OpenatOp(ring, p, flags, mode, { signal }).promise());
  try {
    await writeAll(ring, fh.fd, chunks, signal);
    if (o.flush === true) await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Replace the file's contents with `data` (string, bytes, or an (async) iterable of them). */
export function writeFile(path: PathLike | FileHandle, data: WriteData, options?: WriteFileOptions | BufferEncoding | null): Promise<void> {
  return writeOrAppend(path, data, options, 'w');
}

/** Append `data` to the file, creating it if needed. */
export function appendFile(path: PathLike | FileHandle, data: WriteData, options?: WriteFileOptions | BufferEncoding | null): Promise<void> {
  return writeOrAppend(path, data, options, 'a');
}

/** Node's copyfile error shape: "ENOENT: ..., copyfile 'src' -> 'dest'". */
function copyError(e: unknown, src: string, dest: string): unknown {
  const err = e as RingError;
  if (typeof err?.errno !== 'number') return e;
  return errnoError(err.errno, 'copyfile', src, dest);
}

/**
 * copyFile(src, dest, mode = 0), in the steps libuv takes: open src, fstat; open dest
 * (O_CREAT, O_EXCL with COPYFILE_EXCL) with src's mode; if dest is src itself, stop;
 * truncate dest; give it src's mode; copy.  The copy is a read/write loop through the
 * ring until EOF (libuv copies st_size bytes, which is 0 for /proc files).
 *
 * Not on io_uring: fchmod(2) has no IORING_OP, so dest's mode is set through libuv;
 * and COPYFILE_FICLONE / COPYFILE_FICLONE_FORCE (reflinks need ioctl(FICLONE)) hand
 * the whole copy to Node's own copyFile.
 */
export async function copyFile(src: PathLike, dest: PathLike, mode?: number): Promise<void> {
  const s = toKernelPath(src, 'src');
  const d = toKernelPath(dest, 'dest');
  const m = mode === undefined ? 0 : checkInteger(mode, 'mode', 0, 7);
  if (m & (C.COPYFILE_FICLONE | C.COPYFILE_FICLONE_FORCE)) return (await nodeFs()).copyFile(src, dest, m);
  const ring = defaultRing();
  const empty = { bytes: Buffer.from([0]), display: '' };
  let inFd = -1;
  let outFd = -1;
  try {
    inFd = await new OpenatOp(ring, s, C.O_RDONLY, 0).promise();
    const st = new Stats(await new StatxOp(ring, empty, AT.EMPTY_PATH, undefined, inFd, 'fstat').promise());
    if (st.isDirectory()) throw errnoError(-21, 'copyfile'); // before dest is created, as libuv
    const excl = (m & C.COPYFILE_EXCL) !== 0;
    outFd = await new OpenatOp(ring, d, C.O_WRONLY | C.O_CREAT | (excl ? C.O_EXCL : 0), st.mode).promise();
    if (!excl) {
      const dst = new Stats(await new StatxOp(ring, empty, AT.EMPTY_PATH, undefined, outFd, 'fstat').promise());
      if (dst.dev === st.dev && dst.ino === st.ino) return; // copying a file onto itself
      await new FtruncateOp(ring, outFd, 0).promise();
    }
    await fchmod(outFd, st.mode).catch((e: RingError) => {
      if (e.code !== 'EPERM') throw e; // as libuv: some filesystems refuse, the copy goes on
    });
    const chunk = Buffer.allocUnsafeSlow(Math.min(Math.max(st.size, 4096), 1 << 20));
    let pos = 0;
    for (;;) {
      const n = await new RwOp<number>(ring, Opcode.READ, inFd, chunk, 0, chunk.length, pos, undefined, undefined).promise();
      if (n === 0) break;
      let off = 0;
      while (off < n) {
        const w = await new RwOp<number>(ring, Opcode.WRITE, outFd, chunk, off, n - off, pos + off, undefined, undefined).promise();
        if (w === 0) throw errnoError(-5, 'write'); // EIO: no progress (never loop on it)
        off += w;
      }
      pos += n;
    }
  } catch (e) {
    throw copyError(e, s.display, d.display);
  } finally {
    const closes: PromiseLike<void>[] = [];
    if (inFd >= 0) closes.push(new CloseOp(ring, inFd).promise());
    if (outFd >= 0) closes.push(new CloseOp(ring, outFd).promise());
    await Promise.all(closes);
  }
}

export interface StatOptions {
  bigint?: boolean;
}

async function statWith(path: PathLike, options: StatOptions | undefined, flags: number, syscall: string): Promise<Stats> {
  const p = toKernelPath(path);
  if (options?.bigint) throw outOfRange('options.bigint', 'false (BigInt stats are not supported by ringcore/fs yet)', true);
  const buf = await new StatxOp(defaultRing(), p, flags, undefined, undefined, syscall).promise();
  return new Stats(buf);
}

/** stat(path): follows symlinks. */
export function stat(path: PathLike, options?: StatOptions): Promise<Stats> {
  return statWith(path, options, 0, 'stat');
}

/** lstat(path): the link itself. */
export function lstat(path: PathLike, options?: StatOptions): Promise<Stats> {
  return statWith(path, options, AT.SYMLINK_NOFOLLOW, 'lstat');
}

/** unlink(path). */
export async function unlink(path: PathLike): Promise<void> {
  await new UnlinkatOp(defaultRing(), toKernelPath(path), false).promise();
}

/** rmdir(path): the directory must be empty. */
export async function rmdir(path: PathLike, options?: { recursive?: boolean }): Promise<void> {
  if (options?.recursive) throw outOfRange('options.recursive', 'false (use rm -r semantics elsewhere)', true);
  await new UnlinkatOp(defaultRing(), toKernelPath(path), true).promise();
}

/** rename(oldPath, newPath). */
export async function rename(oldPath: PathLike, newPath: PathLike): Promise<void> {
  await new RenameatOp(defaultRing(), toKernelPath(oldPath, 'oldPath'), toKernelPath(newPath, 'newPath')).promise();
}

export interface MkdirOptions {
  recursive?: boolean;
  mode?: number | string;
}

/**
 * mkdir(path, { recursive, mode }).  With `recursive`, resolves with the first
 * directory it created (undefined if the path already was a directory), as Node does.
 */
export async function mkdir(path: PathLike, options: MkdirOptions & { recursive: true }): Promise<string | undefined>;
export async function mkdir(path: PathLike, options?: number | string | (MkdirOptions & { recursive?: false }) | null): Promise<void>;
export async function mkdir(path: PathLike, options?: MkdirOptions | number | string | null): Promise<string | undefined>;
export async function mkdir(path: PathLike, options?: MkdirOptions | number | string | null): Promise<string | undefined | void> {
  const o: MkdirOptions = typeof options === 'number' || typeof options === 'string' ? { mode: options } : options ?? {};
  const mode = toMode(o.mode, 'mode', 0o777);
  const p = toKernelPath(path);
  const ring = defaultRing();
  if (!o.recursive) {
    await new MkdiratOp(ring, p, mode).promise();
    return undefined;
  }
  return mkdirp(ring, p.display, mode);
}

async function mkdirp(ring: ReturnType<typeof defaultRing>, path: string, mode: number): Promise<string | undefined> {
  const p = toKernelPath(path);
  try {
    await new MkdiratOp(ring, p, mode).promise();
    return path;
  } catch (e) {
    const err = e as RingError;
    if (err.code === 'EEXIST') {
      const st = await statWith(path, undefined, 0, 'stat').catch(() => undefined);
      if (st?.isDirectory()) return undefined;
      throw e;
    }
    if (err.code !== 'ENOENT') throw e;
    const parent = dirname(path);
    if (parent === path) throw e;
    const first = await mkdirp(ring, parent, mode);
    try {
      await new MkdiratOp(ring, p, mode).promise();
    } catch (e2) {
      if ((e2 as RingError).code !== 'EEXIST') throw e2;
    }
    return first ?? path;
  }
}

/** truncate(path, len = 0). */
export async function truncate(path: PathLike, len = 0): Promise<void> {
  checkInteger(len, 'len', Number.MIN_SAFE_INTEGER);
  const ring = defaultRing();
  const fd = await new OpenatOp(ring, toKernelPath(path), C.O_WRONLY, 0).promise();
  try {
    await new FtruncateOp(ring, fd, Math.max(0, len)).promise();
  } finally {
    await new CloseOp(ring, fd).promise();
  }
}
