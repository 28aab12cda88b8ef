/**
 * The basic operations and the Op contract: results, positions, vectors, close,
 * Node-shaped errors, synchronous argument checks, laziness, promise behaviour.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Ring, Op, nop, read, write, close, stats, type RingStats } from '../src/index.js';
import { tick, fdTarget, SUITE, failIfKeptAlive, ringFixture } from './helpers.js';

failIfKeptAlive();

let ring: Ring;
let tmp: { dir: string; cleanup: () => void };
let fileNo = 0;

/** A new empty file in the temp dir, opened read-write. */
function newFile(content?: string | Buffer): { fd: number; file: string } {
  const file = path.join(tmp.dir, `f${fileNo++}`);
  if (content !== undefined) fs.writeFileSync(file, content);
  const fd = fs.openSync(file, content === undefined ? 'w+' : 'r+');
  return { fd, file };
}

function delta(a: RingStats, b: RingStats, k: keyof RingStats): number {
  return b[k] - a[k];
}

ringFixture((r, t) => {
  ring = r;
  tmp = t!;
}, { tempDir: true });

describe('nop', SUITE, () => {
  test('resolves 0 (ring method and free function)', async () => {
    assert.equal(await ring.nop(), 0);
    assert.equal(await nop(), 0);
    const s = ring.stats();
    assert.equal(s.inFlight, 0);
    assert.ok(s.sqesSubmitted >= 1);
  });
});

