/**
 * Errors the way Node reports them.  A negative `cqe.res` is -errno; it becomes an
 * Error with `errno` (negative, as Node's own are), `code` ('ENOENT'), `syscall`
 * (the operation's name) and `path` where the operation had one, with Node's message
 * format: "ENOENT: no such file or directory, open 'missing.txt'".
 *
 * May touch: nothing; builds error objects.
 */
import { getSystemErrorMap, inspect } from 'node:util';
import { EBADF, EXTRA_ERRNO_NAMES } from '../sys/errno.js';

const errorMap = getSystemErrorMap();
// libuv's map (which Node's is) lacks a few Linux errnos that io_uring reports.
for (const [errno, name, desc] of EXTRA_ERRNO_NAMES) {
  if (!errorMap.has(errno)) errorMap.set(errno, [name, desc]);
}

/** 'ENOENT' for -2 (or 2). */
export function errnoName(errno: number): string {
  const entry = errorMap.get(-Math.abs(errno));
  return entry ? entry[0] : `E${Math.abs(errno)}`;
}

export interface RingError extends Error {
  errno: number;
  code: string;
  syscall: string;
  path?: string;
  dest?: string;
  address?: string;
  port?: number;
}

/**
 * An Error for a failed operation.  `res` is the CQE's result (negative errno).
 * `path`/`dest` follow Node's fs errors, which name both for rename/copy.  Names and
 * descriptions come from Node's own errno map (util.getSystemErrorMap), with the few
 * Linux errnos it lacks added; an unknown number gives code `E<n>`.
 * @param res      the errno, negated (-2) as in a CQE, or positive (2): the same error
 * @param syscall  the operation's name, as Node reports it ('open', 'read', ...)
 * @param path     the file concerned, if any (shown in the message, set as `path`)
 * @param dest     the second path of a rename/copy/link, if any
 * @returns a new Error (not thrown) with `errno` (negative, as Node's), `code`,
 *          `syscall`, maybe `path`/`dest`, and Node's message
 * @example
 * ```ts
 * import { errnoError } from 'ringcore';
 *
 * const e = errnoError(-2, 'open', 'missing.txt');
 * console.log(e.message); // "ENOENT: no such file or directory, open 'missing.txt'"
 * console.log(e.code, e.errno, e.syscall, e.path); // 'ENOENT' -2 'open' 'missing.txt'
 * ```
 */
export function errnoError(res: number, syscall: string, path?: string, dest?: string): RingError {
  const errno = -Math.abs(res);
  const entry = errorMap.get(errno);
  const code = entry ? entry[0] : `E${-errno}`;
  const desc = entry ? entry[1] : 'unknown error';
  let message = `${code}: ${desc}, ${syscall}`;
  if (path !== undefined) message += ` '${path}'`;
  if (dest !== undefined) message += ` -> '${dest}'`;
  const err = new Error(message) as RingError;
  err.errno = errno;
  err.code = code;
  err.syscall = syscall;
  if (path !== undefined) err.path = path;
  if (dest !== undefined) err.dest = dest;
  return err;
}

/**
 * A socket error the way node:net words it: "connect ECONNREFUSED 127.0.0.1:9"
 * (Node's exceptionWithHostPort), with `address` and `port` set when known.
 */
export function netError(res: number, syscall: string, address?: string, port?: number, describe = false): RingError {
  const errno = -Math.abs(res);
  const code = errnoName(errno);
  // listen() errors carry the description too ("listen EADDRINUSE: address already
  // in use 127.0.0.1:80": Node's uvExceptionWithHostPort); connect/read/write do not.
  const desc = describe ? `: ${errorMap.get(errno)?.[1] ?? 'unknown error'}` : '';
  let details = '';
  if (port !== undefined && port > 0) details = ` ${address}:${port}`;
  else if (address) details = ` ${address}`;
  const err = new Error(`${syscall} ${code}${desc}${details}`) as RingError;
  err.errno = errno;
  err.code = code;
  err.syscall = syscall;
  if (address !== undefined) err.address = address;
  if (port !== undefined && port > 0) err.port = port;
  return err;
}

