/**
 * The Node peers of the cat benchmark: copy a file to stdout with a 4096-byte
 * buffer, the original's workload.  `sync`: fs.readSync/writeSync loop.
 * `promises`: FileHandle.read + stdout FileHandle.write loop (fs/promises).
 *
 * May touch: the file it reads, stdout.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';

const [mode, file] = process.argv.slice(2);
const buf = Buffer.allocUnsafe(4096);
if (mode === 'sync') {
  const fd = fs.openSync(file, 'r');
  for (;;) {
    const n = fs.readSync(fd, buf, 0, 4096, null);
    if (n === 0) break;
    let off = 0;
    while (off < n) off += fs.writeSync(1, buf, off, n - off);
  }
  fs.closeSync(fd);
} else if (mode === 'promises') {
  const fh = await fsp.open(file, 'r');
  const out = await fsp.open('/dev/stdout', 'w');
  for (;;) {
    const { bytesRead } = await fh.read(buf, 0, 4096, null);
    if (bytesRead === 0) break;
    let off = 0;
    while (off < bytesRead) off += (await out.write(buf, off, bytesRead - off)).bytesWritten;
  }
  await fh.close();
  await out.close();
} else {
  console.error('usage: cat_node sync|promises <file>');
  process.exit(2);
}