describe('read / write', SUITE, () => {
  test('explicit positions', async () => {
    const { fd, file } = newFile();
    try {
      assert.equal(await ring.write(fd, Buffer.from('hello world'), 0), 11);
      assert.equal(await ring.write(fd, Buffer.from('W'), 6), 1);
      assert.equal(fs.readFileSync(file, 'utf8'), 'hello World');
      const buf = Buffer.alloc(5);
      assert.equal(await ring.read(fd, buf, 6), 5);
      assert.equal(buf.toString(), 'World');
      // bigint positions are accepted too
      const b2 = Buffer.alloc(4);
      assert.equal(await ring.read(fd, b2, 1n), 4);
      assert.equal(b2.toString(), 'ello');
      // a short read at the end of the file, then 0 at EOF
      const b3 = Buffer.alloc(10);
      assert.equal(await ring.read(fd, b3, 8), 3);
      assert.equal(b3.subarray(0, 3).toString(), 'rld');
      assert.equal(await ring.read(fd, b3, 11), 0);
    } finally {
      fs.closeSync(fd);
    }
  });

  test('position -1 / null / undefined use and advance the current file position', async () => {
    const { fd, file } = newFile();
    try {
      assert.equal(await ring.write(fd, Buffer.from('abc'), -1), 3);
      assert.equal(await ring.write(fd, Buffer.from('def'), null), 3);
      assert.equal(await ring.write(fd, Buffer.from('ghi')), 3);
      assert.equal(fs.readFileSync(file, 'utf8'), 'abcdefghi');
      // A positioned write does not move the file position...
      assert.equal(await ring.write(fd, Buffer.from('X'), 0), 1);
      // ...so the next current-position write still appends.
      assert.equal(await ring.write(fd, Buffer.from('jk'), -1), 2);
      assert.equal(fs.readFileSync(file, 'utf8'), 'Xbcdefghijk');
    } finally {
      fs.closeSync(fd);
    }
    const rfd = fs.openSync(file, 'r');
    try {
      const a = Buffer.alloc(3);
      const b = Buffer.alloc(3);
      assert.equal(await ring.read(rfd, a, -1), 3);
      assert.equal(await ring.read(rfd, b), 3);
      assert.equal(a.toString(), 'Xbc');
      assert.equal(b.toString(), 'def');
      // Node agrees on where the position now is.
      const c = Buffer.alloc(5);
      assert.equal(fs.readSync(rfd, c, 0, 5, null), 5);
      assert.equal(c.toString(), 'ghijk');
    } finally {
      fs.closeSync(rfd);
    }
  });

  test('an offset past 4 GiB on a sparse file', async () => {
    const { fd, file } = newFile();
    const pos = 5 * 2 ** 30;
    try {
      assert.equal(await ring.write(fd, Buffer.from([0xa5]), pos), 1);
      assert.equal(fs.fstatSync(fd).size, pos + 1);
      // Read back through Node (independent of the ring's offset encoding)...
      const viaNode = Buffer.alloc(1);
      assert.equal(fs.readSync(fd, viaNode, 0, 1, pos), 1);
      assert.equal(viaNode[0], 0xa5);
      // ...and through the ring, as a number and as a bigint.
      const b = Buffer.alloc(2);
      assert.equal(await ring.read(fd, b, pos), 1);
      assert.equal(b[0], 0xa5);
      const c = Buffer.alloc(1);
      assert.equal(await ring.read(fd, c, BigInt(pos)), 1);
      assert.equal(c[0], 0xa5);
      // The low 32 bits of the offset alone (1 GiB) is a hole: zeros.
      const hole = Buffer.from([0xff]);
      assert.equal(await ring.read(fd, hole, pos % 2 ** 32), 1);
      assert.equal(hole[0], 0);
    } finally {
      fs.closeSync(fd);
      fs.rmSync(file);
    }
  });

  test('pooled Buffer slices and small on-heap typed arrays land at the right address', async () => {
    const { fd, file } = newFile();
    try {
      const pooled = Buffer.from('pooled-slice'); // usually a slice of Node's pool (byteOffset > 0)
      assert.equal(await ring.write(fd, pooled, 0), pooled.length);
      assert.equal(fs.readFileSync(file, 'utf8'), 'pooled-slice');
      const small = new Uint8Array(6); // <= 64 bytes: may live on the V8 heap
      assert.equal(await ring.read(fd, small, 0), 6);
      assert.equal(Buffer.from(small).toString(), 'pooled');
      const ab = new ArrayBuffer(16);
      const dv = new DataView(ab, 4, 5);
      assert.equal(await ring.read(fd, dv, 7), 5);
      assert.equal(Buffer.from(ab, 4, 5).toString(), 'slice');
      assert.deepEqual([...new Uint8Array(ab, 0, 4)], [0, 0, 0, 0]);
      assert.deepEqual([...new Uint8Array(ab, 9)], new Array(7).fill(0));
      // Free functions go through the default ring.
      const c = Buffer.alloc(6);
      assert.equal(await read(fd, c, 0), 6);
      assert.equal(c.toString(), 'pooled');
      assert.equal(await write(fd, Buffer.from('P'), 0), 1);
      assert.equal(fs.readFileSync(file, 'utf8'), 'Pooled-slice');
    } finally {
      fs.closeSync(fd);
    }
  });
});

