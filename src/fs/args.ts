/**
 * Argument handling for `ringcore/fs`, matching `node:fs/promises`: the same accepted
 * shapes (paths as string, Buffer or file: URL; flags as strings or numbers; modes as
 * numbers or octal strings), the same defaults, and the same error classes and codes
 * (ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE, ERR_OUT_OF_RANGE,
 * ERR_INVALID_URL_SCHEME) — all thrown before anything is submitted.  The checks
 * every layer shares (integers, buffers, signals, encodings) are op/validate.ts's.
 *
 * May touch: nothing; pure validation and conversion.
 */
import { fileURLToPath } from 'node:url';
import { constants as C } from 'node:fs';
import { codedError, invalidArgType, invalidArgValue, outOfRange } from '../op/errors.js';
import { READ_VALIDATES_POSITION } from './node-line.js';
import type { KernelPath } from '../op/fsops.js';
import { checkInteger } from '../op/validate.js';

export type PathLike = string | Buffer | URL;

/** A path for the kernel: its bytes plus NUL, and the string errors print. */
export function toKernelPath(v: unknown, name = 'path'): KernelPath {
  let s: string | undefined;
  let bytes: Buffer | undefined;
  if (typeof v === 'string') {
    s = v;
  } else if (v instanceof URL) {
    if (v.protocol !== 'file:') throw codedError(TypeError, 'ERR_INVALID_URL_SCHEME', 'The URL must be of scheme file');
    s = fileURLToPath(v);
  } else if (v instanceof Uint8Array) {
    if (v.includes(0)) {
      throw invalidArgValue(name, v, 'must be a string, Uint8Array, or URL without null bytes');
    }
    bytes = Buffer.allocUnsafe(v.byteLength + 1);
    bytes.set(v);
    bytes[v.byteLength] = 0;
    return { bytes, display: Buffer.from(v).toString() };
  } else {
    throw invalidArgType(name, 'of type string or an instance of Buffer or URL', v);
  }
  if (s.includes('\u0000')) {
    throw invalidArgValue(name, s, 'must be a string, Uint8Array, or URL without null bytes');
  }
  return { bytes: Buffer.from(s + '\u0000'), display: s };
}

const FLAGS: Record<string, number> = {
  r: C.O_RDONLY,
  rs: C.O_RDONLY | C.O_SYNC,
  sr: C.O_RDONLY | C.O_SYNC,
  'r+': C.O_RDWR,
  'rs+': C.O_RDWR | C.O_SYNC,
  'sr+': C.O_RDWR | C.O_SYNC,
  w: C.O_TRUNC | C.O_CREAT | C.O_WRONLY,
  wx: C.O_TRUNC | C.O_CREAT | C.O_WRONLY | C.O_EXCL,
  xw: C.O_TRUNC | C.O_CREAT | C.O_WRONLY | C.O_EXCL,
  'w+': C.O_TRUNC | C.O_CREAT | C.O_RDWR,
  'wx+': C.O_TRUNC | C.O_CREAT | C.O_RDWR | C.O_EXCL,
  'xw+': C.O_TRUNC | C.O_CREAT | C.O_RDWR | C.O_EXCL,
  a: C.O_APPEND | C.O_CREAT | C.O_WRONLY,
  ax: C.O_APPEND | C.O_CREAT | C.O_WRONLY | C.O_EXCL,
  xa: C.O_APPEND | C.O_CREAT | C.O_WRONLY | C.O_EXCL,
  as: C.O_APPEND | C.O_CREAT | C.O_WRONLY | C.O_SYNC,
  sa: C.O_APPEND | C.O_CREAT | C.O_WRONLY | C.O_SYNC,
  'a+': C.O_APPEND | C.O_CREAT | C.O_RDWR,
  'ax+': C.O_APPEND | C.O_CREAT | C.O_RDWR | C.O_EXCL,
  'xa+': C.O_APPEND | C.O_CREAT | C.O_RDWR | C.O_EXCL,
  'as+': C.O_APPEND | C.O_CREAT | C.O_RDWR | C.O_SYNC,
  'sa+': C.O_APPEND | C.O_CREAT | C.O_RDWR | C.O_SYNC,
};

