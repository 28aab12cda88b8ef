/**
 * file_server [--root DIR] [--port N] [--host H] [--dotfiles ignore|deny|allow]
 *             [--cache-valid MS] [--cache-max N] [--cache-inactive MS] [--no-index] [--precompressed]
 *             [--no-symlinks] [--send-timeout MS]:
 * a static file server for DIR (default: the current directory; printed at start)
 * over HTTP/1.1, with the sockets on ringcore/net and the files on the ring — every
 * accept, recv, send, openat2, statx, read and close is an io_uring request, and the
 * request path never touches libuv's thread pool.
 *
 * Per connection: one multishot RECV into the ring's provided buffers feeding the
 * incremental parser of examples/lib/http1-parser.ts, as in http_server.  Per request:
 *
 *  1. the target becomes a path relative to the root (examples/lib/confine.ts:
 *     decoding, `..` in every spelling 400, dotfiles 404);
 *  2. the open-file cache (examples/lib/file-cache.ts, like nginx's open_file_cache)
 *     answers with the open fd, its statx and — for files up to 64 KiB — the content;
 *     on a miss the name is opened BENEATH the root fd (IORING_OP_OPENAT2 with
 *     RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS: the kernel refuses symlinks and paths
 *     leading out, 403), first O_PATH and stat'ed through the fd — only a regular file
 *     is then opened for reading (a FIFO or device never is: 403);
 *  3. the response follows RFC 9110 as nginx and serve-static do
 *     (examples/lib/static-http.ts): ETag + Last-Modified, 412 for a failed If-Match /
 *     If-Unmodified-Since, 304 for If-None-Match / If-Modified-Since, a single byte
 *     Range → 206 (several: the whole file, 200; none satisfiable: 416 with
 *     `Content-Range: bytes *\/size`), Content-Type by
 *     extension (examples/lib/mime.ts), HEAD, a directory without its trailing slash
 *     → 301, with it → its index.html (unless --no-index), precompressed `.br` / `.gz`
 *     siblings with --precompressed when Accept-Encoding admits them (then every file
 *     response says `Vary: Accept-Encoding`), and a Date header formatted once a
 *     second.
 *
 * STALENESS: a file changed, replaced or deleted under the root is served as it was
 * for at most --cache-valid ms (default 1000; 0 revalidates on every request); after
 * that the next request revalidates it with one STATX by path (see file-cache.ts).
 * So a cached small-file request costs recv + send and nothing else; one statx per
 * file per --cache-valid ms on top.  The root itself is opened once, at start: a
 * deploy that swaps a symlink named as --root is not followed (restart, or give the
 * real directory).  Contents of files up to --cache-body-max bytes (65536) are kept in
 * memory, --cache-body-total (64 MiB) in all — with each file's preformatted keep-alive
 * response, at most twice that.  The cache keeps at most --cache-max files open (default: 1000, and
 * at most a quarter of the fd limit), closes those unused for --cache-inactive ms
 * (60000), and at the fd limit closes its idle half and retries before answering 503.
 *
 * Bodies: a small cached file goes out with its head as one preformatted Buffer,
 * joined with the other responses to the same read (pipelining) in one send — at most
 * 256 KiB of them before the server waits for the client to take them.  Larger
 * ones are sent by `sendBody` after what was queued before them: 64 KiB READs at
 * explicit offsets, double-buffered (the read of block k+1 in flight while block k is
 * sent), or the socket's sendFile (splice) where ringcore/net has it.  A file that
 * fails or shrinks while it is being sent closes the connection: its Content-Length
 * has gone out already, so closing is the only honest way to say "incomplete".
 * Keep-alive by default, `Connection: close` honoured, pipelined requests answered
 * in order.  GET and HEAD; any other method is 405 with `Allow: GET, HEAD`; parse
 * errors (400/413/431/501/505) are answered and the connection closed.
 *
 * Try:  npm run example file_server -- --root . --port 8080
 *       curl -v localhost:8080/package.json        curl -I localhost:8080/README.md
 *       curl -v -r 0-99 localhost:8080/README.md    (206)
 *       curl -v --path-as-is 'localhost:8080/../../etc/passwd'     (400)
 *       strace -f -c -p PID   while wrk hammers one small file: recv/send only
 * Dotfiles (`/.env`, `/.git/config`) are 404 unless `--dotfiles allow` (or 403 with
 * `deny`), as serve-static does by default.  Timeouts and shutdown as in http_server
 * (examples/lib/lifecycle.ts): --headers-timeout, --request-timeout,
 * --keep-alive-timeout with node:http's defaults, and --send-timeout (60000, nginx's
 * send_timeout: a response that sends nothing for that long — a client that stopped
 * reading — is closed); SIGINT/SIGTERM stop accepting, close
 * idle connections, let responses being sent finish, and after --grace 10000 ms close
 * the rest.
 *
 * It prints `listening on http://HOST:PORT (root DIR)`; `--port 0` picks a port.
 */
