/**
 * HTTP/1.1 request parsing for the http_server and file_server examples (the parser
 * half of examples/lib/http1.ts): an incremental parser fed with whatever byte chunks
 * a socket read returns, one pipelined request out per `next()`.
 *
 * May touch: nothing outside this module.  No I/O, no timers, no globals.
 *
 * Policies (RFC 9112 where it leaves a choice, always the strict one, because lenient
 * framing is how request smuggling happens):
 *
 *  - Line endings are CRLF only.  A bare LF or a bare CR anywhere in the request line,
 *    the headers, a chunk-size line or the trailers is a 400 (in a head or trailers
 *    as soon as the byte arrives, not after 8 KiB).  Other control bytes (NUL
 *    included) are 400, and so is a partial request line that can no longer become
 *    a valid one (random bytes, a TLS handshake): no waiting for more.
 *  - Empty lines (CRLF) before a request line are skipped (RFC 9112 §2.2: some clients
 *    send a stray CRLF after a POST body).
 *  - Request line: `token SP target SP HTTP/D.D`, single spaces, target of visible
 *    ASCII.  Anything else is 400.  HTTP/1.0 and HTTP/1.1 are accepted, HTTP/1.2..1.9
 *    are handled as 1.1 (RFC 9110 §2.5), any other major version (HTTP/0.9 spelled
 *    out, HTTP/2.0, ...) is 505.
 *  - Headers: `token ":" OWS value OWS`.  Whitespace before the colon and obs-fold
 *    continuation lines are 400.  Names are lowercased; repeated headers are joined
 *    with ", " (Cookie with "; ").  More than one Host is 400; so is none in HTTP/1.1.
 *  - Request line + headers (through the blank line) may be at most `maxHeaderSize`
 *    bytes (default 8 KiB), else 431, whether the excess arrives before or after the
 *    terminating CRLFCRLF.
 *  - Body framing: Content-Length must be digits only; repeats (separate headers or a
 *    comma list) must all agree, else 400.  `Transfer-Encoding: chunked` is decoded
 *    (extensions ignored, trailers validated and discarded); any other transfer coding
 *    is 501; Transfer-Encoding together with Content-Length, or in an HTTP/1.0
 *    request, is 400.  No framing header means an empty body.  A body larger than
 *    `maxBodySize` (default 1 MiB) is 413, refused as soon as the size is known.
 *  - `Expect: 100-continue` is not answered here (the parser writes nothing); it is
 *    reported by `takeContinue()` so the server can send CONTINUE_RESPONSE.
 *  - After any error the parser is dead: `next()` keeps returning the same error, with
 *    `close: true`, and further bytes are dropped.  The server should send
 *    `errorResponse(err)` and close, since the stream can no longer be framed.
 */

/** A complete request: head and fully received (and, if chunked, decoded) body. */
export interface ParsedRequest {
  readonly kind: 'request';
  /** As sent; methods are case-sensitive. */
  readonly method: string;
  /** The raw request target, not decoded: `/a%20b?x=1`. */
  readonly target: string;
  /** The path of the target without query or fragment, still percent-encoded. */
  readonly pathname: string;
  /** What follows `?` (without the `?` and any fragment), or ''. */
  readonly query: string;
  readonly version: '1.0' | '1.1';
  /** Lowercase names; repeated headers joined with ", " ("; " for cookie). */
  readonly headers: ReadonlyMap<string, string>;
  /** A copy owned by the request (never a view of the parser's buffer). */
  readonly body: Uint8Array;
  /** Whether the connection may stay open after the response to this request. */
  readonly keepAlive: boolean;
}

export type ParseErrorStatus = 400 | 413 | 431 | 501 | 505;

export interface ParseError {
  readonly kind: 'error';
  readonly status: ParseErrorStatus;
  readonly message: string;
  /** Always true: after a framing error the connection must be closed. */
  readonly close: true;
}

export interface ParserOptions {
  /** Maximum bytes of request line + headers including the final CRLFCRLF (8192). */
  maxHeaderSize?: number;
  /** Maximum body bytes (after chunked decoding) (1 MiB). */
  maxBodySize?: number;
}

