/**
 * Two timeouts race; the winner cancels the loser — in the kernel, not just in JS.
 *
 * Part 1: a 100 ms and a 300 ms IORING_OP_TIMEOUT are submitted together, each with
 * its own AbortController.  Whichever completes first aborts the other's controller.
 * Aborting an op that is in flight does two things (see src/op/op.ts):
 *   - its awaiters are rejected at once with an AbortError (the signal's reason as
 *     `cause`), exactly once;
 *   - the ring submits an IORING_OP_ASYNC_CANCEL naming the op's user_data, and the
 *     op's slot (and its timespec) stays alive until the kernel's own CQE for it
 *     arrives (-ECANCELED).  That late CQE must wake nobody: the op already settled.
 * The example counts how many times each op's callbacks run and fails (exit code 1)
 * unless every op settled exactly once, the loser with an AbortError, and the ring
 * drained long before 300 ms — proof that the kernel really dropped the slow timer.
 *
 * Part 2: `ring.cancel(op)` directly.  The cancel is an op of its own that resolves
 * with the kernel's answer — 0 (found and cancelled), -2 ENOENT (not in flight:
 * finished, or never submitted), -114 EALREADY (running, may not stop) — while the
 * target rejects with ECANCELED.
 *
 * What to look for: "settled 1x" on every line, "staleCqes: 0", and
 * with RINGCORE_TRACE=1 the two TIMEOUT SQEs, the winner's CQE (res=-62, ETIME),
 * the ASYNC_CANCEL SQE whose addr is the loser's user_data, the cancel's CQE (res=0)
 * and the loser's CQE (res=-125 ECANCELED):
 *
 *     RINGCORE_TRACE=1 npm run example timeout_race
 */
import { inspect } from 'node:util';
import { AbortError, defaultRing, sleep } from 'ringcore';

const ring = defaultRing();
const t0 = performance.now();
const now = (): number => performance.now() - t0;
const failures: string[] = [];
function check(ok: boolean, what: string): void {
  console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
}

interface Tracked {
  name: string;
  /** How many times a settlement callback ran: must end up exactly 1. */
  settlements: number;
  outcome?: 'fulfilled' | 'rejected';
  value?: unknown;
  error?: unknown;
  /** ms since start when it (first) settled. */
  at?: number;
  done: Promise<Tracked>;
}

/** Await `op` (which submits it) and count every settlement callback. */
function track<T>(name: string, op: PromiseLike<T>, onFulfilled?: () => void): Tracked {
  const t = { name, settlements: 0 } as Tracked;
  t.done = new Promise<Tracked>((resolve) => {
    op.then(
      (value) => {
        t.settlements++;
        t.outcome ??= 'fulfilled';
        t.value = value;
        t.at ??= now();
        resolve(t);
        onFulfilled?.();
      },
      (error: unknown) => {
        t.settlements++;
        t.outcome ??= 'rejected';
        t.error = error;
        t.at ??= now();
        resolve(t);
      },
    );
  });
  return t;
}

function describe(t: Tracked): string {
  const what = t.outcome === 'fulfilled'
    ? `fulfilled (${String(t.value)})`
    : `rejected with ${(t.error as Error)?.name}: ${(t.error as Error)?.message}`;
  return `${t.name}: ${what} at ${t.at?.toFixed(1)} ms, settled ${t.settlements}x`;
}

/** Wait (on Node's timers) until the ring has no request in flight. */
async function drained(limitMs: number): Promise<number> {
  const until = performance.now() + limitMs;
  while (ring.inFlight > 0 && performance.now() < until) await new Promise((r) => setTimeout(r, 1));
  return now();
}

