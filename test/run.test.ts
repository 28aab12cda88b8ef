/**
 * run(): the ring owns the thread and sleeps in io_uring_enter; spawn()ed tasks are
 * awaited; the default ring is swapped for the duration and restored after.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { run, spawn, sleep, nop, stats, defaultRing, type Ring } from '../src/index.js';
import { uringMappings, delay, SUITE, failIfKeptAlive, fdSnapshot, fdsOpenedSince } from './helpers.js';

failIfKeptAlive();

describe('run', SUITE, () => {
  test('run(async () => { await sleep(10); return 42 }) resolves 42', async () => {
    const v = await run(async () => {
      await sleep(10);
      return 42;
    });
    assert.equal(v, 42);
  });

  test('a synchronous main works too', async () => {
    assert.equal(await run(() => 'sync'), 'sync');
  });

  test('run waits for spawned tasks', async () => {
    const events: string[] = [];
    const v = await run(async () => {
      spawn(async () => {
        await sleep(30);
        events.push('task A done');
        spawn(async () => {
          await sleep(20);
          events.push('task B (spawned by A) done');
        });
      });
      await nop();
      events.push('main done');
      return 'main';
    });
    assert.equal(v, 'main');
    assert.deepEqual(events, ['main done', 'task A done', 'task B (spawned by A) done']);
  });

  test('a rejection in main rejects run', async () => {
    const boom = new Error('main failed');
    await assert.rejects(run(async () => {
      await sleep(5);
      throw boom;
    }), (e) => e === boom);
    const boom2 = new Error('sync throw');
    await assert.rejects(run(() => {
      throw boom2;
    }), (e) => e === boom2);
  });

  test('a rejection in a spawned task rejects run (after the tasks finish)', async () => {
    const boom = new Error('task failed');
    let other = false;
    await assert.rejects(run(async () => {
      spawn(async () => {
        await sleep(5);
        throw boom;
      });
      spawn(async () => {
        await sleep(30);
        other = true;
      });
      return 1;
    }), (e) => e === boom);
    assert.equal(other, true, 'run waited for the other task');
  });

  test('an op failing inside run surfaces with its errno', async () => {
    await assert.rejects(run(async () => {
      const { read } = await import('../src/index.js');
      await read(2 ** 30, Buffer.alloc(1), 0);
    }), { code: 'EBADF', errno: -9, syscall: 'read' });
  });

  test('inside run, the free functions use run\'s ring, which waits in io_uring_enter', async () => {
    const outer = defaultRing();
    await outer.nop();
    const outerBefore = outer.stats();
    let inner: Ring | undefined;
    const inside = await run(async () => {
      inner = defaultRing();
      const s0 = stats();
      await sleep(20);
      await Promise.all([nop(), nop(), sleep(5)]);
      const s1 = stats();
      return { s0, s1 };
    });
    assert.ok(inner !== undefined);
    assert.notEqual(inner, outer, 'defaultRing() is swapped during run');
    assert.equal(inside.s0.sqesSubmitted, 0, 'a fresh ring');
    assert.ok(inside.s1.waits > 0, `it slept in io_uring_enter with min_complete=1 (waits = ${inside.s1.waits})`);
    assert.equal(inside.s1.sqesSubmitted, 4);
    assert.equal(inside.s1.cqesReaped, 4);
    assert.equal(inside.s1.inFlight, 0);
    // After run: the previous default ring is back, untouched; run's ring is closed.
    assert.equal(defaultRing(), outer);
    assert.equal(outer.closed, false);
    assert.equal(inner.closed, true);
    const outerAfter = outer.stats();
    assert.equal(outerAfter.sqesSubmitted, outerBefore.sqesSubmitted, 'the outer ring saw none of run\'s requests');
    assert.equal(await nop(), 0);
    assert.equal(outer.stats().sqesSubmitted, outerBefore.sqesSubmitted + 1);
  });

  test('the previous default ring is restored even when main throws', async () => {
    const outer = defaultRing();
    await assert.rejects(run(async () => {
      assert.notEqual(defaultRing(), outer);
      throw new Error('x');
    }), /x/);
    assert.equal(defaultRing(), outer);
  });

  test('Node timers still work inside run when no request is in flight', async () => {
    const v = await run(async () => {
      await delay(10);
      await nop();
      await delay(5);
      return 'timers ok';
    });
    assert.equal(v, 'timers ok');
  });

  test('run leaves no fd (ring, eventfd) and no mapping behind', async () => {
    await run(() => nop()); // warm up
    const fds0 = fdSnapshot();
    const maps0 = uringMappings();
    let during: string[] = [];
    await run(async () => {
      await sleep(5);
      during = fdsOpenedSince(fds0);
    });
    assert.ok(during.some((f) => f.includes('io_uring')), `run had its own ring open (${during.join(', ')})`);
    assert.deepEqual(fdsOpenedSince(fds0), []);
    assert.equal(uringMappings(), maps0);
  });

  test('nested run: each level has its own ring and restores the one outside it', async () => {
    const outer = defaultRing();
    const v = await run(async () => {
      const r1 = defaultRing();
      const inner = await run(async () => {
        const r2 = defaultRing();
        assert.notEqual(r2, r1);
        await sleep(5);
        return 'inner';
      });
      assert.equal(defaultRing(), r1);
      await sleep(5);
      return `${inner}+outer`;
    });
    assert.equal(v, 'inner+outer');
    assert.equal(defaultRing(), outer);
  });
});
