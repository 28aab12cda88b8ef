/**
 * The completion queue entry: its 16-byte layout (32 with IORING_SETUP_CQE32) and how
 * RingCore reads it.  The reaper (`runtime/ring.ts`) reads the words directly at the
 * offsets named here; `decodeCqe` is the slow, readable form for traces and tests.
 *
 * May touch: nothing; it reads the CQ memory it is given.
 */
import { CQE_BUFFER_SHIFT } from './constants.js';

/** Word offsets inside one CQE. */
export const CW = {
  /** bytes 0..7: user_data (u64), low word first. */
  UD_LO: 0,
  UD_HI: 1,
  /** bytes 8..11: res (s32). */
  RES: 2,
  /** bytes 12..15: flags (u32). */
  FLAGS: 3,
} as const;

export interface DecodedCqe {
  userDataLo: number;
  userDataHi: number;
  res: number;
  flags: number;
  /** The provided-buffer id, when IORING_CQE_F_BUFFER is set. */
  bufferId: number;
}

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