describe('readv / writev', SUITE, () => {
  test('several buffers, explicit and current position', async () => {
    const { fd, file } = newFile();
    try {
      const parts = [Buffer.from('one,'), Buffer.from('two,'), Buffer.alloc(0), Buffer.from('three')];
      assert.equal(await ring.writev(fd, parts, 0), 13);
      assert.equal(fs.readFileSync(file, 'utf8'), 'one,two,three');
      assert.equal(await ring.writev(fd, [Buffer.from('|'), Buffer.from('4')], -1), 2);
      // The fd's own position is still 0 (positioned writes do not move it).
      assert.equal(fs.readFileSync(file, 'utf8'), '|4e,two,three');
      const a = Buffer.alloc(2);
      const b = new Uint8Array(3);
      const c = Buffer.alloc(20);
      const n = await ring.readv(fd, [a, b, c], 4);
      assert.equal(n, 9);
      assert.equal(a.toString(), 'tw');
      assert.equal(Buffer.from(b).toString(), 'o,t');
      assert.equal(c.subarray(0, 4).toString(), 'hree');
      assert.equal(c[4], 0);
      // readv at the current position (now 2, after the 2-byte write).
      const d = Buffer.alloc(3);
      const e = Buffer.alloc(3);
      assert.equal(await ring.readv(fd, [d, e], -1), 6);
      assert.equal(d.toString() + e.toString(), 'e,two,');
    } finally {
      fs.closeSync(fd);
    }
  });

  test('writev then readv round trip of many buffers', async () => {
    const { fd } = newFile();
    try {
      const bufs = Array.from({ length: 64 }, (_, i) => Buffer.alloc(i + 1, 65 + (i % 26)));
      const total = bufs.reduce((s, b) => s + b.length, 0);
      assert.equal(await ring.writev(fd, bufs, 100), total);
      const out = Array.from({ length: 64 }, (_, i) => Buffer.alloc(i + 1));
      assert.equal(await ring.readv(fd, out, 100), total);
      for (let i = 0; i < 64; i++) assert.deepEqual(out[i], bufs[i], `buffer ${i}`);
    } finally {
      fs.closeSync(fd);
    }
  });
});

describe('close', SUITE, () => {
  test('close through the ring, then EBADF on reuse', async () => {
    const { fd } = newFile('data');
    assert.match(fdTarget(fd) ?? '', /f\d+$/);
    assert.equal(await ring.closeFd(fd), undefined);
    assert.equal(fdTarget(fd), null, 'the fd is really closed');
    assert.throws(() => fs.fstatSync(fd), { code: 'EBADF' });
    await assert.rejects(async () => await ring.read(fd, Buffer.alloc(4), 0), {
      code: 'EBADF', errno: -9, syscall: 'read',
    });
    await assert.rejects(async () => await ring.closeFd(fd), { code: 'EBADF', errno: -9, syscall: 'close' });
  });

  test('free function close()', async () => {
    const { fd } = newFile('x');
    await close(fd);
    assert.equal(fdTarget(fd), null);
  });
});

describe('errors look like Node', SUITE, () => {
  test('read/write on an invalid fd', async () => {
    const badFd = 2 ** 30; // valid as an argument, never an open fd
    let nodeErr: NodeJS.ErrnoException | undefined;
    try {
      fs.readSync(badFd, Buffer.alloc(1));
    } catch (e) {
      nodeErr = e as NodeJS.ErrnoException;
    }
    assert.ok(nodeErr);
    let ringErr: NodeJS.ErrnoException | undefined;
    try {
      await ring.read(badFd, Buffer.alloc(1));
    } catch (e) {
      ringErr = e as NodeJS.ErrnoException;
    }
    assert.ok(ringErr instanceof Error);
    assert.equal(ringErr.code, 'EBADF');
    assert.equal(ringErr.errno, -9);
    assert.equal(ringErr.syscall, 'read');
    assert.equal(ringErr.code, nodeErr.code);
    assert.equal(ringErr.errno, nodeErr.errno);
    assert.equal(ringErr.syscall, nodeErr.syscall);
    assert.equal(ringErr.message, nodeErr.message);

    await assert.rejects(async () => await ring.write(badFd, Buffer.from('x'), 0), {
      code: 'EBADF', errno: -9, syscall: 'write', message: 'EBADF: bad file descriptor, write',
    });
    await assert.rejects(async () => await ring.readv(badFd, [Buffer.alloc(1)]), { code: 'EBADF', errno: -9, syscall: 'read' });
    await assert.rejects(async () => await ring.writev(badFd, [Buffer.alloc(1)]), { code: 'EBADF', errno: -9, syscall: 'write' });
  });

  test('a read on a directory: EISDIR', async () => {
    const dfd = fs.openSync(tmp.dir, 'r');
    try {
      await assert.rejects(async () => await ring.read(dfd, Buffer.alloc(4), 0), {
        code: 'EISDIR', errno: -21, syscall: 'read',
      });
    } finally {
      fs.closeSync(dfd);
    }
  });
});

