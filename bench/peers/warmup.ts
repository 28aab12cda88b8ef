/**
 * A mixed warm-up: what a real program has done before the loop a benchmark times —
 * every kind of request through the same runtime (stat, a failing open, readFile,
 * writeFile, mkdir/rename/unlink, FileHandle reads/writes/readv/writev/stat, TCP
 * connect/accept/read/write/chunks/zeroCopyChunks, NOPs, sleeps, links, aborts).
 * Benchmarks run it first when RINGCORE_BENCH_WARMUP=mixed (or --warmup mixed), so
 * the figures are those of a process that has used the whole API, not only of a
 * fresh one whose JIT has seen a single kind of request.
 *
 * May touch: a temp directory (removed), loopback TCP.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as rfs from 'ringcore/fs';
import { TcpListener, TcpStream } from 'ringcore/net';
import { all, link, nop, sleep, defaultRing } from 'ringcore';

/** Is the mixed warm-up asked for (env RINGCORE_BENCH_WARMUP=mixed or argv --warmup mixed)? */
export function mixedWarmupWanted(): boolean {
  const i = process.argv.indexOf('--warmup');
  return process.env.RINGCORE_BENCH_WARMUP === 'mixed' || (i >= 0 && process.argv[i + 1] === 'mixed');
}

export async function mixedWarmup(rounds = 300): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ringcore-warmup-'));
  try {
    const f = path.join(dir, 'f');
    for (let i = 0; i < rounds; i++) {
      await rfs.writeFile(f, `round ${i}\n`.repeat(1 + (i % 50)));
      await rfs.appendFile(f, 'more\n');
      await rfs.readFile(f, 'utf8');
      await rfs.stat(f);
      await rfs.lstat(f);
      await rfs.open(path.join(dir, 'missing')).catch(() => {});
      const fh = await rfs.open(f, 'r+');
      await fh.read(Buffer.alloc(64), 0, 64, 0);
      await fh.write(Buffer.from('x'), 0, 1, 0);
      await fh.readv([Buffer.alloc(8), Buffer.alloc(8)], 0);
      await fh.writev([Buffer.from('ab'), Buffer.from('cd')], 0);
      await fh.stat();
      await fh.close();
      await rfs.mkdir(path.join(dir, `d${i}`));
      await rfs.rename(path.join(dir, `d${i}`), path.join(dir, `e${i}`));
      await rfs.rmdir(path.join(dir, `e${i}`));
      await nop();
      await all([nop(), nop(), nop()]);
      await link(nop(), nop());
      await sleep(0);
      const ac = new AbortController();
      const s = sleep(1000, { signal: ac.signal });
      const settled = Promise.resolve(s).catch(() => {});
      ac.abort();
      await settled;
    }
    const l = await TcpListener.bind({ port: 0 });
    for (let i = 0; i < Math.max(10, rounds / 10); i++) {
      const [c, s] = await Promise.all([TcpStream.connect({ port: l.port }), l.accept()]);
      await c.writeAll('hello');
      await s.read(Buffer.alloc(16));
      await s.writeAll(Buffer.alloc(3000, 1));
      const it = i % 2 ? c.chunks() : c.zeroCopyChunks();
      let got = 0;
      for (let r = await it.next(); !r.done && (got += r.value.length) < 3000; r = await it.next());
      await it.return!();
      await c.close();
      await s.close();
    }
    await l.close();
    void defaultRing();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
