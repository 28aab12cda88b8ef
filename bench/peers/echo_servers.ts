/**
 * The echo servers of the ping-pong benchmark, one per process:
 *   ringcore          TcpListener.incoming() + per connection read → writeAll loop
 *   ringcore:chunks   the same with zeroCopyChunks(): one multishot RECV per connection
 *                     stays armed, so a message costs one CQE in and one SEND out
 *   node:net   net.createServer(socket => socket.pipe-free echo: on 'data' write)
 * Both listen on 127.0.0.1 port 0, print {"port":N} first, and exit when stdin closes.
 *
 * May touch: its listening socket, stdout.
 */
import net from 'node:net';
import { TcpListener, type TcpStream } from 'ringcore/net';

const which = process.argv[2];
process.stdin.on('end', () => process.exit(0)).resume();

if (which === 'ringcore') {
  const listener = await TcpListener.bind({ port: 0 });
  console.log(JSON.stringify({ port: listener.port }));
  const serve = async (s: TcpStream) => {
    const buf = Buffer.allocUnsafeSlow(65536);
    try {
      for (;;) {
        const n = await s.read(buf);
        if (n === 0) break;
        await s.writeAll(buf.subarray(0, n));
      }
    } catch {
      // a client that goes away mid-run
    } finally {
      await s.close();
    }
  };
  for await (const s of listener.incoming()) void serve(s);
} else if (which === 'ringcore:chunks') {
  const listener = await TcpListener.bind({ port: 0 });
  console.log(JSON.stringify({ port: listener.port }));
  const serve = async (s: TcpStream) => {
    try {
      // The chunk is ring memory until the next iteration: it is sent before that.
      for await (const chunk of s.zeroCopyChunks()) await s.writeAll(chunk);
    } catch {
      // a client that goes away mid-run
    } finally {
      await s.close();
    }
  };
  for await (const s of listener.incoming()) void serve(s);
} else if (which === 'node:net') {
  const server = net.createServer({ noDelay: true }, (s) => {
    s.on('data', (d) => s.write(d));
    s.on('error', () => {});
  });
  server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => {
    console.log(JSON.stringify({ port: (server.address() as net.AddressInfo).port }));
  });
} else {
  console.error('usage: echo_servers ringcore|ringcore:chunks|node:net');
  process.exit(2);
}
