/**
 * The submission queue entry: its 64-byte layout and the one encoder in RingCore.
 * Every SQE the runtime submits is written by `prep()` below and adjusted only by the
 * setters beside it; nothing else writes into the SQE array.
 *
 * May touch: the SQE array it is given.  Never the ring head/tail (see `rings.ts`).
 *
 * The array is a `Uint32Array` over the mapped SQEs: 16 words per entry.  64-bit
 * fields (off, addr, user_data, addr3) are written as two 32-bit halves, low word
 * first (x86-64 is little-endian): that avoids BigInt on the hot path, and every
 * value we put there (user addresses < 2^47, offsets < 2^53) is exact as a Number.
 *
 * Where to look:
 *   - `W` is the field guide.  Its own comment is the one-screen map of the 64 bytes
 *     and a per-opcode index; the comment on each of its keys lists every union member
 *     stored at that position, what the kernel reads it as, and for which opcodes.
 *     Together they are the reference behind the project's promise that every field
 *     of io_uring_sqe (every union member, per opcode) is documented in src/sys/.
 *   - `prep()` says what RingCore writes and why, and follows one `await ring.read()`
 *     down to the sixteen words.
 *   - `cqe.ts` is the same guide for completions.
 *
 * Kernel versions: the layout is that of the uapi header `linux/io_uring.h` up to
 * Linux 6.18.  Recent additions are tagged with the release that brought them (best
 * knowledge, not a promise: a ring learns what its kernel supports from
 * IORING_REGISTER_PROBE for opcodes and io_uring_params.features for behaviours).
 * The text is our own summary of the uapi header, the kernel's per-opcode `*_prep`
 * functions and liburing's io_uring_enter(2) man page.
 *
 * Ground rule for every opcode: a field the opcode does not read must be zero.  Many
 * prep functions check this and fail the request with -EINVAL, and the ones that do
 * not check today may start to (a new flag or member gets added in a zero slot).
 */

/** Bytes per SQE (without IORING_SETUP_SQE128). */
export const SQE_SIZE = 64;
/** 32-bit words per SQE. */
export const SQE_WORDS = 16;

