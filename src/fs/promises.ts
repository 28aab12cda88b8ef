/**
 * `ringcore/fs`: every export of the running Node's `node:fs/promises` (20, 22, 24), with
 * the same names, argument shapes, defaults, results and errors, so that swapping the
 * import is enough.  Where the Node lines differ, it does what the running one does
 * (node-line.ts: one predicate per difference).
 *
 * On io_uring (the thread's default ring) wherever the kernel has an opcode: open,
 * readFile, writeFile, appendFile, copyFile, stat, lstat, unlink, rmdir, rename, mkdir,
 * truncate, symlink (SYMLINKAT), link (LINKAT), mkdtemp (MKDIRAT with a random suffix),
 * rm (UNLINKAT, with node:fs/promises.readdir listing directories), cp (files copied by
 * copyFile's read/write loop; see cp).  Node's own function where there is no opcode —
 * readdir/opendir (getdents), readlink, realpath, chmod/lchmod, chown/lchown,
 * utimes/lutimes, statfs, watch (inotify), access (faccessat): node:fs/promises,
 * imported on first use so that importing ringcore/fs stays cheap.  README.md has the
 * table ("ringcore/fs: which path each function takes").
 *
 * Beside them, node:fs' `createReadStream`/`createWriteStream` (streams.ts).
 *
 * May touch: the default ring (through ops), node:fs/promises and node:fs (callback
 * APIs) for what has no opcode, process warnings (DEP0147, mkdtemp's template warning).
 *
 * @module ringcore/fs
 */
import { dirname, isAbsolute, join, parse, resolve, sep } from 'node:path';
import { constants as C } from 'node:fs';
import { fchmod as fchmodCb } from './fd-calls.js'; // node:fs' own (Deno: through /proc/self/fd)
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { defaultRing } from '../runtime/current.js';
import { codedError, errnoError, invalidArgType, outOfRange, systemError, type RingError, type SystemErrorContext, invalidArgValue } from '../op/errors.js';
import { LinkatOp, MkdiratOp, OpenatOp, RenameatOp, StatxOp, SymlinkatOp, UnlinkatOp, FtruncateOp } from '../op/fsops.js';
import { AT } from '../sys/file.js';
import { CloseOp } from '../op/io.js';
import { Opcode } from '../sys/constants.js';
import { RwOp } from '../op/io.js';
import { FileHandle } from './filehandle.js';
import { bigIntStatsFromStatx, statsFromStatx, type BigIntStats, type Stats } from './stats.js';
import { isNodeFileHandle, optionsObject, toFlags, toKernelPath, toMode, type PathLike } from './args.js';
import { CP_DIR_ERROR_ON_EXIST, CP_NODE24, HAS_GLOB, HAS_MKDTEMP_DISPOSABLE, SYMLINK_TYPE_ONE_OF } from './node-line.js';
import { readAll, toChunks, writeAll, type WriteData } from './io.js';
import { viaNodeIfRefused } from './fallback.js';
import { EINVAL, EIO, EISDIR } from '../sys/errno.js';
import { checkBoolean, checkEncoding, checkInteger, checkSignal } from '../op/validate.js';

type NodeFsPromises = typeof import('node:fs/promises');

/** Node's own fs/promises, loaded on first use (importing it costs startup). */
function nodeFs(): Promise<NodeFsPromises> {
  return import('node:fs/promises');
}

/**
 * `name` of node:fs/promises, called with the arguments as given (so that Node checks
 * them itself, with its own errors), under the same name — for what has no opcode.
 */
function viaNode<K extends keyof NodeFsPromises>(name: K): NodeFsPromises[K] {
  const f = {
    async [name](...args: unknown[]): Promise<unknown> {
      return ((await nodeFs())[name] as (...a: unknown[]) => unknown)(...args);
    },
  }[name];
  return f as unknown as NodeFsPromises[K];
}

/**
 * access(path, mode): Node's own (no IORING_OP for faccessat).
 * @param path  the file
 * @param mode  fs.constants.F_OK (default), R_OK, W_OK, X_OK bits
 * @returns a Promise that resolves if the access is allowed (Node's own access: no opcode)
 * @throws ENOENT, EACCES ... as Node's
 * @example
 * ```ts
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { access, constants, mkdtemp, rm } from 'ringcore/fs';
 *
 * const dir = await mkdtemp(join(tmpdir(), 'ringcore-'));
 * await access(dir, constants.R_OK | constants.W_OK);
 * await rm(dir, { recursive: true });
 * ```
 */
export async function access(path: PathLike, mode?: number): Promise<void> {
  return (await nodeFs()).access(path, mode);
}

/** readdir: Node's (no opcode for getdents64). */
export const readdir: NodeFsPromises['readdir'] = viaNode('readdir');
/** opendir: Node's fs.Dir (no opcode for getdents64). */
export const opendir: NodeFsPromises['opendir'] = viaNode('opendir');
/** readlink: Node's (no opcode for readlinkat). */
export const readlink: NodeFsPromises['readlink'] = viaNode('readlink');
/** realpath: Node's (libuv's realpath(3): many lstat/readlink steps, no opcode). */
export const realpath: NodeFsPromises['realpath'] = viaNode('realpath');
/** chmod: Node's (no opcode for fchmodat). */
export const chmod: NodeFsPromises['chmod'] = viaNode('chmod');
/** lchmod: Node's (on Linux it rejects with ERR_METHOD_NOT_IMPLEMENTED, as Node's). */
export const lchmod: NodeFsPromises['lchmod'] = viaNode('lchmod');
/** chown: Node's (no opcode for fchownat). */
export const chown: NodeFsPromises['chown'] = viaNode('chown');
/** lchown: Node's (no opcode for fchownat). */
export const lchown: NodeFsPromises['lchown'] = viaNode('lchown');
/** utimes: Node's (no opcode for utimensat). */
export const utimes: NodeFsPromises['utimes'] = viaNode('utimes');
/** lutimes: Node's (no opcode for utimensat). */
export const lutimes: NodeFsPromises['lutimes'] = viaNode('lutimes');
/** statfs: Node's (no opcode for statfs). */
export const statfs: NodeFsPromises['statfs'] = viaNode('statfs');
/**
 * watch: Node's async iterator (inotify; no opcode).  An async generator as Node's, so
 * arguments are checked on the first next(), as Node's are.
 */
export const watch: NodeFsPromises['watch'] = ({
  async *watch(...args: unknown[]): AsyncGenerator<unknown> {
    yield* ((await nodeFs()).watch as (...a: unknown[]) => AsyncIterable<unknown>)(...args);
  },
}).watch as unknown as NodeFsPromises['watch'];

/** glob's options (Node 22+). */
export interface GlobOptions {
  /** The directory patterns are relative to (default: process.cwd()). */
  cwd?: string | URL;
  /** Paths to leave out: a predicate, or (newer lines) glob patterns. */
  exclude?: ((fileName: any) => boolean) | readonly string[];
  /** Dirent objects instead of path strings. */
  withFileTypes?: boolean;
}
/** glob(pattern, options?): an async iterator of the matching paths (or Dirents, withFileTypes). */
export type Glob = {
  (pattern: string | readonly string[], options: GlobOptions & { withFileTypes: true }): AsyncIterableIterator<import('node:fs').Dirent>;
  (pattern: string | readonly string[], options?: GlobOptions & { withFileTypes?: false }): AsyncIterableIterator<string>;
  (pattern: string | readonly string[], options?: GlobOptions): AsyncIterableIterator<string | import('node:fs').Dirent>;
};
/**
 * glob: Node's own (a directory walk, no opcode), loaded on first use — where the
 * running Node has it (Node 22+, HAS_GLOB in node-line.ts).  On Node 20, as
 * node:fs/promises has no glob, this is undefined (and not in the default export), so
 * that `typeof glob === 'function'` answers as it does for Node's.  An async generator
 * as Node's: arguments are checked on the first next().
 */
