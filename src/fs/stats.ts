/**
 * The objects `stat`, `lstat` and `FileHandle.stat` resolve with, decoded from the
 * kernel's `struct statx`: Node's own `fs.Stats` (constructed with the numbers, so it
 * is `instanceof fs.Stats`, prints and behaves as Node's), or with `{ bigint: true }`
 * a `BigIntStats` shaped as Node's — bigint fields plus nanosecond times (`atimeNs`,
 * ...), which statx carries.  Node does not export its BigIntStats class; ours has
 * Node's Stats base prototype (`isFile()`, ...) in its chain, as Node's does.
 *
 * struct statx (include/uapi/linux/stat.h), the fields we read:
 *   0 mask u32 | 4 blksize u32 | 8 attributes u64 | 16 nlink u32 | 20 uid u32
 *   24 gid u32 | 28 mode u16 | 32 ino u64 | 40 size u64 | 48 blocks u64
 *   64 atime | 80 btime | 96 ctime | 112 mtime   (each: s64 tv_sec, u32 tv_nsec)
 *   128 rdev_major u32 | 132 rdev_minor u32 | 136 dev_major u32 | 140 dev_minor u32
 * `dev`/`rdev` are rebuilt with glibc's makedev(), as libuv does, so the numbers equal
 * what `node:fs` reports.
 *
 * May touch: nothing; decodes bytes (node:fs only for its Stats class and constants).
 */
import { constants as C, Stats as NodeStats } from 'node:fs';
import { STATS_CTOR_DEPRECATED, STATS_LAZY_DATES } from './node-line.js';
import { STATX } from '../sys/file.js';

export { NodeStats as Stats };

const TWO32 = 4294967296;

function u64(dv: DataView, o: number): number {
  return dv.getUint32(o + 4, true) * TWO32 + dv.getUint32(o, true);
}

function timeMs(dv: DataView, o: number): number {
  const sec = dv.getInt32(o + 4, true) * TWO32 + dv.getUint32(o, true);
  const nsec = dv.getUint32(o + 8, true);
  return sec * 1000 + nsec / 1e6;
}

function timeNs(dv: DataView, o: number): bigint {
  return dv.getBigInt64(o, true) * 1000000000n + BigInt(dv.getUint32(o + 8, true));
}

/** glibc makedev(major, minor), in Number arithmetic (exact below 2^53). */
function makedev(major: number, minor: number): number {
  return ((major & 0xfffff000) >>> 0) * TWO32 // (major & ~0xfff) << 32
    + ((minor & 0xffffff00) >>> 0) * 4096 // (minor & ~0xff) << 12
    + ((major & 0xfff) << 8)
    + (minor & 0xff);
}

function makedevBig(major: number, minor: number): bigint {
  const M = BigInt(major);
  const m = BigInt(minor);
  return ((M & 0xfffff000n) << 32n) | ((m & 0xffffff00n) << 12n) | ((M & 0xfffn) << 8n) | (m & 0xffn);
}

function view(statx: Uint8Array): DataView {
  return new DataView(statx.buffer, statx.byteOffset, statx.byteLength);
}

/** Node's Stats of a struct statx: the same constructor Node's own fs.stat uses. */
export function statsFromStatx(statx: Uint8Array): NodeStats {
  const dv = view(statx);
  // STATX.BTIME may be missing (filesystem without birth time): Node reports 0 then.
  const birth = dv.getUint32(0, true) & STATX.BTIME ? timeMs(dv, 80) : 0;
  const dev = makedev(dv.getUint32(136, true), dv.getUint32(140, true));
  const rdev = makedev(dv.getUint32(128, true), dv.getUint32(132, true));
  if (STATS_CTOR_DEPRECATED) {
    // Node 22+: calling fs.Stats warns (DEP0180), and the Dates are lazy getters on the
    // prototype computed from the *Ms fields: the object is those fields, as Node's own.
    const st = Object.create(NodeStats.prototype) as Record<string, number>;
    st.dev = dev; st.mode = dv.getUint16(28, true); st.nlink = dv.getUint32(16, true);
    st.uid = dv.getUint32(20, true); st.gid = dv.getUint32(24, true); st.rdev = rdev;
    st.blksize = dv.getUint32(4, true); st.ino = u64(dv, 32); st.size = u64(dv, 40); st.blocks = u64(dv, 48);
    st.atimeMs = timeMs(dv, 64); st.mtimeMs = timeMs(dv, 112); st.ctimeMs = timeMs(dv, 96); st.birthtimeMs = birth;
    return st as unknown as NodeStats;
  }
  const Ctor = NodeStats as unknown as new (...a: number[]) => NodeStats;
  return new Ctor(
    dev, dv.getUint16(28, true), dv.getUint32(16, true),
    dv.getUint32(20, true), dv.getUint32(24, true), rdev,
    dv.getUint32(4, true), u64(dv, 32), u64(dv, 40), u64(dv, 48),
    timeMs(dv, 64), timeMs(dv, 112), timeMs(dv, 96), birth);
}

/** What `stat(p, { bigint: true })` resolves with (the type: node:fs' BigIntStats). */
export type BigIntStats = import('node:fs').BigIntStats;

const NS_PER_MS = 1000000n;

/**
 * Node's BigIntStats constructor (internal/fs/utils.js), field for field and in the
 * same order: bigint numbers, `*Ms` as whole milliseconds, `*Ns`, and — Node 20 — the
 * Dates rounded from the milliseconds.  Node 22+ sets no Dates: they are lazy getters
 * on the prototype (STATS_LAZY_DATES, below).
 */
