/**
 * One peer of the 4 KiB pread benchmark, in its own process: random 4 KiB-aligned
 * reads of a file that is hot in the page cache, `inflight` at a time, for a fixed
 * count after a warm-up.  Prints ops/s on stdout.
 *
 *   readSync      fs.readSync loop (inflight is always 1)
 *   filehandle    node:fs/promises FileHandle.read
 *   callbacks     fs.read with callbacks (run with UV_USE_IO_URING=1 for libuv's own io_uring)
 *   ringcore      ringcore/fs FileHandle.read
 *   ring          the ring's own read op (ring.read(fd, view, position))
 *   bunfile       Bun's own API: Bun.file(file).slice(pos, pos + 4096).bytes() (Bun only; a
 *                 new buffer per read, as that API gives; no fd is kept between reads)
 *   denofile      Deno's own API: one Deno.FsFile per loop, seek + read (Deno only; Deno has
 *                 no positional read, so each loop owns its file position)
 *
 * Under Bun and Deno, `filehandle`, `readSync`, `callbacks` and `ringcore` are that
 * runtime's node:fs and RingCore run by that runtime.
 *
 * RINGCORE_BENCH_COLD=1: the cold-cache variant — after the warm-up (for the JIT), the
 * file's pages are dropped from the page cache (posix_fadvise DONTNEED, through the
 * ring's IORING_OP_FADVISE; set-up, not measured), so the measured reads go to the
 * device.  The file must be much larger than count × 4 KiB, so repeats are rare.
 *
 * May touch: the file it reads (and its page-cache pages).
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import * as rfs from 'ringcore/fs';
import { defaultRing, fadvise, FADV } from 'ringcore';
import { mixedWarmup, mixedWarmupWanted } from './warmup.js';

const [peer, inflightS, file, countS] = process.argv.slice(2);
const inflight = Number(inflightS);
const count = Number(countS ?? 200_000);
const blocks = Math.floor(fs.statSync(file).size / 4096);
let seed = 12345;
/** A 32-bit LCG (Math.imul: a product of doubles past 2^53 loses its low bits and cycles short). */
function nextPos(): number {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return ((seed >>> 1) % blocks) * 4096;
}

/**
 * `n` concurrent loops, each awaiting one read at a time with its own buffer.  The
 * read call is inlined into each loop (no wrapper function per read), so the loop
 * itself adds nothing but the await.
 */
async function workers(n: number, total: number, loop: (buf: Buffer, take: () => boolean) => Promise<void>): Promise<number> {
  let left = total;
  const take = () => left-- > 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: n }, () => loop(Buffer.allocUnsafeSlow(4096), take)));
  return total / ((performance.now() - t0) / 1000);
}

/** The fd the peer reads through (the cold variant advises the kernel on it). */
let peerFd = -1;

/** The runtimes' own globals, where they exist (this file is compiled against Node's types). */
const g = globalThis as unknown as {
  Bun?: { file(p: string): { slice(start: number, end: number): { bytes(): Promise<Uint8Array> } } };
  Deno?: {
    open(p: string): Promise<{ rid?: number; seek(offset: number, whence: number): Promise<number>; read(b: Uint8Array): Promise<number | null>; close(): void }>;
    SeekMode: { Start: number };
  };
};

async function measure(): Promise<(total: number) => Promise<number>> {
  switch (peer) {
    case 'bunfile': {
      const bun = g.Bun;
      if (bun === undefined) throw new Error('bunfile: run by Bun');
      const f = bun.file(file);
      return (total) => workers(inflight, total, async (_buf, take) => {
        while (take()) {
          const pos = nextPos();
          if ((await f.slice(pos, pos + 4096).bytes()).length !== 4096) throw new Error('short read');
        }
      });
    }
    case 'denofile': {
      const deno = g.Deno;
      if (deno === undefined) throw new Error('denofile: run by Deno');
      const handles = await Promise.all(Array.from({ length: inflight }, () => deno.open(file)));
      return (total) => {
        let i = 0;
        return workers(inflight, total, async (buf, take) => {
          const h = handles[i++ % handles.length];
          while (take()) {
            await h.seek(nextPos(), deno.SeekMode.Start);
            if ((await h.read(buf)) !== 4096) throw new Error('short read');
          }
        });
      };
    }
    case 'readSync': {
      const fd = (peerFd = fs.openSync(file, 'r'));
      const buf = Buffer.allocUnsafeSlow(4096);
      return async (total) => {
        const t0 = performance.now();
        for (let i = 0; i < total; i++) fs.readSync(fd, buf, 0, 4096, nextPos());
        return total / ((performance.now() - t0) / 1000);
      };
    }
    case 'filehandle': {
      const fh = await fsp.open(file, 'r');
      peerFd = fh.fd;
      return (total) => workers(inflight, total, async (buf, take) => {
        while (take()) await fh.read(buf, 0, 4096, nextPos());
      });
    }
    case 'callbacks': {
      const fd = (peerFd = fs.openSync(file, 'r'));
      return (total) => workers(inflight, total, (buf, take) => new Promise<void>((res, rej) => {
        const next = (e: Error | null) => {
          if (e) rej(e);
          else if (take()) fs.read(fd, buf, 0, 4096, nextPos(), next);
          else res();
        };
        next(null);
      }));
    }
    case 'ringcore': {
      const fh = await rfs.open(file, 'r');
      peerFd = fh.fd;
      return (total) => workers(inflight, total, async (buf, take) => {
        while (take()) await fh.read(buf, 0, 4096, nextPos());
      });
    }
    case 'ring': {
      const fd = (peerFd = fs.openSync(file, 'r'));
      const ring = defaultRing();
      return (total) => workers(inflight, total, async (buf, take) => {
        while (take()) await ring.read(fd, buf, nextPos());
      });
    }
  }
  throw new Error(`unknown peer ${peer}`);
}

if (mixedWarmupWanted()) await mixedWarmup();
const cold = process.env.RINGCORE_BENCH_COLD === '1';
const run = await measure();
await run(Math.min(count / 4, 100_000)); // warm-up (the same share for every peer): JIT tiers, page cache
if (cold && peerFd < 0) throw new Error(`${peer}: no fd to drop the cache of (not a cold-cache peer)`);
if (cold) {
  // Every page of the file out of the cache, and no readahead on the peer's fd (as fio
  // does for random reads: its fadvise_hint): each measured read is one 4 KiB device read.
  await fadvise(peerFd, 0, 0, FADV.RANDOM);
  await fadvise(peerFd, 0, 0, FADV.DONTNEED);
}
const rate = await run(count);
process.stdout.write(JSON.stringify({ peer, inflight, rate }) + '\n');
process.exit(0);