describe('bad arguments throw synchronously, before submission', SUITE, () => {
  const buf = Buffer.alloc(4);
  const cases: [string, () => unknown, RegExp | object][] = [
    ['read fd string', () => ring.read('3' as any, buf), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }],
    ['read fd -1', () => ring.read(-1, buf), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }],
    ['read fd 1.5', () => ring.read(1.5, buf), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }],
    ['read fd 2**31', () => ring.read(2 ** 31, buf), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }],
    ['read buffer string', () => ring.read(0, 'abc' as any), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }],
    ['read buffer ArrayBuffer', () => ring.read(0, new ArrayBuffer(4) as any), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }],
    ['read buffer SharedArrayBuffer view', () => ring.read(0, new Uint8Array(new SharedArrayBuffer(8))), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }],
    ['read position -2', () => ring.read(0, buf, -2), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }],
    ['read position 1.5', () => ring.read(0, buf, 1.5), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }],
    ['read position 2**53', () => ring.read(0, buf, 2 ** 53), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }],
    ['read position -2n', () => ring.read(0, buf, -2n), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }],
    ['read position string', () => ring.read(0, buf, '0' as any), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }],
    ['write fd null', () => ring.write(null as any, buf), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }],
    ['write buffer number', () => ring.write(1, 5 as any), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }],
    ['readv not an array', () => ring.readv(0, buf as any), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }],
    ['readv bad element', () => ring.readv(0, [buf, 'x' as any]), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }],
    ['close fd -5', () => ring.closeFd(-5), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }],
    ['timeout ms string', () => ring.timeout('10' as any), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }],
    ['timeout ms -1', () => ring.timeout(-1), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }],
    ['timeout ms NaN', () => ring.timeout(NaN), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }],
    ['timeout ms Infinity', () => ring.timeout(Infinity), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }],
    ['cancel non-op', () => ring.cancel({} as any), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }],
    ['free read fd string', () => read('0' as any, buf), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }],
  ];
  for (const [name, fn, expected] of cases) {
    test(name, async () => {
      const s0 = ring.stats();
      const d0 = stats();
      assert.throws(fn, expected as any);
      assert.deepEqual(ring.stats(), s0);
      await tick();
      await tick();
      const s1 = ring.stats();
      assert.equal(delta(s0, s1, 'sqesSubmitted'), 0);
      assert.equal(delta(s0, s1, 'enters'), 0);
      assert.equal(s1.inFlight, 0);
      assert.equal(stats().sqesSubmitted, d0.sqesSubmitted);
    });
  }
  test('Ring options are checked', () => {
    assert.throws(() => new Ring({ entries: 0 }), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => new Ring({ entries: 1.5 }), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => new Ring({ entries: 8, cqEntries: 4 }), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
  });
});

