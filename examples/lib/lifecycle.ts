/**
 * Connection lifecycle for the example servers: the three timeouts `node:http` has, with
 * its defaults, and a graceful shutdown.
 *
 *  - headersTimeout (60 s): from the first byte of a request to the end of its headers.
 *  - requestTimeout (300 s): from the first byte of a request to its last byte.
 *  - keepAliveTimeout (5 s): how long a connection may sit idle between requests.
 *    A new connection that has sent nothing yet gets headersTimeout.
 * A connection that overstays gets `408 Request Timeout` if a request had started, and
 * is closed either way — so clients that drip bytes or open connections and say
 * nothing cannot hold file descriptors forever (under a low `ulimit -n` they would lock
 * every new client out).  While a response is being produced and sent, no timeout
 * runs (as in Node: `server.timeout` is 0 by default) — unless `sendTimeout` is set
 * (nginx's send_timeout, 60 s there): then a connection answering a request whose
 * bytesWritten has not moved for that long is closed (a client that stops reading
 * holds its socket, a pipe and a cached fd only that long).  file_server sets it;
 * http_server, whose handlers may compute for as long as they like, does not.
 *
 * Deadlines are checked by one unref'd interval (like Node's
 * connectionsCheckingInterval), not a timer per connection: a connection only records
 * the time of its last state change, read from a clock that interval keeps (so a
 * request costs no clock call; deadlines are as precise as the interval: at most
 * ~25 % of the shortest timeout, and at most a second, late).
 *
 * Shutdown (SIGINT/SIGTERM): stop accepting, close idle connections now, let the ones
 * in the middle of a request finish it (and then close), and after `graceMs` close
 * whatever is left — the process exits within a bounded time.
 *
 * May touch: timers, and the connections it is given (only to close them).
 */
export interface TimeoutOptions {
  headersTimeout: number;
  requestTimeout: number;
  keepAliveTimeout: number;
  /** While answering: close once nothing was sent for this long (undefined: never). */
  sendTimeout?: number;
}

/** node:http's defaults. */
export const NODE_TIMEOUTS: TimeoutOptions = { headersTimeout: 60_000, requestTimeout: 300_000, keepAliveTimeout: 5_000 };

const FRESH = -1; // accepted, nothing received yet
const IDLE = 0; // between requests
const HEAD = 1; // a request started; its headers are not complete
const BODY = 2; // headers complete; the body is not
const BUSY = 3; // a complete request is being answered: no deadline

/** What the tracker needs from a connection. */
export interface Closable {
  close(): Promise<void>;
  /** Bytes sent so far (a TcpStream's): how sendTimeout sees progress. */
  readonly bytesWritten?: number;
}

/** The time as of the tracker's last sweep (ms): what connections stamp their state changes with. */
interface Clock {
  now: number;
}

/** One connection's clock. */
export class Tracked {
  phase = FRESH;
  /** When the current request started (HEAD/BODY), or when the connection went idle. */
  since: number;
  /** Set when the connection should close as soon as it is idle (shutdown). */
  draining = false;

  constructor(readonly conn: Closable, readonly timedOut: (status: 408 | 0) => void, private readonly clock: Clock) {
    this.since = clock.now;
  }

  /** Bytes arrived: `headComplete` says whether the request's headers are all in. */
  receiving(headComplete: boolean): void {
    if (this.phase === IDLE || this.phase === BUSY || this.phase === FRESH) this.since = this.clock.now;
    this.phase = headComplete ? BODY : HEAD;
  }

  /** bytesWritten when the tracker last saw it move (BUSY with a sendTimeout). */
  written = -1;

  /** A complete request is being answered. */
  busy(): void {
    if (this.phase !== BUSY) this.since = this.clock.now;
    this.phase = BUSY;
  }

  /** Everything received has been answered: idle until the next byte. */
  idle(): void {
    this.phase = IDLE;
    this.since = this.clock.now;
  }

  get isIdle(): boolean {
    return this.phase === IDLE || this.phase === FRESH;
  }
}

