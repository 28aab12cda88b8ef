/**
 * Loaded with `node --import` into a benchmarked child process: at exit it writes
 * the process's own user and system CPU time (process.resourceUsage) as JSON to the
 * file named by RINGCORE_RUSAGE_OUT, so that whole-process peers (cat) can be
 * compared by CPU time, not only wall time.
 *
 * May touch: the file named by RINGCORE_RUSAGE_OUT.
 */
import { writeFileSync } from 'node:fs';

const out = process.env.RINGCORE_RUSAGE_OUT;
if (out) {
  process.on('exit', () => {
    const u = process.resourceUsage();
    writeFileSync(out, JSON.stringify({ user: u.userCPUTime / 1e6, sys: u.systemCPUTime / 1e6 }));
  });
}
