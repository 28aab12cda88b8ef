/**
 * Addresses of JavaScript memory for the kernel, and whether that memory is still
 * there (the argument checks on buffers are op/validate.ts's).
 *
 * An SQE carries raw user addresses.  V8 never moves an ArrayBuffer's backing
 * store, but a typed array of 64 bytes or less may live *inside* the V8 heap (and
 * move with it) until its `.buffer` is touched, which copies it out to a stable
 * backing store.  So we always take the address of `view.buffer` — touching it is
 * the materialization — and add `byteOffset`.  The base address is cached per
 * ArrayBuffer in a WeakMap: `Buffer.allocUnsafe` slices share one pooled
 * ArrayBuffer, so the native `address()` call happens once per pool, not per read.
 *
 * Detaching.  JavaScript can take an ArrayBuffer's memory away from its object
 * (`transfer()`, `structuredClone`/`postMessage` with a transfer list).  Two rules
 * keep the kernel off freed memory:
 *   1. Before an SQE is written, the op checks that its views still cover what it
 *      asked for (a detached view has byteLength 0): if not, it is refused and
 *      nothing reaches the kernel (`viewGone`, called from the ops' `check`).
 *   2. While an op is in flight, its memory stays allocated whatever JavaScript
 *      does: on Node the native address call also *pins* the backing store to the
 *      ArrayBuffer object (native/v8pin.cc), and the op holds its views — hence
 *      that object — until the terminal CQE.  A transfer then moves the memory's
 *      ownership but cannot free it.  Memory the ring owns and lends out
 *      (provided buffers) is *sealed* instead: it cannot be detached at all.
 *
 * May touch: the native `address`/`addressPinned`/`seal` calls and the cache.
 */
import { createRequire } from 'node:module';
import { native, v8Native } from '../sys/native.js';
import { invalidState } from './errors.js';

const bases = new WeakMap<ArrayBuffer, number>();

// A view's buffer, offset and length as the engine knows them.  `view.byteLength` is
// an ordinary property lookup: an own property or a swapped prototype can make it say
// anything, and an SQE built from such a lie would let the kernel write past the
// ArrayBuffer.  Everything that reaches an SQE goes through these instead (what Node's
// primordials do).
const TypedArrayProto = Object.getPrototypeOf(Uint8Array.prototype) as object;
function getter(proto: object, name: string): (this: unknown) => any {
  return Object.getOwnPropertyDescriptor(proto, name)!.get!;
}
const taTag = getter(TypedArrayProto, Symbol.toStringTag as unknown as string);
const taBuffer = getter(TypedArrayProto, 'buffer');
const taOffset = getter(TypedArrayProto, 'byteOffset');
const taLength = getter(TypedArrayProto, 'byteLength');
const dvBuffer = getter(DataView.prototype, 'buffer');
const dvOffset = getter(DataView.prototype, 'byteOffset');
const dvLength = getter(DataView.prototype, 'byteLength');

/** The engine's own byteLength of a TypedArray or DataView (0 once detached). */
export function viewLength(v: ArrayBufferView): number {
  return taTag.call(v) !== undefined ? taLength.call(v) : dvLength.call(v);
}

/** The engine's own byteOffset. */
export function viewOffset(v: ArrayBufferView): number {
  return taTag.call(v) !== undefined ? taOffset.call(v) : dvOffset.call(v);
}

/** The engine's own buffer (touching it materializes an on-heap typed array). */
export function viewBuffer(v: ArrayBufferView): ArrayBuffer {
  return taTag.call(v) !== undefined ? taBuffer.call(v) : dvBuffer.call(v);
}

/** The base address of `ab`'s memory, pinned where the runtime allows (see above). */
export function baseAddress(ab: ArrayBuffer): number {
  let base = bases.get(ab);
  if (base === undefined) {
    base = v8Native ? native.addressPinned(ab) : native.address(ab);
    bases.set(ab, base);
  }
  return base;
}

/** The user address of a view's first byte. */
export function addressOf(view: ArrayBufferView): number {
  return baseAddress(viewBuffer(view)) + viewOffset(view); // the buffer first: it materializes an on-heap typed array
}

/**
 * Memory the ring owns and hands to the kernel for as long as it lives (provided
 * buffers): never detachable — Node's own Buffer pool is marked the same way.
 */