export const glob: Glob | undefined = HAS_GLOB ? ({
  async *glob(...args: unknown[]): AsyncGenerator<unknown> {
    yield* ((await nodeFs()) as unknown as { glob: (...a: unknown[]) => AsyncIterable<unknown> }).glob(...args);
  },
}).glob as unknown as Glob : undefined;

export { FileHandle, type ReadResult, type WriteResult, type ReadOptions, type ReadOptionsWithBuffer, type FileReadOptions, type FileWriteOptions } from './filehandle.js';
export type { WriteData } from './io.js';
export { createReadStream, createWriteStream, type ReadStream, type WriteStream, type StreamOptions, type ReadStreamOptions,
         type WriteStreamOptions, type FileHandleReadStreamOptions, type FileHandleWriteStreamOptions } from './streams.js';
export { Stats, type BigIntStats } from './stats.js';
export type { PathLike } from './args.js';
export const constants = C;

const fchmod = promisify(fchmodCb);

/**
 * open(path, flags = 'r', mode = 0o666) → FileHandle.
 * @param path   the file (string, Buffer or file: URL)
 * @param flags  'r' (default), 'w', 'a', 'wx', ... or O_* numbers, as node:fs
 * @param mode   permissions for a created file (default 0o666, before the umask)
 * @returns a Promise of a FileHandle (IORING_OP_OPENAT)
 * @throws ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE for bad arguments; ENOENT, EACCES,
 *         EEXIST ... shaped as node:fs/promises' (code, errno, syscall, path)
 * @example
 * ```ts
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { mkdtemp, open, rm } from 'ringcore/fs';
 *
 * const dir = await mkdtemp(join(tmpdir(), 'ringcore-'));
 * await using fh = await open(join(dir, 'new.txt'), 'wx');
 * await fh.write('created with O_CREAT|O_EXCL');
 * await rm(dir, { recursive: true });
 * ```
 */
