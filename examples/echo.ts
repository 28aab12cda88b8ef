/**
 * A TCP echo server: every byte a client sends comes back to it.
 *
 *     npm run example echo [-- --port N] [--host H] [--once]
 *
 * `TcpListener.bind()` is socket → setsockopt(SO_REUSEADDR) → bind → listen, each a
 * ring request; then one task accepts (one IORING_OP_ACCEPT per connection) and
 * starts a task per connection that loops: IORING_OP_RECV into its own 64 KiB buffer,
 * then `writeAll` of exactly what was read (IORING_OP_SEND, repeated while a send is
 * short).  Connections are served concurrently: their requests share the ring, and
 * every request written during one event-loop turn goes to the kernel in that turn's
 * single io_uring_enter.  A read of 0 is the client's FIN: the server closes its side.
 *
 * It prints the address it listens on (`listening on 127.0.0.1:PORT`; --port 0, the
 * default, picks a free port), a line per connection, and runs until SIGINT/SIGTERM:
 * then it closes the listener (the pending ACCEPT is cancelled), closes every open
 * stream (each close cancels the stream's pending RECV first, which rejects with
 * ECANCELED, and only then closes the fd), waits for every connection task and
 * prints the ring's stats.  With --once it does the same by itself as soon as the
 * first connection has closed (handy for scripts and tests).
 *
 * --workers N: N threads (the main one and N - 1 worker threads), each with its own
 * ring and its own SO_REUSEPORT listener on the same port (examples/lib/workers.ts):
 * the kernel spreads connections over the listeners, nothing else is shared.  SIGINT/
 * SIGTERM reach the main thread, which stops every worker; each drains as above, and
 * the main thread prints the connections each thread served.  (--once is per thread.)
 *
 * What the original Rust RingCore got wrong: sockets were closed synchronously with
 * operations still in flight on them, and an in-flight read dropped with its future
 * let the kernel write into freed memory; here a closing stream cancels its requests
 * first and a buffer stays referenced until its request's last CQE.  Its TCP was
 * IPv4 only (`--host ::1` works here) and its listen backlog was 128, so the kernel
 * dropped SYNs under 200 simultaneous connects (here: net.core.somaxconn).
 *
 * Try it:
 *
 *     npm run example echo -- --port 7000
 *     echo hello | nc -N 127.0.0.1 7000          # (or: nc -q1 / ncat --send-only)
 *
 * What to look for: with RINGCORE_TRACE=1 a connection is one ACCEPT CQE (res = the
 * new fd), then RECV/SEND pairs on that fd, a RECV CQE with res=0 when the client
 * closes, and a CLOSE; on Ctrl-C, ASYNC_CANCEL SQEs naming the listener's and the
 * streams' fds, then ACCEPT/RECV CQEs with res=-125 ECANCELED.  The final stats
 * show inFlight: 0 and staleCqes: 0.
 */
import { inspect } from 'node:util';
import { defaultRing, sleep, type RingError } from 'ringcore';
import { TcpListener, type TcpStream } from 'ringcore/net';
import { inWorker, startWorkers, workerContext, workerCount } from './lib/workers.js';

function usage(msg?: string): never {
  if (msg) console.error(msg);
  console.error('usage: npm run example echo -- [--port N] [--host H] [--once] [--workers N]');
  process.exit(2);
}

// In a worker thread (--workers N): the main thread's command line, and its port.
const worker = inWorker() ? workerContext() : undefined;
const whole = worker?.data.argv ?? process.argv;
let port = 0;
let host = '127.0.0.1';
let once = false;
let threads = 1;
const argv = whole.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--once') once = true;
  else if (a === '--workers') {
    try {
      threads = workerCount(argv);
    } catch (e) {
      usage((e as Error).message);
    }
    i++;
  }
  else if (a === '--port') {
    port = Number(argv[++i]);
    if (!Number.isInteger(port) || port < 0 || port > 65535) usage(`--port: an integer 0..65535, got '${argv[i]}'`);
  } else if (a === '--host') {
    host = argv[++i] ?? usage('--host needs a value');
  } else usage(`unknown argument '${a}'`);
}

/** `addr:port`, with IPv6 addresses in brackets. */
function hostPort(address: string, p: number): string {
  return address.includes(':') ? `[${address}]:${p}` : `${address}:${p}`;
}

