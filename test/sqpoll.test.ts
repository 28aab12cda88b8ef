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
      // Without SQPOLL a turn needs an enter per batch; with it, only wake-ups do — a few
      // per round (the thread sleeps between rounds; a turn and the continuations it
      // follows in the same macrotask may each see NEED_WAKEUP before the thread runs).
      assert.ok(s.enters <= 4 * 4, `enters (${s.enters}) only to wake the thread or wait`);
    } finally {
      await ring.close();
    }
  });
});
