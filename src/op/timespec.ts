/**
 * `struct __kernel_timespec { s64 tv_sec; s64 tv_nsec; }` — what TIMEOUT and
 * LINK_TIMEOUT SQEs point at (`addr`), and the memory that holds them.  The memory
 * must stay valid and in place until the kernel has read it: each slot of a ring owns
 * one 16-byte timespec for as long as the ring lives, so a sleep allocates nothing
 * the kernel could outlive.
 *
 * May touch: its own chunks of memory (never freed or moved).
 */
import { baseAddress } from './buffers.js';

/**
 * The largest tv_sec we write: 2^53 - 1 s (285 million years), exact as a Number.  The
 * kernel clamps anything past KTIME_MAX (292 years) to "never", so a longer sleep is
 * never cut short — unlike a timespec whose s64 seconds wrapped, or Node's
 * setTimeout, which turns a delay past 2^31 - 1 ms into 1 ms.
 */
const MAX_SEC = Number.MAX_SAFE_INTEGER;

const TWO32 = 4294967296;
/** 4096 timespecs (64 KiB) per chunk. */
const CHUNK_SHIFT = 12;

/** `ms` as a `struct __kernel_timespec`: [tv_sec, tv_nsec], never shorter than asked. */
export function toTimespec(ms: number): [number, number] {
  if (ms / 1000 >= MAX_SEC) return [MAX_SEC, 0];
  let sec = Math.floor(ms / 1000);
  let nsec = Math.ceil((ms - sec * 1000) * 1e6);
  if (nsec < 0) nsec = 0;
  if (nsec >= 1e9) {
    sec += 1;
    nsec -= 1e9;
  }
  return [sec, nsec];
}

/** One timespec per slot, in chunks allocated as slots appear (a ring's `timespec()`). */
export class TimespecArena {
  private readonly chunks: Uint32Array[] = [];
  private readonly addrs: number[] = [];

  /** Write the timespec for `ms` into `slot`'s entry; its address, for the SQE. */
  write(slot: number, ms: number): number {
    const c = slot >>> CHUNK_SHIFT;
    while (this.chunks.length <= c) {
      const ab = new ArrayBuffer(16 << CHUNK_SHIFT);
      this.chunks.push(new Uint32Array(ab));
      this.addrs.push(baseAddress(ab));
    }
    const words = this.chunks[c];
    const w = (slot & ((1 << CHUNK_SHIFT) - 1)) * 4;
    const [sec, nsec] = toTimespec(ms);
    const lo = sec >>> 0;
    words[w] = lo; // tv_sec, low word
    words[w + 1] = (sec - lo) / TWO32; // tv_sec, high word
    words[w + 2] = nsec; // tv_nsec (< 10^9: the high word is 0)
    words[w + 3] = 0;
    return this.addrs[c] + w * 4;
  }
}
