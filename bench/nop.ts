/**
 * `npm run bench -- nop`: the ring's own round trip.
 *
 * Awaited NOPs per second at concurrency 1, 16 and 256 (that many tasks, each
 * `await ring.nop()` in a loop), in both runtime modes — the default event-loop
 * ring and run() — beside the ceiling: the same ring driven with no promises at
 * all, JavaScript writing batches of NOP SQEs straight into the mapped SQ (one
 * io_uring_enter per batch) and reaping the CQ.  Also reports io_uring_enter calls
 * per loop turn in steady state (the target is exactly 1).
 *
 * May touch: its rings, stdout, bench/results/.
 */
import { run, nop, stats, defaultRing } from '../src/index.js';
import { native } from '../src/sys/native.js';
import { SubmissionQueue, CompletionQueue } from '../src/sys/rings.js';
import { prep, setUserData } from '../src/sys/sqe.js';
import { CW } from '../src/sys/cqe.js';
import { setupRing } from '../src/runtime/setup.js';
import { Enter, Opcode, Setup } from '../src/sys/constants.js';
import { compare, save, type Table } from './harness.js';

const OPS: Record<number, number> = { 1: 100_000, 16: 600_000, 256: 2_000_000 };

async function awaited(conc: number, total: number, op: () => PromiseLike<unknown>): Promise<number> {
  let left = total;
  const t0 = performance.now();
  const task = async () => {
    while (left > 0) {
      left--;
      await op();
    }
  };
  const tasks = [];
  for (let i = 0; i < conc; i++) tasks.push(task());
  await Promise.all(tasks);
  return total / ((performance.now() - t0) / 1000);
}

/** The ceiling: no promises, no slots — SQEs written and CQEs read in tight loops. */
function raw(batch: number, total: number, flags: number): number {
  const r = setupRing({ entries: 1024, cqEntries: 4096, sqpoll: false, sqThreadIdle: 0, sqThreadCpu: undefined, flags, deferTaskrun: false });
  const sq = new SubmissionQueue(r);
  const cq = new CompletionQueue(r);
  const t0 = performance.now();
  let done = 0;
  while (done < total) {
    for (let i = 0; i < batch; i++) {
      const idx = sq.next();
      prep(sq.sqes, idx, Opcode.NOP, -1, 0, 0, 0);
      setUserData(sq.sqes, idx, i, 1);
    }
    const n = sq.publish();
    native.enter(r.fd, n, 0, (flags & Setup.DEFER_TASKRUN) ? Enter.GETEVENTS : 0);
    let head = cq.head();
    const tail = cq.tail();
    while (head !== tail) {
      const w = cq.cqesIdx + (head & cq.mask) * cq.cqeWords;
      if (cq.ringI32[w + CW.RES] < 0) throw new Error('nop failed');
      head = (head + 1) >>> 0;
      done++;
    }
    Atomics.store(cq.ring, cq.headIdx, head); // store-release, as the reaper does
  }
  const rate = total / ((performance.now() - t0) / 1000);
  native.close(r.handle);
  return rate;
}

export async function main(): Promise<void> {
  const tables: Table[] = [];
  const ring = defaultRing();
  const flags = ring.setupFlags;
  console.log(`default ring setup flags 0x${flags.toString(16)}`);
  for (const conc of [1, 16, 256]) {
    const total = OPS[conc];
    tables.push(await compare(`awaited NOPs, concurrency ${conc}`, 'ops/s', [
      { name: 'raw ring, no promises', run: () => raw(conc, total, flags) },
      { name: 'event-loop ring', run: () => awaited(conc, total, nop) },
      { name: 'run()', run: () => run(() => awaited(conc, total, nop)) },
    ], 5));
  }
  // Steady state: how many io_uring_enter per loop turn.
  const before = stats();
  await awaited(256, 1_000_000, nop);
  const after = stats();
  const enters = after.enters - before.enters;
  const turns = after.turns - before.turns;
  console.log(`\nsteady state, 256 tasks: ${enters} io_uring_enter in ${turns} loop turns ` +
    `(${(enters / turns).toFixed(3)} per turn, ${((after.sqesSubmitted - before.sqesSubmitted) / enters).toFixed(1)} SQEs per enter)`);
  save('nop', tables, { entersPerTurn: enters / turns, setupFlags: flags });
}
