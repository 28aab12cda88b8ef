/**
 * The io_uring uapi constants RingCore uses, defined here rather than taken from a
 * system header: Debian 12's <linux/io_uring.h> is from kernel 6.1 and the kernels we
 * run on are newer.  Values are from include/uapi/linux/io_uring.h; each group says
 * which field of which structure the kernel reads them from.
 *
 * May touch: nothing.  Pure data.
 */

/** `io_uring_sqe.opcode` — enum io_uring_op.  The number is the ABI; never renumber. */
export const Opcode = {
  NOP: 0,
  READV: 1,
  WRITEV: 2,
  FSYNC: 3,
  READ_FIXED: 4,
  WRITE_FIXED: 5,
  POLL_ADD: 6,
  POLL_REMOVE: 7,
  SYNC_FILE_RANGE: 8,
  SENDMSG: 9,
  RECVMSG: 10,
  TIMEOUT: 11,
  TIMEOUT_REMOVE: 12,
  ACCEPT: 13,
  ASYNC_CANCEL: 14,
  LINK_TIMEOUT: 15,
  CONNECT: 16,
  FALLOCATE: 17,
  OPENAT: 18,
  CLOSE: 19,
  FILES_UPDATE: 20,
  STATX: 21,
  READ: 22,
  WRITE: 23,
  FADVISE: 24,
  MADVISE: 25,
  SEND: 26,
  RECV: 27,
  OPENAT2: 28,
  EPOLL_CTL: 29,
  SPLICE: 30, // the original had 15 here, which is LINK_TIMEOUT
  PROVIDE_BUFFERS: 31,
  REMOVE_BUFFERS: 32,
  TEE: 33,
  SHUTDOWN: 34,
  RENAMEAT: 35,
  UNLINKAT: 36,
  MKDIRAT: 37,
  SYMLINKAT: 38,
  LINKAT: 39,
  MSG_RING: 40,
  FSETXATTR: 41,
  SETXATTR: 42,
  FGETXATTR: 43,
  GETXATTR: 44,
  SOCKET: 45,
  URING_CMD: 46,
  SEND_ZC: 47,
  SENDMSG_ZC: 48,
  READ_MULTISHOT: 49,
  WAITID: 50,
  FUTEX_WAIT: 51,
  FUTEX_WAKE: 52,
  FUTEX_WAITV: 53,
  FIXED_FD_INSTALL: 54,
  FTRUNCATE: 55,
  BIND: 56,
  LISTEN: 57,
  RECV_ZC: 58,
  EPOLL_WAIT: 59,
  READV_FIXED: 60,
  WRITEV_FIXED: 61,
  PIPE: 62,
} as const;
/**
 * The same table under its original name (`constants.Op`, public).  The declaration is
 * `Opcode` so that the bundle has one top-level `Op` (the class): a clash made esbuild
 * rename the class `Op2`.
 */
export { Opcode as Op };
export type OpName = keyof typeof Opcode;

/** Opcode number → name, for traces and the probe. */
export const OP_NAMES: readonly string[] = (() => {
  const names: string[] = [];
  for (const [k, v] of Object.entries(Opcode)) names[v] = k;
  return names;
})();

/** `io_uring_sqe.flags` — IOSQE_*: how the kernel treats this SQE within the ring. */
export const SqeFlag = {
  /** `fd` is an index into the registered file table, not a real fd. */
  FIXED_FILE: 1 << 0,
  /** Start only after every earlier SQE has completed. */
  IO_DRAIN: 1 << 1,
  /** The next SQE starts only if this one succeeds (fully: a short read breaks it). */
  IO_LINK: 1 << 2,
  /** Like IO_LINK, but the chain continues whatever this one's result. */
  IO_HARDLINK: 1 << 3,
  /** Skip the non-blocking attempt; go straight to the kernel's async worker. */
  ASYNC: 1 << 4,
  /** Pick a buffer from provided-buffer group `buf_group` instead of `addr`. */
  BUFFER_SELECT: 1 << 5,
  /** Post no CQE when this succeeds. */
  CQE_SKIP_SUCCESS: 1 << 6,
} as const;