const CR = 13;
const LF = 10;
const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');
const CRLF = Buffer.from('\r\n', 'latin1');
const EMPTY_BODY = new Uint8Array(0);
const INITIAL_CAPACITY = 16 * 1024;
// The first buffer holds one ordinary request head: small enough to come from Node's
// pooled allocator (no ArrayBuffer of its own, no backing store to free), so a
// connection that asks one question costs no 16 KiB allocation.
const FIRST_CAPACITY = 2 * 1024;
const EMPTY = Buffer.alloc(0);
// A chunk-size line is hex digits plus extensions nobody needs to be long.
const MAX_CHUNK_LINE = 1024;

// RFC 9110 §5.6.2 tchar, as a lookup table so validation is one load per character.
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") {
  TCHAR[c.charCodeAt(0)] = 1;
}

/** Whether s[from, to) is a non-empty RFC 9110 token (also used to check response header names). */
export function isToken(s: string, from: number, to: number): boolean {
  if (from >= to) return false;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || TCHAR[c] === 0) return false;
  }
  return true;
}

/**
 * Header names requests usually carry, by length.  A name that matches one, ASCII
 * case-insensitively, becomes that constant string: no slice, no toLowerCase, and a
 * Map key whose hash V8 already holds — the header loop runs for every line of every
 * request.  (`c | 0x20` lowercases a letter and leaves '-' and digits as they are; the
 * name was checked to be a token first, so nothing else can match.)
 */
const COMMON_NAMES: (string[] | undefined)[] = [];
for (const n of [
  'host', 'connection', 'accept', 'accept-encoding', 'accept-language', 'user-agent', 'content-length',
  'content-type', 'transfer-encoding', 'if-none-match', 'if-modified-since', 'if-match', 'if-unmodified-since',
  'range', 'if-range', 'cookie', 'referer', 'cache-control', 'pragma', 'expect', 'upgrade', 'origin', 'te',
  'authorization', 'sec-fetch-mode', 'sec-fetch-site', 'sec-fetch-dest', 'upgrade-insecure-requests',
]) (COMMON_NAMES[n.length] ??= []).push(n);

function headerName(text: string, from: number, to: number): string {
  const candidates = COMMON_NAMES[to - from];
  if (candidates !== undefined) {
    next: for (const n of candidates) {
      for (let i = 0; i < n.length; i++) if ((text.charCodeAt(from + i) | 0x20) !== n.charCodeAt(i)) continue next;
      return n;
    }
  }
  return text.slice(from, to).toLowerCase();
}

function hexValue(b: number): number {
  if (b >= 48 && b <= 57) return b - 48;
  const l = b | 0x20;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}

/** Whether a comma-separated header value contains `token` (lowercase; matched case-insensitively). */
function hasToken(list: string | undefined, token: string): boolean {
  if (list === undefined) return false;
  // Usually the value is just the one token: no split, no array.
  if (list.length === token.length) return list === token || list.toLowerCase() === token;
  if (list.indexOf(',') === -1) return list.trim().toLowerCase() === token;
  for (const part of list.split(',')) {
    if (part.trim().toLowerCase() === token) return true;
  }
  return false;
}

function parseError(status: ParseErrorStatus, message: string): ParseError {
  return { kind: 'error', status, message, close: true };
}

type Head = Omit<ParsedRequest, 'body'> & { readonly expectContinue: boolean };

const enum Body {
  None,
  Length,
  Chunked,
}

const enum Chunk {
  Size,
  Data,
  DataEnd,
  Trailer,
}

/**
 * Incremental HTTP/1.x request parser for one connection.
 *
 * `push()` copies the chunk, so the caller may reuse its read buffer at once.  Then
 * call `next()` until it returns null (needs more bytes) or a ParseError; pipelined
 * requests come out one per call, in order.  The parser buffers everything pushed;
 * a server applying backpressure can look at `buffered`.
 */
export class RequestParser {
  readonly maxHeaderSize: number;
  readonly maxBodySize: number;

  private buf: Buffer = EMPTY; // allocated by the first push()
  private start = 0;
  private end = 0;
  // Bytes after `start` already checked while waiting for CRLFCRLF (and what the
  // request-line check learned from them), so that a head trickling in byte by byte
  // costs O(n), not O(n²).
  private scanned = 0;
  private lineSpaces = 0;
  private lineDone = false;
  private error: ParseError | null = null;

  private head: Head | null = null;
  private bodyMode = Body.None;
  private bodyLength = 0;
  private continueTaken = false;
  private chunkState = Chunk.Size;
  private chunkRemaining = 0;
  private chunkParts: Buffer[] = [];
  private chunkTotal = 0;