function BigIntStatsCtor(this: Record<string, unknown>, dev: bigint, mode: bigint, nlink: bigint, uid: bigint, gid: bigint,
                         rdev: bigint, blksize: bigint, ino: bigint, size: bigint, blocks: bigint,
                         atimeNs: bigint, mtimeNs: bigint, ctimeNs: bigint, birthtimeNs: bigint): void {
  this.dev = dev; this.mode = mode; this.nlink = nlink; this.uid = uid; this.gid = gid; this.rdev = rdev;
  this.blksize = blksize; this.ino = ino; this.size = size; this.blocks = blocks;
  this.atimeMs = atimeNs / NS_PER_MS;
  this.mtimeMs = mtimeNs / NS_PER_MS;
  this.ctimeMs = ctimeNs / NS_PER_MS;
  this.birthtimeMs = birthtimeNs / NS_PER_MS;
  this.atimeNs = atimeNs;
  this.mtimeNs = mtimeNs;
  this.ctimeNs = ctimeNs;
  this.birthtimeNs = birthtimeNs;
  if (STATS_LAZY_DATES) return;
  this.atime = new Date(Math.round(Number(this.atimeMs)));
  this.mtime = new Date(Math.round(Number(this.mtimeMs)));
  this.ctime = new Date(Math.round(Number(this.ctimeMs)));
  this.birthtime = new Date(Math.round(Number(this.birthtimeMs)));
}
Object.defineProperty(BigIntStatsCtor, 'name', { value: 'BigIntStats' });
// Node's chain: BigIntStats.prototype -> StatsBase.prototype (isFile(), ...), whose
// is*() methods call this._checkModeProperty.
const StatsBaseProto = Object.getPrototypeOf(NodeStats.prototype) as object;
Object.setPrototypeOf(BigIntStatsCtor.prototype, StatsBaseProto);
// (The constructor's own prototype: StatsBase — reached through the real Stats, which on
// Node 22+ is not fs.Stats itself but the function fs.Stats' deprecation wrapper wraps.)
Object.setPrototypeOf(BigIntStatsCtor, Object.getPrototypeOf(NodeStats.prototype.constructor) as object);
// Node 22+: the Dates are the lazy getters Node defines on Stats.prototype and
// BigIntStats.prototype alike (lazyDateFields: computed from `*Ms` on first read, then
// an own property; a setter makes one).  Node's own descriptors, copied: they read
// `this.atimeMs`, a bigint here, as Node's BigIntStats does.
// Defined before _checkModeProperty, in Node's order.
if (STATS_LAZY_DATES) {
  for (const key of ['atime', 'mtime', 'ctime', 'birthtime']) {
    Object.defineProperty(BigIntStatsCtor.prototype, key, Object.getOwnPropertyDescriptor(NodeStats.prototype, key)!);
  }
}

Object.defineProperty(BigIntStatsCtor.prototype, '_checkModeProperty', {
  value(this: { mode: bigint }, property: number): boolean {
    return (this.mode & BigInt(C.S_IFMT)) === BigInt(property);
  },
  writable: true, configurable: true, enumerable: true,
});

// Bun's node:fs keeps isFile() & co. on Stats.prototype itself, with no StatsBase above
// it (and Deno's likewise may): there the chain above gives BigIntStats no is*() at all,
// so define Node's seven here, through the same _checkModeProperty.
if (typeof (BigIntStatsCtor.prototype as { isFile?: unknown }).isFile !== 'function') {
  const kinds: [string, number][] = [
    ['isFile', C.S_IFREG], ['isDirectory', C.S_IFDIR], ['isSymbolicLink', C.S_IFLNK],
    ['isBlockDevice', C.S_IFBLK], ['isCharacterDevice', C.S_IFCHR], ['isFIFO', C.S_IFIFO],
    ['isSocket', C.S_IFSOCK],
  ];
  for (const [name, bits] of kinds) {
    Object.defineProperty(BigIntStatsCtor.prototype, name, {
      value(this: { _checkModeProperty(p: number): boolean }): boolean { return this._checkModeProperty(bits); },
      writable: true, configurable: true, enumerable: false,
    });
  }
}

/** A BigIntStats of a struct statx: every field exact, times to the nanosecond. */
export function bigIntStatsFromStatx(statx: Uint8Array): BigIntStats {
  const dv = view(statx);
  const birth = dv.getUint32(0, true) & STATX.BTIME ? timeNs(dv, 80) : 0n;
  const Ctor = BigIntStatsCtor as unknown as new (...a: bigint[]) => BigIntStats;
  return new Ctor(
    makedevBig(dv.getUint32(136, true), dv.getUint32(140, true)), BigInt(dv.getUint16(28, true)),
    BigInt(dv.getUint32(16, true)), BigInt(dv.getUint32(20, true)), BigInt(dv.getUint32(24, true)),
    makedevBig(dv.getUint32(128, true), dv.getUint32(132, true)), BigInt(dv.getUint32(4, true)),
    dv.getBigUint64(32, true), dv.getBigUint64(40, true), dv.getBigUint64(48, true),
    timeNs(dv, 64), timeNs(dv, 112), timeNs(dv, 96), birth);
}

/** The file type bits of a struct statx (S_IFMT). */
export function statxType(statx: Uint8Array): number {
  return view(statx).getUint16(28, true) & C.S_IFMT;
}

/** st_size of a struct statx. */
export function statxSize(statx: Uint8Array): number {
  return u64(view(statx), 40);
}
