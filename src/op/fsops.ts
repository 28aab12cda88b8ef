/**
 * The filesystem requests: OPENAT, STATX, FSYNC, FTRUNCATE, UNLINKAT, RENAMEAT,
 * MKDIRAT, SYMLINKAT, LINKAT, and READ/WRITE at a 64-bit offset.  Paths are NUL-terminated byte strings the kernel reads from our memory
 * (so each op keeps its path buffer until the terminal CQE), resolved relative to a
 * directory fd — AT_FDCWD for the process's working directory, as Node does.
 *
 * These are the op layer: they take already-validated numbers and path bytes.
 * `src/fs/` shapes them like `node:fs/promises`.
 *
 * May touch: sys/sqe.ts (to encode), op/buffers.ts (addresses, scratch).
 */
import { AT_FDCWD, Opcode } from '../sys/constants.js';
import { prep, setOpFlags, SQE_WORDS, W } from '../sys/sqe.js';
import { Op, returnsFd, type Submitter } from './op.js';
import { addressOf, scratch } from './buffers.js';
import { errnoError } from './errors.js';
import { closeQuietly, RwOp, type OpOptions } from './io.js';

/** A path as the kernel reads it (bytes + NUL) and as errors print it. */
export interface KernelPath {
  bytes: Buffer;
  display: string;
}

/** open(2) O_* flags (x86-64 values, the same as `fs.constants`). */
export const O = {
  RDONLY: 0, WRONLY: 1, RDWR: 2, CREAT: 0o100, EXCL: 0o200, NOCTTY: 0o400, TRUNC: 0o1000,
  APPEND: 0o2000, NONBLOCK: 0o4000, DSYNC: 0o10000, DIRECT: 0o40000, DIRECTORY: 0o200000,
  NOFOLLOW: 0o400000, NOATIME: 0o1000000, CLOEXEC: 0o2000000, SYNC: 0o4010000,
} as const;

/** `AT_*` flags for the *at() family. */
export const AT = { SYMLINK_NOFOLLOW: 0x100, REMOVEDIR: 0x200, EMPTY_PATH: 0x1000, STATX_SYNC_AS_STAT: 0 } as const;

/** IORING_FSYNC_DATASYNC in fsync_flags. */
const FSYNC_DATASYNC = 1;

/**
 * IORING_OP_OPENAT: openat(2).  Resolves with the new fd.  O_CLOEXEC is always added,
 * as Node does.  If the open completes after its awaiter aborted, the fd is closed
 * (through the ring) rather than leaked.
 */
export class OpenatOp extends Op<number> {
  constructor(ring: Submitter, readonly path: KernelPath, readonly flags: number, readonly mode: number,
              opts?: OpOptions, readonly dirfd = AT_FDCWD) {
    super(ring, opts?.signal);
  }
  get syscall(): string { return 'open'; }
  prepare(sqes: Uint32Array, index: number): void {
    // len carries the mode; open_flags (the op-flags word) the O_* flags.
    prep(sqes, index, Opcode.OPENAT, this.dirfd, addressOf(this.path.bytes), this.mode, 0);
    setOpFlags(sqes, index, this.flags | O.CLOEXEC);
  }
  value(res: number): number { return res; }
  override error(res: number): Error { return errnoError(res, 'open', this.path.display); }
  override consume(fd: number): void {
    closeQuietly(this.ring, fd);
  }
}
returnsFd(OpenatOp);

/** statx(2) mask bits. */
export const STATX = { BASIC_STATS: 0x7ff, BTIME: 0x800 } as const;
/** sizeof(struct statx). */
export const STATX_SIZE = 256;

/**
 * IORING_OP_STATX: statx(2) of `path` relative to `dirfd` — or of `dirfd` itself with
 * an empty path and AT_EMPTY_PATH (that is fstat).  Resolves with the 256-byte
 * struct statx the kernel filled in.
 */
