/**
 * A server peer of the HTTP benchmarks (bench/http.ts): node:net with just enough
 * HTTP to answer like node_http_server.ts, byte for byte (same status line, same
 * headers in the same order, same Date format, same Content-Length), so that the
 * difference between the two is node:http's parser and machinery, not the reply.
 *
 * "Just enough": a request is everything up to "\r\n\r\n" (request bodies are not
 * supported: GET only); "Connection: close", or any HTTP/1.0 request
 * (node:http closes those too, this body having no length set by the handler),
 * gets "Connection: close" and the socket ended after the reply (FIN after the
 * data, as node:http does); otherwise the reply is
 * keep-alive ("Keep-Alive: timeout=5") and idle sockets are closed after 5 s.
 * Pipelined requests are answered in order.
 *
 * Listens on 127.0.0.1, port 0, backlog 4096, then prints {"port":N,...} as the
 * first line of stdout.  Exits when its stdin reaches EOF (the benchmark ends it,
 * or dies), or on SIGTERM/SIGINT.
 *
 * May touch: one listening socket on 127.0.0.1, stdout.
 */
import net from 'node:net';

const BODY = 'Hello, World!';

// node:http caches its Date header string and renews it once a second.
let date = '';
function utcDate(): string {
  if (date === '') {
    date = new Date().toUTCString();
    setTimeout(() => { date = ''; }, 1000 - new Date().getMilliseconds()).unref();
  }
  return date;
}

function reply(close: boolean, http10: boolean): Buffer {
  let h = `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nDate: ${utcDate()}\r\n`;
  if (close) h += 'Connection: close\r\n';
  else h += 'Connection: keep-alive\r\nKeep-Alive: timeout=5\r\n';
  // node:http omits Content-Length when an HTTP/1.0 reply is delimited by close.
  if (!(http10 && close)) h += `Content-Length: ${Buffer.byteLength(BODY)}\r\n`;
  return Buffer.from(h + '\r\n' + BODY, 'latin1');
}

const CLOSE = /\r\nconnection:[^\r]*\bclose\b/i;

const server = net.createServer({ noDelay: true }, (sock) => {
  let buf = '';
  let ended = false;
  sock.setTimeout(5000, () => sock.destroy());
  sock.on('data', (chunk: Buffer) => {
    if (ended) return;
    buf += chunk.toString('latin1');
    const out: Buffer[] = [];
    let end: number;
    while (!ended && (end = buf.indexOf('\r\n\r\n')) >= 0) {
      const head = buf.slice(0, end + 2);
      buf = buf.slice(end + 4);
      const lineEnd = head.indexOf('\r\n');
      const http10 = head.slice(0, lineEnd).endsWith('HTTP/1.0');
      const close = http10 || CLOSE.test(head);
      out.push(reply(close, http10));
      if (close) ended = true;
    }
    if (buf.length > 65536) { sock.destroy(); return; } // no end of headers in sight
    if (out.length === 0) return;
    const data = out.length === 1 ? out[0] : Buffer.concat(out);
    if (ended) sock.end(data);
    else sock.write(data);
  });
  sock.on('error', () => sock.destroy());
});

server.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, () => {
  const a = server.address();
  if (a === null || typeof a === 'string') throw new Error('no address');
  process.stdout.write(JSON.stringify({ port: a.port, backlog: 4096, pid: process.pid, server: 'node:net' }) + '\n');
});

if (!process.stdin.isTTY) {
  process.stdin.on('end', () => process.exit(0)).on('error', () => process.exit(0)).resume();
}
