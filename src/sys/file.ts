/**
 * File-system numbers the kernel reads from our SQEs and writes into our memory:
 * open(2) flags, the *at() family's AT_* flags, statx(2) masks and size,
 * posix_fadvise(2) advice, fsync's io_uring flag.  x86-64 values (<asm-generic/fcntl.h>,
 * <linux/fcntl.h>, <linux/stat.h>, <linux/fadvise.h>, <linux/io_uring.h>); the O_*
 * flags users pass are `fs.constants`' and reach the kernel unchanged, so only the one
 * RingCore adds itself is here.  AT_FDCWD and the openat2 RESOLVE bits are in
 * constants.ts (public, as `constants`).
 *
 * May touch: nothing.  Pure data.
 */

/** open(2): close the fd on exec.  OPENAT/OPENAT2 always add it, as Node does. */
export const O_CLOEXEC = 0o2000000;

/** `AT_*` flags for the *at() family (statx_flags, unlink_flags). */
export const AT = {
  /** statx: do not follow a final symlink (lstat). */
  SYMLINK_NOFOLLOW: 0x100,
  /** unlinkat: remove a directory (rmdir). */
  REMOVEDIR: 0x200,
  /** statx: an empty path means `dirfd` itself (fstat). */
  EMPTY_PATH: 0x1000,
} as const;

/** statx(2) mask bits: which fields to fill (`len` of a STATX SQE). */
export const STATX = {
  /** Everything stat(2) reports. */
  BASIC_STATS: 0x7ff,
  /** The birth time; the kernel clears the bit in stx_mask where the filesystem has none. */
  BTIME: 0x800,
} as const;
/** sizeof(struct statx). */
export const STATX_SIZE = 256;

/** posix_fadvise(2) advice (linux/fadvise.h). */
export const FADV = { NORMAL: 0, RANDOM: 1, SEQUENTIAL: 2, WILLNEED: 3, DONTNEED: 4, NOREUSE: 5 } as const;

/** IORING_FSYNC_DATASYNC in an FSYNC SQE's fsync_flags: fdatasync(2) instead of fsync(2). */
export const FSYNC_DATASYNC = 1;
