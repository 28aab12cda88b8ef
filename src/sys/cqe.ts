/**
 * The completion queue entry: its 16-byte layout (32 with IORING_SETUP_CQE32) and how
 * RingCore reads it.  The reaper (`runtime/ring.ts`) reads each entry's four words at
 * the offsets named here (`CW`) and hands them to its op, and to the tracer, as found.
 *
 * May touch: nothing; it reads the CQ memory it is given.
 *
 * `struct io_uring_cqe`, as the kernel writes it into the CQ ring (little-endian; one
 * `Uint32Array` word = 4 bytes; CQEs are not in submission order):
 *
 * ```text
 *  bytes   word  type     field       RingCore
 *  0..7    0..1  u64      user_data   CW.UD_LO, CW.UD_HI — (slot, generation)
 *  8..11   2     s32      res         CW.RES — read through an Int32Array (or `| 0`)
 *  12..15  3     u32      flags       CW.FLAGS — IORING_CQE_F_*, buffer id in 16..31
 *  16..31  4..7  u64[2]   big_cqe[]   only in 32-byte CQEs (see `CW`); not read
 * ```
 *
 * How a completion is consumed: the reaper load-acquires the CQ tail, reads each entry
 * at `cqes + (head & mask) * cqeWords`, routes it by user_data to its op (F_MORE: the
 * op stays in flight), and store-releases the new head, which hands those entries
 * back to the kernel.  The same entry slot is reused once the head has passed it, so
 * nothing may keep a view of it.
 *
 * `sqe.ts` has the matching guide for submissions; its `prep()` comment follows one
 * read from `await` to the SQE bytes and back to the CQE.  Versions tagged below are
 * the releases that added a flag or use (best knowledge, as in sqe.ts); the text is
 * our summary of the uapi header `linux/io_uring.h` (up to 6.18), the kernel's
 * io_uring sources and liburing's io_uring_enter(2) man page.
 */
import { CQE_BUFFER_SHIFT } from './constants.js';

/**
 * Word offsets inside one CQE.  Offsets are within an entry; the distance between
 * entries is `cqeWords` in `rings.ts` — 4 words, or 8 on a IORING_SETUP_CQE32 ring.
 *
 * **big_cqe[]** (bytes 16..31, words 4..7, no key here): present only when every CQE is
 * 32 bytes (IORING_SETUP_CQE32), or, from 6.18 on an IORING_SETUP_CQE_MIXED ring, for
 * the individual CQEs flagged IORING_CQE_F_32, which then take two 16-byte slots.
 * Ops that have nothing to say there leave it zero.  Who writes it:
 *  - URING_CMD: the driver's second result (`res2`), e.g. the 64-bit result of an
 *    NVMe passthrough command; such drivers require a CQE32 ring.  The socket
 *    SOCKET_URING_OP_TX_TIMESTAMP command puts a struct io_timespec there.
 *  - RECV_ZC (6.15): struct io_uring_zcrx_cqe — where in the registered zero-copy
 *    area the received bytes are (offset, with the area id in the top bits) and
 *    padding; RECV_ZC requires 32-byte CQEs.
 *  - NOP with IORING_NOP_CQE32 (6.18): echoes the SQE's off and addr, for testing.
 *
 * RingCore creates 16-byte CQE rings unless `RingOptions.flags` asks for CQE32, never
 * uses CQE_MIXED (its reaper would have to skip IORING_CQE_F_SKIP fillers and step two
 * slots over IORING_CQE_F_32 entries), and never reads big_cqe.
 */
