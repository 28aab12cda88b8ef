/**
 * Batching: many NOPs, few system calls.
 *
 * `ring.nop()` is IORING_OP_NOP, a request that does nothing: its round trip is the
 * ring's own overhead.  This submits N of them at once (default 10,000; the first
 * argument overrides: `npm run example nops 100000`) and awaits them with
 * Promise.all.  Writing an SQE does not enter the kernel: every SQE written during
 * one event-loop turn goes to the kernel in that turn's single io_uring_enter —
 * unless the SQ fills up first, in which case the ring flushes it right away (one
 * enter per full SQ) and keeps writing.  NOPs complete inline, so each enter's
 * completions are already in the CQ when it returns.
 *
 * Twice: on a default ring (SQ 1024 entries: N/1024 flushes) and on
 * `new Ring({ entries: 8 })`, whose tiny SQ makes the SQ-full flush happen every 8
 * SQEs.
 *
 * (ops/s of the first batch is lower: it also pays for the JIT warming up.)
 *
 * What to look for: "enters" vs "sqesSubmitted" — how many SQEs each io_uring_enter
 * carried (about the SQ size), and "turns": all of it happened in one or two
 * event-loop turns.  With RINGCORE_TRACE=1 (best with a small N, e.g. 20) every SQE
 * and CQE is printed, and the enters show to_submit = the SQ size:
 *
 *     RINGCORE_TRACE=1 npm run example nops 20
 */
import { inspect } from 'node:util';
import { Ring, type RingStats } from 'ringcore';

const arg = process.argv[2];
const n = arg === undefined ? 10_000 : Number(arg);
if (!Number.isSafeInteger(n) || n < 1) {
  console.error(`usage: npm run example nops [count]   (count: a positive integer, got '${arg}')`);
  process.exit(2);
}

function delta(a: RingStats, b: RingStats): Pick<RingStats, 'enters' | 'sqesSubmitted' | 'cqesReaped' | 'turns' | 'wakeups'> {
  return {
    enters: b.enters - a.enters,
    sqesSubmitted: b.sqesSubmitted - a.sqesSubmitted,
    cqesReaped: b.cqesReaped - a.cqesReaped,
    turns: b.turns - a.turns,
    wakeups: b.wakeups - a.wakeups,
  };
}

async function batch(label: string, ring: Ring): Promise<boolean> {
  const before = ring.stats();
  const t0 = performance.now();
  const ops = [];
  for (let i = 0; i < n; i++) ops.push(ring.nop());
  const results = await Promise.all(ops);
  const ms = performance.now() - t0;
  const d = delta(before, ring.stats());
  const allZero = results.every((r) => r === 0);
  console.log(`${label}: SQ ${ring.sqEntries} entries, CQ ${ring.cqEntries} entries`);
  console.log(`  ${n} NOPs in ${ms.toFixed(2)} ms: ${Math.round(n / (ms / 1000)).toLocaleString('en-US')} ops/s` +
    `${allZero ? '' : ' (some NOP did not return 0!)'}`);
  console.log(`  io_uring_enter calls: ${d.enters} carrying ${d.sqesSubmitted} SQEs ` +
    `(${(d.sqesSubmitted / Math.max(1, d.enters)).toFixed(1)} per enter), ${d.cqesReaped} CQEs reaped, ` +
    `${d.turns} event-loop turn(s), ${d.wakeups} wake-up(s)`);
  console.log('  stats():', inspect(ring.stats(), { breakLength: Infinity }));
  return allZero && d.sqesSubmitted === n && d.cqesReaped === n;
}

const big = new Ring();
const small = new Ring({ entries: 8 });
let ok = true;
try {
  ok = (await batch('new Ring()', big)) && ok;
  console.log();
  ok = (await batch('new Ring({ entries: 8 })', small)) && ok;
} finally {
  await big.close();
  await small.close();
}
if (!ok) {
  console.error('\nFAIL: every NOP should be submitted once, reaped once and return 0');
  process.exitCode = 1;
}
