/**
 * Socket addresses as the kernel reads and writes them: `struct sockaddr_in` (16
 * bytes) and `struct sockaddr_in6` (28 bytes), with ports and IPv4 addresses in
 * network byte order.  BIND and CONNECT point their SQE at these bytes (so the op
 * keeps the Buffer until its CQE); getsockname/getpeername return them.
 *
 *   sockaddr_in:  0 sa_family u16 (AF_INET = 2) | 2 sin_port u16 BE | 4 sin_addr 4 bytes | 8 zero[8]
 *   sockaddr_in6: 0 sa_family u16 (AF_INET6 = 10) | 2 sin6_port u16 BE | 4 sin6_flowinfo u32
 *                 | 8 sin6_addr 16 bytes | 24 sin6_scope_id u32
 *
 * May touch: nothing but the native getsockname/getpeername (`sockname`); the rest is
 * pure encoding.
 */
import { native } from './native.js';

export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;

export interface SocketAddress {
  family: 'IPv4' | 'IPv6' | 'unix';
  address: string;
  port: number;
}

function ipv4Bytes(ip: string, out: Uint8Array, at: number): void {
  const parts = ip.split('.');
  for (let i = 0; i < 4; i++) out[at + i] = Number(parts[i]);
}

/** 16 bytes of an IPv6 address (handles `::` and an embedded dotted IPv4 tail). */
function ipv6Bytes(ip: string, out: Uint8Array, at: number): void {
  const zone = ip.indexOf('%');
  if (zone >= 0) ip = ip.slice(0, zone);
  let tail4: number[] = [];
  const lastColon = ip.lastIndexOf(':');
  if (ip.indexOf('.', lastColon) >= 0) {
    tail4 = ip.slice(lastColon + 1).split('.').map(Number);
    ip = ip.slice(0, lastColon + 1) + '0:0';
  }
  const [head, rest] = ip.split('::');
  const h = head ? head.split(':') : [];
  const r = rest !== undefined ? (rest ? rest.split(':') : []) : [];
  const groups = rest !== undefined ? [...h, ...new Array(8 - h.length - r.length).fill('0'), ...r] : h;
  for (let i = 0; i < 8; i++) {
    const g = parseInt(groups[i] || '0', 16);
    out[at + i * 2] = g >> 8;
    out[at + i * 2 + 1] = g & 0xff;
  }
  if (tail4.length === 4) for (let i = 0; i < 4; i++) out[at + 12 + i] = tail4[i];
}

// IP literals as node:net's isIP accepts them (its own grammar, written out here:
// importing node:net only for isIP costs ~5 ms of startup — it loads node:stream).
const V4_PART = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]\\d|\\d)';
const V4 = `(?:${V4_PART}\\.){3}${V4_PART}`;
const H = '[0-9a-fA-F]{1,4}';
const V4_RE = new RegExp(`^${V4}$`);
const V6_RE = new RegExp(`^(?:${[
  `(?:${H}:){7}(?:${H}|:)`,
  `(?:${H}:){6}(?:${V4}|:${H}|:)`,
  `(?:${H}:){5}(?::${V4}|(?::${H}){1,2}|:)`,
  `(?:${H}:){4}(?:(?::${H}){0,1}:${V4}|(?::${H}){1,3}|:)`,
  `(?:${H}:){3}(?:(?::${H}){0,2}:${V4}|(?::${H}){1,4}|:)`,
  `(?:${H}:){2}(?:(?::${H}){0,3}:${V4}|(?::${H}){1,5}|:)`,
  `(?:${H}:){1}(?:(?::${H}){0,4}:${V4}|(?::${H}){1,6}|:)`,
  `(?::(?:(?::${H}){0,5}:${V4}|(?::${H}){1,7}|:))`,
].join('|')})(?:%[0-9a-zA-Z-.:]+)?$`);

export function isIPv4(s: string): boolean {
  return V4_RE.test(s);
}
export function isIPv6(s: string): boolean {
  return V6_RE.test(s);
}
/** 4, 6, or 0 (not an IP literal), as node:net's isIP. */
export function isIP(s: string): 0 | 4 | 6 {
  return isIPv4(s) ? 4 : isIPv6(s) ? 6 : 0;
}