/** `io_uring_params.flags` — IORING_SETUP_*, given to io_uring_setup(2). */
export const Setup = {
  IOPOLL: 1 << 0,
  SQPOLL: 1 << 1,
  SQ_AFF: 1 << 2,
  CQSIZE: 1 << 3,
  CLAMP: 1 << 4,
  ATTACH_WQ: 1 << 5,
  R_DISABLED: 1 << 6,
  SUBMIT_ALL: 1 << 7,
  COOP_TASKRUN: 1 << 8,
  TASKRUN_FLAG: 1 << 9,
  SQE128: 1 << 10,
  CQE32: 1 << 11,
  SINGLE_ISSUER: 1 << 12,
  DEFER_TASKRUN: 1 << 13,
  NO_MMAP: 1 << 14,
  REGISTERED_FD_ONLY: 1 << 15,
  NO_SQARRAY: 1 << 16,
  HYBRID_IOPOLL: 1 << 17,
} as const;

/** `io_uring_params.features` — IORING_FEAT_*, reported by io_uring_setup(2). */
export const Feature = {
  SINGLE_MMAP: 1 << 0,
  NODROP: 1 << 1,
  SUBMIT_STABLE: 1 << 2,
  RW_CUR_POS: 1 << 3,
  CUR_PERSONALITY: 1 << 4,
  FAST_POLL: 1 << 5,
  POLL_32BITS: 1 << 6,
  SQPOLL_NONFIXED: 1 << 7,
  EXT_ARG: 1 << 8,
  NATIVE_WORKERS: 1 << 9,
  RSRC_TAGS: 1 << 10,
  CQE_SKIP: 1 << 11,
  LINKED_FILE: 1 << 12,
  REG_REG_RING: 1 << 13,
  RECVSEND_BUNDLE: 1 << 14,
  MIN_TIMEOUT: 1 << 15,
  RW_ATTR: 1 << 16,
  NO_IOWAIT: 1 << 17,
} as const;

/** io_uring_enter(2) `flags` — IORING_ENTER_*. */
export const Enter = {
  /** Wait for `min_complete` CQEs (and, with DEFER_TASKRUN, run deferred completions). */
  GETEVENTS: 1 << 0,
  /** Wake the SQPOLL thread, which sleeps after `sq_thread_idle` ms without work. */
  SQ_WAKEUP: 1 << 1,
  /** Wait until the SQ has a free entry (SQPOLL only). */
  SQ_WAIT: 1 << 2,
  EXT_ARG: 1 << 3,
  REGISTERED_RING: 1 << 4,
} as const;

/** The SQ ring's `flags` word — IORING_SQ_*, written by the kernel. */
export const SqRingFlag = {
  /** SQPOLL thread is asleep: enter with SQ_WAKEUP after publishing SQEs. */
  NEED_WAKEUP: 1 << 0,
  /** Completions overflowed the CQ; an enter with GETEVENTS moves them back in. */
  CQ_OVERFLOW: 1 << 1,
  /** Task work is pending (TASKRUN_FLAG): an enter would post completions. */
  TASKRUN: 1 << 2,
} as const;

/** `io_uring_cqe.flags` — IORING_CQE_F_*. */
export const CqeFlag = {
  /** Upper 16 bits of `flags` hold the provided-buffer id used. */
  BUFFER: 1 << 0,
  /** A multishot request will post more CQEs: do not free its slot yet. */
  MORE: 1 << 1,
  /** The socket had more data when this recv completed. */
  SOCK_NONEMPTY: 1 << 2,
  /** A zero-copy send's buffer-release notification, after its result CQE. */
  NOTIF: 1 << 3,
  /** The provided buffer is not consumed yet: more data lands in it (incremental). */
  BUF_MORE: 1 << 4,
} as const;
export const CQE_BUFFER_SHIFT = 16;

/** `timeout_flags` for IORING_OP_TIMEOUT / LINK_TIMEOUT / TIMEOUT_REMOVE. */
export const TimeoutFlag = {
  ABS: 1 << 0,
  UPDATE: 1 << 1,
  BOOTTIME: 1 << 2,
  REALTIME: 1 << 3,
  LINK_UPDATE: 1 << 4,
  ETIME_SUCCESS: 1 << 5,
  MULTISHOT: 1 << 6,
} as const;

/** `cancel_flags` for IORING_OP_ASYNC_CANCEL. */
export const CancelFlag = {
  ALL: 1 << 0,
  FD: 1 << 1,
  ANY: 1 << 2,
  FD_FIXED: 1 << 3,
  USERDATA: 1 << 4,
  OP: 1 << 5,
} as const;