  constructor(options: ParserOptions = {}) {
    this.maxHeaderSize = options.maxHeaderSize ?? 8192;
    this.maxBodySize = options.maxBodySize ?? 1024 * 1024;
    if (!(this.maxHeaderSize >= 16)) throw new RangeError('maxHeaderSize must be at least 16');
    if (!(this.maxBodySize >= 0)) throw new RangeError('maxBodySize must be >= 0');
  }

  /** Bytes pushed but not yet consumed by a returned request. */
  get buffered(): number {
    return this.end - this.start;
  }

  /** Have the headers of the request being received all arrived (only its body is missing)? */
  get headComplete(): boolean {
    return this.head !== null;
  }

  /** True once an error was returned; the connection must then be closed. */
  get failed(): boolean {
    return this.error !== null;
  }

  push(chunk: Uint8Array): void {
    if (this.error !== null) return;
    const len = chunk.length;
    if (len === 0) return;
    if (this.start === this.end) {
      this.start = this.end = 0;
      // Give back a buffer grown for one large body once it has been consumed.
      if (this.buf.length > INITIAL_CAPACITY * 4 && len <= INITIAL_CAPACITY) {
        this.buf = Buffer.allocUnsafe(INITIAL_CAPACITY);
      }
    }
    if (this.end + len > this.buf.length) {
      const used = this.end - this.start;
      if (used + len <= this.buf.length) {
        this.buf.copy(this.buf, 0, this.start, this.end);
      } else {
        let cap = this.buf.length === 0 ? FIRST_CAPACITY : this.buf.length * 2;
        while (cap < used + len) cap *= 2;
        const grown = Buffer.allocUnsafe(cap);
        this.buf.copy(grown, 0, this.start, this.end);
        this.buf = grown;
      }
      this.start = 0;
      this.end = used;
    }
    this.buf.set(chunk, this.end);
    this.end += len;
  }

  /**
   * True once per request whose head says `Expect: 100-continue` while its body has
   * not fully arrived: the server should then write CONTINUE_RESPONSE (clients such
   * as curl otherwise wait a second before sending the body).
   */
  takeContinue(): boolean {
    if (this.head === null || !this.head.expectContinue || this.continueTaken || this.error !== null) {
      return false;
    }
    this.continueTaken = true;
    return true;
  }

  /** The next complete request, null if more bytes are needed, or the parse error. */
  next(): ParsedRequest | ParseError | null {
    if (this.error !== null) return this.error;
    if (this.head === null) {
      const r = this.parseHead();
      if (r !== null) return this.fail(r);
      if (this.head === null) return null;
    }
    const head: Head = this.head;
    let body: Uint8Array;
    if (this.bodyMode === Body.None) {
      body = EMPTY_BODY;
    } else if (this.bodyMode === Body.Length) {
      if (this.end - this.start < this.bodyLength) return null;
      const copy = Buffer.allocUnsafe(this.bodyLength);
      this.buf.copy(copy, 0, this.start, this.start + this.bodyLength);
      this.start += this.bodyLength;
      body = copy;
    } else {
      const r = this.decodeChunked();
      if (r === null) return null;
      if (r !== true) return this.fail(r);
      const parts = this.chunkParts;
      body = parts.length === 0 ? EMPTY_BODY : parts.length === 1 ? parts[0]! : Buffer.concat(parts, this.chunkTotal);
      this.chunkParts = [];
      this.chunkTotal = 0;
      this.chunkState = Chunk.Size;
    }
    this.head = null;
    this.bodyMode = Body.None;
    this.continueTaken = false;
    return {
      kind: 'request',
      method: head.method,
      target: head.target,
      pathname: head.pathname,
      query: head.query,
      version: head.version,
      headers: head.headers,
      body,
      keepAlive: head.keepAlive,
    };
  }

  private fail(err: ParseError): ParseError {
    this.error = err;
    this.head = null;
    this.chunkParts = [];
    this.start = this.end = 0;
    return err;
  }

  /**
   * Checks bytes [from, to) of a line-oriented section starting at `this.start`: CR
   * only before LF, LF only after CR, no other control bytes.  A CR at the last
   * pushed byte passes for now; `scan()` looks at it again when its successor comes.
   */
  private badByte(from: number, to: number): string | null {
    const buf = this.buf;
    for (let i = from; i < to; i++) {
      const b = buf[i]!;
      if (b >= 32 && b !== 127) continue;
      if (b === 9) continue;
      if (b === CR) {
        if (i + 1 < this.end && buf[i + 1] !== LF) return 'bare CR';
        continue;
      }
      if (b === LF) {
        if (i === this.start || buf[i - 1] !== CR) return 'bare LF';
        continue;
      }
      return 'control character';
    }
    return null;
  }