import fs from 'node:fs';
import path from 'node:path';
import { TcpListener, type TcpStream } from 'ringcore/net';
import type { FileHandle } from 'ringcore/fs';
import { defaultRing } from 'ringcore';
import { RequestParser, errorResponse, reasonPhrase, dateHeader, type ParsedRequest } from './lib/http1.js';
import { parseTarget, ServedRoot, type DotfilesPolicy, type RefusedStatus, type Target } from './lib/confine.js';
import { contentType } from './lib/mime.js';
import { OpenFileCache, type CachedFile } from './lib/file-cache.js';
import { accepts, etagOf, lastModifiedOf, notModified, preconditionFailed, rangeOf } from './lib/static-http.js';
import { ConnectionTracker, msArg, timeoutArgs } from './lib/lifecycle.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}
const flag = (name: string): boolean => process.argv.includes(`--${name}`);

const rootArg = path.resolve(arg('root', '.'));
const port = countArg('port', 8080, 0, 65535);
const host = arg('host', '127.0.0.1');
const dotfiles = arg('dotfiles', 'ignore') as DotfilesPolicy;
if (!['ignore', 'deny', 'allow'].includes(dotfiles)) {
  process.stderr.write(`file_server: --dotfiles must be ignore, deny or allow\n`);
  process.exit(2);
}
const index = !flag('no-index');
const precompressed = flag('precompressed');
const tracker = new ConnectionTracker(timeoutArgs(process.argv, 60_000)); // --send-timeout: nginx's send_timeout default
const graceMs = msArg(process.argv, 'grace', 10_000);
/** `--name N`, an integer >= 0 (0 allowed: --cache-valid 0 revalidates every request). */
function countArg(name: string, dflt: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const v = Number(arg(name, String(dflt)));
  if (!Number.isInteger(v) || v < min || v > max) {
    process.stderr.write(`file_server: --${name} must be an integer >= ${min}${max < Number.MAX_SAFE_INTEGER ? ` and <= ${max}` : ''}\n`);
    process.exit(2);
  }
  return v;
}
const cacheValidMs = countArg('cache-valid', 1000);
/**
 * The cache's default size: nginx's example max=1000, but at most a quarter of the fd
 * limit — the rest is for connections and sendFile's pipes (`ulimit -n 256`: 64).
 */
function defaultCacheMax(): number {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
    if (m !== null) return Math.max(16, Math.min(1000, Math.floor(Number(m[1]) / 4)));
  } catch { /* no procfs: the fixed default */ }
  return 1000;
}
const cacheMax = countArg('cache-max', defaultCacheMax(), 1);
const cacheInactiveMs = countArg('cache-inactive', 60_000, 1);
const cacheBodyMax = countArg('cache-body-max', 64 * 1024);
const cacheBodyTotal = countArg('cache-body-total', 64 * 1024 * 1024);
const TIMEOUT_408 = errorResponse(408);

/** Read size for streamed bodies. */
const BLOCK = 64 * 1024;
/** Responses batched for one send are flushed once they pass this size. */
const BATCH_LIMIT = 256 * 1024;

const ALLOW = 'GET, HEAD';
const TEXT = 'text/plain; charset=utf-8';

