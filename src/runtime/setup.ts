/**
 * Creating a ring: which setup flags, with what fallback, and what to tell the user
 * when io_uring cannot be had at all.
 *
 * Flags are tried from most to least capable; EINVAL means "this kernel does not know
 * a flag", so the next, smaller set is tried.  Any other error is final and explained:
 * io_uring refused is an environment problem (seccomp, sysctl, memlock), and the
 * message says which one and what to do about it.
 *
 * May touch: the native setup call, /proc (to explain a refusal).
 */
import { readFileSync } from 'node:fs';
import { native, type SetupResult } from '../sys/native.js';
import { Setup } from '../sys/constants.js';
import { errnoName } from '../op/errors.js';
import { EINVAL, EMFILE, ENFILE, ENOMEM, ENOSYS, EPERM } from '../sys/errno.js';

export interface SetupRequest {
  entries: number;
  cqEntries: number;
  sqpoll: boolean;
  sqThreadIdle: number;
  sqThreadCpu: number | undefined;
  /** Explicit flags: tried alone, no fallback. */
  flags: number | undefined;
  /** Prefer DEFER_TASKRUN (completions only during our enter: for run()). */
  deferTaskrun: boolean;
}

/**
 * The default flag sets, best first.
 *  - COOP_TASKRUN (5.19): completions are not forced on us with an IPI while we run
 *    JavaScript; they are posted at our next kernel entry (every event-loop turn makes
 *    one).  Measured here: an HTTP loop went from 43k to 78k req/s with it.
 *  - SINGLE_ISSUER (6.0): only this thread submits — true of a per-thread ring — and
 *    the kernel skips some locking.
 *  - SUBMIT_ALL (5.18): a bad SQE does not stop the rest of the batch from being
 *    submitted; its error comes back in its own CQE.
 *  - NO_SQARRAY (6.6): no SQ index array to maintain.
 *  - DEFER_TASKRUN (6.1): completions are posted only inside io_uring_enter with
 *    GETEVENTS.  Good when the ring owns the thread (run()); in the event-loop mode it
 *    costs an extra enter per wake-up, and the ring fd stops signalling readiness —
 *    the wake-up must then come through a registered eventfd.
 */
function candidates(req: SetupRequest): number[] {
  if (req.flags !== undefined) return [req.flags];
  const base = Setup.CQSIZE | (req.sqpoll ? Setup.SQPOLL | (req.sqThreadCpu !== undefined ? Setup.SQ_AFF : 0) : 0);
  // (COOP_TASKRUN and DEFER_TASKRUN make no sense with SQPOLL: the kernel refuses them.)
  const modern = req.sqpoll
    ? Setup.SUBMIT_ALL
    : req.deferTaskrun
      ? Setup.SINGLE_ISSUER | Setup.DEFER_TASKRUN | Setup.SUBMIT_ALL
      : Setup.COOP_TASKRUN | Setup.SUBMIT_ALL | Setup.SINGLE_ISSUER;
  return [
    base | modern | Setup.NO_SQARRAY,
    base | modern,
    base | (req.sqpoll ? 0 : Setup.COOP_TASKRUN) | Setup.SUBMIT_ALL,
    base,
  ];
}

export function setupRing(req: SetupRequest): SetupResult {
  let last = 0;
  for (const flags of candidates(req)) {
    const r = native.setup(req.entries, flags, req.cqEntries, req.sqThreadIdle, req.sqThreadCpu ?? 0, 0);
    if (typeof r !== 'number') return r;
    last = r;
    if (r !== EINVAL /* an unknown flag */) break;
  }
  throw unavailable(last, req);
}

export interface UnavailableError extends Error {
  code: 'ERR_IO_URING_UNAVAILABLE';
  errno: number;
  syscall: 'io_uring_setup';
  reason: string;
}