  /**
   * Validates the not yet scanned bytes of a head (or trailer section) up to `to`,
   * resuming where the previous call stopped.  For a head it also checks the shape of
   * the request line while it is still incomplete, so that garbage is refused at
   * once instead of after maxHeaderSize bytes.
   */
  private scan(to: number, requestLine: boolean): string | null {
    const buf = this.buf;
    const s = this.start;
    const end = this.end;
    let i = s + this.scanned;
    if (i > s && i < end && buf[i - 1] === CR && buf[i] !== LF) return 'bare CR';
    // The request line, while it lasts (locals: this loop runs for every byte).
    if (requestLine && !this.lineDone) {
      let spaces = this.lineSpaces;
      for (; i < to; i++) {
        const b = buf[i]!;
        if (b === 32) {
          if (i === s || buf[i - 1] === 32 || ++spaces > 2) return 'malformed request line';
        } else if (b === CR) {
          break;
        } else if (spaces === 0 ? b >= 128 || TCHAR[b] === 0 : b < 32 || b >= 127) {
          return b === LF ? 'bare LF' : spaces === 0 ? 'invalid method' : 'malformed request line';
        }
      }
      this.lineSpaces = spaces;
      if (i < to) this.lineDone = true;
    }
    // Header (or trailer) lines: visible bytes, obs-text, SP, HTAB; CR only before LF.
    for (; i < to; i++) {
      const b = buf[i]!;
      if (b >= 32) {
        if (b === 127) return 'control character';
        continue;
      }
      if (b === CR) {
        if (i + 1 < end && buf[i + 1] !== LF) return 'bare CR';
      } else if (b === LF) {
        if (i === s || buf[i - 1] !== CR) return 'bare LF';
      } else if (b !== 9) {
        return 'control character';
      }
    }
    this.scanned = to - s;
    return null;
  }

  private resetScan(): void {
    this.scanned = 0;
    this.lineSpaces = 0;
    this.lineDone = false;
  }

  /** Parses the head if complete; sets this.head.  Returns an error or null. */
  private parseHead(): ParseError | null {
    const buf = this.buf;
    while (this.end - this.start >= 2 && buf[this.start] === CR && buf[this.start + 1] === LF) {
      this.start += 2;
      this.resetScan();
    }
    const avail = this.end - this.start;
    if (avail === 0) return null;

    let idx = buf.indexOf(CRLFCRLF, this.start + Math.max(0, this.scanned - 3));
    if (idx !== -1 && idx + 4 > this.end) idx = -1;
    if (idx === -1) {
      const bad = this.scan(this.end, true);
      if (bad !== null) return parseError(400, bad);
      if (avail >= this.maxHeaderSize) return parseError(431, 'request header section too large');
      return null;
    }
    const headEnd = idx + 4;
    if (headEnd - this.start > this.maxHeaderSize) return parseError(431, 'request header section too large');
    const bad = this.scan(headEnd, true);
    if (bad !== null) return parseError(400, bad);

    const text = buf.toString('latin1', this.start, idx);
    const r = this.parseHeadText(text);
    this.start = headEnd;
    this.resetScan();
    return r;
  }

