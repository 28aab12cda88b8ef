/**
 * The small facts UDP needs around a socket: node:dgram's port check (port 0 allowed
 * only where Node allows it), host resolution for one address family (literals never
 * touch DNS), source addresses decoded from the bytes the kernel wrote, the data
 * argument of send() turned into parts, and node:dgram's errors.
 *
 * May touch: node:dns for names, /sys/class/net/<name>/ifindex for IPv6 scopes.
 */
import { readFileSync } from 'node:fs';
import { decodeSockaddr, encodeSockaddr, isIP, isIPv4, isIPv6 } from '../sys/sockaddr.js';
import { codedError, describeValue, errnoName, invalidArgType, netError } from '../op/errors.js';
import { EINVAL } from '../sys/errno.js';
import { checkView } from '../op/validate.js';

/** A socket's kind, as node:dgram names it. */
export type SocketType = 'udp4' | 'udp6';

/** Where a datagram came from, or what a socket is bound or connected to. */
export interface AddressInfo {
  address: string;
  family: 'IPv4' | 'IPv6';
  port: number;
}

/**
 * Node's validatePort: a number or numeric string in [0, 65536) — (0, 65536) when
 * `allowZero` is false, as node:dgram's send() and connect() check it — else a
 * RangeError with code ERR_SOCKET_BAD_PORT and Node's wording.
 */
export function checkPort(port: unknown, name = 'Port', allowZero = true): number {
  const ok = (typeof port === 'number' || (typeof port === 'string' && port.trim().length > 0)) &&
    +port === (+port >>> 0) && +port <= 0xffff && (allowZero || +port !== 0);
  if (!ok) {
    throw codedError(RangeError, 'ERR_SOCKET_BAD_PORT',
                     `${name} should be ${allowZero ? '>=' : '>'} 0 and < 65536. Received ${describeValue(port)}.`);
  }
  return +port;
}

/**
 * The address to put in a sockaddr for `host` on a socket of `type`: literals as they
 * are (an IPv4 literal on a udp6 socket as its IPv4-mapped form, which a dual-stack
 * socket can reach), names through node:dns for the socket's family.
 */
export async function lookup(host: string, type: SocketType): Promise<string> {
  const literal = literalFor(host, type);
  if (literal !== undefined) return literal;
  const { lookup: dnsLookup } = await import('node:dns/promises'); // loaded only for names: it costs startup
  return (await dnsLookup(host, { family: type === 'udp6' ? 6 : 4 })).address;
}

/** `host` as an address for a socket of `type` if it is an IP literal, else undefined (a name). */
export function literalFor(host: string, type: SocketType): string | undefined {
  const v = isIP(host);
  if (v === 0) return undefined;
  return v === 4 && type === 'udp6' ? `::ffff:${host}` : host;
}

const v4Names = new Map<number, string>();

/**
 * The source address of a datagram from the sockaddr bytes at `at` in `bytes`
 * (`namelen` of them).  IPv4 address strings are cached by their 32-bit value: a
 * server answering the same clients builds each string once.
 */
export function decodeSource(bytes: Uint8Array, at: number, namelen: number): AddressInfo {
  const family = bytes[at] | (bytes[at + 1] << 8);
  if (family === 2 && namelen >= 8) { // AF_INET
    const port = (bytes[at + 2] << 8) | bytes[at + 3];
    const ip = ((bytes[at + 4] << 24) | (bytes[at + 5] << 16) | (bytes[at + 6] << 8) | bytes[at + 7]) >>> 0;
    let address = v4Names.get(ip);
    if (address === undefined) {
      address = `${bytes[at + 4]}.${bytes[at + 5]}.${bytes[at + 6]}.${bytes[at + 7]}`;
      if (v4Names.size >= 4096) v4Names.clear();
      v4Names.set(ip, address);
    }
    return { address, family: 'IPv4', port };
  }
  const a = decodeSockaddr(bytes.subarray(at, at + Math.max(namelen, 2)));
  return { address: a.address, family: a.family === 'IPv6' ? 'IPv6' : 'IPv4', port: a.port };
}

/**
 * send()'s data as the parts of one datagram: a string (UTF-8), a Buffer/TypedArray/
 * DataView, or an array of those (gathered by one sendmsg), with node:dgram's errors.
 */
export function toParts(data: unknown): ArrayBufferView[] {
  if (typeof data === 'string') return [Buffer.from(data)];
  if (Array.isArray(data)) {
    const parts: ArrayBufferView[] = [];
    for (const d of data) {
      if (typeof d === 'string') parts.push(Buffer.from(d));
      else if (ArrayBuffer.isView(d)) parts.push(d);
      else throw invalidArgType('buffer list arguments', 'of type string or an instance of Buffer, TypedArray, or DataView', data);
    }
    for (let i = 0; i < parts.length; i++) checkView(`buffer[${i}]`, parts[i]);
    return parts;
  }
  if (!ArrayBuffer.isView(data)) {
    throw invalidArgType('buffer', 'of type string or an instance of Buffer, TypedArray, or DataView', data);
  }
  checkView('buffer', data);
  return [data];
}