/** The sockaddr bytes for `ip`:`port` (an IPv4 or IPv6 literal). */
export function encodeSockaddr(ip: string, port: number): Buffer {
  if (isIPv4(ip)) {
    const b = Buffer.alloc(16);
    b.writeUInt16LE(AF_INET, 0);
    b.writeUInt16BE(port, 2);
    ipv4Bytes(ip, b, 4);
    return b;
  }
  if (isIPv6(ip)) {
    const b = Buffer.alloc(28);
    b.writeUInt16LE(AF_INET6, 0);
    b.writeUInt16BE(port, 2);
    ipv6Bytes(ip, b, 8);
    return b;
  }
  throw new TypeError(`not an IP address: ${ip}`);
}

/** sun_path's size in struct sockaddr_un (<sys/un.h>). */
export const SUN_PATH_MAX = 108;

/**
 * The sockaddr_un bytes for a Unix-domain socket, exactly addrlen long: family, then
 * the path and its NUL; a path that starts with "\0" is a name in Linux's abstract
 * namespace (no file; the name is every byte given, no NUL after it).  undefined if
 * the name does not fit sun_path.
 */
export function encodeUnixSockaddr(path: string): Buffer | undefined {
  const p = Buffer.from(path);
  const abstract = p.length > 0 && p[0] === 0;
  const len = abstract ? p.length : p.length + 1;
  if (p.length === 0 || len > SUN_PATH_MAX) return undefined;
  const b = Buffer.alloc(2 + len);
  b.writeUInt16LE(AF_UNIX, 0);
  p.copy(b, 2);
  return b;
}

/** Node's text form of the address in sockaddr bytes. */
export function decodeSockaddr(bytes: Uint8Array): SocketAddress {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const family = dv.getUint16(0, true);
  if (family === AF_INET) {
    return { family: 'IPv4', address: `${bytes[4]}.${bytes[5]}.${bytes[6]}.${bytes[7]}`, port: dv.getUint16(2, false) };
  }
  if (family === AF_INET6) {
    const groups: string[] = [];
    for (let i = 0; i < 8; i++) groups.push(dv.getUint16(8 + i * 2, false).toString(16));
    // The longest run of zero groups becomes '::', as inet_ntop writes it.
    let best = -1;
    let bestLen = 1;
    for (let i = 0; i < 8;) {
      if (groups[i] !== '0') { i++; continue; }
      let j = i;
      while (j < 8 && groups[j] === '0') j++;
      if (j - i > bestLen) { best = i; bestLen = j - i; }
      i = j;
    }
    let address: string;
    if (best >= 0) {
      address = `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
    } else {
      address = groups.join(':');
    }
    if (address.startsWith('::ffff:') && best === 0 && bestLen === 5) {
      address = `::ffff:${bytes[20]}.${bytes[21]}.${bytes[22]}.${bytes[23]}`;
    }
    return { family: 'IPv6', address, port: dv.getUint16(2, false) };
  }
  if (family === AF_UNIX) {
    if (bytes.length > 2 && bytes[2] === 0) { // abstract: every byte is the name
      return { family: 'unix', address: Buffer.from(bytes.subarray(2)).toString(), port: 0 };
    }
    const end = bytes.indexOf(0, 2);
    return { family: 'unix', address: Buffer.from(bytes.subarray(2, end < 0 ? bytes.length : end)).toString(), port: 0 };
  }
  return { family: 'unix', address: '', port: 0 };
}

/**
 * The address an fd is bound to (getsockname(2)), or its peer's (getpeername(2)) —
 * no io_uring opcode for either: the native gate calls them.  undefined on failure.
 */
export function sockname(fd: number, peer: boolean): SocketAddress | undefined {
  const r = native.sockname(fd, peer);
  return typeof r === 'number' ? undefined : decodeSockaddr(new Uint8Array(r));
}
