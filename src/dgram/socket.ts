/**
 * `UdpSocket`: a UDP socket (IPv4 or IPv6) whose every operation is a ring request —
 * socket, setsockopt and bind to make it; SENDMSG (to an address) or SEND (connected)
 * per datagram; RECVMSG for recv(); ONE multishot RECVMSG for messages(); CONNECT for
 * connect() and, with an AF_UNSPEC address, disconnect(); setsockopt/getsockopt
 * through URING_CMD for the options node:dgram has.  Closing cancels what is pending
 * on the fd first (closing an fd does not cancel io_uring requests on it), so a recv
 * in flight rejects with ECANCELED and messages() ends instead of hanging.
 *
 * Shaped like node:dgram's Socket where it can be, with Promises instead of callbacks
 * and events; the differences are listed in the class comment.
 *
 * May touch: its ring (requests), the native sockname helper.
 */
import { AF_INET, AF_INET6, isIP, type SocketAddress, sockname } from '../sys/sockaddr.js';
import {
  BindOp, ConnectOp, DatagramSendOp, GetsockoptOp, RecvmsgOp, SendmsgOp, SetsockoptOp, SocketOp,
} from '../op/net.js';
import {
  IPPROTO_IP, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, IPV6_DROP_MEMBERSHIP, IPV6_MULTICAST_HOPS, IPV6_MULTICAST_IF,
  IPV6_MULTICAST_LOOP, IPV6_UNICAST_HOPS, IPV6_V6ONLY, IP_ADD_MEMBERSHIP, IP_DROP_MEMBERSHIP, IP_MULTICAST_IF,
  IP_MULTICAST_LOOP, IP_MULTICAST_TTL, IP_TTL, MSG_TRUNC, SOCK_CLOEXEC, SOCK_DGRAM, SOL_SOCKET, SO_BROADCAST,
  SO_RCVBUF, SO_REUSEADDR, SO_REUSEPORT, SO_SNDBUF,
} from '../sys/socket.js';
import { CloseOp } from '../op/io.js';
import { WaitingRequests } from '../op/waiting.js';
import { FdHandle } from '../op/handle.js';
import { codedError, invalidArgType, invalidState, netError, outOfRange, type RingError } from '../op/errors.js';
import type { Ring } from '../runtime/ring.js';
import type { BufferRing } from '../runtime/bufring.js';
import { defaultRing } from '../runtime/current.js';
import {
  alreadyConnected, badBufferSize, badType, bufferSizeError, checkPort, decodeSource, familyError, in6Addr, inAddr, invalid,
  literalFor, lookup, notConnected, notRunning, sockaddrFor, toParts, type AddressInfo, type SocketType,
} from './address.js';
import { Messages, PAYLOAD_AT, type Datagram, type MessageSource, type MessagesOptions } from './messages.js';
import { EBADF, EINVAL } from '../sys/errno.js';
import { checkInteger, checkSignal, signalOf } from '../op/validate.js';

export interface BindOptions {
  /** Default 0: the kernel picks a free port (`address().port`). */
  port?: number;
  /** Default (also for '') '0.0.0.0' ('::' for udp6), as node:dgram; names are resolved with node:dns.  An IPv6 address with `type: 'udp4'` is node:dgram's EINVAL. */
  host?: string;
  /** 'udp4' or 'udp6'; default: the family of `host` if it is an IPv6 literal, else 'udp4'. */
  type?: SocketType;
  /** SO_REUSEADDR before bind (several sockets on one address: multicast receivers). */
  reuseAddr?: boolean;
  /** SO_REUSEPORT before bind: the kernel spreads datagrams over the sockets on the port. */
  reusePort?: boolean;
  /** udp6: IPV6_V6ONLY (no IPv4-mapped traffic); unset leaves the system default (dual stack). */
  ipv6Only?: boolean;
  /** SO_RCVBUF / SO_SNDBUF before bind, as node:dgram's createSocket options. */
  recvBufferSize?: number;
  sendBufferSize?: number;
  /** The ring to run on (default: the thread's default ring). */
  ring?: Ring;
  /**
   * A provided-buffer group of this socket's own for messages() to receive into,
   * instead of the ring's shared one (256 × 16 KiB, shared with TCP chunks()).  Each
   * buffer holds one datagram after a 44-byte header, so `size` - 44 is the largest
   * datagram messages() receives whole (larger ones come `truncated`): the shared
   * group's limit is 16,340 bytes; `{ count: 64, size: 65571 }` takes any UDP
   * datagram (65,527 bytes of IPv6 payload + the header).  `count` must be a power of two;
   * `size` must be more than 44 (ERR_OUT_OF_RANGE at bind).
   */
  recvBuffers?: { count: number; size: number };
}

export interface RecvOptions {
  signal?: AbortSignal;
  /** The largest datagram received whole (longer ones come `truncated`).  Default 65,536. */
  maxLength?: number;
}

const DEFAULT_MAX_LENGTH = 65536;

