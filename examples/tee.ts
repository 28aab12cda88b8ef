/**
 * tee: stdin (fd 0) copied to two files and to stdout, like tee(1).
 *
 * Each block read from stdin (IORING_OP_READ at position -1: stdin may be a pipe or a
 * terminal, which have no offsets) is handed to three writers at once — file 1, file 2
 * and stdout — whose IORING_OP_WRITEs go to the kernel together, in one
 * io_uring_enter.  Every output keeps its own running offset: the two files are
 * written at explicit offsets (pwrite), stdout at -1 (its current position, since it
 * may be a pipe).  Only when all three have taken the whole block (short writes are
 * retried from where they stopped) is the buffer read into again: the kernel reads
 * the buffer while a write is in flight, so it must not change under it.
 *
 * What the original got wrong: every write to a regular file went to offset 0, so
 * each block overwrote the previous one and the files ended up holding the last
 * block (tee "overwrote itself").  Here the offset of each file advances by what
 * was actually written to it.
 *
 * Try it (`npm run -s`, or the launcher directly, keeps npm's header off stdout):
 *
 *     head -c 1000000 /dev/urandom > in
 *     node dist/examples/run.js tee a b < in > c && cmp in a && cmp in b && cmp in c
 *
 * What to look for: the summary on stderr — blocks, and io_uring_enter calls: about
 * two per block (the read; then the three writes, in one enter, carrying 3 SQEs).
 * With RINGCORE_TRACE=1 the three WRITE SQEs of a block appear together, the two
 * file writes with off = the running offset (0, 4096, 8192, ...), stdout's with -1.
 */
import { defaultRing, type RingError } from 'ringcore';
import { open, type FileHandle } from 'ringcore/fs';

const names = process.argv.slice(2);
if (names.length !== 2) {
  process.stderr.write('usage: <input> | npm run -s example tee -- <file1> <file2>   (stdin to both files and stdout)\n');
  process.exit(2);
}

const BLOCK = 4096;
const STDIN = 0;
const STDOUT = 1;
const ring = defaultRing();
const before = ring.stats();

/** One destination: an fd and the offset its next write goes to (-1: the fd's own position). */
interface Output {
  name: string;
  fd: number;
  /** Running offset for a regular file; null for stdout (written at -1). */
  offset: number | null;
  written: number;
}

/** Write all of `data` to `out`, looping over short writes, advancing its offset. */
async function writeFully(out: Output, data: Buffer): Promise<void> {
  let off = 0;
  while (off < data.length) {
    const chunk = off === 0 ? data : data.subarray(off);
    const n = await ring.write(out.fd, chunk, out.offset ?? -1);
    if (n === 0) throw new Error(`write to ${out.name} returned 0 with ${data.length - off} bytes left`);
    off += n;
    if (out.offset !== null) out.offset += n;
    out.written += n;
  }
}

const handles: FileHandle[] = [];
let total = 0;
let blocks = 0;
try {
  for (const name of names) handles.push(await open(name, 'w')); // O_WRONLY|O_CREAT|O_TRUNC
  const outputs: Output[] = [
    ...handles.map((fh, i) => ({ name: names[i], fd: fh.fd, offset: 0, written: 0 })),
    { name: 'stdout', fd: STDOUT, offset: null, written: 0 },
  ];
  const buf = Buffer.allocUnsafeSlow(BLOCK);
  for (;;) {
    const n = await ring.read(STDIN, buf, -1);
    if (n === 0) break; // EOF on stdin
    blocks++;
    total += n;
    const data = n === BLOCK ? buf : buf.subarray(0, n);
    // All three writes are submitted in this turn; the buffer is reused only after all are done.
    // (If stdout is gone — EPIPE — the files still get everything, as with tee -p.)
    const results = await Promise.allSettled(outputs.map((o) => writeFully(o, data)));
    const failed = results.findIndex((r) => r.status === 'rejected');
    if (failed >= 0) {
      const err = (results[failed] as PromiseRejectedResult).reason as RingError;
      if (outputs[failed].fd === STDOUT && err.code === 'EPIPE') {
        outputs.splice(failed, 1);
        process.exitCode = 1;
        continue;
      }
      throw err;
    }
  }
  for (const o of outputs) {
    if (o.written !== total) throw new Error(`${o.name}: wrote ${o.written} of ${total} bytes`);
  }
} catch (e) {
  process.stderr.write(`tee: ${(e as Error).message}\n`);
  process.exitCode = 1;
} finally {
  await Promise.all(handles.map((fh) => fh.close()));
}

const s = ring.stats();
process.stderr.write(
  `tee: ${total} bytes in ${blocks} block(s) to ${names.join(', ')} and stdout; ` +
  `${s.enters - before.enters} io_uring_enter calls carrying ${s.sqesSubmitted - before.sqesSubmitted} SQEs\n`,
);
await ring.close();