/**
 * Word offsets inside one SQE: the field guide.
 *
 * Byte map of `struct io_uring_sqe` (little-endian; "|" separates members of a union,
 * braces group the members of an anonymous struct inside one):
 *
 * ```text
 *  bytes   word   type  members                                                  W key
 *  0       0      u8    opcode                                                   HEAD  bits 0..7
 *  1       0      u8    flags (IOSQE_*)                                          HEAD  bits 8..15
 *  2..3    0      u16   ioprio (I/O priority, or per-opcode flag bits)           HEAD  bits 16..31
 *  4..7    1      s32   fd                                                       FD
 *  8..15   2..3   u64   off | addr2 | {cmd_op u32, __pad1 u32}                   OFF_LO, OFF_HI
 *  16..23  4..5   u64   addr | splice_off_in | {level u32, optname u32}          ADDR_LO, ADDR_HI
 *  24..27  6      u32   len                                                      LEN
 *  28..31  7      u32   rw_flags | fsync_flags | poll_events (u16) | poll32_events   OP_FLAGS
 *                       | sync_range_flags | msg_flags | timeout_flags
 *                       | accept_flags | cancel_flags | open_flags | statx_flags
 *                       | fadvise_advice | splice_flags | rename_flags
 *                       | unlink_flags | hardlink_flags | xattr_flags
 *                       | msg_ring_flags | uring_cmd_flags | waitid_flags
 *                       | futex_flags | install_fd_flags | nop_flags | pipe_flags
 *  32..39  8..9   u64   user_data                                                UD_LO, UD_HI
 *  40..41  10     u16   buf_index | buf_group                                    BUF   bits 0..15
 *  42..43  10     u16   personality                                              BUF   bits 16..31
 *  44..47  11     u32   splice_fd_in (s32) | file_index | zcrx_ifq_idx | optlen  FILE_INDEX
 *                       | {addr_len u16, __pad3 u16} | {write_stream u8, __pad4 u8[3]}
 *  48..55  12..13 u64   addr3 | attr_ptr | optval | cmd[0..7]                    ADDR3_LO, ADDR3_HI
 *  56..63  14..15 u64   __pad2[0] | attr_type_mask | cmd[8..15]                  PAD2_LO, PAD2_HI
 *  64..127  -      -    cmd[16..79], only in 128-byte SQEs (IORING_SETUP_SQE128,
 *                       or a 128-byte opcode on an IORING_SETUP_SQE_MIXED ring);
 *                       RingCore sets up neither, so entries here are 64 bytes.
 * ```
 *
 * Per-opcode index: which fields each opcode reads (the number is the opcode, `Op` in
 * constants.ts).  "addr2" is the `off` slot read as a pointer; "a value" marks the
 * places where a slot that usually holds a pointer holds a plain number instead.
 * Anything not listed must be zero.
 *
 * ```text
 *   0 NOP              nop_flags: INJECT_RESULT (len becomes res), FILE (fd is looked
 *                      up), FIXED_FILE, FIXED_BUFFER (buf_index is looked up), TW,
 *                      CQE32 (6.18: off and addr come back in big_cqe).  Else nothing.
 *   1 READV  2 WRITEV  fd, off = position (-1 = current), addr = iovec[], len = iovec
 *                      count, rw_flags, ioprio = I/O priority.  READV with
 *                      IOSQE_BUFFER_SELECT: buf_group, len = 1.
 *   3 FSYNC            fd, fsync_flags (IORING_FSYNC_DATASYNC), off and len = range
 *                      to sync (both 0: the whole file).
 *   4 READ_FIXED  5 WRITE_FIXED
 *                      like READ/WRITE; addr..addr+len must lie inside registered
 *                      buffer buf_index.
 *   6 POLL_ADD         fd, poll32_events = POLL* mask, len = IORING_POLL_ADD_MULTI /
 *                      IORING_POLL_ADD_LEVEL (the command flags live in len because the
 *                      flags word is the event mask).
 *   7 POLL_REMOVE      addr = user_data of the poll (a value); to update instead of
 *                      remove: len = IORING_POLL_UPDATE_EVENTS / _USER_DATA, poll32_events
 *                      = new mask, off = new user_data.
 *   8 SYNC_FILE_RANGE  fd, off = offset, len = byte count, sync_range_flags.
 *   9 SENDMSG  10 RECVMSG
 *                      fd = socket, addr = struct msghdr *, msg_flags = MSG_*, ioprio =
 *                      IORING_RECVSEND_* / IORING_RECV_MULTISHOT; RECVMSG with
 *                      IOSQE_BUFFER_SELECT: buf_group.
 *  11 TIMEOUT          fd unused (RingCore: -1), addr = struct __kernel_timespec *,
 *                      len = 1 (one timespec), off = completion count (0 = a plain
 *                      timer; with IORING_TIMEOUT_MULTISHOT the number of shots,
 *                      0 = forever), timeout_flags.
 *  12 TIMEOUT_REMOVE   addr = user_data of the timeout (a value); timeout_flags 0
 *                      removes, IORING_TIMEOUT_UPDATE / IORING_LINK_TIMEOUT_UPDATE
 *                      re-arms with addr2 = new timespec *.
 *  13 ACCEPT           fd = listening socket, addr = struct sockaddr * (or 0), addr2 =
 *                      socklen_t * (in: buffer size, out: address size; 0 when addr is
 *                      0), accept_flags = SOCK_NONBLOCK | SOCK_CLOEXEC, ioprio =
 *                      IORING_ACCEPT_MULTISHOT / _DONTWAIT / _POLL_FIRST (not in
 *                      accept_flags!), file_index = direct-descriptor slot.
 *  14 ASYNC_CANCEL     addr = user_data of the target (a value, matched as 64 bits),
 *                      cancel_flags; with IORING_ASYNC_CANCEL_FD the key is fd instead,
 *                      with IORING_ASYNC_CANCEL_OP it is the opcode in len.
 *  15 LINK_TIMEOUT     like TIMEOUT with off = 0; must directly follow an SQE that
 *                      carries IOSQE_IO_LINK, and times that request, not the CQ.
 *  16 CONNECT          fd = socket, addr = struct sockaddr *, off = addrlen (a value).
 *  17 FALLOCATE        fd, off = offset, addr = length (a value), len = mode.
 *  18 OPENAT           fd = dirfd (AT_FDCWD = -100), addr = pathname, len = mode,
 *                      open_flags = O_*, file_index = direct-descriptor slot.
 *  19 CLOSE            fd; or fd 0 and file_index = slot + 1 to close a direct
 *                      descriptor.
 *  20 FILES_UPDATE     addr = s32 fd array, len = count, off = first registered slot
 *                      (or IORING_FILE_INDEX_ALLOC).
 *  21 STATX            fd = dirfd, addr = pathname, len = mask (STATX_*), addr2 =
 *                      struct statx * to fill, statx_flags = AT_*.
 *  22 READ  23 WRITE   fd, addr = buffer, len = byte count, off = position (-1 =
 *                      current position), rw_flags = RWF_*, ioprio = I/O priority.
 *                      READ with IOSQE_BUFFER_SELECT: addr 0, buf_group.  Also
 *                      write_stream (6.16) and attr_ptr + attr_type_mask (6.14).
 *  24 FADVISE          fd, off = offset, len = length (newer kernels take a 64-bit
 *                      length from addr when it is non-zero), fadvise_advice =
 *                      POSIX_FADV_*.
 *  25 MADVISE          addr = start, len = length (newer kernels: a 64-bit length from
 *                      off when non-zero), fadvise_advice = MADV_*.
 *  26 SEND  27 RECV    fd = socket, addr = buffer, len = byte count, msg_flags = MSG_*,
 *                      ioprio = IORING_RECVSEND_* / IORING_RECV_MULTISHOT.  SEND to an
 *                      address (sendto): addr2 = struct sockaddr *, addr_len.  RECV with
 *                      IOSQE_BUFFER_SELECT: addr 0, buf_group.
 *  28 OPENAT2          fd = dirfd, addr = pathname, addr2 = struct open_how *, len =
 *                      sizeof(struct open_how), file_index.
 *  29 EPOLL_CTL        fd = epoll fd, off = the fd to add/modify/delete (a value), len =
 *                      EPOLL_CTL_ADD / _DEL / _MOD, addr = struct epoll_event * (read
 *                      for ADD and MOD).  Older copies of io_uring_enter(2) swap addr
 *                      and off here; the kernel and liburing use this order.  Recent
 *                      kernels warn that this opcode is deprecated.
 *  30 SPLICE           fd = fd_out, off = off_out (-1: none), splice_fd_in = fd_in,
 *                      splice_off_in = off_in (-1: none; it sits in the addr slot), len =
 *                      byte count, splice_flags (| SPLICE_F_FD_IN_FIXED).
 *  31 PROVIDE_BUFFERS  fd = number of buffers, addr = start of the memory, len = size of
 *                      each buffer, off = first buffer id, buf_group = group id.
 *  32 REMOVE_BUFFERS   fd = number of buffers to remove, buf_group = group id.
 *  33 TEE              fd = fd_out, splice_fd_in = fd_in, len, splice_flags.
 *  34 SHUTDOWN         fd = socket, len = how (SHUT_RD / SHUT_WR / SHUT_RDWR).
 *  35 RENAMEAT         fd = olddirfd, addr = oldpath, len = newdirfd, addr2 = newpath,
 *                      rename_flags = RENAME_*.
 *  36 UNLINKAT         fd = dirfd, addr = pathname, unlink_flags (AT_REMOVEDIR).
 *  37 MKDIRAT          fd = dirfd, addr = pathname, len = mode.
 *  38 SYMLINKAT        fd = newdirfd, addr = target, addr2 = linkpath.
 *  39 LINKAT           fd = olddirfd, addr = oldpath, len = newdirfd, addr2 = newpath,
 *                      hardlink_flags = AT_*.
 *  40 MSG_RING         fd = the target ring, addr = IORING_MSG_DATA (0) or
 *                      IORING_MSG_SEND_FD (1) (a value), len = res and off = user_data of
 *                      the CQE posted to the target, msg_ring_flags; SEND_FD: addr3 =
 *                      source registered slot, file_index = target slot; with
 *                      IORING_MSG_RING_FLAGS_PASS, file_index = the target CQE's flags.
 *  41 FSETXATTR  42 SETXATTR  43 FGETXATTR  44 GETXATTR
 *                      fd (the F variants), addr = attribute name, addr2 = value
 *                      buffer, len = its size, xattr_flags (XATTR_CREATE / _REPLACE on
 *                      the set side, 0 on the get side); SETXATTR/GETXATTR: addr3 =
 *                      pathname.
 *  45 SOCKET           fd = domain, off = type (| SOCK_NONBLOCK | SOCK_CLOEXEC), len =
 *                      protocol, file_index = direct-descriptor slot.
 *  46 URING_CMD        fd = device or socket, cmd_op (bytes 8..11) = the driver's command,
 *                      uring_cmd_flags, cmd[] = inline payload (bytes 48..63, or 48..127
 *                      with 128-byte SQEs).  Sockets: GETSOCKOPT / SETSOCKOPT read level
 *                      + optname (addr slot), optval (48..55), optlen (44..47).
 *  47 SEND_ZC  48 SENDMSG_ZC
 *                      like SEND / SENDMSG; ioprio may add IORING_SEND_ZC_REPORT_USAGE;
 *                      with IORING_RECVSEND_FIXED_BUF, buf_index.  Two CQEs (cqe.ts).
 *  49 READ_MULTISHOT   fd, IOSQE_BUFFER_SELECT + buf_group (required), len = 0 or a cap,
 *                      off = position.  One CQE per chunk read.
 *  50 WAITID           fd = id, len = idtype (P_PID, P_PIDFD, ...), file_index = options
 *                      (WEXITED, ...), addr2 = siginfo_t *; waitid_flags 0.
 *  51 FUTEX_WAIT  52 FUTEX_WAKE
 *                      addr = futex address, fd = FUTEX2_* flags (size, private), addr2 =
 *                      expected value (WAIT) or how many to wake (WAKE), addr3 = bitset
 *                      mask; futex_flags 0.
 *  53 FUTEX_WAITV      addr = struct futex_waitv[], len = count; fd and futex_flags 0.
 *  54 FIXED_FD_INSTALL fd = registered slot (IOSQE_FIXED_FILE required),
 *                      install_fd_flags = IORING_FIXED_FD_NO_CLOEXEC; no personality.
 *  55 FTRUNCATE        fd, off = new length.
 *  56 BIND             fd = socket, addr = struct sockaddr *, addr2 = addrlen (a value).
 *  57 LISTEN           fd = socket, len = backlog.
 *  58 RECV_ZC          fd = socket, zcrx_ifq_idx (bytes 44..47); ioprio =
 *                      IORING_RECV_MULTISHOT (| _POLL_FIRST) for an open-ended stream of
 *                      CQEs, or len = a byte limit for a bounded receive; msg_flags 0.
 *                      Needs 32-byte CQEs.
 *  59 EPOLL_WAIT       fd = epoll fd, addr = struct epoll_event[], len = maxevents.
 *  60 READV_FIXED  61 WRITEV_FIXED
 *                      like READV/WRITEV; the iovecs must point inside registered
 *                      buffer buf_index.
 *  62 PIPE (6.16)      addr = int[2] to fill, pipe_flags = O_CLOEXEC | O_NONBLOCK |
 *                      O_DIRECT | O_NOTIFICATION_PIPE, file_index = direct slots.
 *  63 NOP128  64 URING_CMD128 (6.18)
 *                      the 128-byte forms of NOP / URING_CMD for IORING_SETUP_SQE_MIXED
 *                      rings, where such an entry takes two SQE slots.  Not in `Op`.
 * ```
 */