export const CW = {
  /**
   * bytes 0..7: user_data (u64), low word first — exactly the 64 bits the SQE carried
   * in its bytes 32..39.  Every CQE a request produces carries it: the one CQE of an
   * ordinary request; each F_MORE CQE of a multishot request and its final one; both
   * CQEs of a zero-copy send.  The kernel never interprets it.
   *
   * In RingCore: low word = slot, high word = the slot's generation.  The reaper looks
   * the slot up and drops the CQE (counting it in `staleCqes`) unless the generation
   * still matches; (0, 0) is the ring's own internal requests and is dropped
   * silently.  Exceptions in the kernel's own CQEs: one posted to a ring by another
   * ring's MSG_RING carries the sender's chosen user_data (the sender's SQE `off`).
   */
  UD_LO: 0,
  /** bytes 4..7: high word of user_data (the slot generation in RingCore). */
  UD_HI: 1,
  /**
   * bytes 8..11: res (s32) — the result: >= 0 on success with an opcode-specific
   * meaning, or a negated errno.  Read it signed (the reaper uses an Int32Array view
   * over the same memory).
   *
   * Success, by opcode family:
   *  - bytes moved — READ, WRITE, READV, WRITEV, the _FIXED forms, SEND, RECV,
   *    SENDMSG, RECVMSG, SEND_ZC, SENDMSG_ZC, SPLICE, TEE, and each CQE of
   *    READ_MULTISHOT and RECV_ZC.  0 from a read means end of file (or, on a socket,
   *    an orderly shutdown by the peer).  A short count is legal and is not an error
   *    — but it does break an IOSQE_IO_LINK chain.  At most 0x7ffff000 per CQE (the
   *    kernel's MAX_RW_COUNT).
   *  - a new file descriptor — OPENAT, OPENAT2, ACCEPT (each CQE of a multishot
   *    accept), SOCKET, FIXED_FD_INSTALL.  When the SQE asked for a direct descriptor
   *    (file_index) res is 0 instead, or the chosen slot when it said
   *    IORING_FILE_INDEX_ALLOC.  PIPE returns 0 and writes the two fds to memory.
   *  - a count — FILES_UPDATE (slots updated), REMOVE_BUFFERS (buffers removed),
   *    FUTEX_WAKE (waiters woken), EPOLL_WAIT (events written), GETXATTR and
   *    FGETXATTR (size of the value), ASYNC_CANCEL with IORING_ASYNC_CANCEL_ALL or
   *    _ANY (requests cancelled).
   *  - something else — POLL_ADD: the returned event mask (POLLIN ...);  FUTEX_WAITV:
   *    the index of the futex that woke;  URING_CMD: whatever the driver returns
   *    (SIOCINQ / SIOCOUTQ byte counts, GETSOCKOPT the option length);  NOP: 0 or the
   *    injected value;  the CQE that MSG_RING posts to its target: the sender's len
   *    (IORING_MSG_DATA) or the installed slot (IORING_MSG_SEND_FD).
   *  - 0 — everything else: FSYNC, SYNC_FILE_RANGE, FALLOCATE, FADVISE, MADVISE,
   *    CLOSE, STATX, CONNECT, BIND, LISTEN, SHUTDOWN, RENAMEAT, UNLINKAT, MKDIRAT,
   *    SYMLINKAT, LINKAT, EPOLL_CTL, FTRUNCATE, SETXATTR, FSETXATTR, WAITID (the
   *    siginfo is written to memory), FUTEX_WAIT, PROVIDE_BUFFERS, MSG_RING (the
   *    sender's own CQE).
   *
   * Timeouts and cancellation, where a negative res is an answer, not a failure:
   *  - TIMEOUT: -ETIME (-62) when the time ran out; 0 when `off` other completions
   *    arrived first; -ECANCELED (-125) when removed, cancelled or the ring went away.
   *    RingCore's sleep treats -ETIME as success.  With IORING_TIMEOUT_MULTISHOT each
   *    expiry posts -ETIME with F_MORE.  IORING_TIMEOUT_ETIME_SUCCESS keeps -ETIME
   *    from breaking a link; res is still -ETIME.
   *  - LINK_TIMEOUT: -ETIME if it fired and cancelled its target (which completes
   *    with -ECANCELED, or -EINTR for some blocking operations); the result of that
   *    cancel attempt instead if it was not clean (e.g. -EALREADY: the target was
   *    already running); -ECANCELED if the target completed first.
   *  - ASYNC_CANCEL (and POLL_REMOVE, TIMEOUT_REMOVE): 0 = found and cancelled;
   *    -ENOENT (-2) = no such request in flight (it already completed, or never
   *    existed); -EALREADY (-114) = found, already running, may or may not stop (for
   *    TIMEOUT_REMOVE: already firing; old man pages say -EBUSY).  The target posts
   *    its own CQE as well, in either order relative to the cancel's: -ECANCELED if
   *    the cancel won, or its real result if it finished anyway.
   *  - A member of a broken IOSQE_IO_LINK chain completes with -ECANCELED without
   *    having run.
   *
   * Errors found at submission time arrive here too, not as a failed
   * io_uring_enter: -EINVAL (a field the opcode does not use is non-zero, a bad flag,
   * or an opcode number this kernel does not know), -EBADF (bad fd or fixed-file
   * index), -EOPNOTSUPP (a known opcode or feature that is compiled out or not
   * supported on this file), -EACCES (forbidden by registered
   * restrictions), -ENOBUFS (IOSQE_BUFFER_SELECT and the group is empty), -EFAULT (a
   * bad pointer).  Otherwise the errno is that of the equivalent system call.
   *
   * One res that is not a count: the F_NOTIF CQE of a zero-copy send with
   * IORING_SEND_ZC_REPORT_USAGE holds 0 (zero-copy worked) or has bit 31
   * (IORING_NOTIF_USAGE_ZC_COPIED) set — which reads as a negative s32, so test the
   * bit rather than the sign.
   */
  RES: 2,
  /**
   * bytes 12..15: flags (u32) — IORING_CQE_F_* (`CqeFlag`).  0 for most completions.
   *  - bit 0 **F_BUFFER**: the request took a provided buffer (IOSQE_BUFFER_SELECT);
   *    bits 16..31 (`flags >>> CQE_BUFFER_SHIFT`) are its buffer id within the SQE's
   *    buf_group.  With IORING_RECVSEND_BUNDLE, the first of several consecutive ids.
   *  - bit 1 **F_MORE**: the request is still armed and will post more CQEs with the
   *    same user_data — multishot ACCEPT, RECV, RECVMSG, READ_MULTISHOT, POLL_ADD,
   *    TIMEOUT and RECV_ZC, multishot URING_CMD, and the first CQE of SEND_ZC /
   *    SENDMSG_ZC (its notification follows).  The final CQE lacks it.  RingCore keeps
   *    the slot (`op.more`) until a CQE without it.
   *  - bit 2 **F_SOCK_NONEMPTY**: after a RECV / RECVMSG, the socket still had data
   *    queued; on recent kernels (6.10+) ACCEPT sets it when more connections wait.
   *  - bit 3 **F_NOTIF**: the notification CQE of SEND_ZC / SENDMSG_ZC: the kernel is
   *    done with the buffer and it may be reused.  Same user_data as the send's result
   *    CQE; res as described under `RES`.
   *  - bit 4 **F_BUF_MORE** (6.12): with an incrementally consumed provided-buffer
   *    ring (IOU_PBUF_RING_INC), the buffer named in bits 16..31 is only partly used
   *    and stays with the kernel for further data; without it, the buffer is the
   *    application's again.
   *  - bit 5 **F_SKIP** (6.18, CQE_MIXED rings): a filler entry posted so a 32-byte CQE
   *    does not straddle the end of the ring; ignore it.
   *  - bit 15 **F_32** (6.18, CQE_MIXED rings): this CQE is 32 bytes and occupies two
   *    slots; big_cqe follows in the second one.
   *  - bits 16..31: the buffer id when F_BUFFER is set.  The socket TX_TIMESTAMP
   *    URING_CMD uses these bits for the timestamp type and a hardware-timestamp flag
   *    instead.
   */
  FLAGS: 3,
} as const;

