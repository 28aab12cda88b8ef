/**
 * The default driver: a ring living inside Node's event loop.
 *
 *  - Submission: the first SQE written in a loop turn schedules one `setImmediate`;
 *    it runs in the check phase, after the poll phase, and makes the turn's single
 *    io_uring_enter for everything written meanwhile (promise continuations included:
 *    Node drains microtasks before the check phase).  Completions that are already
 *    there (NOPs, page-cache reads complete inline) are reaped right after it.
 *  - Wake-up: a uv_poll watcher on the ring fd (readable while the CQ has entries)
 *    calls `ring.wake()` in the poll phase when completions arrive while Node is
 *    asleep in epoll_wait.  With DEFER_TASKRUN the ring fd does not become readable
 *    (completions wait for our next enter), so the kernel signals a registered
 *    eventfd instead, and the watcher watches that.
 *    Where libuv's poll is missing or unreliable (Bun, Deno: sys/native.ts
 *    wakeupMode(); RINGCORE_WAKEUP=thread forces it on Node), the portable path: an
 *    eventfd registered with every ring, waited on by a native thread that calls
 *    `ring.wake()` through a napi_threadsafe_function (native/ringcore.c, "portable
 *    wake-ups"): the same calls, one thread hop more.
 *  - Liveness: the watcher is ref'd only while requests are in flight, so an idle
 *    ring never keeps the process alive, and a pending read does (uv_ref/uv_unref,
 *    or napi_ref/unref_threadsafe_function on the portable path).
 *
 * Nothing here busy-polls or blocks: the enter never waits (min_complete = 0).
 *
 * May touch: the native watcher calls, setImmediate, its ring's turn()/wake().
 */
import { native, wakeupMode } from '../sys/native.js';
import { Register } from '../sys/constants.js';
import { errnoError } from '../op/errors.js';
import { microtask } from '../op/microtask.js';
import type { Driver, DrivenRing } from './driver.js';

/** Extra enters a turn may take for the continuations it set off (see follow()). */
const FOLLOW_TURNS = 4;
/** Microtask hops to wait for a continuation's request (an await of an eager call is ~3 hops). */
const FOLLOW_HOPS = 4;
/**
 * Hops with no new SQE before following enters: continuations often write requests a
 * few hops apart (an iterator's return() cancels a recv, then a `finally` closes the
 * socket), and one enter for both is cheaper than two.  A hop costs ~0.1 µs; an
 * enter and its turn, microseconds.
 */
const QUIET_HOPS = 4;
/** Steps one follow() may take in all (a backstop: requests written on every hop). */
const FOLLOW_STEPS = 64;
/** Follow only turns that reaped at most this many CQEs (see follow()). */
const FOLLOW_MAX_BATCH = 16;

export class EventLoopDriver implements Driver {
  private scheduled = false;
  private referenced = true;
  private readonly watcher: object;
  /** The eventfd to close with the watcher (-1: none, or the portable watcher owns it). */
  private readonly eventfd: number;
  /** The portable wake-up (a native thread + threadsafe function), not a uv_poll. */
  private readonly threaded: boolean;
  private readonly runTurn = (): void => {
    this.scheduled = false;
    this.ring.turn();
    this.follow();
  };
  /** Microtask hops left before following gives up for this macrotask. */
  private hops = 0;
  /** Turns taken by following in this macrotask. */
  private followed = 0;
  private following = false;
  /** ring.writeMark at the previous step, and the steps it has stayed the same. */
  private mark = 0;
  private quiet = 0;
  private steps = 0;
  private readonly step = (): void => {
    const ring = this.ring;
    if (ring.finished || ++this.steps > FOLLOW_STEPS) {
      this.following = false;
      return;
    }
    if (ring.hasUnsubmitted() && this.followed < FOLLOW_TURNS) {
      const mark = ring.writeMark;
      if (mark !== this.mark) {
        this.mark = mark;
        this.quiet = 0;
      } else if (++this.quiet >= QUIET_HOPS) {
        this.followed++;
        this.hops = FOLLOW_HOPS;
        this.quiet = 0;
        try {
          ring.turn();
        } catch (e) {
          this.following = false; // (or follow() would stay off for good)
          throw e;
        }
      }
    } else if (--this.hops <= 0) {
      this.following = false;
      return;
    }
    microtask(this.step);
  };

  /**
   * Follow the continuations a turn (or a wake-up) set off: what they submit in the
   * microtasks that run right after it goes to the kernel in the same macrotask,
   * instead of waiting for the next loop turn's setImmediate.  A request whose
   * continuation issues the next one (recv → send → close) then takes one loop turn,
   * not one per step.  Bounded (FOLLOW_TURNS extra enters, FOLLOW_HOPS idle microtask
   * hops): past that, the next turn comes from setImmediate as usual, so Node's
   * timers and I/O keep their share of every loop turn.
   */
  private follow(): void {
    // A large batch is throughput-bound: the next setImmediate turn will carry a big
    // batch anyway, and splitting it costs more enters than it saves waits.
    if (this.ring.lastReaped > FOLLOW_MAX_BATCH) return;
    this.followed = 0;
    this.hops = FOLLOW_HOPS;
    this.mark = this.ring.writeMark;
    this.quiet = 0;
    this.steps = 0;
    if (this.following) return;
    this.following = true;
    microtask(this.step);
  }

  constructor(private readonly ring: DrivenRing) {
    this.threaded = wakeupMode() === 'thread';
    let fd = ring.fd;
    this.eventfd = -1;
    if (ring.deferTaskrun || this.threaded) {
      const efd = native.eventfd();
      if (efd < 0) throw errnoError(efd, 'eventfd');
      const r = native.register(ring.fd, Register.EVENTFD, Int32Array.of(efd), 1);
      if (r < 0) {
        native.closeFd(efd);
        throw errnoError(r, 'io_uring_register');
      }
      fd = efd;
    }
    const onWake = (): void => {
      this.ring.wake();
      this.follow();
    };
    if (this.threaded) {
      try {
        this.watcher = native.threadWatch(fd, ring.nativeHandle, onWake);
      } catch (e) {
        native.closeFd(fd);
        throw e;
      }
    } else {
      if (fd !== ring.fd) this.eventfd = fd;
      this.watcher = native.watch(fd, this.eventfd >= 0, onWake);
    }
    this.idle(true);
  }

  schedule(): void {
    if (!this.scheduled) {
      setImmediate(this.runTurn); // (first: if it throws, a later call schedules again)
      this.scheduled = true;
    }
  }

  idle(idle: boolean): void {
    const want = !idle;
    if (want !== this.referenced) {
      if (this.threaded) native.threadSetRef(this.watcher, want);
      else native.setRef(this.watcher, want);
      this.referenced = want;
    }
  }

  close(): void {
    if (this.threaded) {
      native.threadUnwatch(this.watcher); // joins the thread, closes the eventfd
      return;
    }
    native.unwatch(this.watcher);
    if (this.eventfd >= 0) native.closeFd(this.eventfd);
  }
}