export const W = {
  /**
   * bytes 0..3: opcode (u8), flags (u8), ioprio (u16) — packed as
   * `opcode | flags << 8 | ioprio << 16`.
   *
   * **opcode** (byte 0): `enum io_uring_op`, the `Op` table in constants.ts.  It decides
   * how every other field is read.  Unknown to the kernel: the CQE says -EINVAL; known
   * but compiled out or refused: -EOPNOTSUPP.
   *
   * **flags** (byte 1): IOSQE_* (`SqeFlag`), meaning the same for every opcode:
   *  - bit 0 FIXED_FILE: `fd` is an index into the registered file table.  Not every
   *    opcode accepts it (-EBADF); FIXED_FD_INSTALL requires it.
   *  - bit 1 IO_DRAIN: start only after everything submitted earlier has completed.
   *  - bit 2 IO_LINK: the next SQE waits for this one and is cancelled (-ECANCELED)
   *    if this one fails or comes up short.  A chain ends at the first SQE without
   *    the bit, or at the end of one submission.
   *  - bit 3 IO_HARDLINK: as IO_LINK, but the chain survives a failed result.
   *  - bit 4 ASYNC: skip the inline non-blocking attempt; hand to an io-wq worker.
   *  - bit 5 BUFFER_SELECT: take the buffer from provided-buffer group `buf_group`
   *    (bytes 40..41) instead of `addr`; the CQE names it (IORING_CQE_F_BUFFER).
   *  - bit 6 CQE_SKIP_SUCCESS: post no CQE on success (5.17).  Never mixed with
   *    IO_DRAIN in one ring.
   *
   * **ioprio** (bytes 2..3), by opcode:
   *  - READ, WRITE, READV, WRITEV, READ_FIXED, WRITE_FIXED, READV_FIXED, WRITEV_FIXED,
   *    READ_MULTISHOT: a real I/O priority, `class << 13 | level` as in ioprio_set(2)
   *    (0 = the task's own).  Classes above best-effort may need privileges.
   *  - SEND, RECV, SENDMSG, RECVMSG, SEND_ZC, SENDMSG_ZC: flag bits (`IoprioFlag`) —
   *    IORING_RECVSEND_POLL_FIRST (1: arm poll before trying), IORING_RECV_MULTISHOT
   *    (2: one CQE per arrival, with F_MORE), IORING_RECVSEND_FIXED_BUF (4: buffer is
   *    registered buffer `buf_index`), IORING_SEND_ZC_REPORT_USAGE (8: the zero-copy
   *    notification says whether data was copied), IORING_RECVSEND_BUNDLE (16, 6.10:
   *    use several provided buffers in one go), IORING_SEND_VECTORIZED (32, newest:
   *    SEND/SEND_ZC take an iovec array).
   *  - ACCEPT: IORING_ACCEPT_MULTISHOT (1), IORING_ACCEPT_DONTWAIT (2),
   *    IORING_ACCEPT_POLL_FIRST (4).  Multishot accept lives here, not in accept_flags.
   *  - RECV_ZC: IORING_RECV_MULTISHOT and IORING_RECVSEND_POLL_FIRST only.
   *  - Every other opcode: 0 (most check it).
   *
   * RingCore: `prep()` writes opcode with flags = ioprio = 0; `orSqeFlags` ORs IOSQE_*
   * into byte 1 and `setIoprio` replaces bytes 2..3.
   */
  HEAD: 0,
  /**
   * bytes 4..7: fd (s32).  Normally the file descriptor the request acts on (with
   * IOSQE_FIXED_FILE: a registered-file index).  Opcodes that act on no file ignore it
   * or require a specific value; RingCore writes -1 for those, as liburing does.
   * Opcodes that read it as something else:
   *  - OPENAT, OPENAT2, STATX, UNLINKAT, MKDIRAT: dirfd (AT_FDCWD = -100 for the cwd);
   *    RENAMEAT, LINKAT: olddirfd; SYMLINKAT: newdirfd.
   *  - SPLICE, TEE: fd_out (fd_in is `splice_fd_in`, bytes 44..47).
   *  - EPOLL_CTL, EPOLL_WAIT: the epoll instance (the target fd of EPOLL_CTL is in off).
   *  - MSG_RING: the target ring's fd (or registered index).
   *  - PROVIDE_BUFFERS / REMOVE_BUFFERS: the number of buffers.
   *  - SOCKET: the domain (AF_INET, AF_UNIX, ...).
   *  - WAITID: the id (pid, pidfd or pgid, per the idtype in len).
   *  - FUTEX_WAIT / FUTEX_WAKE: FUTEX2_* flags (futex size, FUTEX2_PRIVATE); WAITV: 0.
   *  - FIXED_FD_INSTALL: the registered slot to turn into a normal fd.
   *  - ASYNC_CANCEL: unused (-1) unless IORING_ASYNC_CANCEL_FD makes it the key.
   *  - CLOSE: the fd to close, or 0 when `file_index` names a direct descriptor.
   *  - NOP: read only with IORING_NOP_FILE.
   *  - TIMEOUT, LINK_TIMEOUT, TIMEOUT_REMOVE, POLL_REMOVE, FILES_UPDATE, PIPE: unused.
   */
  FD: 1,
  /**
   * bytes 8..15 (u64, low word here): the `off` union.
   *  - **off**, a file offset: READ/WRITE family (-1 = the file's current position,
   *    which it then advances, IORING_FEAT_RW_CUR_POS; a non-seekable file wants 0 or
   *    -1), READ_MULTISHOT, FSYNC (range start), SYNC_FILE_RANGE, FALLOCATE, FADVISE,
   *    SPLICE (off_out; -1 = none).
   *  - **off**, a count or value:
   *      TIMEOUT: completions to wait for (0 = a plain timer; with
   *      IORING_TIMEOUT_MULTISHOT the number of shots, 0 = until cancelled);
   *      LINK_TIMEOUT: must be 0;
   *      CONNECT: addrlen;  EPOLL_CTL: the fd to add/modify/delete;
   *      FTRUNCATE: the new length;  SOCKET: the type
   *      (SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC ...);  PROVIDE_BUFFERS: first
   *      buffer id;  FILES_UPDATE: first registered slot;  MSG_RING: user_data for the
   *      target's CQE;  POLL_REMOVE (update): the new user_data;  MADVISE: a 64-bit
   *      length on newer kernels (0 = use len);  NOP (CQE32): echoed as big_cqe[0].
   *  - **addr2**, a second pointer: ACCEPT (socklen_t * addrlen, in/out), STATX
   *    (struct statx * to fill), OPENAT2 (struct open_how *), TIMEOUT_REMOVE with an
   *    UPDATE flag (the new timespec *), RENAMEAT and LINKAT (newpath), SYMLINKAT
   *    (linkpath), the xattr family (value buffer), WAITID (siginfo_t *), SEND /
   *    SEND_ZC (destination sockaddr *, with addr_len).
   *  - **addr2**, a value despite the name: BIND (addrlen), FUTEX_WAIT (expected
   *    value), FUTEX_WAKE (how many to wake).
   *  - **cmd_op** (bytes 8..11) + **__pad1** (12..15, must be 0): URING_CMD.  cmd_op is
   *    the driver's command (NVMe passthrough, ublk, or SOCKET_URING_OP_SIOCINQ /
   *    _SIOCOUTQ / _GETSOCKOPT / _SETSOCKOPT / _TX_TIMESTAMP / _GETSOCKNAME for sockets).
   *  - Must be 0: RECV, RECVMSG, SENDMSG, EPOLL_WAIT, LISTEN, PIPE, RECV_ZC, CLOSE, ...
   */
  OFF_LO: 2,
  /** bytes 12..15: high word of `off` / `addr2`; `__pad1` when URING_CMD reads `cmd_op`. */
  OFF_HI: 3,
  /**
   * bytes 16..23 (u64, low word here): the `addr` union.
   *  - **addr**, a user pointer:
   *      the data buffer — READ, WRITE, READ_FIXED, WRITE_FIXED (inside the registered
   *      buffer), SEND, RECV, SEND_ZC (0 with IOSQE_BUFFER_SELECT);
   *      an iovec array — READV, WRITEV, READV_FIXED, WRITEV_FIXED;
   *      a struct msghdr — SENDMSG, RECVMSG, SENDMSG_ZC;
   *      a struct __kernel_timespec — TIMEOUT, LINK_TIMEOUT;
   *      a struct sockaddr — ACCEPT (may be 0), CONNECT, BIND;
   *      a pathname — OPENAT, OPENAT2, STATX, UNLINKAT, MKDIRAT, RENAMEAT (oldpath),
   *      LINKAT (oldpath), SYMLINKAT (target), SETXATTR/GETXATTR take the name here
   *      and the path in addr3;
   *      an attribute name — FSETXATTR, FGETXATTR;
   *      an s32 fd array — FILES_UPDATE;  memory to hand out — PROVIDE_BUFFERS;
   *      a range start — MADVISE;  the futex word — FUTEX_WAIT, FUTEX_WAKE;  a
   *      struct futex_waitv array — FUTEX_WAITV;  an epoll_event array — EPOLL_WAIT;
   *      int[2] to receive the two fds — PIPE;  a struct epoll_event — EPOLL_CTL
   *      (ADD and MOD; the target fd itself is in `off`).
   *  - **addr**, a value:
   *      ASYNC_CANCEL, TIMEOUT_REMOVE, POLL_REMOVE: the 64-bit user_data of the
   *      request to act on (`setAddrWords` writes it);
   *      FALLOCATE: the length;
   *      FADVISE: a 64-bit length on newer kernels (0 = use len);  MSG_RING: the
   *      command, IORING_MSG_DATA (0) or IORING_MSG_SEND_FD (1);  NOP (CQE32): echoed
   *      as big_cqe[1].
   *  - **splice_off_in**: SPLICE's input offset (-1 = none, use and advance the file
   *    position; it must be -1 when fd_in is a pipe).
   *  - **level** (bytes 16..19) + **optname** (20..23): URING_CMD socket options
   *    (SOCKET_URING_OP_GETSOCKOPT / _SETSOCKOPT); GETSOCKNAME reads addr as a sockaddr *.
   *  - Must be 0: POLL_ADD, SOCKET, CLOSE, SHUTDOWN, LISTEN, FTRUNCATE, WAITID,
   *    FIXED_FD_INSTALL, RECV_ZC, READ_MULTISHOT, and the buffer-select forms.
   */
  ADDR_LO: 4,
  /** bytes 20..23: high word of `addr` / `splice_off_in`; `optname` for URING_CMD sockopts. */
  ADDR_HI: 5,
  /**
   * bytes 24..27: len (u32).  What it counts depends on the opcode:
   *  - bytes: READ, WRITE, READ_FIXED, WRITE_FIXED, SEND, RECV, SEND_ZC, SPLICE, TEE,
   *    SYNC_FILE_RANGE, FADVISE, MADVISE, FSYNC (range length, with off), the
   *    xattr family (value size), PROVIDE_BUFFERS (size of each buffer), RECV_ZC and
   *    READ_MULTISHOT (a cap, 0 = none).  The kernel moves at most MAX_RW_COUNT
   *    (0x7ffff000) per request, so RingCore never asks for more.
   *  - iovec entries: READV, WRITEV, READV_FIXED, WRITEV_FIXED (at most IOV_MAX = 1024).
   *  - timespecs: TIMEOUT and LINK_TIMEOUT, always 1 (their count lives in `off`).
   *  - entries: FILES_UPDATE (fds), FUTEX_WAITV (futex_waitv), EPOLL_WAIT (maxevents).
   *  - a mode: OPENAT and MKDIRAT (permission bits), FALLOCATE (FALLOC_FL_*).
   *  - a size: OPENAT2 (sizeof struct open_how).
   *  - a mask: STATX (STATX_* fields wanted).
   *  - an fd: RENAMEAT, LINKAT (newdirfd).
   *  - an enum or number: EPOLL_CTL (EPOLL_CTL_ADD/DEL/MOD), SHUTDOWN (how), LISTEN
   *    (backlog), SOCKET (protocol), WAITID (idtype), ASYNC_CANCEL (an opcode, with
   *    IORING_ASYNC_CANCEL_OP), MSG_RING (res for the target's CQE), NOP (the res to
   *    inject, with IORING_NOP_INJECT_RESULT).
   *  - command flags: POLL_ADD (IORING_POLL_ADD_MULTI, IORING_POLL_ADD_LEVEL) and
   *    POLL_REMOVE (IORING_POLL_UPDATE_EVENTS, IORING_POLL_UPDATE_USER_DATA).
   *  - normally 0: SENDMSG, RECVMSG (a length cap with provided buffers), ACCEPT,
   *    CONNECT, BIND, CLOSE, FTRUNCATE, UNLINKAT, SYMLINKAT, PIPE, FUTEX_WAIT/WAKE,
   *    URING_CMD (drivers keep their arguments in cmd[]).
   */
  LEN: 6,
  /**
   * bytes 28..31: the per-opcode flags union — one u32, a different name for each
   * opcode family.  An opcode that reads no flags wants 0 here.
   *  - **rw_flags**: RWF_* as in preadv2(2) (RWF_HIPRI, RWF_DSYNC, RWF_SYNC,
   *    RWF_NOWAIT, RWF_APPEND, RWF_NOAPPEND, RWF_ATOMIC, RWF_DONTCACHE) — READ, WRITE,
   *    READV, WRITEV, the _FIXED forms, READ_MULTISHOT.  SOCKET, BIND, LISTEN,
   *    EPOLL_WAIT and FTRUNCATE check that this word is 0 under this name.
   *  - **fsync_flags**: FSYNC — IORING_FSYNC_DATASYNC (1) for fdatasync semantics.
   *  - **poll_events** (u16, bytes 28..29; the pre-5.9 form) / **poll32_events**
   *    (u32; IORING_FEAT_POLL_32BITS): POLL_ADD, and POLL_REMOVE when updating —
   *    POLLIN, POLLOUT, POLLRDHUP, EPOLLEXCLUSIVE ... .  On little-endian the two
   *    overlap in the low half.
   *  - **sync_range_flags**: SYNC_FILE_RANGE — SYNC_FILE_RANGE_WAIT_BEFORE / _WRITE /
   *    _WAIT_AFTER.
   *  - **msg_flags**: SEND, RECV, SENDMSG, RECVMSG, SEND_ZC, SENDMSG_ZC — MSG_* as in
   *    send(2)/recv(2) (MSG_WAITALL, MSG_DONTWAIT, MSG_NOSIGNAL ...).  RECV_ZC: 0.
   *  - **timeout_flags**: TIMEOUT, LINK_TIMEOUT, TIMEOUT_REMOVE (`TimeoutFlag`) —
   *    ABS, UPDATE, BOOTTIME, REALTIME, LINK_TIMEOUT_UPDATE, ETIME_SUCCESS (a fired
   *    timeout does not break a link), MULTISHOT (6.4); the newest kernels add
   *    IMMEDIATE_ARG (addr holds nanoseconds instead of a timespec pointer).
   *  - **accept_flags**: ACCEPT — SOCK_NONBLOCK, SOCK_CLOEXEC, as in accept4(2).
   *    (IORING_ACCEPT_MULTISHOT and friends are in ioprio.)
   *  - **cancel_flags**: ASYNC_CANCEL (`CancelFlag`) — ALL (every match, not the
   *    first), FD (match on fd), ANY (match everything), FD_FIXED (fd is registered),
   *    USERDATA (match on user_data, the default), OP (match on the opcode in len).
   *  - **open_flags**: OPENAT — O_* as in openat(2).  (OPENAT2 takes them in open_how.)
   *  - **statx_flags**: STATX — AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW, AT_STATX_* .
   *  - **fadvise_advice**: FADVISE (POSIX_FADV_*) and MADVISE (MADV_*) — one member
   *    serves both.
   *  - **splice_flags**: SPLICE, TEE — SPLICE_F_MOVE / _NONBLOCK / _MORE, plus
   *    SPLICE_F_FD_IN_FIXED (bit 31: splice_fd_in is a registered index).
   *  - **rename_flags**: RENAMEAT — RENAME_NOREPLACE / _EXCHANGE / _WHITEOUT.
   *  - **unlink_flags**: UNLINKAT — AT_REMOVEDIR.
   *  - **hardlink_flags**: LINKAT — AT_SYMLINK_FOLLOW, AT_EMPTY_PATH.
   *  - **xattr_flags**: FSETXATTR, SETXATTR — XATTR_CREATE / XATTR_REPLACE; the get
   *    side wants 0.
   *  - **msg_ring_flags**: MSG_RING — IORING_MSG_RING_CQE_SKIP (post nothing to the
   *    target; SEND_FD only), IORING_MSG_RING_FLAGS_PASS (file_index becomes the
   *    target CQE's flags).
   *  - **uring_cmd_flags**: URING_CMD — IORING_URING_CMD_FIXED (the payload refers to
   *    registered buffer buf_index), IORING_URING_CMD_MULTISHOT (newest; with provided
   *    buffers).  The top 8 bits are kernel-internal.
   *  - **waitid_flags**: WAITID — reserved, 0 (the wait options go in file_index).
   *  - **futex_flags**: FUTEX_WAIT, FUTEX_WAKE, FUTEX_WAITV — reserved, 0 (the futex2
   *    flags go in fd).
   *  - **install_fd_flags**: FIXED_FD_INSTALL — IORING_FIXED_FD_NO_CLOEXEC.
   *  - **nop_flags**: NOP — IORING_NOP_INJECT_RESULT, _FILE, _FIXED_FILE,
   *    _FIXED_BUFFER, _TW, _CQE32 (see the per-opcode index on `W`).
   *  - **pipe_flags** (6.16): PIPE — O_CLOEXEC, O_NONBLOCK, O_DIRECT,
   *    O_NOTIFICATION_PIPE, as in pipe2(2).
   *
   * RingCore: `prep()` writes 0; `setOpFlags` sets the whole word.
   */
  OP_FLAGS: 7,
  /**
   * bytes 32..39 (u64, low word here): user_data.  Never read by the kernel as
   * anything: copied untouched into every CQE the request produces (cqe.ts), and used
   * as the key by ASYNC_CANCEL, TIMEOUT_REMOVE and POLL_REMOVE, which name their target
   * by it in `addr`.
   *
   * RingCore: low word = slot index, high word = the slot's generation, stamped by
   * `setUserData` after the op's `prepare`.  `prep()` leaves (0, 0), which names no
   * live request: the ring's own internal requests (e.g. the cancel-everything at
   * close) carry it, and their CQEs are dropped on arrival.
   */
  UD_LO: 8,
  /** bytes 36..39: high word of `user_data` (the slot generation in RingCore). */
  UD_HI: 9,
  /**
   * bytes 40..43: buf_index / buf_group (u16, bits 0..15) and personality (u16, bits
   * 16..31).
   *
   * **buf_index** (same bytes as buf_group): an index into the registered buffer table
   * (IORING_REGISTER_BUFFERS) — READ_FIXED, WRITE_FIXED, READV_FIXED, WRITEV_FIXED;
   * SEND_ZC / SENDMSG_ZC (and newer kernels' SEND) with IORING_RECVSEND_FIXED_BUF;
   * URING_CMD with IORING_URING_CMD_FIXED; NOP with IORING_NOP_FIXED_BUFFER.
   *
   * **buf_group**: a provided-buffer group id — any opcode that may carry
   * IOSQE_BUFFER_SELECT (READ, READV, RECV, RECVMSG, READ_MULTISHOT, SEND with
   * bundles, multishot URING_CMD); and the group that PROVIDE_BUFFERS fills /
   * REMOVE_BUFFERS drains.
   *
   * **personality**: an id from IORING_REGISTER_PERSONALITY; the request runs with
   * those credentials.  0 = the submitting task's own.  FIXED_FD_INSTALL refuses any.
   *
   * RingCore: `prep()` writes 0 to both; `setBufIndex` replaces the low half and keeps
   * personality.
   */
  BUF: 10,
  /**
   * bytes 44..47: a u32 union.
   *  - **splice_fd_in** (s32): SPLICE and TEE, the input fd (a registered index with
   *    SPLICE_F_FD_IN_FIXED in splice_flags).
   *  - **file_index** (u32): direct descriptors (5.15).  For OPENAT, OPENAT2, ACCEPT,
   *    SOCKET and PIPE, 0 = install a normal fd; slot + 1 = install into registered
   *    slot `slot` instead (replacing what was there); IORING_FILE_INDEX_ALLOC
   *    (0xffffffff) = let the kernel pick a free slot and return it in res.  CLOSE:
   *    slot + 1 closes that direct descriptor.  Other readers of the same bytes:
   *    MSG_RING (the target ring's slot for SEND_FD, encoded the same way, or the
   *    target CQE's flags with IORING_MSG_RING_FLAGS_PASS) and WAITID (the options:
   *    WEXITED, WNOHANG, ...).
   *  - **zcrx_ifq_idx** (6.15): RECV_ZC, which registered zero-copy receive queue.
   *  - **optlen**: URING_CMD SOCKET_URING_OP_GETSOCKOPT / _SETSOCKOPT, the option
   *    length (GETSOCKNAME reads it as 0 = own name, 1 = peer).
   *  - **addr_len** (u16, bytes 44..45) + **__pad3** (u16, 0): SEND and SEND_ZC with a
   *    destination in addr2, the size of that sockaddr.
   *  - **write_stream** (u8, byte 44) + **__pad4** (3 bytes, 0), 6.16: the WRITE
   *    family on devices with write streams (data placement hints).
   *
   * RingCore: `prep()` writes 0; `setFileIndex` sets the whole word (mask a u16 or u8
   * member yourself and keep the padding zero).
   */
  FILE_INDEX: 11,
  /**
   * bytes 48..55 (u64, low word here): a union with bytes 56..63.
   *  - **addr3** (with __pad2[0] at 56..63): SETXATTR and GETXATTR (the pathname;
   *    name and value are in addr / addr2), MSG_RING SEND_FD (the source registered
   *    slot), FUTEX_WAIT / FUTEX_WAKE (the bitset mask; FUTEX_BITSET_MATCH_ANY =
   *    0xffffffff for "any"), URING_CMD GETSOCKNAME (the int * length).
   *  - **attr_ptr** (6.14, IORING_FEAT_RW_ATTR): READ/WRITE family, a pointer to extra
   *    per-I/O attributes (struct io_uring_attr_pi for T10 protection information),
   *    described by attr_type_mask at 56..63.
   *  - **optval**: URING_CMD SOCKET_URING_OP_GETSOCKOPT / _SETSOCKOPT, the option
   *    buffer.
   *  - **cmd[0..7]**: URING_CMD's inline payload starts here: 16 bytes in a 64-byte
   *    SQE, 80 in a 128-byte one (an NVMe passthrough command needs the 80).
   *  - Everything else: 0.
   */
  ADDR3_LO: 12,
  /** bytes 52..55: high word of `addr3` / `attr_ptr` / `optval`, or cmd[4..7]. */
  ADDR3_HI: 13,
  /**
   * bytes 56..63 (u64, low word here).
   *  - **__pad2[0]**: reserved, 0.
   *  - **attr_type_mask** (6.14): READ/WRITE family, which attributes attr_ptr points
   *    to — IORING_RW_ATTR_FLAG_PI (1).
   *  - **cmd[8..15]**: the rest of URING_CMD's inline payload.
   */
  PAD2_LO: 14,
  /** bytes 60..63: high word of `__pad2[0]` / `attr_type_mask`, or cmd[12..15]. */
  PAD2_HI: 15,
} as const;