/** One CQE with its fields split out; `res` already signed. */
export interface DecodedCqe {
  /** user_data, low word (RingCore: the slot). */
  userDataLo: number;
  /** user_data, high word (RingCore: the generation). */
  userDataHi: number;
  /** >= 0: the opcode's result; < 0: -errno (see `CW.RES`). */
  res: number;
  /** IORING_CQE_F_* (see `CW.FLAGS`). */
  flags: number;
  /** The provided-buffer id, when IORING_CQE_F_BUFFER is set. */
  bufferId: number;
}

/**
 * Read one CQE's fields (see `DecodedCqe`), `res` signed.  Reads only: the entry is
 * the kernel's again once the CQ head is stored past it, so copy what you keep first.
 * @param ring       the CQ ring mapping as 32-bit words (`cq.ring`)
 * @param wordIndex  the entry's first word: `cq.cqesIdx + (head & cq.mask) * cq.cqeWords`
 * @returns a new DecodedCqe
 * @example
 * ```ts
 * import { raw, constants } from 'ringcore';
 *
 * const ring = new raw.RawRing({ entries: 4 });
 * const i = ring.sq.next();
 * raw.prep(ring.sq.sqes, i, constants.Opcode.NOP, -1, 0, 0, 0);
 * raw.setUserData(ring.sq.sqes, i, 5, 0);
 * ring.enter(ring.sq.publish(), 1, constants.Enter.GETEVENTS);
 * const cq = ring.cq;
 * const head = cq.head();
 * console.log(raw.decodeCqe(cq.ring, cq.cqesIdx + (head & cq.mask) * cq.cqeWords)); // { userDataLo: 5, userDataHi: 0, res: 0, flags: 0, bufferId: 0 }
 * Atomics.store(cq.ring, cq.headIdx, head + 1);
 * ring.close();
 * ```
 */
export function decodeCqe(ring: Uint32Array, wordIndex: number): DecodedCqe {
  const flags = ring[wordIndex + CW.FLAGS];
  return {
    userDataLo: ring[wordIndex + CW.UD_LO],
    userDataHi: ring[wordIndex + CW.UD_HI],
    res: ring[wordIndex + CW.RES] | 0,
    flags,
    bufferId: flags >>> CQE_BUFFER_SHIFT,
  };
}
