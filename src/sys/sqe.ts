/**
 * The submission queue entry: its 64-byte layout and the one encoder in RingCore.
 * Every SQE the runtime submits is written by `prep()` below and adjusted only by the
 * setters beside it; nothing else writes into the SQE array.
 *
 * The array is a `Uint32Array` over the mapped SQEs: 16 words per entry.  64-bit
 * fields (off, addr, user_data, addr3) are written as two 32-bit halves, low word
 * first (x86-64 is little-endian): that avoids BigInt on the hot path, and every
 * value we put there (user addresses < 2^47, offsets < 2^53) is exact as a Number.
 *
 * The field guide (byte offset, width, name; every union member and the opcodes that
 * read it) is the table below; `cqe.ts` has the same for completions.
 *
 * May touch: the SQE array it is given.  Never the ring head/tail (see `rings.ts`).
 */

/** Bytes per SQE (without IORING_SETUP_SQE128). */
export const SQE_SIZE = 64;
/** 32-bit words per SQE. */
export const SQE_WORDS = 16;

/**
 * Word offsets inside one SQE.  See the field guide in the doc comments below.
 */
export const W = {
  /** bytes 0..3: opcode (u8), flags (u8), ioprio (u16) */
  HEAD: 0,
  /** bytes 4..7: fd (s32) */
  FD: 1,
  /** bytes 8..15: off / addr2 / cmd_op+__pad1 (u64) */
  OFF_LO: 2,
  OFF_HI: 3,
  /** bytes 16..23: addr / splice_off_in / level+optname (u64) */
  ADDR_LO: 4,
  ADDR_HI: 5,
  /** bytes 24..27: len (u32) */
  LEN: 6,
  /** bytes 28..31: the per-opcode flags union (rw_flags, timeout_flags, ...) */
  OP_FLAGS: 7,
  /** bytes 32..39: user_data (u64) */
  UD_LO: 8,
  UD_HI: 9,
  /** bytes 40..43: buf_index / buf_group (u16), personality (u16) */
  BUF: 10,
  /** bytes 44..47: splice_fd_in / file_index / optlen / addr_len+__pad3 (u32) */
  FILE_INDEX: 11,
  /** bytes 48..55: addr3 / optval / cmd[0..7] (u64) */
  ADDR3_LO: 12,
  ADDR3_HI: 13,
  /** bytes 56..63: __pad2[0] / cmd[8..15] (u64) */
  PAD2_LO: 14,
  PAD2_HI: 15,
} as const;

const TWO32 = 4294967296;

/**
 * Write a whole SQE: the shape of liburing's `io_uring_prep_rw`.  Every word is
 * written — the kernel rejects some opcodes (EINVAL) when fields it does not use
 * are non-zero, and the SQE array is reused ring-round after ring-round.
 *
 * @param sqes    the mapped SQE array as 32-bit words
 * @param index   the SQE slot (tail & mask)
 * @param opcode  IORING_OP_*
 * @param fd      file descriptor (or registered-file index with IOSQE_FIXED_FILE)
 * @param addr    user address (buffer, iovec array, path, timespec ...), or a value
 * @param len     byte count, iovec count, or opcode-specific count
 * @param off     file offset; -1 means "the file's current position"
 */
export function prep(sqes: Uint32Array, index: number, opcode: number, fd: number,
                     addr: number, len: number, off: number): void {
  const b = index * SQE_WORDS;
  sqes[b] = opcode; // flags = 0, ioprio = 0
  sqes[b + 1] = fd;
  const offLo = off >>> 0;
  sqes[b + 2] = offLo;
  sqes[b + 3] = (off - offLo) / TWO32;
  const addrLo = addr >>> 0;
  sqes[b + 4] = addrLo;
  sqes[b + 5] = (addr - addrLo) / TWO32;
  sqes[b + 6] = len;
  sqes[b + 7] = 0;
  sqes[b + 8] = 0;
  sqes[b + 9] = 0;
  sqes[b + 10] = 0;
  sqes[b + 11] = 0;
  sqes[b + 12] = 0;
  sqes[b + 13] = 0;
  sqes[b + 14] = 0;
  sqes[b + 15] = 0;
}

