/**
 * file_server [--root DIR] [--port N] [--host H] [--dotfiles ignore|deny|allow]: static
 * files under DIR (default: the current directory; printed at start) over HTTP/1.1, with the sockets on ringcore/net and the files on
 * ringcore/fs — every accept, recv, send, open, statx, read and close is an io_uring
 * request.  (Only the path checks of confine.ts — realpath and stat — go through
 * node:fs/promises: the kernel has no IORING_OP for realpath.)
 *
 * Per connection: one multishot RECV into the ring's provided buffers (stream.chunks())
 * feeding the incremental parser of examples/lib/http1.ts, as in http_server.  Per
 * request: the target is mapped to a file by examples/lib/confine.ts, the file is
 * opened ONCE (O_NOFOLLOW | O_NONBLOCK) and stat'ed through that handle (statx on the
 * fd, not on the path again): the size becomes Content-Length, and anything that is
 * not a regular file by then is 403.
 *
 * Bodies:
 *  - up to 64 KiB: read at once, and the response joins the other responses to the
 *    same read (pipelining) in one send;
 *  - larger: streamed in 64 KiB READs at explicit offsets, double-buffered — the read
 *    of block k+1 is in flight while block k is being sent with writeAll — so a 10 GiB
 *    file costs 128 KiB of memory, and a slow client holds back the reads (a block is
 *    read only once the one before it has been handed to the socket).  Meanwhile the
 *    connection's further pipelined bytes wait, unparsed, in the recv queue.
 * Keep-alive by default, `Connection: close` honoured, pipelined requests answered in
 * order: a request behind a large file waits until the last byte of that file has been
 * sent.  GET and HEAD (headers only, same Content-Length); any other method is 405
 * with `Allow: GET, HEAD`.  400 / 403 / 404 come from the confinement rules; parse
 * errors (400/413/431/501/505) are answered and the connection closed.  A file that
 * fails or shrinks while it is being sent closes the connection: its Content-Length
 * has gone out already, so closing is the only honest way to say "incomplete".
 *
 * What the original's file server got wrong: no path confinement at all — nothing kept
 * `GET /../../etc/passwd` (or its `%2e%2e` spellings, or a symlink inside the root
 * pointing anywhere) from reading any file the process could read.  Here a target
 * is percent-decoded once, `..` in any spelling is 400, empty segments are dropped (so
 * `//etc/passwd` is `<root>/etc/passwd`) and the realpath must stay under the root's
 * realpath (a symlink leading out is 403) — see examples/lib/confine.ts.  Opening the
 * resolved path with O_NOFOLLOW refuses a final symlink swapped in after the check,
 * and O_NONBLOCK keeps a FIFO swapped in from blocking the open; confinement is still
 * only as good as "nobody rewrites the tree concurrently" (see confine.ts).
 *
 * Try:  npm run example file_server -- --root . --port 8080
 *       curl -v localhost:8080/package.json        curl -I localhost:8080/README.md
 *       curl -v --path-as-is 'localhost:8080/../../etc/passwd'     (400)
 *       RINGCORE_TRACE=1 npm run example file_server -- --root .   then fetch a large
 *         file: the trace shows READ SQEs of 65536 bytes at offsets 0, 65536, ...
 *         each submitted in the same io_uring_enter as the SEND of the block before it;
 *         per request one OPENAT (flags O_NOFOLLOW|O_NONBLOCK|O_CLOEXEC = 0xa0800),
 *         one STATX on the fd, and ASYNC_CANCEL + CLOSE when it is done.
 * Dotfiles (`/.env`, `/.git/config`) are 404 unless `--dotfiles allow` (or 403 with
 * `deny`), as serve-static does by default.  Timeouts and shutdown as in http_server
 * (examples/lib/lifecycle.ts): --headers-timeout, --request-timeout,
 * --keep-alive-timeout with node:http's defaults; SIGINT/SIGTERM stop accepting, close
 * idle connections, let responses being sent finish, and after --grace 10000 ms close
 * the rest.
 *
 * It prints `listening on http://HOST:PORT (root DIR)`; `--port 0` picks a port.
 */
import path from 'node:path';
import { constants as C } from 'node:fs';
import { TcpListener, type TcpStream } from 'ringcore/net';
import { open, type FileHandle } from 'ringcore/fs';
import { defaultRing } from 'ringcore';
import { RequestParser, errorResponse, reasonPhrase, response, type ParsedRequest } from './lib/http1.js';
import { contentType, resolveUnderRoot, type DotfilesPolicy } from './lib/confine.js';
import { ConnectionTracker, msArg, timeoutArgs } from './lib/lifecycle.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}

