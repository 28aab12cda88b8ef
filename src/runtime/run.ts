/**
 * `run(main)`: the original's executor.  For its duration the ring owns the thread:
 * when no JavaScript is ready to run, the thread sleeps inside
 * io_uring_enter(min_complete = 1) — submitting and waiting in one system call —
 * instead of in Node's epoll_wait.
 *
 * How "nothing is ready" is known in JavaScript: each iteration runs as a
 * setImmediate callback, and Node drains every microtask (every promise
 * continuation an earlier completion woke) before it runs the next one.  So at the
 * top of an iteration all woken tasks have run as far as they can; if requests are
 * in flight and none has completed, sleeping in the kernel is exactly right.
 *
 * The ring is a fresh one with SINGLE_ISSUER|DEFER_TASKRUN where the kernel has them
 * (completions are posted only while we wait in enter: the cheapest wait there is);
 * it becomes the thread's default ring until `run` returns, then it is closed.
 *
 * Caveat, by design: while the thread sleeps in the kernel, Node's own timers and
 * sockets wait too.  Code that mixes them with ring operations should use the default
 * event-loop mode instead.  When nothing is in flight, run() does not sleep in the
 * kernel at all and Node's loop runs as usual.
 *
 * May touch: its own ring, the thread's default ring slot, setImmediate.
 */
import { Ring, type RingOptions } from './ring.js';
import type { Driver, DrivenRing } from './driver.js';
import { peekDefaultRing, swapDefaultRing } from './current.js';
import { invalidArgType } from '../op/errors.js';

class Executor implements Driver {
  private scheduled = false;
  private readonly iterate = (): void => {
    this.scheduled = false;
    const ring = this.ring;
    if (ring.finished) return;
    // Sleep in the kernel only if requests are in flight and no completion is
    // waiting: then no JavaScript can run until the kernel posts one.
    const wait = ring.inFlight > 0 && !ring.hasCompletions() ? 1 : 0;
    ring.turn(wait);
    if (!ring.finished && (ring.inFlight > 0 || ring.hasUnsubmitted())) this.schedule();
  };
  constructor(private readonly ring: DrivenRing) {}
  /** Tasks spawned while this executor owns the thread; run() waits for them. */
  readonly tasks = new Set<Promise<unknown>>();
  /** The first failure of main or of a spawned task. */
  failure: { error: unknown } | undefined = undefined;

  schedule(): void {
    if (!this.scheduled) {
      setImmediate(this.iterate); // (first: if it throws, a later call schedules again)
      this.scheduled = true;
    }
  }
  idle(): void {}
  close(): void {}

  /** Track a task: run() waits for it, and its failure is run()'s — never unhandled. */
  track(p: Promise<unknown>): void {
    this.tasks.add(p);
    p.then(undefined, (error: unknown) => {
      this.failure ??= { error };
    });
  }
}

export interface RunOptions extends RingOptions {}

function checkTask(name: string, fn: unknown): void {
  if (typeof fn !== 'function') throw invalidArgType(name, 'of type function', fn);
}

/**
 * Run `main` with a ring that owns the thread; resolves with main's result once
 * main and every task it `spawn`ed are done (rejects with the first failure, of main
 * or of a spawned task).
 *
 * The ring is a new one (SINGLE_ISSUER|DEFER_TASKRUN where the kernel has them); it
 * is the thread's default ring — what `read`, `sleep` ... use — until run() settles,
 * then it is closed (requests still in flight are cancelled first) and the previous
 * default ring is back.  While requests are in flight and none has completed, the
 * thread sleeps in io_uring_enter, not in Node's loop: Node's timers and sockets wait
 * meanwhile.  `main` starts in a microtask, not inside the call.
 * @param main     the program: a function, maybe async; what it returns is run()'s value
 * @param options  the ring's options (`entries`, `cqEntries`, `sqpoll`, `flags`, `trace`)
 * @returns a Promise of main's value (awaited); it rejects with the first failure of
 *          main or of a task spawned meanwhile
 * @throws nothing synchronously: a `main` that is not a function or bad `options`
 *         reject with ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE, a kernel without io_uring
 *         with ERR_IO_URING_UNAVAILABLE
 * @example
 * ```ts
 * import { openSync } from 'node:fs';
 * import { run, spawn, read, sleep } from 'ringcore';
 *
 * const bytes = await run(async () => {
 *   spawn(() => sleep(20));               // run() waits for it too
 *   const fd = openSync('/etc/os-release', 'r');
 *   return read(fd, Buffer.alloc(4096), 0); // on run()'s ring
 * });
 * console.log(bytes);
 * ```
 */
export async function run<T>(main: () => T | PromiseLike<T>, options: RunOptions = {}): Promise<T> {
  checkTask('main', main);
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
  const ring = new Ring(options, { driver: (r) => new Executor(r), deferTaskrun: true });
  const exec = ring.driver as Executor;
  const prevRing = swapDefaultRing(ring);
  const mine = exec.tasks;
  try {
    const result = Promise.resolve().then(main);
    exec.track(result);
    while (mine.size > 0) {
      const batch = [...mine];
      mine.clear();
      await Promise.allSettled(batch);
    }
    if (exec.failure) throw exec.failure.error;
    return await result;
  } finally {
    swapDefaultRing(prevRing);
    await ring.close();
  }
}

/**
 * Start `task` concurrently.  Inside run(), run() waits for it too, and a failure
 * of the task is run()'s failure (it is handled: never an unhandled rejection).
 * Returns the task's promise.  Outside run() it is only `Promise.resolve().then(task)`.
 * @param task  a function, maybe async; it starts in a microtask
 * @returns a Promise of the task's value
 * @throws ERR_INVALID_ARG_TYPE synchronously when `task` is not a function
 * @example
 * ```ts
 * import { run, spawn, sleep } from 'ringcore';
 *
 * const order: string[] = [];
 * await run(async () => {
 *   spawn(async () => { await sleep(20); order.push('spawned'); }); // not awaited here...
 *   order.push('main');
 * });                                                               // ...but run() waits for it
 * console.log(order); // ['main', 'spawned']
 * ```
 */
export function spawn<T>(task: () => T | PromiseLike<T>): Promise<T> {
  checkTask('task', task);
  const p = Promise.resolve().then(task);
  const driver = peekDefaultRing()?.driver;
  if (driver instanceof Executor) driver.track(p);
  return p;
}