  private parseHeadText(text: string): ParseError | null {
    let eol = text.indexOf('\r\n');
    if (eol === -1) eol = text.length;

    // Request line.
    const sp1 = text.indexOf(' ');
    if (sp1 <= 0 || sp1 >= eol) return parseError(400, 'malformed request line');
    const sp2 = text.indexOf(' ', sp1 + 1);
    if (sp2 === -1 || sp2 >= eol || sp2 === sp1 + 1) return parseError(400, 'malformed request line');
    if (!isToken(text, 0, sp1)) return parseError(400, 'invalid method');
    for (let i = sp1 + 1; i < sp2; i++) {
      const c = text.charCodeAt(i);
      if (c <= 32 || c >= 127) return parseError(400, 'invalid request target');
    }
    const verLen = eol - sp2 - 1;
    if (
      verLen !== 8 ||
      !text.startsWith('HTTP/', sp2 + 1) ||
      text.charCodeAt(sp2 + 7) !== 46 /* . */
    ) {
      return parseError(400, 'malformed HTTP version');
    }
    const major = text.charCodeAt(sp2 + 6) - 48;
    const minor = text.charCodeAt(sp2 + 8) - 48;
    if (major < 0 || major > 9 || minor < 0 || minor > 9) return parseError(400, 'malformed HTTP version');
    if (major !== 1) return parseError(505, 'HTTP version not supported');
    const version = minor === 0 ? '1.0' : '1.1';
    const method = text.slice(0, sp1);
    const target = text.slice(sp1 + 1, sp2);

    // Header fields.
    const headers = new Map<string, string>();
    let pos = eol + 2;
    while (pos < text.length) {
      let le = text.indexOf('\r\n', pos);
      if (le === -1) le = text.length;
      const colon = text.indexOf(':', pos);
      if (colon === -1 || colon >= le) return parseError(400, 'header line without colon');
      // Also refuses obs-fold (a leading SP/HTAB) and whitespace before the colon.
      if (!isToken(text, pos, colon)) return parseError(400, 'invalid header name');
      let vs = colon + 1;
      let ve = le;
      while (vs < ve && (text.charCodeAt(vs) === 32 || text.charCodeAt(vs) === 9)) vs++;
      while (ve > vs && (text.charCodeAt(ve - 1) === 32 || text.charCodeAt(ve - 1) === 9)) ve--;
      const name = headerName(text, pos, colon);
      const value = text.slice(vs, ve);
      const prev = headers.get(name);
      if (prev === undefined) {
        headers.set(name, value);
      } else {
        if (name === 'host') return parseError(400, 'more than one Host header');
        headers.set(name, prev + (name === 'cookie' ? '; ' : ', ') + value);
      }
      pos = le + 2;
    }
    if (version === '1.1' && !headers.has('host')) return parseError(400, 'missing Host header');

    // Body framing.
    const te = headers.get('transfer-encoding');
    const cl = headers.get('content-length');
    let bodyMode = Body.None;
    let bodyLength = 0;
    if (te !== undefined) {
      if (cl !== undefined) return parseError(400, 'both Transfer-Encoding and Content-Length');
      if (version === '1.0') return parseError(400, 'Transfer-Encoding in an HTTP/1.0 request');
      if (te.trim().toLowerCase() !== 'chunked') return parseError(501, 'unsupported transfer coding');
      bodyMode = Body.Chunked;
    } else if (cl !== undefined) {
      let len = -1;
      for (const part of cl.split(',')) {
        const p = part.trim();
        if (p.length === 0) return parseError(400, 'invalid Content-Length');
        let n = 0;
        for (let i = 0; i < p.length; i++) {
          const d = p.charCodeAt(i) - 48;
          if (d < 0 || d > 9) return parseError(400, 'invalid Content-Length');
          n = n * 10 + d;
        }
        // Past 2^53 digits stop being exact; such a length is over any limit anyway.
        if (p.length > 15) n = Number.MAX_SAFE_INTEGER;
        if (len !== -1 && n !== len) return parseError(400, 'conflicting Content-Length');
        len = n;
      }
      if (len > this.maxBodySize) return parseError(413, 'body too large');
      if (len > 0) {
        bodyMode = Body.Length;
        bodyLength = len;
      }
    }

    const connection = headers.get('connection');
    const keepAlive =
      version === '1.1' ? !hasToken(connection, 'close') : hasToken(connection, 'keep-alive') && !hasToken(connection, 'close');

    // origin-form "/p?q", absolute-form "http://h/p?q" (which servers must accept),
    // "*" (OPTIONS) and authority-form "h:443" (CONNECT), the last two kept whole.
    let pathname = target;
    let query = '';
    let pathStart = -1;
    if (target.charCodeAt(0) === 47 /* / */) {
      pathStart = 0;
    } else {
      const scheme = target.indexOf('://');
      if (scheme > 0 && isToken(target, 0, scheme)) {
        pathStart = scheme + 3;
        while (pathStart < target.length) {
          const c = target.charCodeAt(pathStart);
          if (c === 47 || c === 63 /* ? */ || c === 35 /* # */) break;
          pathStart++;
        }
      }
    }
    if (pathStart !== -1) {
      let pathEnd = pathStart;
      while (pathEnd < target.length) {
        const c = target.charCodeAt(pathEnd);
        if (c === 63 || c === 35) break;
        pathEnd++;
      }
      pathname = pathEnd === pathStart ? '/' : target.slice(pathStart, pathEnd);
      if (target.charCodeAt(pathEnd) === 63) {
        const hash = target.indexOf('#', pathEnd);
        query = target.slice(pathEnd + 1, hash === -1 ? target.length : hash);
      }
    }

    this.head = {
      kind: 'request',
      method,
      target,
      pathname,
      query,
      version,
      headers,
      keepAlive,
      expectContinue: version === '1.1' && bodyMode !== Body.None && hasToken(headers.get('expect'), '100-continue'),
    };
    this.bodyMode = bodyMode;
    this.bodyLength = bodyLength;
    return null;
  }

