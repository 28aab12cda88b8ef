/**
 * The small facts TCP needs around a socket: the kernel's listen backlog cap, host
 * name resolution (literals never touch DNS), port checks, getsockname/getpeername
 * decoded, and the error for a closed socket.
 *
 * May touch: /proc/sys/net/core/somaxconn, node:dns for names, the native sockname.
 */
import { readFileSync } from 'node:fs';
import { encodeUnixSockaddr, isIP } from '../sys/sockaddr.js';
import { codedError, describeValue, errnoError, invalidArgType, netError } from '../op/errors.js';
import { EBADF, ENAMETOOLONG } from '../sys/errno.js';

/** The kernel's listen backlog cap; a server that means to hold load asks for all of it. */
export function somaxconn(): number {
  try {
    return Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8').trim()) || 4096;
  } catch {
    return 4096;
  }
}

export async function resolveHost(host: string, family: 0 | 4 | 6 = 0): Promise<string> {
  if (isIP(host)) return host;
  const { lookup } = await import('node:dns/promises'); // loaded only for names: it costs startup
  return (await lookup(host, { family })).address;
}

/**
 * Node's validatePort: a number or numeric string in [0, 65536), else a RangeError
 * with code ERR_SOCKET_BAD_PORT and Node's wording.
 */
export function checkPort(port: unknown, name = 'options.port'): number {
  const ok = (typeof port === 'number' || (typeof port === 'string' && port.trim().length > 0)) &&
    +port === (+port >>> 0) && +port <= 0xffff;
  if (!ok) {
    throw codedError(RangeError, 'ERR_SOCKET_BAD_PORT', `${name} should be >= 0 and < 65536. Received ${describeValue(port)}.`);
  }
  return +port;
}

/** A Unix socket path option: a non-empty string (Node takes strings for `path`). */
export function checkSocketPath(v: unknown, name = 'options.path'): string {
  if (typeof v !== 'string') throw invalidArgType(name, 'of type string', v);
  if (v.length === 0) throw codedError(TypeError, 'ERR_INVALID_ARG_VALUE', `The argument '${name}' must be a non-empty string. Received ''`);
  return v;
}

/** sockaddr_un for `path`, or ENAMETOOLONG (for `syscall`) when it does not fit sun_path. */
export function unixSockaddr(path: string, syscall: string): Buffer {
  const b = encodeUnixSockaddr(path);
  if (b === undefined) throw netError(ENAMETOOLONG, syscall, path);
  return b;
}

/** Node's error for using a closed stream or listener. */
export function closedError(syscall: string): Error {
  return errnoError(EBADF, syscall);
}