export class StatxOp extends Op<Buffer> {
  private readonly buf = scratch(STATX_SIZE);
  constructor(ring: Submitter, readonly path: KernelPath, readonly atFlags: number, opts?: OpOptions,
              readonly dirfd = AT_FDCWD, private readonly syscallName = 'stat') {
    super(ring, opts?.signal);
  }
  get syscall(): string { return this.syscallName; }
  prepare(sqes: Uint32Array, index: number): void {
    // addr = path, len = the fields wanted (mask), off (addr2) = where to write.
    prep(sqes, index, Opcode.STATX, this.dirfd, addressOf(this.path.bytes), STATX.BASIC_STATS | STATX.BTIME,
         addressOf(this.buf));
    setOpFlags(sqes, index, this.atFlags);
  }
  value(): Buffer { return this.buf; }
  override error(res: number): Error {
    return errnoError(res, this.syscallName, this.path.display === '' ? undefined : this.path.display);
  }
}

/** posix_fadvise(2) advice (linux/fadvise.h). */
export const FADV = { NORMAL: 0, RANDOM: 1, SEQUENTIAL: 2, WILLNEED: 3, DONTNEED: 4, NOREUSE: 5 } as const;

/**
 * IORING_OP_FADVISE (5.6): posix_fadvise(2) on `length` bytes at `offset` (length 0:
 * to the end of the file) — e.g. DONTNEED drops the range's clean pages from the
 * page cache (how the cold-cache benchmark makes reads miss).
 */
export class FadviseOp extends Op<void> {
  constructor(ring: Submitter, readonly fd: number, readonly offset: number, readonly length: number,
              readonly advice: number, opts?: OpOptions) {
    super(ring, opts?.signal);
  }
  get syscall(): string { return 'fadvise'; }
  prepare(sqes: Uint32Array, index: number): void {
    prep(sqes, index, Opcode.FADVISE, this.fd, 0, this.length, this.offset);
    setOpFlags(sqes, index, this.advice);
  }
  value(): void {}
}

/** IORING_OP_FSYNC: fsync(2), or fdatasync(2) with `datasync`. */
export class FsyncOp extends Op<void> {
  constructor(ring: Submitter, readonly fd: number, readonly datasync: boolean, opts?: OpOptions) {
    super(ring, opts?.signal);
  }
  get syscall(): string { return this.datasync ? 'fdatasync' : 'fsync'; }
  prepare(sqes: Uint32Array, index: number): void {
    prep(sqes, index, Opcode.FSYNC, this.fd, 0, 0, 0);
    if (this.datasync) setOpFlags(sqes, index, FSYNC_DATASYNC);
  }
  value(): void {}
}

/** IORING_OP_FTRUNCATE (6.9): ftruncate(2) to `length` (in `off`). */
export class FtruncateOp extends Op<void> {
  constructor(ring: Submitter, readonly fd: number, readonly length: number, opts?: OpOptions) {
    super(ring, opts?.signal);
  }
  get syscall(): string { return 'ftruncate'; }
  prepare(sqes: Uint32Array, index: number): void {
    prep(sqes, index, Opcode.FTRUNCATE, this.fd, 0, 0, this.length);
  }
  value(): void {}
}

/** IORING_OP_UNLINKAT: unlink(2), or rmdir(2) with AT_REMOVEDIR. */
export class UnlinkatOp extends Op<void> {
  constructor(ring: Submitter, readonly path: KernelPath, readonly removeDir: boolean, opts?: OpOptions) {
    super(ring, opts?.signal);
  }
  get syscall(): string { return this.removeDir ? 'rmdir' : 'unlink'; }
  prepare(sqes: Uint32Array, index: number): void {
    prep(sqes, index, Opcode.UNLINKAT, AT_FDCWD, addressOf(this.path.bytes), 0, 0);
    if (this.removeDir) setOpFlags(sqes, index, AT.REMOVEDIR);
  }
  value(): void {}
  override error(res: number): Error { return errnoError(res, this.syscall, this.path.display); }
}

/** IORING_OP_RENAMEAT: rename(2). */
export class RenameatOp extends Op<void> {
  constructor(ring: Submitter, readonly from: KernelPath, readonly to: KernelPath, opts?: OpOptions) {
    super(ring, opts?.signal);
  }
  get syscall(): string { return 'rename'; }
  prepare(sqes: Uint32Array, index: number): void {
    // fd = old dirfd, addr = old path, len = new dirfd, off (addr2) = new path.
    prep(sqes, index, Opcode.RENAMEAT, AT_FDCWD, addressOf(this.from.bytes), AT_FDCWD >>> 0, addressOf(this.to.bytes));
  }
  value(): void {}
  override error(res: number): Error { return errnoError(res, 'rename', this.from.display, this.to.display); }
}