const TWO32 = 4294967296;

// The field guide's keys as module constants: what the encoder, the setters and
// `decodeSqe` index with.  V8 folds them into the stores (no lookup per write).
const { HEAD, FD, OFF_LO, OFF_HI, ADDR_LO, ADDR_HI, LEN, OP_FLAGS, UD_LO, UD_HI, BUF, FILE_INDEX,
  ADDR3_LO, ADDR3_HI, PAD2_LO, PAD2_HI } = W;

/**
 * Write a whole SQE: the shape of liburing's `io_uring_prep_rw`.  Every word is
 * written — the kernel rejects some opcodes (EINVAL) when fields it does not use
 * are non-zero, and the SQE array is reused ring-round after ring-round.
 *
 * What it writes, word by word, and why:
 *  - word 0: `opcode`, with flags = 0 and ioprio = 0.  IOSQE_* bits are OR-ed in
 *    afterwards (`orSqeFlags`), ioprio bits set by `setIoprio`, so the common case
 *    is one store.
 *  - word 1: `fd`, stored as its 32-bit two's complement: -1 (no file) becomes
 *    0xffffffff and AT_FDCWD (-100) 0xffffff9c, which the kernel reads back as s32.
 *  - words 2..3: `off` split into low and high halves.  `off >>> 0` is the low 32
 *    bits (modulo 2^32, so negatives work); `(off - lo) / 2^32` is the exact high
 *    half for any safe integer.  -1 gives -1 in both words, which the Uint32Array
 *    store turns into 0xffffffff, i.e. (u64)-1: "the current file position" for the
 *    READ/WRITE family (IORING_FEAT_RW_CUR_POS) and "no offset" for SPLICE.
 *  - words 4..5: `addr`, split the same way.  User-space addresses on x86-64 are
 *    below 2^47, so a Number holds them exactly; values that are not addresses (a
 *    user_data to cancel) take `setAddrWords` instead.
 *  - word 6: `len`.  Callers clamp byte counts to MAX_RW (0x7ffff000), the most the
 *    kernel moves in one request, so the result always fits the CQE's s32 `res`.
 *  - words 7..15: zero — op-flags, user_data, buf_index/personality, file_index,
 *    addr3 and __pad2.  A stale value from the slot's previous use would be read as
 *    a flag, a buffer group, a personality or a direct-descriptor slot.  user_data is
 *    left (0, 0) on purpose: the ring stamps the real one after `prepare` returns,
 *    so an op cannot forget it, and an SQE that never gets one names no request.
 *
 * No fences: the kernel does not look at the entry until `rings.ts` publishes the SQ
 * tail with a store-release, so the order of these stores does not matter.  Sixteen
 * plain stores, no allocation, no BigInt, no DataView.
 *
 * One read, down to the bytes.  `await ring.read(7, buf)` with a 4096-byte `buf` at
 * 0x7f3a2c001000 and no position: ReadOp.prepare calls
 * `prep(sqes, i, Opcode.READ, 7, 0x7f3a2c001000, 4096, -1)`, the ring stamps user_data
 * (slot 3, generation 1), and the entry reads:
 *
 * ```text
 *  word  value        field(s)
 *   0    0x00000016   opcode 22 (READ), flags 0, ioprio 0
 *   1    0x00000007   fd 7
 *   2    0xffffffff   off, low  } -1: read at, and advance, the file position
 *   3    0xffffffff   off, high }
 *   4    0x2c001000   addr, low
 *   5    0x00007f3a   addr, high
 *   6    0x00001000   len 4096 bytes
 *   7    0x00000000   rw_flags (no RWF_*)
 *   8    0x00000003   user_data, low  = slot 3
 *   9    0x00000001   user_data, high = generation 1
 *  10    0x00000000   buf_index 0 (unused: not READ_FIXED), personality 0 (own creds)
 *  11    0x00000000   file_index 0
 *  12-15 0            addr3 / attr_ptr 0, __pad2 / attr_type_mask 0
 * ```
 *
 * The CQE that comes back carries user_data (3, 1) and res = the byte count (0 at end
 * of file), or -errno; `cqe.ts` has its layout.  With RINGCORE_TRACE set, the tracer
 * prints both lines from these same bytes (`decodeSqe`).
 *
 * @param sqes    the mapped SQE array as 32-bit words
 * @param index   the SQE slot (tail & mask)
 * @param opcode  IORING_OP_*
 * @param fd      file descriptor (or registered-file index with IOSQE_FIXED_FILE)
 * @param addr    user address (buffer, iovec array, path, timespec ...), or a value
 * @param len     byte count, iovec count, or opcode-specific count
 * @param off     file offset; -1 means "the file's current position"
 *
 * Nothing is checked (this is the hot path; the ops check their arguments before they
 * get here): values are stored as a Uint32Array stores them, and an `index` past the
 * array writes nothing.
 * @example
 * ```ts
 * import { raw, constants } from 'ringcore';
 *
 * const ring = new raw.RawRing({ entries: 4 });
 * const i = ring.sq.next();
 * // ASYNC_CANCEL: addr is the user_data of the request to cancel (a value, not a pointer).
 * raw.prep(ring.sq.sqes, i, constants.Opcode.ASYNC_CANCEL, -1, 42, 0, 0);
 * console.log(raw.decodeSqe(ring.sq.sqes, i).addr); // 42
 * ring.enter(ring.sq.publish(), 1, constants.Enter.GETEVENTS);
 * const cq = ring.cq;
 * console.log(raw.decodeCqe(cq.ring, cq.cqesIdx + (cq.head() & cq.mask) * cq.cqeWords).res); // -2: no request 42
 * Atomics.store(cq.ring, cq.headIdx, cq.head() + 1);
 * ring.close();
 * ```
 */
