/**
 * A provided-buffer ring (IORING_REGISTER_PBUF_RING, 5.19): memory we hand to the
 * kernel in advance so that a multishot RECV picks a buffer itself when data arrives,
 * instead of us guessing which buffer to pin to which socket.
 *
 * Two pieces of memory, both ours and both kept alive as long as the registration:
 *   - the buffers: `count` × `size` bytes in one ArrayBuffer; buffer id (bid) i is at
 *     i × size;
 *   - the ring: `count` × struct io_uring_buf { u64 addr; u32 len; u16 bid; u16 resv }
 *     on a page boundary (the kernel pins these pages).  The ring's tail is the u16
 *     `resv` of entry 0 (byte 14), written by us with a store-release after the
 *     entries; the kernel keeps its own head.
 * A CQE that used a buffer carries IORING_CQE_F_BUFFER and the bid in flags >> 16.
 * The consumer gives it back with `recycle(bid)` once it is done with the bytes.
 *
 * Both ArrayBuffers are the kernel's for as long as the registration lasts, so they
 * are sealed (op/buffers.ts `ownMemory`): a consumer that transfers a chunk's
 * `.buffer` (postMessage, structuredClone, transfer()) gets a copy or an error, and
 * the group is never taken away from the kernel under the other connections.
 *
 * May touch: its two ArrayBuffers, io_uring_register on its ring's fd.
 */
import { native } from '../sys/native.js';
import { ownMemory } from '../op/buffers.js';
import { Register } from '../sys/constants.js';
import { errnoError, invalidState, outOfRange } from '../op/errors.js';

const PAGE = 4096;
const TWO32 = 4294967296;

export class BufferRing {
  /** All the buffers, back to back. */
  readonly memory: Uint8Array;
  private readonly memBase: number;
  /** The ring entries as 32-bit words (4 per entry). */
  private readonly entries: Uint32Array;
  /** The same memory as 16-bit words: the tail is word 7. */
  private readonly entries16: Uint16Array;
  private readonly ringMemory: ArrayBuffer;
  private tail = 0;
  private readonly mask: number;
  private registered = true;
  /** Buffers the kernel has filled and handed to us that are not back yet. */
  private out = 0;
  /** Requests that ended with -ENOBUFS, waiting for a buffer to come back. */
  private readonly starving: (() => void)[] = [];

  constructor(private readonly ringFd: number, readonly bgid: number, readonly count: number, readonly size: number) {
    if (!Number.isInteger(count) || count < 1 || count > 32768 || (count & (count - 1)) !== 0) {
      throw outOfRange('count', 'a power of two between 1 and 32768', count);
    }
    if (!Number.isInteger(size) || size < 1 || size > 1 << 24) throw outOfRange('size', '>= 1 && <= 16 MiB', size);
    this.mask = count - 1;
    const mem = new ArrayBuffer(count * size);
    this.memory = new Uint8Array(mem);
    this.memBase = ownMemory(mem);
    // Over-allocate by a page and start the ring at the first page boundary inside.
    this.ringMemory = new ArrayBuffer(count * 16 + PAGE);
    const base = ownMemory(this.ringMemory);
    const skip = (PAGE - (base % PAGE)) % PAGE;
    this.entries = new Uint32Array(this.ringMemory, skip, count * 4);
    this.entries16 = new Uint16Array(this.ringMemory, skip, count * 8);
    // struct io_uring_buf_reg { u64 ring_addr; u32 ring_entries; u16 bgid; u16 flags; u64 resv[3]; }
    const reg = new Uint32Array(10);
    const ringAddr = base + skip;
    reg[0] = ringAddr >>> 0;
    reg[1] = (ringAddr - (ringAddr >>> 0)) / TWO32;
    reg[2] = count;
    reg[3] = bgid & 0xffff;
    const r = native.register(ringFd, Register.PBUF_RING, reg, 1);
    if (r < 0) throw errnoError(r, 'io_uring_register');
    for (let bid = 0; bid < count; bid++) this.put(bid);
    this.publish();
  }

  private put(bid: number): void {
    const e = (this.tail & this.mask) * 4;
    const addr = this.memBase + bid * this.size;
    const lo = addr >>> 0;
    const words = this.entries;
    words[e] = lo;
    words[e + 1] = (addr - lo) / TWO32;
    words[e + 2] = this.size;
    // bid (u16) and resv (u16): for entry 0 the resv half IS the tail, which only
    // publish() may write — so write the bid half alone.
    this.entries16[e * 2 + 6] = bid;
    this.tail = (this.tail + 1) & 0xffff;
  }

  /** Store-release the tail: the entries written before it are the kernel's now. */
  private publish(): void {
    Atomics.store(this.entries16, 7, this.tail);
  }

  /** A CQE handed us buffer `bid`: it is out of the ring until `recycle(bid)`. */
  took(): void {
    this.out++;
  }

  /** Does the ring hold any buffer right now? */
  get available(): boolean {
    return this.out < this.count;
  }

  /**
   * Call `fn` once a buffer is back in the ring (at once, in a macrotask, if one
   * already is): how a multishot recv that ended with -ENOBUFS re-arms without
   * spinning.
   */
  whenAvailable(fn: () => void): void {
    if (this.available) setImmediate(fn);
    else this.starving.push(fn);
  }

  /** Forget a `whenAvailable` wait (its consumer stopped). */
  cancelWait(fn: () => void): void {
    const i = this.starving.indexOf(fn);
    if (i >= 0) this.starving.splice(i, 1);
  }

  /** The bytes a CQE reported in buffer `bid`. */
  view(bid: number, length: number): Uint8Array {
    const at = bid * this.size;
    if (this.memory.byteLength === 0) {
      // Only on Node 22, where transfer() ignores the seal (op/buffers.ts): the memory
      // is still allocated (pinned) for the kernel, but JavaScript lost its view of it.
      throw invalidState('the provided-buffer memory was detached by ArrayBuffer.prototype.transfer(); ' +
                         'received data can no longer be read from this buffer group');
    }
    return this.memory.subarray(at, at + length);
  }

  /** Give buffer `bid` back to the kernel. */
  recycle(bid: number): void {
    this.out--;
    if (!this.registered) return;
    this.put(bid);
    this.publish();
    const fn = this.starving.shift();
    if (fn !== undefined) fn();
  }

  /** IORING_UNREGISTER_PBUF_RING (after every request using the group has ended). */
  close(): void {
    if (!this.registered) return;
    this.registered = false;
    const reg = new Uint32Array(10);
    reg[3] = this.bgid & 0xffff;
    native.register(this.ringFd, Register.UNREGISTER_PBUF_RING, reg, 1);
  }
}
