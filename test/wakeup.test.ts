/**
 * The portable wake-up (issue 12): an eventfd registered with the ring, a native
 * thread in poll(2) on it, a napi_threadsafe_function into JavaScript — what Bun and
 * Deno use, forced here on Node with RINGCORE_WAKEUP=thread, in child processes (the
 * mode is read when a ring is created; a child keeps this process's rings out of it).
 * The same behaviours as wake.test.ts and hostile.test.ts check for the uv_poll path:
 * completions wake a sleeping loop, the process lives exactly while requests are in
 * flight, workers that exit or are terminated mid-I/O leave no thread or fd behind,
 * and closing a ring while a wake-up is queued is harmless.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { INDEX_URL, runChild, SUITE, failIfKeptAlive, tempDir, openFifo } from './helpers.js';

failIfKeptAlive();

const NET_URL = new URL('net/tcp.js', INDEX_URL).href;
const THREAD = { RINGCORE_WAKEUP: 'thread' };

/** Child-side helpers: the wake-up threads alive (by name), and fds by kind. */
const PROBES = `
  import fs from 'node:fs';
  const wakeThreads = () => fs.readdirSync('/proc/self/task')
    .filter((t) => { try { return fs.readFileSync('/proc/self/task/' + t + '/comm', 'utf8').trim() === 'ringcore-wake'; } catch { return false; } }).length;
  const fdsOf = (kind) => fs.readdirSync('/proc/self/fd')
    .filter((f) => { try { return fs.readlinkSync('/proc/self/fd/' + f).includes(kind); } catch { return false; } }).length;
`;

function ok(res: { code: number | null; signal: string | null; stderr: string; timedOut: boolean }): void {
  assert.equal(res.timedOut, false, `the child hung; stderr: ${res.stderr}`);
  assert.equal(res.signal, null, `the child died of ${res.signal}; stderr: ${res.stderr}`);
  assert.equal(res.code, 0, res.stderr);
}

