/**
 * The echo servers of the ping-pong benchmark, one per process:
 *   ringcore          TcpListener.incoming() + per connection read → writeAll loop
 *   ringcore:chunks   the same with zeroCopyChunks(): one multishot RECV per connection
 *                     stays armed, so a message costs one CQE in and one SEND out
 *   node:net   net.createServer(socket => socket.pipe-free echo: on 'data' write)
 *   Bun.listen        Bun's own TCP API (run by bun): on data, write back; what the kernel
 *                     does not take at once is kept and written on 'drain'
 *   Deno.listen       Deno's own TCP API (run by deno run -A): per connection a read →
 *                     write-all loop with one 64 KiB buffer
 * `ringcore` and `ringcore:chunks` run by Bun or Deno are RingCore on that runtime.
 * All listen on 127.0.0.1 port 0, print {"port":N} first, and exit when stdin closes.
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
} else if (which === 'Bun.listen') {
  type BunSocket = { write(b: Uint8Array): number; data: { pending: Uint8Array[] } };
  const bun = (globalThis as unknown as { Bun?: { listen(o: unknown): { port: number } } }).Bun;
  if (bun === undefined) throw new Error('Bun.listen: run by bun');
  // Write what is pending, in order; keep what the kernel did not take for 'drain'.
  const flush = (s: BunSocket): void => {
    const q = s.data.pending;
    while (q.length > 0) {
      const n = s.write(q[0]);
      if (n === q[0].length) q.shift();
      else {
        q[0] = q[0].subarray(Math.max(n, 0));
        return;
      }
    }
  };
  const server = bun.listen({
    hostname: '127.0.0.1',
    port: 0,
    socket: {
      open(s: BunSocket) { s.data = { pending: [] }; },
      data(s: BunSocket, d: Uint8Array) {
        // Bun reuses the chunk's memory after the callback: copy what must wait.
        if (s.data.pending.length > 0) s.data.pending.push(d.slice());
        else {
          const n = s.write(d);
          if (n < d.length) s.data.pending.push(d.slice(Math.max(n, 0)));
        }
      },
      drain(s: BunSocket) { flush(s); },
      error() {},
    },
  });
  console.log(JSON.stringify({ port: server.port }));
} else if (which === 'Deno.listen') {
  type DenoConn = { read(b: Uint8Array): Promise<number | null>; write(b: Uint8Array): Promise<number>; close(): void; setNoDelay?(v: boolean): void };
  const deno = (globalThis as unknown as {
    Deno?: { listen(o: { hostname: string; port: number }): AsyncIterable<DenoConn> & { addr: { port: number } } };
  }).Deno;
  if (deno === undefined) throw new Error('Deno.listen: run by deno');
  const listener = deno.listen({ hostname: '127.0.0.1', port: 0 });
  console.log(JSON.stringify({ port: listener.addr.port }));
  const serve = async (c: DenoConn) => {
    c.setNoDelay?.(true);
    const buf = new Uint8Array(65536);
    try {
      for (;;) {
        const n = await c.read(buf);
        if (n === null) break;
        for (let off = 0; off < n;) off += await c.write(buf.subarray(off, n));
      }
    } catch {
      // a client that goes away mid-run
    } finally {
      try { c.close(); } catch { /* already closed */ }
    }
  };
  for await (const c of listener) void serve(c);
} else {
  console.error('usage: echo_servers ringcore|ringcore:chunks|node:net|Bun.listen|Deno.listen');
  process.exit(2);
}
