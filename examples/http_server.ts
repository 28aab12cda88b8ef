/**
 * http_server [--port N] [--host H]: HTTP/1.1 "Hello, World!" on ringcore/net — the
 * original's high-concurrency benchmark server, correct this time.
 *
 * One multishot ACCEPT for all connections (listener.incoming()); per connection ONE
 * multishot RECV into the ring's provided buffers (stream.chunks()), an incremental
 * parser (examples/lib/http1.ts) and one SEND per batch of responses.  So a
 * keep-alive request costs the ring one CQE in and one SQE+CQE out, and everything
 * every connection wrote during a loop turn leaves in that turn's single
 * io_uring_enter.
 *
 * HTTP behaviour: keep-alive by default (HTTP/1.1), `Connection: close` honoured (the
 * server closes after that response), pipelined requests answered in order (all the
 * responses to one read go out in one send), requests split across reads, 400 for
 * garbage, 431 past an 8 KiB header block, 505 for other HTTP versions — each error
 * answered and the connection closed, since the stream can no longer be framed.
 * HEAD gets the headers only.
 *
 * What the original got wrong: listen backlog 128 (the kernel dropped SYNs under 200
 * simultaneous connects and clients waited out a 1 s retry: `nstat -az
 * TcpExtListenOverflows`); IPv4 only.  Here the backlog is net.core.somaxconn.
 *
 * Timeouts, as node:http has them and with its defaults (examples/lib/lifecycle.ts):
 * --headers-timeout 60000, --request-timeout 300000, --keep-alive-timeout 5000 (ms).
 * A client that drips a request is answered 408 and closed; an idle keep-alive
 * connection is closed.  SIGINT/SIGTERM: stop accepting, close idle connections, let
 * requests being answered finish, and after --grace 10000 ms close the rest; then exit.
 *
 * --workers N: N threads (the main one and N - 1 workers), each with its own ring and
 * its own SO_REUSEPORT listener on the same port (examples/lib/workers.ts); SIGTERM
 * drains them all, and the stop line reports the connections each one served.
 *
 * Try:  npm run example http_server -- --port 8080   then   curl -v localhost:8080/
 *       RINGCORE_TRACE=1 npm run example http_server    (every SQE and CQE)
 * It prints the address it listens on (--port-json: {"port":N}, and it stops when
 * stdin closes); it prints ring stats when it stops.
 */
import { TcpListener, type TcpStream } from 'ringcore/net';
import { defaultRing } from 'ringcore';
import { RequestParser, errorResponse, helloResponse, type ParsedRequest } from './lib/http1.js';
import { ConnectionTracker, msArg, timeoutArgs } from './lib/lifecycle.js';
import { inWorker, startWorkers, workerContext, workerCount } from './lib/workers.js';

// In a worker thread (--workers N), the main thread's command line and port.
const worker = inWorker() ? workerContext() : undefined;
const argv = worker?.data.argv ?? process.argv;

function arg(name: string, dflt: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
}

const port = worker?.data.port ?? Number(arg('port', '8080'));
const host = arg('host', '127.0.0.1');
const threads = workerCount(argv);
const tracker = new ConnectionTracker(timeoutArgs(argv));
const graceMs = msArg(argv, 'grace', 10_000);
const TIMEOUT_408 = errorResponse(408);

/** The response to one request: the cached hello world, or its head for HEAD. */
const headOnly = new Map<boolean, Buffer>();
function answer(req: ParsedRequest): Buffer {
  const full = helloResponse(req.keepAlive);
  if (req.method !== 'HEAD') return full;
  let h = headOnly.get(req.keepAlive);
  if (h === undefined) {
    h = full.subarray(0, full.indexOf('\r\n\r\n') + 4);
    headOnly.set(req.keepAlive, h);
  }
  return h;
}

