/**
 * A property of the op layer, checked on random programs (fast-check, seeded, bounded
 * in time): on rings of 2–8 entries, any sequence of NOPs, timeouts, file reads, pipe
 * reads and writes, socket reads and writes, linked chains (some with a member that can
 * never go), aborts at every moment, socket closes and ring closes ends with
 *   - every op settled exactly once, with a result of its kind or an error of the
 *     kinds its story allows (AbortError, ECANCELED, EBADF), never anything else;
 *   - a chain's successes are a prefix of it (the kernel stops at the first failure;
 *     a chain refused before submission has none), and link() fulfils only if all do;
 *   - the ring idle (inFlight 0, backlog 0, no stale CQE) once closed;
 *   - no file descriptor left open.
 * A failing run prints its seed and the shrunk program.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { Ring, type Op } from '../src/index.js';
import { socketpair, type TcpStream } from '../src/net/tcp.js';
import { tempDir, delay, SUITE, failIfKeptAlive, fdSnapshot, fdsOpenedSince } from './helpers.js';

failIfKeptAlive();

type AbortWhen = 'never' | 'before' | 'sync' | 'micro' | 'immediate' | 'timer';
type Member = 'nop' | 'sleep' | 'read';
type Cmd =
  | { k: 'nop'; abort: AbortWhen }
  | { k: 'sleep'; ms: number; abort: AbortWhen }
  | { k: 'read'; abort: AbortWhen }
  | { k: 'pipeRead'; abort: AbortWhen }
  | { k: 'pipeWrite' }
  | { k: 'sockRead'; abort: AbortWhen }
  | { k: 'sockWrite' }
  | { k: 'closeSock' }
  | { k: 'link'; members: Member[]; preAborted: number }
  | { k: 'tick' }
  | { k: 'closeRing' };

const abortWhen = fc.constantFrom<AbortWhen>('never', 'never', 'before', 'sync', 'micro', 'immediate', 'timer');
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ k: fc.constant('nop' as const), abort: abortWhen }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('sleep' as const), ms: fc.integer({ min: 0, max: 5 }), abort: abortWhen }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('read' as const), abort: abortWhen }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('pipeRead' as const), abort: abortWhen }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('pipeWrite' as const) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('sockRead' as const), abort: abortWhen }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('sockWrite' as const) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('closeSock' as const) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant('link' as const),
      members: fc.array(fc.constantFrom<Member>('nop', 'sleep', 'read'), { minLength: 2, maxLength: 3 }),
      preAborted: fc.integer({ min: -2, max: 2 }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('tick' as const) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('closeRing' as const) }) },
);

/** Error codes an op may end with, whatever happened around it. */
const ALLOWED_ERRORS = new Set(['ABORT_ERR', 'ECANCELED', 'EBADF']);

interface Tracked {
  what: string;
  settled: number;
  ok: boolean | undefined;
  value: unknown;
  done: Promise<void>;
}

function track(what: string, op: PromiseLike<unknown>): Tracked {
  const t: Tracked = { what, settled: 0, ok: undefined, value: undefined, done: Promise.resolve() };
  t.done = new Promise<void>((resolve) => {
    op.then((v) => {
      t.settled++;
      t.ok = true;
      t.value = v;
      resolve();
    }, (e: unknown) => {
      t.settled++;
      t.ok = false;
      t.value = e;
      resolve();
    });
  });
  return t;
}

function arrangeAbort(when: AbortWhen): { signal?: AbortSignal; fire: () => void } {
  if (when === 'never') return { fire: () => {} };
  if (when === 'before') return { signal: AbortSignal.abort(), fire: () => {} };
  const ac = new AbortController();
  const abort = () => ac.abort();
  const fire = when === 'sync' ? abort
    : when === 'micro' ? () => queueMicrotask(abort)
    : when === 'immediate' ? () => setImmediate(abort)
    : () => setTimeout(abort, 1);
  return { signal: ac.signal, fire };
}

