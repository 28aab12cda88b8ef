/**
 * The loops behind readFile/writeFile/copyFile: short reads and writes are legal,
 * so "all of it" means looping until EOF (a read of 0) or until every byte is out.
 * readFile reads until EOF, never just up to the size statx reports: /proc files
 * say 0 and have content, pipes have no size, and files grow.
 *
 * May touch: the ring it is given (read/write/statx requests).
 */
import { Opcode } from '../sys/constants.js';
import { RwOp } from '../op/io.js';
import { StatxOp } from '../op/fsops.js';
import { AT } from '../sys/file.js';
import { AbortError, codedError, errnoError, invalidArgType, outOfRange } from '../op/errors.js';
import { WRITE_VALIDATES_FD } from './node-line.js';
import { constants } from 'node:fs';
import type { Ring } from '../runtime/ring.js';
import { EIO } from '../sys/errno.js';

const { S_IFMT, S_IFREG } = constants;

/** What writeFile accepts, as Node's does. */
export type WriteData = string | ArrayBufferView | Iterable<string | ArrayBufferView> | AsyncIterable<string | ArrayBufferView>;

/** First read of a readFile: small enough to come from Node's Buffer pool (no new ArrayBuffer). */
const FIRST_CHUNK = 4032;
const EMPTY_PATH = { bytes: Buffer.from([0]), display: '' };

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
}

/** Node's kIoMaxLength: readFile refuses a regular file larger than this (2 GiB - 1). */
export const IO_MAX_LENGTH = 2 ** 31 - 1;

/** statx(fd): its size, after Node's check (a regular file over 2 GiB: ERR_FS_FILE_TOO_LARGE). */
async function sizeOf(ring: Ring, fd: number, signal: AbortSignal | undefined): Promise<number> {
  const st = await new StatxOp(ring, EMPTY_PATH, AT.EMPTY_PATH, { signal }, fd, 'fstat').promise();
  const size = st.readUInt32LE(40) + st.readUInt32LE(44) * 4294967296;
  if ((st.readUInt16LE(28) & S_IFMT) === S_IFREG && size > IO_MAX_LENGTH) {
    throw codedError(RangeError, 'ERR_FS_FILE_TOO_LARGE', `File size (${size}) is greater than 2 GiB`);
  }
  return size;
}

/**
 * Read `fd` from its current position to EOF.  The size (statx) is asked once the
 * first chunk comes back full — a small file costs no statx — or, with `statFirst`,
 * before anything is read (a FileHandle's position must not move when a file over
 * 2 GiB is refused, as Node refuses it).
 */
export async function readAll(ring: Ring, fd: number, signal?: AbortSignal, statFirst = false): Promise<Buffer> {
  checkAborted(signal);
  let buf: Buffer;
  let sized = false;
  if (statFirst) {
    sized = true;
    const size = await sizeOf(ring, fd, signal);
    buf = size < FIRST_CHUNK ? Buffer.allocUnsafe(FIRST_CHUNK) : Buffer.allocUnsafeSlow(size + 1);
  } else {
    buf = Buffer.allocUnsafe(FIRST_CHUNK);
  }
  let n = 0;
  for (;;) {
    if (n === buf.length) {
      // Bigger than the first chunk: ask statx for a size hint once, then grow
      // geometrically past it if the file keeps going.
      let want = buf.length * 2;
      if (!sized) {
        sized = true;
        const size = await sizeOf(ring, fd, signal);
        if (size + 1 > want) want = size + 1;
      }
      const next = Buffer.allocUnsafeSlow(want);
      buf.copy(next, 0, 0, n);
      buf = next;
    }
    const r = await new RwOp<number>(ring, { opcode: Opcode.READ, fd, buffer: buf, offset: n, length: buf.length - n, position: -1, signal }).promise();
    if (r === 0) break;
    n += r;
  }
  if (n === buf.length) return buf;
  // Return an exact-size Buffer; copying is cheaper than pinning a mostly empty one.
  return n <= FIRST_CHUNK || n < buf.length / 2 ? Buffer.from(buf.subarray(0, n)) : buf.subarray(0, n);
}

/** Write every chunk completely at the current position (or appending, per the fd's flags). */
export async function writeAll(ring: Ring, fd: number, chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
                               signal?: AbortSignal): Promise<void> {
  for await (const chunk of chunks) {
    const total = chunk.byteLength; // fixed now: a buffer detached midway is an error, not the end
    let off = 0;
    while (off < total) {
      checkAborted(signal);
      // Node 22+ validates the fd of a write before the syscall (WRITE_VALIDATES_FD):
      // writeFile(closedFileHandle, 'x') is ERR_OUT_OF_RANGE there, EBADF on Node 20.
      if (fd < 0 && WRITE_VALIDATES_FD) throw outOfRange('fd', '>= 0 && <= 2147483647', fd);
      const n = await new RwOp<number>(ring, { opcode: Opcode.WRITE, fd, buffer: chunk, offset: off, length: total - off, position: -1, signal }).promise();
      if (n === 0) throw errnoError(EIO, 'write'); // no progress (never loop on it)
      off += n;
    }
  }
  checkAborted(signal);
}

function toBytes(c: unknown, enc: BufferEncoding): Uint8Array {
  if (typeof c === 'string') return Buffer.from(c, enc);
  if (ArrayBuffer.isView(c)) return new Uint8Array(c.buffer, c.byteOffset, c.byteLength);
  throw invalidArgType('data', 'of type string or an instance of Buffer, TypedArray, or DataView', c);
}

/** Normalize writeFile's data argument to byte chunks (checked eagerly where possible). */
export function toChunks(data: unknown, enc: BufferEncoding): Iterable<Uint8Array> | AsyncIterable<Uint8Array> {
  if (typeof data === 'string' || ArrayBuffer.isView(data)) return [toBytes(data, enc)];
  if (data !== null && typeof data === 'object') {
    if (Symbol.asyncIterator in data) {
      const it = data as AsyncIterable<unknown>;
      return (async function* () {
        for await (const c of it) yield toBytes(c, enc);
      })();
    }
    if (Symbol.iterator in data) {
      const it = data as Iterable<unknown>;
      return (function* () {
        for (const c of it) yield toBytes(c, enc);
      })();
    }
  }
  throw invalidArgType('data', 'of type string or an instance of Buffer, TypedArray, DataView, or an Iterable', data);
}
