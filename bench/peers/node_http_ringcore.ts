/**
 * A server peer of `npm run bench -- interop`: the very node:http server of
 * node_http_server.ts (same handler, same headers), but its connections are RingCore
 * streams — accepted by one multishot ACCEPT (TcpListener.incoming()) and handed to
 * node:http as `server.emit('connection', conn.toDuplex())`.  Only the socket layer
 * differs from the node:net peer: the HTTP parser, the response machinery and the
 * handler are Node's.
 *
 * Prints {"port":N} first; exits when stdin reaches EOF.
 *
 * May touch: one listening socket on 127.0.0.1, stdout.
 */
import http from 'node:http';
import { TcpListener } from 'ringcore/net';

const BODY = 'Hello, World!';

const server = http.createServer((_req, res) => {
  res.statusCode = 200;
  res.setHeader('Content-Type', 'text/plain');
  res.end(BODY);
});

const listener = await TcpListener.bind({ host: '127.0.0.1', port: 0 });
process.stdout.write(JSON.stringify({ port: listener.port, pid: process.pid, server: 'node:http on ringcore' }) + '\n');
if (!process.stdin.isTTY) {
  process.stdin.on('end', () => process.exit(0)).on('error', () => process.exit(0)).resume();
}
for await (const conn of listener.incoming()) server.emit('connection', conn.toDuplex());