/**
 * A UDP socket on io_uring.
 *
 * Unlike node:dgram:
 *  - Made bound: `await UdpSocket.bind({ port, host })` is createSocket + bind in one
 *    step (a client binds port 0).  There is no unbound state, no 'listening' event.
 *  - Promises, no events: send() resolves with the bytes sent (rejects with Node's
 *    error: "send EMSGSIZE 127.0.0.1:9"); datagrams come from recv() or messages(),
 *    not 'message' events; receive errors reject/throw there instead of 'error'.
 *  - The option setters and getters are asynchronous (each is a setsockopt or
 *    getsockopt request on the ring) and resolve with what Node's return.
 *  - Argument errors reject (Node throws them synchronously) — with Node's codes and
 *    messages: ERR_SOCKET_BAD_PORT, ERR_INVALID_ARG_TYPE, ERR_SOCKET_DGRAM_NOT_RUNNING,
 *    ERR_SOCKET_DGRAM_IS_CONNECTED, ERR_SOCKET_DGRAM_NOT_CONNECTED,
 *    ERR_SOCKET_BAD_BUFFER_SIZE, ERR_SOCKET_BUFFER_SIZE, ERR_MISSING_ARGS.
 *  - bind() checks its port (Node's dgram bind does not: it truncates 70000).
 *  - An IPv4 address given to a udp6 socket is sent to as its IPv4-mapped address
 *    (Node fails with EINVAL).
 *  - close() is idempotent and resolves when the fd is closed (Node throws
 *    ERR_SOCKET_DGRAM_NOT_RUNNING on a second close).
 *  - unref() releases the messages() request and requests placed after it; a recv()
 *    already in flight keeps the process alive until it completes.
 *  - Not here: addSourceSpecificMembership/dropSourceSpecificMembership, the
 *    lookup option, getSendQueueSize/getSendQueueCount, cluster sharing.
 */
export class UdpSocket extends FdHandle implements MessageSource {
  /** unref()'d: requests in flight on this socket do not keep the process alive. */
  /** recv() requests waiting (for ref()/unref()). */
  private readonly waiting = new WaitingRequests();
  /** The connected peer, once connect() has completed. */
  private peer: AddressInfo | undefined = undefined;
  private connecting: Promise<void> | undefined = undefined;
  private reader: Messages | undefined = undefined;
  /** recv()'s buffer, when no recv() is using it (one reused, others allocated). */
  private spare: Buffer | undefined = undefined;
  /** Recently used destinations, encoded (send() to the same peers again and again). */
  private readonly destinations = new Map<string, Buffer>();

  /** @internal Sockets come from UdpSocket.bind(). */
  constructor(override readonly ring: Ring, fd: number, readonly type: SocketType, private readonly group: BufferRing | undefined,
              private readonly bound: { address: string; port: number }) {
    super(ring, fd);
  }

  /**
   * socket → SO_REUSEADDR / SO_REUSEPORT / IPV6_V6ONLY / SO_RCVBUF / SO_SNDBUF (those
   * asked for) → bind, each a ring request.  `port: 0` picks a free port.
   * @param options  `port` (0: a free one), `host`, `type` ('udp4' | 'udp6'), `reuseAddr`,
   *                 `reusePort`, `ipv6Only`, `recvBufferSize`, `sendBufferSize`, `ring`
   * @returns a Promise of the bound socket
   * @throws (as a rejection) ERR_SOCKET_BAD_PORT / ERR_INVALID_ARG_TYPE for bad options;
   *         EADDRINUSE, EACCES shaped as node:dgram's errors (syscall 'bind')
   * @example
   * ```ts
   * import { UdpSocket } from 'ringcore/dgram';
   *
   * const s = await UdpSocket.bind({ port: 0, host: '127.0.0.1' });
   * console.log(s.address().port > 0); // true
   * await s.close();
   * ```
   */
  // (`override`: it shadows Function.prototype.bind on the class, as TcpListener.bind does.)
  static override async bind(options: BindOptions = {}): Promise<UdpSocket> {
    if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
    const port = checkPort(options.port ?? 0, 'options.port');
    const host = options.host ?? undefined; // null too: node:dgram's default address
    if (host !== undefined && typeof host !== 'string') throw invalidArgType('options.host', 'of type string', host);
    let type = options.type;
    if (type === undefined) type = host !== undefined && isIP(host) === 6 ? 'udp6' : 'udp4';
    if (type !== 'udp4' && type !== 'udp6') throw badType();
    const rcv = options.recvBufferSize === undefined ? undefined : checkBufferSize(options.recvBufferSize);
    const snd = options.sendBufferSize === undefined ? undefined : checkBufferSize(options.sendBufferSize);
    const v6 = type === 'udp6';
    const group = recvBuffersOf(options.recvBuffers); // checked before any lookup or socket
    // An empty host is "any address", as node:dgram's `address || '0.0.0.0'`.
    const address = await lookup(host || (v6 ? '::' : '0.0.0.0'), type);
    const mismatch = familyError(type, address, 'bind', port);
    if (mismatch !== undefined) throw mismatch;
    const ring = options.ring ?? defaultRing();
    const fd = await new SocketOp(ring, v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC).promise();
    try {
      if (options.reuseAddr) await new SetsockoptOp(ring, fd, SOL_SOCKET, SO_REUSEADDR, 1).promise();
      if (options.reusePort) await new SetsockoptOp(ring, fd, SOL_SOCKET, SO_REUSEPORT, 1).promise();
      if (v6 && options.ipv6Only !== undefined) await new SetsockoptOp(ring, fd, IPPROTO_IPV6, IPV6_V6ONLY, options.ipv6Only ? 1 : 0).promise();
      if (rcv) await setBufferSize(ring, fd, SO_RCVBUF, rcv);
      if (snd) await setBufferSize(ring, fd, SO_SNDBUF, snd);
      try {
        await new BindOp(ring, fd, sockaddrFor(address, port), { address, port }).promise();
      } catch (e) {
        // node:dgram words it "bind EADDRINUSE 127.0.0.1:41234" (BindOp speaks node:net's 'listen').
        throw netError((e as RingError).errno, 'bind', address, port);
      }
      // Inside the try: a group refused (bad count or size) must not leave the socket bound.
      const bufferRing = group === undefined ? undefined : ring.provideBuffers(group.count, group.size);
      return newSocket(ring, fd, type, bufferRing, { address, port: sockname(fd, false)?.port ?? port });
    } catch (e) {
      await new CloseOp(ring, fd).promise();
      throw e;
    }
  }