/** Node's stringToFlags: 'r', 'w+', 'ax', ... or a number. */
export function toFlags(v: unknown, dflt: string, name = 'flags'): number {
  if (v === undefined || v === null) return FLAGS[dflt];
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw outOfRange(name, 'an integer', v);
    return v;
  }
  if (typeof v === 'string') {
    const f = FLAGS[v];
    if (f === undefined) throw invalidArgValue(name, v);
    return f;
  }
  throw invalidArgValue(name, v);
}

/** Node's parseFileMode: a uint32 or an octal string. */
export function toMode(v: unknown, name: string, dflt: number): number {
  if (v === undefined || v === null) return dflt;
  if (typeof v === 'string') {
    if (!/^[0-7]+$/.test(v)) throw invalidArgValue(name, v, 'must be a 32-bit unsigned integer or an octal string');
    v = parseInt(v, 8);
  }
  return checkInteger(v, name, 0, 0xffffffff); // Node's validateUint32
}


/** Options may be an encoding string or an object (Node's getOptions). */
export function optionsObject<T extends object>(v: unknown, name = 'options'): Partial<T> & { encoding?: unknown } {
  if (v === undefined || v === null) return {};
  if (typeof v === 'string') return { encoding: v } as unknown as Partial<T>;
  if (typeof v !== 'object') throw invalidArgType(name, 'one of type string or object', v);
  return v as Partial<T>;
}


/**
 * A file position for read/write/readv/writev, by Node 20's rules for a Number — a
 * safe integer >= 0 is a position; anything else (null, -1, 1.5, '5', 2**53, -7) means
 * "the current file position" (-1), never an error — and, for a bigint, by the rule
 * Node documents (and Node 22 applies; Node 20 ignores bigints): -1n, or 0n up to
 * 2^63-1 minus `length`, else ERR_OUT_OF_RANGE.  Positions past 2^53 stay bigint
 * (see RwAtOp).
 */
export function filePosition(v: unknown, length: number, name = 'position'): number | bigint {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? v : -1;
  if (typeof v === 'bigint') {
    const max = 2n ** 63n - 1n - BigInt(length);
    if (!(v >= -1n && v <= max)) throw outOfRange(name, `>= -1 && <= ${max}`, v);
    return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }
  return -1;
}

/**
 * FileHandle.read's position.  Node 20: filePosition's rules (a non-safe-integer
 * Number, a string, an object: the current position).  Node 22+ (READ_VALIDATES_POSITION,
 * node-line.ts): Node's validatePosition — null/undefined is the current position; a
 * Number must be an integer >= -1 and <= 2^53-1 (ERR_OUT_OF_RANGE); a bigint as
 * filePosition; any other type is ERR_INVALID_ARG_TYPE.
 */
export function readPosition(v: unknown, length: number): number | bigint {
  if (!READ_VALIDATES_POSITION || v === undefined || v === null) return filePosition(v, length);
  if (typeof v === 'number') return checkInteger(v, 'position', -1);
  if (typeof v !== 'bigint') throw invalidArgType('position', 'of type bigint or integer', v);
  return filePosition(v, length);
}

/** Node's parseFileMode without a default (chmod, fchmod): a uint32 or an octal string. */
export function requiredMode(v: unknown, name = 'mode'): number {
  if (typeof v === 'string') {
    if (!/^[0-7]+$/.test(v)) throw invalidArgValue(name, v, 'must be a 32-bit unsigned integer or an octal string');
    return parseInt(v, 8);
  }
  return checkInteger(v, name, 0, 0xffffffff);
}

/**
 * A FileHandle of node:fs/promises (Node does not export its class): what readFile,
 * writeFile and appendFile accept beside ours, by its fd.
 */
export function isNodeFileHandle(v: unknown): v is { fd: number } {
  if (v === null || typeof v !== 'object') return false;
  const o = v as { fd?: unknown; getAsyncId?: unknown; constructor?: { name?: string } };
  return o.constructor?.name === 'FileHandle' && typeof o.fd === 'number' && typeof o.getAsyncId === 'function';
}