/**
 * The error an aborted operation rejects with: the same shape as Node's own
 * AbortError (name 'AbortError', code 'ABORT_ERR', the signal's reason as `cause`).
 */
export class AbortError extends Error {
  readonly code = 'ABORT_ERR';
  constructor(message = 'The operation was aborted', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AbortError';
  }
}

/** The AbortError for `signal` (its reason as the cause). */
export function abortError(signal: AbortSignal): AbortError {
  return new AbortError(undefined, { cause: signal.reason });
}

/**
 * Call `stop` with an AbortError when `signal` aborts (for long-lived consumers such
 * as incoming() and chunks()); returns the function that stops listening.
 */
export function onAbort(signal: AbortSignal, stop: (err: AbortError) => void): () => void {
  const listener = () => stop(abortError(signal));
  signal.addEventListener('abort', listener, { once: true });
  return () => signal.removeEventListener('abort', listener);
}

/**
 * An error the way Node makes its own (internal/errors.js NodeError): `code` set, and
 * the code shown after the name — in `toString()` and in the first line of `stack`:
 * "TypeError [ERR_INVALID_ARG_TYPE]: The ...".
 */
export function codedError<E extends Error>(Base: new (message: string) => E, code: string, message: string): E {
  const err = new Base(message);
  const name = err.name;
  // Node's addCodeToName: the stack's header is formatted from the name when first
  // read, so read it once with the code in the name, then restore the name.
  Object.defineProperty(err, 'name', { value: `${name} [${code}]`, configurable: true, writable: true, enumerable: false });
  void err.stack;
  delete (err as { name?: string }).name;
  Object.defineProperty(err, 'toString', {
    value(this: Error) { return `${this.name} [${code}]: ${this.message}`; },
    configurable: true, writable: true, enumerable: false,
  });
  (err as E & { code: string }).code = code;
  return err;
}

/** TypeError with Node's `code: 'ERR_INVALID_ARG_TYPE'`. */
export function invalidArgType(name: string, expected: string, actual: unknown): TypeError {
  const what = name.includes('.') ? 'property' : 'argument';
  return codedError(TypeError, 'ERR_INVALID_ARG_TYPE', `The "${name}" ${what} must be ${expected}. Received ${describeValue(actual)}`);
}

/** RangeError with Node's `code: 'ERR_OUT_OF_RANGE'` and its wording ("Received 1.5"). */
export function outOfRange(name: string, range: string, actual: unknown): RangeError {
  let received: string;
  if (Number.isInteger(actual) && Math.abs(actual as number) > 2 ** 32) {
    received = separated(String(actual));
  } else if (typeof actual === 'bigint') {
    received = String(actual);
    if (actual > 2n ** 32n || actual < -(2n ** 32n)) received = separated(received);
    received += 'n';
  } else {
    received = inspect(actual);
  }
  return codedError(RangeError, 'ERR_OUT_OF_RANGE', `The value of "${name}" is out of range. It must be ${range}. Received ${received}`);
}

/** Node's addNumericalSeparator: 4294967297 → 4_294_967_297. */
function separated(v: string): string {
  let res = '';
  let i = v.length;
  const start = v[0] === '-' ? 1 : 0;
  for (; i >= start + 4; i -= 3) res = `_${v.slice(i - 3, i)}${res}`;
  return `${v.slice(0, i)}${res}`;
}

/** TypeError with Node's `code: 'ERR_INVALID_ARG_VALUE'`. */
export function invalidArgValue(name: string, value: unknown, reason = 'is invalid'): TypeError {
  let shown = inspect(value);
  if (shown.length > 128) shown = `${shown.slice(0, 128)}...`;
  const type = name.includes('.') ? 'property' : 'argument';
  return codedError(TypeError, 'ERR_INVALID_ARG_VALUE', `The ${type} '${name}' ${reason}. Received ${shown}`);
}