let root: ServedRoot;
try {
  root = await ServedRoot.open(rootArg, { noSymlinks: flag('no-symlinks') });
} catch (e) {
  process.stderr.write(`file_server: bad --root: ${(e as Error).message}\n`);
  process.exit(1);
}

/**
 * Cache keys: the relative path, plus "/" for a trailing slash; `\0br:` / `\0gz:`
 * prefixes name the precompressed sibling of a file (a different entry: other bytes,
 * other tag) — NUL, because no relative path can contain one (parseTarget refuses it),
 * so a file named `br:x` cannot pass for the sibling of `x`.
 */
const cache = new OpenFileCache(async (key) => {
  let enc = '';
  let k = key;
  if (k.startsWith('\0br:') || k.startsWith('\0gz:')) {
    enc = k.slice(1, 3);
    k = k.slice(4);
  }
  const slash = k.endsWith('/');
  const target: Target = enc === ''
    ? { rel: slash ? k.slice(0, -1) : k, trailingSlash: slash }
    : { rel: `${k}.${enc}`, trailingSlash: false };
  const o = await root.openTarget(target, dotfiles, index);
  if ('status' in o) return o;
  return { file: o, statPath: path.join(root.path, o.rel) };
}, { validMs: cacheValidMs, maxEntries: cacheMax, maxBodyBytes: cacheBodyMax, maxTotalBodyBytes: cacheBodyTotal,
     inactiveMs: cacheInactiveMs });

/** Parsed targets by raw pathname (a pure function of it; bounded). */
const targets = new Map<string, Target | { status: 400 | 403 | 404 }>();
function target(pathname: string): Target | { status: 400 | 403 | 404 } {
  let t = targets.get(pathname);
  if (t === undefined) {
    t = parseTarget(pathname, dotfiles);
    if (targets.size >= 4096) targets.clear();
    targets.set(pathname, t);
  }
  return t;
}

/** A short text response; to a HEAD request the same head without the body (a body there would be read as the next response). */
function statusResponse(status: number, keepAlive: boolean, extra = '', head = false): Buffer {
  const body = `${status} ${reasonPhrase(status)}\n`;
  return Buffer.from(`HTTP/1.1 ${status} ${reasonPhrase(status)}\r\nContent-Type: ${TEXT}\r\nContent-Length: ${body.length}\r\n${extra}`
    + `Date: ${dateHeader()}\r\nConnection: ${keepAlive ? 'keep-alive' : 'close'}\r\n\r\n${head ? '' : body}`, 'latin1');
}

/** What a cached entry keeps for its responses (CachedFile.extra). */
interface Meta {
  etag: string;
  lastModified: string;
  mtimeMs: number;
  /** Header lines common to this file's 200/206/304 responses (validators, type, ...). */
  fixed: string;
  /**
   * Preformatted 200 responses for the current Date second: [-, GET keep-alive (head +
   * body), HEAD close, HEAD keep-alive] — a GET close is built from the body each time.
   */
  second: number;
  full: (Buffer | undefined)[];
}

function metaOf(e: CachedFile, enc: string): Meta {
  let m = e.extra as Meta | undefined;
  if (m === undefined) {
    // A precompressed sibling has the type of the file it stands for (`app.js.br`: JavaScript).
    const type = contentType(enc === '' ? e.rel : e.rel.slice(0, -3));
    const mtimeMs = Number(e.stat.mtimeNs / 1_000_000n);
    const etag = etagOf(e.stat.mtimeNs, e.size, enc === 'br' ? 'br' : enc === 'gz' ? 'gzip' : undefined);
    const lastModified = lastModifiedOf(mtimeMs);
    const fixed = `Content-Type: ${type}\r\nETag: ${etag}\r\nLast-Modified: ${lastModified}\r\nAccept-Ranges: bytes\r\n`
      + (enc === 'br' ? 'Content-Encoding: br\r\n' : enc === 'gz' ? 'Content-Encoding: gzip\r\n' : '')
      + (precompressed ? 'Vary: Accept-Encoding\r\n' : '');
    m = { etag, lastModified, mtimeMs, fixed, second: -1, full: [] };
    e.extra = m;
  }
  return m;
}