export function prep(sqes: Uint32Array, index: number, opcode: number, fd: number,
                     addr: number, len: number, off: number): void {
  const b = index * SQE_WORDS;
  sqes[b + HEAD] = opcode; // flags = 0, ioprio = 0
  sqes[b + FD] = fd;
  const offLo = off >>> 0;
  sqes[b + OFF_LO] = offLo;
  sqes[b + OFF_HI] = (off - offLo) / TWO32;
  const addrLo = addr >>> 0;
  sqes[b + ADDR_LO] = addrLo;
  sqes[b + ADDR_HI] = (addr - addrLo) / TWO32;
  sqes[b + LEN] = len;
  sqes[b + OP_FLAGS] = 0;
  sqes[b + UD_LO] = 0;
  sqes[b + UD_HI] = 0;
  sqes[b + BUF] = 0;
  sqes[b + FILE_INDEX] = 0;
  sqes[b + ADDR3_LO] = 0;
  sqes[b + ADDR3_HI] = 0;
  sqes[b + PAD2_LO] = 0;
  sqes[b + PAD2_HI] = 0;
}

/**
 * `flags` (byte 1): IOSQE_* bits, OR-ed in.  The ring applies an op's `req.sqeFlags`
 * here (IO_LINK for chains, ASYNC, ...) after user_data is stamped.  Call it after
 * `prep`, which clears the byte.
 * @param sqes   the SQE array as 32-bit words
 * @param index  the SQE
 * @param flags  `constants.SqeFlag` bits (only the low 8 bits are used)
 * @example
 * ```ts
 * import { raw, constants } from 'ringcore';
 *
 * const { Opcode, SqeFlag, Enter } = constants;
 * const ring = new raw.RawRing({ entries: 4 });
 * const a = ring.sq.next(), b = ring.sq.next();
 * raw.prep(ring.sq.sqes, a, Opcode.NOP, -1, 0, 0, 0);
 * raw.orSqeFlags(ring.sq.sqes, a, SqeFlag.IO_LINK); // b starts only once a succeeded
 * raw.prep(ring.sq.sqes, b, Opcode.NOP, -1, 0, 0, 0);
 * console.log(raw.decodeSqe(ring.sq.sqes, a).flags === SqeFlag.IO_LINK); // true
 * console.log(ring.enter(ring.sq.publish(), 2, Enter.GETEVENTS)); // 2
 * Atomics.store(ring.cq.ring, ring.cq.headIdx, ring.cq.tail());
 * ring.close();
 * ```
 */
