/**
 * The ring itself: many more requests than SQ/CQ entries, CQ overflow, counters,
 * one enter per loop turn, close() with requests in flight, no leaked fds or
 * mappings, one ring per worker thread.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Ring, defaultRing, type RingStats } from '../src/index.js';
import { wakeupMode } from '../src/sys/native.js';
import { INDEX_URL, tempDir, tick, started, openFifo, uringMappings, fdTarget, runChild, SUITE, failIfKeptAlive, fdSnapshot, fdsOpenedSince } from './helpers.js';

failIfKeptAlive();

/** Start `n` nops on `ring`, counting each op's settlements; resolve when all settled. */
async function manyNops(ring: Ring, n: number): Promise<{ fulfilled: Int32Array; rejected: Int32Array }> {
  const fulfilled = new Int32Array(n);
  const rejected = new Int32Array(n);
  const all: Promise<unknown>[] = [];
  for (let i = 0; i < n; i++) {
    all.push(new Promise<void>((resolve) => {
      ring.nop().then((v) => {
        assert.equal(v, 0);
        fulfilled[i]++;
        resolve();
      }, () => {
        rejected[i]++;
        resolve();
      });
    }));
  }
  await Promise.all(all);
  return { fulfilled, rejected };
}

function assertConsistentIdle(s: RingStats): void {
  assert.equal(s.inFlight, 0, 'inFlight');
  assert.equal(s.backlog, 0, 'backlog');
  assert.equal(s.staleCqes, 0, 'staleCqes');
  assert.equal(s.cqesReaped, s.sqesSubmitted, 'every submitted SQE produced exactly one reaped CQE');
}

describe('many requests through small queues', SUITE, () => {
  test('10,000 concurrent nops on entries: 8 each complete exactly once', async () => {
    const ring = new Ring({ entries: 8 });
    try {
      assert.equal(ring.sqEntries, 8);
      const { fulfilled, rejected } = await manyNops(ring, 10_000);
      // A few more turns: a duplicate or late CQE would show up here.
      await tick();
      await tick();
      assert.ok(fulfilled.every((c) => c === 1), 'every nop fulfilled exactly once');
      assert.ok(rejected.every((c) => c === 0), 'no nop rejected');
      const s = ring.stats();
      assertConsistentIdle(s);
      assert.equal(s.sqesSubmitted, 10_000);
      assert.ok(s.enters >= 10_000 / 8, `at least one enter per 8 SQEs (got ${s.enters})`);
    } finally {
      await ring.close();
    }
  });

  test('CQ overflow (cqEntries: 8): nothing lost, nothing duplicated, nothing stale', async () => {
    const ring = new Ring({ entries: 8, cqEntries: 8 });
    try {
      assert.equal(ring.cqEntries, 8);
      // Timers that all expire together post far more CQEs than the CQ holds while
      // nobody reaps: the kernel must keep them (NODROP) and we must flush them.
      const n = 300;
      const timers = new Int32Array(n);
      const timersDone: Promise<void>[] = [];
      for (let i = 0; i < n; i++) {
        timersDone.push(started(ring.timeout(30)).then(() => {
          timers[i]++;
        }));
      }
      const nops = manyNops(ring, 10_000);
      const { fulfilled, rejected } = await nops;
      await Promise.all(timersDone);
      await tick();
      await tick();
      assert.ok(fulfilled.every((c) => c === 1), 'every nop fulfilled exactly once');
      assert.ok(rejected.every((c) => c === 0), 'no nop rejected');
      assert.ok(timers.every((c) => c === 1), 'every timeout fulfilled exactly once');
      const s = ring.stats();
      assertConsistentIdle(s);
      assert.equal(s.sqesSubmitted, 10_000 + n);
      assert.ok(s.overflowFlushes > 0, `the overflow path was exercised (overflowFlushes = ${s.overflowFlushes})`);
    } finally {
      await ring.close();
    }
  });

  test('a second round on the same overflowed ring still delivers exactly once', async () => {
    const ring = new Ring({ entries: 4, cqEntries: 4 });
    try {
      for (let round = 0; round < 3; round++) {
        const n = 64;
        const counts = new Int32Array(n);
        await Promise.all(Array.from({ length: n }, (_, i) =>
          started(ring.timeout(5)).then(() => {
            counts[i]++;
          })));
        await tick();
        assert.ok(counts.every((c) => c === 1), `round ${round}`);
        assertConsistentIdle(ring.stats());
      }
    } finally {
      await ring.close();
    }
  });
  test('completion callbacks that submit more, on a tiny ring: every op completes exactly once', async () => {
    const ring = new Ring({ entries: 2, cqEntries: 2 });
    try {
      const target = 3000;
      const counts = new Int32Array(target);
      let launched = 0;
      let done = 0;
      await new Promise<void>((resolve, reject) => {
        // Plain then-callbacks run inside the reap: each completion submits two more
        // requests while the CQ is being read and the SQ is full.
        const launch = (): void => {
          if (launched >= target) return;
          const id = launched++;
          ring.nop().then(() => {
            counts[id]++;
            done++;
            launch();
            launch();
            if (done === target) resolve();
          }, reject);
        };
        for (let i = 0; i < 4; i++) launch();
      });
      await tick();
      await tick();
      assert.equal(done, target);
      assert.ok(counts.every((c) => c === 1), 'each op completed exactly once');
      assertConsistentIdle(ring.stats());
      assert.equal(ring.stats().sqesSubmitted, target);
    } finally {
      await ring.close();
    }
  });
});

