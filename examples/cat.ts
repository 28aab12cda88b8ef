/**
 * File I/O ("cat"): copy a file to stdout through the ring, 4096 bytes at a time.
 *
 * Each block is one IORING_OP_READ of the file at an explicit offset (pread: the
 * file's own position is never used) followed by IORING_OP_WRITEs to fd 1 at
 * position -1 ("the current file position", i.e. plain write(2)), so that the output
 * may be a terminal, a pipe or a file opened by the shell and the bytes land one
 * after the other.  A write may be short (a pipe takes only what fits, a signal can
 * interrupt it): the rest of the block is written again until all of it is out.
 * This is the workload of the original's "cat" benchmark (100 MiB, 4 KiB buffer).
 *
 * What the original got wrong: every write to a regular file went to offset 0, so
 * `cat big > file` kept only the last 4 KiB (overwritten 25,600 times); short writes
 * were not retried either.  Here writes use -1 and loop until the block is out.
 *
 * Output is byte-identical to the input.  `npm run` prints its own header on stdout,
 * so compare with `npm run -s` (silent) or run the launcher directly:
 *
 *     node dist/examples/run.js cat some-file > out && cmp some-file out
 *     npm run -s example cat -- some-file | cmp some-file -
 *
 * How it batches: the file is read in windows of DEPTH blocks (default 32, env
 * CAT_DEPTH; 1 gives the original's one-block-at-a-time shape).  The DEPTH reads of a
 * window are submitted together, at their own offsets; when they complete, the blocks
 * go out in order as ONE writev to fd 1, which is in flight while the next window's
 * reads are: each io_uring_enter carries a window of reads plus the previous window's
 * writev.  Every read is still 4096 bytes, as in the original workload.  A short read
 * ends the window (the next one starts right after it), and EOF is a read of 0.
 *
 * What to look for: the summary on stderr — blocks, io_uring_enter calls and SQEs:
 * about one enter per window instead of two per block.  With RINGCORE_TRACE=1 (on a
 * small file) every READ SQE shows its explicit offset and every WRITEV SQE fd=1
 * with off=-1:
 *
 *     RINGCORE_TRACE=1 node dist/examples/run.js cat package.json > /dev/null
 *
 * (The trace goes to stderr, so stdout still carries exactly the file.)
 */
import { defaultRing, type RingError } from 'ringcore';
import { open } from 'ringcore/fs';

const path = process.argv[2];
if (path === undefined || process.argv.length > 3) {
  process.stderr.write('usage: npm run -s example cat -- <file>   (copies <file> to stdout)\n');
  process.exit(2);
}

const BLOCK = 4096;
const STDOUT = 1;
const ring = defaultRing();
const before = ring.stats();
const t0 = performance.now();

const DEPTH = Math.max(1, Math.min(1024, Number(process.env.CAT_DEPTH ?? 32) | 0));

/** Write all of `views` to `fd` at its current position, looping over short writes. */
async function writevFully(fd: number, views: Buffer[]): Promise<void> {
  let total = 0;
  for (const v of views) total += v.length;
  while (total > 0) {
    let n = await ring.writev(fd, views, -1);
    if (n === 0) throw new Error(`writev to fd ${fd} returned 0 with ${total} bytes left`);
    total -= n;
    // Drop what went out; keep the unwritten tail of a partially written block.
    while (views.length > 0 && n >= views[0].length) n -= views.shift()!.length;
    if (n > 0) views[0] = views[0].subarray(n);
  }
}

let copied = 0;
let blocks = 0;
try {
  const fh = await open(path, 'r');
  try {
    // Two windows of buffers: one being written while the other is being read into.
    let cur = Array.from({ length: DEPTH }, () => Buffer.allocUnsafeSlow(BLOCK));
    let spare = Array.from({ length: DEPTH }, () => Buffer.allocUnsafeSlow(BLOCK));
    let writing: Promise<void> = Promise.resolve();
    for (;;) {
      // pread of each block at its own offset (fh.read(buf, 0, BLOCK, pos) is the same request).
      const counts = await ring.all(cur.map((b, i) => ring.read(fh.fd, b, copied + i * BLOCK)));
      await writing; // the previous window is out: its buffers are free again
      const out: Buffer[] = [];
      let got = 0;
      for (let i = 0; i < DEPTH; i++) {
        const n = counts[i];
        if (n > 0) out.push(n === BLOCK ? cur[i] : cur[i].subarray(0, n));
        got += n;
        if (n < BLOCK) break; // a short read ends the window; a read of 0 at its start is EOF
      }
      if (got === 0) break;
      blocks += out.length;
      copied += got;
      writing = writevFully(STDOUT, out);
      [cur, spare] = [spare, cur];
    }
    await writing;
  } finally {
    await fh.close();
  }
} catch (e) {
  const err = e as RingError;
  if (err.code === 'EPIPE') {
    // The reader went away (`... | head`): stop quietly, as cat does on SIGPIPE.
    process.exitCode = 141;
  } else {
    process.stderr.write(`cat: ${err.message}\n`);
    process.exitCode = 1;
  }
}

const ms = performance.now() - t0;
const s = ring.stats();
const enters = s.enters - before.enters;
process.stderr.write(
  `cat: ${copied} bytes in ${blocks} block(s) of <= ${BLOCK} in ${ms.toFixed(1)} ms; ` +
  `${enters} io_uring_enter calls carrying ${s.sqesSubmitted - before.sqesSubmitted} SQEs, ` +
  `${s.cqesReaped - before.cqesReaped} CQEs reaped\n`,
);
await ring.close();