/** `flags` (byte 1): IOSQE_* bits, OR-ed in. */
export function orSqeFlags(sqes: Uint32Array, index: number, flags: number): void {
  sqes[index * SQE_WORDS] |= (flags & 0xff) << 8;
}

/** `ioprio` (bytes 2..3): I/O priority, or per-opcode bits (accept/recv multishot ...). */
export function setIoprio(sqes: Uint32Array, index: number, ioprio: number): void {
  const b = index * SQE_WORDS;
  sqes[b] = (sqes[b] & 0xffff) | ((ioprio & 0xffff) << 16);
}

/** The per-opcode flags word (bytes 28..31). */
export function setOpFlags(sqes: Uint32Array, index: number, flags: number): void {
  sqes[index * SQE_WORDS + 7] = flags;
}

/** `user_data` (bytes 32..39): echoed back untouched in the CQE. */
export function setUserData(sqes: Uint32Array, index: number, lo: number, hi: number): void {
  const b = index * SQE_WORDS + 8;
  sqes[b] = lo;
  sqes[b + 1] = hi;
}

/** `addr` as two words: for values that are not addresses (ASYNC_CANCEL's target user_data). */
export function setAddrWords(sqes: Uint32Array, index: number, lo: number, hi: number): void {
  const b = index * SQE_WORDS + 4;
  sqes[b] = lo;
  sqes[b + 1] = hi;
}

/** `buf_index`/`buf_group` (bytes 40..41). */
export function setBufIndex(sqes: Uint32Array, index: number, bufIndex: number): void {
  const b = index * SQE_WORDS + 10;
  sqes[b] = (sqes[b] & 0xffff0000) | (bufIndex & 0xffff);
}

/** `splice_fd_in`/`file_index`/`addr_len` (bytes 44..47). */
export function setFileIndex(sqes: Uint32Array, index: number, v: number): void {
  sqes[index * SQE_WORDS + 11] = v;
}

/** `addr3` (bytes 48..55). */
export function setAddr3(sqes: Uint32Array, index: number, addr: number): void {
  const b = index * SQE_WORDS + 12;
  const lo = addr >>> 0;
  sqes[b] = lo;
  sqes[b + 1] = (addr - lo) / TWO32;
}

/** A decoded SQE, for traces and tests: read back from the mapped bytes themselves. */
export interface DecodedSqe {
  opcode: number;
  flags: number;
  ioprio: number;
  fd: number;
  off: number;
  addr: number;
  len: number;
  opFlags: number;
  userData: number;
  bufIndex: number;
  personality: number;
  fileIndex: number;
  addr3: number;
}

function u64(lo: number, hi: number): number {
  // -1 offsets (0xffffffff_ffffffff) come back as -1, not 2^64-1.
  if (hi === 0xffffffff && lo === 0xffffffff) return -1;
  return hi * TWO32 + lo;
}

export function decodeSqe(sqes: Uint32Array, index: number): DecodedSqe {
  const b = index * SQE_WORDS;
  const w0 = sqes[b];
  return {
    opcode: w0 & 0xff,
    flags: (w0 >>> 8) & 0xff,
    ioprio: w0 >>> 16,
    fd: sqes[b + 1] | 0,
    off: u64(sqes[b + 2], sqes[b + 3]),
    addr: u64(sqes[b + 4], sqes[b + 5]),
    len: sqes[b + 6],
    opFlags: sqes[b + 7],
    userData: u64(sqes[b + 8], sqes[b + 9]),
    bufIndex: sqes[b + 10] & 0xffff,
    personality: sqes[b + 10] >>> 16,
    fileIndex: sqes[b + 11],
    addr3: u64(sqes[b + 12], sqes[b + 13]),
  };
}