const ring = defaultRing();
// With --workers N the main thread binds first, so that --port 0 picks the one port
// every thread then binds with SO_REUSEPORT.
const listener = await TcpListener.bind({ port: worker?.data.port ?? port, host, reusePort: threads > 1 })
  .catch((e: Error): never => {
    console.error(`echo: ${e.message}`); // e.g. listen EADDRINUSE, getaddrinfo ENOTFOUND
    process.exit(1);
  });
const others = worker === undefined && threads > 1
  ? startWorkers(new URL(import.meta.url), threads, { port: listener.port, argv: process.argv })
  : undefined;
if (worker === undefined) {
  // Announce the port once every thread listens on it; a thread that could not: stop.
  await others?.ready.catch(async (e: Error) => {
    console.error(`echo: ${e.message}`);
    await others.stop();
    await listener.close();
    process.exit(1);
  });
  console.log(`listening on ${hostPort(listener.address, listener.port)}${threads > 1 ? ` (${threads} threads)` : ''}`);
}

const streams = new Set<TcpStream>();
const tasks = new Set<Promise<void>>();
let stopping = false;
let served = 0;

/** One connection: read, write back what was read, until the client's FIN. */
async function serve(stream: TcpStream): Promise<void> {
  const peer = stream.remoteAddress;
  const who = peer ? hostPort(peer.address, peer.port) : `fd ${stream.fd}`; // (getpeername fails once reset)
  console.log(`${who}: connected (fd ${stream.fd})`);
  const buf = Buffer.allocUnsafe(64 * 1024);
  let echoed = 0;
  let why = 'closed by the client';
  try {
    for (;;) {
      const n = await stream.read(buf);
      if (n === 0) break; // FIN
      await stream.writeAll(buf.subarray(0, n));
      echoed += n;
    }
  } catch (e) {
    const code = (e as RingError).code;
    if (stopping && (code === 'ECANCELED' || code === 'EBADF')) why = 'closed by the server (shutting down)';
    else why = `error: ${(e as Error).message}`; // ECONNRESET, EPIPE: the client went away
  } finally {
    await stream.close();
  }
  console.log(`${who}: ${why}; echoed ${echoed} bytes`);
}

/** Transient accept failures (out of fds, a connection reset before we took it). */
const TRANSIENT = new Set(['EMFILE', 'ENFILE', 'ENOBUFS', 'ENOMEM', 'ECONNABORTED', 'EPROTO']);

async function acceptLoop(): Promise<void> {
  while (!stopping) {
    let stream: TcpStream;
    try {
      stream = await listener.accept();
    } catch (e) {
      if (stopping) return; // the listener closed under the pending ACCEPT: ECANCELED
      const code = (e as RingError).code;
      if (!TRANSIENT.has(code)) throw e;
      console.error(`accept: ${code}, retrying`);
      await sleep(10);
      continue;
    }
    served++;
    streams.add(stream);
    const task = serve(stream).finally(() => {
      streams.delete(stream);
      tasks.delete(task);
      if (once) void shutdown('--once: the first connection closed');
    });
    tasks.add(task);
    if (once) return; // take only the first connection
  }
}

let stopped: Promise<void> | undefined;
function shutdown(reason: string): Promise<void> {
  stopped ??= (async () => {
    stopping = true;
    console.log(`${reason}: closing the listener and ${streams.size} open connection(s)`);
    await listener.close();
    const othersStopped = others?.stop(); // the other threads drain in parallel with this one
    await Promise.all([...streams].map((s) => s.close()));
    await Promise.all([...tasks]);
    await accepting;
    const s = ring.stats();
    const othersServed = await othersStopped;
    if (othersServed !== undefined) console.log(`connections per thread ${JSON.stringify([served, ...othersServed])}`);
    else if (worker === undefined) console.log(`served ${served} connection(s)`);
    if (worker === undefined) console.log('ring stats:', inspect(s, { breakLength: Infinity }));
    if (s.inFlight !== 0 || s.staleCqes !== 0) {
      console.error('FAIL: requests still in flight or stale CQEs after shutdown');
      process.exitCode = 1;
    }
    await ring.close();
    worker?.report(served);
  })();
  return stopped;
}

if (worker !== undefined) {
  worker.stop.addEventListener('abort', () => void shutdown('stop'), { once: true });
  worker.ready();
} else {
  // once(): a second Ctrl-C gets the default action (terminate) if shutdown hangs.
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

const accepting = acceptLoop().catch((e) => {
  console.error(`accept failed: ${(e as Error).message}`);
  process.exitCode = 1;
  void shutdown('accept failed');
});
