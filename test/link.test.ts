/**
 * IOSQE_IO_LINK chains and linked timeouts.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Ring, nop, read, sleep, link, linkTimeout, defaultRing } from '../src/index.js';
import { tick, drained, started, openFifo, SUITE, failIfKeptAlive, ringFixture } from './helpers.js';

failIfKeptAlive();

const BAD_FD = 2 ** 30; // a valid argument that is never an open fd

let ring: Ring;
let tmp: { dir: string; cleanup: () => void };
ringFixture((r, t) => {
  ring = r;
  tmp = t!;
}, { tempDir: true });

describe('link', SUITE, () => {
  test('ring.link(a, b) resolves both, in order', async () => {
    assert.deepEqual(await ring.link(ring.nop(), ring.nop()), [0, 0]);
    const file = path.join(tmp.dir, 'ordered');
    const fd = fs.openSync(file, 'w+');
    try {
      const buf = Buffer.alloc(8);
      // The read sees the write's bytes only if it started after the write completed.
      const out = await ring.link(ring.write(fd, Buffer.from('linked!!'), 0), ring.read(fd, buf, 0), ring.nop());
      assert.deepEqual(out, [8, 8, 0]);
      assert.equal(buf.toString(), 'linked!!');
    } finally {
      fs.closeSync(fd);
    }
  });

  test('a failing link head rejects the chain; the rest reject with ECANCELED', async () => {
    const head = ring.read(BAD_FD, Buffer.alloc(4), 0);
    const second = ring.nop();
    const third = ring.nop();
    await assert.rejects(ring.link(head, second, third), { code: 'EBADF', errno: -9, syscall: 'read' });
    await assert.rejects(async () => await head, { code: 'EBADF' });
    await assert.rejects(async () => await second, { code: 'ECANCELED', errno: -125, syscall: 'nop' });
    await assert.rejects(async () => await third, { code: 'ECANCELED', errno: -125 });
  });

  test('a failing middle link: the head resolves, the tail is cancelled', async () => {
    const a = ring.nop();
    const b = ring.write(BAD_FD, Buffer.from('x'), 0);
    const c = ring.nop();
    await assert.rejects(ring.link(a, b, c), { code: 'EBADF', syscall: 'write' });
    assert.equal(await a, 0);
    await assert.rejects(async () => await c, { code: 'ECANCELED' });
  });

  test('a short read breaks the chain', async () => {
    const file = path.join(tmp.dir, 'short');
    fs.writeFileSync(file, 'abc');
    const fd = fs.openSync(file, 'r');
    try {
      const r1 = ring.read(fd, Buffer.alloc(10), 0);
      const after = ring.nop();
      await assert.rejects(ring.link(r1, after), { code: 'ECANCELED' });
      assert.equal(await r1, 3);
    } finally {
      fs.closeSync(fd);
    }
  });

  test('free link() uses the ops\' ring (the default ring)', async () => {
    assert.deepEqual(await link(nop(), nop()), [0, 0]);
    const d = defaultRing();
    assert.equal(d.stats().inFlight, 0);
  });

  test('a chain is never split across two submissions, even with the SQ nearly full', async () => {
    const small = new Ring({ entries: 4 });
    try {
      for (let round = 0; round < 4; round++) {
        // Fill the SQ with `round` unsubmitted SQEs, then link a failing head and a nop:
        // if the chain were split, the nop would run unlinked and resolve 0.
        const fillers = Array.from({ length: round }, () => started(small.nop()));
        const head = small.read(BAD_FD, Buffer.alloc(1), 0);
        const tail = small.nop();
        const chain = small.link(head, tail);
        await assert.rejects(chain, { code: 'EBADF' });
        await assert.rejects(async () => await tail, { code: 'ECANCELED' }, `round ${round}`);
        assert.deepEqual(await Promise.all(fillers), new Array(round).fill(0));
      }
      assert.throws(() => small.link(...Array.from({ length: 5 }, () => small.nop())), {
        name: 'RangeError', code: 'ERR_OUT_OF_RANGE',
      });
      await drained(small);
      assert.equal(small.stats().staleCqes, 0);
    } finally {
      await small.close();
    }
  });

  test('link of an already-started op throws, and starts nothing', async () => {
    const done = ring.nop();
    await done;
    const fresh = ring.nop();
    const s0 = ring.stats();
    assert.throws(() => ring.link(fresh, done), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    const inFlight = ring.timeout(20);
    const p = started(inFlight);
    assert.throws(() => ring.link(inFlight, ring.nop()), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => link(fresh, done), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => ring.linkTimeout(done, 100), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    for (const ms of [-1, NaN, Infinity, '5', null]) {
      assert.throws(() => ring.linkTimeout(ring.nop(), ms as number), { code: /ERR_OUT_OF_RANGE|ERR_INVALID_ARG_TYPE/ }, `ms ${String(ms)}`);
    }
    assert.equal(fresh.submitted, false, 'the valid op of a refused chain was not started');
    await p;
    await tick();
    assert.equal(ring.stats().sqesSubmitted - s0.sqesSubmitted, 1, 'only the timeout reached the kernel');
    // Other bad chains.
    assert.throws(() => ring.link(), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    const other = new Ring({ entries: 2 });
    try {
      assert.throws(() => ring.link(ring.nop(), other.nop()), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    } finally {
      await other.close();
    }
  });
});

describe('linkTimeout', SUITE, () => {
  test('linkTimeout(sleep(1000), 20) rejects with ETIMEDOUT', async () => {
    // (Were the link timeout ignored, the sleep would resolve and this would fail.)
    await assert.rejects(linkTimeout(sleep(1000), 20), { code: 'ETIMEDOUT', errno: -110, syscall: 'timeout' });
    await assert.rejects(ring.linkTimeout(ring.timeout(1000), 20), { code: 'ETIMEDOUT' });
    await drained(ring);
    assert.equal(ring.stats().staleCqes, 0);
  });

  test('a read on a FIFO that never gets data times out with ETIMEDOUT', async () => {
    const fd = openFifo(path.join(tmp.dir, 'fifo-lt'));
    try {
      const buf = Buffer.alloc(8);
      await assert.rejects(ring.linkTimeout(ring.read(fd, buf), 30), { code: 'ETIMEDOUT', errno: -110, syscall: 'read' });
      await assert.rejects(linkTimeout(read(fd, buf), 10), { code: 'ETIMEDOUT' });
      // The timed-out reads were cancelled in the kernel: they do not steal this.
      fs.writeSync(fd, 'later');
      const n = await ring.read(fd, buf);
      assert.equal(buf.subarray(0, n).toString(), 'later');
    } finally {
      fs.closeSync(fd);
    }
  });

  test('linkTimeout(nop(), 1000) resolves with the op\'s result', async () => {
    assert.equal(await linkTimeout(nop(), 1000), 0);
    assert.equal(await ring.linkTimeout(ring.nop(), 1000), 0);
    const file = path.join(tmp.dir, 'lt-read');
    fs.writeFileSync(file, 'in time');
    const fd = fs.openSync(file, 'r');
    try {
      const buf = Buffer.alloc(7);
      assert.equal(await ring.linkTimeout(ring.read(fd, buf, 0), 1000), 7);
      assert.equal(buf.toString(), 'in time');
    } finally {
      fs.closeSync(fd);
    }
    // The op's own error comes through unchanged.
    await assert.rejects(ring.linkTimeout(ring.read(BAD_FD, Buffer.alloc(1), 0), 1000), { code: 'EBADF' });
    await drained(ring);
    assert.equal(ring.stats().staleCqes, 0);
  });
});
