/**
 * SQPOLL rings: a kernel thread takes SQEs from the ring by itself and goes to sleep
 * after `idleMs` without work, setting IORING_SQ_NEED_WAKEUP; the ring must then
 * enter with IORING_ENTER_SQ_WAKEUP or its SQEs are never seen (the original's
 * "first echo sometimes never came").  Unprivileged since Linux 5.13.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Ring, constants } from '../src/index.js';
import { delay, SUITE, failIfKeptAlive } from './helpers.js';

failIfKeptAlive();

describe('SQPOLL', SUITE, () => {
  test('requests submitted after the poll thread fell asleep still complete', async () => {
    const ring = new Ring({ sqpoll: { idleMs: 5 } });
    try {
      assert.ok(ring.setupFlags & constants.Setup.SQPOLL, 'the ring has SQPOLL');
      for (let round = 0; round < 4; round++) {
        const results = await Promise.all(Array.from({ length: 50 }, () => ring.nop()));
        assert.deepEqual(results, new Array(50).fill(0));
        await delay(30); // well past idleMs: the thread sleeps and sets NEED_WAKEUP
        await ring.timeout(1);
      }
      const s = ring.stats();
      assert.equal(s.sqesSubmitted, 4 * 51, 'published SQEs are counted as submitted');
      assert.equal(s.cqesReaped, 4 * 51);
      assert.equal(s.inFlight, 0);
      assert.equal(s.staleCqes, 0);
    } finally {
      await ring.close();
    }
  });

  test('while the poll thread is awake, batches go to the kernel without io_uring_enter', async () => {
    const ring = new Ring({ sqpoll: { idleMs: 2000 } });
    try {
      await ring.nop(); // wakes the thread (it starts asleep or goes to sleep at once)
      await delay(5);
      const before = ring.stats().enters;
      const BATCHES = 20;
      for (let b = 0; b < BATCHES; b++) {
        assert.deepEqual(await Promise.all(Array.from({ length: 10 }, () => ring.nop())), new Array(10).fill(0));
      }
      const enters = ring.stats().enters - before;
      // Without SQPOLL every batch needs an enter; with an awake thread, none does —
      // allow a few, for a thread descheduled on a busy machine.
      assert.ok(enters < BATCHES / 2, `${enters} enters for ${BATCHES} batches`);
    } finally {
      await ring.close();
    }
  });
});