/** Error with Node's `code: 'ERR_INVALID_STATE'` ("Invalid state: ..."). */
export function invalidState(message: string): Error {
  return codedError(Error, 'ERR_INVALID_STATE', `Invalid state: ${message}`);
}

/** Node's determineSpecificType: how a received value is shown in argument errors. */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'function') return `function ${v.name}`; // Node 20: "function " for an anonymous one
  if (typeof v === 'object') {
    const ctor = (v as { constructor?: { name?: string } }).constructor;
    if (ctor?.name) return `an instance of ${ctor.name}`;
    return inspect(v, { depth: -1 });
  }
  let shown = inspect(v, { colors: false });
  if (shown.length > 28) shown = `${shown.slice(0, 25)}...`;
  return `type ${typeof v} (${shown})`;
}

/** An error for using a ring after close(). */
export function ringClosedError(syscall: string): RingError {
  const err = errnoError(EBADF, syscall) as RingError; // as Node does for closed handles
  err.message = `EBADF: ring is closed, ${syscall}`;
  return err;
}

/**
 * Node's SystemError (internal/errors.js), which `fs.cp` and `fs.rm` throw for
 * conditions no syscall reports (ERR_FS_CP_EINVAL, ERR_FS_EISDIR, ...): name
 * 'SystemError', `code` the ERR_ key, `info` the context, and `errno`, `syscall`,
 * `path`, `dest` as accessors over it — the message "<prefix>: <syscall> returned
 * <CODE> (<message>) <path>".  `errno` is positive here, as Node's own.
 */
export interface SystemErrorContext {
  message: string;
  code: string;
  syscall: string;
  errno: number;
  path?: string;
  dest?: string;
}
export function systemError(key: string, prefix: string, context: SystemErrorContext): Error {
  let message = `${prefix}: ${context.syscall} returned ${context.code} (${context.message})`;
  if (context.path !== undefined) message += ` ${context.path}`;
  if (context.dest !== undefined) message += ` => ${context.dest}`;
  const err = new Error();
  (err as Error & { code: string }).code = key;
  const accessor = (k: 'errno' | 'syscall') => ({
    get(): unknown { return context[k]; },
    set(v: never): void { context[k] = v; },
    enumerable: true, configurable: true,
  });
  Object.defineProperties(err, {
    name: { value: 'SystemError', enumerable: false, writable: true, configurable: true },
    message: { value: message, enumerable: false, writable: true, configurable: true },
    info: { value: context, enumerable: true, configurable: true, writable: false },
    errno: accessor('errno'),
    syscall: accessor('syscall'),
  });
  for (const k of ['path', 'dest'] as const) {
    if (context[k] === undefined) continue;
    Object.defineProperty(err, k, {
      get(): unknown { return context[k] != null ? String(context[k]) : context[k]; },
      set(v: unknown): void { context[k] = v ? String(v) : undefined; },
      enumerable: true, configurable: true,
    });
  }
  Object.defineProperty(err, 'toString', {
    value(this: Error & { code: string }) { return `${this.name} [${this.code}]: ${this.message}`; },
    configurable: true, writable: true, enumerable: false,
  });
  // The stack's first line as Node's: "SystemError [ERR_FS_CP_EINVAL]: ..." (the header
  // is formatted from the name when the stack is first read; see codedError).
  Object.defineProperty(err, 'name', { value: `SystemError [${key}]`, enumerable: false, writable: true, configurable: true });
  Error.captureStackTrace(err, systemError);
  void err.stack;
  Object.defineProperty(err, 'name', { value: 'SystemError', enumerable: false, writable: true, configurable: true });
  return err;
}

/** Node's ERR_INTERNAL_ASSERTION: what a FileHandle method called on another object throws. */
export function internalAssertion(message: string): Error {
  return codedError(Error, 'ERR_INTERNAL_ASSERTION', `${message}\nThis is caused by either a bug in Node.js or incorrect usage of Node.js internals.\nPlease open an issue with this stack trace at https://github.com/nodejs/node/issues\n`);
}