export function orSqeFlags(sqes: Uint32Array, index: number, flags: number): void {
  sqes[index * SQE_WORDS + HEAD] |= (flags & 0xff) << 8;
}

/**
 * `ioprio` (bytes 2..3): I/O priority, or per-opcode bits (accept/recv multishot ...).
 * Replaces the whole u16; see `W.HEAD` for which opcodes read it as what.
 */
export function setIoprio(sqes: Uint32Array, index: number, ioprio: number): void {
  const b = index * SQE_WORDS + HEAD;
  sqes[b] = (sqes[b] & 0xffff) | ((ioprio & 0xffff) << 16);
}

/**
 * The per-opcode flags word (bytes 28..31): rw_flags, timeout_flags, cancel_flags ...
 * — whichever union member the opcode reads (see `W.OP_FLAGS`).  Replaces the word;
 * call it after `prep`, which zeroes it.
 * @param sqes   the SQE array as 32-bit words
 * @param index  the SQE
 * @param flags  the opcode's flags (`constants.TimeoutFlag`, `constants.CancelFlag` ...)
 * @example
 * ```ts
 * import { raw, constants } from 'ringcore';
 *
 * const ring = new raw.RawRing({ entries: 4 });
 * const i = ring.sq.next();
 * raw.prep(ring.sq.sqes, i, constants.Opcode.ASYNC_CANCEL, -1, 0, 0, 0);
 * raw.setOpFlags(ring.sq.sqes, i, constants.CancelFlag.ANY); // cancel any request, not one user_data
 * console.log(raw.decodeSqe(ring.sq.sqes, i).opFlags === constants.CancelFlag.ANY); // true
 * ring.enter(ring.sq.publish(), 1, constants.Enter.GETEVENTS);  // (none in flight: res -2)
 * Atomics.store(ring.cq.ring, ring.cq.headIdx, ring.cq.tail());
 * ring.close();
 * ```
 */