  /** @internal FdHandle: a request on this socket after close() fails as node:dgram's do. */
  override closedError(): Error {
    return notRunning();
  }

  /**
   * The address the socket is bound to (getsockname), as node:dgram's address().
   * @returns `{ address, family, port }` of the bound socket
   * @throws ERR_SOCKET_DGRAM_NOT_RUNNING once the socket is closed
   * @example
   * ```ts
   * import { UdpSocket } from 'ringcore/dgram';
   *
   * const s = await UdpSocket.bind({ port: 0, host: '127.0.0.1' });
   * console.log(s.address()); // { address: '127.0.0.1', family: 'IPv4', port: ... }
   * await s.close();
   * ```
   */
  address(): AddressInfo {
    if (this.fdv < 0) throw notRunning();
    const a = sockname(this.fdv, false);
    if (a === undefined) throw netError(EBADF, 'getsockname');
    return toInfo(a);
  }

  /**
   * The connected peer, as node:dgram's remoteAddress() — what the kernel connected to
   * (getpeername at connect: 0.0.0.0 is 127.0.0.1, no zone); ERR_SOCKET_DGRAM_NOT_CONNECTED if none.
   * @returns `{ address, family, port }` of the connected peer
   * @throws ERR_SOCKET_DGRAM_NOT_CONNECTED when the socket is not connected
   * @example
   * ```ts
   * import { UdpSocket } from 'ringcore/dgram';
   *
   * const s = await UdpSocket.bind({ port: 0, host: '127.0.0.1' });
   * await s.connect(s.address().port, '127.0.0.1');
   * console.log(s.remoteAddress().port === s.address().port); // true
   * await s.close();
   * ```
   */
  remoteAddress(): AddressInfo {
    if (this.fdv < 0) throw notRunning();
    if (this.peer === undefined) throw notConnected();
    return { ...this.peer };
  }