/**
 * The sockaddr for `address`:`port`, with an IPv6 zone (`fe80::1%eth0`, `ff02::1%2`)
 * as sin6_scope_id: link-local destinations need it to say which link.
 */
export function sockaddrFor(address: string, port: number): Buffer {
  const sa = encodeSockaddr(address, port);
  if (sa.length === 28 && address.includes('%')) sa.writeUInt32LE(in6Addr(address)?.scope ?? 0, 24);
  return sa;
}

/** The bytes of an IPv4 address (struct in_addr), or undefined if `ip` is not one. */
export function inAddr(ip: string): Buffer | undefined {
  return isIPv4(ip) ? encodeSockaddr(ip, 0).subarray(4, 8) : undefined;
}

/**
 * An IPv6 address with an optional scope (`fe80::1%eth0`, `::%2`): its 16 bytes and the
 * interface index of the scope (0 without one), or undefined if it is not one.  A
 * scope names an interface, whose index is in /sys/class/net/<name>/ifindex, or is
 * the index itself.
 */
export function in6Addr(text: string): { bytes: Buffer; scope: number } | undefined {
  const pct = text.indexOf('%');
  const ip = pct < 0 ? text : text.slice(0, pct);
  if (!isIPv6(ip)) return undefined;
  let scope = 0;
  if (pct >= 0) {
    const zone = text.slice(pct + 1);
    if (/^\d+$/.test(zone)) scope = Number(zone);
    else {
      if (!/^[\w.:-]+$/.test(zone)) return undefined;
      try {
        scope = Number(readFileSync(`/sys/class/net/${zone}/ifindex`, 'utf8').trim());
      } catch {
        return undefined;
      }
    }
  }
  return { bytes: encodeSockaddr(ip, 0).subarray(8, 24), scope };
}

/** node:dgram's "Not running": the socket is closed. */
export function notRunning(): Error {
  return codedError(Error, 'ERR_SOCKET_DGRAM_NOT_RUNNING', 'Not running');
}

/** node:dgram's "Already connected". */
export function alreadyConnected(): Error {
  return codedError(Error, 'ERR_SOCKET_DGRAM_IS_CONNECTED', 'Already connected');
}

/** node:dgram's "Not connected". */
export function notConnected(): Error {
  return codedError(Error, 'ERR_SOCKET_DGRAM_NOT_CONNECTED', 'Not connected');
}

/** node:dgram's error for a buffer size that is not an integer >= 0. */
export function badBufferSize(): TypeError {
  return codedError(TypeError, 'ERR_SOCKET_BAD_BUFFER_SIZE', 'Buffer size must be a positive integer');
}

/** node:dgram's ERR_SOCKET_BAD_TYPE (a socket type other than udp4/udp6). */
export function badType(): TypeError {
  return codedError(TypeError, 'ERR_SOCKET_BAD_TYPE', 'Bad socket type specified. Valid types are: udp4, udp6');
}

/** node:dgram's SystemError for a buffer size the kernel refused (or an int it cannot hold). */
export function bufferSizeError(res: number, syscall: string): Error {
  const code = errnoName(res);
  const desc = netError(res, syscall, undefined, undefined, true).message.slice(syscall.length + code.length + 3);
  const message = `${code} (${desc})`;
  const err = codedError(SystemError, 'ERR_SOCKET_BUFFER_SIZE', `Could not get or set buffer size: ${syscall} returned ${message}`);
  Object.assign(err, { errno: -Math.abs(res), syscall, info: { errno: -Math.abs(res), code, message: desc, syscall } });
  return err;
}

/** Node's name for its errors that carry a system call's result (on the prototype: codedError sets and removes an own one). */
class SystemError extends Error {}
Object.defineProperty(SystemError.prototype, 'name', { value: 'SystemError', configurable: true, writable: true, enumerable: false });

/**
 * An IPv6 address for a udp4 socket: node:dgram's "send EINVAL ::1:9" (libuv refuses
 * the family before any system call; the kernel would say EAFNOSUPPORT).  A udp6
 * socket takes IPv4 literals in their mapped form (literalFor), so only udp4 mismatches.
 */
export function familyError(type: SocketType, address: string, syscall: string, port: number): Error | undefined {
  return type === 'udp4' && address.includes(':') ? netError(EINVAL, syscall, address, port) : undefined;
}

/** "setTTL EINVAL" and the like: node:dgram's ErrnoException for a refused value. */
export function invalid(syscall: string): Error {
  return netError(EINVAL, syscall);
}