export function setOpFlags(sqes: Uint32Array, index: number, flags: number): void {
  sqes[index * SQE_WORDS + OP_FLAGS] = flags;
}

/**
 * `user_data` (bytes 32..39): echoed back untouched in the CQE.  Two 32-bit halves,
 * so that no BigInt is needed (RingCore puts the slot in `lo`, its generation in `hi`).
 * Call it after `prep`, which zeroes it.
 * @param sqes   the SQE array as 32-bit words
 * @param index  the SQE
 * @param lo     user_data bits 0..31
 * @param hi     user_data bits 32..63
 * @example
 * ```ts
 * import { raw, constants } from 'ringcore';
 *
 * const ring = new raw.RawRing({ entries: 4 });
 * const i = ring.sq.next();
 * raw.prep(ring.sq.sqes, i, constants.Opcode.NOP, -1, 0, 0, 0);
 * raw.setUserData(ring.sq.sqes, i, 42, 7);
 * ring.enter(ring.sq.publish(), 1, constants.Enter.GETEVENTS);
 * const cq = ring.cq;
 * const cqe = raw.decodeCqe(cq.ring, cq.cqesIdx + (cq.head() & cq.mask) * cq.cqeWords);
 * console.log(cqe.userDataLo, cqe.userDataHi); // 42 7
 * Atomics.store(cq.ring, cq.headIdx, cq.head() + 1);
 * ring.close();
 * ```
 */
