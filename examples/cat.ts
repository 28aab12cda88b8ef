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
 * What to look for: the summary on stderr — blocks, io_uring_enter calls and SQEs.
 * Each block is awaited before the next, so expect about two enters per block (one
 * for the read, one for the write) and one SQE per enter: this is the latency-bound
 * shape of the original benchmark, not a batching showcase (see `nops`,
 * `concurrent_downloads`).  With RINGCORE_TRACE=1 (on a small file) every READ SQE
 * shows its explicit offset and every WRITE SQE fd=1 with off=-1:
 *
 *     RINGCORE_TRACE=1 node dist/examples/run.js cat package.json > /dev/null
 *
 * (The trace goes to stderr, so stdout still carries exactly the file.)
 */
import { defaultRing, type RingError } from '../src/index.js';
import { open } from '../src/fs/promises.js';

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

/** Write all of `data` to `fd` at its current position, looping over short writes. */
async function writeFully(fd: number, data: Buffer): Promise<void> {
  let off = 0;
  while (off < data.length) {
    const n = await ring.write(fd, off === 0 ? data : data.subarray(off), -1);
    if (n === 0) throw new Error(`write to fd ${fd} returned 0 with ${data.length - off} bytes left`);
    off += n;
  }
}

let copied = 0;
let blocks = 0;
try {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafeSlow(BLOCK);
    for (;;) {
      // pread at our own running offset (fh.read(buf, 0, BLOCK, copied) is the same request).
      const n = await ring.read(fh.fd, buf, copied);
      if (n === 0) break; // EOF
      blocks++;
      await writeFully(STDOUT, n === BLOCK ? buf : buf.subarray(0, n));
      copied += n;
    }
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
