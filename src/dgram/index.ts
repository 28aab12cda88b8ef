/**
 * `ringcore/dgram`: UDP on io_uring.  The public entry point; the pieces live beside it:
 *   socket.ts    UdpSocket (bind, send, connect/disconnect, recv, messages, the
 *                socket options node:dgram has, close)
 *   messages.ts  one multishot RECVMSG into provided buffers, with a bound on what waits
 *   address.ts   port checks, host resolution per family, source addresses, node:dgram's errors
 *
 * May touch: nothing itself; it re-exports.
 *
 * @module ringcore/dgram
 */
export { UdpSocket, type BindOptions, type RecvOptions } from './socket.js';
export type { Datagram, MessagesOptions } from './messages.js';
export type { AddressInfo, SocketType } from './address.js';
