/**
 * `npm run soak -- --minutes N [--workers W] [--interval-s S]`: a long mixed load that
 * must leave nothing behind.
 *
 * W worker threads (default 2), each with its own ring, run in a loop: file writes and
 * reads (writeFile, readFile, open/read/close, stat, a failing open), a TCP echo over
 * its own listener (write/read and chunks()), sleeps, and aborts of every kind of
 * request at random moments — before submission, in flight, after completion — and
 * closes of sockets with requests in flight.  Every 20 s one worker is replaced: it is
 * terminated in the middle of its I/O, rings open, and a new one starts (the path that
 * once crashed the process at worker exit).
 *
 * Each interval (default 60 s) it prints operations done, open file descriptors and
 * RSS of the process.  At the end it compares each figure after warm-up (the second
 * interval) with the last: "flat" means no growth past 5 % for fds and RSS.  Exit code
 * 1 if not flat, or if any worker reported an unexpected error.
 *
 * May touch: a temp directory (removed at exit), loopback TCP, worker threads.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';

function numArg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0 || i + 1 >= process.argv.length) return dflt;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v <= 0) throw new RangeError(`--${name} must be a positive number`);
  return v;
}

/** Errors a worker's load is allowed to see: its own aborts, closes and cancels. */
const EXPECTED = new Set(['ABORT_ERR', 'ECANCELED', 'EBADF', 'ENOENT', 'ECONNRESET', 'EPIPE']);

async function workerLoad(dir: string): Promise<never> {
  const { sleep, nop } = await import('../src/index.js');
  const fsr = await import('../src/fs/promises.js');
  const { TcpListener, TcpStream } = await import('../src/net/tcp.js');
  let ops = 0;
  let unexpected = 0;
  let lastError = '';
  const note = (e: unknown): void => {
    const code = (e as { code?: string }).code ?? (e as Error).name;
    if (!EXPECTED.has(code)) {
      unexpected++;
      lastError = `${code}: ${(e as Error).message}`;
    }
  };
  const rnd = (n: number): number => Math.floor(Math.random() * n);
  /** An AbortSignal that fires at a random moment (or never). */
  const maybeAbort = (): AbortSignal | undefined => {
    const k = rnd(6);
    if (k === 0) return undefined;
    if (k === 1) return AbortSignal.abort();
    const ac = new AbortController();
    if (k === 2) queueMicrotask(() => ac.abort());
    else if (k === 3) setImmediate(() => ac.abort());
    else if (k === 4) setTimeout(() => ac.abort(), rnd(3));
    return ac.signal;
  };
  setInterval(() => {
    parentPort!.postMessage({ ops, unexpected, lastError });
    ops = 0;
  }, 1000);

  const file = path.join(dir, `w${process.pid}-${Math.random().toString(36).slice(2)}`);
  const files = async (): Promise<void> => {
    for (;;) {
      try {
        await fsr.writeFile(file, Buffer.alloc(1 + rnd(64 * 1024), 0x61));
        await fsr.readFile(file, { signal: maybeAbort() });
        const fh = await fsr.open(file);
        try {
          const reads = Array.from({ length: 8 }, () => fh.read(Buffer.alloc(4096), 0, 4096, rnd(64 * 1024)));
          if (rnd(4) === 0) void fh.close(); // close with reads in flight
          await Promise.allSettled(reads);
        } finally {
          await fh.close();
        }
        await fsr.stat(file);
        await fsr.open(`${file}.missing`).then((h) => h.close(), note);
        ops += 13;
      } catch (e) {
        note(e);
      }
    }
  };
  const timers = async (): Promise<void> => {
    for (;;) {
      await sleep(rnd(5), { signal: maybeAbort() }).then(undefined, note);
      await Promise.all(Array.from({ length: 32 }, () => nop()));
      ops += 33;
    }
  };
  const tcp = async (): Promise<void> => {
    const l = await TcpListener.bind({ port: 0 });
    void (async () => {
      for await (const conn of l.incoming()) {
        void (async () => {
          try {
            if (rnd(2) === 0) {
              for await (const chunk of conn.chunks()) await conn.writeAll(chunk);
            } else {
              const b = Buffer.alloc(16384);
              for (let n; (n = await conn.read(b)) > 0;) await conn.writeAll(b.subarray(0, n));
            }
          } catch (e) {
            note(e);
          } finally {
            await conn.close();
          }
        })();
      }
    })();
    for (;;) {
      let c: InstanceType<typeof TcpStream> | undefined;
      try {
        c = await TcpStream.connect({ port: l.port });
        const msg = Buffer.alloc(1 + rnd(200_000), rnd(256));
        const echo = Buffer.alloc(msg.length);
        const sending = c.writeAll(msg);
        let got = 0;
        const pending = c.read(echo, { offset: 0, length: Math.min(echo.length, 1 + rnd(echo.length)), signal: maybeAbort() });
        if (rnd(8) === 0) {
          void c.close(); // close with a read and a write in flight
          await Promise.allSettled([sending, pending]);
          continue;
        }
        got += await pending.then((n) => n, (e) => {
          note(e);
          return 0;
        });
        while (got < echo.length) {
          const n = await c.read(echo, { offset: got, length: echo.length - got });
          if (n === 0) break;
          got += n;
        }
        await sending;
        if (got === echo.length && !echo.equals(msg)) {
          unexpected++;
          lastError = 'echo mismatch';
        }
        ops += 3;
      } catch (e) {
        note(e);
      } finally {
        await c?.close();
      }
    }
  };
  await Promise.all([files(), files(), timers(), tcp(), tcp()]);
  throw new Error('unreachable');
}

