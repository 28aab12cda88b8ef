/**
 * `ringcore/fs` and `ringcore/net` behave like the Node modules they stand in for
 * (issue 8): a call's request is on its way when the call returns — awaited or not —
 * the result is a real Promise (`.catch`, `.finally`, `instanceof Promise`), and a
 * failure's stack shows the caller's async frames, as node:fs/promises' does.  The
 * core ops of `ringcore` stay lazy: nothing is submitted until they are awaited.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { nop, defaultRing } from '../src/index.js';
import { open, readFile, stat, writeFile } from '../src/fs/promises.js';
import { socketpair } from '../src/net/tcp.js';
import { tempDir, tick, delay, SUITE, failIfKeptAlive } from './helpers.js';

failIfKeptAlive();

describe('Node-shaped calls start when they are made', SUITE, () => {
  test('fh.write() that nobody awaits still writes; the SQE is written during the call', async () => {
    const t = tempDir();
    try {
      const p = path.join(t.dir, 'f');
      const fh = await open(p, 'w');
      const ring = defaultRing();
      const before = ring.stats();
      const w = fh.write('x'); // not awaited
      assert.ok(w instanceof Promise);
      assert.equal(typeof w.catch, 'function');
      assert.equal(typeof w.finally, 'function');
      await tick();
      assert.equal(ring.stats().sqesSubmitted - before.sqesSubmitted, 1, 'one SQE, submitted in the turn of the call');
      await delay(5);
      assert.equal(fs.readFileSync(p, 'utf8'), 'x');
      await fh.close();
    } finally {
      t.cleanup();
    }
  });

  test('conn.write() that nobody awaits still sends', async () => {
    const [a, b] = socketpair();
    try {
      void a.write(Buffer.from('hello'));
      const buf = Buffer.alloc(8);
      assert.equal(await b.read(buf), 5);
      assert.equal(buf.toString('latin1', 0, 5), 'hello');
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('the core ops stay lazy: nothing is submitted until awaited', async () => {
    const ring = defaultRing();
    await nop();
    const before = ring.stats().sqesSubmitted;
    const op = nop();
    await tick();
    await tick();
    assert.equal(ring.stats().sqesSubmitted, before, 'a core op made but not awaited never reaches the kernel');
    assert.equal(await op, 0);
    assert.equal(ring.stats().sqesSubmitted, before + 1);
  });

  test("a failure's stack shows the caller, as node:fs/promises' does", async () => {
    async function theCallerOfOpen(): Promise<unknown> {
      return await open("/nonexistent/ringcore/file");
    }
    async function theCallerOfRead(): Promise<unknown> {
      return await readFile("/nonexistent/ringcore/file");
    }
    async function theCallerOfStat(): Promise<unknown> {
      return await stat("/nonexistent/ringcore/file");
    }
    async function theCallerOfWrite(): Promise<unknown> {
      const [a, b] = socketpair();
      await b.close();
      try {
        return await a.write(Buffer.from('x'));
      } finally {
        await a.close();
      }
    }
    for (const [fn, name] of [[theCallerOfOpen, 'theCallerOfOpen'], [theCallerOfRead, 'theCallerOfRead'],
                              [theCallerOfStat, 'theCallerOfStat'], [theCallerOfWrite, 'theCallerOfWrite']] as const) {
      const err = await fn().then(() => assert.fail('no error'), (e: Error) => e);
      assert.ok((err as { code?: string }).code, `${name}: a coded error`);
      assert.match(err.stack!, new RegExp(`at async ${name} `), `${name}: the caller's frame is in\n${err.stack}`);
      assert.doesNotMatch(err.stack!, /Ring\.reap/, 'not the reaper');
    }
  });

  test('writeFile with a string that nobody awaits still writes; errors are real rejections', async () => {
    const t = tempDir();
    try {
      const p = path.join(t.dir, 'g');
      const w = writeFile(p, 'data');
      assert.ok(w instanceof Promise);
      await w;
      assert.equal(fs.readFileSync(p, 'utf8'), 'data');
      await assert.rejects(writeFile(path.join(t.dir, 'no/such/dir'), 'x'), { code: 'ENOENT' });
    } finally {
      t.cleanup();
    }
  });
});
