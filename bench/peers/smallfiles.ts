/**
 * One peer of the small-files benchmark, in its own process: readFile of every file
 * in a directory (10,000 files of 100 bytes), `concurrency` at a time, verifying the
 * length.  Prints files/s.  Also the original's "concurrent reads": open + read 100
 * files of 1 KiB all at once, repeated; prints the mean time per batch.
 *
 * Peers: `promises` (the running runtime's node:fs/promises readFile), `sync`
 * (readFileSync), `ringcore` (ringcore/fs readFile) — under Node, Bun or Deno, whichever
 * runs this script — and the runtimes' own APIs: `bunfile` (`Bun.file(p).bytes()`, Bun
 * only) and `denoreadfile` (`Deno.readFile(p)`, Deno only).
 *
 * May touch: the files it reads.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import * as rfs from 'ringcore/fs';

const [peer, dir, concS, workload] = process.argv.slice(2);
const conc = Number(concS);
const files = fs.readdirSync(dir).map((f) => `${dir}/${f}`);

type Bytes = { length: number };
type ReadFile = (p: string) => Promise<Bytes> | Bytes;
/** The runtimes' own globals, where they exist (this file is compiled against Node's types). */
const g = globalThis as unknown as {
  Bun?: { file(p: string): { bytes(): Promise<Bytes> } };
  Deno?: { readFile(p: string): Promise<Bytes> };
};
const impl: Record<string, ReadFile> = {
  promises: (p) => fsp.readFile(p),
  sync: (p) => fs.readFileSync(p),
  ringcore: (p) => rfs.readFile(p),
  bunfile: (p) => g.Bun!.file(p).bytes(),
  denoreadfile: (p) => g.Deno!.readFile(p),
};
if (peer === 'bunfile' && g.Bun === undefined) throw new Error('bunfile: run by Bun');
if (peer === 'denoreadfile' && g.Deno === undefined) throw new Error('denoreadfile: run by Deno');
const readFile = impl[peer];
if (!readFile) throw new Error(`unknown peer ${peer}`);

async function pass(): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: Math.min(conc, files.length) }, async () => {
    while (next < files.length) {
      const b = await readFile(files[next++]);
      if (b.length === 0) throw new Error('empty read');
    }
  }));
  return performance.now() - t0;
}

if (workload === 'batch') {
  // The original's concurrent reads: all files at once, many times.
  await pass();
  let total = 0;
  const reps = 200;
  for (let i = 0; i < reps; i++) total += await pass();
  process.stdout.write(JSON.stringify({ peer, usPerBatch: (total / reps) * 1000 }) + '\n');
} else {
  await pass(); // warm-up (dentry cache, JIT)
  const ms = await pass();
  process.stdout.write(JSON.stringify({ peer, rate: files.length / (ms / 1000) }) + '\n');
}
process.exit(0);
