/**
 * `createConnection(options, callback?)`: dial with `TcpStream.connect` and get a
 * `SocketDuplex` at once, in the connecting state — the shape Node's HTTP client and
 * undici expect of a connection factory:
 *
 *     http.request({ port, createConnection })            // node:http client
 *     new http.Agent() with agent.createConnection = createConnection
 *     new undici.Agent({ connect: createConnection })     // undici / fetch
 *
 * It reads what those callers pass: `hostname` before `host` (undici's `host` may
 * carry the port), a port given as a string, and the protocol's default port when it
 * is empty; `socketPath` (node:http's option) or a `path` with no port or host for a
 * Unix-domain socket — node:http also passes the request's URL path as `path`, so a
 * `path` next to a port is not a socket; `timeout` as net.createConnection's: the
 * socket's idle timeout (setTimeout), not a connect deadline.  TLS is not dialled
 * here: wrap the socket (`tls.connect({ socket })`).
 *
 * May touch: nothing but the connect it starts.
 */
import { TcpStream } from './stream.js';
import { connectDuplex, type DuplexOptions, type SocketDuplex } from './duplex.js';
import { codedError, invalidArgType } from '../op/errors.js';
import { checkPort, checkSocketPath } from './address.js';
import type { Ring } from '../runtime/ring.js';

/** What createConnection reads of its options (callers may pass more: it is ignored). */
export interface CreateConnectionOptions extends DuplexOptions {
  port?: number | string;
  host?: string;
  hostname?: string;
  protocol?: string;
  /** A Unix-domain socket (node:http's socketPath). */
  socketPath?: string;
  /** A Unix-domain socket, when no port or host is given (as net.createConnection({ path })). */
  path?: string;
  family?: number;
  localAddress?: string;
  localPort?: number;
  /** Idle timeout of the socket in ms (socket.setTimeout): 'timeout' events. */
  timeout?: number;
  /** SO_KEEPALIVE once connected, as net.connect's option (keepAliveInitialDelay in ms). */
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  noDelay?: boolean;
  signal?: AbortSignal;
  ring?: Ring;
}

/**
 * Dial and return the socket at once.  Forms as net.createConnection's:
 * `(options[, callback])`, `(port[, host][, callback])`, `(path[, callback])`.
 * `callback(err, socket)` is called once connected or failed (node:http and undici
 * call it so; a callback that ignores the arguments is a connect listener).
 * @param options   `{ port, host?, path?, timeout?, keepAlive?, noDelay?, localAddress?, ... }`
 *                  as net.createConnection's, or a port number, or a Unix socket path
 * @param host      with a port: the host (default 'localhost'); or the callback
 * @param callback  `(err, socket)` once connected or failed
 * @returns the socket at once, in the connecting state (as net.createConnection)
 * @throws ERR_SOCKET_BAD_PORT / ERR_MISSING_ARGS / ERR_INVALID_ARG_TYPE synchronously for bad options;
 *         connection errors arrive as 'error' events (and through `callback`)
 * @example
 * ```ts
 * import http from 'node:http';
 * import { TcpListener, createConnection } from 'ringcore/net';
 *
 * const server = http.createServer((req, res) => res.end('hi'));
 * const listener = await TcpListener.bind({ port: 0, host: '127.0.0.1' });
 * void (async () => { for await (const c of listener.incoming()) server.emit('connection', c.toDuplex()); })();
 * const agent = new http.Agent();
 * Object.assign(agent, { createConnection });
 * const body = await new Promise<string>((resolve) => {
 *   http.get({ port: listener.port, host: '127.0.0.1', agent }, (res) => {
 *     let s = '';
 *     res.on('data', (d) => (s += d)).on('end', () => resolve(s));
 *   });
 * });
 * console.log(body); // 'hi'
 * agent.destroy();
 * await listener.close();
 * ```
 */
export function createConnection(
  options: CreateConnectionOptions | number | string,
  host?: string | ((err: Error | null, socket?: SocketDuplex) => void),
  callback?: (err: Error | null, socket?: SocketDuplex) => void,
): SocketDuplex {
  if (typeof host === 'function') {
    callback = host;
    host = undefined;
  }
  if (typeof options === 'number' || (typeof options === 'string' && /^[0-9]+$/.test(options))) {
    options = { port: options, host };
  } else if (typeof options === 'string') {
    options = { path: options };
  }
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
  if (callback !== undefined && typeof callback !== 'function') throw invalidArgType('callback', 'of type function', callback);
  const o = options;
  const socketPath = o.socketPath ?? (o.port === undefined && o.host === undefined && o.hostname === undefined ? o.path : undefined);
  let dial: (signal: AbortSignal) => Promise<TcpStream>;
  if (socketPath !== undefined) {
    const path = checkSocketPath(socketPath, o.socketPath !== undefined ? 'options.socketPath' : 'options.path');
    dial = (signal) => TcpStream.connect({ path, signal: both(signal, o.signal), ring: o.ring });
  } else {
    if ((o.port === undefined || o.port === '') && o.protocol === undefined) {
      throw codedError(TypeError, 'ERR_MISSING_ARGS', 'The "options" or "port" or "path" argument must be specified');
    }
    const h = o.hostname || o.host || 'localhost';
    const dflt = o.protocol === 'https:' || o.protocol === 'wss:' ? 443 : 80;
    // Checked now, as net.createConnection throws ERR_SOCKET_BAD_PORT synchronously.
    const port = o.port === undefined || o.port === '' ? dflt : checkPort(o.port, 'Port');
    // Brackets of an IPv6 literal in a URL's host are not part of the address.
    const bare = h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
    dial = (signal) => TcpStream.connect({
      port, host: bare, noDelay: o.noDelay ?? true, signal: both(signal, o.signal), ring: o.ring,
      family: o.family, localAddress: o.localAddress, localPort: o.localPort,
    });
  }
  const socket = connectDuplex(dial, o, callback);
  socket.watchSignal(o.signal);
  if (o.timeout !== undefined) socket.setTimeout(o.timeout);
  if (o.keepAlive === true) socket.setKeepAlive(true, o.keepAliveInitialDelay ?? 0);
  return socket;
}

/** The dial's own signal (destroy() aborts it) and the user's, if any. */
function both(ours: AbortSignal, theirs: AbortSignal | undefined): AbortSignal {
  return theirs === undefined ? ours : AbortSignal.any([ours, theirs]);
}
