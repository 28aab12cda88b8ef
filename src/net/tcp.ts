/**
 * `ringcore/net`: TCP on io_uring.  The public entry point; the pieces live beside it:
 *   stream.ts    TcpStream (connect, read, write, chunks, shutdown, close) and socketpair()
 *   listener.ts  TcpListener (bind, accept, incoming = one multishot accept)
 *   chunks.ts    multishot recv into the ring's provided buffers
 *   address.ts   backlog cap, host resolution, port checks, socket names
 *
 * May touch: nothing itself; it re-exports.
 */
export { TcpStream, socketpair } from './stream.js';
export { TcpListener, type BindOptions } from './listener.js';
export type { SocketAddress } from '../sys/sockaddr.js';