export function setUserData(sqes: Uint32Array, index: number, lo: number, hi: number): void {
  const b = index * SQE_WORDS;
  sqes[b + UD_LO] = lo;
  sqes[b + UD_HI] = hi;
}

/**
 * `off` as two words: a 64-bit file offset a Number cannot carry exactly (a bigint
 * position past 2^53, up to 2^63-1), written from its halves.
 */
export function setOffWords(sqes: Uint32Array, index: number, lo: number, hi: number): void {
  const b = index * SQE_WORDS;
  sqes[b + OFF_LO] = lo;
  sqes[b + OFF_HI] = hi;
}

/**
 * `addr` as two words: for values that are not addresses (ASYNC_CANCEL's target
 * user_data; TIMEOUT_REMOVE and POLL_REMOVE name their target the same way).
 */
export function setAddrWords(sqes: Uint32Array, index: number, lo: number, hi: number): void {
  const b = index * SQE_WORDS;
  sqes[b + ADDR_LO] = lo;
  sqes[b + ADDR_HI] = hi;
}

/**
 * `buf_index`/`buf_group` (bytes 40..41): a registered-buffer index for the _FIXED
 * opcodes, or a provided-buffer group with IOSQE_BUFFER_SELECT.  Keeps personality.
 */
export function setBufIndex(sqes: Uint32Array, index: number, bufIndex: number): void {
  const b = index * SQE_WORDS + BUF;
  sqes[b] = (sqes[b] & 0xffff0000) | (bufIndex & 0xffff);
}

/**
 * `splice_fd_in`/`file_index`/`addr_len` (bytes 44..47), the whole word: SPLICE's
 * input fd, a direct-descriptor slot + 1 (or IORING_FILE_INDEX_ALLOC), WAITID's
 * options, ... (see `W.FILE_INDEX`).
 */
export function setFileIndex(sqes: Uint32Array, index: number, v: number): void {
  sqes[index * SQE_WORDS + FILE_INDEX] = v;
}

/**
 * `addr3` (bytes 48..55): the xattr path, MSG_RING's source slot, a futex mask,
 * a sockopt's optval ... (see `W.ADDR3_LO`).  Bytes 56..63 stay as they are.
 */
export function setAddr3(sqes: Uint32Array, index: number, addr: number): void {
  const b = index * SQE_WORDS;
  const lo = addr >>> 0;
  sqes[b + ADDR3_LO] = lo;
  sqes[b + ADDR3_HI] = (addr - lo) / TWO32;
}

/**
 * A decoded SQE, for traces and tests: read back from the mapped bytes themselves.
 * Each field is the raw value of the byte range in `W`, named after its most common
 * union member; which member it really is depends on `opcode`.
 */
export interface DecodedSqe {
  /** byte 0: IORING_OP_*. */
  opcode: number;
  /** byte 1: IOSQE_* bits. */
  flags: number;
  /** bytes 2..3: I/O priority or per-opcode bits. */
  ioprio: number;
  /** bytes 4..7, signed: fd / dirfd / domain / count ... */
  fd: number;
  /** bytes 8..15: off / addr2 / cmd_op; all-ones decodes as -1. */
  off: number;
  /** bytes 16..23: addr / splice_off_in / level+optname. */
  addr: number;
  /** bytes 24..27. */
  len: number;
  /** bytes 28..31: the op-flags union (rw_flags, timeout_flags, ...). */
  opFlags: number;
  /** bytes 32..39 as one Number (RingCore's (slot, generation) = gen * 2^32 + slot). */
  userData: number;
  /** bytes 32..35: user_data's low word (RingCore: the slot). */
  userDataLo: number;
  /** bytes 36..39: user_data's high word (RingCore: the generation). */
  userDataHi: number;
  /** bytes 40..41: buf_index / buf_group. */
  bufIndex: number;
  /** bytes 42..43. */
  personality: number;
  /** bytes 44..47, unsigned: splice_fd_in / file_index / optlen / addr_len ... */
  fileIndex: number;
  /** bytes 48..55: addr3 / attr_ptr / optval / cmd[0..7]. */
  addr3: number;
}

function u64(lo: number, hi: number): number {
  // -1 offsets (0xffffffff_ffffffff) come back as -1, not 2^64-1.
  if (hi === 0xffffffff && lo === 0xffffffff) return -1;
  return hi * TWO32 + lo;
}

/**
 * Read an SQE back from its words, field by field (see `DecodedSqe`): what the tracer
 * prints under RINGCORE_TRACE, and what tests compare.  Reads only.
 * @param sqes   the SQE array as 32-bit words
 * @param index  the SQE (keep it in range: past the array, fields read as 0 or NaN)
 * @returns a new DecodedSqe
 * @example
 * ```ts
 * import { raw, constants } from 'ringcore';
 *
 * const ring = new raw.RawRing({ entries: 4 });
 * const i = ring.sq.next();
 * raw.prep(ring.sq.sqes, i, constants.Opcode.READ, 7, 0x10000, 4096, -1);
 * const { opcode, fd, addr, len, off } = raw.decodeSqe(ring.sq.sqes, i);
 * console.log(opcode === constants.Opcode.READ, fd, addr, len, off); // true 7 65536 4096 -1
 * ring.sq.rewind(1); // never published: the kernel does not see it
 * ring.close();
 * ```
 */
export function decodeSqe(sqes: Uint32Array, index: number): DecodedSqe {
  const b = index * SQE_WORDS;
  const w0 = sqes[b + HEAD];
  return {
    opcode: w0 & 0xff,
    flags: (w0 >>> 8) & 0xff,
    ioprio: w0 >>> 16,
    fd: sqes[b + FD] | 0,
    off: u64(sqes[b + OFF_LO], sqes[b + OFF_HI]),
    addr: u64(sqes[b + ADDR_LO], sqes[b + ADDR_HI]),
    len: sqes[b + LEN],
    opFlags: sqes[b + OP_FLAGS],
    userData: u64(sqes[b + UD_LO], sqes[b + UD_HI]),
    userDataLo: sqes[b + UD_LO],
    userDataHi: sqes[b + UD_HI],
    bufIndex: sqes[b + BUF] & 0xffff,
    personality: sqes[b + BUF] >>> 16,
    fileIndex: sqes[b + FILE_INDEX],
    addr3: u64(sqes[b + ADDR3_LO], sqes[b + ADDR3_HI]),
  };
}
