/**
 * HTTP/1.1 responses for the http_server and file_server examples (the writer half of
 * examples/lib/http1.ts): a whole response as one Buffer (`response`), chunked-body
 * framing, the preformatted error and hello responses, and the Date header value,
 * formatted once per second (`dateHeader`).
 *
 * May touch: nothing outside this module.  No I/O; the only shared state is
 * preformatted buffers (built at load time, or on first use for errors) that callers
 * must not modify, and the cached Date string.
 */
import type { ParseError } from './http1-parser.js';
import { isToken } from './http1-parser.js';

const CR = 13;
const LF = 10;

const REASONS: Readonly<Record<number, string>> = {
  100: 'Continue',
  101: 'Switching Protocols',
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  204: 'No Content',
  206: 'Partial Content',
  301: 'Moved Permanently',
  302: 'Found',
  303: 'See Other',
  304: 'Not Modified',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  411: 'Length Required',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  417: 'Expectation Failed',
  426: 'Upgrade Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  505: 'HTTP Version Not Supported',
};

/** The reason phrase for `status`, or a generic one by class for unlisted codes. */
export function reasonPhrase(status: number): string {
  return REASONS[status] ?? ['Informational', 'Success', 'Redirection', 'Client Error', 'Server Error'][Math.floor(status / 100) - 1] ?? 'Unknown';
}

export type HeaderValue = string | number | readonly (string | number)[];
export type ResponseHeaders =
  | Readonly<Record<string, HeaderValue | undefined>>
  | Iterable<readonly [string, HeaderValue]>;

export interface ResponseOptions {
  /** Adds a Date header (IMF-fixdate) unless `headers` has one; omitted by default. */
  date?: Date | string;
  /** Adds `Connection: keep-alive` or `close` unless `headers` has Connection. */
  keepAlive?: boolean;
}

/** IMF-fixdate, as the Date header wants it. */
export function httpDate(d: Date): string {
  return d.toUTCString();
}

let dateSecond = -1;
let dateValue = '';

/**
 * The current time as a Date header value, formatted at most once per second (as
 * nginx and node:http do: toUTCString costs ~0.5 µs, a request should not pay it).
 */
export function dateHeader(now = Date.now()): string {
  const s = Math.floor(now / 1000);
  if (s !== dateSecond) {
    dateSecond = s;
    dateValue = new Date(s * 1000).toUTCString();
  }
  return dateValue;
}

function checkValue(name: string, v: string): void {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    // CR/LF would let a value inject headers or a whole response; >0xFF cannot be
    // written as latin1 without silently changing it.
    if ((c < 32 && c !== 9) || c === 127 || c > 255) {
      throw new TypeError(`invalid character in value of header ${JSON.stringify(name)}`);
    }
  }
}

/**
 * A complete response as one Buffer: `HTTP/1.1 <status> <reason>`, the given headers
 * in order, then Date / Connection from `options`, then Content-Length.
 *
 * Content-Length is always added (the body's length, 0 if none), except:
 *  - 1xx and 204, which must not have one (and must not have a body);
 *  - 304, which gets none unless given (and must not have a body);
 *  - when headers include Transfer-Encoding: then only the head is returned and the
 *    caller writes `chunk()`s and LAST_CHUNK itself (a body argument is refused);
 *  - when headers include Content-Length and no body is passed: kept as given, which
 *    is how a HEAD response announces the size of a body it does not send.
 * A given Content-Length that disagrees with a given body throws.
 */