/** A /proc or /sys file's text, trimmed, or undefined if it cannot be read. */
export function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * Why io_uring_setup failed, in words a user can act on: the `reason` of the
 * ERR_IO_URING_UNAVAILABLE error `new Ring()` throws.  It reads
 * /proc/sys/kernel/io_uring_disabled (for EPERM) and /proc/self/limits (for ENOMEM).
 * @param errno  the errno io_uring_setup returned, negated as the kernel returns it
 *               (-1 EPERM, -12 ENOMEM, -22 EINVAL, -24 EMFILE, -23 ENFILE, -38 ENOSYS;
 *               any other gives a generic sentence)
 * @param req    the request that failed, if known: `entries` (named in the ENOMEM
 *               advice) and `sqpoll` (named in the EPERM advice)
 * @returns one or more sentences: the cause and what to do about it
 * @example
 * ```ts
 * import { Ring, explainSetupFailure } from 'ringcore';
 *
 * console.log(explainSetupFailure(-38)); // 'io_uring_setup(2) does not exist here: ...'
 * try {
 *   new Ring();
 * } catch (e) {
 *   const err = e as { code?: string; reason?: string };
 *   if (err.code === 'ERR_IO_URING_UNAVAILABLE') console.error(err.reason); // the same text
 *   else throw e;
 * }
 * ```
 */
export function explainSetupFailure(errno: number, req?: Pick<SetupRequest, 'entries' | 'sqpoll'>): string {
  const disabled = readProc('/proc/sys/kernel/io_uring_disabled');
  switch (errno) {
    case ENOSYS:
      return 'io_uring_setup(2) does not exist here: the kernel was built without CONFIG_IO_URING, or a ' +
        'seccomp filter hides it (Docker and containerd default profiles do). Run on a host kernel with ' +
        'io_uring, or give the container a seccomp profile that allows io_uring_setup, io_uring_enter and ' +
        'io_uring_register.';
    case EPERM:
      if (disabled === '2') {
        return 'io_uring is disabled on this system (sysctl kernel.io_uring_disabled = 2). ' +
          'An administrator can enable it: sysctl -w kernel.io_uring_disabled=0.';
      }
      if (disabled === '1') {
        return 'io_uring is restricted (sysctl kernel.io_uring_disabled = 1): only processes with ' +
          'CAP_SYS_ADMIN or in the group kernel.io_uring_group may create rings. Add this user to that ' +
          'group, or set kernel.io_uring_disabled=0.';
      }
      return 'io_uring_setup(2) was refused (EPERM) although kernel.io_uring_disabled allows it: most likely ' +
        'a seccomp filter (Docker/containerd default profiles block io_uring). Allow io_uring_setup, ' +
        'io_uring_enter and io_uring_register in the profile.' + (req?.sqpoll ? ' (SQPOLL before 5.13 also needs CAP_SYS_NICE.)' : '');
    case ENOMEM:
      return 'io_uring_setup(2) could not get memory for the rings. Before Linux 5.12 ring memory counts ' +
        `against RLIMIT_MEMLOCK (now: ${memlock()}): raise it (ulimit -l) or ask for fewer entries` +
        (req ? ` than ${req.entries}.` : '.');
    case EINVAL:
      return 'io_uring_setup(2) rejected every flag set RingCore tried (EINVAL): the kernel is too old ' +
        '(RingCore needs Linux 5.11 or newer; 6.1+ recommended) or the entry counts are invalid ' +
        '(entries must be 1..32768, cqEntries >= entries).';
    case EMFILE:
    case ENFILE:
      return 'io_uring_setup(2) needs a file descriptor and none is left (EMFILE/ENFILE).';
    default:
      return `io_uring_setup(2) failed with ${errnoName(errno)}.`;
  }
}

function memlock(): string {
  const limits = readProc('/proc/self/limits');
  const line = limits?.split('\n').find((l) => l.startsWith('Max locked memory'));
  return line ? line.replace(/\s+/g, ' ').replace('Max locked memory ', '') : 'unknown';
}

function unavailable(errno: number, req: SetupRequest): UnavailableError {
  const reason = explainSetupFailure(errno, req);
  const err = new Error(`RingCore: io_uring is unavailable (${errnoName(errno)}). ${reason}`) as UnavailableError;
  err.code = 'ERR_IO_URING_UNAVAILABLE';
  err.errno = errno;
  err.syscall = 'io_uring_setup';
  err.reason = reason;
  return err;
}
