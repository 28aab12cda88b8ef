/**
 * Cancellation: AbortSignal, explicit ring.cancel(), cancel racing completion, and
 * buffer lifetime of aborted requests under GC.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Ring, AbortError, cancel, sleep, defaultRing, type Op } from '../src/index.js';
import { tempDir, tick, delay, drained, started, openFifo, getGc, SUITE, failIfKeptAlive, ringFixture } from './helpers.js';

failIfKeptAlive();

let ring: Ring;
ringFixture((r) => {
  ring = r;
});

function isAbortError(e: unknown, reason?: unknown): boolean {
  const err = e as { name?: string; code?: string; cause?: unknown };
  assert.ok(e instanceof AbortError, 'an AbortError (exported class)');
  assert.equal(err.name, 'AbortError');
  assert.equal(err.code, 'ABORT_ERR');
  if (reason !== undefined) assert.equal(err.cause, reason);
  return true;
}

describe('AbortSignal', SUITE, () => {
  test('aborting a long sleep rejects promptly with AbortError; the ring drains', async () => {
    const ac = new AbortController();
    const t0 = Date.now();
    const p = started(ring.timeout(10_000, { signal: ac.signal }));
    setTimeout(() => ac.abort(), 20);
    await assert.rejects(p, (e) => isAbortError(e, ac.signal.reason));
    // "Promptly": long before the 10 s timer could have fired by itself.
    assert.ok(Date.now() - t0 < 5000, 'rejected well before the timer expired');
    // The timeout's -ECANCELED and the cancel's own CQE both come back.
    await drained(ring);
    const s = ring.stats();
    assert.equal(s.inFlight, 0);
    assert.equal(s.staleCqes, 0);
    assert.equal(s.cqesReaped, s.sqesSubmitted);
    assert.ok(Date.now() - t0 < 5000, 'the kernel really cancelled the timer');
  });

  test('an abort reason is passed as cause; the free sleep takes a signal too', async () => {
    const ac = new AbortController();
    const reason = new Error('because');
    const op = ring.nop({ signal: ac.signal });
    const p = started(sleep(10_000, { signal: ac.signal }));
    ac.abort(reason);
    await assert.rejects(p, (e) => isAbortError(e, reason));
    // The op not yet started when the signal fired rejects at its first await.
    await assert.rejects(async () => await op, (e) => isAbortError(e, reason));
    await drained(defaultRing());
    await drained(ring);
  });

  test('an already-aborted signal rejects without submitting anything', async () => {
    await drained(ring);
    const s0 = ring.stats();
    const signal = AbortSignal.abort();
    await assert.rejects(async () => await ring.timeout(10_000, { signal }), (e) => isAbortError(e, signal.reason));
    await assert.rejects(async () => await ring.nop({ signal }), (e) => isAbortError(e));
    await assert.rejects(async () => await ring.read(0, Buffer.alloc(1), null, { signal }), (e) => isAbortError(e));
    await tick();
    await tick();
    const s1 = ring.stats();
    assert.equal(s1.sqesSubmitted, s0.sqesSubmitted, 'no SQE reached the kernel');
    assert.equal(s1.enters, s0.enters, 'no io_uring_enter');
    assert.equal(s1.inFlight, 0);
  });

  test('abort after completion changes nothing', async () => {
    const ac = new AbortController();
    const op = ring.nop({ signal: ac.signal });
    assert.equal(await op, 0);
    const s0 = ring.stats();
    ac.abort();
    assert.equal(await op, 0, 'the settled result stays');
    await tick();
    await tick();
    assert.equal(ring.stats().sqesSubmitted, s0.sqesSubmitted, 'no cancel sent for a finished op');
  });

  test('cancel racing completion, 2000 times: each op settles exactly once, no stale CQEs', async () => {
    // 128 entries hold a whole batch of 100: every op is written at once, so aborts
    // race real submissions (a backlogged op aborted before its turn never needs a cancel).
    const r = new Ring({ entries: 128 });
    try {
      const N = 2000;
      const settled = new Int32Array(N);
      const outcomes = { ok: 0, aborted: 0, other: [] as unknown[] };
      const batch = 100;
      let rnd = 12345;
      const random = () => {
        rnd = (Math.imul(rnd, 1103515245) + 12345) >>> 0;
        return rnd / 2 ** 32;
      };
      for (let b = 0; b < N; b += batch) {
        const waits: Promise<void>[] = [];
        for (let i = b; i < b + batch; i++) {
          const ac = new AbortController();
          const kind = i % 3;
          const op: Op<unknown> = kind === 0 ? r.nop({ signal: ac.signal })
            : kind === 1 ? r.timeout(0, { signal: ac.signal })
            : r.timeout(random() * 2, { signal: ac.signal });
          waits.push(new Promise<void>((resolve) => {
            op.then(() => {
              settled[i]++;
              outcomes.ok++;
              resolve();
            }, (e: unknown) => {
              settled[i]++;
              if ((e as { name?: string }).name === 'AbortError') outcomes.aborted++;
              else outcomes.other.push(e);
              resolve();
            });
          }));
          const abort = () => ac.abort();
          switch (Math.floor(random() * 6)) {
            case 0: abort(); break; // same tick, SQE written but not yet entered
            case 1: queueMicrotask(abort); break;
            case 2: setImmediate(abort); break;
            case 3: setImmediate(() => setImmediate(abort)); break;
            case 4: setTimeout(abort, random() * 3); break;
            default: break; // never aborted
          }
        }
        await Promise.all(waits);
      }
      // Let every cancel's CQE and every late target CQE come in.
      await drained(r);
      await delay(20);
      await tick();
      for (let i = 0; i < N; i++) assert.equal(settled[i], 1, `op ${i} settled ${settled[i]} times`);
      assert.deepEqual(outcomes.other, [], 'only results or AbortErrors');
      assert.equal(outcomes.ok + outcomes.aborted, N);
      assert.ok(outcomes.aborted > 0 && outcomes.ok > 0, `both outcomes happen (ok ${outcomes.ok}, aborted ${outcomes.aborted})`);
      const s = r.stats();
      assert.equal(s.staleCqes, 0, 'no stale CQEs');
      assert.equal(s.inFlight, 0);
      assert.equal(s.backlog, 0);
      assert.equal(s.cqesReaped, s.sqesSubmitted, 'one CQE per SQE, cancels included');
      assert.ok(s.sqesSubmitted > N, 'cancels were sent');
      // The ring still works.
      assert.equal(await r.nop(), 0);
    } finally {
      await r.close();
    }
  });
});

describe('ring.cancel(op)', SUITE, () => {
  test('resolves 0 for an in-flight timeout, which rejects with ECANCELED', async () => {
    const t = ring.timeout(10_000);
    const tp = started(t);
    await tick();
    const t0 = Date.now();
    assert.equal(await ring.cancel(t), 0);
    await assert.rejects(tp, { code: 'ECANCELED', errno: -125, syscall: 'timeout' });
    assert.ok(Date.now() - t0 < 5000);
    await drained(ring);
  });

  test('cancel written in the same turn as its target still finds it', async () => {
    const t = ring.timeout(10_000);
    const tp = started(t);
    assert.equal(await cancel(t), 0);
    await assert.rejects(tp, { code: 'ECANCELED' });
  });

  test('resolves -2 (ENOENT) for a finished op and for one never started', async () => {
    const n = ring.nop();
    assert.equal(await n, 0);
    assert.equal(await ring.cancel(n), -2);
    const t = ring.timeout(1);
    await t;
    assert.equal(await ring.cancel(t), -2);
    const idle = ring.nop();
    assert.equal(await ring.cancel(idle), -2);
    assert.equal(idle.submitted, false);
  });

  test('a cancel of a finished op never hits the slot\'s next occupant', async () => {
    // Finish an op, then put a long request into (most likely) the same slot: the
    // stale cancel names the old generation and must not cancel the new request.
    const a = ring.nop();
    await a;
    const b = ring.timeout(50);
    const bp = started(b);
    assert.equal(await ring.cancel(a), -2);
    await bp; // resolves normally after 50 ms
    await drained(ring);
    assert.equal(ring.stats().staleCqes, 0);
  });
});

describe('buffer lifetime under GC', SUITE, () => {
  test('gc() is effective here (control)', async () => {
    const gc = getGc();
    let control: Uint8Array | undefined = new Uint8Array(new ArrayBuffer(4096));
    const ref = new WeakRef(control);
    control = undefined;
    // (No deref() until the end: a deref keeps the target alive for the rest of the job.)
    for (let i = 0; i < 5; i++) {
      gc();
      await tick();
    }
    assert.equal(ref.deref(), undefined, 'an unreferenced buffer is collected');
  });

  test('pending reads keep otherwise unreferenced buffers alive; bytes land in the right buffer', async () => {
    const gc = getGc();
    const tmp = tempDir();
    const fd = openFifo(path.join(tmp.dir, 'fifo'));
    const r = new Ring();
    try {
      const K = 16;
      const SIZE = 32;
      const refs: WeakRef<Uint8Array>[] = [];
      const results: { n: number; data: string | undefined }[] = [];
      const done: Promise<void>[] = [];
      const handlers: ((n: number) => void)[] = [];
      for (let i = 0; i < K; i++) {
        done.push(new Promise<void>((resolve) => {
          handlers[i] = (n: number) => {
            const b = refs[i].deref();
            results[i] = { n, data: b === undefined ? undefined : Buffer.from(b.buffer, 0, n).toString('latin1') };
            resolve();
          };
        }));
      }
      // No closure captures the buffers: only the runtime references them (through
      // the op in its slot table).
      const launch = (i: number): void => {
        const buf = new Uint8Array(new ArrayBuffer(SIZE));
        refs.push(new WeakRef(buf));
        r.read(fd, buf).then(handlers[i], (e) => {
          results[i] = { n: -1, data: String(e) };
        });
      };
      for (let i = 0; i < K; i++) launch(i);
      await tick();
      assert.equal(r.stats().inFlight, K);
      for (let i = 0; i < 6; i++) {
        gc();
        // Churn the heap so that freed memory would be reused.
        for (let j = 0; j < 200; j++) new Uint8Array(new ArrayBuffer(SIZE)).fill(0xee);
        await tick();
      }
      for (let i = 0; i < K; i++) assert.notEqual(refs[i].deref(), undefined, `buffer ${i} of a pending read was collected`);
      // Each read takes one whole SIZE-byte record: all records are written at once.
      const records = Array.from({ length: K }, (_, i) => `record-${String(i).padStart(2, '0')}-`.padEnd(SIZE, String.fromCharCode(97 + i)));
      fs.writeSync(fd, records.join(''));
      await Promise.all(done);
      const seen = results.map((x) => x.data);
      for (let i = 0; i < K; i++) {
        assert.equal(results[i].n, SIZE, `read ${i} got a whole record`);
        assert.ok(seen[i] !== undefined);
      }
      assert.deepEqual([...seen].sort(), [...records].sort(), 'every record landed exactly once, intact');
      await drained(r);
      assert.equal(r.stats().staleCqes, 0);
    } finally {
      await r.close();
      fs.closeSync(fd);
      tmp.cleanup();
    }
  });

  test('aborted reads on a FIFO keep their buffers until the terminal CQE, then let go; no data is stolen', async () => {
    const gc = getGc();
    const tmp = tempDir();
    const fd = openFifo(path.join(tmp.dir, 'fifo'));
    const r = new Ring();
    try {
      const K = 16;
      const refs: WeakRef<Uint8Array>[] = [];
      const controllers: AbortController[] = [];
      const outcomes: string[] = [];
      const onOk = () => {
        outcomes.push('resolved');
      };
      const onErr = (e: unknown) => {
        outcomes.push((e as Error).name);
      };
      // No closure captures the buffers: only the runtime references them.
      const launch = (): void => {
        const buf = new Uint8Array(new ArrayBuffer(64));
        refs.push(new WeakRef(buf));
        const ac = new AbortController();
        controllers.push(ac);
        r.read(fd, buf, null, { signal: ac.signal }).then(onOk, onErr);
      };
      for (let i = 0; i < K; i++) launch();
      await tick();
      assert.equal(r.stats().inFlight, K, 'all reads are in the kernel');
      // Abort everything, then collect garbage before the cancels have even been
      // submitted: the kernel still owns every buffer, so none may be collected.
      for (const ac of controllers) ac.abort();
      gc();
      gc();
      for (let i = 0; i < K; i++) assert.notEqual(refs[i].deref(), undefined, `buffer ${i} collected before its terminal CQE`);
      await tick();
      assert.deepEqual(outcomes, new Array(K).fill('AbortError'), 'every aborted read rejected with AbortError');
      for (let i = 0; i < 3; i++) {
        gc();
        for (let j = 0; j < 200; j++) new Uint8Array(new ArrayBuffer(64)).fill(0xee);
        await tick();
      }
      await drained(r);
      assert.equal(r.stats().staleCqes, 0);
      assert.equal(r.stats().inFlight, 0, 'every terminal CQE arrived');
      // After the terminal CQEs the runtime lets go of the buffers.
      for (let i = 0; i < 5; i++) {
        gc();
        await tick();
      }
      assert.equal(refs.filter((w) => w.deref() !== undefined).length, 0, 'buffers released after their terminal CQEs');
      // The reads were really cancelled in the kernel: data written now is not
      // swallowed by any of them, and a fresh read gets all of it.
      const msg = 'fresh-data-after-abort';
      fs.writeSync(fd, msg);
      const fresh = Buffer.alloc(64);
      const n = await r.read(fd, fresh);
      assert.equal(fresh.subarray(0, n).toString(), msg);
    } finally {
      await r.close();
      fs.closeSync(fd);
      tmp.cleanup();
    }
  });
});

describe('cancel and provideBuffers across rings (found while documenting)', () => {
  test('ring.cancel(op of another ring) throws ERR_INVALID_ARG_VALUE: its user_data would name an unrelated request here', async () => {
    const a = new Ring({ entries: 8 });
    const b = new Ring({ entries: 8 });
    try {
      const t = a.timeout(60_000);
      const p = t.promise();
      await a.nop();
      // Same slot and generation on b: b's own first request must not be the one cancelled.
      const bt = b.timeout(60_000);
      const bp = bt.promise();
      await b.nop();
      assert.throws(() => b.cancel(t), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' });
      assert.equal(await a.cancel(t), 0);
      await assert.rejects(p, { code: 'ECANCELED' });
      assert.equal(await b.cancel(bt), 0);
      await assert.rejects(bp, { code: 'ECANCELED' });
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('provideBuffers on a closed ring throws EBADF (its old fd number may be another ring\'s)', async () => {
    const a = new Ring({ entries: 4 });
    await a.close();
    const b = new Ring({ entries: 4 }); // likely reuses a's fd number
    try {
      assert.throws(() => a.provideBuffers(4, 64), { code: 'EBADF', syscall: 'io_uring_register' });
      const g = b.provideBuffers(4, 64);
      assert.equal(g.bgid, 0, "nothing was registered on b's fd by the closed ring");
    } finally {
      await b.close();
    }
  });
});

