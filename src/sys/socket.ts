/**
 * Socket numbers the kernel reads from our SQEs: socket(2) types and flags,
 * setsockopt(2) levels and option names, send/recv MSG_* flags, and io_uring's
 * URING_CMD socket sub-commands.  x86-64 Linux values (<linux/socket.h>,
 * <asm-generic/socket.h>, <linux/in.h>, <linux/in6.h>, <linux/tcp.h>,
 * <linux/io_uring.h>).  Address families and sockaddr layouts are in sockaddr.ts.
 *
 * May touch: nothing — pure data, but for STREAM_NONBLOCK, which reads the kernel's
 * release once (os.release()).
 */
import { release } from 'node:os';

// Stream sockets (ringcore/net).
export const SOCK_STREAM = 1;
export const SOCK_CLOEXEC = 0o2000000;
/**
 * O_NONBLOCK on a new socket.  RingCore's connected stream sockets carry it: io_uring's
 * RECV/SEND/READV/WRITEV on them still wait (the kernel arms a poll: sockets support
 * NOWAIT), but a SPLICE into a full one returns EAGAIN instead of holding an io-wq
 * worker thread until the peer reads (sendFile then polls) — with blocking sockets a
 * few peers that stop reading could hold every worker and stall every other sendFile.
 */
export const SOCK_NONBLOCK = 0o4000;

/**
 * SOCK_NONBLOCK where io_uring retries O_NONBLOCK sockets by polling in READV/WRITEV
 * too (kernel commit 5d329e1286b0, "allow retry for O_NONBLOCK if async is supported":
 * 5.15, backported to some 5.10/5.14 stables); before it, a READV/WRITEV on a
 * non-blocking socket returned EAGAIN to us instead of waiting.  RECV/SEND never looked
 * at O_NONBLOCK.  On older kernels stream sockets stay blocking (0 here), as before.
 */
export const STREAM_NONBLOCK = kernelAtLeast(release(), 5, 15) ? SOCK_NONBLOCK : 0;

/** Is the release string (`uname -r`, e.g. "6.18.44-fc-v657") at least major.minor? */
export function kernelAtLeast(rel: string, major: number, minor: number): boolean {
  const m = /^(\d+)\.(\d+)/.exec(rel);
  if (m === null) return false;
  const a = Number(m[1]), b = Number(m[2]);
  return a > major || (a === major && b >= minor);
}
export const MSG_NOSIGNAL = 0x4000;
/**
 * send(2) flag: more data follows at once.  TCP holds back the send's last partial
 * segment (as TCP_CORK does, for this one call) until the next send fills or pushes
 * it, or an ACK arrives; if nothing comes, the kernel sends it by itself when its
 * probe timer fires (the retransmission timeout: at least 200 ms, longer on slow
 * links).  Ignored by Unix-domain stream sockets.
 */
export const MSG_MORE = 0x8000;
export const SOL_SOCKET = 1;
export const SO_REUSEADDR = 2;
export const SO_REUSEPORT = 15;
export const IPPROTO_TCP = 6;
export const TCP_NODELAY = 1;
export const TCP_KEEPIDLE = 4;
export const SO_KEEPALIVE = 9;
export const IPPROTO_IPV6 = 41;
export const IPV6_V6ONLY = 26;
/** enum io_uring_socket_op */
export const SOCKET_URING_OP_GETSOCKOPT = 2;
export const SOCKET_URING_OP_SETSOCKOPT = 3;

// Datagram sockets (ringcore/dgram).  <linux/socket.h>, <linux/in.h>, <linux/in6.h>.
export const SOCK_DGRAM = 2;
export const IPPROTO_IP = 0;
export const IPPROTO_UDP = 17;
export const SO_SNDBUF = 7;
export const SO_RCVBUF = 8;
export const SO_BROADCAST = 6;
/** IPPROTO_IP options: int, except MULTICAST_IF (struct in_addr) and the memberships (struct ip_mreq). */
export const IP_TTL = 2;
export const IP_MULTICAST_IF = 32;
export const IP_MULTICAST_TTL = 33;
export const IP_MULTICAST_LOOP = 34;
export const IP_ADD_MEMBERSHIP = 35;
export const IP_DROP_MEMBERSHIP = 36;
/** IPPROTO_IPV6 options: int (an interface index for MULTICAST_IF), memberships struct ipv6_mreq. */
export const IPV6_UNICAST_HOPS = 16;
export const IPV6_MULTICAST_IF = 17;
export const IPV6_MULTICAST_HOPS = 18;
export const IPV6_MULTICAST_LOOP = 19;
export const IPV6_ADD_MEMBERSHIP = 20;
export const IPV6_DROP_MEMBERSHIP = 21;
/** msg_flags: the datagram was longer than the buffer; the rest is gone. */
export const MSG_TRUNC = 0x20;