/** IORING_OP_MKDIRAT: mkdir(2) with `mode` (in len). */
export class MkdiratOp extends Op<void> {
  constructor(ring: Submitter, readonly path: KernelPath, readonly mode: number, opts?: OpOptions) {
    super(ring, opts?.signal);
  }
  get syscall(): string { return 'mkdir'; }
  prepare(sqes: Uint32Array, index: number): void {
    prep(sqes, index, Opcode.MKDIRAT, AT_FDCWD, addressOf(this.path.bytes), this.mode, 0);
  }
  value(): void {}
  override error(res: number): Error { return errnoError(res, 'mkdir', this.path.display); }
}

/**
 * IORING_OP_SYMLINKAT (5.15): symlinkat(2) — a link at `path` whose contents are
 * `target` (not resolved: any bytes).  liburing's io_uring_prep_symlinkat: fd = the
 * new link's dirfd, addr = target, off (addr2) = linkpath, len 0.  Errors name both,
 * as Node's: "EEXIST: file already exists, symlink 'target' -> 'path'".
 */
export class SymlinkatOp extends Op<void> {
  constructor(ring: Submitter, readonly target: KernelPath, readonly path: KernelPath, opts?: OpOptions) {
    super(ring, opts?.signal);
  }
  get syscall(): string { return 'symlink'; }
  prepare(sqes: Uint32Array, index: number): void {
    prep(sqes, index, Opcode.SYMLINKAT, AT_FDCWD, addressOf(this.target.bytes), 0, addressOf(this.path.bytes));
  }
  value(): void {}
  override error(res: number): Error { return errnoError(res, 'symlink', this.target.display, this.path.display); }
}

/**
 * IORING_OP_LINKAT (5.15): linkat(2), a hard link `to` naming the file `from` names.
 * io_uring_prep_linkat: fd = old dirfd, addr = oldpath, len = new dirfd, off (addr2) =
 * newpath, hardlink_flags (the op-flags word) = AT_* — 0 here: like link(2) on Linux,
 * a symlink `from` is linked itself, not followed (what libuv's uv_fs_link does).
 */
export class LinkatOp extends Op<void> {
  constructor(ring: Submitter, readonly from: KernelPath, readonly to: KernelPath, opts?: OpOptions) {
    super(ring, opts?.signal);
  }
  get syscall(): string { return 'link'; }
  prepare(sqes: Uint32Array, index: number): void {
    prep(sqes, index, Opcode.LINKAT, AT_FDCWD, addressOf(this.from.bytes), AT_FDCWD >>> 0, addressOf(this.to.bytes));
  }
  value(): void {}
  override error(res: number): Error { return errnoError(res, 'link', this.from.display, this.to.display); }
}

/**
 * IORING_OP_READ / WRITE at an offset past 2^53 (a bigint position up to 2^63-1, as
 * Node documents): the same request as RwOp, with `off` written from the bigint's two
 * words — a Number cannot carry such an offset exactly.  The kernel answers a read
 * past s_maxbytes with 0 (end of file) and a write there with EFBIG.
 */
export class RwAtOp<T = number> extends RwOp<T> {
  constructor(ring: Submitter, opcode: number, fd: number, buffer: ArrayBufferView, offset: number, length: number,
              readonly bigPosition: bigint, signal: AbortSignal | undefined, map: ((n: number, op: RwOp<T>) => T) | undefined) {
    super(ring, opcode, fd, buffer, offset, length, 0, signal, map);
  }
  override prepare(sqes: Uint32Array, index: number): void {
    super.prepare(sqes, index);
    const b = index * SQE_WORDS;
    sqes[b + W.OFF_LO] = Number(this.bigPosition & 0xffffffffn);
    sqes[b + W.OFF_HI] = Number((this.bigPosition >> 32n) & 0xffffffffn);
  }
}
