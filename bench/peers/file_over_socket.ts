/**
 * A peer of `npm run bench -- interop`: one process sends a file to itself over a TCP
 * connection on 127.0.0.1 with Node's stream plumbing, and prints what it took.
 *
 *   node      sender   pipeline(fs.createReadStream(file), net.connect(port))
 *             receiver pipeline(socket, fs.createWriteStream('/dev/null'))
 *   ringcore  sender   pipeline(ringcore/fs createReadStream(file), createConnection({ port }))
 *             receiver pipeline(conn.toDuplex(), ringcore/fs createWriteStream('/dev/null'))
 *
 * Both ends are streams written the same way; only the modules differ.  Prints
 * {"bytes":N,"ms":T,"cpuMs":C} (C: user + system time of the whole process, every
 * thread — libuv's pool included) and exits.
 *
 * Usage: node file_over_socket.js node|ringcore FILE
 *
 * May touch: FILE (read), one listening socket on 127.0.0.1, /dev/null.
 */
import fs from 'node:fs';
import net from 'node:net';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import * as ringFs from 'ringcore/fs';
import { TcpListener, createConnection } from 'ringcore/net';

const [which, file] = process.argv.slice(2);
if ((which !== 'node' && which !== 'ringcore') || file === undefined) {
  console.error('usage: file_over_socket node|ringcore FILE');
  process.exit(2);
}

const t0 = performance.now();
let bytes = 0;
/** /dev/null through the module under test, counting what passes. */
function sink(): Writable {
  const out = which === 'node' ? fs.createWriteStream('/dev/null') : ringFs.createWriteStream('/dev/null');
  const counter = new Writable({
    writev(chunks, cb) {
      for (const c of chunks) bytes += c.chunk.length;
      out.write(Buffer.concat(chunks.map((c) => c.chunk)), cb);
    },
    final(cb) {
      out.end(cb);
    },
  });
  return counter;
}

if (which === 'node') {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const received = new Promise<void>((resolve, reject) => {
    server.once('connection', (s) => pipeline(s, sink()).then(resolve, reject));
  });
  await Promise.all([pipeline(fs.createReadStream(file), net.connect(port, '127.0.0.1')), received]);
  server.close();
} else {
  const listener = await TcpListener.bind({ port: 0, host: '127.0.0.1' });
  const received = (async () => {
    const conn = await listener.accept();
    await pipeline(conn.toDuplex(), sink());
  })();
  await Promise.all([pipeline(ringFs.createReadStream(file), createConnection({ port: listener.port })), received]);
  await listener.close();
}
const cpu = process.cpuUsage();
console.log(JSON.stringify({ bytes, ms: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000 }));
