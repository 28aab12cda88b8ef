/**
 * Argument checks, as Node keeps them in its `validators` module: one place for the
 * rules every layer above shares — buffers, integers, offsets and lengths, file
 * descriptors, positions, signals, durations, booleans, encodings — with Node's error
 * codes and wording (ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE, ERR_INVALID_ARG_VALUE).
 * A bad argument fails here, before anything reaches the kernel.  The fs-shaped rules
 * (paths, flags, modes, fs positions) are fs/args.ts's, built on these.
 *
 * May touch: nothing; it reads its arguments (through the engine's own getters for
 * views: op/buffers.ts) and throws.
 */
import { invalidArgType, invalidArgValue, outOfRange } from './errors.js';
import { isDetached, viewBuffer } from './buffers.js';

/** Throw Node's ERR_INVALID_ARG_TYPE unless `v` is a Buffer, TypedArray or DataView over an ArrayBuffer. */
export function checkView(name: string, v: unknown): asserts v is ArrayBufferView {
  if (!ArrayBuffer.isView(v)) {
    throw invalidArgType(name, 'an instance of Buffer, TypedArray, or DataView', v);
  }
  if (!(viewBuffer(v) instanceof ArrayBuffer)) {
    // SharedArrayBuffer memory could be handed to the kernel too, but another
    // thread could race the kernel on it; keep it out until there is a reason.
    throw invalidArgType(name, 'a view over an ArrayBuffer (not a SharedArrayBuffer)', v);
  }
  if (isDetached(v)) throw invalidArgValue(name, v, 'is detached (its ArrayBuffer was transferred)');
}

/** Throw unless `v` is an array of views. */
export function checkViews(name: string, v: unknown): asserts v is ArrayBufferView[] {
  if (!Array.isArray(v)) throw invalidArgType(name, 'an instance of Array', v);
  for (let i = 0; i < v.length; i++) checkView(`${name}[${i}]`, v[i]);
}

/**
 * A file position as the kernel wants it: -1 (or null/undefined) means "the
 * current file position"; otherwise a non-negative integer, bigint allowed,
 * exact up to 2^53 (offsets past 4 GiB are ordinary).
 */
export function toPosition(name: string, v: unknown): number {
  if (v === undefined || v === null) return -1;
  if (typeof v === 'bigint') {
    if (v < -1n || v > BigInt(Number.MAX_SAFE_INTEGER)) throw outOfRange(name, `>= -1 && <= ${Number.MAX_SAFE_INTEGER}`, v);
    return Number(v);
  }
  if (typeof v !== 'number') throw invalidArgType(name, 'of type number or bigint', v);
  if (!Number.isInteger(v)) throw outOfRange(name, 'an integer', v);
  if (v < -1 || v > Number.MAX_SAFE_INTEGER) throw outOfRange(name, `>= -1 && <= ${Number.MAX_SAFE_INTEGER}`, v);
  return v;
}

/** An integer in [min, max] (Node's validateInteger, same errors). */
export function checkInteger(v: unknown, name: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number') throw invalidArgType(name, 'of type number', v);
  if (!Number.isInteger(v)) throw outOfRange(name, 'an integer', v);
  if (v < min || v > max) throw outOfRange(name, `>= ${min} && <= ${max}`, v);
  return v;
}

/**
 * `offset` and `length` inside a buffer of `bufferLength` bytes, with Node's rules and
 * wording (validateInteger + validateOffsetLengthRead/Write): integers, offset within
 * the buffer, length >= 0 and not past its end.  NaN, 1.5 or -1 are errors, never
 * truncated into a 0-byte request that looks like end of file.
 */
export function checkOffsetLength(offset: unknown, length: unknown, bufferLength: number): void {
  checkInteger(offset, 'offset', 0);
  checkInteger(length, 'length', Number.MIN_SAFE_INTEGER);
  const off = offset as number;
  const len = length as number;
  if (off > bufferLength) throw outOfRange('offset', `<= ${bufferLength}`, off);
  if (len < 0) throw outOfRange('length', '>= 0', len);
  if (off + len > bufferLength) throw outOfRange('length', `<= ${bufferLength - off}`, len);
}

/** A file descriptor: an int32 >= 0. */
export function checkFd(v: unknown, name = 'fd'): asserts v is number {
  if (typeof v !== 'number') throw invalidArgType(name, 'of type number', v);
  if (!Number.isInteger(v) || v < 0 || v > 0x7fffffff) throw outOfRange(name, '>= 0 && <= 2147483647', v);
}

/**
 * Node's validateAbortSignal: undefined, or an object with `aborted` (an AbortSignal,
 * or anything shaped like one — Node only ever reads `aborted` from it).
 */
export function checkSignal(signal: unknown, name = 'options.signal'): AbortSignal | undefined {
  if (signal === undefined) return undefined;
  if (signal === null || typeof signal !== 'object' || !('aborted' in signal)) {
    throw invalidArgType(name, 'an instance of AbortSignal', signal);
  }
  return signal as AbortSignal;
}

/** The `signal` of an options bag (Node's rules: options is an object or undefined). */
export function signalOf(opts: unknown): AbortSignal | undefined {
  if (opts === undefined || opts === null) return undefined;
  if (typeof opts !== 'object') throw invalidArgType('options', 'of type object', opts);
  return checkSignal((opts as { signal?: unknown }).signal);
}

/** Milliseconds: a finite number >= 0 (fractions allowed, down to nanoseconds). */
export function checkMs(name: string, ms: unknown): number {
  if (typeof ms !== 'number') throw invalidArgType(name, 'of type number', ms);
  if (!(ms >= 0) || !Number.isFinite(ms)) throw outOfRange(name, 'a finite number >= 0', ms);
  return ms;
}

/** Node's validateBoolean. */
export function checkBoolean(v: unknown, name: string): boolean {
  if (typeof v !== 'boolean') throw invalidArgType(name, 'of type boolean', v);
  return v;
}

/** An encoding name Buffer knows, or null/undefined for "return a Buffer". */
export function checkEncoding(v: unknown, name = 'encoding'): BufferEncoding | null {
  if (v === undefined || v === null || v === 'buffer') return null;
  if (typeof v !== 'string' || !Buffer.isEncoding(v)) {
    throw invalidArgValue(name, v, 'is invalid encoding');
  }
  return v;
}