export class ConnectionTracker {
  private readonly live = new Set<Tracked>();
  private readonly clock: Clock = { now: Date.now() };
  private readonly timer: NodeJS.Timeout;

  constructor(readonly timeouts: TimeoutOptions = NODE_TIMEOUTS) {
    const shortest = Math.min(timeouts.headersTimeout, timeouts.requestTimeout, timeouts.keepAliveTimeout,
                              timeouts.sendTimeout ?? Infinity);
    // Check often enough to be at most ~25 % late on the shortest timeout, at most every second.
    const every = Math.max(10, Math.min(1000, Math.floor(shortest / 4)));
    this.timer = setInterval(() => this.sweep(), every);
    this.timer.unref();
  }

  /** Start tracking `conn`; `timedOut(408)` should answer 408 and close, `timedOut(0)` just close. */
  add(conn: Closable, timedOut: (status: 408 | 0) => void): Tracked {
    const t = new Tracked(conn, timedOut, this.clock);
    this.live.add(t);
    return t;
  }

  remove(t: Tracked): void {
    this.live.delete(t);
  }

  get size(): number {
    return this.live.size;
  }

  private sweep(): void {
    const now = (this.clock.now = Date.now());
    const { headersTimeout, requestTimeout, keepAliveTimeout, sendTimeout } = this.timeouts;
    for (const t of this.live) {
      if (t.phase === BUSY && sendTimeout !== undefined) {
        const w = t.conn.bytesWritten ?? 0;
        if (w !== t.written) { // progress: the deadline moves
          t.written = w;
          t.since = now;
        } else if (now - t.since >= sendTimeout) {
          this.live.delete(t);
          t.timedOut(0);
        }
        continue;
      }
      const age = now - t.since;
      if (t.phase === IDLE ? age >= keepAliveTimeout
          : t.phase === FRESH ? age >= headersTimeout
          : t.phase === HEAD ? age >= headersTimeout || age >= requestTimeout
          : t.phase === BODY ? age >= requestTimeout : false) {
        this.live.delete(t);
        t.timedOut(t.phase === HEAD || t.phase === BODY ? 408 : 0);
      }
    }
  }

  /**
   * Graceful shutdown: idle connections close now, busy ones as soon as they are idle
   * (the caller checks `draining`), and after `graceMs` everything still open closes.
   * Resolves when `done` (the servers' own promises) settle or the grace period ends.
   */
  async drain(done: Promise<unknown>, graceMs: number): Promise<void> {
    for (const t of this.live) {
      t.draining = true;
      if (t.isIdle) void t.conn.close();
    }
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([done, grace]);
    clearTimeout(timer);
    clearInterval(this.timer);
    await Promise.allSettled([...this.live].map((t) => t.conn.close()));
  }
}

/** `--name N` as a number of milliseconds (>= 1), or `dflt`. */
export function msArg(argv: string[], name: string, dflt: number): number {
  const i = argv.indexOf(`--${name}`);
  if (i < 0 || i + 1 >= argv.length) return dflt;
  const v = Number(argv[i + 1]);
  if (!Number.isFinite(v) || v < 1) throw new RangeError(`--${name} must be a number of milliseconds >= 1`);
  return v;
}

/**
 * The timeouts from the command line (`--headers-timeout`, ...), node:http's defaults
 * otherwise; `--send-timeout` only where the server gives it a default (`sendTimeout`).
 */
export function timeoutArgs(argv: string[], sendTimeout?: number): TimeoutOptions {
  return {
    headersTimeout: msArg(argv, 'headers-timeout', NODE_TIMEOUTS.headersTimeout),
    requestTimeout: msArg(argv, 'request-timeout', NODE_TIMEOUTS.requestTimeout),
    keepAliveTimeout: msArg(argv, 'keep-alive-timeout', NODE_TIMEOUTS.keepAliveTimeout),
    sendTimeout: sendTimeout === undefined ? undefined : msArg(argv, 'send-timeout', sendTimeout),
  };
}
