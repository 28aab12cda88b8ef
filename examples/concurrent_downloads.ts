/**
 * Concurrent reads ("concurrent downloads"): open + read 100 small files at once.
 *
 * The original's "Concurrent reads" workload: 100 files of 1,024 bytes are created
 * first (not timed), then all 100 are opened and read concurrently — one task per
 * file, started together and awaited with Promise.all — and only that is timed.
 * Every task's IORING_OP_OPENAT is written during the same event-loop turn, so the
 * 100 SQEs reach the kernel in ONE io_uring_enter; as the opens complete, the tasks
 * go on to their IORING_OP_READs, which again leave together.  100 files cost a
 * handful of system calls, where a loop of open/read/close costs three per file.
 * Afterwards the handles are closed (one more batch: each FileHandle.close() is an
 * ASYNC_CANCEL of whatever is pending on its fd plus a CLOSE, so 200 SQEs), the
 * contents are checked byte for byte, and, for contrast, the same files are read
 * again one at a time.
 *
 * What the original got wrong in this area: its files were written at offset 0 with
 * every write (harmless for one 1 KiB write, fatal beyond, see `cat`/`logger`); files
 * were closed synchronously while operations could still be in flight; and its
 * per-operation bookkeeping was never freed, so memory grew with every request.
 * Here each FileHandle.close() cancels what is pending on its fd before closing it
 * through the ring, and the ring ends with inFlight 0.
 *
 * Usage:   npm run example concurrent_downloads [dir]
 * Without a dir the files go to a fresh temp dir, removed at the end; a given dir is
 * created if needed and the files are left there (file-000.bin ... file-099.bin).
 *
 * What to look for: "io_uring_enter calls" of the concurrent phase — about 2 (or a
 * few more if some opens complete asynchronously) carrying 200 SQEs, against about
 * 300 for the one-at-a-time pass; "turns"; and inFlight 0 at the end.  With
 * RINGCORE_TRACE=1 the 100 OPENAT SQEs are printed before a single
 * io_uring_enter(to_submit=100, ...), then the 100 READs before another:
 *
 *     RINGCORE_TRACE=1 npm run example concurrent_downloads 2>&1 | grep io_uring_enter
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { defaultRing, type RingStats } from 'ringcore';
import { mkdir, open, rmdir, unlink, writeFile, type FileHandle } from 'ringcore/fs';

const args = process.argv.slice(2);
if (args.length > 1) {
  console.error('usage: npm run example concurrent_downloads [dir]');
  process.exit(2);
}

const FILES = 100;
const SIZE = 1024;
const ring = defaultRing();
const temp = args[0] === undefined;
const dir = temp ? await mkdtemp(join(tmpdir(), 'ringcore-downloads-')) : args[0];
if (!temp) await mkdir(dir, { recursive: true });
const paths = Array.from({ length: FILES }, (_, i) => join(dir, `file-${String(i).padStart(3, '0')}.bin`));

/** File i's contents: a header naming it, then a pattern unique to it. */
function contents(i: number): Buffer {
  const b = Buffer.alloc(SIZE);
  for (let j = 0; j < SIZE; j++) b[j] = (i * 31 + j * 7) & 0xff;
  b.write(`file ${i} of ${FILES}\n`);
  return b;
}

function delta(a: RingStats, b: RingStats): string {
  const enters = b.enters - a.enters;
  const sqes = b.sqesSubmitted - a.sqesSubmitted;
  return `${enters} io_uring_enter calls carrying ${sqes} SQEs (${(sqes / Math.max(1, enters)).toFixed(1)} per enter), ` +
    `${b.turns - a.turns} event-loop turn(s), ${b.wakeups - a.wakeups} wake-up(s)`;
}

let ok = true;
function check(good: boolean, what: string): void {
  console.log(`  ${good ? 'ok  ' : 'FAIL'} ${what}`);
  if (!good) ok = false;
}

try {
  // -- setup (not timed): 100 files of 1 KiB, written concurrently through the ring.
  await Promise.all(paths.map((p, i) => writeFile(p, contents(i))));
  console.log(`created ${FILES} files of ${SIZE} bytes in ${dir}`);

  // -- the timed part: open + read all of them at once.
  const bufs = paths.map(() => Buffer.alloc(2 * SIZE)); // room for more: a longer file would show
  const s0 = ring.stats();
  const t0 = performance.now();
  const results = await Promise.all(paths.map(async (p, i) => {
    const fh = await open(p, 'r');
    const { bytesRead } = await fh.read(bufs[i], 0, bufs[i].length, 0);
    return { fh, bytesRead };
  }));
  const ms = performance.now() - t0;
  const s1 = ring.stats();
  await Promise.all(results.map((r) => r.fh.close()));
  const s2 = ring.stats();

  console.log(`\nconcurrent: open + read of ${FILES} files in ${ms.toFixed(2)} ms ` +
    `(${(ms * 1000 / FILES).toFixed(1)} µs per file)`);
  console.log(`  open + read: ${delta(s0, s1)}`);
  console.log(`  close (not timed): ${delta(s1, s2)}`);
  const bad = results.findIndex((r, i) => r.bytesRead !== SIZE || !bufs[i].subarray(0, SIZE).equals(contents(i)));
  check(bad < 0, bad < 0 ? `all ${FILES} files read back: ${SIZE} bytes each, contents as written`
    : `file ${bad}: read ${results[bad].bytesRead} bytes, contents ${bufs[bad].subarray(0, SIZE).equals(contents(bad)) ? 'ok' : 'differ'}`);
  check(s1.sqesSubmitted - s0.sqesSubmitted === 2 * FILES, `${2 * FILES} SQEs (one OPENAT and one READ per file)`);
  check(s1.enters - s0.enters <= 10, `in few io_uring_enter calls (${s1.enters - s0.enters})`);

  // -- for contrast (also not part of the figure above): the same, one file at a time.
  const t1 = performance.now();
  const s3 = ring.stats();
  for (let i = 0; i < FILES; i++) {
    const fh: FileHandle = await open(paths[i], 'r');
    try {
      await fh.read(bufs[i], 0, bufs[i].length, 0);
    } finally {
      await fh.close();
    }
  }
  const ms1 = performance.now() - t1;
  console.log(`\none at a time (open, read, close; for contrast): ${FILES} files in ${ms1.toFixed(2)} ms`);
  console.log(`  ${delta(s3, ring.stats())}`);
} catch (e) {
  console.error(`concurrent_downloads: ${(e as Error).message}`);
  ok = false;
} finally {
  if (temp) {
    // Clean up through the ring too: 100 UNLINKATs in one batch, then the directory.
    await Promise.allSettled(paths.map((p) => unlink(p)));
    await rmdir(dir).catch((e: Error) => console.error(`could not remove ${dir}: ${e.message}`));
  }
}
const end = ring.stats();
console.log('\nring stats:', inspect(end, { breakLength: Infinity }));
check(end.inFlight === 0 && end.staleCqes === 0, 'nothing left in flight, no stale CQEs');
await ring.close();
if (!ok) process.exitCode = 1;