export function ownMemory(ab: ArrayBuffer): number {
  // node:worker_threads is loaded here, on first use, not at import: it costs ~3 ms.
  markAsUntransferable ??= (createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads')).markAsUntransferable;
  markAsUntransferable(ab); // postMessage/structuredClone: a copy (Node 20) or DataCloneError
  if (sealable) native.seal(ab); // transfer(): TypeError
  return baseAddress(ab);
}

/**
 * V8 honours an ArrayBuffer's detach key in `transfer()` from V8 13 (Node 24) on.
 * V8 12 (Node 22) aborts the process instead of throwing, so there the key is not
 * set: `transfer()` can detach ring memory — the pin still keeps the kernel off freed
 * memory, and the buffer ring reports the loss as an error (runtime/bufring.ts).
 * V8 11 (Node 20) has no `transfer()`.
 */
const sealable = v8Native && Number.parseInt(process.versions.v8, 10) >= 13;
let markAsUntransferable: ((ab: ArrayBuffer) => void) | undefined;

/** Has `view`'s ArrayBuffer been detached (transferred away)? */
export function isDetached(view: ArrayBufferView): boolean {
  if (viewLength(view) !== 0) return false;
  const ab = viewBuffer(view) as ArrayBuffer & { detached?: boolean };
  if (typeof ab.detached === 'boolean') return ab.detached; // ES2024 (Node 22+)
  try {
    new Uint8Array(ab, 0, 0); // throws on a detached ArrayBuffer
    return false;
  } catch {
    return true;
  }
}

/**
 * An op's check just before its SQE is written: does `view` still hold
 * `offset + length` bytes?  A detached (or shrunk resizable) buffer does not, and the
 * op must not reach the kernel.
 */
export function viewGone(view: ArrayBufferView, offset: number, length: number, syscall: string): Error | undefined {
  const has = viewLength(view);
  if (offset + length <= has) return undefined;
  return goneError(view, offset, length, syscall);
}

function goneError(view: ArrayBufferView, offset: number, length: number, syscall: string): Error {
  return invalidState(`the buffer of this ${syscall} was detached or shrunk before it was submitted ` +
                      `(it holds ${viewLength(view)} bytes, the request needs ${offset + length})`);
}

/**
 * The check and the address in one pass, for the hot read/write ops: the user address
 * of byte `offset` of `view` if the view still holds `offset + length` bytes (0 for an
 * empty region), else the error that refuses the op.
 */
export function regionAddress(view: ArrayBufferView, offset: number, length: number, syscall: string): number | Error {
  let ab: ArrayBuffer;
  let off: number;
  if (taTag.call(view) !== undefined) {
    if (offset + length > taLength.call(view)) return goneError(view, offset, length, syscall);
    if (length === 0) return 0;
    ab = taBuffer.call(view);
    off = taOffset.call(view);
  } else {
    if (offset + length > dvLength.call(view)) return goneError(view, offset, length, syscall);
    if (length === 0) return 0;
    ab = dvBuffer.call(view);
    off = dvOffset.call(view);
  }
  return baseAddress(ab) + off + offset;
}

/** The largest byte count Linux moves in one read/write (MAX_RW_COUNT). */
export const MAX_RW = 0x7ffff000;

/**
 * Kernel-visible scratch memory (iovec arrays, statx buffers, paths): a slice of
 * Node's Buffer pool for small sizes — a bump allocator whose ArrayBuffer address is
 * already cached — or its own ArrayBuffer for large ones.  Slices are 8-byte aligned
 * and never overlap; the op that holds one keeps it alive until its terminal CQE.
 */
export function scratch(size: number): Buffer {
  return Buffer.allocUnsafe(size);
}

/**
 * An iovec array for readv/writev: `struct iovec { void *iov_base; size_t iov_len; }`,
 * 16 bytes each, kept alive by the op until the terminal CQE, like the buffers it
 * points at.
 */
export function iovecs(views: readonly ArrayBufferView[]): Uint32Array {
  const mem = scratch(Math.max(1, views.length) * 16);
  const iov = new Uint32Array(mem.buffer, mem.byteOffset, mem.byteLength >>> 2);
  for (let i = 0; i < views.length; i++) {
    const v = views[i];
    const n = viewLength(v);
    const a = n === 0 ? 0 : addressOf(v);
    const lo = a >>> 0;
    iov[i * 4] = lo;
    iov[i * 4 + 1] = (a - lo) / 4294967296;
    iov[i * 4 + 2] = n >>> 0;
    iov[i * 4 + 3] = (n - (n >>> 0)) / 4294967296;
  }
  return iov;
}