const root = path.resolve(arg('root', '.'));
const port = Number(arg('port', '8080'));
const host = arg('host', '127.0.0.1');
const dotfiles = arg('dotfiles', 'ignore') as DotfilesPolicy;
if (!['ignore', 'deny', 'allow'].includes(dotfiles)) {
  process.stderr.write(`file_server: --dotfiles must be ignore, deny or allow\n`);
  process.exit(2);
}
const tracker = new ConnectionTracker(timeoutArgs(process.argv));
const graceMs = msArg(process.argv, 'grace', 10_000);
const TIMEOUT_408 = errorResponse(408);

/** Read size for streamed bodies; also the largest body sent in one piece with its head. */
const BLOCK = 64 * 1024;
/** Responses batched for one send are flushed once they pass this size. */
const BATCH_LIMIT = 256 * 1024;
/** O_NONBLOCK: opening a FIFO would otherwise wait for a writer; no effect on regular files.  (OPENAT adds O_CLOEXEC.) */
const OPEN_FLAGS = C.O_RDONLY | C.O_NOFOLLOW | C.O_NONBLOCK;

const ALLOW = 'GET, HEAD';
const TEXT = 'text/plain; charset=utf-8';

function statusResponse(status: number, keepAlive: boolean, extra: Record<string, string> = {}): Buffer {
  return response(status, { ...extra, 'Content-Type': TEXT }, `${status} ${reasonPhrase(status)}\n`, { keepAlive });
}

/** What the open of a resolved path failing means for the client. */
function openErrorStatus(e: unknown): number {
  const code = (e as { code?: string }).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return 404; // removed since the check
  if (code === 'EACCES' || code === 'EPERM' || code === 'ELOOP' || code === 'EISDIR') return 403; // ELOOP: O_NOFOLLOW met a symlink
  return 500;
}

/**
 * Start a lazy ring request now (its SQE goes into this turn's submit).  Marked as
 * handled at once: it may fail while the caller is still awaiting a send, and is
 * awaited (or abandoned on an error) later.
 */
function started<T>(op: PromiseLike<T>): Promise<T> {
  const p = new Promise<T>((resolve, reject) => op.then(resolve, reject));
  p.then(undefined, () => {});
  return p;
}

class Truncated extends Error {
  constructor(file: string, at: number, size: number) {
    super(`${file}: end of file at ${at} of ${size} bytes (changed while being sent)`);
  }
}

/** Exactly `length` bytes at `position` into `buf` (a regular file reads short only at EOF). */
async function readExactly(fh: FileHandle, file: string, buf: Buffer, length: number, position: number, size: number): Promise<void> {
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, position + got);
    if (bytesRead === 0) throw new Truncated(file, position + got, size);
    got += bytesRead;
  }
}

/** Per-connection state: the parser, responses waiting to be sent, the two stream buffers. */
class Connection {
  readonly parser = new RequestParser();
  private out: Buffer[] = [];
  private outBytes = 0;
  private blocks: [Buffer, Buffer] | undefined = undefined;

  constructor(readonly conn: TcpStream) {}

  queue(b: Buffer): void {
    this.out.push(b);
    this.outBytes += b.length;
  }

  /** Send what is queued, in order, as one write. */
  async flush(): Promise<void> {
    if (this.out.length === 0) return;
    const b = this.out.length === 1 ? this.out[0] : Buffer.concat(this.out, this.outBytes);
    this.out = [];
    this.outBytes = 0;
    await this.conn.writeAll(b);
  }