async function main(): Promise<void> {
  const minutes = numArg('minutes', 10);
  const nWorkers = numArg('workers', 2);
  const intervalS = numArg('interval-s', 60);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ringcore-soak-'));
  const self = fileURLToPath(import.meta.url);
  let ops = 0;
  let unexpected = 0;
  let lastError = '';
  let replaced = 0;
  const workers: Worker[] = [];
  const start = (): Worker => {
    const w = new Worker(self, { workerData: { dir } });
    w.on('message', (m: { ops: number; unexpected: number; lastError: string }) => {
      ops += m.ops;
      unexpected += m.unexpected;
      if (m.lastError) lastError = m.lastError;
    });
    w.on('error', (e) => {
      unexpected++;
      lastError = `worker error: ${e.message}`;
    });
    return w;
  };
  for (let i = 0; i < nWorkers; i++) workers.push(start());
  const churn = setInterval(() => {
    const i = Math.floor(Math.random() * workers.length);
    void workers[i].terminate(); // mid-I/O, rings open
    workers[i] = start();
    replaced++;
  }, 20_000);

  const fds = (): number => fs.readdirSync('/proc/self/fd').length;
  const rows: { t: number; ops: number; fds: number; rssMiB: number }[] = [];
  console.log(`soak: ${minutes} min, ${nWorkers} workers, a line every ${intervalS} s`);
  console.log('minute   ops/s       fds   RSS MiB   workers replaced   unexpected');
  const t0 = Date.now();
  const end = t0 + minutes * 60_000;
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, Math.min(intervalS * 1000, end - Date.now())));
    const row = { t: (Date.now() - t0) / 60_000, ops, fds: fds(), rssMiB: process.memoryUsage().rss / 2 ** 20 };
    ops = 0;
    rows.push(row);
    console.log(`${row.t.toFixed(1).padStart(6)} ${(row.ops / intervalS).toFixed(0).padStart(8)} ${String(row.fds).padStart(9)}` +
                ` ${row.rssMiB.toFixed(1).padStart(9)} ${String(replaced).padStart(18)} ${String(unexpected).padStart(12)}`);
  }
  clearInterval(churn);
  await Promise.all(workers.map((w) => w.terminate()));
  fs.rmSync(dir, { recursive: true, force: true });
  // Flat: the median of the last three readings is no more than 5 % above the median of
  // the three after warm-up (the first reading) — for fds, or 4 fds, whichever is more:
  // the count moves with the connections in flight at the moment of each reading.
  // Fewer fds or less memory at the end is not a leak.
  const med3 = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  const early = rows.slice(1, 4);
  const late = rows.slice(-3);
  const fds0 = med3(early.map((r) => r.fds));
  const fds1 = med3(late.map((r) => r.fds));
  const rss0 = med3(early.map((r) => r.rssMiB));
  const rss1 = med3(late.map((r) => r.rssMiB));
  const flat = fds1 <= Math.max(fds0 * 1.05, fds0 + 4) && rss1 <= rss0 * 1.05;
  console.log(`after warm-up → end (medians of three readings): fds ${fds0} → ${fds1}, ` +
              `RSS ${rss0.toFixed(1)} → ${rss1.toFixed(1)} MiB: ${flat ? 'flat (no growth past 5 %)' : 'NOT flat'}`);
  if (unexpected > 0) console.log(`unexpected errors: ${unexpected} (last: ${lastError})`);
  process.exitCode = flat && unexpected === 0 ? 0 : 1;
}

if (isMainThread) await main();
else await workerLoad((workerData as { dir: string }).dir);
