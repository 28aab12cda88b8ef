/**
 * Async Timer (the original RingCore's first example): sleep 1 s through the ring.
 *
 * `sleep(1000)` is an IORING_OP_TIMEOUT request: the kernel holds the timer, Node's
 * own timers are not involved.  While it is pending the ring's watcher keeps the
 * process alive; when the kernel posts the CQE, the ring fd becomes readable, Node's
 * poll phase wakes, and the ring reaps the completion and resumes this code.
 *
 * What to look for:
 *   - "late by": how long after 1000 ms the continuation ran (measured with
 *     performance.now()).  Expect about what a setTimeout of the same length shows
 *     on the same machine: around a millisecond, a few ms in a fresh process, where
 *     the wake-up path (reap, resume, this code) runs for the first time, unoptimized.
 *   - stats: one io_uring_enter carried the one SQE (enters 1, sqesSubmitted 1),
 *     one CQE was reaped, and it arrived through one watcher wake-up (wakeups 1).
 *   - Run with RINGCORE_TRACE=1 to see the TIMEOUT SQE, the enter, and the CQE with
 *     res=-62: -ETIME, which for a timeout means "the time elapsed", i.e. success.
 *
 *     RINGCORE_TRACE=1 npm run example timer
 */
import { inspect } from 'node:util';
import { defaultRing, sleep, stats } from 'ringcore';

// Create the thread's ring first, so that its setup (io_uring_setup, mmaps, probe,
// watcher) is not counted as timer lateness.
const ring = defaultRing();
const ms = 1000;
const t0 = performance.now();
await sleep(ms);
const elapsed = performance.now() - t0;

console.log(`asked for ${ms} ms, woke after ${elapsed.toFixed(3)} ms: late by ${(elapsed - ms).toFixed(3)} ms`);
console.log('ring stats:', inspect(stats(), { breakLength: Infinity }));

await ring.close();