describe('stats', SUITE, () => {
  test('counters are consistent through a request\'s life', async () => {
    const ring = new Ring();
    try {
      const s0 = ring.stats();
      assert.deepEqual(
        { ...s0 },
        { enters: 0, sqesSubmitted: 0, cqesReaped: 0, inFlight: 0, overflowFlushes: 0, turns: 0, wakeups: 0, waits: 0, staleCqes: 0, backlog: 0 },
      );
      // stats() is a snapshot.
      (s0 as { enters: number }).enters = 99;
      assert.equal(ring.stats().enters, 0);

      const t = ring.timeout(40);
      const done = started(t);
      // Written, not yet entered.
      let s = ring.stats();
      assert.equal(s.inFlight, 1);
      assert.equal(s.sqesSubmitted, 0);
      assert.equal(s.enters, 0);
      await tick();
      s = ring.stats();
      assert.equal(s.inFlight, 1);
      assert.equal(s.sqesSubmitted, 1);
      assert.equal(s.cqesReaped, 0);
      assert.equal(s.enters, 1);
      assert.equal(s.turns, 1);
      await done;
      s = ring.stats();
      assert.equal(s.inFlight, 0);
      assert.equal(s.cqesReaped, 1);
      assert.ok(s.wakeups >= 1, 'the timer completed while Node slept: the watcher woke the loop');
      assert.equal(s.waits, 0, 'event-loop mode never waits in io_uring_enter');

      const r = await Promise.all([ring.nop(), ring.nop(), ring.nop()]);
      assert.deepEqual(r, [0, 0, 0]);
      s = ring.stats();
      assert.equal(s.sqesSubmitted, 4);
      assert.equal(s.cqesReaped, 4);
      assert.equal(s.enters, 2);
      assert.equal(s.turns, 2);
      assertConsistentIdle(s);
    } finally {
      await ring.close();
    }
  });

  test('steady state: batches of 256 nops make one io_uring_enter per loop turn', async () => {
    const ring = new Ring();
    try {
      for (let i = 0; i < 5; i++) await Promise.all(Array.from({ length: 256 }, () => ring.nop()));
      const s0 = ring.stats();
      const batches = 50;
      for (let i = 0; i < batches; i++) {
        const r = await Promise.all(Array.from({ length: 256 }, () => ring.nop()));
        assert.equal(r.length, 256);
      }
      const s1 = ring.stats();
      const enters = s1.enters - s0.enters;
      const turns = s1.turns - s0.turns;
      assert.equal(s1.sqesSubmitted - s0.sqesSubmitted, 256 * batches);
      assert.equal(enters, turns, `enters (${enters}) === turns (${turns})`);
      assert.equal(turns, batches, 'one turn per batch');
      assert.equal(s1.overflowFlushes - s0.overflowFlushes, 0);
      assertConsistentIdle(s1);
    } finally {
      await ring.close();
    }
  });
});

