/**
 * Where io_uring is refused (issue 12): ringcore/fs falls back to node:fs/promises,
 * saying so once on stderr; RINGCORE_FALLBACK=off makes the refusal an error; ringcore/net
 * has no fallback.  The refusal is faked for a child process with an LD_PRELOAD shim
 * whose `syscall()` fails io_uring_setup with EPERM — what Docker's default seccomp
 * profile does — so the addon's own detection runs as it would there.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { runChild, SUITE, tempDir, INDEX_URL } from './helpers.js';

const FS_URL = new URL('../src/fs/promises.js', INDEX_URL).href;
const NET_URL = new URL('../src/net/tcp.js', INDEX_URL).href;

const SHIM = `
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
/* io_uring_setup (425 on x86-64) fails with EPERM; every other syscall() goes through. */
long syscall(long n, ...) {
  va_list ap; va_start(ap, n);
  long a = va_arg(ap, long), b = va_arg(ap, long), c = va_arg(ap, long);
  long d = va_arg(ap, long), e = va_arg(ap, long), f = va_arg(ap, long);
  va_end(ap);
  if (n == 425) { errno = EPERM; return -1; }
  static long (*real)(long, ...) = 0;
  if (!real) real = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
  return real(n, a, b, c, d, e, f);
}
`;

describe('io_uring refused: ringcore/fs falls back to node:fs/promises', SUITE, () => {
  let tmp: { dir: string; cleanup: () => void };
  let shim: string;
  before(() => {
    tmp = tempDir();
    fs.writeFileSync(path.join(tmp.dir, 'refuse.c'), SHIM);
    shim = path.join(tmp.dir, 'refuse.so');
    // cc is on every machine that builds the addon; without it this fails loudly.
    execFileSync('cc', ['-shared', '-fPIC', '-O2', '-o', shim, path.join(tmp.dir, 'refuse.c'), '-ldl']);
  });
  after(() => tmp.cleanup());

  const script = (dir: string) => `
    import * as fs from ${JSON.stringify(FS_URL)};
    const p = ${JSON.stringify(path.join(dir, 'f.txt'))};
    await fs.writeFile(p, 'hello');
    await fs.appendFile(p, ' world');
    const st = await fs.stat(p);
    const fh = await fs.open(p);
    const { bytesRead } = await fh.read(Buffer.alloc(5), 0, 5, 0);
    await fh.close();
    let streamed = '';
    for await (const c of fs.createReadStream(p, 'utf8')) streamed += c;
    await fs.mkdir(${JSON.stringify(path.join(dir, 'a/b'))}, { recursive: true });
    const err = await fs.readFile(${JSON.stringify(path.join(dir, 'missing'))}).catch((e) => e);
    console.log(JSON.stringify({ text: await fs.readFile(p, 'utf8'), size: st.size, bytesRead, streamed, code: err.code, syscall: err.syscall }));`;

  test('a program written against ringcore/fs runs, and says so once on stderr', async () => {
    const r = await runChild(script(tmp.dir), { LD_PRELOAD: shim }, 15_000);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {
      text: 'hello world', size: 11, bytesRead: 5, streamed: 'hello world', code: 'ENOENT', syscall: 'open',
    });
    const warnings = r.stderr.split('\n').filter((l) => l.includes('RINGCORE_FALLBACK'));
    assert.equal(warnings.length, 1, r.stderr);
    assert.match(warnings[0], /io_uring is unavailable \(io_uring_setup\(2\) was refused \(EPERM\)/);
  });

  test('RINGCORE_FALLBACK=off: the refusal is the error (ERR_IO_URING_UNAVAILABLE)', async () => {
    const r = await runChild(`
      import * as fs from ${JSON.stringify(FS_URL)};
      const e = await fs.readFile('/proc/self/stat').catch((e) => e);
      console.log(e.code);`, { LD_PRELOAD: shim, RINGCORE_FALLBACK: 'off' }, 15_000);
    assert.equal(r.stdout.trim(), 'ERR_IO_URING_UNAVAILABLE', r.stderr);
  });

  test('ringcore/net has no fallback: ERR_IO_URING_UNAVAILABLE with the reason', async () => {
    const r = await runChild(`
      import { TcpListener } from ${JSON.stringify(NET_URL)};
      const e = await TcpListener.bind({ port: 0 }).catch((e) => e);
      console.log(e.code, /EPERM/.test(e.reason));`, { LD_PRELOAD: shim }, 15_000);
    assert.equal(r.stdout.trim(), 'ERR_IO_URING_UNAVAILABLE true', r.stderr);
  });
});
