/**
 * Linux errno numbers (x86-64, <asm-generic/errno-base.h> and <asm-generic/errno.h>),
 * the one place RingCore names them.  Each is NEGATED: that is how the kernel reports
 * a failure in a CQE's `res` and in a raw system call's return, and how Node shows it
 * in `err.errno` (-2 for ENOENT).  Compare `res === ECANCELED`; pass to `errnoError`.
 *
 * Only the errnos the code tests for or raises itself are here; every other one
 * reaches the user through `errnoError`, which names it from Node's own table.
 *
 * May touch: nothing.  Pure data.
 */

export const EPERM = -1;
export const ENOENT = -2;
export const EINTR = -4;
export const EIO = -5;
export const EBADF = -9;
export const EAGAIN = -11;
export const ENOMEM = -12;
export const EBUSY = -16;
export const EISDIR = -21;
export const EINVAL = -22;
export const ENFILE = -23;
export const EMFILE = -24;
export const ESPIPE = -29;
export const EPIPE = -32;
export const ENAMETOOLONG = -36;
export const ENOSYS = -38;
/** A timer ran out: a TIMEOUT's normal answer, a LINK_TIMEOUT that fired. */
export const ETIME = -62;
export const EPROTO = -71;
export const ECONNABORTED = -103;
/** A provided-buffer group had no buffer left (IOSQE_BUFFER_SELECT). */
export const ENOBUFS = -105;
export const ETIMEDOUT = -110;
/** ASYNC_CANCEL: found, but already running (it may or may not stop). */
export const EALREADY = -114;
/** Cancelled: by ASYNC_CANCEL, a broken link, or the ring going away. */
export const ECANCELED = -125;

/**
 * The errnos io_uring reports that libuv's table (Node's `util.getSystemErrorMap()`)
 * may lack, with the C library's descriptions: op/errors.ts adds them to its map.
 */
export const EXTRA_ERRNO_NAMES: readonly (readonly [errno: number, code: string, description: string])[] = [
  [ETIME, 'ETIME', 'timer expired'],
  [ECANCELED, 'ECANCELED', 'operation canceled'],
  [EALREADY, 'EALREADY', 'connection already in progress'],
];