  /** Advances the chunked decoder: true when the body is complete, null for more bytes. */
  private decodeChunked(): true | ParseError | null {
    const buf = this.buf;
    for (;;) {
      switch (this.chunkState) {
        case Chunk.Size: {
          let eol = buf.indexOf(CRLF, this.start);
          if (eol !== -1 && eol + 2 > this.end) eol = -1;
          if (eol === -1) {
            if (this.end - this.start > MAX_CHUNK_LINE) return parseError(400, 'chunk size line too long');
            return null;
          }
          if (eol - this.start > MAX_CHUNK_LINE) return parseError(400, 'chunk size line too long');
          const bad = this.badByte(this.start, eol + 2);
          if (bad !== null) return parseError(400, bad);
          let i = this.start;
          let size = 0;
          const room = this.maxBodySize - this.chunkTotal;
          for (; i < eol; i++) {
            const v = hexValue(buf[i]!);
            if (v < 0) break;
            size = size * 16 + v;
            if (size > room) return parseError(413, 'body too large');
          }
          if (i === this.start) return parseError(400, 'invalid chunk size');
          while (i < eol && (buf[i] === 32 || buf[i] === 9)) i++;
          if (i < eol && buf[i] !== 59 /* ; */) return parseError(400, 'invalid chunk size');
          this.start = eol + 2;
          if (size === 0) {
            this.chunkState = Chunk.Trailer;
          } else {
            this.chunkRemaining = size;
            this.chunkState = Chunk.Data;
          }
          break;
        }
        case Chunk.Data: {
          const n = Math.min(this.chunkRemaining, this.end - this.start);
          if (n > 0) {
            const part = Buffer.allocUnsafe(n);
            buf.copy(part, 0, this.start, this.start + n);
            this.chunkParts.push(part);
            this.chunkTotal += n;
            this.start += n;
            this.chunkRemaining -= n;
          }
          if (this.chunkRemaining > 0) return null;
          this.chunkState = Chunk.DataEnd;
          break;
        }
        case Chunk.DataEnd: {
          if (this.end - this.start < 1) return null;
          if (buf[this.start] !== CR) return parseError(400, 'chunk data not followed by CRLF');
          if (this.end - this.start < 2) return null;
          if (buf[this.start + 1] !== LF) return parseError(400, 'chunk data not followed by CRLF');
          this.start += 2;
          this.chunkState = Chunk.Size;
          break;
        }
        case Chunk.Trailer: {
          // Trailer fields are validated for framing and dropped: nothing in these
          // examples uses them, and merging them into headers invites confusion.
          const avail = this.end - this.start;
          if (avail === 0) return null;
          if (buf[this.start] === CR) {
            if (avail < 2) return null;
            if (buf[this.start + 1] !== LF) return parseError(400, 'bare CR');
            this.start += 2;
            return true;
          }
          let idx = buf.indexOf(CRLFCRLF, this.start + Math.max(0, this.scanned - 3));
          if (idx !== -1 && idx + 4 > this.end) idx = -1;
          const bad = this.scan(idx === -1 ? this.end : idx + 4, false);
          if (bad !== null) return parseError(400, bad);
          if (idx === -1) {
            if (avail >= this.maxHeaderSize) return parseError(431, 'trailer section too large');
            return null;
          }
          if (idx + 4 - this.start > this.maxHeaderSize) return parseError(431, 'trailer section too large');
          const text = buf.toString('latin1', this.start, idx);
          for (let pos = 0; pos < text.length; ) {
            let le = text.indexOf('\r\n', pos);
            if (le === -1) le = text.length;
            const colon = text.indexOf(':', pos);
            if (colon === -1 || colon >= le || !isToken(text, pos, colon)) return parseError(400, 'invalid trailer field');
            pos = le + 2;
          }
          this.start = idx + 4;
          this.resetScan();
          return true;
        }
      }
    }
  }
}
