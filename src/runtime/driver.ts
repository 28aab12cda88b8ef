/**
 * The contract between a ring and what drives it — the event loop (loop.ts) or a
 * run() executor (run.ts).  A driver decides when turns happen and whether the
 * process stays alive; the ring tells it when SQEs were written and when it has
 * nothing in flight.  Both sides are named here, so that neither driver imports the
 * ring and the ring imports its drivers without a cycle.
 *
 * May touch: nothing.  Types only.
 */

/** Who drives a ring: decides when turns happen and keeps the process alive. */
export interface Driver {
  /** SQEs were written: arrange for a turn soon. */
  schedule(): void;
  /** In-flight count changed to/from zero (may keep the process alive or not). */
  idle(idle: boolean): void;
  close(): void;
}

/** What a driver sees of its ring (runtime/ring.ts implements it). */
export interface DrivenRing {
  readonly fd: number;
  /** With DEFER_TASKRUN every reap must be preceded by an enter with GETEVENTS. */
  readonly deferTaskrun: boolean;
  /** The native handle (the portable wake-up thread reads the CQ words through it). */
  readonly nativeHandle: object;
  /** close() has finished: the rings are unmapped. */
  readonly finished: boolean;
  /** Requests submitted and not yet completed. */
  readonly inFlight: number;
  /** CQEs the last reap handled (a small batch is latency-bound). */
  readonly lastReaped: number;
  /** Changes whenever an SQE is written or an op joins the backlog. */
  readonly writeMark: number;
  /** One turn: submit in one io_uring_enter (sleeping for `minComplete` CQEs), then reap. */
  turn(minComplete?: number): void;
  /** The watcher saw completions while Node slept. */
  wake(): void;
  /** SQEs written but not consumed by the kernel, or ops waiting for an SQE. */
  hasUnsubmitted(): boolean;
  /** CQEs waiting to be reaped. */
  hasCompletions(): boolean;
}

/** How a ring is driven (the second argument of `new Ring`; run() passes its own). */
export interface DriveOptions {
  /** Makes the ring's driver, given the ring: by default Node's event loop (loop.ts). */
  driver?: (ring: DrivenRing) => Driver;
  /** Prefer SINGLE_ISSUER|DEFER_TASKRUN at setup (run(): completions only while it waits). */
  deferTaskrun?: boolean;
}