describe('close()', SUITE, () => {
  test('close with requests in flight: they reject, close resolves, the ring is unusable after', async () => {
    const tmp = tempDir();
    const fifoFd = openFifo(path.join(tmp.dir, 'fifo'));
    const ring = new Ring();
    try {
      const longSleep = started(ring.timeout(60_000));
      const buf = Buffer.alloc(16);
      const pendingRead = started(ring.read(fifoFd, buf));
      await tick();
      assert.equal(ring.stats().inFlight, 2);
      assert.equal(ring.stats().sqesSubmitted, 2);
      const closing = ring.close();
      assert.equal(ring.close(), closing, 'close() is idempotent');
      const [a, b] = await Promise.allSettled([longSleep, pendingRead]);
      assert.equal(a.status, 'rejected');
      assert.equal(b.status, 'rejected');
      assert.equal((a as PromiseRejectedResult).reason.code, 'ECANCELED');
      assert.equal((b as PromiseRejectedResult).reason.code, 'ECANCELED');
      assert.equal((b as PromiseRejectedResult).reason.syscall, 'read');
      await closing;
      assert.equal(ring.closed, true);
      assert.equal(ring.stats().inFlight, 0);
      assert.equal(ring.stats().staleCqes, 0);
      await assert.rejects(async () => await ring.nop(), { code: 'EBADF', errno: -9 });
      await assert.rejects(async () => await ring.read(fifoFd, buf), { code: 'EBADF', errno: -9, syscall: 'read' });
      await assert.rejects(async () => await ring.timeout(1), { code: 'EBADF' });
      // The FIFO's data was not consumed by the cancelled read.
      fs.writeSync(fifoFd, 'after-close');
      const out = Buffer.alloc(11);
      assert.equal(fs.readSync(fifoFd, out), 11);
      assert.equal(out.toString(), 'after-close');
    } finally {
      await ring.close();
      fs.closeSync(fifoFd);
      tmp.cleanup();
    }
  });

  test('close() of an idle ring and of a ring never used', async () => {
    const r1 = new Ring();
    await r1.close();
    assert.equal(r1.closed, true);
    const r2 = new Ring();
    await r2.nop();
    await r2.close();
    await assert.rejects(async () => await r2.nop(), { code: 'EBADF' });
  });

  test('no fd and no io_uring mapping left after close', async () => {
    // Make sure any lazily created process-wide things exist before counting.
    const warm = new Ring();
    await warm.nop();
    await warm.close();

    const fds0 = fdSnapshot();
    const maps0 = uringMappings();
    const rings = [new Ring(), new Ring({ entries: 8, cqEntries: 8 }), new Ring({ entries: 2 })];
    // One fd per ring; with the portable wake-up (Bun, Deno, RINGCORE_WAKEUP=thread) its eventfd too.
    assert.equal(fdsOpenedSince(fds0).length, 3 * (wakeupMode() === 'thread' ? 2 : 1), fdsOpenedSince(fds0).join(', '));
    assert.ok(uringMappings() > maps0, 'rings are mapped');
    for (const r of rings) assert.match(fdTarget(r.fd) ?? '', /io_uring/);
    const tmp = tempDir();
    const fifoFd = openFifo(path.join(tmp.dir, 'fifo'));
    try {
      // Leave something in flight on each, to close the busy path too.
      const pending = rings.map((r) => started(r.read(fifoFd, Buffer.alloc(4))).catch((e) => e.code));
      await Promise.all(rings.map((r) => r.nop()));
      await Promise.all(rings.map((r) => r.close()));
      assert.deepEqual(await Promise.all(pending), ['ECANCELED', 'ECANCELED', 'ECANCELED']);
    } finally {
      fs.closeSync(fifoFd);
      tmp.cleanup();
    }
    for (const r of rings) assert.doesNotMatch(fdTarget(r.fd) ?? '', /io_uring/);
    assert.deepEqual(fdsOpenedSince(fds0), [], 'every ring fd closed');
    assert.equal(uringMappings(), maps0, 'every ring mapping unmapped');
  });

  test('the default ring is re-created after someone closes it', async () => {
    const d = defaultRing();
    await d.close();
    const d2 = defaultRing();
    assert.notEqual(d2, d);
    assert.equal(d2.closed, false);
    assert.equal(await d2.nop(), 0);
  });
});

