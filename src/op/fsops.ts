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
import { AT_FDCWD, OPEN_HOW_SIZE, Opcode } from '../sys/constants.js';
import { prep, setOffWords, setOpFlags } from '../sys/sqe.js';
import { Op, returnsFd, type Submitter } from './op.js';
import { addressOf, scratch } from './buffers.js';
import { errnoError } from './errors.js';
import { closeQuietly, RwOp, type OpOptions, type RwRequest } from './io.js';
import { AT, FSYNC_DATASYNC, O_CLOEXEC, STATX, STATX_SIZE } from '../sys/file.js';

/** A path as the kernel reads it (bytes + NUL) and as errors print it. */
export interface KernelPath {
  bytes: Buffer;
  display: string;
}

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
    setOpFlags(sqes, index, this.flags | O_CLOEXEC);
  }
  value(res: number): number { return res; }
  override error(res: number): Error { return errnoError(res, 'open', this.path.display); }
  override consume(fd: number): void {
    closeQuietly(this.ring, fd);
  }
}
returnsFd(OpenatOp);

/**
 * IORING_OP_OPENAT2 (5.6): openat2(2) — openat with a `struct open_how { u64 flags;
 * u64 mode; u64 resolve; }` the kernel reads (copies at submission; kept until the
 * CQE anyway) — so the kernel itself confines the path walk (`resolve`: RESOLVE.*;
 * BENEATH makes any escape from `dirfd` fail with EXDEV).  Unlike openat, openat2
 * refuses unknown flag bits and a mode without O_CREAT/O_TMPFILE (EINVAL); O_CLOEXEC
 * is always added, as for OpenatOp.  If the open completes after its awaiter aborted,
 * the fd is closed rather than leaked.
 */
export class Openat2Op extends Op<number> {
  private readonly how = scratch(OPEN_HOW_SIZE);
  constructor(ring: Submitter, readonly path: KernelPath, readonly flags: number, readonly mode: number,
              readonly resolve: number, opts?: OpOptions, readonly dirfd = AT_FDCWD) {
    super(ring, opts?.signal);
    const how = this.how;
    // Three u64s as 32-bit halves (flags, mode and resolve all fit in 32 bits).
    how.writeUInt32LE((flags | O_CLOEXEC) >>> 0, 0);
    how.writeUInt32LE(0, 4);
    how.writeUInt32LE(mode >>> 0, 8);
    how.writeUInt32LE(0, 12);
    how.writeUInt32LE(resolve >>> 0, 16);
    how.writeUInt32LE(0, 20);
  }
  get syscall(): string { return 'openat2'; }
  prepare(sqes: Uint32Array, index: number): void {
    // io_uring_prep_openat2: addr = path, len = sizeof(open_how), off (addr2) = &how.
    prep(sqes, index, Opcode.OPENAT2, this.dirfd, addressOf(this.path.bytes), OPEN_HOW_SIZE, addressOf(this.how));
  }
  value(res: number): number { return res; }
  override error(res: number): Error { return errnoError(res, 'openat2', this.path.display); }
  override consume(fd: number): void {
    closeQuietly(this.ring, fd);
  }
}
returnsFd(Openat2Op);

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

/** IORING_OP_FSYNC: fsync(2), or fdatasync(2) (IORING_FSYNC_DATASYNC), as `syscall` names. */
export class FsyncOp extends Op<void> {
  constructor(ring: Submitter, readonly fd: number, readonly syscall: 'fsync' | 'fdatasync', opts?: OpOptions) {
    super(ring, opts?.signal);
  }
  get datasync(): boolean { return this.syscall === 'fdatasync'; }
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

/** IORING_OP_UNLINKAT: unlink(2), or rmdir(2) (AT_REMOVEDIR), as `syscall` names. */
export class UnlinkatOp extends Op<void> {
  constructor(ring: Submitter, readonly path: KernelPath, readonly syscall: 'unlink' | 'rmdir', opts?: OpOptions) {
    super(ring, opts?.signal);
  }
  get removeDir(): boolean { return this.syscall === 'rmdir'; }
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
  readonly bigPosition: bigint;
  constructor(ring: Submitter, r: RwRequest<T, bigint>) {
    super(ring, { ...r, position: 0 });
    this.bigPosition = r.position;
  }
  override prepare(sqes: Uint32Array, index: number): void {
    super.prepare(sqes, index);
    setOffWords(sqes, index, Number(this.bigPosition & 0xffffffffn), Number((this.bigPosition >> 32n) & 0xffffffffn));
  }
}