/** `ioprio` bits for ACCEPT, RECV/SEND and friends (the original put these in the wrong field). */
export const IoprioFlag = {
  RECVSEND_POLL_FIRST: 1 << 0,
  RECV_MULTISHOT: 1 << 1,
  RECVSEND_FIXED_BUF: 1 << 2,
  SEND_ZC_REPORT_USAGE: 1 << 3,
  RECVSEND_BUNDLE: 1 << 4,
  ACCEPT_MULTISHOT: 1 << 0,
  ACCEPT_DONTWAIT: 1 << 1,
  ACCEPT_POLL_FIRST: 1 << 2,
} as const;

/** io_uring_register(2) opcodes — IORING_REGISTER_*. */
export const Register = {
  BUFFERS: 0,
  UNREGISTER_BUFFERS: 1,
  FILES: 2,
  UNREGISTER_FILES: 3,
  EVENTFD: 4,
  UNREGISTER_EVENTFD: 5,
  FILES_UPDATE: 6,
  EVENTFD_ASYNC: 7,
  PROBE: 8,
  PERSONALITY: 9,
  UNREGISTER_PERSONALITY: 10,
  RESTRICTIONS: 11,
  ENABLE_RINGS: 12,
  FILES2: 13,
  FILES_UPDATE2: 14,
  BUFFERS2: 15,
  BUFFERS_UPDATE: 16,
  IOWQ_AFF: 17,
  UNREGISTER_IOWQ_AFF: 18,
  IOWQ_MAX_WORKERS: 19,
  RING_FDS: 20,
  UNREGISTER_RING_FDS: 21,
  PBUF_RING: 22,
  UNREGISTER_PBUF_RING: 23,
  SYNC_CANCEL: 24,
  FILE_ALLOC_RANGE: 25,
  PBUF_STATUS: 26,
  NAPI: 27,
  UNREGISTER_NAPI: 28,
  CLOCK: 29,
  CLONE_BUFFERS: 30,
  SEND_MSG_RING: 31,
  ZCRX_IFQ: 32,
  RESIZE_RINGS: 33,
  MEM_REGION: 34,
} as const;

/** `io_uring_probe_op.flags`: the opcode is supported by this kernel. */
export const IO_URING_OP_SUPPORTED = 1 << 0;

/** AT_FDCWD for the *at() family (openat, statx, unlinkat, ...). */
export const AT_FDCWD = -100;

/**
 * openat2(2) `struct open_how.resolve` bits (linux/openat2.h, 5.6): how the kernel
 * may walk the path.  BENEATH refuses any step out of the starting directory (`..`
 * above it, an absolute path or symlink) with EXDEV; NO_MAGICLINKS refuses
 * /proc/PID/fd-style links; NO_SYMLINKS refuses every symlink (ELOOP).
 */
export const RESOLVE = {
  NO_XDEV: 0x01,
  NO_MAGICLINKS: 0x02,
  NO_SYMLINKS: 0x04,
  BENEATH: 0x08,
  IN_ROOT: 0x10,
  CACHED: 0x20,
} as const;

/** sizeof(struct open_how): three u64s (flags, mode, resolve). */
export const OPEN_HOW_SIZE = 24;

/**
 * `splice_flags` for IORING_OP_SPLICE and IORING_OP_TEE (linux/splice.h), as for
 * splice(2).  MOVE is a hint the kernel ignores since 2.6.21; NONBLOCK makes only the
 * pipe side non-blocking (an O_NONBLOCK socket or file is non-blocking anyway); MORE
 * sends MSG_MORE to a socket (more data follows: hold a partial segment back).
 * FD_IN_FIXED is io_uring's own (bit 31): splice_fd_in is a registered-file index.
 */
export const SpliceFlag = {
  MOVE: 0x01,
  NONBLOCK: 0x02,
  MORE: 0x04,
  GIFT: 0x08,
  FD_IN_FIXED: 0x80000000,
} as const;

/**
 * fcntl(2) commands on a pipe (F_LINUX_SPECIFIC_BASE 1024 + 7, + 8): set / get its
 * capacity in bytes.  There is no io_uring request for fcntl: native `pipe()` calls them.
 */
export const F_SETPIPE_SZ = 1031;
export const F_GETPIPE_SZ = 1032;
