/**
 * Linked cat: each block is a read→write pair chained with IOSQE_IO_LINK, so the
 * kernel starts the write only after the read has completed — one submission, one
 * io_uring_enter per block, no JavaScript in between.
 *
 *     ring.link(ring.read(fd, buf, pos), ring.write(1, buf, -1))
 *
 * The catch, and what the original got wrong: the write's length is fixed when its
 * SQE is written — before the read has run — so it is the whole buffer (4096).  The
 * kernel counts a short read (fewer bytes than asked: the last, partial block of the
 * file, or 0 at end of file) as a FAILED link: the chain is broken and the write
 * completes with -ECANCELED without writing anything (io_uring_enter(2),
 * IOSQE_IO_LINK).  The original took a cancelled write as the end of the copy, so
 * the last partial block was lost: a 4097-byte file came out as 4096 bytes, a
 * 4095-byte one as nothing.  (Had the write not been cancelled, it would have
 * written 4096 bytes, stale ones after the n that were read.)
 *
 * Here, for every chain:
 *   - the link resolves: the read filled the buffer and the write ran.  A write may
 *     still be short (a pipe): the rest of the block is written separately.
 *   - the link rejects: look at the two ops on their own.  If the read succeeded with
 *     n bytes (short) and the write rejected with code 'ECANCELED', the n bytes are
 *     written separately — the partial block is not lost — and reading goes on at
 *     pos + n (a short read need not be the end; a read of 0 is).  If the read itself
 *     failed (the head of the chain: EISDIR, EIO...), the write was cancelled too and
 *     nothing was written for this block: report the read's error and stop.  If the
 *     read was full and the write failed (EPIPE...), report that.
 *
 * Output is byte-identical to the input for every size (0, 1, 4095, 4096, 4097, ...).
 * `npm run` prints a header on stdout; use `npm run -s` or the launcher directly:
 *
 *     node dist/examples/run.js linked_cat some-file > out && cmp some-file out
 *
 * What to look for: the summary on stderr — "chains" (blocks), "broken links" (1 for
 * the final partial block or end of file; 2 if the file ends with a partial block:
 * the partial read, then the read of 0), and about one io_uring_enter per chain
 * (plain `cat` needs two per block).  With RINGCORE_TRACE=1 the READ SQE shows
 * flags=IO_LINK, and at the end the short READ's CQE (res < 4096) is followed by the
 * WRITE's CQE with res=-125 (ECANCELED), then a separate WRITE of the remainder:
 *
 *     head -c 5000 /dev/urandom > f; RINGCORE_TRACE=1 node dist/examples/run.js linked_cat f > /dev/null
 */
import { defaultRing, type RingError } from 'ringcore';
import { open } from 'ringcore/fs';

const path = process.argv[2];
if (path === undefined || process.argv.length > 3) {
  process.stderr.write('usage: npm run -s example linked_cat -- <file>   (copies <file> to stdout)\n');
  process.exit(2);
}

const BLOCK = 4096;
const STDOUT = 1;
const ring = defaultRing();
const before = ring.stats();

type Settled<T> = { ok: true; value: T } | { ok: false; error: RingError };
function settle<T>(op: PromiseLike<T>): Promise<Settled<T>> {
  return Promise.resolve(op).then((value) => ({ ok: true as const, value }), (error) => ({ ok: false as const, error }));
}

/** Write all of `data` to stdout (position -1), looping over short writes. */
async function writeFully(data: Buffer): Promise<void> {
  let off = 0;
  while (off < data.length) {
    const n = await ring.write(STDOUT, off === 0 ? data : data.subarray(off), -1);
    if (n === 0) throw new Error(`write returned 0 with ${data.length - off} bytes left`);
    off += n;
  }
}

let pos = 0;
let chains = 0;
let broken = 0;
let rescued = 0;
try {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafeSlow(BLOCK);
    for (;;) {
      const read = ring.read(fh.fd, buf, pos); // asks for BLOCK bytes at pos
      const write = ring.write(STDOUT, buf, -1); // length BLOCK, fixed now, before the read runs
      chains++;
      try {
        const [n, written] = (await ring.link(read, write)) as [number, number];
        // Full block read and (at least partly) written.
        if (written < n) await writeFully(buf.subarray(written, n));
        pos += n;
        continue;
      } catch {
        // The chain broke somewhere: both ops have their own outcome (each settles
        // exactly once; awaiting them again only reads it).
      }
      broken++;
      const [r, w] = await Promise.all([settle(read), settle(write)]);
      if (!r.ok) throw r.error; // the head failed; the write was cancelled (w: ECANCELED)
      const n = r.value;
      if (w.ok) {
        // Not a broken link after all (cannot happen for a full read + full write,
        // which resolve the link): keep the bytes right anyway.
        if (w.value < n) await writeFully(buf.subarray(w.value, n));
      } else if (w.error.code === 'ECANCELED' && n < BLOCK) {
        // Short read: the kernel cancelled the linked write.  Write the n bytes here.
        if (n === 0) break; // end of file: nothing was lost
        rescued += n;
        await writeFully(buf.subarray(0, n));
      } else {
        throw w.error; // the write itself failed (EPIPE, ENOSPC...)
      }
      pos += n;
    }
  } finally {
    await fh.close();
  }
} catch (e) {
  const err = e as RingError;
  if (err.code === 'EPIPE') {
    process.exitCode = 141; // the reader went away (`... | head`): stop quietly
  } else {
    process.stderr.write(`linked_cat: ${err.message} (at offset ${pos})\n`);
    process.exitCode = 1;
  }
}

const s = ring.stats();
process.stderr.write(
  `linked_cat: ${pos} bytes, ${chains} read→write chain(s), ${broken} broken link(s) ` +
  `(${rescued} byte(s) of a partial block written separately); ` +
  `${s.enters - before.enters} io_uring_enter calls carrying ${s.sqesSubmitted - before.sqesSubmitted} SQEs\n`,
);
await ring.close();