describe('Op is a lazy thenable', SUITE, () => {
  test('creating an op writes no SQE until it is awaited', async () => {
    const { fd, file } = newFile();
    const s0 = ring.stats();
    const op = ring.nop();
    const w = ring.write(fd, Buffer.from('must never be written'), 0);
    assert.ok(op instanceof Op);
    assert.equal(op.submitted, false);
    await tick();
    await tick();
    const s1 = ring.stats();
    assert.deepEqual(s1, s0, 'no SQE, no enter, nothing in flight');
    assert.equal(op.submitted, false);
    assert.equal(w.submitted, false);
    assert.equal(fs.readFileSync(file, 'utf8'), '', 'the unawaited write never happened');
    fs.closeSync(fd);
    assert.equal(await op, 0);
    assert.equal(op.submitted, true);
    const s2 = ring.stats();
    assert.equal(delta(s1, s2, 'sqesSubmitted'), 1);
    assert.equal(delta(s1, s2, 'cqesReaped'), 1);
  });

  test('awaiting the same op twice gives the same result, with one submission', async () => {
    const { fd } = newFile('0123456789');
    try {
      const s0 = ring.stats();
      const buf = Buffer.alloc(4);
      const op = ring.read(fd, buf, 3);
      // Two awaiters before completion, one after.
      const [a, b] = await Promise.all([op, op]);
      const c = await op;
      assert.equal(a, 4);
      assert.equal(b, 4);
      assert.equal(c, 4);
      assert.equal(buf.toString(), '3456');
      const s1 = ring.stats();
      assert.equal(delta(s0, s1, 'sqesSubmitted'), 1, 'one SQE for three awaits');
      assert.equal(delta(s0, s1, 'cqesReaped'), 1);
    } finally {
      fs.closeSync(fd);
    }
  });

  test('a failed op rejects every awaiter with the same error', async () => {
    const s0 = ring.stats();
    const op = ring.read(2 ** 30, Buffer.alloc(1));
    const errs: unknown[] = [];
    await Promise.all([
      Promise.resolve(op).catch((e) => errs.push(e)),
      Promise.resolve(op).catch((e) => errs.push(e)),
    ]);
    await Promise.resolve(op).catch((e) => errs.push(e));
    assert.equal(errs.length, 3);
    assert.equal((errs[0] as NodeJS.ErrnoException).code, 'EBADF');
    assert.equal(errs[1], errs[0]);
    assert.equal(errs[2], errs[0]);
    assert.equal(delta(s0, ring.stats(), 'sqesSubmitted'), 1);
  });

  test('then(f).then(g) chains like a promise', async () => {
    const order: string[] = [];
    const v = await ring.nop().then((x) => {
      order.push('f');
      return x + 1;
    }).then((y) => {
      order.push('g');
      return y * 10;
    });
    assert.equal(v, 10);
    assert.deepEqual(order, ['f', 'g']);
    // A callback returning a promise is adopted.
    const w = await ring.nop().then((x) => new Promise<string>((r) => setTimeout(() => r(`late${x}`), 5)));
    assert.equal(w, 'late0');
    // No callbacks: values and errors pass through.
    assert.equal(await ring.nop().then().then((x) => x), 0);
    await assert.rejects(Promise.resolve(ring.read(2 ** 30, Buffer.alloc(1)).then((x) => x)), { code: 'EBADF' });
    // onrejected recovers.
    const r = await ring.read(2 ** 30, Buffer.alloc(1)).then(() => 'no', (e: NodeJS.ErrnoException) => `caught ${e.code}`);
    assert.equal(r, 'caught EBADF');
  });

  test('a throwing then-callback rejects the chained promise', async () => {
    const boom = new Error('boom');
    let gRan = false;
    const chained = ring.nop().then(() => {
      throw boom;
    }).then(() => {
      gRan = true;
    });
    await assert.rejects(Promise.resolve(chained), (e: unknown) => e === boom);
    assert.equal(gRan, false);
    // The same from an onrejected callback.
    const boom2 = new Error('boom2');
    await assert.rejects(
      Promise.resolve(ring.read(2 ** 30, Buffer.alloc(1)).then(null, () => {
        throw boom2;
      })),
      (e) => e === boom2,
    );
  });

  test('then() on an already-settled op: callbacks run async, throwing callback rejects, no unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const op = ring.nop();
      assert.equal(await op, 0);
      let ran = false;
      const c = op.then((x) => {
        ran = true;
        return x + 5;
      });
      assert.equal(ran, false, 'callback must not run synchronously inside then()');
      assert.equal(await c, 5);
      const boom = new Error('late boom');
      await assert.rejects(async () => {
        await op.then(() => {
          throw boom;
        });
      }, (e) => e === boom);
      // Let any unhandled-rejection report fire.
      await tick();
      await tick();
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    assert.deepEqual(unhandled, [], 'a handled chained rejection must not also surface as unhandled');
  });
});
