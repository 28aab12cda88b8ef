/**
 * The echo server (see echo.ts) on an SQPOLL ring: submitting without system calls.
 *
 *     npm run example sqpoll [-- --port N] [--once] [--delay MS] [--self-test]
 *
 * `new Ring({ sqpoll: { idleMs: 50 } })` sets the ring up with IORING_SETUP_SQPOLL: a
 * kernel thread polls the submission queue and takes every SQE we publish by
 * itself, so submitting costs no io_uring_enter — as long as that thread is awake.
 * After `idleMs` (here 50 ms) without work it goes to sleep and sets
 * IORING_SQ_NEED_WAKEUP in the SQ ring's flags; from then on, SQEs we publish sit in
 * the ring unseen until we io_uring_enter with IORING_ENTER_SQ_WAKEUP.  The ring
 * checks the flag after every publish (src/runtime/ring.ts, enterAndReap) and
 * enters only then: an enter here means "the SQ thread had to be woken".
 * The ring is passed as `{ ring }` to `TcpListener.bind()`, and every stream the
 * listener accepts runs on it too.
 *
 * When is the thread asleep?  A completion wakes it too (it runs the request's
 * completion work, and that restarts its idle period), so in a plain echo loop the
 * SEND written right after a RECV completes finds it awake, even after the client
 * was quiet for a long time: no enter at all.  It is asleep when the program submits
 * on its own after more than idleMs of silence: the first requests after setup, a
 * shutdown after a quiet spell, a timer-driven write — or a reply computed for longer
 * than idleMs, which `--delay MS` simulates (each echo is sent MS ms after its read).
 *
 * What the original Rust RingCore got wrong: it never looked at NEED_WAKEUP.  Once
 * the thread had slept, the next request — typically the first echo of a new or
 * quiet connection — was never submitted: "the first echo sometimes never came".
 * Here the echo comes back whatever the pauses (--self-test checks it).  Its README
 * also said SQPOLL needs sudo: it needs no privilege since Linux 5.13 (before that:
 * CAP_SYS_ADMIN, or CAP_SYS_NICE from 5.11); this example runs as any user.
 *
 * Output: the address it listens on (`listening on 127.0.0.1:PORT`), a line per
 * connection, and a line each time an echo needed an io_uring_enter to wake the SQ
 * thread (after the client was quiet for more than idleMs).  On SIGINT/SIGTERM — or
 * with --once after the first connection closes — it closes the listener and the
 * streams and prints the ring's stats: far fewer io_uring_enter calls than SQEs
 * (busy traffic: none; each wake-up: one).  --self-test connects its own client
 * (node:net, not on the ring), sends three messages with pauses of 3 × idleMs
 * between them, checks that each echo came back (and, with --delay above idleMs,
 * that each one had to wake the SQ thread), then shuts down (exit code 1 if not).
 *
 * Try it by hand:
 *
 *     npm run example sqpoll -- --port 7000
 *     nc 127.0.0.1 7000      # type a line, wait a second, type another: each comes back
 *     npm run example sqpoll -- --self-test                # echoes after pauses, no wake-up
 *     npm run example sqpoll -- --self-test --delay 150    # every echo wakes the thread
 *
 * What to look for: in the stats `enters` much smaller than `sqesSubmitted`, and with
 * --delay above idleMs an "SQ thread was asleep" line per echo.  With
 * RINGCORE_TRACE=1 every io_uring_enter line shows to_submit=0 and flags=0x2
 * (IORING_ENTER_SQ_WAKEUP) and comes only after a silence longer than idleMs; SQEs
 * written while the thread is awake have no enter at all.  The SQ thread itself
 * shows up as `iou-sqp-<pid>` in `ps -eLf`.
 */
import net from 'node:net';
import { inspect } from 'node:util';
import { constants, Ring, type RingError } from 'ringcore';
import { TcpListener, type TcpStream } from 'ringcore/net';

const IDLE_MS = 50;

function usage(msg?: string): never {
  if (msg) console.error(msg);
  console.error('usage: npm run example sqpoll -- [--port N] [--once] [--delay MS] [--self-test]');
  process.exit(2);
}

let port = 0;
let once = false;
let selfTest = false;
let delayMs = 0;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--once') once = true;
  else if (a === '--self-test') selfTest = true;
  else if (a === '--delay') {
    delayMs = Number(argv[++i]);
    if (!Number.isFinite(delayMs) || delayMs < 0) usage(`--delay: milliseconds >= 0, got '${argv[i]}'`);
  }
  else if (a === '--port') {
    port = Number(argv[++i]);
    if (!Number.isInteger(port) || port < 0 || port > 65535) usage(`--port: an integer 0..65535, got '${argv[i]}'`);
  } else usage(`unknown argument '${a}'`);
}

const ring = new Ring({ sqpoll: { idleMs: IDLE_MS } });
if ((ring.setupFlags & constants.Setup.SQPOLL) === 0) throw new Error('the ring has no SQPOLL'); // never: no fallback
console.log(`SQPOLL ring: fd ${ring.fd}, setup flags 0x${ring.setupFlags.toString(16)}, ` +
  `sq_thread_idle ${IDLE_MS} ms, running as uid ${process.getuid?.()}`);

const listener = await TcpListener.bind({ port, ring }).catch((e: Error): never => {
  console.error(`sqpoll: ${e.message}`); // e.g. listen EADDRINUSE
  process.exit(1);
});
console.log(`listening on ${listener.address}:${listener.port}`);

