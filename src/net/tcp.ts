/**
 * `ringcore/net`: TCP on io_uring.  The public entry point; the pieces live beside it:
 *   stream.ts    TcpStream (connect, read, write, chunks, zeroCopyChunks, shutdown, close), socketpair()
 *   listener.ts  TcpListener (bind, accept, incoming = one multishot accept)
 *   chunks.ts    multishot recv into provided buffers, with per-connection back-pressure
 *   address.ts   backlog cap, host resolution, port checks, socket names
 *   duplex.ts    SocketDuplex: a stream as a node:stream Duplex shaped like net.Socket
 *   connection.ts createConnection(): dial and get a SocketDuplex at once (http, undici)
 *
 * May touch: nothing itself; it re-exports.
 *
 * @module ringcore/net
 */
export { TcpStream, socketpair, type ConnectOptions, type ReceiveOptions } from './stream.js';
export type { ChunksOptions } from './chunks.js';
export type { SendFileOptions } from './sendfile.js';
export { TcpListener, type BindOptions } from './listener.js';
export { SocketDuplex, type DuplexOptions } from './duplex.js';
export { createConnection, type CreateConnectionOptions } from './connection.js';
export type { SocketAddress } from '../sys/sockaddr.js';
