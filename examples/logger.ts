/**
 * Logger: 1000 log lines, written in batches with writev, then read back and checked.
 *
 * The lines are cut into 10 batches of 100; each batch is ONE IORING_OP_WRITEV whose
 * iovec array points at its 100 line buffers (gather I/O: no concatenation).  Two
 * ways to put the batches one after the other, chosen by a flag:
 *
 *   - default, running offsets: the file is opened 'w' (truncated) and the offset of
 *     every batch is computed up front (the sum of the byte lengths before it).  The
 *     10 writevs are then independent of each other and are all submitted at once
 *     (Promise.all): they reach the kernel in ONE io_uring_enter, may complete in any
 *     order, and still land where they belong.
 *   - `--append`: the file is opened 'a' (O_APPEND) and each writev goes at position
 *     -1; the kernel appends at the end of the file.  io_uring does not order
 *     independent requests (several may run at once in its worker threads), so
 *     concurrent appends could interleave batches: here each batch is awaited before
 *     the next is submitted — 10 round trips instead of one.
 *
 * Either way a writev may be short; what was not written is written again (at the
 * offset it stopped at, or appended).  At the end the file is read back with
 * ringcore/fs readFile and must hold exactly the 1000 lines, in order.
 *
 * What the original got wrong: every write went to offset 0, so each log line
 * overwrote the previous one and after 1000 writes the file held 107 bytes.
 *
 * Usage:   npm run example logger [file] [--append]
 * Without a file, a temporary one is used and removed.  With a file in the default
 * mode it is truncated; with --append the lines go after what it already holds, and
 * only what was appended is checked.
 *
 * What to look for: "writev calls: 10", the io_uring_enter count of the write phase
 * (1 in the default mode: 10 SQEs, 1000 lines, one system call; about 10 with
 * --append), and "verified: 1000 lines in order".  With RINGCORE_TRACE=1 the 10
 * WRITEV SQEs show len = 100 (iovecs) and their offsets.
 *
 *     RINGCORE_TRACE=1 npm run example logger
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { defaultRing, type RingStats } from 'ringcore';
import { open, readFile, stat } from 'ringcore/fs';

const args = process.argv.slice(2);
const append = args.includes('--append');
const files = args.filter((a) => a !== '--append');
if (files.length > 1 || files.some((f) => f.startsWith('-'))) {
  console.error('usage: npm run example logger [file] [--append]');
  process.exit(2);
}

const LINES = 1000;
const PER_BATCH = 100;
const ring = defaultRing();

// The log: deterministic, numbered lines of varying length, so that order is checkable.
const levels = ['INFO', 'DEBUG', 'WARN', 'INFO', 'ERROR'];
const lines: Buffer[] = [];
for (let i = 0; i < LINES; i++) {
  const ts = new Date(Date.UTC(2024, 0, 1, 0, 0, 0, i * 37)).toISOString();
  lines.push(Buffer.from(`${ts} ${levels[i % levels.length].padEnd(5)} line ${String(i + 1).padStart(4, '0')} ` +
    `of ${LINES}: ${'request handled '.repeat(1 + (i % 4))}in ${i % 97} ms\n`));
}
const expected = Buffer.concat(lines);

const tempDir = files.length === 0 ? await mkdtemp(join(tmpdir(), 'ringcore-logger-')) : undefined;
const path = files[0] ?? join(tempDir!, 'app.log');

function delta(a: RingStats, b: RingStats): string {
  return `${b.enters - a.enters} io_uring_enter call(s) carrying ${b.sqesSubmitted - a.sqesSubmitted} SQEs, ` +
    `${b.turns - a.turns} event-loop turn(s)`;
}

/**
 * One batch, completely: writev of its lines at `position` (-1: append), then, if the
 * kernel took fewer bytes than the batch holds, the rest of it again.
 */
async function writeBatch(fd: number, batch: Buffer[], position: number): Promise<number> {
  let calls = 0;
  let bufs = batch;
  let pos = position;
  for (;;) {
    const want = bufs.reduce((n, b) => n + b.length, 0);
    const n = await ring.writev(fd, bufs, pos);
    calls++;
    if (n === want) return calls;
    if (n === 0) throw new Error(`writev returned 0 with ${want} bytes left`);
    // Short: drop what was written, keep the rest (the first buffer possibly partly).
    let skip = n;
    let i = 0;
    while (skip >= bufs[i].length) skip -= bufs[i++].length;
    bufs = [bufs[i].subarray(skip), ...bufs.slice(i + 1)];
    if (pos >= 0) pos += n;
  }
}

let ok = false;
try {
  const start = append ? await stat(path).then((s) => s.size, () => 0) : 0;
  const fh = await open(path, append ? 'a' : 'w');
  const batches: Buffer[][] = [];
  for (let i = 0; i < LINES; i += PER_BATCH) batches.push(lines.slice(i, i + PER_BATCH));

  const s0 = ring.stats();
  const t0 = performance.now();
  let calls = 0;
  let s1 = s0;
  let ms = 0;
  try {
    if (append) {
      for (const b of batches) calls += await writeBatch(fh.fd, b, -1); // in order, one at a time
    } else {
      let offset = 0;
      const jobs = batches.map((b) => {
        const at = offset;
        offset += b.reduce((n, l) => n + l.length, 0);
        return writeBatch(fh.fd, b, at);
      });
      calls = (await Promise.all(jobs)).reduce((a, c) => a + c, 0);
    }
    ms = performance.now() - t0;
    s1 = ring.stats();
  } finally {
    await fh.close();
  }

  console.log(`logger: ${LINES} lines (${expected.length} bytes) to ${path}` +
    ` (${append ? `opened 'a', appended after ${start} bytes, batches in turn` : "opened 'w', running offsets, batches at once"})`);
  console.log(`  writev calls: ${calls} (${batches.length} batches of ${PER_BATCH} lines) in ${ms.toFixed(2)} ms`);
  console.log(`  write phase: ${delta(s0, s1)}`);

  // Read it back through the ring and check every line.
  const data = (await readFile(path)) as Buffer;
  const got = data.subarray(start);
  const gotLines = got.toString('utf8').split('\n');
  if (gotLines.at(-1) === '') gotLines.pop();
  let firstBad = -1;
  for (let i = 0; i < Math.max(LINES, gotLines.length); i++) {
    if (gotLines[i] !== lines[i]?.toString('utf8').slice(0, -1)) {
      firstBad = i;
      break;
    }
  }
  ok = data.length === start + expected.length && got.equals(expected) && firstBad < 0;
  if (ok) {
    console.log(`  verified: ${gotLines.length} lines in order, ${data.length} bytes in the file`);
  } else {
    console.log(`  FAIL: file has ${data.length} bytes (expected ${start + expected.length}), ${gotLines.length} lines;` +
      ` first wrong line: ${firstBad + 1}`);
    if (firstBad >= 0) console.log(`    got:      ${JSON.stringify(gotLines[firstBad])}\n` +
      `    expected: ${JSON.stringify(lines[firstBad]?.toString('utf8').slice(0, -1))}`);
  }
  console.log(`  last line: ${gotLines.at(-1)}`);
  console.log('  ring stats:', inspect(ring.stats(), { breakLength: Infinity }));
} catch (e) {
  console.error(`logger: ${(e as Error).message}`);
} finally {
  if (tempDir !== undefined) await rm(tempDir, { recursive: true, force: true });
  await ring.close();
}
if (!ok) process.exitCode = 1;