async function serve(conn: TcpStream): Promise<void> {
  const parser = new RequestParser();
  const out: Buffer[] = [];
  let close = false;
  const clock = tracker.add(conn, (status) => {
    // Overstayed a timeout: a started request gets its 408, then the connection goes.
    if (status === 408) void conn.write(TIMEOUT_408).then(() => conn.close(), () => conn.close());
    else void conn.close();
  });
  try {
    for await (const chunk of conn.zeroCopyChunks()) {
      parser.push(chunk); // copies: the chunk's buffer goes back to the kernel next turn
      for (let r = parser.next(); r !== null; r = parser.next()) {
        if (r.kind === 'error') {
          out.push(errorResponse(r));
          close = true;
          break;
        }
        out.push(answer(r));
        if (!r.keepAlive) {
          close = true;
          break;
        }
      }
      if (out.length > 0) {
        clock.busy();
        // One send for everything this read asked for; a short send (a full socket
        // buffer) finishes with writeAll.
        const data = out.length === 1 ? out[0] : Buffer.concat(out);
        out.length = 0;
        const n = await conn.write(data);
        if (n < data.length) await conn.writeAll(data.subarray(n));
      }
      if (close) break;
      if (parser.buffered === 0) {
        if (clock.draining) break; // shutting down: this connection is idle now
        clock.idle();
      } else {
        clock.receiving(parser.headComplete);
      }
    }
  } catch (e) {
    const code = (e as { code?: string }).code;
    // A client that resets or vanishes is ordinary life for a server; so is a
    // connection closed under us (a timeout, the shutdown).
    if (code !== 'ECONNRESET' && code !== 'EPIPE' && code !== 'ECANCELED' && code !== 'EBADF') {
      process.stderr.write(`http_server: ${(e as Error).message}\n`);
    }
  } finally {
    tracker.remove(clock);
    await conn.close();
  }
}

// With --workers N, every thread has its own listener on the port (SO_REUSEPORT);
// the main thread binds first, so that --port 0 picks the one port they all share.
const listener = await TcpListener.bind({ port, host, reusePort: threads > 1 });
const stop = new AbortController();
let served = 0;
const others = worker === undefined && threads > 1
  ? startWorkers(new URL(import.meta.url), threads, { port: listener.port, argv: process.argv })
  : undefined;
if (worker !== undefined) {
  worker.stop.addEventListener('abort', () => stop.abort(), { once: true });
  worker.ready();
} else {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => stop.abort());
  }
  // Announce the port once every thread listens on it; a thread that could not: stop.
  await others?.ready.catch(async (e: Error) => {
    process.stderr.write(`http_server: ${e.message}\n`);
    await others.stop();
    await listener.close();
    process.exit(1);
  });
  if (argv.includes('--port-json')) {
    // For bench/http.ts: the port as JSON on the first line; stop when stdin closes.
    console.log(JSON.stringify({ port: listener.port }));
    process.stdin.on('end', () => stop.abort()).resume();
  } else {
    console.log(`listening on http://${host.includes(':') ? `[${host}]` : host}:${listener.port}` +
                (threads > 1 ? ` (${threads} threads)` : ''));
  }
}
const serving = new Set<Promise<void>>();
try {
  for await (const conn of listener.incoming({ signal: stop.signal })) {
    served++;
    const p = serve(conn);
    serving.add(p);
    void p.finally(() => serving.delete(p));
  }
} catch (e) {
  if ((e as Error).name !== 'AbortError') throw e;
} finally {
  await listener.close();
  const othersServed = others?.stop(); // in parallel with our own drain
  await tracker.drain(Promise.allSettled([...serving]), graceMs);
  if (worker !== undefined) {
    worker.report(served);
  } else {
    const perThread = [served, ...(await othersServed ?? [])];
    process.stdin.destroy(); // --port-json listens to it
    process.stderr.write(`http_server: stopped; ${threads > 1 ? `connections per thread ${JSON.stringify(perThread)}; ` : ''}` +
                         `ring stats ${JSON.stringify(defaultRing().stats())}\n`);
  }
}
