/**
 * `Stats`: what `stat`, `lstat` and `FileHandle.stat` resolve with — the same fields
 * and `is*()` methods as Node's `fs.Stats`, decoded from the kernel's `struct statx`.
 *
 * struct statx (include/uapi/linux/stat.h), the fields we read:
 *   0 mask u32 | 4 blksize u32 | 8 attributes u64 | 16 nlink u32 | 20 uid u32
 *   24 gid u32 | 28 mode u16 | 32 ino u64 | 40 size u64 | 48 blocks u64
 *   64 atime | 80 btime | 96 ctime | 112 mtime   (each: s64 tv_sec, u32 tv_nsec)
 *   128 rdev_major u32 | 132 rdev_minor u32 | 136 dev_major u32 | 140 dev_minor u32
 * `dev`/`rdev` are rebuilt with glibc's makedev(), as libuv does, so the numbers equal
 * what `node:fs` reports.
 *
 * May touch: nothing; decodes bytes.
 */
import { constants as C } from 'node:fs';

const TWO32 = 4294967296;

function u64(dv: DataView, o: number): number {
  return dv.getUint32(o + 4, true) * TWO32 + dv.getUint32(o, true);
}

function timeMs(dv: DataView, o: number): number {
  const sec = dv.getInt32(o + 4, true) * TWO32 + dv.getUint32(o, true);
  const nsec = dv.getUint32(o + 8, true);
  return sec * 1000 + nsec / 1e6;
}

/** glibc makedev(major, minor), in Number arithmetic (exact below 2^53). */
function makedev(major: number, minor: number): number {
  return ((major & 0xfffff000) >>> 0) * TWO32 // (major & ~0xfff) << 32
    + ((minor & 0xffffff00) >>> 0) * 4096 // (minor & ~0xff) << 12
    + ((major & 0xfff) << 8)
    + (minor & 0xff);
}

export class Stats {
  dev: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  blksize: number;
  ino: number;
  size: number;
  blocks: number;
  atimeMs: number;
  mtimeMs: number;
  ctimeMs: number;
  birthtimeMs: number;
  atime: Date;
  mtime: Date;
  ctime: Date;
  birthtime: Date;

  constructor(statx: Uint8Array) {
    const dv = new DataView(statx.buffer, statx.byteOffset, statx.byteLength);
    this.dev = makedev(dv.getUint32(136, true), dv.getUint32(140, true));
    this.mode = dv.getUint16(28, true);
    this.nlink = dv.getUint32(16, true);
    this.uid = dv.getUint32(20, true);
    this.gid = dv.getUint32(24, true);
    this.rdev = makedev(dv.getUint32(128, true), dv.getUint32(132, true));
    this.blksize = dv.getUint32(4, true);
    this.ino = u64(dv, 32);
    this.size = u64(dv, 40);
    this.blocks = u64(dv, 48);
    this.atimeMs = timeMs(dv, 64);
    this.mtimeMs = timeMs(dv, 112);
    this.ctimeMs = timeMs(dv, 96);
    // STATX_BTIME may be missing (filesystem without birth time): Node reports 0 then.
    const mask = dv.getUint32(0, true);
    this.birthtimeMs = mask & 0x800 ? timeMs(dv, 80) : 0;
    // Node rounds the Date fields to the nearest millisecond (dateFromMs).
    this.atime = new Date(Math.round(this.atimeMs));
    this.mtime = new Date(Math.round(this.mtimeMs));
    this.ctime = new Date(Math.round(this.ctimeMs));
    this.birthtime = new Date(Math.round(this.birthtimeMs));
  }

  private type(): number {
    return this.mode & C.S_IFMT;
  }
  isFile(): boolean { return this.type() === C.S_IFREG; }
  isDirectory(): boolean { return this.type() === C.S_IFDIR; }
  isSymbolicLink(): boolean { return this.type() === C.S_IFLNK; }
  isFIFO(): boolean { return this.type() === C.S_IFIFO; }
  isSocket(): boolean { return this.type() === C.S_IFSOCK; }
  isCharacterDevice(): boolean { return this.type() === C.S_IFCHR; }
  isBlockDevice(): boolean { return this.type() === C.S_IFBLK; }
}
