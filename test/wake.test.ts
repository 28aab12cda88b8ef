/**
 * Living inside Node's event loop: completions that arrive while Node sleeps wake the
 * loop; Node's timers keep running while requests are in flight; an idle ring does
 * not keep the process alive, an in-flight request does.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { Ring } from '../src/index.js';
import { INDEX_URL, tempDir, started, openFifo, runChild, drained, SUITE, failIfKeptAlive } from './helpers.js';

failIfKeptAlive();

let tmp: { dir: string; cleanup: () => void };
let fifoNo = 0;
before(() => {
  tmp = tempDir();
});
after(() => {
  tmp.cleanup();
});

function newFifo(): { fd: number; file: string } {
  const file = path.join(tmp.dir, `fifo${fifoNo++}`);
  return { fd: openFifo(file), file };
}

describe('wake-up', SUITE, () => {
  test('a FIFO read resolves when data is written 50 ms later (setTimeout)', async () => {
    const { fd } = newFifo();
    const ring = new Ring();
    try {
      const buf = Buffer.alloc(32);
      let resolved = false;
      const p = started(ring.read(fd, buf)).then((n) => {
        resolved = true;
        return n;
      });
      setTimeout(() => {
        assert.equal(resolved, false, 'nothing to read before the write');
        fs.writeSync(fd, 'wake up!');
      }, 50);
      const n = await p;
      assert.equal(n, 8);
      assert.equal(buf.subarray(0, n).toString(), 'wake up!');
      const s = ring.stats();
      assert.ok(s.wakeups >= 1, `the completion came through the watcher (wakeups = ${s.wakeups})`);
      assert.equal(s.inFlight, 0);
    } finally {
      await ring.close();
      fs.closeSync(fd);
    }
  });

  test('data written by another process wakes a sleeping loop', async () => {
    const { fd, file } = newFifo();
    const ring = new Ring();
    try {
      const buf = Buffer.alloc(64);
      const p = started(ring.read(fd, buf));
      const writer = new Promise<void>((resolve, reject) => {
        execFile('sh', ['-c', 'sleep 0.1; printf hello-from-another-process > "$1"', 'sh', file], (err) => (err ? reject(err) : resolve()));
      });
      const n = await p;
      await writer;
      assert.equal(buf.subarray(0, n).toString(), 'hello-from-another-process');
      assert.ok(ring.stats().wakeups >= 1);
    } finally {
      await ring.close();
      fs.closeSync(fd);
    }
  });

  test('several wake-ups in a row, with both reads and timers', async () => {
    const { fd } = newFifo();
    const ring = new Ring();
    try {
      for (let i = 0; i < 5; i++) {
        const buf = Buffer.alloc(16);
        const p = started(ring.read(fd, buf));
        await ring.timeout(5);
        setTimeout(() => fs.writeSync(fd, `msg${i}`), 5);
        const n = await p;
        assert.equal(buf.subarray(0, n).toString(), `msg${i}`);
      }
      await drained(ring);
      assert.equal(ring.stats().staleCqes, 0);
    } finally {
      await ring.close();
      fs.closeSync(fd);
    }
  });

  test('Node timers keep working while a ring read is in flight', async () => {
    const { fd } = newFifo();
    const ring = new Ring();
    try {
      const buf = Buffer.alloc(16);
      let readDone = false;
      const p = started(ring.read(fd, buf)).then((n) => {
        readDone = true;
        return n;
      });
      let ticks = 0;
      await new Promise<void>((resolve) => {
        const iv = setInterval(() => {
          ticks++;
          if (ticks === 5) {
            clearInterval(iv);
            resolve();
          }
        }, 10);
      });
      // setImmediate and I/O callbacks run too.
      await new Promise<void>((resolve) => setImmediate(resolve));
      await fs.promises.readFile(new URL(import.meta.url));
      assert.equal(ticks, 5);
      assert.equal(readDone, false, 'the read is still pending: the loop ran around it');
      assert.equal(ring.stats().inFlight, 1);
      fs.writeSync(fd, 'finally');
      assert.equal(await p, 7);
      assert.equal(buf.subarray(0, 7).toString(), 'finally');
    } finally {
      await ring.close();
      fs.closeSync(fd);
    }
  });
});

describe('process liveness', SUITE, () => {
  test('an idle ring does not keep the process alive', async () => {
    const res = await runChild(`
      import { nop, sleep, Ring } from ${JSON.stringify(INDEX_URL)};
      await nop();
      await sleep(5);
      const r = new Ring();
      await r.nop();
      process.on('exit', () => console.log('exiting'));
      console.log('done');
    `, {}, 8000);
    assert.equal(res.timedOut, false, 'the child exited by itself');
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, 'done\nexiting\n');
  });

  test('an in-flight timeout keeps the process alive until it fires', async () => {
    const res = await runChild(`
      import { sleep } from ${JSON.stringify(INDEX_URL)};
      sleep(200).then(() => console.log('slept'));
      console.log('waiting');
    `, {}, 8000);
    assert.equal(res.timedOut, false);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, 'waiting\nslept\n');
  });

  test('an in-flight read keeps the process alive until data arrives', async () => {
    const { fd, file } = newFifo();
    try {
      let aliveAfterWait: boolean | undefined;
      const res = await runChild(`
        import fs from 'node:fs';
        import { read } from ${JSON.stringify(INDEX_URL)};
        const fd = fs.openSync(${JSON.stringify(file)}, fs.constants.O_RDWR);
        const buf = Buffer.alloc(32);
        read(fd, buf).then((n) => {
          console.log('got ' + buf.subarray(0, n).toString());
          fs.closeSync(fd);
        });
        setImmediate(() => setImmediate(() => console.log('started')));
      `, {}, 10000, (chunk, child) => {
        if (!chunk.includes('started')) return;
        // The child has nothing but the ring read to keep it alive.
        setTimeout(() => {
          aliveAfterWait = child.exitCode === null && child.signalCode === null;
          fs.writeSync(fd, 'data for child');
        }, 500);
      });
      assert.equal(aliveAfterWait, true, 'the child was still alive 500 ms after starting its read');
      assert.equal(res.timedOut, false, 'the child exited by itself once the read completed');
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout, 'started\ngot data for child\n');
    } finally {
      fs.closeSync(fd);
    }
  });
});


describe('following continuations', SUITE, () => {
  test('a chain of dependent requests takes fewer event-loop turns than requests (follow())', async () => {
    const r = new Ring();
    try {
      await r.nop();
      let loopTurns = 0;
      let ticking = true;
      const tick = () => {
        loopTurns++;
        if (ticking) setImmediate(tick);
      };
      setImmediate(tick);
      for (let i = 0; i < 100; i++) await r.nop(); // each one issued by the previous one's continuation
      ticking = false;
      assert.ok(loopTurns < 60, `100 dependent NOPs took ${loopTurns} event-loop turns`);
    } finally {
      await r.close();
    }
  });

  test('requests a continuation writes a few microtask hops apart go out in one enter', async () => {
    // The shape of a server closing a connection: an iterator's return() cancels the
    // recv, and a `finally` two awaits later closes the socket.  Following waits for
    // the SQ to stay still for a few hops, so both leave in one io_uring_enter.
    const r = new Ring();
    try {
      await r.nop();
      const rounds = 20;
      let enters = 0;
      for (let i = 0; i < rounds; i++) {
        await r.nop();
        const before = r.stats().enters;
        const a = r.nop().promise();
        await null;
        await null;
        const b = r.nop().promise();
        await Promise.all([a, b]);
        enters += r.stats().enters - before;
      }
      assert.equal(enters, rounds, `${rounds} pairs of NOPs written two hops apart took ${enters} enters`);
    } finally {
      await r.close();
    }
  });
});