  /** Answer one request: queued, or (large GET) sent right away after what was queued before it. */
  async answer(req: ParsedRequest): Promise<void> {
    const keepAlive = req.keepAlive;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      this.queue(statusResponse(405, keepAlive, { Allow: ALLOW }));
      return;
    }
    let resolved;
    try {
      resolved = await resolveUnderRoot(root, req.pathname, dotfiles);
    } catch (e) {
      // The root itself has become unusable (removed, replaced by a file).
      process.stderr.write(`file_server: ${(e as Error).message}\n`);
      this.queue(statusResponse(500, keepAlive));
      return;
    }
    if ('status' in resolved) {
      this.queue(statusResponse(resolved.status, keepAlive));
      return;
    }
    const file = resolved.path;
    let fh: FileHandle;
    try {
      fh = await open(file, OPEN_FLAGS);
    } catch (e) {
      this.queue(statusResponse(openErrorStatus(e), keepAlive));
      return;
    }
    try {
      let size: number;
      let head: Buffer;
      try {
        const st = await fh.stat(); // statx on the fd: the file we opened, whatever the path names now
        if (!st.isFile()) {
          this.queue(statusResponse(403, keepAlive));
          return;
        }
        size = st.size;
        head = response(200, { 'Content-Type': contentType(file), 'Content-Length': size }, undefined, { keepAlive });
        if (req.method === 'HEAD') {
          this.queue(head);
          return;
        }
        if (size <= BLOCK) {
          const body = Buffer.allocUnsafe(size);
          await readExactly(fh, file, body, size, 0, size);
          this.queue(head);
          this.queue(body);
          return;
        }
      } catch (e) {
        // Nothing of this response has gone out yet: it can still be an honest 500.
        process.stderr.write(`file_server: ${(e as Error).message}\n`);
        this.queue(statusResponse(500, keepAlive));
        return;
      }
      // A large GET.  Everything queued before it goes first, with its head in the
      // same send; an error from here on closes the connection (see serve()).
      this.queue(head);
      await this.stream(fh, file, size);
    } finally {
      await fh.close();
    }
    if (this.outBytes >= BATCH_LIMIT) await this.flush();
  }

  /**
   * The queued responses (ending with this file's head), then the body of a large
   * file: 64 KiB READs at explicit offsets, each next one in flight while the block
   * before it is being sent (the first one while the head is).
   */
  private async stream(fh: FileHandle, file: string, size: number): Promise<void> {
    const blocks = (this.blocks ??= [Buffer.allocUnsafeSlow(BLOCK), Buffer.allocUnsafeSlow(BLOCK)]);
    let which = 0;
    let pos = 0;
    // On an error (a failed send, a read error, a file that shrank) the read still in
    // flight, if any, is cancelled by the caller's fh.close(); the blocks stay
    // referenced by it until its CQE, and the connection is closed.
    let reading = started(fh.read(blocks[0], 0, Math.min(BLOCK, size), 0));
    await this.flush();
    while (pos < size) {
      const n = (await reading).bytesRead;
      if (n === 0) throw new Truncated(file, pos, size);
      const block = blocks[which];
      const next = pos + n;
      if (next < size) {
        which ^= 1;
        reading = started(fh.read(blocks[which], 0, Math.min(BLOCK, size - next), next));
      }
      await this.conn.writeAll(n === block.length ? block : block.subarray(0, n));
      pos = next;
    }
  }
}

async function serve(conn: TcpStream): Promise<void> {
  const c = new Connection(conn);
  let close = false;
  const clock = tracker.add(conn, (status) => {
    if (status === 408) void conn.write(TIMEOUT_408).then(() => conn.close(), () => conn.close());
    else void conn.close();
  });
  try {
    for await (const chunk of conn.zeroCopyChunks()) {
      c.parser.push(chunk); // copies: the chunk's buffer goes back to the kernel next turn
      for (let r = c.parser.next(); r !== null; r = c.parser.next()) {
        clock.busy();
        if (r.kind === 'error') {
          c.queue(errorResponse(r));
          close = true;
          break;
        }
        await c.answer(r);
        if (!r.keepAlive) {
          close = true;
          break;
        }
      }
      await c.flush();
      if (close) break;
      if (c.parser.buffered === 0) {
        if (clock.draining) break; // shutting down: this connection is idle now
        clock.idle();
      } else {
        clock.receiving(c.parser.headComplete);
      }
    }
  } catch (e) {
    const code = (e as { code?: string }).code;
    // A client that resets or vanishes is ordinary life for a server; so is a
    // connection closed under us by a timeout or the shutdown.
    const quiet = code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECANCELED' || code === 'EBADF';
    if (!quiet) process.stderr.write(`file_server: ${(e as Error).message}\n`);
  } finally {
    tracker.remove(clock);
    await conn.close();
  }
}

try {
  await resolveUnderRoot(root, '/', 'allow'); // throws for a missing root or one that is not a directory
} catch (e) {
  process.stderr.write(`file_server: bad --root: ${(e as Error).message}\n`);
  process.exit(1);
}

const listener = await TcpListener.bind({ port, host });
console.log(`listening on http://${host.includes(':') ? `[${host}]` : host}:${listener.port} (root ${root})`);

const stop = new AbortController();
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => stop.abort());
}
const serving = new Set<Promise<void>>();
try {
  for await (const conn of listener.incoming({ signal: stop.signal })) {
    const p = serve(conn);
    serving.add(p);
    void p.finally(() => serving.delete(p));
  }
} catch (e) {
  if ((e as Error).name !== 'AbortError') throw e;
} finally {
  await listener.close();
  await tracker.drain(Promise.allSettled([...serving]), graceMs);
  process.stderr.write(`file_server: stopped; ring stats ${JSON.stringify(defaultRing().stats())}\n`);
}