export function response(
  status: number,
  headers: ResponseHeaders = {},
  body?: Uint8Array | string,
  options: ResponseOptions = {},
): Buffer {
  if (!Number.isInteger(status) || status < 100 || status > 599) throw new RangeError(`invalid status ${status}`);
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  let head = `HTTP/1.1 ${status} ${reasonPhrase(status)}\r\n`;
  let givenLength: string | undefined;
  let chunked = false;
  let hasDate = false;
  let hasConnection = false;
  const entries: Iterable<readonly [string, HeaderValue | undefined]> =
    Symbol.iterator in headers
      ? (headers as Iterable<readonly [string, HeaderValue]>)
      : Object.entries(headers as Record<string, HeaderValue | undefined>);
  for (const [name, value] of entries) {
    if (value === undefined) continue;
    if (!isToken(name, 0, name.length)) throw new TypeError(`invalid header name ${JSON.stringify(name)}`);
    const lower = name.toLowerCase();
    const values = typeof value === 'object' ? value : [value];
    for (const v of values) {
      const s = String(v);
      checkValue(name, s);
      head += `${name}: ${s}\r\n`;
      if (lower === 'content-length') givenLength = s;
    }
    if (lower === 'transfer-encoding') chunked = true;
    else if (lower === 'date') hasDate = true;
    else if (lower === 'connection') hasConnection = true;
  }
  if (options.date !== undefined && !hasDate) {
    const d = typeof options.date === 'string' ? options.date : httpDate(options.date);
    checkValue('Date', d);
    head += `Date: ${d}\r\n`;
  }
  if (options.keepAlive !== undefined && !hasConnection) {
    head += options.keepAlive ? 'Connection: keep-alive\r\n' : 'Connection: close\r\n';
  }
  const bodyLength = bytes === undefined ? 0 : bytes.length;
  const noBody = status < 200 || status === 204 || status === 304;
  if (noBody && bodyLength > 0) throw new TypeError(`a ${status} response has no body`);
  if (chunked) {
    if (bodyLength > 0) throw new TypeError('with Transfer-Encoding, send the body with chunk()');
    if (givenLength !== undefined) throw new TypeError('both Transfer-Encoding and Content-Length');
  } else if (givenLength !== undefined) {
    if (bytes !== undefined && givenLength !== String(bodyLength)) {
      throw new TypeError(`Content-Length ${givenLength} but the body has ${bodyLength} bytes`);
    }
  } else if (!noBody) {
    head += `Content-Length: ${bodyLength}\r\n`;
  }
  head += '\r\n';
  const headLength = Buffer.byteLength(head, 'latin1');
  const out = Buffer.allocUnsafe(headLength + bodyLength);
  out.write(head, 0, 'latin1');
  if (bytes !== undefined && bodyLength > 0) out.set(bytes, headLength);
  return out;
}

/** One chunk of a chunked body; empty data gives an empty Buffer (an empty chunk would end the body). */
export function chunk(data: Uint8Array | string): Buffer {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  if (bytes.length === 0) return Buffer.alloc(0);
  const size = bytes.length.toString(16);
  const out = Buffer.allocUnsafe(size.length + 2 + bytes.length + 2);
  out.write(size + '\r\n', 0, 'latin1');
  out.set(bytes, size.length + 2);
  out[out.length - 2] = CR;
  out[out.length - 1] = LF;
  return out;
}

/** Ends a chunked body (no trailers).  Shared: do not modify. */
export const LAST_CHUNK: Buffer = Buffer.from('0\r\n\r\n', 'latin1');

/** The interim response to `takeContinue()`.  Shared: do not modify. */
export const CONTINUE_RESPONSE: Buffer = Buffer.from('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');

const errorResponses = new Map<number, Buffer>();

/** The response to a ParseError (or any status): short text body, `Connection: close`.  Cached; do not modify. */
export function errorResponse(err: ParseError | number): Buffer {
  const status = typeof err === 'number' ? err : err.status;
  let r = errorResponses.get(status);
  if (r === undefined) {
    r = response(
      status,
      { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' },
      `${status} ${reasonPhrase(status)}\n`,
    );
    errorResponses.set(status, r);
  }
  return r;
}

// Built once: the benchmark answers every request with one of these two buffers, so
// the hot path allocates nothing for the response.  No Date header, deliberately:
// a cached buffer cannot carry the current time.
const HELLO_KEEP_ALIVE = response(200, { 'Content-Type': 'text/plain' }, 'Hello, World!', { keepAlive: true });
const HELLO_CLOSE = response(200, { 'Content-Type': 'text/plain' }, 'Hello, World!', { keepAlive: false });

/** The preformatted "Hello, World!" response.  The same Buffer every call: do not modify. */
export function helloResponse(keepAlive: boolean): Buffer {
  return keepAlive ? HELLO_KEEP_ALIVE : HELLO_CLOSE;
}
