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
 * is empty.  TLS is not dialled here: wrap the socket (`tls.connect({ socket })`).
 *
 * May touch: nothing but the connect it starts.
 */
import { TcpStream } from './stream.js';
import { connectDuplex, type DuplexOptions, type SocketDuplex } from './duplex.js';
import { invalidArgType } from '../op/errors.js';
import type { Ring } from '../runtime/ring.js';

/** What createConnection reads of its options (callers may pass more: it is ignored). */
export interface CreateConnectionOptions extends DuplexOptions {
  port?: number | string;
  host?: string;
  hostname?: string;
  protocol?: string;
  noDelay?: boolean;
  signal?: AbortSignal;
  ring?: Ring;
}

export function createConnection(
  options: CreateConnectionOptions,
  callback?: (err: Error | null, socket?: SocketDuplex) => void,
): SocketDuplex {
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
  if (callback !== undefined && typeof callback !== 'function') throw invalidArgType('callback', 'of type function', callback);
  const host = options.hostname || options.host || 'localhost';
  const dflt = options.protocol === 'https:' || options.protocol === 'wss:' ? 443 : 80;
  const port = options.port === undefined || options.port === '' ? dflt
    : typeof options.port === 'string' && /^[0-9]+$/.test(options.port) ? Number(options.port)
      : options.port;
  // Brackets of an IPv6 literal in a URL's host are not part of the address.
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const connecting = TcpStream.connect({
    port: port as number, host: bare, noDelay: options.noDelay ?? true, signal: options.signal, ring: options.ring,
  });
  return connectDuplex(connecting, options, callback);
}