const streams = new Set<TcpStream>();
const tasks = new Set<Promise<void>>();
let stopping = false;
let served = 0;
let wakeEchoes = 0;

async function serve(stream: TcpStream): Promise<void> {
  const peer = stream.remoteAddress;
  const who = peer ? `${peer.address}:${peer.port}` : `fd ${stream.fd}`; // (getpeername fails once reset)
  console.log(`${who}: connected (fd ${stream.fd})`);
  const buf = Buffer.allocUnsafe(64 * 1024);
  let echoed = 0;
  let why = 'closed by the client';
  let last = performance.now();
  try {
    for (;;) {
      const n = await stream.read(buf);
      if (n === 0) break;
      const quiet = performance.now() - last;
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs)); // "computing the reply"
      const enters = ring.stats().enters;
      await stream.writeAll(buf.subarray(0, n));
      const woke = ring.stats().enters - enters;
      if (woke > 0) {
        wakeEchoes++;
        console.log(`${who}: echoed ${n} bytes (client quiet ${quiet.toFixed(0)} ms, reply delayed ${delayMs} ms): ` +
          `the SQ thread was asleep (NEED_WAKEUP), ${woke} io_uring_enter(SQ_WAKEUP) woke it`);
      }
      echoed += n;
      last = performance.now();
    }
  } catch (e) {
    const code = (e as RingError).code;
    if (stopping && (code === 'ECANCELED' || code === 'EBADF')) why = 'closed by the server (shutting down)';
    else why = `error: ${(e as Error).message}`;
  } finally {
    await stream.close();
  }
  console.log(`${who}: ${why}; echoed ${echoed} bytes`);
}

async function acceptLoop(): Promise<void> {
  while (!stopping) {
    let stream: TcpStream;
    try {
      stream = await listener.accept();
    } catch (e) {
      if (stopping) return;
      throw e;
    }
    served++;
    streams.add(stream);
    const task = serve(stream).finally(() => {
      streams.delete(stream);
      tasks.delete(task);
      if (once || selfTest) void shutdown(selfTest ? '--self-test: the client closed' : '--once: the first connection closed');
    });
    tasks.add(task);
    if (once || selfTest) return;
  }
}

let stopped: Promise<void> | undefined;
function shutdown(reason: string): Promise<void> {
  stopped ??= (async () => {
    stopping = true;
    console.log(`${reason}: closing the listener and ${streams.size} open connection(s)`);
    await listener.close();
    await Promise.all([...streams].map((s) => s.close()));
    await Promise.all([...tasks]);
    await accepting;
    const s = ring.stats();
    console.log(`served ${served} connection(s); ${wakeEchoes} echo(es) had to wake the SQ thread`);
    console.log(`${s.sqesSubmitted} SQEs submitted with ${s.enters} io_uring_enter calls ` +
      `(${(s.sqesSubmitted / Math.max(1, s.enters)).toFixed(1)} SQEs per enter)`);
    console.log('ring stats:', inspect(s, { breakLength: Infinity }));
    if (s.inFlight !== 0 || s.staleCqes !== 0) {
      console.error('FAIL: requests still in flight or stale CQEs after shutdown');
      process.exitCode = 1;
    }
    await ring.close();
  })();
  return stopped;
}

process.once('SIGINT', () => void shutdown('SIGINT'));
process.once('SIGTERM', () => void shutdown('SIGTERM'));

const accepting = acceptLoop().catch((e) => {
  console.error(`accept failed: ${(e as Error).message}`);
  process.exitCode = 1;
  void shutdown('accept failed');
});

/** --self-test: a node:net client that pauses longer than idleMs between messages. */
async function client(): Promise<void> {
  const sock = net.connect({ port: listener.port, host: listener.address });
  await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject));
  let got = '';
  sock.on('data', (d) => (got += d.toString()));
  const ok: boolean[] = [];
  for (let i = 1; i <= 3; i++) {
    const msg = `message ${i} after ${i === 1 ? 0 : 3 * IDLE_MS} ms\n`;
    const want = got + msg;
    sock.write(msg);
    const t = performance.now();
    while (got !== want && performance.now() - t < 2000 + delayMs) await new Promise((r) => setTimeout(r, 5));
    ok.push(got === want);
    console.log(`client: ${got === want ? 'echo came back' : 'NO ECHO within 2 s'}: ${JSON.stringify(msg)}`);
    await new Promise((r) => setTimeout(r, 3 * IDLE_MS)); // the SQ thread falls asleep
  }
  sock.end();
  if (!ok.every(Boolean)) {
    console.error(`FAIL: every echo must come back (${ok.filter(Boolean).length}/3)`);
    process.exitCode = 1;
  }
  // A reply delayed past idleMs finds the thread asleep: if it came back, the ring
  // woke the thread; the count shows it did so for each of them.
  if (delayMs > 2 * IDLE_MS && wakeEchoes < 3) {
    console.error(`FAIL: with --delay ${delayMs} every echo should have woken the SQ thread (${wakeEchoes}/3)`);
    process.exitCode = 1;
  }
}

if (selfTest) {
  client().catch((e) => {
    console.error(`client: ${(e as Error).message}`);
    process.exitCode = 1;
    void shutdown('--self-test failed');
  });
}