async function runProgram(entries: number, program: Cmd[], file: string, fifo: string): Promise<void> {
  const fdsBefore = fdSnapshot();
  const ring = new Ring({ entries });
  const fileFd = fs.openSync(file, 'r');
  // A fresh pipe each program: the FIFO's buffer goes when its last fd closes (below).
  const pipeFd = fs.openSync(fifo, fs.constants.O_RDWR);
  let sock: [TcpStream, TcpStream] | undefined = socketpair({ ring });
  const ops: Tracked[] = [];
  const chains: { members: Tracked[]; whole: Tracked }[] = [];
  try {
    for (const c of program) {
      switch (c.k) {
        case 'nop':
        case 'sleep':
        case 'read':
        case 'pipeRead': {
          const a = arrangeAbort(c.abort);
          const opts = { signal: a.signal };
          const op = c.k === 'nop' ? ring.nop(opts)
            : c.k === 'sleep' ? ring.timeout(c.ms, opts)
            : c.k === 'read' ? ring.read(fileFd, Buffer.alloc(64), 0, opts)
            : ring.read(pipeFd, Buffer.alloc(16), -1, opts);
          ops.push(track(c.k, op));
          a.fire();
          break;
        }
        case 'pipeWrite':
          ops.push(track('pipeWrite', ring.write(pipeFd, Buffer.from('p'), -1)));
          break;
        case 'sockRead': {
          if (sock === undefined) break;
          const a = arrangeAbort(c.abort);
          ops.push(track('sockRead', sock[0].read(Buffer.alloc(16), { signal: a.signal })));
          a.fire();
          break;
        }
        case 'sockWrite':
          if (sock !== undefined) ops.push(track('sockWrite', sock[1].write(Buffer.from('s'))));
          break;
        case 'closeSock':
          if (sock !== undefined) {
            ops.push(track('closeSock0', sock[0].close()), track('closeSock1', sock[1].close()));
            sock = undefined;
          }
          break;
        case 'link': {
          const members: Op<unknown>[] = c.members.map((m, i) => {
            const signal = i === c.preAborted ? AbortSignal.abort() : undefined;
            return m === 'nop' ? ring.nop({ signal })
              : m === 'sleep' ? ring.timeout(1, { signal })
              : ring.read(fileFd, Buffer.alloc(8), 0, { signal });
          });
          if (members.length > entries) {
            // Longer than the SQ: refused at the call, nothing started.
            assert.throws(() => ring.link(...members), { code: 'ERR_OUT_OF_RANGE' });
            ops.push(...members.map((m, i) => track(`unlinked[${i}]`, m)));
            break;
          }
          // link() before anything awaits a member (awaiting would start it alone).
          const whole = track('link', ring.link(...members));
          const tracked = members.map((m, i) => track(`link[${i}]:${c.members[i]}`, m));
          chains.push({ members: tracked, whole });
          ops.push(...tracked, whole);
          break;
        }
        case 'tick':
          await new Promise((r) => setImmediate(r));
          break;
        case 'closeRing':
          ops.push(track('closeRing', ring.close()));
          break;
      }
    }
    if (sock !== undefined) {
      ops.push(track('closeSock0', sock[0].close()), track('closeSock1', sock[1].close()));
      sock = undefined;
    }
    await ring.close(); // cancels pipe reads nobody will ever satisfy
    const all = Promise.all(ops.map((o) => o.done));
    const late = await Promise.race([all.then(() => false), delay(5000).then(() => true)]);
    const pending = ops.filter((o) => o.settled === 0).map((o) => o.what);
    assert.equal(late, false, `ops never settled: ${pending.join(', ')}`);
    for (const o of ops) {
      assert.equal(o.settled, 1, `${o.what} settled ${o.settled} times`);
      if (o.ok) continue;
      const code = (o.value as { code?: string }).code ?? '';
      assert.ok(ALLOWED_ERRORS.has(code), `${o.what} rejected with ${String(o.value)}`);
    }
    for (const { members, whole } of chains) {
      // The kernel runs a chain in order and stops at the first failure: what
      // succeeded is a prefix (empty when a member was refused before submission).
      const oks = members.filter((m) => m.ok).length;
      const story = members.map((m) => `${m.what}=${m.ok ? 'ok' : (m.value as { code?: string }).code}`).join(' ');
      assert.ok(members.every((m, i) => m.ok === i < oks), `not a prefix: ${story}`);
      assert.equal(whole.ok, oks === members.length, `link() fulfils only when every member did: ${story}`);
    }
    const s = ring.stats();
    assert.equal(s.inFlight, 0, 'inFlight');
    assert.equal(s.backlog, 0, 'backlog');
    assert.equal(s.staleCqes, 0, 'staleCqes');
  } finally {
    if (sock !== undefined) {
      await sock[0].close();
      await sock[1].close();
    }
    await ring.close();
    fs.closeSync(fileFd);
    fs.closeSync(pipeFd);
  }
  assert.deepEqual(fdsOpenedSince(fdsBefore), [], 'no fd left open');
}

describe('random programs on small rings', SUITE, () => {
  test('settle once, allowed outcomes only, whole chains, idle ring, no fd leak', async () => {
    const tmp = tempDir('ringcore-prop-');
    try {
      const file = path.join(tmp.dir, 'data');
      fs.writeFileSync(file, Buffer.alloc(4096, 0x5a));
      // One FIFO for every program, made before any fd count: a spawn inside the counted
      // span can leave fds of the runtime's own behind for a while (Bun's spawnSync: +2 now
      // and then, closed later), which would be counted as ours.
      const fifo = path.join(tmp.dir, 'fifo');
      execFileSync('mkfifo', [fifo]);
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 3 }).map((e) => 2 ** e), fc.array(cmd, { minLength: 1, maxLength: 40 }),
                         (entries, program) => runProgram(entries, program, file, fifo)),
        // Fixed seed in `npm test`; RINGCORE_PROP_SEED / RINGCORE_PROP_RUNS explore further.
        {
          seed: Number(process.env.RINGCORE_PROP_SEED ?? 0x5eed),
          numRuns: Number(process.env.RINGCORE_PROP_RUNS ?? 300),
          interruptAfterTimeLimit: Number(process.env.RINGCORE_PROP_MS ?? 15_000),
          markInterruptAsFailure: false,
        },
      );
    } finally {
      tmp.cleanup();
    }
  });
});