describe('portable wake-up (RINGCORE_WAKEUP=thread)', SUITE, () => {
  test('nop, then a 50 ms sleep woken by the thread; the thread is joined and its eventfd closed on close', async () => {
    const res = await runChild(`${PROBES}
      import { Ring } from ${JSON.stringify(INDEX_URL)};
      const before = { threads: wakeThreads(), eventfds: fdsOf('[eventfd]') };
      const r = new Ring();
      const during = { threads: wakeThreads(), eventfds: fdsOf('[eventfd]') };
      await r.nop();
      const t0 = Date.now();
      await r.timeout(50);
      const slept = Date.now() - t0;
      const s = r.stats();
      await r.close();
      const after = { threads: wakeThreads(), eventfds: fdsOf('[eventfd]') };
      console.log(JSON.stringify({ before, during, after, slept, wakeups: s.wakeups, inFlight: s.inFlight }));
    `, THREAD);
    ok(res);
    const o = JSON.parse(res.stdout);
    assert.equal(o.before.threads, 0);
    assert.equal(o.during.threads, 1, 'one wake-up thread per ring');
    assert.equal(o.during.eventfds, o.before.eventfds + 1, 'the eventfd registered with the ring');
    assert.deepEqual(o.after, o.before, 'close() joined the thread and closed the eventfd');
    assert.ok(o.slept >= 45, `slept ${o.slept} ms`);
    assert.ok(o.wakeups >= 1, 'the timeout completed through the wake-up thread');
    assert.equal(o.inFlight, 0);
  });

  test('without RINGCORE_WAKEUP, Node keeps the uv_poll wake-up (no thread)', async () => {
    const res = await runChild(`${PROBES}
      import { Ring } from ${JSON.stringify(INDEX_URL)};
      const r = new Ring();
      await r.timeout(5);
      console.log(wakeThreads(), r.stats().wakeups >= 1);
      await r.close();
    `, { RINGCORE_WAKEUP: '' });
    ok(res);
    assert.equal(res.stdout, '0 true\n');
  });

  test('a FIFO read resolves when data is written 50 ms later; 2,000 sequential NOPs', async () => {
    const tmp = tempDir();
    try {
      const file = path.join(tmp.dir, 'fifo');
      fs.closeSync(openFifo(file));
      const res = await runChild(`
        import fs from 'node:fs';
        import { Ring } from ${JSON.stringify(INDEX_URL)};
        const fd = fs.openSync(${JSON.stringify(file)}, fs.constants.O_RDWR);
        const r = new Ring();
        const buf = Buffer.alloc(32);
        setTimeout(() => fs.writeSync(fd, 'wake up!'), 50);
        const n = await r.read(fd, buf);
        for (let i = 0; i < 2000; i++) await r.nop();
        const s = r.stats();
        console.log(buf.subarray(0, n).toString(), s.cqesReaped, s.inFlight, s.staleCqes);
        await r.close();
        fs.closeSync(fd);
      `, THREAD);
      ok(res);
      assert.equal(res.stdout, 'wake up! 2001 0 0\n');
    } finally {
      tmp.cleanup();
    }
  });

  test('TCP echo of 1 MiB over TcpListener/TcpStream', async () => {
    const res = await runChild(`
      import { TcpListener, TcpStream } from ${JSON.stringify(NET_URL)};
      const SIZE = 1 << 20;
      const l = await TcpListener.bind({ port: 0, host: '127.0.0.1' });
      const server = (async () => {
        const conn = await l.accept();
        for await (const chunk of conn.chunks()) await conn.writeAll(chunk);
        await conn.close();
      })();
      const c = await TcpStream.connect({ port: l.port, host: '127.0.0.1' });
      const out = Buffer.alloc(SIZE);
      for (let i = 0; i < SIZE; i++) out[i] = (i * 7 + 3) & 255;
      const reader = (async () => {
        const parts = [];
        let n = 0;
        for await (const ch of c.chunks()) { parts.push(Buffer.from(ch)); n += ch.length; if (n >= SIZE) break; }
        return Buffer.concat(parts);
      })();
      await c.writeAll(out);
      const back = await reader;
      await c.shutdown('write');
      await c.close();
      await server;
      await l.close();
      console.log(back.equals(out) ? 'echoed' : 'MISMATCH', back.length);
    `, THREAD, 20000);
    ok(res);
    assert.equal(res.stdout, 'echoed 1048576\n');
  });

  test('completions that arrive while JavaScript is busy make one wake-up, not one per CQE', async () => {
    const res = await runChild(`
      import { Ring } from ${JSON.stringify(INDEX_URL)};
      const r = new Ring();
      await r.nop();
      const ps = [];
      for (let i = 0; i < 100; i++) ps.push(r.timeout(1).promise());
      r.turn(); // submit them now
      const end = Date.now() + 40;
      while (Date.now() < end); // they all complete while this thread is busy
      const before = r.stats().wakeups;
      await Promise.all(ps);
      await new Promise((res) => setTimeout(res, 20));
      console.log(r.stats().wakeups - before, r.stats().inFlight);
      await r.close();
    `, THREAD);
    ok(res);
    const [wakeups, inFlight] = res.stdout.trim().split(' ').map(Number);
    assert.equal(inFlight, 0);
    assert.ok(wakeups >= 1 && wakeups <= 2, `100 completions while busy took ${wakeups} wake-ups`);
  });

  test('closing a ring while a wake-up is queued (and from inside a completion) is harmless', async () => {
    const res = await runChild(`${PROBES}
      import { Ring } from ${JSON.stringify(INDEX_URL)};
      // Ring fds other than ours: Node 22+'s libuv opens io_uring instances of its own.
      const ringsBefore = fdsOf('io_uring');
      let queuedAtClose = 0;
      for (let i = 0; i < 50; i++) {
        const r = new Ring();
        await r.nop();
        const p = r.timeout(1).promise();
        r.turn();
        const end = Date.now() + 5;
        while (Date.now() < end); // the CQE is posted: the thread queues a call
        r.turn(); // reap it here instead
        const w = r.stats().wakeups;
        const closed = r.close();
        r.turn(); // close() finishes now, with the thread's call still queued
        await closed;
        await p;
        await new Promise((res) => setImmediate(res)); // the queued call arrives: ignored
        if (r.stats().wakeups === w) queuedAtClose++;
      }
      // Close from a completion callback, with more completions arriving.
      for (let i = 0; i < 50; i++) {
        const r = new Ring();
        const ps = [r.timeout(1).promise().then(() => r.close()), r.timeout(2).promise(), r.timeout(3).promise()];
        await Promise.allSettled(ps);
        await r.close();
      }
      await new Promise((res) => setTimeout(res, 20));
      console.log(queuedAtClose, wakeThreads(), fdsOf('io_uring') - ringsBefore);
    `, THREAD, 20000);
    ok(res);
    assert.equal(res.stdout, '50 0 0\n', 'no wake-up reached a closed ring; no thread or ring fd left');
  });

  test('the process exits by itself when idle; an in-flight sleep keeps it alive until it fires', async () => {
    const idle = await runChild(`
      import { nop, sleep, Ring } from ${JSON.stringify(INDEX_URL)};
      await nop();
      await sleep(5);
      const r = new Ring();
      await r.nop();
      process.on('exit', () => console.log('exiting'));
      console.log('done');
    `, THREAD, 8000);
    ok(idle);
    assert.equal(idle.stdout, 'done\nexiting\n');
    const busy = await runChild(`
      import { sleep } from ${JSON.stringify(INDEX_URL)};
      const t0 = Date.now();
      sleep(200).then(() => console.log('slept ' + (Date.now() - t0 >= 195)));
      console.log('waiting');
    `, THREAD, 8000);
    ok(busy);
    assert.equal(busy.stdout, 'waiting\nslept true\n');
  });

  test('an in-flight read keeps the process alive until another process writes', async () => {
    const tmp = tempDir();
    const file = path.join(tmp.dir, 'fifo');
    const fd = openFifo(file);
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
      `, THREAD, 10000, (chunk, child) => {
        if (!chunk.includes('started')) return;
        setTimeout(() => {
          aliveAfterWait = child.exitCode === null && child.signalCode === null;
          fs.writeSync(fd, 'data for child');
        }, 400);
      });
      assert.equal(aliveAfterWait, true, 'the child was still alive 400 ms after starting its read');
      ok(res);
      assert.equal(res.stdout, 'started\ngot data for child\n');
    } finally {
      fs.closeSync(fd);
      tmp.cleanup();
    }
  });

  test('workers that exit, and workers terminated with requests in flight, leave no thread or fd', async () => {
    const tmp = tempDir();
    const file = path.join(tmp.dir, 'fifo');
    fs.closeSync(openFifo(file));
    try {
      const body = path.join(tmp.dir, 'worker.mjs');
      fs.writeFileSync(body, `
        import fs from 'node:fs';
        import { parentPort, workerData } from 'node:worker_threads';
        import { nop, sleep, read, Ring } from ${JSON.stringify(INDEX_URL)};
        for (let i = 0; i < 100; i++) await nop();
        await sleep(2);
        if (workerData.mode === 'hang') {
          // In flight when terminated: timeouts, a read nobody will answer, and an
          // un-closed second ring with a wake-up on its way.
          const fd = fs.openSync(workerData.fifo, fs.constants.O_RDWR);
          for (let i = 0; i < 8; i++) sleep(10000).then(() => {}, () => {});
          read(fd, Buffer.alloc(8)).then(() => {}, () => {});
          const r2 = new Ring();
          r2.timeout(1).then(() => {}, () => {});
          parentPort.postMessage('busy');
        } else {
          parentPort.postMessage('done'); // and the thread ends with its default ring open
        }
      `);
      // A worker without RingCore first: the runtime's own fds for its first Worker are
      // not ours (Deno opens an eventfd then and keeps it: base 1, then 2).
      const plain = path.join(tmp.dir, 'plain.mjs');
      fs.writeFileSync(plain, "import { parentPort } from 'node:worker_threads'; parentPort.postMessage('hi');");
      const res = await runChild(`${PROBES}
        import { Worker } from 'node:worker_threads';
        {
          const w = new Worker(${JSON.stringify(plain)});
          await new Promise((res, rej) => { w.once('message', res); w.once('error', rej); });
          await w.terminate();
          await new Promise((res) => setTimeout(res, 100));
        }
        const base = { threads: wakeThreads(), eventfds: fdsOf('[eventfd]'), rings: fdsOf('io_uring'), fifos: fdsOf('fifo') };
        let exited = 0, terminated = 0;
        for (let i = 0; i < 12; i++) {
          for (const mode of ['exit', 'hang']) {
            const w = new Worker(${JSON.stringify(body)}, { workerData: { mode, fifo: ${JSON.stringify(file)} } });
            const msg = await new Promise((res, rej) => { w.once('message', res); w.once('error', rej); });
            if (mode === 'hang') {
              await new Promise((res) => setTimeout(res, 3 + (i % 4)));
              await w.terminate();
              terminated += msg === 'busy';
            } else {
              exited += (await new Promise((res) => w.once('exit', res))) === 0;
            }
          }
        }
        await new Promise((res) => setTimeout(res, 100));
        const now = { threads: wakeThreads(), eventfds: fdsOf('[eventfd]'), rings: fdsOf('io_uring'), fifos: fdsOf('fifo') };
        console.log(JSON.stringify({ exited, terminated, base, now }));
      `, THREAD, 60000);
      ok(res);
      const o = JSON.parse(res.stdout);
      assert.equal(o.exited, 12);
      assert.equal(o.terminated, 12);
      assert.deepEqual(o.now, o.base, 'threads joined; eventfds, ring fds and the FIFO fds closed');
    } finally {
      tmp.cleanup();
    }
  });
});