  /**
   * Send one datagram: `data` is a string (UTF-8), a Buffer/TypedArray/DataView, or an
   * array of them (gathered into one datagram).  To `port`/`host` (host default
   * '127.0.0.1', or '::1' for udp6) with IORING_OP_SENDMSG, or, on a connected socket
   * and without them, to the peer with IORING_OP_SEND.  Resolves with the bytes sent.
   * The data must not change until the promise settles (the kernel reads it then).
   * @param data  the datagram: a string (UTF-8), a Buffer/TypedArray/DataView, or an array
   *              of them gathered into one datagram
   * @param port  the destination port (omitted on a connected socket)
   * @param host  the destination host (default — also for '' — '127.0.0.1', '::1' for udp6;
   *              an IPv4 literal on a udp6 socket is sent to its mapped form ::ffff:a.b.c.d,
   *              where node:dgram says EINVAL)
   * @returns a Promise of the byte count sent
   * @throws ERR_SOCKET_BAD_PORT (also for no port on an unconnected socket, as node:dgram),
   *         ERR_INVALID_ARG_TYPE, EINVAL for an IPv6 address on a udp4 socket (before any
   *         request), EMSGSIZE ... shaped as node:dgram's errors
   * @example
   * ```ts
   * import { UdpSocket } from 'ringcore/dgram';
   *
   * const a = await UdpSocket.bind({ port: 0, host: '127.0.0.1' });
   * const b = await UdpSocket.bind({ port: 0, host: '127.0.0.1' });
   * await a.send(['hello ', Buffer.from('udp')], b.address().port, '127.0.0.1');
   * const d = await b.recv();
   * console.log(d.data.toString(), d.port === a.address().port); // 'hello udp' true
   * await Promise.all([a.close(), b.close()]);
   * ```
   */
  send(data: string | ArrayBufferView | readonly (string | ArrayBufferView)[], port?: number, host?: string): Promise<number> {
    try {
      const parts = toParts(data);
      if (this.fdv < 0) throw notRunning();
      if (this.peer !== undefined || this.connecting !== undefined) {
        if (port !== undefined || host !== undefined) throw alreadyConnected();
        if (this.peer === undefined) return this.connecting!.then(() => this.send(parts, undefined, undefined));
        const peer = this.peer;
        const op = parts.length === 1
          ? new DatagramSendOp(this.ring, this.fdv, parts[0], peer, { owner: this })
          : new SendmsgOp(this.ring, this.fdv, parts, undefined, peer, { owner: this });
        return op.promise();
      }
      const p = checkPort(port, 'Port', false);
      if (host != null && typeof host !== 'string') throw invalidArgType('address', 'of type string', host);
      const h = host || (this.type === 'udp6' ? '::1' : '127.0.0.1'); // '' and null too, as node:dgram
      const key = `${h}|${p}`;
      const sockaddr = this.destinations.get(key);
      if (sockaddr !== undefined) return this.sendTo(parts, sockaddr, h, p);
      const literal = literalFor(h, this.type);
      if (literal !== undefined) {
        const mismatch = familyError(this.type, literal, 'send', p);
        if (mismatch !== undefined) throw mismatch;
        return this.sendTo(parts, this.remember(key, sockaddrFor(literal, p)), h, p);
      }
      return lookup(h, this.type).then((address) => {
        const mismatch = familyError(this.type, address, 'send', p);
        if (mismatch !== undefined) throw mismatch;
        return this.sendTo(parts, sockaddrFor(address, p), address, p);
      });
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private sendTo(parts: ArrayBufferView[], sockaddr: Buffer, address: string, port: number): Promise<number> {
    if (this.fdv < 0) return Promise.reject(notRunning());
    const op = new SendmsgOp(this.ring, this.fdv, parts, sockaddr, { address, port }, { owner: this });
    return op.promise();
  }

  private remember(key: string, sockaddr: Buffer): Buffer {
    if (this.destinations.size >= 256) this.destinations.clear();
    this.destinations.set(key, sockaddr);
    return sockaddr;
  }

  /**
   * Associate the socket with `host`:`port` (host default '127.0.0.1' / '::1'): send()
   * then takes no address, and only that peer's datagrams are received.  One
   * IORING_OP_CONNECT (no packet is sent).
   * @param port  the peer's port
   * @param host  the peer's host (default — also for '' — '127.0.0.1', '::1' for udp6)
   * @returns a Promise that resolves once the socket is connected
   * @throws ERR_SOCKET_BAD_PORT for a bad port; ERR_SOCKET_DGRAM_IS_CONNECTED when it already is;
   *         EINVAL for an IPv6 address on a udp4 socket, as node:dgram
   * @example
   * ```ts
   * import { UdpSocket } from 'ringcore/dgram';
   *
   * const server = await UdpSocket.bind({ port: 0, host: '127.0.0.1' });
   * const client = await UdpSocket.bind({ port: 0, host: '127.0.0.1' });
   * await client.connect(server.address().port, '127.0.0.1');
   * await client.send('no address needed'); // IORING_OP_SEND
   * console.log((await server.recv()).data.length); // 17
   * await Promise.all([client.close(), server.close()]);
   * ```
   */
  connect(port: number, host?: string): Promise<void> {
    try {
      const p = checkPort(port, 'Port', false);
      if (host != null && typeof host !== 'string') throw invalidArgType('address', 'of type string', host);
      if (this.fdv < 0) throw notRunning();
      if (this.peer !== undefined || this.connecting !== undefined) throw alreadyConnected();
      const h = host || (this.type === 'udp6' ? '::1' : '127.0.0.1'); // '' and null too, as node:dgram
      const connecting = (async () => {
        const address = await lookup(h, this.type);
        const mismatch = familyError(this.type, address, 'connect', p);
        if (mismatch !== undefined) throw mismatch;
        if (this.fdv < 0) throw notRunning();
        const op = new ConnectOp(this.ring, this.fdv, sockaddrFor(address, p), { address, port: p }, { owner: this });
        await op.promise();
        // What the kernel connected to, as node:dgram reports it (getpeername): a connect
        // to 0.0.0.0 is to 127.0.0.1, a zone is not part of the peer's address.
        const peer = this.fdv >= 0 ? sockname(this.fdv, true) : undefined;
        this.peer = peer !== undefined && peer.family !== 'unix'
          ? { address: peer.address, family: peer.family, port: peer.port }
          : { address, family: address.includes(':') ? 'IPv6' : 'IPv4', port: p };
      })();
      this.connecting = connecting;
      const done = () => {
        if (this.connecting === connecting) this.connecting = undefined;
      };
      connecting.then(done, done);
      return connecting;
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Undo connect(): IORING_OP_CONNECT with an AF_UNSPEC address, which the kernel
   * takes as "disconnect" for datagram sockets.  send() needs an address again.
   *
   * The kernel's udp_disconnect also unbinds the port if the kernel picked it (bind
   * with port 0): the socket would hear nothing until its next send bound another.
   * node:dgram leaves it so; here the socket binds the same address and port again
   * (IORING_OP_BIND), so that address() and the datagrams sent to it stay the same.
   * @returns a Promise that resolves once the association is dissolved (a CONNECT to AF_UNSPEC)
   * @throws ERR_SOCKET_DGRAM_NOT_CONNECTED when the socket is not connected
   * @example
   * ```ts
   * import { UdpSocket } from 'ringcore/dgram';
   *
   * const s = await UdpSocket.bind({ port: 0, host: '127.0.0.1' });
   * await s.connect(9, '127.0.0.1');
   * await s.disconnect(); // send() needs an address again
   * await s.close();
   * ```
   */
  disconnect(): Promise<void> {
    try {
      if (this.fdv < 0) throw notRunning();
      if (this.peer === undefined) throw notConnected();
      this.peer = undefined;
      const op = new ConnectOp(this.ring, this.fdv, Buffer.alloc(16) /* sa_family 0 = AF_UNSPEC */, {}, { owner: this });
      return op.promise().then(() => this.rebind());
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private async rebind(): Promise<void> {
    if (this.fdv < 0 || sockname(this.fdv, false)?.port !== 0) return;
    const { address, port } = this.bound;
    const op = new BindOp(this.ring, this.fdv, sockaddrFor(address, port), { address, port }, { owner: this });
    try {
      await op.promise();
    } catch (e) {
      throw netError((e as RingError).errno, 'bind', address, port);
    }
  }

  /**
   * One datagram (one IORING_OP_RECVMSG): its bytes and where it came from.  Up to
   * `maxLength` bytes (default 65,536: any UDP datagram); a longer one comes cut, with
   * `truncated: true`.  Rejects with ECANCELED if the socket is closed meanwhile.
   * @param opts  `maxLength` (default 65,536), `signal`
   * @returns a Promise of one datagram: `{ data, address, family, port, truncated }`
   * @throws ECANCELED when the socket is closed meanwhile; an AbortError on abort
   * @example
   * ```ts
   * import { UdpSocket } from 'ringcore/dgram';
   *
   * const s = await UdpSocket.bind({ port: 0, host: '127.0.0.1' });
   * await s.send('to myself', s.address().port, '127.0.0.1');
   * const { data, truncated } = await s.recv({ maxLength: 4 });
   * console.log(data.toString(), truncated); // 'to m' true
   * await s.close();
   * ```
   */
  recv(opts?: RecvOptions): Promise<Datagram> {
    try {
      const signal = signalOf(opts);
      const maxLength = opts?.maxLength === undefined ? DEFAULT_MAX_LENGTH : checkInteger(opts.maxLength, 'options.maxLength', 1, 2 ** 30);
      if (this.fdv < 0) throw notRunning();
      let buf = this.spare;
      if (buf !== undefined && buf.length === maxLength) this.spare = undefined;
      else buf = Buffer.allocUnsafeSlow(maxLength);
      const op = new RecvmsgOp(this.ring, this.fdv, buf, { signal, owner: this });
      this.waiting.add(op); // a recv() only waits for a peer: it follows unref(), now and while it waits
      return op.promise().then((r) => {
        const n = Math.min(r.length, buf.length);
        const data = Buffer.allocUnsafe(n);
        buf.copy(data, 0, 0, n);
        if (maxLength === DEFAULT_MAX_LENGTH) this.spare = buf;
        const from = decodeSource(r.name, 0, r.name.length);
        return { data, address: from.address, family: from.family, port: from.port, truncated: (r.flags & MSG_TRUNC) !== 0 };
      });
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Datagrams as they come, from ONE multishot IORING_OP_RECVMSG into provided buffers
   * (dgram/messages.ts): each a Buffer the caller owns, with its source and a
   * `truncated` flag.  At most `highWaterMark` datagrams (default 1024) or
   * `highWaterBytes` (4 MiB) wait unconsumed; past that the socket stops taking
   * datagrams from the kernel until the consumer catches up (then the kernel's
   * receive buffer fills, and past it the kernel drops — UDP).  One iterator at a
   * time per socket; it ends when the socket closes.
   * @param opts  `signal`, `highWaterMark` (datagrams, default 1024), `highWaterBytes`
   *              (default 4 MiB)
   * @returns an async iterator of datagrams (Buffers you own, with their source); it ends
   *          when the socket closes
   * @throws ERR_INVALID_STATE when another iterator already runs on this socket
   * @example
   * ```ts
   * import { UdpSocket } from 'ringcore/dgram';
   *
   * const s = await UdpSocket.bind({ port: 0, host: '127.0.0.1' });
   * for (const n of [1, 2, 3]) await s.send(String(n), s.address().port, '127.0.0.1');
   * let sum = 0;
   * for await (const d of s.messages()) {
   *   sum += Number(d.data.toString());
   *   if (sum === 6) break; // ends the one multishot RECVMSG
   * }
   * await s.close();
   * ```
   */
  messages(opts?: MessagesOptions): AsyncIterableIterator<Datagram> {
    if (opts !== undefined && (opts === null || typeof opts !== 'object')) throw invalidArgType('options', 'of type object', opts);
    const signal = checkSignal(opts?.signal);
    const highWaterMark = opts?.highWaterMark === undefined ? undefined : checkInteger(opts.highWaterMark, 'options.highWaterMark', 1, 2 ** 31 - 1);
    const highWaterBytes = opts?.highWaterBytes === undefined ? undefined : checkInteger(opts.highWaterBytes, 'options.highWaterBytes', 1, 2 ** 53 - 1);
    if (this.fdv < 0) throw notRunning();
    if (this.reader !== undefined) throw invalidState('this socket already has a messages() iterator running');
    const reader = new Messages(this, this.group ?? this.ring.recvBuffers, { signal, highWaterMark, highWaterBytes });
    if (!reader.isStopped) this.reader = reader;
    return reader;
  }

  /** @internal MessageSource: the iterator stopped. */
  messagesEnded(m: Messages): void {
    if (this.reader === m) this.reader = undefined;
  }

  /** The provided-buffer group messages() receives into. */
  get recvBuffers(): BufferRing {
    return this.group ?? this.ring.recvBuffers;
  }

  /**
   * Cancel what is pending (recv() rejects with ECANCELED, messages() ends), then close the fd.  Idempotent.
   * @returns a Promise that resolves once the socket is closed (pending receives cancelled)
   * @example
   * ```ts
   * import { UdpSocket } from 'ringcore/dgram';
   *
   * const s = await UdpSocket.bind({ port: 0 });
   * await s.close();
   * ```
   */
  override close(): Promise<void> {
    const reader = this.reader;
    const closing = super.close();
    reader?.stop(undefined);
    this.peer = undefined;
    return closing;
  }

  /**
   * Let the process exit while this socket waits (as node:dgram's unref()): its
   * requests that wait for datagrams — the messages() recvmsg that stays armed, recv()s
   * in flight or placed from now on — no longer keep the event loop alive.  Sends
   * always do (as in Node, what was given is sent).
   * @returns this socket
   * @example
   * ```ts
   * import { UdpSocket } from 'ringcore/dgram';
   *
   * const s = await UdpSocket.bind({ port: 0 });
   * s.unref(); // a pending recv() no longer keeps the process alive
   * void s.recv().catch(() => {});
   * ```
   */
  unref(): this {
    return this.setRef(false);
  }

  /**
   * Undo unref(): waiting on this socket keeps the process alive again (the default).
   * @returns this socket
   * @example
   * ```ts
   * import { UdpSocket } from 'ringcore/dgram';
   *
   * const s = await UdpSocket.bind({ port: 0 });
   * s.unref().ref(); // the default again
   * await s.close();
   * ```
   */
  ref(): this {
    return this.setRef(true);
  }

  private setRef(refd: boolean): this {
    this.waiting.setRef(this.ring, refd);
    this.reader?.refChanged();
    return this;
  }

  /** unref()'d: waiting for datagrams does not keep the process alive. */
  get unrefd(): boolean {
    return this.waiting.unref;
  }

  // ------------------------------------------------------------- options --

  /**
   * SO_BROADCAST: may send to broadcast addresses.
   * @param flag  SO_BROADCAST on or off
   * @returns a Promise that resolves once the option is set
   * @throws ERR_SOCKET_DGRAM_NOT_RUNNING once closed
   * @example
   * ```ts
   * import { UdpSocket } from 'ringcore/dgram';
   *
   * const s = await UdpSocket.bind({ port: 0 });
   * await s.setBroadcast(true);
   * await s.close();
   * ```
   */
  async setBroadcast(flag: boolean): Promise<void> {
    await this.option(SOL_SOCKET, SO_BROADCAST, flag ? 1 : 0, 'setBroadcast');
  }

  /**
   * IP_TTL (IPV6_UNICAST_HOPS on udp6): 1..255.  Resolves with `ttl`.
   * @param ttl  1..255: IP_TTL (IPV6_UNICAST_HOPS on udp6)
   * @returns a Promise of the TTL set
   * @throws ERR_INVALID_ARG_TYPE for a non-number; EINVAL out of range, as node:dgram
   * @example
   * ```ts
   * import { UdpSocket } from 'ringcore/dgram';
   *
   * const s = await UdpSocket.bind({ port: 0 });
   * console.log(await s.setTTL(64)); // 64
   * await s.close();
   * ```
   */
  async setTTL(ttl: number): Promise<number> {
    checkNumber(ttl, 'ttl');
    if (!(ttl >= 1 && ttl <= 255)) throw this.fdv < 0 ? notRunning() : invalid('setTTL');
    const v6 = this.type === 'udp6';
    await this.option(v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_UNICAST_HOPS : IP_TTL, Math.trunc(ttl), 'setTTL');
    return ttl;
  }

  /**
   * IP_MULTICAST_TTL (IPV6_MULTICAST_HOPS on udp6): 0..255.  Resolves with `ttl`.
   * @param ttl  0..255: IP_MULTICAST_TTL (IPV6_MULTICAST_HOPS on udp6)
   * @returns a Promise of the TTL set
   * @throws ERR_INVALID_ARG_TYPE for a non-number; EINVAL out of range, as node:dgram
   * @example
   * ```ts
   * import { UdpSocket } from 'ringcore/dgram';
   *
   * const s = await UdpSocket.bind({ port: 0 });
   * console.log(await s.setMulticastTTL(1)); // 1
   * await s.close();
   * ```
   */
  async setMulticastTTL(ttl: number): Promise<number> {
    checkNumber(ttl, 'ttl');
    if (!(ttl >= 0 && ttl <= 255)) throw this.fdv < 0 ? notRunning() : invalid('setMulticastTTL');
    const v6 = this.type === 'udp6';
    await this.option(v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_MULTICAST_HOPS : IP_MULTICAST_TTL, Math.trunc(ttl), 'setMulticastTTL');
    return ttl;
  }

  /**
   * IP_MULTICAST_LOOP (IPV6_MULTICAST_LOOP): does this host get its own multicast datagrams?  Resolves with `flag`.
   * @param flag  IP_MULTICAST_LOOP: receive this host's own multicast datagrams
   * @returns a Promise of the flag set
   * @example
   * ```ts
   * import { UdpSocket } from 'ringcore/dgram';
   *
   * const s = await UdpSocket.bind({ port: 0 });
   * console.log(await s.setMulticastLoopback(false)); // false
   * await s.close();
   * ```
   */
  async setMulticastLoopback(flag: boolean): Promise<boolean> {
    const v6 = this.type === 'udp6';
    await this.option(v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_MULTICAST_LOOP : IP_MULTICAST_LOOP, flag ? 1 : 0, 'setMulticastLoopback');
    return flag;
  }

  /**
   * The interface outgoing multicast leaves from: an IPv4 address of the interface
   * (IP_MULTICAST_IF, struct in_addr), or on udp6 '::%<interface name or index>'
   * (IPV6_MULTICAST_IF, the interface index).
   * @param interfaceAddress  the interface for outgoing multicast: an IPv4 address, or on
   *                          udp6 an interface scope such as '::%eth0'
   * @returns a Promise that resolves once the option is set
   * @throws ERR_INVALID_ARG_TYPE for a non-string; EADDRNOTAVAIL and the like as node:dgram
   * @example
   * ```ts
   * import { UdpSocket } from 'ringcore/dgram';
   *
   * const s = await UdpSocket.bind({ port: 0 });
   * await s.setMulticastInterface('127.0.0.1');
   * await s.close();
   * ```
   */
  async setMulticastInterface(interfaceAddress: string): Promise<void> {
    if (typeof interfaceAddress !== 'string') throw invalidArgType('interfaceAddress', 'of type string', interfaceAddress);
    if (this.type === 'udp6') {
      const a = in6Addr(interfaceAddress);
      if (a === undefined) throw this.fdv < 0 ? notRunning() : invalid('setMulticastInterface');
      await this.option(IPPROTO_IPV6, IPV6_MULTICAST_IF, a.scope, 'setMulticastInterface');
    } else {
      const a = inAddr(interfaceAddress);
      if (a === undefined) throw this.fdv < 0 ? notRunning() : invalid('setMulticastInterface');
      await this.option(IPPROTO_IP, IP_MULTICAST_IF, a, 'setMulticastInterface');
    }
  }

  /**
   * Join the multicast group `multicastAddress` on the interface `interfaceAddress`
   * (IPv4: its address, default any — struct ip_mreq; IPv6: '::%<name or index>' or
   * an address with a scope, default 0 = the kernel's choice — struct ipv6_mreq).
   * @param multicastAddress  the group to join (e.g. '239.1.2.3', 'ff02::1:3')
   * @param interfaceAddress  the interface to join it on (default: the kernel's choice)
   * @returns a Promise that resolves once joined (IP_ADD_MEMBERSHIP / IPV6_JOIN_GROUP)
   * @throws ERR_INVALID_ARG_TYPE / EINVAL for a bad group; EADDRINUSE when already joined
   * @example
   * ```ts
   * import { UdpSocket } from 'ringcore/dgram';
   *
   * const s = await UdpSocket.bind({ port: 0, reuseAddr: true });
   * await s.addMembership('239.1.2.3', '127.0.0.1');
   * await s.dropMembership('239.1.2.3', '127.0.0.1');
   * await s.close();
   * ```
   */
  addMembership(multicastAddress: string, interfaceAddress?: string): Promise<void> {
    return this.membership(multicastAddress, interfaceAddress, true);
  }

  /**
   * Leave a group joined with addMembership (EADDRNOTAVAIL if not a member).
   * @param multicastAddress  the group to leave
   * @param interfaceAddress  the interface it was joined on
   * @returns a Promise that resolves once left
   * @throws EADDRNOTAVAIL when the group was not joined
   * @example
   * ```ts
   * import { UdpSocket } from 'ringcore/dgram';
   *
   * const s = await UdpSocket.bind({ port: 0 });
   * await s.addMembership('239.1.2.4', '127.0.0.1');
   * await s.dropMembership('239.1.2.4', '127.0.0.1');
   * await s.close();
   * ```
   */
  dropMembership(multicastAddress: string, interfaceAddress?: string): Promise<void> {
    return this.membership(multicastAddress, interfaceAddress, false);
  }

  private async membership(group: unknown, iface: unknown, join: boolean): Promise<void> {
    const syscall = join ? 'addMembership' : 'dropMembership';
    if (!group) throw codedError(TypeError, 'ERR_MISSING_ARGS', 'The "multicastAddress" argument must be specified');
    if (this.fdv < 0) throw notRunning();
    const g = String(group);
    const v4 = inAddr(g);
    if (v4 !== undefined) {
      const i = inAddr(iface === undefined || iface === null ? '0.0.0.0' : String(iface));
      if (i === undefined) throw invalid(syscall);
      const mreq = Buffer.concat([v4, i]); // struct ip_mreq { imr_multiaddr; imr_interface }
      await this.option(IPPROTO_IP, join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP, mreq, syscall);
      return;
    }
    const v6 = in6Addr(g);
    if (v6 === undefined) throw invalid(syscall);
    let ifindex = v6.scope;
    if (iface !== undefined && iface !== null) {
      const i = in6Addr(String(iface));
      if (i === undefined) throw invalid(syscall);
      ifindex = i.scope;
    }
    const mreq = Buffer.alloc(20); // struct ipv6_mreq { ipv6mr_multiaddr[16]; int ipv6mr_interface }
    mreq.set(v6.bytes, 0);
    mreq.writeInt32LE(ifindex, 16);
    await this.option(IPPROTO_IPV6, join ? IPV6_ADD_MEMBERSHIP : IPV6_DROP_MEMBERSHIP, mreq, syscall);
  }

  /**
   * SO_RCVBUF (the kernel doubles it, for its bookkeeping; 0 leaves it as it is, as in Node).
   * @param size  SO_RCVBUF in bytes (the kernel doubles it and caps it at rmem_max)
   * @returns a Promise that resolves once set
   * @throws ERR_SOCKET_BAD_BUFFER_SIZE for a size that is not a positive integer, as node:dgram
   * @example
   * ```ts
   * import { UdpSocket } from 'ringcore/dgram';
   *
   * const s = await UdpSocket.bind({ port: 0 });
   * await s.setRecvBufferSize(1 << 20);
   * console.log(await s.getRecvBufferSize() > 0); // true
   * await s.close();
   * ```
   */
  async setRecvBufferSize(size: number): Promise<void> {
    checkBufferSize(size);
    if (this.fdv < 0) throw notRunning();
    if (size > 0) await setBufferSize(this.ring, this.fdv, SO_RCVBUF, size, this);
  }

  /**
   * SO_SNDBUF (doubled by the kernel; 0 leaves it as it is).
   * @param size  SO_SNDBUF in bytes (the kernel doubles it and caps it at wmem_max)
   * @returns a Promise that resolves once set
   * @throws ERR_SOCKET_BAD_BUFFER_SIZE for a size that is not a positive integer, as node:dgram
   * @example
   * ```ts
   * import { UdpSocket } from 'ringcore/dgram';
   *
   * const s = await UdpSocket.bind({ port: 0 });
   * await s.setSendBufferSize(1 << 20);
   * await s.close();
   * ```
   */
  async setSendBufferSize(size: number): Promise<void> {
    checkBufferSize(size);
    if (this.fdv < 0) throw notRunning();
    if (size > 0) await setBufferSize(this.ring, this.fdv, SO_SNDBUF, size, this);
  }

  /**
   * SO_RCVBUF as the kernel reports it (getsockopt through URING_CMD).
   * @returns a Promise of SO_RCVBUF as the kernel holds it
   * @throws ERR_SOCKET_DGRAM_NOT_RUNNING once the socket is closed
   * @example
   * ```ts
   * import { UdpSocket } from 'ringcore/dgram';
   *
   * const s = await UdpSocket.bind({ port: 0 });
   * console.log(await s.getRecvBufferSize());
   * await s.close();
   * ```
   */
  getRecvBufferSize(): Promise<number> {
    return this.bufferSize(SO_RCVBUF);
  }

  /**
   * SO_SNDBUF as the kernel reports it.
   * @returns a Promise of SO_SNDBUF as the kernel holds it
   * @throws ERR_SOCKET_DGRAM_NOT_RUNNING once the socket is closed
   * @example
   * ```ts
   * import { UdpSocket } from 'ringcore/dgram';
   *
   * const s = await UdpSocket.bind({ port: 0 });
   * console.log(await s.getSendBufferSize());
   * await s.close();
   * ```
   */
  getSendBufferSize(): Promise<number> {
    return this.bufferSize(SO_SNDBUF);
  }

  private async bufferSize(optname: number): Promise<number> {
    if (this.fdv < 0) throw notRunning();
    const op = new GetsockoptOp(this.ring, this.fdv, SOL_SOCKET, optname, { owner: this });
    try {
      return await op.promise();
    } catch (e) {
      const errno = (e as RingError).errno;
      throw typeof errno === 'number' ? bufferSizeError(errno, 'getsockopt') : e;
    }
  }

  private async option(level: number, optname: number, value: number | Uint8Array, syscall: string): Promise<void> {
    if (this.fdv < 0) throw notRunning();
    const op = new SetsockoptOp(this.ring, this.fdv, level, optname, value, syscall, { owner: this });
    await op.promise();
  }
}

/**
 * `new UdpSocket(...)` from outside the class body (a class that names itself in its
 * body is bundled as `var UdpSocket = class _UdpSocket`, and its name would show so).
 */
function newSocket(ring: Ring, fd: number, type: SocketType, group: BufferRing | undefined,
                   bound: { address: string; port: number }): UdpSocket {
  return new UdpSocket(ring, fd, type, group, bound);
}

function toInfo(a: SocketAddress): AddressInfo {
  return { address: a.address, family: a.family === 'IPv6' ? 'IPv6' : 'IPv4', port: a.port };
}

/** Node's validateNumber. */
function checkNumber(v: unknown, name: string): asserts v is number {
  if (typeof v !== 'number') throw invalidArgType(name, 'of type number', v);
}

/** node:dgram's check of a buffer size: an integer >= 0 (a uint32), else ERR_SOCKET_BAD_BUFFER_SIZE. */
function checkBufferSize(size: unknown): number {
  if (typeof size !== 'number' || size >>> 0 !== size) throw badBufferSize();
  return size;
}

/** SO_RCVBUF/SO_SNDBUF; a size the kernel refuses, or one past an int, is ERR_SOCKET_BUFFER_SIZE. */
async function setBufferSize(ring: Ring, fd: number, optname: number, size: number, owner?: UdpSocket): Promise<void> {
  if (size > 0x7fffffff) throw bufferSizeError(EINVAL, 'setsockopt');
  const op = new SetsockoptOp(ring, fd, SOL_SOCKET, optname, size, undefined, { owner });
  try {
    await op.promise();
  } catch (e) {
    const errno = (e as RingError).errno;
    throw typeof errno === 'number' ? bufferSizeError(errno, 'setsockopt') : e;
  }
}

/**
 * `options.recvBuffers` of bind(), read once and checked before anything is made: an
 * object whose `count` is a power of two up to 32768 and whose `size` leaves room after
 * the header the kernel writes at the start of each buffer (io_uring_recvmsg_out and the
 * source address: messages.ts PAYLOAD_AT, 44 bytes — a smaller buffer could never
 * receive a byte), up to 16 MiB.
 */
function recvBuffersOf(rb: unknown): { count: number; size: number } | undefined {
  if (rb === undefined) return undefined;
  if (rb === null || typeof rb !== 'object') throw invalidArgType('options.recvBuffers', 'of type object', rb);
  const { count, size } = rb as { count?: unknown; size?: unknown };
  checkInteger(count, 'options.recvBuffers.count', 1, 32768);
  if (((count as number) & ((count as number) - 1)) !== 0) {
    throw outOfRange('options.recvBuffers.count', 'a power of two between 1 and 32768', count);
  }
  checkInteger(size, 'options.recvBuffers.size', PAYLOAD_AT + 1, 1 << 24);
  return { count: count as number, size: size as number };
}