// ---------------------------------------------------------------- part 1: race --
console.log('part 1: sleep(100) vs sleep(300); the winner aborts the loser');
const before = ring.stats();
const fastCtl = new AbortController();
const slowCtl = new AbortController();
const fast = track('fast 100 ms', sleep(100, { signal: fastCtl.signal }), () => slowCtl.abort('lost the race'));
const slow = track('slow 300 ms', sleep(300, { signal: slowCtl.signal }), () => fastCtl.abort('lost the race'));
const first = await Promise.race([fast.done, slow.done]);
await Promise.all([fast.done, slow.done]);
const winner = fast.outcome === 'fulfilled' ? fast : slow.outcome === 'fulfilled' ? slow : undefined;
const loser = winner === fast ? slow : fast;
console.log(`  winner: ${winner?.name ?? 'none'}`);
console.log(`  ${describe(fast)}`);
console.log(`  ${describe(slow)}`);

// The loser's own CQE (-ECANCELED) follows the ASYNC_CANCEL; it must wake nobody.
const drainedAt = await drained(1000);
const after = ring.stats();
console.log(`  ring drained at ${drainedAt.toFixed(1)} ms (inFlight ${ring.inFlight}): the 300 ms timer was cancelled in the kernel`);
console.log(`  CQEs reaped for the race: ${after.cqesReaped - before.cqesReaped}, staleCqes: ${after.staleCqes}`);
// Wait past the moment the loser would have fired, then count again.
await sleep(Math.max(0, 350 - now()));
console.log(`  at ${now().toFixed(1)} ms: fast settled ${fast.settlements}x, slow settled ${slow.settlements}x`);

check(first === winner, 'the first op to settle was the winner');
check(winner === fast, 'the 100 ms timeout won');
check(fast.settlements === 1 && slow.settlements === 1, 'each op settled exactly once (no double wake)');
check(loser.outcome === 'rejected' && loser.error instanceof AbortError &&
  (loser.error as AbortError).code === 'ABORT_ERR' && (loser.error as Error).cause === 'lost the race',
  'the loser rejected with an AbortError (code ABORT_ERR, cause = the abort reason)');
check(drainedAt < 250, 'the loser\'s terminal CQE arrived long before 300 ms');
// fast TIMEOUT, ASYNC_CANCEL, slow TIMEOUT (-ECANCELED): three CQEs, each routed once.
check(after.cqesReaped - before.cqesReaped === 3, 'three CQEs for the race: winner, cancel, loser');
check(after.staleCqes === 0, 'no CQE named a dead request (staleCqes 0)');

// ------------------------------------------------------- part 2: ring.cancel(op) --
console.log('\npart 2: ring.cancel(op) directly');
const victim = ring.timeout(10_000);
const v = track('victim 10 s', victim); // awaiting it submits its SQE
// Written after the victim's SQE in the same turn, so the kernel sees the victim first.
const r1 = await ring.cancel(victim);
await v.done;
console.log(`  ring.cancel(victim)          -> ${r1} (found and cancelled)`);
console.log(`  ${describe(v)}`);
const r2 = await ring.cancel(victim);
console.log(`  ring.cancel(victim) again    -> ${r2} (ENOENT: no longer in flight)`);
const r3 = await ring.cancel(ring.timeout(1));
console.log(`  ring.cancel(never-submitted) -> ${r3} (ENOENT: it never reached the kernel)`);
await drained(1000);

check(r1 === 0, 'cancel of an in-flight timeout returned 0');
check(v.settlements === 1 && v.outcome === 'rejected' && (v.error as { code?: string }).code === 'ECANCELED',
  'the victim settled once, rejected with ECANCELED');
check(r2 === -2 && r3 === -2, 'cancels of finished / unsubmitted ops returned -ENOENT');
check(ring.stats().staleCqes === 0 && ring.inFlight === 0, 'ring idle, staleCqes 0');

console.log('\nring stats:', inspect(ring.stats(), { breakLength: Infinity }));
await ring.close();
if (failures.length > 0) {
  console.error(`\n${failures.length} check(s) failed`);
  process.exitCode = 1;
} else {
  console.log('\nall checks passed');
}
