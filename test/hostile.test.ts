/**
 * What a hostile user does to the runtime (issue 7): worker threads that end with
 * rings open, buffers detached or transferred while the kernel holds them, exceptions
 * and closes inside completion callbacks, more ready work than the SQ holds, chains
 * with members that cannot go, inputs that should fail.  Each test failed before the
 * fix it guards; the ones that used to crash the process run in a child process.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  Ring, Op, nop, read, readv, sleep, run, spawn, cancel, linkTimeout, defaultRing, all,
} from '../src/index.js';
import { toTimespec } from '../src/op/timespec.js';
import { open } from '../src/fs/promises.js';
import { TcpListener, TcpStream, socketpair } from '../src/net/tcp.js';
import { INDEX_URL, tempDir, tick, delay, started, openFifo, runChild, ringFixture, SUITE, failIfKeptAlive, drained, fdSnapshot, fdsOpenedSince } from './helpers.js';

failIfKeptAlive();

let ring: Ring;
let tmp: { dir: string; cleanup: () => void };
ringFixture((r, t) => {
  ring = r;
  tmp = t!;
}, { tempDir: true });

const FS_URL = new URL('../src/fs/promises.js', INDEX_URL).href;
const NET_URL = new URL('../src/net/tcp.js', INDEX_URL).href;

function assertCleanExit(r: Awaited<ReturnType<typeof runChild>>, what: string): void {
  assert.equal(r.timedOut, false, `${what}: the process exited by itself`);
  assert.equal(r.signal, null, `${what}: not killed by a signal; stderr:\n${r.stderr.slice(0, 3000)}`);
  assert.equal(r.code, 0, `${what}: exit code 0; stderr:\n${r.stderr.slice(0, 3000)}`);
}

describe('worker threads that end with a ring', SUITE, () => {
  // The main thread may or may not have loaded the addon; the worker may end by
  // itself, be terminated, or be terminated with requests in flight (a timer, a
  // read on a pipe nobody writes).  Every combination must exit cleanly.
  for (const mainLoads of [false, true]) {
    for (const how of ['natural', 'terminate', 'inflight', 'closed'] as const) {
      test(`main ${mainLoads ? 'with' : 'without'} RingCore, worker ${how}`, async () => {
        const t = tempDir('ringcore-worker-');
        try {
          const worker = path.join(t.dir, 'w.mjs');
          fs.writeFileSync(worker, `
            import { parentPort } from 'node:worker_threads';
            import fs from 'node:fs';
            const m = await import(${JSON.stringify(INDEX_URL)});
            await m.nop();
            const how = ${JSON.stringify(how)};
            if (how === 'inflight') {
              m.sleep(60000).then(() => {}, () => {});
              const p = ${JSON.stringify(path.join(t.dir, 'fifo'))};
              const fd = fs.openSync(p, fs.constants.O_RDWR);
              m.read(fd, new Uint8Array(4096)).then(() => {}, () => {});
              m.read(fd, new Uint8Array(64)).then(() => {}, () => {});
            }
            if (how === 'closed') await m.defaultRing().close();
            parentPort.postMessage('ready');
          `);
          if (how === 'inflight') openFifo(path.join(t.dir, 'fifo'));
          const main = `
            import { Worker } from 'node:worker_threads';
            ${mainLoads ? `const m = await import(${JSON.stringify(INDEX_URL)}); await m.nop();` : ''}
            const runs = [];
            for (let i = 0; i < 3; i++) {
              runs.push(new Promise((resolve, reject) => {
                const w = new Worker(${JSON.stringify(worker)});
                w.on('error', reject);
                w.on('message', () => { if (${how === 'terminate' || how === 'inflight'}) setTimeout(() => w.terminate(), 20); });
                w.on('exit', resolve);
              }));
            }
            console.log(JSON.stringify(await Promise.all(runs)));
          `;
          const r = await runChild(main, {}, 20000);
          assertCleanExit(r, `${how}`);
          const codes = JSON.parse(r.stdout.trim().split('\n').pop()!);
          assert.equal(codes.length, 3);
        } finally {
          t.cleanup();
        }
      });
    }
  }
});

describe('a worker terminated with files and sockets open', SUITE, () => {
  test('their fds are closed with the thread, not leaked from the process', async () => {
    const t = tempDir('ringcore-worker-fds-');
    try {
      const worker = path.join(t.dir, 'w.mjs');
      const file = path.join(t.dir, 'f');
      fs.writeFileSync(file, 'x');
      fs.writeFileSync(worker, `
        import { parentPort } from 'node:worker_threads';
        const { open } = await import(${JSON.stringify(FS_URL)});
        const { TcpListener, TcpStream, socketpair } = await import(${JSON.stringify(NET_URL)});
        const keep = [];
        for (let i = 0; i < 50; i++) keep.push(await open(${JSON.stringify(file)}));
        const l = await TcpListener.bind({ port: 0 });
        for (let i = 0; i < 10; i++) keep.push(await TcpStream.connect({ port: l.port }), await l.accept());
        keep.push(...socketpair());
        keep[keep.length - 1].read(new Uint8Array(16)).then(() => {}, () => {}); // in flight
        parentPort.postMessage('ready');
      `);
      // The warm-up worker loads what stays loaded (the addon, the runtime's own fds) and
      // holds almost nothing itself, so that the count taken after it is the baseline.
      const warm = path.join(t.dir, 'warm.mjs');
      fs.writeFileSync(warm, `
        import { parentPort } from 'node:worker_threads';
        const { open } = await import(${JSON.stringify(FS_URL)});
        await import(${JSON.stringify(NET_URL)});
        const fh = await open(${JSON.stringify(file)});
        parentPort.postMessage('ready');
      `);
      // A terminated worker's fds are closed as its thread is torn down, which Deno does
      // after the Worker's 'exit' event (Node, Bun: before it): the counts wait for that
      // (at most 5 s) instead of reading it at 'exit'.
      const main = `
        import fs from 'node:fs';
        import { Worker } from 'node:worker_threads';
        const count = () => fs.readdirSync('/proc/self/fd').length;
        const settle = async (to) => {
          for (let i = 0; i < 500 && count() > to; i++) await new Promise((r) => setTimeout(r, 10));
        };
        const one = (script) => new Promise((resolve, reject) => {
          const w = new Worker(script);
          w.on('error', reject);
          w.on('message', () => { peak = Math.max(peak, count()); w.terminate(); });
          w.on('exit', resolve);
        });
        let peak = 0;
        const start = count();
        await one(${JSON.stringify(warm)}); // warm: the addon, the runtime's own fds
        await settle(start);
        const before = count();
        peak = 0;
        for (let i = 0; i < 5; i++) {
          await one(${JSON.stringify(worker)});
          await settle(before);
        }
        console.log(JSON.stringify({ before, peak, after: count() }));
      `;
      const r = await runChild(main, {}, 30000);
      assertCleanExit(r, 'terminated workers with open fds');
      const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
      assert.ok(out.peak >= out.before + 70, `the workers did hold fds: ${JSON.stringify(out)}`);
      assert.ok(out.after <= out.before, `fds back: ${JSON.stringify(out)}`);
    } finally {
      t.cleanup();
    }
  });
});

describe('a worker that closes handles and ends at once, or is terminated mid open/close', SUITE, () => {
  test('no fd of the files it opened stays open in the process', async () => {
    const t = tempDir('ringcore-worker-close-');
    try {
      const file = path.join(t.dir, 'f');
      fs.writeFileSync(file, 'x');
      // Module files, not eval workers: an eval worker is a script, where Deno refuses
      // a top-level await (Node and Bun accept it).
      const closeAndExit = path.join(t.dir, 'close-and-exit.mjs');
      fs.writeFileSync(closeAndExit, `
        const { open } = await import(${JSON.stringify(FS_URL)});
        const hs = [];
        for (let i = 0; i < 20; i++) hs.push(await open(${JSON.stringify(file)}));
        for (const h of hs) h.close(); // CLOSE written, not yet entered
        process.exit(0);
      `);
      const loop = path.join(t.dir, 'loop.mjs');
      fs.writeFileSync(loop, `
        const { open } = await import(${JSON.stringify(FS_URL)});
        const { parentPort } = await import('node:worker_threads');
        parentPort.postMessage('ready');
        for (;;) {
          const hs = await Promise.all(Array.from({ length: 64 }, () => open(${JSON.stringify(file)})));
          await Promise.all(hs.map((h) => h.close()));
        }
      `);
      const main = `
        import fs from 'node:fs';
        import { Worker } from 'node:worker_threads';
        const file = ${JSON.stringify(file)};
        const count = () => fs.readdirSync('/proc/self/fd').filter((f) => {
          try { return fs.readlinkSync('/proc/self/fd/' + f) === file; } catch { return false; }
        }).length;
        await new Promise((r) => new Worker(${JSON.stringify(closeAndExit)}).on('exit', r));
        const afterExit = count();
        let slowest = 0;
        for (let i = 0; i < 20; i++) {
          const w = new Worker(${JSON.stringify(loop)});
          await new Promise((r) => w.once('message', r));
          await new Promise((r) => setTimeout(r, 2 + Math.random() * 20));
          const t = performance.now();
          await w.terminate();
          slowest = Math.max(slowest, performance.now() - t);
        }
        // Deno closes a terminated worker's fds as it tears the thread down, after
        // terminate() resolves (Node, Bun: before): wait for that, at most 3 s.
        for (let i = 0; i < 300 && count() > 0; i++) await new Promise((r) => setTimeout(r, 10));
        console.log(JSON.stringify({ afterExit, afterTerminate: count(), slowest }));
      `;
      const r = await runChild(main, {}, 60000);
      assertCleanExit(r, 'workers closing and ending');
      const out = JSON.parse(r.stdout.trim());
      assert.deepEqual({ afterExit: out.afterExit, afterTerminate: out.afterTerminate }, { afterExit: 0, afterTerminate: 0 });
      // The thread-exit cleanup waits for the requests it was told are in flight, up to
      // 5 s; a termination between two of its bookkeeping stores once made it wait for
      // one that did not exist (a 5 s terminate).  A terminate takes ~2-25 ms here.
      assert.ok(out.slowest < 2500, `a worker.terminate() took ${Math.round(out.slowest)} ms (the cleanup waited for a request that was not there)`);
    } finally {
      t.cleanup();
    }
  });
});

describe('buffers detached while the kernel holds them', SUITE, () => {
  test('a read in flight keeps its memory after the view is transferred and collected (child process)', async () => {
    const t = tempDir('ringcore-detach-');
    try {
      const fifo = path.join(t.dir, 'fifo');
      const script = `
        import fs from 'node:fs';
        import v8 from 'node:v8';
        import vm from 'node:vm';
        import { read, stats } from ${JSON.stringify(INDEX_URL)};
        v8.setFlagsFromString('--expose-gc');
        const gc = vm.runInNewContext('gc');
        const fd = fs.openSync(${JSON.stringify(fifo)}, fs.constants.O_RDWR);
        for (let round = 0; round < 30; round++) {
          const view = new Uint8Array(4000);
          const pr = new Promise((res, rej) => read(fd, view).then(res, rej)); // SQE written now
          await new Promise((r) => setImmediate(r)); // entered: the read waits in the kernel
          structuredClone(view.buffer, { transfer: [view.buffer] });
          gc();
          const junk = [];
          for (let i = 0; i < 2000; i++) junk.push(Buffer.allocUnsafeSlow(4000).fill(7));
          fs.writeSync(fd, Buffer.alloc(4000, round));
          if (await pr !== 4000) throw new Error('short read');
        }
        console.log(JSON.stringify(stats()));
      `;
      openFifo(fifo);
      const r = await runChild(script, {}, 20000);
      assertCleanExit(r, 'detach during read');
      assert.equal(JSON.parse(r.stdout.trim()).inFlight, 0);
    } finally {
      t.cleanup();
    }
  });

  test('a send in flight sends the bytes it was given after its view is transferred (child process)', async () => {
    const script = `
      import v8 from 'node:v8';
      import vm from 'node:vm';
      import { socketpair } from ${JSON.stringify(NET_URL)};
      v8.setFlagsFromString('--expose-gc');
      const gc = vm.runInNewContext('gc');
      const [a, b] = socketpair();
      const N = 8 << 20;
      const data = new Uint8Array(N);
      for (let i = 0; i < N; i++) data[i] = (i * 7 + 3) & 255;
      const sending = a.writeAll(data);
      const err = sending.then(() => null, (e) => e.code);
      void err.then(() => a.shutdown('write')); // EOF for the reader once the writer stops
      await new Promise((r) => setTimeout(r, 20)); // the socket buffer is full: the send waits
      structuredClone(data.buffer, { transfer: [data.buffer] });
      gc();
      const junk = [];
      for (let i = 0; i < 3000; i++) junk.push(Buffer.allocUnsafeSlow(4096).fill(0xee));
      const buf = new Uint8Array(1 << 16);
      let got = 0, bad = -1;
      while (got < N) {
        const n = await b.read(buf);
        if (n === 0) break;
        for (let i = 0; i < n; i++) if (buf[i] !== (((got + i) * 7 + 3) & 255) && bad < 0) bad = got + i;
        got += n;
        if (bad >= 0) break;
      }
      console.log(JSON.stringify({ got, bad, err: await err }));
      await a.close(); await b.close();
    `;
    const r = await runChild(script, {}, 20000);
    assertCleanExit(r, 'detach during send');
    const out = JSON.parse(r.stdout.trim());
    assert.equal(out.bad, -1, `byte ${out.bad} is not what was sent (heap garbage reached the peer)`);
    // writeAll goes on with the rest of the (now detached) view: that part is refused
    // before it reaches the kernel, and writeAll rejects.
    assert.ok(out.got > 0 && out.got < 8 << 20, JSON.stringify(out));
    assert.match(out.err, /^ERR_INVALID_(STATE|ARG_VALUE)$/, 'writeAll reports the detached buffer, never a silent success');
  });

  test('a view detached before its SQE is written: refused with ERR_INVALID_STATE, nothing submitted', async () => {
    const v = new Uint8Array(4000);
    const op = ring.read(0, v);
    structuredClone(v.buffer, { transfer: [v.buffer] });
    const before = ring.stats().sqesSubmitted;
    await assert.rejects(Promise.resolve(op), { code: 'ERR_INVALID_STATE', message: /detached/ });
    await tick();
    assert.equal(ring.stats().sqesSubmitted, before, 'no SQE');
    assert.throws(() => ring.read(0, v), { code: 'ERR_INVALID_ARG_VALUE', message: /detached/ });
    const w = new Uint8Array(8);
    const rv = ring.readv(0, [new Uint8Array(8), w]);
    structuredClone(w.buffer, { transfer: [w.buffer] });
    await assert.rejects(Promise.resolve(rv), { code: 'ERR_INVALID_STATE' });
    assert.throws(() => ring.readv(0, [w]), { code: 'ERR_INVALID_ARG_VALUE' });
  });

  test('an eager FileHandle.read whose buffer is detached before the enter cannot corrupt memory', async () => {
    const p = path.join(tmp.dir, 'detach-eager');
    fs.writeFileSync(p, Buffer.alloc(8192, 0x61));
    const fh = await open(p);
    try {
      const b = Buffer.allocUnsafeSlow(8192);
      const pending = started(fh.read(b, 0, 8192, 0));
      structuredClone(b.buffer, { transfer: [b.buffer] }); // after the SQE, before the enter
      const r = await pending; // the kernel wrote into the pinned memory, not freed heap
      assert.equal(r.bytesRead, 8192);
      assert.equal(b.byteLength, 0, 'the caller detached it');
    } finally {
      await fh.close();
    }
  });

  test('provided-buffer memory cannot be transferred away from the kernel', async () => {
    const l = await TcpListener.bind({ port: 0, ring });
    const c = await TcpStream.connect({ port: l.port, ring });
    const s = await l.accept();
    try {
      await c.writeAll('hello');
      const it = s.chunks();
      const first = await it.next();
      assert.equal(Buffer.from(first.value!).toString(), 'hello');
      const ab = first.value!.buffer;
      const len = ab.byteLength;
      try {
        structuredClone(ab, { transfer: [ab] });
      } catch (e) {
        assert.equal((e as Error).name, 'DataCloneError');
      }
      const { port1, port2 } = new MessageChannel();
      try {
        port1.postMessage(first.value, [ab]);
      } catch (e) {
        assert.equal((e as Error).name, 'DataCloneError');
      }
      port1.close();
      port2.close();
      assert.equal(ab.byteLength, len, 'still attached');
      await c.writeAll('world');
      const second = await it.next();
      assert.equal(Buffer.from(second.value!).toString(), 'world', 'the next recv lands in intact memory');
      await it.return!();
    } finally {
      await c.close();
      await s.close();
      await l.close();
    }
  });
});

describe('exceptions and closes inside completion handling', SUITE, () => {
  test('an op whose completion handler throws rejects with that error; the rest of the batch is delivered', async () => {
    class Throws extends Op<number> {
      get syscall(): string { return 'nop'; }
      prepare(sqes: Uint32Array, index: number): void { ring.nop().prepare(sqes, index); }
      value(): number { return 0; }
      override complete(): void { throw new Error('handler blew up'); }
    }
    const before = Array.from({ length: 10 }, () => started(ring.nop()));
    const bad = started(new Throws(ring));
    const after = Array.from({ length: 10 }, () => started(ring.nop()));
    await assert.rejects(bad, /handler blew up/);
    assert.deepEqual(await Promise.all([...before, ...after]), new Array(20).fill(0));
    await drained(ring);
  });

  test('a signal whose listeners throw (Node only reads `aborted`) does not break readFile or the reaper', async () => {
    const p = path.join(tmp.dir, 'proxy-signal');
    fs.writeFileSync(p, 'x'.repeat(10000));
    const hostile = {
      aborted: false,
      reason: undefined,
      addEventListener() { throw new Error('no listeners here'); },
      removeEventListener() { throw new Error('no listeners here'); },
    } as unknown as AbortSignal;
    const fh = await open(p);
    try {
      assert.equal((await fh.readFile({ signal: hostile, encoding: 'utf8' })).length, 10000);
      const frozen = new Proxy({ signal: hostile }, { set() { throw new Error('read-only'); }, defineProperty() { throw new Error('read-only'); } });
      assert.equal((await fh.readFile(frozen as never)).length, 0, 'at EOF now');
      const flip = { ...hostile, aborted: false } as { aborted: boolean };
      const all = Array.from({ length: 5 }, () => started(ring.nop({ signal: flip as unknown as AbortSignal })));
      flip.aborted = true; // after the SQEs were written: no listener can tell us, results win
      assert.deepEqual(await Promise.all(all), [0, 0, 0, 0, 0]);
      assert.equal(await ring.nop(), 0);
    } finally {
      await fh.close();
    }
  });

  test('ring.close() inside a then callback: the batch is delivered, close resolves, no exception', async () => {
    const r = new Ring({ entries: 16 });
    const errors: unknown[] = [];
    const onErr = (e: unknown) => errors.push(e);
    process.on('uncaughtException', onErr);
    try {
      const results: unknown[] = [];
      let closing: Promise<void> | undefined;
      const ops = Array.from({ length: 8 }, (_, i) => new Promise<void>((resolve) => {
        r.nop().then((v) => {
          results[i] = v;
          if (i === 2) closing = r.close();
          resolve();
        }, (e) => {
          results[i] = (e as { code?: string }).code;
          resolve();
        });
      }));
      await Promise.all(ops);
      assert.deepEqual(results, new Array(8).fill(0), 'every CQE of the batch was delivered');
      await closing;
      await assert.rejects(Promise.resolve(r.nop()), { code: 'EBADF' });
      await delay(10);
      assert.deepEqual(errors, []);
    } finally {
      process.off('uncaughtException', onErr);
    }
  });

  test('defaultRing().close() inside a then callback, then the default ring is made anew', async () => {
    const d = defaultRing();
    let closing: Promise<void> | undefined;
    await new Promise<void>((resolve) => {
      nop().then(() => {
        closing = d.close();
        resolve();
      });
    });
    await closing;
    assert.equal(d.finished, true);
    assert.equal(await nop(), 0, 'a fresh default ring');
    assert.notEqual(defaultRing(), d);
  });

  test('close() while ops wait in the backlog rejects them with the ring-closed error', async () => {
    const r = new Ring({ entries: 2 });
    const ops = Array.from({ length: 6 }, () => started(r.timeout(10_000)));
    const settled = Promise.allSettled(ops);
    assert.equal(r.stats().backlog, 4);
    await r.close();
    const out = await settled;
    for (const o of out) assert.equal(o.status, 'rejected');
    const errs = out.map((o) => (o as PromiseRejectedResult).reason);
    assert.deepEqual(errs.map((e) => e.code), ['ECANCELED', 'ECANCELED', 'EBADF', 'EBADF', 'EBADF', 'EBADF'],
                     'written ones cancelled by the kernel, waiting ones refused');
    assert.match(errs[2].message, /ring is closed/);
  });
});

describe('liveness: more ready work than the SQ holds', SUITE, () => {
  async function timerFiresUnderLoad(loops: number, opFor: () => PromiseLike<unknown>): Promise<void> {
    let stop = false;
    let fired = false;
    let ops = 0;
    const LIMIT = 3_000_000; // a starving loop ends here, and the test fails
    setTimeout(() => {
      fired = true;
      stop = true;
    }, 30);
    await Promise.all(Array.from({ length: loops }, async () => {
      while (!stop && ops < LIMIT) {
        await opFor();
        ops++;
      }
    }));
    assert.ok(fired, `the timer fired while ${loops} loops kept the ring busy (after ${ops} ops)`);
  }

  test('1,100 loops of `await nop()` on the default ring (1024 SQ entries): timers still run', async () => {
    await timerFiresUnderLoad(1100, () => nop());
  });

  test('3 loops on a 2-entry ring: timers still run', async () => {
    const r = new Ring({ entries: 2 });
    try {
      await timerFiresUnderLoad(3, () => r.nop());
    } finally {
      await r.close();
    }
  });

  test('page-cache reads beyond the SQ size: timers still run', async () => {
    const p = path.join(tmp.dir, 'hot');
    fs.writeFileSync(p, Buffer.alloc(4096, 1));
    const fh = await open(p);
    const r = new Ring({ entries: 8 });
    try {
      const buf = Buffer.alloc(4096);
      await timerFiresUnderLoad(20, () => r.read(fh.fd, buf, 0));
    } finally {
      await r.close();
      await fh.close();
    }
  });
});

describe('what the hostile tester found next', SUITE, () => {
  test('linkTimeout on a 1-entry ring: ERR_OUT_OF_RANGE, and the ring keeps working', async () => {
    const r = new Ring({ entries: 1 });
    try {
      assert.throws(() => r.linkTimeout(r.nop(), 1000), { code: 'ERR_OUT_OF_RANGE' }); // before anything is submitted, as link()
      assert.equal(await r.nop(), 0);
      assert.equal(r.stats().backlog, 0);
    } finally {
      await r.close();
    }
  });

  test('a signal whose `aborted` getter throws while its op waits in the backlog: that op rejects, the rest run', async () => {
    const r = new Ring({ entries: 2 });
    try {
      let reads = 0;
      const signal = { get aborted() { if (++reads === 2) throw new Error('getter boom'); return false; } } as unknown as AbortSignal;
      const ops = [r.nop(), r.nop(), r.nop({ signal }), r.nop(), r.nop()];
      const out = await Promise.all(ops.map((o) => Promise.resolve(o).then((v) => v, (e: Error) => e.message)));
      assert.deepEqual(out, [0, 0, 'getter boom', 0, 0]);
    } finally {
      await r.close();
    }
  });

  test('a view whose byteLength/byteOffset/buffer properties lie: the kernel sees the real ones', async () => {
    const fd = fs.openSync('/dev/zero', 'r');
    try {
      const canary = Buffer.alloc(1 << 16, 0x55);
      const v = new Uint8Array(new ArrayBuffer(4096));
      Object.defineProperty(v, 'byteLength', { value: 64 << 20 });
      assert.equal(await ring.read(fd, v), 4096);
      const w = new Uint8Array(new ArrayBuffer(4096));
      Object.defineProperty(w, 'byteOffset', { value: 1 << 20 });
      assert.equal(await ring.read(fd, w), 4096);
      const x = new Uint8Array(new ArrayBuffer(4096)).fill(1);
      Object.defineProperty(x, 'buffer', { value: new ArrayBuffer(16) });
      assert.equal(await ring.read(fd, x), 4096);
      assert.equal(x[4095], 0, 'its own memory was read into');
      const y = new Uint8Array(new ArrayBuffer(64));
      Object.setPrototypeOf(y, { get byteLength() { return 1 << 20; }, __proto__: Uint8Array.prototype });
      assert.equal(await ring.read(fd, y), 64);
      assert.ok(canary.every((b) => b === 0x55), 'nothing else was written');
    } finally {
      fs.closeSync(fd);
    }
  });

  test('a chain member detached by a getter run while another member is admitted: nothing submitted', async () => {
    const [a, b] = socketpair({ ring });
    try {
      for (const cached of [false, true]) {
        const buf = Buffer.from(new ArrayBuffer(16));
        buf.write('SECRET-PAYLOAD!!');
        if (cached) {
          await ring.write(a.fd, buf.subarray(0, 1));
          await b.read(Buffer.alloc(1));
        }
        let calls = 0;
        const evil = { get aborted() { if (++calls === 2) structuredClone(buf.buffer, { transfer: [buf.buffer] }); return false; } };
        await assert.rejects(ring.link(ring.write(a.fd, buf), ring.nop({ signal: evil as unknown as AbortSignal })), { code: 'ERR_INVALID_STATE' });
      }
      const got = Buffer.alloc(64);
      const n = await Promise.race([b.read(got), delay(100).then(() => -1)]);
      assert.equal(n, -1, 'the peer received nothing');
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('Ring and listener options are checked like Node checks its own', async () => {
    const bad: [unknown, string][] = [
      [null, 'ERR_INVALID_ARG_TYPE'], [5, 'ERR_INVALID_ARG_TYPE'],
      [{ entries: '4' }, 'ERR_INVALID_ARG_TYPE'], [{ entries: 0 }, 'ERR_OUT_OF_RANGE'], [{ entries: 1.5 }, 'ERR_OUT_OF_RANGE'],
      [{ flags: 1.5 }, 'ERR_OUT_OF_RANGE'], [{ flags: -1 }, 'ERR_OUT_OF_RANGE'], [{ flags: 2 ** 32 }, 'ERR_OUT_OF_RANGE'],
      [{ sqpoll: { idleMs: -5 } }, 'ERR_OUT_OF_RANGE'], [{ sqpoll: { idleMs: NaN } }, 'ERR_OUT_OF_RANGE'],
      [{ sqpoll: { cpu: -1 } }, 'ERR_OUT_OF_RANGE'], [{ sqpoll: 'yes' }, 'ERR_INVALID_ARG_TYPE'], [{ trace: 1 }, 'ERR_INVALID_ARG_TYPE'],
    ];
    for (const [opts, code] of bad) assert.throws(() => new Ring(opts as never), { code }, JSON.stringify(opts));
    for (const port of [NaN, -1, 65536, 1.5, '', 'x', {}]) {
      await assert.rejects(TcpListener.bind({ port: port as never }), { code: 'ERR_SOCKET_BAD_PORT', name: 'RangeError' }, String(port));
    }
    await assert.rejects(TcpListener.bind({ port: 0, backlog: 2 ** 40 }), { code: 'ERR_OUT_OF_RANGE' });
    await assert.rejects(open(path.join(tmp.dir, 'm'), 'w', NaN as never), { code: 'ERR_OUT_OF_RANGE', message: /must be an integer/ });
  });

  test('argument errors read like Node\'s: the code after the name in toString() and in the stack', () => {
    try {
      read('x' as never, Buffer.alloc(1));
      assert.fail('no throw');
    } catch (e) {
      assert.equal(String(e), 'TypeError [ERR_INVALID_ARG_TYPE]: The "fd" argument must be of type number. Received type string (\'x\')');
      assert.match((e as Error).stack!, /^TypeError \[ERR_INVALID_ARG_TYPE\]: The "fd" argument/);
      assert.equal((e as Error).name, 'TypeError');
    }
  });

  test('socket writev errors are worded as node:net words them', async () => {
    const [a, b] = socketpair({ ring });
    await b.close();
    try {
      await assert.rejects(a.writev([Buffer.from('x')]), { code: 'EPIPE', message: 'write EPIPE' });
    } finally {
      await a.close();
    }
  });
});

describe('what the code review found', SUITE, () => {
  test('a signal getter that submits while its op is admitted: no stale SQE, every op settles, no fd closed by mistake', async () => {
    const r = new Ring({ entries: 4 });
    const t = tempDir('ringcore-reentry-');
    try {
      const fdA = fs.openSync(path.join(t.dir, 'a'), 'w');
      await r.closeFd(fdA); // an old CLOSE SQE sits in the array
      const fdB = fs.openSync(path.join(t.dir, 'b'), 'w'); // reuses fdA's number
      await r.nop();
      await r.nop();
      await r.nop();
      let reads = 0;
      let inner: Promise<number> | undefined;
      const evil = {
        get aborted() {
          if (++reads === 2) {
            inner = started(r.nop());
            return true;
          }
          return false;
        },
        reason: 'x',
      } as unknown as AbortSignal;
      await assert.rejects(Promise.resolve(r.nop({ signal: evil })), { name: 'AbortError' });
      assert.equal(await inner, 0, 'the op submitted from the getter settles');
      await delay(20);
      fs.fstatSync(fdB); // still open: no stale CLOSE reached the kernel
      fs.closeSync(fdB);
      assert.equal(r.stats().inFlight, 0);
      assert.equal(r.stats().staleCqes, 0);
    } finally {
      await r.close();
      t.cleanup();
    }
  });

  test('then() callbacks run asynchronously (Promises/A+ 2.2.4), never inside then() or the reaper', async () => {
    let phase = 'inside then()';
    let seen = '';
    const done = new Promise<void>((resolve) => {
      ring.nop({ signal: AbortSignal.abort() }).then(null, () => {
        seen = phase;
        resolve();
      });
    });
    phase = 'after then() returned';
    await done;
    assert.equal(seen, 'after then() returned');
    const order: string[] = [];
    const a = ring.nop();
    const b = ring.nop();
    a.then(() => {
      order.push('a');
      void Promise.resolve().then(() => order.push('a microtask'));
    });
    b.then(() => order.push('b'));
    await Promise.all([a, b]);
    await null;
    assert.deepEqual(order, ['a', 'b', 'a microtask'], 'as native promises order them');
  });

  test('zero-copy chunks past the high-water mark never hold more shared buffers than the mark', async () => {
    const r = new Ring();
    const [a, b] = socketpair({ ring: r, highWaterMark: 32 * 1024 });
    try {
      const it = b.zeroCopyChunks();
      const writing = a.writeAll(Buffer.alloc(1 << 20, 3));
      await delay(200); // nobody consumes
      const group = r.recvBuffers;
      const out = (group as unknown as { out: number }).out;
      assert.ok(out * group.size <= 32 * 1024, `${out} shared buffers held for a 32 KiB mark`);
      let got = 0;
      for (let x = await it.next(); !x.done; x = await it.next()) {
        got += x.value.length;
        if (got === 1 << 20) break;
      }
      assert.equal(got, 1 << 20);
      await writing;
    } finally {
      await a.close();
      await b.close();
      await r.close();
    }
  });

  test('a CLOSE cancelled with its chain leaves the fd open and the error says so', async () => {
    const t = tempDir('ringcore-close-cancel-');
    try {
      const fd = fs.openSync(path.join(t.dir, 'f'), 'w');
      const head = ring.read(9999, Buffer.alloc(1));
      const close = ring.closeFd(fd);
      await assert.rejects(ring.link(head, close), { code: 'EBADF' });
      await assert.rejects(Promise.resolve(close), { code: 'ECANCELED' });
      fs.fstatSync(fd); // still open
      fs.closeSync(fd);
    } finally {
      t.cleanup();
    }
  });
});

describe('run() and spawn()', SUITE, () => {
  test('a failing spawned task rejects run with its error; nothing is left unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      await assert.rejects(run(async () => {
        spawn(async () => {
          throw new Error('spawned failure');
        });
        await sleep(50);
        return 1;
      }), /spawned failure/);
      await delay(20);
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  test('run and spawn check their arguments', async () => {
    for (const bad of ['x', null, undefined, 42, {}]) {
      await assert.rejects(run(bad as never), { code: 'ERR_INVALID_ARG_TYPE' });
      assert.throws(() => spawn(bad as never), { code: 'ERR_INVALID_ARG_TYPE' });
    }
  });
});

describe('link(): a chain reaches the kernel whole or not at all', SUITE, () => {
  test('a pre-aborted member: nothing submitted, the others ECANCELED, an unrelated op unaffected', async () => {
    const before = ring.stats().sqesSubmitted;
    const aborted = AbortSignal.abort();
    const chain = ring.link(ring.read(9999, Buffer.alloc(4)), ring.nop({ signal: aborted }));
    const unrelated = started(ring.nop());
    await assert.rejects(chain, { name: 'AbortError' });
    assert.equal(await unrelated, 0, 'not linked to anything');
    await tick();
    assert.equal(ring.stats().sqesSubmitted, before + 1, 'only the unrelated NOP reached the kernel');
  });

  test('link(nop({ signal: aborted }), write(w, "X")): X is never written', async () => {
    const [rfd, wfd] = pipe();
    try {
      const w = ring.write(wfd, Buffer.from('X'));
      const settled = Promise.allSettled([w]);
      await assert.rejects(ring.link(ring.nop({ signal: AbortSignal.abort() }), w), { name: 'AbortError' });
      const [s] = await settled;
      assert.equal(s.status, 'rejected');
      assert.equal((s as PromiseRejectedResult).reason.code, 'ECANCELED');
      await ring.write(wfd, Buffer.from('Y'));
      const b = Buffer.alloc(4);
      assert.equal(fs.readSync(rfd, b), 1);
      assert.equal(b.toString('latin1', 0, 1), 'Y', 'X never went');
    } finally {
      fs.closeSync(rfd);
      fs.closeSync(wfd);
    }
  });

  test('a member aborted while the chain waits for SQ room: no member runs', async () => {
    const r = new Ring({ entries: 2 });
    const [rfd, wfd] = pipe();
    try {
      const fill = [started(r.nop()), started(r.nop())]; // the SQ is full until the next turn
      const ac = new AbortController();
      const w = r.write(wfd, Buffer.from('X'));
      const chain = r.link(r.nop({ signal: ac.signal }), w);
      assert.equal(r.stats().backlog, 1, 'the chain waits as one unit');
      ac.abort();
      await assert.rejects(chain, { name: 'AbortError' });
      await assert.rejects(Promise.resolve(w), { code: 'ECANCELED' });
      await Promise.all(fill);
      await tick();
      const b = Buffer.alloc(4);
      fs.writeSync(wfd, 'Z');
      assert.equal(fs.readSync(rfd, b), 1);
      assert.equal(b.toString('latin1', 0, 1), 'Z');
    } finally {
      fs.closeSync(rfd);
      fs.closeSync(wfd);
      await r.close();
    }
  });

  test('a member whose buffer was detached while the chain waited: refused, the rest ECANCELED, nothing submitted', async () => {
    const r = new Ring({ entries: 2 });
    try {
      const fill = [started(r.nop()), started(r.nop())]; // the SQ is full until the next turn
      const v = new Uint8Array(8);
      const rd = r.read(0, v);
      const n = r.nop();
      const settled = Promise.allSettled([rd, n]);
      const chain = r.link(rd, n);
      structuredClone(v.buffer, { transfer: [v.buffer] });
      await assert.rejects(chain, { code: 'ERR_INVALID_STATE' });
      const [a, b] = await settled;
      assert.equal((a as PromiseRejectedResult).reason.code, 'ERR_INVALID_STATE');
      assert.equal((b as PromiseRejectedResult).reason.code, 'ECANCELED');
      await Promise.all(fill);
      assert.equal(r.stats().sqesSubmitted, 2, 'only the two NOPs that filled the SQ');
    } finally {
      await r.close();
    }
  });

  test('an eager read waiting for SQ room when its handle closes: EBADF, never submitted on the fd', async () => {
    const r = new Ring({ entries: 2 });
    const [a, b] = socketpair({ ring: r });
    try {
      const fill = [started(r.nop()), started(r.nop())];
      const rd = a.read(Buffer.alloc(4)); // eager, but waits in the backlog
      rd.catch(() => {});
      assert.equal(r.stats().backlog, 1);
      void a.close();
      await assert.rejects(rd, { code: 'EBADF' });
      await Promise.all(fill);
      await tick();
      assert.equal(r.stats().sqesSubmitted, 4, 'the NOPs, then cancel-by-fd + close: no RECV');
    } finally {
      await a.close();
      await b.close();
      await r.close();
    }
  });

  test('a chain longer than the SQ is an error; the same op twice is an error', async () => {
    const r = new Ring({ entries: 4 });
    try {
      assert.throws(() => r.link(...Array.from({ length: 5 }, () => r.nop())), { code: 'ERR_OUT_OF_RANGE' });
      const op = r.nop();
      assert.throws(() => r.link(op, op), { code: 'ERR_INVALID_ARG_TYPE' });
    } finally {
      await r.close();
    }
  });
});

describe('never a silent partial result (IOV_MAX)', SUITE, () => {
  test('FileHandle.writev and readv with 2,000 buffers move every byte', async () => {
    const p = path.join(tmp.dir, 'iov');
    const fh = await open(p, 'w+');
    try {
      const bufs = Array.from({ length: 2000 }, (_, i) => Buffer.alloc(3, i & 255));
      const w = await fh.writev(bufs, 0);
      assert.equal(w.bytesWritten, 6000);
      assert.equal(fs.statSync(p).size, 6000);
      const into = Array.from({ length: 2000 }, () => Buffer.alloc(3));
      const r = await fh.readv(into, 0);
      assert.equal(r.bytesRead, 6000);
      for (let i = 0; i < 2000; i++) assert.equal(into[i][2], i & 255, `buffer ${i}`);
      const short = Array.from({ length: 2100 }, () => Buffer.alloc(3));
      assert.equal((await fh.readv(short, 0)).bytesRead, 6000, 'EOF ends it');
    } finally {
      await fh.close();
    }
  });

  test('TcpStream.writev with 2,000 buffers sends them all; readv refuses more than IOV_MAX', async () => {
    const [a, b] = socketpair({ ring });
    try {
      const bufs = Array.from({ length: 2000 }, (_, i) => Buffer.alloc(2, i & 255));
      const sending = a.writev(bufs);
      const got: Buffer[] = [];
      let total = 0;
      while (total < 4000) {
        const buf = Buffer.alloc(8192);
        const n = await b.read(buf);
        got.push(buf.subarray(0, n));
        total += n;
      }
      assert.equal(await sending, 4000);
      const all = Buffer.concat(got);
      for (let i = 0; i < 2000; i++) assert.equal(all[i * 2], i & 255);
      await assert.rejects(Promise.resolve(b.readv(Array.from({ length: 1025 }, () => Buffer.alloc(1)))), { code: 'ERR_OUT_OF_RANGE' });
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('a single raw readv/writev op refuses more than IOV_MAX buffers', () => {
    const many = Array.from({ length: 1025 }, () => Buffer.alloc(1));
    assert.throws(() => ring.writev(1, many), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => readv(0, many), { code: 'ERR_OUT_OF_RANGE' });
  });
});

describe('bad input fails with Node-shaped errors before anything is submitted', SUITE, () => {
  test('TcpStream.read/write: NaN, fractions, negatives and offsets past the end', async () => {
    const [a, b] = socketpair({ ring });
    try {
      const buf = Buffer.alloc(4);
      const cases: [object, string, RegExp][] = [
        [{ offset: NaN }, 'ERR_OUT_OF_RANGE', /"offset".*an integer. Received NaN/],
        [{ length: NaN }, 'ERR_OUT_OF_RANGE', /"length".*an integer. Received NaN/],
        [{ length: 1.5 }, 'ERR_OUT_OF_RANGE', /"length".*an integer. Received 1\.5$/],
        [{ length: -1 }, 'ERR_OUT_OF_RANGE', /"length".*>= 0. Received -1$/],
        [{ offset: 10 }, 'ERR_OUT_OF_RANGE', /"offset".*<= 4. Received 10$/],
        [{ offset: 2, length: 3 }, 'ERR_OUT_OF_RANGE', /"length".*<= 2. Received 3$/],
        [{ offset: '1' }, 'ERR_INVALID_ARG_TYPE', /"offset"/],
      ];
      const before = ring.stats().sqesSubmitted;
      for (const [opts, code, message] of cases) {
        await assert.rejects(Promise.resolve(a.read(buf, opts as never)), { code, message }, JSON.stringify(opts));
        await assert.rejects(Promise.resolve(a.write(buf, opts as never)), { code, message }, JSON.stringify(opts));
      }
      await assert.rejects(Promise.resolve(a.read(buf, { signal: {} as AbortSignal })), { code: 'ERR_INVALID_ARG_TYPE' });
      await tick();
      assert.equal(ring.stats().sqesSubmitted, before);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('sleep() is never shorter than asked: huge values sleep "forever" instead of wrapping', async () => {
    assert.deepEqual(toTimespec(1e300), [Number.MAX_SAFE_INTEGER, 0]);
    assert.deepEqual(toTimespec(Number.MAX_VALUE), [Number.MAX_SAFE_INTEGER, 0]);
    assert.deepEqual(toTimespec(1.5), [0, 1_500_000]);
    assert.deepEqual(toTimespec(2 ** 31 * 1000), [2 ** 31, 0]);
    const [s, ns] = toTimespec(0.0000001);
    assert.ok(s === 0 && ns >= 1, 'a positive fraction of a nanosecond rounds up');
    const ac = new AbortController();
    const slept = started(sleep(1e300, { signal: ac.signal }));
    let done = false;
    void slept.then(() => { done = true; }, () => {});
    await delay(50);
    assert.equal(done, false, 'still sleeping');
    ac.abort();
    await assert.rejects(slept, { name: 'AbortError' });
    assert.throws(() => sleep(Infinity), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => sleep(NaN), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => sleep(-1), { code: 'ERR_OUT_OF_RANGE' });
  });

  test('cancel, linkTimeout, all and option bags check their arguments', () => {
    for (const bad of [null, undefined, {}, 1, 'x']) {
      assert.throws(() => cancel(bad as never), { code: 'ERR_INVALID_ARG_TYPE' });
      assert.throws(() => linkTimeout(bad as never, 10), { code: 'ERR_INVALID_ARG_TYPE' });
    }
    assert.throws(() => all(null as never), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => nop(5 as never), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => nop({ signal: {} as never }), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => nop({ signal: null as never }), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => read(0, Buffer.alloc(1), 0, 'x' as never), { code: 'ERR_INVALID_ARG_TYPE' });
  });

  test('read into an already detached view is an error, not a 0 that looks like EOF', async () => {
    const v = new Uint8Array(16);
    structuredClone(v.buffer, { transfer: [v.buffer] });
    assert.throws(() => read(0, v), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => readv(0, [v]), { code: 'ERR_INVALID_ARG_VALUE' });
    const [a, b] = socketpair({ ring });
    try {
      await assert.rejects(Promise.resolve(a.read(v)), { code: 'ERR_INVALID_ARG_VALUE' });
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('handles dropped without close()', SUITE, () => {
  test('a FileHandle collected without close() is closed, with a warning naming its fd (child process)', async () => {
    const p = path.join(tmp.dir, 'gc-me');
    fs.writeFileSync(p, 'x');
    const script = `
      import fs from 'node:fs';
      import v8 from 'node:v8';
      import vm from 'node:vm';
      import { open } from ${JSON.stringify(FS_URL)};
      v8.setFlagsFromString('--expose-gc');
      const gc = vm.runInNewContext('gc');
      const warnings = [];
      process.on('warning', (w) => warnings.push(w.message));
      const count = () => fs.readdirSync('/proc/self/fd').length;
      await open(${JSON.stringify(p)}); // the ring exists before counting
      await new Promise((r) => setTimeout(r, 10));
      gc(); await new Promise((r) => setTimeout(r, 10));
      const before = count();
      for (let i = 0; i < 200; i++) await open(${JSON.stringify(p)});
      const opened = count();
      for (let i = 0; i < 5 && count() > before; i++) {
        gc();
        await new Promise((r) => setTimeout(r, 20));
      }
      console.log(JSON.stringify({ before, opened, after: count(), warnings: warnings.length, sample: warnings[0] }));
    `;
    const r = await runChild(script, {}, 20000);
    assertCleanExit(r, 'gc of file handles');
    const out = JSON.parse(r.stdout.trim());
    assert.ok(out.opened >= out.before + 200, JSON.stringify(out));
    assert.ok(out.after <= out.before, `fds back to ${out.before}: ${JSON.stringify(out)}`);
    assert.ok(out.warnings >= 200, JSON.stringify(out));
    assert.match(out.sample, /^Closing file descriptor \d+ on garbage collection$/);
  });

  test('fd count is stable after many open/close cycles', async () => {
    const p = path.join(tmp.dir, 'cycle');
    fs.writeFileSync(p, 'x');
    const before = fdSnapshot();
    for (let i = 0; i < 300; i++) await (await open(p)).close();
    assert.deepEqual(fdsOpenedSince(before), []);
  });
});

/** A pipe: [read end, write end] (through a FIFO opened twice). */
function pipe(): [number, number] {
  const p = path.join(tmp.dir, `pipe-${Math.random().toString(36).slice(2)}`);
  const rw = openFifo(p);
  const w = fs.openSync(p, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
  fs.unlinkSync(p);
  return [rw, w];
}