describe('worker_threads', SUITE, () => {
  // The workers run in a child process: if tearing down a worker's ring crashed the
  // process, that must fail this test, not take the whole test file down with it.
  test('each worker thread has its own ring, and a worker exits by itself', async () => {
    const tmp = tempDir();
    try {
      const workerScript = path.join(tmp.dir, 'worker.mjs');
      fs.writeFileSync(workerScript, `
        import { parentPort, workerData } from 'node:worker_threads';
        import { nop, sleep, stats, defaultRing } from ${JSON.stringify(INDEX_URL)};
        const n = await nop();
        await sleep(10);
        const many = await Promise.all(Array.from({ length: 100 }, () => nop()));
        // A barrier: all three workers hold their rings open at the same moment, so
        // their fds are necessarily distinct (a finished worker's fd number is reused).
        const count = new Int32Array(workerData);
        Atomics.add(count, 0, 1);
        Atomics.notify(count, 0);
        for (let c; (c = Atomics.load(count, 0)) < 3;) Atomics.wait(count, 0, c, 5000);
        parentPort.postMessage({ n, fd: defaultRing().fd, stats: stats(), sum: many.reduce((a, b) => a + b, 0) });
      `);
      const main = `
        import { Worker } from 'node:worker_threads';
        import { nop, stats, defaultRing } from ${JSON.stringify(INDEX_URL)};
        await nop();
        const before = stats().sqesSubmitted;
        const barrier = new SharedArrayBuffer(4);
        const runWorker = () => new Promise((resolve, reject) => {
          const w = new Worker(${JSON.stringify(workerScript)}, { workerData: barrier });
          let msg;
          w.on('message', (m) => { msg = m; });
          w.on('error', reject);
          w.on('exit', (code) => resolve({ msg, code }));
        });
        const results = await Promise.all([runWorker(), runWorker(), runWorker()]);
        console.log(JSON.stringify({ mainFd: defaultRing().fd, before, after: stats().sqesSubmitted, results }));
      `;
      const r = await runChild(main, {}, 20000);
      assert.equal(r.timedOut, false, 'the process with workers exited by itself');
      assert.equal(r.signal, null, `the process was not killed by a signal; stderr:\n${r.stderr.slice(0, 2000)}`);
      assert.equal(r.code, 0, `exit code; stderr:\n${r.stderr.slice(0, 2000)}`);
      const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
      const fds = new Set<number>([out.mainFd]);
      assert.equal(out.results.length, 3);
      for (const { msg, code } of out.results) {
        assert.equal(code, 0, 'the worker exited by itself, successfully');
        assert.ok(msg, 'the worker posted its result');
        assert.equal(msg.n, 0);
        assert.equal(msg.sum, 0);
        assert.equal(msg.stats.sqesSubmitted, 102, 'only its own requests are counted');
        assert.equal(msg.stats.inFlight, 0);
        assert.equal(msg.stats.staleCqes, 0);
        fds.add(msg.fd);
      }
      assert.equal(fds.size, 4, 'main thread and three workers: four distinct rings');
      assert.equal(out.after, out.before, "workers did not use the main thread's ring");
    } finally {
      tmp.cleanup();
    }
  });
});