export async function open(path: PathLike, flags?: string | number, mode?: string | number): Promise<FileHandle> {
  const refused = viaNodeIfRefused('open', arguments); // io_uring refused here: Node's (fallback.ts)
  if (refused !== undefined) return refused;
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

/**
 * The whole file (until EOF) as a Buffer, or a string with an encoding.
 * @param path     a path, or a FileHandle (read from its current position)
 * @param options  `encoding` (a string result), `flag` (default 'r'), `signal`; or an
 *                 encoding name
 * @returns a Promise of the contents: a Buffer, or a string with an encoding
 * @throws ENOENT, EISDIR ... shaped as node:fs/promises' (code, errno, syscall, path); ERR_FS_FILE_TOO_LARGE past 2 GiB; an AbortError
 * @example
 * ```ts
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { mkdtemp, readFile, rm, writeFile } from 'ringcore/fs';
 *
 * const dir = await mkdtemp(join(tmpdir(), 'ringcore-'));
 * await writeFile(join(dir, 'a.txt'), 'hello');
 * console.log(await readFile(join(dir, 'a.txt'), 'utf8')); // 'hello'
 * await rm(dir, { recursive: true });
 * ```
 */
export async function readFile(path: PathLike | FileHandle, options?: (ReadFileOptions & { encoding?: null }) | null): Promise<Buffer>;
export async function readFile(path: PathLike | FileHandle, options: (ReadFileOptions & { encoding: BufferEncoding }) | BufferEncoding): Promise<string>;
export async function readFile(path: PathLike | FileHandle, options?: ReadFileOptions | BufferEncoding | null): Promise<Buffer | string>;
export async function readFile(path: PathLike | FileHandle, options?: unknown): Promise<Buffer | string> {
  const refused = viaNodeIfRefused('readFile', arguments); // io_uring refused here: Node's (fallback.ts)
  if (refused !== undefined) return refused;
  const o = optionsObject<ReadFileOptions>(options);
  const enc = checkEncoding(o.encoding);
  const signal = checkSignal(o.signal);
  // A FileHandle — ours, or node:fs/promises' (by its fd) — from its current position,
  // sized first as Node's readFile (a closed one: Node's fstat(-1) error).
  if (path instanceof FileHandle || isNodeFileHandle(path)) {
    const fd = path.fd;
    // A closed handle: what Node's binding says of fd -1.
    if (fd < 0) throw outOfRange('fd', '>= 0 && <= 2147483647', fd);
    const data = await readAll(path instanceof FileHandle ? path.ring : defaultRing(), fd, signal, true);
    return enc === null ? data : data.toString(enc);
  }
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
  const flush = checkBoolean(o.flush ?? false, 'options.flush');
  const chunks = toChunks(data, enc);
  // A FileHandle — ours or node:fs/promises' (by its fd) — written at its position, as
  // Node writes one (`flush` applies to paths only, as in Node).
  if (path instanceof FileHandle || isNodeFileHandle(path)) {
    await writeAll(path instanceof FileHandle ? path.ring : defaultRing(), path.fd, chunks, signal);
    return;
  }
  const p = toKernelPath(path);
  const flags = toFlags(o.flag, dfltFlag, 'flag');
  const mode = toMode(o.mode, 'mode', 0o666);
  const ring = defaultRing();
  const fh = new FileHandle(ring, await new OpenatOp(ring, p, flags, mode, { signal }).promise());
  try {
    await writeAll(ring, fh.fd, chunks, signal);
    if (flush) await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Replace the file's contents with `data` (string, bytes, or an (async) iterable of them).
 * @param path     a path, or a FileHandle
 * @param data     a string, Buffer, TypedArray, DataView, or an (async) iterable of them
 * @param options  `encoding` (default 'utf8'), `mode`, `flag` (default 'w'), `flush`,
 *                 `signal`; or an encoding name
 * @returns a Promise that resolves once every byte is written (and synced, with `flush`)
 * @throws ENOENT, EACCES, EISDIR ... shaped as node:fs/promises' (code, errno, syscall, path); an AbortError
 * @example
 * ```ts
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { mkdtemp, readFile, rm, writeFile } from 'ringcore/fs';
 *
 * const dir = await mkdtemp(join(tmpdir(), 'ringcore-'));
 * await writeFile(join(dir, 'b.bin'), new Uint8Array([1, 2, 3]), { flush: true });
 * console.log((await readFile(join(dir, 'b.bin'))).length); // 3
 * await rm(dir, { recursive: true });
 * ```
 */
export function writeFile(path: PathLike | FileHandle, data: WriteData, options?: WriteFileOptions | BufferEncoding | null): Promise<void> {
  const refused = viaNodeIfRefused('writeFile', arguments); // io_uring refused here: Node's (fallback.ts)
  if (refused !== undefined) return refused;
  return writeOrAppend(path, data, options, 'w');
}

/**
 * Append `data` to the file, creating it if needed.
 * @param path     a path, or a FileHandle
 * @param data     a string or bytes
 * @param options  `encoding`, `mode`, `flag` (default 'a'), `flush`; or an encoding name
 * @returns a Promise that resolves once the data is appended
 * @throws as writeFile()
 * @example
 * ```ts
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { appendFile, mkdtemp, readFile, rm } from 'ringcore/fs';
 *
 * const dir = await mkdtemp(join(tmpdir(), 'ringcore-'));
 * await appendFile(join(dir, 'log'), 'one\n');
 * await appendFile(join(dir, 'log'), 'two\n');
 * console.log(await readFile(join(dir, 'log'), 'utf8')); // 'one\ntwo\n'
 * await rm(dir, { recursive: true });
 * ```
 */
export function appendFile(path: PathLike | FileHandle, data: WriteData, options?: WriteFileOptions | BufferEncoding | null): Promise<void> {
  const refused = viaNodeIfRefused('appendFile', arguments); // io_uring refused here: Node's (fallback.ts)
  if (refused !== undefined) return refused;
  return writeOrAppend(path, data, options, 'a');
}

/**
 * copyFile's mode as Node's binding checks it (GetValidFileMode in node_file.cc): null
 * or undefined is 0; any other non-number a TypeError; a fraction truncated; outside
 * 0..7 (or NaN) a RangeError — with the binding's own wording, not validateInteger's.
 */
function copyMode(mode: unknown): number {
  if (mode === undefined || mode === null) return 0;
  if (typeof mode !== 'number') throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', 'mode must be int32 or null/undefined');
  if (Number.isNaN(mode)) throw codedError(RangeError, 'ERR_OUT_OF_RANGE', 'mode is out of range');
  const m = Math.trunc(mode);
  if (!(m >= 0 && m <= 7)) throw codedError(RangeError, 'ERR_OUT_OF_RANGE', 'mode is out of range: >= 0 && <= 7');
  return m;
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
 * @param src   the file to copy
 * @param dest  where to (replaced unless `mode` has COPYFILE_EXCL)
 * @param mode  fs.constants.COPYFILE_EXCL / COPYFILE_FICLONE / COPYFILE_FICLONE_FORCE bits
 * @returns a Promise that resolves once the copy is complete
 * @throws ENOENT, EEXIST (with COPYFILE_EXCL), EISDIR ... shaped as node:fs/promises' (code, errno, syscall, path)
 * @example
 * ```ts
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { constants, copyFile, mkdtemp, readFile, rm, writeFile } from 'ringcore/fs';
 *
 * const dir = await mkdtemp(join(tmpdir(), 'ringcore-'));
 * await writeFile(join(dir, 'a'), 'copy me');
 * await copyFile(join(dir, 'a'), join(dir, 'b'), constants.COPYFILE_EXCL);
 * console.log(await readFile(join(dir, 'b'), 'utf8')); // 'copy me'
 * await rm(dir, { recursive: true });
 * ```
 */
export async function copyFile(src: PathLike, dest: PathLike, mode?: number): Promise<void> {
  const refused = viaNodeIfRefused('copyFile', arguments); // io_uring refused here: Node's (fallback.ts)
  if (refused !== undefined) return refused;
  const s = toKernelPath(src, 'src');
  const d = toKernelPath(dest, 'dest');
  const m = copyMode(mode);
  if (m & (C.COPYFILE_FICLONE | C.COPYFILE_FICLONE_FORCE)) return (await nodeFs()).copyFile(src, dest, m);
  const ring = defaultRing();
  const empty = { bytes: Buffer.from([0]), display: '' };
  let inFd = -1;
  let outFd = -1;
  try {
    inFd = await new OpenatOp(ring, s, C.O_RDONLY, 0).promise();
    const st = statsFromStatx(await new StatxOp(ring, empty, AT.EMPTY_PATH, undefined, inFd, 'fstat').promise());
    if (st.isDirectory()) throw errnoError(EISDIR, 'copyfile'); // before dest is created, as libuv
    const excl = (m & C.COPYFILE_EXCL) !== 0;
    outFd = await new OpenatOp(ring, d, C.O_WRONLY | C.O_CREAT | (excl ? C.O_EXCL : 0), st.mode).promise();
    if (!excl) {
      const dst = statsFromStatx(await new StatxOp(ring, empty, AT.EMPTY_PATH, undefined, outFd, 'fstat').promise());
      if (dst.dev === st.dev && dst.ino === st.ino) return; // copying a file onto itself
      await new FtruncateOp(ring, outFd, 0).promise();
    }
    await fchmod(outFd, st.mode).catch((e: RingError) => {
      if (e.code !== 'EPERM') throw e; // as libuv: some filesystems refuse, the copy goes on
    });
    const chunk = Buffer.allocUnsafeSlow(Math.min(Math.max(st.size, 4096), 1 << 20));
    let pos = 0;
    for (;;) {
      const n = await new RwOp<number>(ring, { opcode: Opcode.READ, fd: inFd, buffer: chunk, length: chunk.length, position: pos }).promise();
      if (n === 0) break;
      let off = 0;
      while (off < n) {
        const w = await new RwOp<number>(ring, { opcode: Opcode.WRITE, fd: outFd, buffer: chunk, offset: off, length: n - off, position: pos + off }).promise();
        if (w === 0) throw errnoError(EIO, 'write'); // no progress (never loop on it)
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

async function statWith(path: PathLike, options: StatOptions, flags: number, syscall: string): Promise<Stats | BigIntStats> {
  const p = toKernelPath(path);
  // As Node: only `bigint: true` counts, and options is read unchecked (null: TypeError).
  const bigint = options.bigint === true;
  const buf = await new StatxOp(defaultRing(), p, flags, undefined, undefined, syscall).promise();
  return bigint ? bigIntStatsFromStatx(buf) : statsFromStatx(buf);
}

/**
 * stat(path, { bigint }): follows symlinks.  An fs.Stats, or a BigIntStats with nanoseconds.
 * @param path     the file
 * @param options  `bigint: true` for BigIntStats with nanoseconds
 * @returns a Promise of fs.Stats (or BigIntStats), from one IORING_OP_STATX
 * @throws ENOENT, ENOTDIR, EACCES ... shaped as node:fs/promises' (code, errno, syscall, path)
 * @example
 * ```ts
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { mkdtemp, rm, stat, writeFile } from 'ringcore/fs';
 *
 * const dir = await mkdtemp(join(tmpdir(), 'ringcore-'));
 * await writeFile(join(dir, 'f'), 'abc');
 * const st = await stat(join(dir, 'f'));
 * console.log(st.size, st.isFile()); // 3 true
 * await rm(dir, { recursive: true });
 * ```
 */
export function stat(path: PathLike, options?: StatOptions & { bigint?: false }): Promise<Stats>;
export function stat(path: PathLike, options: StatOptions & { bigint: true }): Promise<BigIntStats>;
export function stat(path: PathLike, options?: StatOptions): Promise<Stats | BigIntStats>;
export function stat(path: PathLike, options: StatOptions = { bigint: false }): Promise<Stats | BigIntStats> {
  const refused = viaNodeIfRefused('stat', arguments); // io_uring refused here: Node's (fallback.ts)
  if (refused !== undefined) return refused;
  return statWith(path, options, 0, 'stat');
}

/**
 * lstat(path, { bigint }): the link itself.
 * @param path     the file; a symbolic link is described itself, not followed
 * @param options  `bigint: true` for BigIntStats
 * @returns a Promise of fs.Stats (or BigIntStats)
 * @throws as stat()
 * @example
 * ```ts
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { lstat, mkdtemp, rm, symlink } from 'ringcore/fs';
 *
 * const dir = await mkdtemp(join(tmpdir(), 'ringcore-'));
 * await symlink('/etc/hostname', join(dir, 'l'));
 * console.log((await lstat(join(dir, 'l'))).isSymbolicLink()); // true
 * await rm(dir, { recursive: true });
 * ```
 */
export function lstat(path: PathLike, options?: StatOptions & { bigint?: false }): Promise<Stats>;
export function lstat(path: PathLike, options: StatOptions & { bigint: true }): Promise<BigIntStats>;
export function lstat(path: PathLike, options?: StatOptions): Promise<Stats | BigIntStats>;
export function lstat(path: PathLike, options: StatOptions = { bigint: false }): Promise<Stats | BigIntStats> {
  const refused = viaNodeIfRefused('lstat', arguments); // io_uring refused here: Node's (fallback.ts)
  if (refused !== undefined) return refused;
  return statWith(path, options, AT.SYMLINK_NOFOLLOW, 'lstat');
}

/**
 * unlink(path).
 * @param path  the file (or link) to remove
 * @returns a Promise that resolves once removed (IORING_OP_UNLINKAT)
 * @throws ENOENT, EISDIR, EPERM ... shaped as node:fs/promises' (code, errno, syscall, path)
 * @example
 * ```ts
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { mkdtemp, rm, unlink, writeFile } from 'ringcore/fs';
 *
 * const dir = await mkdtemp(join(tmpdir(), 'ringcore-'));
 * await writeFile(join(dir, 'gone'), '');
 * await unlink(join(dir, 'gone'));
 * await rm(dir, { recursive: true });
 * ```
 */
export async function unlink(path: PathLike): Promise<void> {
  const refused = viaNodeIfRefused('unlink', arguments); // io_uring refused here: Node's (fallback.ts)
  if (refused !== undefined) return refused;
  await new UnlinkatOp(defaultRing(), toKernelPath(path), 'unlink').promise();
}

export interface RmDirOptions {
  recursive?: boolean;
  maxRetries?: number;
  retryDelay?: number;
}

/** Node's validateRmdirOptions: an object; recursive boolean, retryDelay int32 >= 0, maxRetries uint32. */
function rmdirOptions(options: unknown, defaults: Required<RmDirOptions> & { force?: boolean }): Required<RmDirOptions> & { force: boolean } {
  if (options === undefined) return { force: false, ...defaults };
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw invalidArgType('options', 'of type object', options);
  }
  const o = { force: false, ...defaults, ...options } as Required<RmDirOptions> & { force: boolean };
  checkBoolean(o.recursive, 'options.recursive');
  checkInteger(o.retryDelay, 'options.retryDelay', 0, 2147483647);
  checkInteger(o.maxRetries, 'options.maxRetries', 0, 4294967295);
  return o;
}

let rmdirWarned = false;

/**
 * rmdir(path): the directory must be empty.  `{ recursive: true }` is Node 20's
 * deprecated form (DEP0147, warned once): stat, then rm -r of a directory (see rm).
 * @param path     an empty directory
 * @param options  `recursive` (deprecated in Node: use rm()), `maxRetries`, `retryDelay`
 * @returns a Promise that resolves once it is removed (IORING_OP_UNLINKAT, AT_REMOVEDIR)
 * @throws ENOTEMPTY, ENOENT, ENOTDIR ... shaped as node:fs/promises' (code, errno, syscall, path)
 * @example
 * ```ts
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { mkdir, mkdtemp, rm, rmdir } from 'ringcore/fs';
 *
 * const dir = await mkdtemp(join(tmpdir(), 'ringcore-'));
 * await mkdir(join(dir, 'empty'));
 * await rmdir(join(dir, 'empty'));
 * await rm(dir, { recursive: true });
 * ```
 */
export async function rmdir(path: PathLike, options?: RmDirOptions): Promise<void> {
  const refused = viaNodeIfRefused('rmdir', arguments); // io_uring refused here: Node's (fallback.ts)
  if (refused !== undefined) return refused;
  const p = toKernelPath(path);
  const o = rmdirOptions(options, { recursive: false, retryDelay: 100, maxRetries: 0 });
  if (o.recursive) {
    if (!rmdirWarned) {
      rmdirWarned = true;
      if (!process.noDeprecation) {
        process.emitWarning('In future versions of Node.js, fs.rmdir(path, { recursive: true }) will be removed. '
          + 'Use fs.rm(path, { recursive: true }) instead', 'DeprecationWarning', 'DEP0147');
      }
    }
    const st = await stat(path);
    if (st.isDirectory()) return rimraf(p.bytes.subarray(0, -1), o);
  }
  await new UnlinkatOp(defaultRing(), p, 'rmdir').promise();
}

export interface RmOptions extends RmDirOptions {
  force?: boolean;
}

/**
 * rm(path, { recursive, force, maxRetries, retryDelay }), as Node's: the options
 * checked, an lstat (missing + force: done; a directory without recursive: Node's
 * ERR_FS_EISDIR), then Node's rimraf — unlink, or for a directory rmdir, and when it
 * is not empty, every entry removed (in parallel) and rmdir again; EBUSY, EMFILE,
 * ENFILE, ENOTEMPTY and EPERM retried maxRetries times, retryDelay ms more each time.
 * Every unlink, rmdir and lstat is a ring request; the listing is node:fs/promises'
 * readdir (no opcode for getdents).
 * @param path     the file or directory
 * @param options  `recursive` (directories and their contents), `force` (no error when
 *                 missing), `maxRetries`, `retryDelay`
 * @returns a Promise that resolves once it is gone
 * @throws ENOENT (without `force`), ERR_FS_EISDIR (a directory without `recursive`) ... as Node's
 * @example
 * ```ts
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { mkdtemp, rm, writeFile } from 'ringcore/fs';
 *
 * const dir = await mkdtemp(join(tmpdir(), 'ringcore-'));
 * await writeFile(join(dir, 'x'), '');
 * await rm(join(dir, 'x'));
 * await rm(join(dir, 'x'), { force: true }); // already gone: no error
 * await rm(dir, { recursive: true });
 * ```
 */
export async function rm(path: PathLike, options?: RmOptions): Promise<void> {
  const refused = viaNodeIfRefused('rm', arguments); // io_uring refused here: Node's (fallback.ts)
  if (refused !== undefined) return refused;
  const p = toKernelPath(path);
  const o = rmdirOptions(options, { recursive: false, force: false, retryDelay: 100, maxRetries: 0 });
  checkBoolean(o.force, 'options.force');
  let st: Stats;
  try {
    st = await lstat(path);
  } catch (e) {
    if (o.force && (e as RingError).code === 'ENOENT') return;
    throw e;
  }
  if (st.isDirectory() && !o.recursive) {
    throw systemError('ERR_FS_EISDIR', 'Path is a directory',
                      { code: 'EISDIR', message: 'is a directory', path: p.display, syscall: 'rm', errno: -EISDIR });
  }
  return rimraf(p.bytes.subarray(0, -1), o);
}

const RETRY_CODES = new Set(['EBUSY', 'EMFILE', 'ENFILE', 'ENOTEMPTY', 'EPERM']);
const NOT_EMPTY_CODES = new Set(['ENOTEMPTY', 'EEXIST', 'EPERM']);

/** Node's rimraf (internal/fs/rimraf.js) on the ring; paths as bytes (any file name). */
async function rimraf(path: Buffer, o: Required<RmDirOptions>): Promise<void> {
  for (let retries = 0; ; ) {
    try {
      return await rimrafOnce(path, o);
    } catch (e) {
      const code = (e as RingError).code;
      if (RETRY_CODES.has(code) && retries < o.maxRetries) {
        retries++;
        await new Promise((r) => setTimeout(r, retries * o.retryDelay));
        continue;
      }
      if (code === 'ENOENT') return;
      throw e;
    }
  }
}

async function rimrafOnce(path: Buffer, o: Required<RmDirOptions>): Promise<void> {
  let st: Stats | undefined;
  try {
    st = await lstat(path);
  } catch (e) {
    if ((e as RingError).code === 'ENOENT') return;
  }
  if (st?.isDirectory()) return rmdirOrChildren(path, o, undefined);
  try {
    await unlink(path);
  } catch (e) {
    const code = (e as RingError).code;
    if (code === 'ENOENT') return;
    if (code === 'EISDIR' || code === 'EPERM') return rmdirOrChildren(path, o, e);
    throw e;
  }
}

async function rmdirOrChildren(path: Buffer, o: Required<RmDirOptions>, originalErr: unknown): Promise<void> {
  try {
    await new UnlinkatOp(defaultRing(), toKernelPath(path), 'rmdir').promise();
  } catch (e) {
    const code = (e as RingError).code;
    if (NOT_EMPTY_CODES.has(code)) return rmChildren(path, o);
    if (code === 'ENOTDIR') {
      if (originalErr !== undefined) throw originalErr;
      return;
    }
    throw e;
  }
}

async function rmChildren(path: Buffer, o: Required<RmDirOptions>): Promise<void> {
  const names = await (await nodeFs()).readdir(path, { encoding: 'buffer' });
  const prefix = Buffer.concat([path, Buffer.from(sep)]);
  // All entries at once, as Node's rimraf: the ring takes them in one submission.
  const results = await Promise.allSettled(names.map((n) => rimraf(Buffer.concat([prefix, n]), o)));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  await new UnlinkatOp(defaultRing(), toKernelPath(path), 'rmdir').promise();
}

/**
 * rename(oldPath, newPath).
 * @param oldPath  the current name
 * @param newPath  the new name (replaced if it exists)
 * @returns a Promise that resolves once renamed (IORING_OP_RENAMEAT)
 * @throws ENOENT, EXDEV, EISDIR ... shaped as node:fs/promises' (code, errno, syscall, path)
 * @example
 * ```ts
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { mkdtemp, rename, rm, writeFile } from 'ringcore/fs';
 *
 * const dir = await mkdtemp(join(tmpdir(), 'ringcore-'));
 * await writeFile(join(dir, 'old'), 'x');
 * await rename(join(dir, 'old'), join(dir, 'new'));
 * await rm(dir, { recursive: true });
 * ```
 */
export async function rename(oldPath: PathLike, newPath: PathLike): Promise<void> {
  const refused = viaNodeIfRefused('rename', arguments); // io_uring refused here: Node's (fallback.ts)
  if (refused !== undefined) return refused;
  await new RenameatOp(defaultRing(), toKernelPath(oldPath, 'oldPath'), toKernelPath(newPath, 'newPath')).promise();
}

export interface MkdirOptions {
  recursive?: boolean;
  mode?: number | string;
}

/**
 * mkdir(path, { recursive, mode }).  With `recursive`, resolves with the first
 * directory it created (undefined if the path already was a directory), as Node does.
 * @param path     the directory to make
 * @param options  `recursive` (make parents; resolves with the first directory made), `mode`
 *                 (default 0o777); or a mode
 * @returns a Promise: undefined, or with `recursive` the first directory created (if any)
 * @throws EEXIST (not with `recursive`), ENOENT, ENOTDIR ... shaped as node:fs/promises' (code, errno, syscall, path)
 * @example
 * ```ts
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { mkdir, mkdtemp, rm } from 'ringcore/fs';
 *
 * const dir = await mkdtemp(join(tmpdir(), 'ringcore-'));
 * console.log(await mkdir(join(dir, 'a', 'b'), { recursive: true }) === join(dir, 'a')); // true
 * await rm(dir, { recursive: true });
 * ```
 */
export async function mkdir(path: PathLike, options: MkdirOptions & { recursive: true }): Promise<string | undefined>;
export async function mkdir(path: PathLike, options?: number | string | (MkdirOptions & { recursive?: false }) | null): Promise<void>;
export async function mkdir(path: PathLike, options?: MkdirOptions | number | string | null): Promise<string | undefined>;
export async function mkdir(path: PathLike, options?: MkdirOptions | number | string | null): Promise<string | undefined | void> {
  const refused = viaNodeIfRefused('mkdir', arguments); // io_uring refused here: Node's (fallback.ts)
  if (refused !== undefined) return refused;
  const o: MkdirOptions = typeof options === 'number' || typeof options === 'string' ? { mode: options } : options || {};
  const recursive = o.recursive === undefined ? false : o.recursive;
  // Node's order: the path, then recursive (a boolean, nothing else), then the mode.
  const p = toKernelPath(path);
  checkBoolean(recursive, 'options.recursive');
  const mode = toMode(o.mode, 'mode', 0o777);
  const ring = defaultRing();
  if (!recursive) {
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
      const st = await stat(path).catch(() => undefined);
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

/**
 * truncate(path, len = 0).
 * @param path  the file
 * @param len   the new length (default 0)
 * @returns a Promise that resolves once truncated (OPENAT + FTRUNCATE, kernel 6.9+)
 * @throws ENOENT, EISDIR ... shaped as node:fs/promises' (code, errno, syscall, path)
 * @example
 * ```ts
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { mkdtemp, rm, stat, truncate, writeFile } from 'ringcore/fs';
 *
 * const dir = await mkdtemp(join(tmpdir(), 'ringcore-'));
 * await writeFile(join(dir, 't'), 'abcdef');
 * await truncate(join(dir, 't'), 2);
 * console.log((await stat(join(dir, 't'))).size); // 2
 * await rm(dir, { recursive: true });
 * ```
 */
export async function truncate(path: PathLike, len = 0): Promise<void> {
  const refused = viaNodeIfRefused('truncate', arguments); // io_uring refused here: Node's (fallback.ts)
  if (refused !== undefined) return refused;
  checkInteger(len, 'len', Number.MIN_SAFE_INTEGER);
  const ring = defaultRing();
  const fd = await new OpenatOp(ring, toKernelPath(path), C.O_WRONLY, 0).promise();
  try {
    await new FtruncateOp(ring, fd, Math.max(0, len)).promise();
  } finally {
    await new CloseOp(ring, fd).promise();
  }
}

/**
 * symlink(target, path, type?): IORING_OP_SYMLINKAT.  `type` matters on Windows only;
 * here it is checked as the running Node checks it — Node 24: first, one of 'dir',
 * 'file', 'junction', null, undefined (ERR_INVALID_ARG_VALUE); Node 20/22: after the
 * paths, 'dir', 'file', 'junction' or not a string (SYMLINK_TYPE_ONE_OF, node-line.ts).
 * @param target  what the link points to (stored as given)
 * @param path    the link to create
 * @param type    'file', 'dir', 'junction' or null (only Windows reads it)
 * @returns a Promise that resolves once created (IORING_OP_SYMLINKAT)
 * @throws EEXIST, ENOENT ... shaped as node:fs/promises' (code, errno, syscall, path)
 * @example
 * ```ts
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { mkdtemp, rm, symlink } from 'ringcore/fs';
 *
 * const dir = await mkdtemp(join(tmpdir(), 'ringcore-'));
 * await symlink('/etc/hostname', join(dir, 'hostname'));
 * await rm(dir, { recursive: true });
 * ```
 */
export async function symlink(target: PathLike, path: PathLike, type?: string | null): Promise<void> {
  const refused = viaNodeIfRefused('symlink', arguments); // io_uring refused here: Node's (fallback.ts)
  if (refused !== undefined) return refused;
  if (SYMLINK_TYPE_ONE_OF && !(type === undefined || type === null || type === 'dir' || type === 'file' || type === 'junction')) {
    throw invalidArgValue('type', type, "must be one of: 'dir', 'file', 'junction', null, undefined");
  }
  const t = toKernelPath(target, 'target');
  const p = toKernelPath(path);
  if (typeof type === 'string' && type !== 'dir' && type !== 'file' && type !== 'junction') {
    throw codedError(Error, 'ERR_FS_INVALID_SYMLINK_TYPE', `Symlink type must be one of "dir", "file", or "junction". Received "${type}"`);
  }
  await new SymlinkatOp(defaultRing(), t, p).promise();
}

/**
 * link(existingPath, newPath): IORING_OP_LINKAT.
 * @param existingPath  the file
 * @param newPath       the new hard link
 * @returns a Promise that resolves once created (IORING_OP_LINKAT)
 * @throws EEXIST, ENOENT, EXDEV ... shaped as node:fs/promises' (code, errno, syscall, path)
 * @example
 * ```ts
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { link, mkdtemp, rm, stat, writeFile } from 'ringcore/fs';
 *
 * const dir = await mkdtemp(join(tmpdir(), 'ringcore-'));
 * await writeFile(join(dir, 'a'), 'x');
 * await link(join(dir, 'a'), join(dir, 'b'));
 * console.log((await stat(join(dir, 'a'))).nlink); // 2
 * await rm(dir, { recursive: true });
 * ```
 */
export async function link(existingPath: PathLike, newPath: PathLike): Promise<void> {
  const refused = viaNodeIfRefused('link', arguments); // io_uring refused here: Node's (fallback.ts)
  if (refused !== undefined) return refused;
  await new LinkatOp(defaultRing(), toKernelPath(existingPath, 'existingPath'), toKernelPath(newPath, 'newPath')).promise();
}

/** glibc mkdtemp's alphabet for the six random characters. */
const TEMP_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
let randomFill: ((b: Uint8Array) => Uint8Array) | undefined;
let templateWarned = false;

/**
 * mkdtemp(prefix, options?): as libuv's (glibc mkdtemp(3)): prefix + six random
 * characters, created with IORING_OP_MKDIRAT mode 0o700; a name that exists already
 * (EEXIST) is retried with new characters.  Resolves with the path in
 * `options.encoding` ('buffer': a Buffer).  Errors as Node's: syscall 'mkdtemp', the
 * path tried.
 * @param prefix   the path prefix; six random characters are appended
 * @param options  `encoding` of the result (or an encoding name; 'buffer' for a Buffer)
 * @returns a Promise of the new directory's path (made with mode 0o700)
 * @throws ENOENT (the prefix's directory is missing), EACCES ... shaped as node:fs/promises' (code, errno, syscall, path)
 * @example
 * ```ts
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { mkdtemp, rm } from 'ringcore/fs';
 *
 * const dir = await mkdtemp(join(tmpdir(), 'ringcore-'));
 * console.log(dir.startsWith(join(tmpdir(), 'ringcore-'))); // true
 * await rm(dir, { recursive: true });
 * ```
 */
export async function mkdtemp(prefix: PathLike, options?: BufferEncoding | { encoding?: BufferEncoding | null } | null): Promise<string>;
export async function mkdtemp(prefix: PathLike, options: 'buffer' | { encoding: 'buffer' }): Promise<Buffer>;
export async function mkdtemp(prefix: PathLike, options?: BufferEncoding | 'buffer' | { encoding?: BufferEncoding | 'buffer' | null } | null): Promise<string | Buffer>;
export async function mkdtemp(prefix: PathLike, options?: BufferEncoding | 'buffer' | { encoding?: BufferEncoding | 'buffer' | null } | null): Promise<string | Buffer> {
  const refused = viaNodeIfRefused('mkdtemp', arguments); // io_uring refused here: Node's (fallback.ts)
  if (refused !== undefined) return refused;
  const o = typeof options === 'function' ? {} : optionsObject<{ encoding: string }>(options);
  const enc = checkEncoding(o.encoding ?? 'utf8');
  const p = toKernelPath(prefix, 'prefix');
  const base = p.bytes.subarray(0, -1);
  if (!templateWarned && base[base.length - 1] === 0x58) { // 'X'
    templateWarned = true;
    process.emitWarning('mkdtemp() templates ending with X are not portable. For details see: https://nodejs.org/api/fs.html');
  }
  randomFill ??= (createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto')).randomFillSync;
  const ring = defaultRing();
  const bytes = Buffer.allocUnsafe(base.length + 7);
  base.copy(bytes);
  bytes[base.length + 6] = 0;
  const rnd = new Uint8Array(6);
  for (let attempt = 0; ; attempt++) {
    randomFill(rnd);
    for (let i = 0; i < 6; i++) bytes[base.length + i] = TEMP_CHARS.charCodeAt(rnd[i] % TEMP_CHARS.length);
    const name = bytes.subarray(0, -1);
    try {
      await new MkdiratOp(ring, { bytes, display: name.toString() }, 0o700).promise();
      return enc === null ? Buffer.from(name) : name.toString(enc);
    } catch (e) {
      const err = e as RingError;
      if (err.code === 'EEXIST' && attempt < 100) continue;
      throw typeof err.errno === 'number' ? errnoError(err.errno, 'mkdtemp', name.toString()) : e;
    }
  }
}

/** What mkdtempDisposable resolves with: the directory, and how to remove it (`await using`). */
export interface DisposableTempDir extends AsyncDisposable {
  path: string;
  remove(): Promise<void>;
}
export type MkdtempDisposable =
  (prefix: PathLike, options?: BufferEncoding | { encoding?: BufferEncoding | null } | null) => Promise<DisposableTempDir>;

/**
 * mkdtempDisposable(prefix, options?) — where the running Node has it (Node 24.4+,
 * HAS_MKDTEMP_DISPOSABLE in node-line.ts; undefined before, as Node's): mkdtemp, and
 * `{ path, remove(), [Symbol.asyncDispose]() }`, whose remove() is Node's rimraf
 * (recursive, no retries; on the ring) of the path resolved against the working
 * directory of the call.
 */
export const mkdtempDisposable: MkdtempDisposable | undefined = HAS_MKDTEMP_DISPOSABLE ? ({
  async mkdtempDisposable(prefix: PathLike, options?: unknown): Promise<DisposableTempDir> {
    const refused = viaNodeIfRefused('mkdtempDisposable', arguments); // io_uring refused here: Node's (fallback.ts)
    if (refused !== undefined) return refused;
    const cwd = process.cwd();
    const path = await mkdtemp(prefix, options as never) as unknown as string;
    // Stashed in case of process.chdir(); a Buffer path ('buffer' encoding) makes
    // resolve() throw here, after the directory was made — as Node's.
    const fullPath = resolve(cwd, path);
    const remove = async (): Promise<void> => {
      await rimraf(Buffer.from(fullPath), { maxRetries: 0, recursive: true, retryDelay: 0 });
    };
    return {
      __proto__: null,
      path,
      remove,
      async [Symbol.asyncDispose]() {
        await remove();
      },
    } as unknown as DisposableTempDir;
  },
}).mkdtempDisposable : undefined;

export interface CopyOptions {
  dereference?: boolean;
  errorOnExist?: boolean;
  filter?: (source: string, destination: string) => boolean | Promise<boolean>;
  force?: boolean;
  mode?: number;
  preserveTimestamps?: boolean;
  recursive?: boolean;
  verbatimSymlinks?: boolean;
}
type CpOpts = Required<Omit<CopyOptions, 'filter'>> & Pick<CopyOptions, 'filter'>;

/** Node's validateCpOptions. */
function cpOptions(options: unknown): CpOpts {
  const defaults: CpOpts = { dereference: false, errorOnExist: false, filter: undefined, force: true, mode: 0,
                             preserveTimestamps: false, recursive: false, verbatimSymlinks: false };
  if (options === undefined) return defaults;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw invalidArgType('options', 'of type object', options);
  }
  const o = { ...defaults, ...options } as CpOpts;
  checkBoolean(o.dereference, 'options.dereference');
  checkBoolean(o.errorOnExist, 'options.errorOnExist');
  checkBoolean(o.force, 'options.force');
  checkBoolean(o.preserveTimestamps, 'options.preserveTimestamps');
  checkBoolean(o.recursive, 'options.recursive');
  checkBoolean(o.verbatimSymlinks, 'options.verbatimSymlinks');
  o.mode = o.mode === undefined || o.mode === null ? 0 : checkInteger(o.mode, 'mode', 0, 7);
  if (o.dereference && o.verbatimSymlinks) {
    throw codedError(TypeError, 'ERR_INCOMPATIBLE_OPTION_PAIR', 'Option "dereference" cannot be used in combination with option "verbatimSymlinks"');
  }
  if (o.filter !== undefined && typeof o.filter !== 'function') throw invalidArgType('options.filter', 'of type function', o.filter);
  return o;
}

/** The error Node's cp raises for what no syscall reports (a SystemError, errno positive). */
function cpError(key: string, prefix: string, code: string, errno: number, message: string, path: string): Error {
  const ctx: SystemErrorContext = { message, path, syscall: 'cp', errno, code };
  return systemError(key, prefix, ctx);
}
/** Node's cp errors carry a positive errno (a SystemError's), unlike the ring's. */
const CP_EINVAL = -EINVAL;

/**
 * cp(src, dest, options): Node's fs.cp algorithm (internal/fs/cp/cp.js), step for
 * step, on ringcore/fs: stat/lstat, mkdir, copyFile (its read/write loop through the
 * ring), symlink, unlink on the ring; directory listing (opendir), readlink, chmod and
 * utimes (preserveTimestamps) through node:fs/promises — no opcode for them.  All of
 * Node's options: recursive, force, errorOnExist, filter (may be async), dereference,
 * preserveTimestamps, verbatimSymlinks, mode (copyFile's flags); the same errors
 * (ERR_FS_CP_*, ERR_FS_EISDIR).  Paths: strings and file: URLs (a Buffer path is taken
 * as its UTF-8 string; Node's cp fails on one).
 * @param src      file or directory to copy
 * @param dest     where to
 * @param options  node:fs's cp options (`recursive`, `force`, `errorOnExist`, `filter`,
 *                 `preserveTimestamps`, ...)
 * @returns a Promise that resolves once everything is copied
 * @throws ERR_FS_EISDIR, ERR_FS_CP_EEXIST ... as Node's cp
 * @example
 * ```ts
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { cp, mkdir, mkdtemp, rm, writeFile } from 'ringcore/fs';
 *
 * const dir = await mkdtemp(join(tmpdir(), 'ringcore-'));
 * await mkdir(join(dir, 'src', 'sub'), { recursive: true });
 * await writeFile(join(dir, 'src', 'sub', 'f'), 'x');
 * await cp(join(dir, 'src'), join(dir, 'dst'), { recursive: true });
 * await rm(dir, { recursive: true });
 * ```
 */
export async function cp(src: string | URL | Buffer, dest: string | URL | Buffer, options?: CopyOptions): Promise<void> {
  const refused = viaNodeIfRefused('cp', arguments); // io_uring refused here: Node's (fallback.ts)
  if (refused !== undefined) return refused;
  const opts = cpOptions(options);
  const s = toKernelPath(src, 'src').display;
  const d = toKernelPath(dest, 'dest').display;
  const checked = await cpCheckPaths(s, d, opts);
  if (checked === undefined) return;
  await cpCheckParentPaths(s, checked.srcStat, d);
  // checkParentDir: dest's parent made if missing.
  const parent = dirname(d);
  const exists = await stat(parent).then(() => true, (e: RingError) => (e.code === 'ENOENT' ? false : Promise.reject(e)));
  if (!exists) await mkdir(parent, { recursive: true });
  return cpStatsForCopy(checked.destStat, s, d, opts);
}

function identical(a: BigIntStats, b: BigIntStats): boolean {
  return b.ino !== 0n && b.dev !== 0n && b.ino === a.ino && b.dev === a.dev;
}

function pathParts(p: string): string[] {
  return resolve(p).split(sep).filter(Boolean);
}

function isSubdir(src: string, dest: string): boolean {
  const d = pathParts(dest);
  return pathParts(src).every((cur, i) => d[i] === cur);
}

async function cpCheckPaths(src: string, dest: string, opts: CpOpts):
    Promise<{ srcStat: BigIntStats; destStat: BigIntStats | null } | undefined> {
  if (opts.filter && !(await opts.filter(src, dest))) return undefined;
  const statFn = opts.dereference ? (f: string) => stat(f, { bigint: true }) : (f: string) => lstat(f, { bigint: true });
  const [srcStat, destStat] = await Promise.all([
    statFn(src),
    statFn(dest).catch((e: RingError) => {
      if (e.code === 'ENOENT') return null;
      throw e;
    }),
  ]);
  if (destStat) {
    if (identical(srcStat, destStat)) {
      throw cpError('ERR_FS_CP_EINVAL', 'Invalid src or dest', 'EINVAL', CP_EINVAL, 'src and dest cannot be the same', dest);
    }
    if (srcStat.isDirectory() && !destStat.isDirectory()) {
      throw cpError('ERR_FS_CP_DIR_TO_NON_DIR', 'Cannot overwrite non-directory with directory', 'EISDIR', 21,
                    `cannot overwrite non-directory ${dest} with directory ${src}`, dest);
    }
    if (!srcStat.isDirectory() && destStat.isDirectory()) {
      throw cpError('ERR_FS_CP_NON_DIR_TO_DIR', 'Cannot overwrite directory with non-directory', 'ENOTDIR', 20,
                    `cannot overwrite directory ${dest} with non-directory ${src}`, dest);
    }
  }
  if (srcStat.isDirectory() && isSubdir(src, dest)) {
    throw cpError('ERR_FS_CP_EINVAL', 'Invalid src or dest', 'EINVAL', CP_EINVAL, `cannot copy ${src} to a subdirectory of self ${dest}`, dest);
  }
  return { srcStat, destStat };
}

async function cpCheckParentPaths(src: string, srcStat: BigIntStats, dest: string): Promise<void> {
  const srcParent = resolve(dirname(src));
  const destParent = resolve(dirname(dest));
  if (destParent === srcParent || destParent === parse(destParent).root) return;
  let destStat: BigIntStats;
  try {
    destStat = await stat(destParent, { bigint: true });
  } catch (e) {
    if ((e as RingError).code === 'ENOENT') return;
    throw e;
  }
  if (identical(srcStat, destStat)) {
    throw cpError('ERR_FS_CP_EINVAL', 'Invalid src or dest', 'EINVAL', CP_EINVAL, `cannot copy ${src} to a subdirectory of self ${dest}`, dest);
  }
  return cpCheckParentPaths(src, srcStat, destParent);
}

async function cpStatsForCopy(destStat: BigIntStats | null, src: string, dest: string, opts: CpOpts): Promise<void> {
  const srcStat = opts.dereference ? await stat(src) : await lstat(src);
  if (srcStat.isDirectory() && opts.recursive) {
    // onDir / mkDirAndCopy
    if (!destStat) {
      await mkdir(dest);
      await cpDir(src, dest, opts);
      if (CP_NODE24 && opts.preserveTimestamps) await cpTimestamps(src, dest);
      return (await nodeFs()).chmod(dest, srcStat.mode);
    }
    // Node 22+: an existing directory is itself "already exists" (Node 20 went on into it).
    if (CP_DIR_ERROR_ON_EXIST && opts.errorOnExist && !opts.force) {
      throw cpError('ERR_FS_CP_EEXIST', 'Target already exists', 'EEXIST', 17, `${dest} already exists`, dest);
    }
    await cpDir(src, dest, opts);
    if (CP_NODE24 && opts.preserveTimestamps) await cpTimestamps(src, dest);
    return;
  } else if (srcStat.isDirectory()) {
    throw cpError('ERR_FS_EISDIR', 'Path is a directory', 'EISDIR', 21, `${src} is a directory (not copied)`, src);
  } else if (srcStat.isFile() || srcStat.isCharacterDevice() || srcStat.isBlockDevice()) {
    if (!destStat) return cpFile(srcStat, src, dest, opts);
    if (opts.force) {
      await unlink(dest);
      return cpFile(srcStat, src, dest, opts);
    } else if (opts.errorOnExist) {
      throw cpError('ERR_FS_CP_EEXIST', 'Target already exists', 'EEXIST', 17, `${dest} already exists`, dest);
    }
    return;
  } else if (srcStat.isSymbolicLink()) {
    return cpLink(destStat, src, dest, opts);
  } else if (srcStat.isSocket()) {
    throw cpError('ERR_FS_CP_SOCKET', 'Cannot copy a socket file', 'EINVAL', CP_EINVAL, `cannot copy a socket file: ${dest}`, dest);
  } else if (srcStat.isFIFO()) {
    throw cpError('ERR_FS_CP_FIFO_PIPE', 'Cannot copy a FIFO pipe', 'EINVAL', CP_EINVAL, `cannot copy a FIFO pipe: ${dest}`, dest);
  }
  throw cpError('ERR_FS_CP_UNKNOWN', 'Cannot copy an unknown file type', 'EINVAL', CP_EINVAL, `cannot copy an unknown file type: ${dest}`, dest);
}

async function cpFile(srcStat: Stats, src: string, dest: string, opts: CpOpts): Promise<void> {
  await copyFile(src, dest, opts.mode);
  const node = await nodeFs();
  if (opts.preserveTimestamps) {
    if ((srcStat.mode & 0o200) === 0) await node.chmod(dest, srcStat.mode | 0o200); // writable for utimes
    await cpTimestamps(src, dest);
  }
  return node.chmod(dest, srcStat.mode);
}

/** setDestTimestamps: src's atime and mtime now (reading it moved its atime), onto dest. */
async function cpTimestamps(src: string, dest: string): Promise<void> {
  const updated = await stat(src);
  await (await nodeFs()).utimes(dest, updated.atime, updated.mtime);
}

async function cpDir(src: string, dest: string, opts: CpOpts): Promise<void> {
  const dir = await (await nodeFs()).opendir(src);
  for await (const { name } of dir) {
    const srcItem = join(src, name);
    const destItem = join(dest, name);
    const checked = await cpCheckPaths(srcItem, destItem, opts);
    if (checked !== undefined) await cpStatsForCopy(checked.destStat, srcItem, destItem, opts);
  }
}

async function cpLink(destStat: BigIntStats | null, src: string, dest: string, opts: CpOpts): Promise<void> {
  const node = await nodeFs();
  let resolvedSrc = await node.readlink(src);
  if (!opts.verbatimSymlinks && !isAbsolute(resolvedSrc)) resolvedSrc = resolve(dirname(src), resolvedSrc);
  if (!destStat) return symlink(resolvedSrc, dest);
  let resolvedDest: string;
  try {
    resolvedDest = await node.readlink(dest);
  } catch (e) {
    const code = (e as RingError).code;
    if (code === 'EINVAL' || code === 'UNKNOWN') return symlink(resolvedSrc, dest);
    throw e;
  }
  if (!isAbsolute(resolvedDest)) resolvedDest = resolve(dirname(dest), resolvedDest);
  // Node 24 refuses this only when src (followed) is a directory (internalModuleStat).
  const refuse = CP_NODE24 ? await stat(src).then((st) => st.isDirectory(), () => false) : true;
  if (refuse && isSubdir(resolvedSrc, resolvedDest)) {
    throw cpError('ERR_FS_CP_EINVAL', 'Invalid src or dest', 'EINVAL', CP_EINVAL,
                  `cannot copy ${resolvedSrc} to a subdirectory of self ${resolvedDest}`, dest);
  }
  const srcStat = await stat(src);
  if (srcStat.isDirectory() && isSubdir(resolvedDest, resolvedSrc)) {
    throw cpError('ERR_FS_CP_SYMLINK_TO_SUBDIRECTORY', 'Cannot overwrite symlink in subdirectory of self', 'EINVAL', CP_EINVAL,
                  `cannot overwrite ${resolvedDest} with ${resolvedSrc}`, dest);
  }
  await unlink(dest);
  return symlink(resolvedSrc, dest);
}

/**
 * The default export, as node:fs/promises has one (`import fsp from 'node:fs/promises'`):
 * an object with every function above.
 */
export default {
  access, appendFile, chmod, chown, constants, copyFile, cp, lchmod, lchown, link, lstat, lutimes, mkdir, mkdtemp, open,
  opendir, readFile, readdir, readlink, realpath, rename, rm, rmdir, stat, statfs, symlink, truncate, unlink, utimes,
  watch, writeFile,
  // Only where the running Node has them, as Node's default export.
  ...(glob === undefined ? {} : { glob }),
  ...(mkdtempDisposable === undefined ? {} : { mkdtempDisposable }),
};
