/**
 * A server peer of the HTTP benchmarks (bench/http.ts): node:http answering every
 * request with "Hello, World!" (Content-Type: text/plain; node:http adds Date,
 * Connection and Content-Length and honours "Connection: close").
 *
 * Listens on 127.0.0.1, port 0, backlog 4096 (node:http's default is 511, which
 * 200 simultaneous connects can overflow; the kernel caps it at net.core.somaxconn),
 * then prints {"port":N,...} as the first line of stdout.  Exits when its stdin
 * reaches EOF (the benchmark ends it, or dies), or on SIGTERM/SIGINT.
 *
 * May touch: one listening socket on 127.0.0.1, stdout.
 */
import http from 'node:http';

const BODY = 'Hello, World!';

const server = http.createServer((_req, res) => {
  res.statusCode = 200;
  res.setHeader('Content-Type', 'text/plain');
  res.end(BODY);
});

server.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, () => {
  const a = server.address();
  if (a === null || typeof a === 'string') throw new Error('no address');
  process.stdout.write(JSON.stringify({ port: a.port, backlog: 4096, pid: process.pid, server: 'node:http' }) + '\n');
});

if (!process.stdin.isTTY) {
  process.stdin.on('end', () => process.exit(0)).on('error', () => process.exit(0)).resume();
}