function tail(keepAlive: boolean): string {
  return `Date: ${dateHeader()}\r\nConnection: ${keepAlive ? 'keep-alive' : 'close'}\r\n\r\n`;
}

/** --no-sendfile: bodies through JavaScript buffers (READ + SEND) instead of splice. */
const useSendFile = !flag('no-sendfile');

/**
 * The one place a large body leaves: `length` bytes of `fh` from `offset` to the
 * socket, after what is queued.  `conn.sendFile` splices file -> pipe -> socket in the
 * kernel (IORING_OP_SPLICE, linked): no byte goes through JavaScript.  The queued
 * responses are written first — sendFile waits for writes started before it, so both
 * go in this turn's submit.  A short count (the file shrank) throws: the
 * Content-Length has gone out, the connection must close.
 */
async function sendBody(c: Connection, fh: FileHandle, file: string, offset: number, length: number): Promise<void> {
  if (!useSendFile) return c.streamBlocks(fh, file, offset, length);
  const flushed = c.flush(true); // the head: held back (MSG_MORE) to share a segment with the body
  const sent = c.conn.sendFile(fh, { offset, length });
  const [, n] = await Promise.all([flushed, sent]);
  if (n !== length) throw new Truncated(file, offset + n, offset + length);
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

/** writeAll's options for a write that more of the same response follows at once. */
const MORE = { more: true } as const;

class Truncated extends Error {
  constructor(file: string, at: number, size: number) {
    super(`${file}: end of file at ${at} of ${size} bytes (changed while being sent)`);
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

  /**
   * Send what is queued, in order, as one write.  `more`: a body follows at once, so
   * the last partial segment waits for it (MSG_MORE).  Measured on a 1 MiB file
   * (wrk -c32, nstat): a head sent on its own makes 37 TCP segments per response, and
   * keeps the client's receive window small, against 21-23 with it — nginx's
   * `tcp_nopush on` (TCP_CORK) does the same.
   */
  async flush(more = false): Promise<void> {
    if (this.out.length === 0) return;
    const b = this.out.length === 1 ? this.out[0] : Buffer.concat(this.out, this.outBytes);
    this.out = [];
    this.outBytes = 0;
    await this.conn.writeAll(b, more ? MORE : undefined);
  }

  /** Send what is queued if it has reached BATCH_LIMIT (what one write may hold). */
  flushIfFull(): Promise<void> | undefined {
    return this.outBytes >= BATCH_LIMIT ? this.flush() : undefined;
  }

  /**
   * Answer one request: queued at once (undefined: nothing to wait for — the cached
   * fast path) or a promise settling when it is queued or, for a large body, sent.
   */
  answer(req: ParsedRequest): Promise<void> | undefined {
    const keepAlive = req.keepAlive;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      this.queue(statusResponse(405, keepAlive, `Allow: ${ALLOW}\r\n`));
      return undefined;
    }
    const t = target(req.pathname);
    if ('status' in t) {
      this.queue(statusResponse(t.status, keepAlive, '', req.method === 'HEAD'));
      return undefined;
    }
    const key = t.trailingSlash ? `${t.rel}/` : t.rel;
    if (!precompressed || t.trailingSlash) {
      // The common case, without the candidate lists below.
      const r = cache.tryAcquire(key);
      if (r === undefined) return this.answerSlow(req, t, [key], [''], 0);
      if (typeof r === 'number') {
        this.refuse(req, r);
        return undefined;
      }
      return this.serve(req, r, t, '');
    }
    // Precompressed siblings first, when asked for and admitted.
    const keys: string[] = [];
    const encs: string[] = [];
    if (precompressed && !t.trailingSlash) {
      const ae = req.headers.get('accept-encoding');
      if (accepts(ae, 'br')) { keys.push(`\0br:${key}`); encs.push('br'); }
      if (accepts(ae, 'gzip')) { keys.push(`\0gz:${key}`); encs.push('gz'); }
    }
    keys.push(key);
    encs.push('');
    const now = Date.now();
    for (let i = 0; i < keys.length; i++) {
      const r = cache.tryAcquire(keys[i], now);
      if (r === undefined) return this.answerSlow(req, t, keys, encs, i);
      if (typeof r === 'number') {
        if (i < keys.length - 1) continue; // no such sibling: next candidate
        this.refuse(req, r);
        return undefined;
      }
      return this.serve(req, r, t, encs[i]);
    }
    return undefined;
  }

  private refuse(req: ParsedRequest, status: RefusedStatus): void {
    if (status === 301) {
      // The path as the client wrote it, but never one a browser would read as another
      // host: a backslash is a slash to WHATWG URL parsers, and "//docs/" is the host
      // "docs" (serve-static's CVE-2015-1164) — so "\\" is escaped and leading slashes
      // collapse to one.  A fragment is not sent by browsers; the query is kept.
      const p = req.pathname.replace(/\\/g, '%5C').replace(/^\/{2,}/, '/');
      const q = req.target.indexOf('?');
      const h = req.target.indexOf('#');
      const location = p + '/' + (q === -1 || (h !== -1 && h < q) ? '' : req.target.slice(q));
      this.queue(statusResponse(301, req.keepAlive, `Location: ${location}\r\n`, req.method === 'HEAD'));
    } else {
      this.queue(statusResponse(status, req.keepAlive, '', req.method === 'HEAD'));
    }
  }

  private async answerSlow(req: ParsedRequest, t: Target, keys: string[], encs: string[], from: number): Promise<void> {
    for (let i = from; i < keys.length; i++) {
      const r = await cache.acquire(keys[i]);
      if (typeof r === 'number') {
        if (i < keys.length - 1) continue;
        this.refuse(req, r);
        return;
      }
      await this.serve(req, r, t, encs[i]);
      return;
    }
  }

  /** The response for a cached file; releases the entry once its bytes are sent (or queued as a copy). */
  private serve(req: ParsedRequest, e: CachedFile, t: Target, enc: string): Promise<void> | undefined {
    let release = true;
    try {
      const keepAlive = req.keepAlive;
      const head = req.method === 'HEAD';
      const m = metaOf(e, enc);
      if (preconditionFailed(req.headers, m.etag, m.mtimeMs)) {
        this.queue(statusResponse(412, keepAlive, '', head));
        return undefined;
      }
      if (notModified(req.headers, m.etag, m.mtimeMs)) {
        this.queue(Buffer.from(`HTTP/1.1 304 Not Modified\r\nETag: ${m.etag}\r\nLast-Modified: ${m.lastModified}\r\n`
          + (precompressed ? 'Vary: Accept-Encoding\r\n' : '') + tail(keepAlive), 'latin1'));
        return undefined;
      }
      const size = e.size;
      const range = rangeOf(req.headers, size, m.etag, m.lastModified);
      if (range === 'unsatisfiable') {
        this.queue(statusResponse(416, keepAlive, `Content-Range: bytes */${size}\r\n`, head));
        return undefined;
      }
      if (range === 'full') {
        const sec = Math.floor(Date.now() / 1000);
        if (m.second !== sec) {
          m.second = sec;
          m.full = [];
        }
        const slot = (head ? 2 : 0) + (keepAlive ? 1 : 0);
        let full = m.full[slot];
        if (full !== undefined) {
          this.queue(full);
          return undefined;
        }
        const h = `HTTP/1.1 200 OK\r\n${m.fixed}Content-Length: ${size}\r\n${tail(keepAlive)}`;
        if (head) {
          full = Buffer.from(h, 'latin1');
        } else if (e.body !== undefined && !keepAlive) {
          // Only the keep-alive GET response is kept preformatted (head + body): with the
          // body itself that is at most twice --cache-body-total.  The rarer
          // `Connection: close` one queues the head and the cached body.
          this.queue(Buffer.from(h, 'latin1'));
          this.queue(e.body);
          return undefined;
        } else if (e.body !== undefined) {
          const hl = Buffer.byteLength(h, 'latin1');
          full = Buffer.allocUnsafe(hl + size);
          full.write(h, 0, 'latin1');
          e.body.copy(full, hl);
        } else {
          release = false;
          return this.sendFrom(e, Buffer.from(h, "latin1"), 0, size, keepAlive);
        }
        m.full[slot] = full;
        this.queue(full);
        return undefined;
      }
      const length = range.end - range.start + 1;
      const h = Buffer.from(`HTTP/1.1 206 Partial Content\r\n${m.fixed}Content-Range: bytes ${range.start}-${range.end}/${size}\r\n`
        + `Content-Length: ${length}\r\n${tail(keepAlive)}`, 'latin1');
      if (head) {
        this.queue(h);
      } else if (e.body !== undefined) {
        this.queue(h);
        this.queue(e.body.subarray(range.start, range.end + 1));
      } else {
        release = false;
        return this.sendFrom(e, h, range.start, length, keepAlive);
      }
      return undefined;
    } finally {
      if (release) cache.release(e);
    }
  }

  /** A body not kept in memory: small ones read and queued, large ones streamed after what is queued. */
  private async sendFrom(e: CachedFile, head: Buffer, offset: number, length: number, keepAlive: boolean): Promise<void> {
    try {
      if (length <= BLOCK) {
        const body = Buffer.allocUnsafe(length);
        try {
          await readExactly(e.fh, e.real, body, length, offset, e.size);
        } catch (err) {
          // Nothing of this response has gone out yet: it can still be an honest 500.
          process.stderr.write(`file_server: ${(err as Error).message}\n`);
          this.queue(statusResponse(500, keepAlive));
          return;
        }
        this.queue(head);
        this.queue(body);
        await this.flushIfFull();
        return;
      }
      this.queue(head);
      await sendBody(this, e.fh, e.real, offset, length);
    } finally {
      cache.release(e);
    }
  }

  /**
   * The queued responses (ending with this file's head), then `length` bytes from
   * `offset`: 64 KiB READs at explicit offsets, each next one in flight while the
   * block before it is being sent (the first one while the head is).
   */
  async streamBlocks(fh: FileHandle, file: string, offset: number, length: number): Promise<void> {
    const blocks = (this.blocks ??= [Buffer.allocUnsafeSlow(BLOCK), Buffer.allocUnsafeSlow(BLOCK)]);
    const end = offset + length;
    let which = 0;
    let pos = offset;
    // On an error (a failed send, a read error, a file that shrank) the read still in
    // flight, if any, completes into blocks it keeps referenced until its CQE; the
    // connection is then closed by serve().
    let reading = started(fh.read(blocks[0], 0, Math.min(BLOCK, length), offset));
    try {
      await this.flush(true);
      while (pos < end) {
        const n = (await reading).bytesRead;
        if (n === 0) throw new Truncated(file, pos, end);
        const block = blocks[which];
        const next = pos + n;
        if (next < end) {
          which ^= 1;
          reading = started(fh.read(blocks[which], 0, Math.min(BLOCK, end - next), next));
        }
        await this.conn.writeAll(n === block.length ? block : block.subarray(0, n), next < end ? MORE : undefined);
        pos = next;
      }
    } catch (err) {
      // The fd stays open (cached); do not leave a read running into a buffer that a
      // later response on this connection would reuse.
      this.blocks = undefined;
      throw err;
    }
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
        const p = c.answer(r);
        if (p !== undefined) await p;
        // Pipelined requests answered from the cache queue at once: past BATCH_LIMIT, send
        // (and wait for the peer to take it) before answering more — a client that
        // pipelines thousands of requests and never reads holds one batch, not all of them.
        const f = c.flushIfFull();
        if (f !== undefined) await f;
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

const listener = await TcpListener.bind({ port, host });
console.log(`listening on http://${host.includes(':') ? `[${host}]` : host}:${listener.port} (root ${rootArg})`);

const stop = new AbortController();
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => stop.abort());
}
// The benchmarks' convention: stdin reaching EOF (its parent closed it) stops us too.
if (flag('stdin-stop')) {
  process.stdin.on('end', () => stop.abort());
  process.stdin.resume();
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
  cache.close();
  await root.close();
  process.stderr.write(`file_server: stopped; ring stats ${JSON.stringify(defaultRing().stats())}\n`);
}
