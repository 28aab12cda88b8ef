/**
 * TcpStream.sendFile: every byte of files of many sizes at odd offsets and lengths,
 * received by node:net peers (and one of 100 MiB, checked by hash); end of file before
 * `length`; a peer that goes away mid-file; abort mid-file; a file truncated while it
 * is sent; closed and closing FileHandles and streams; bad arguments (refused before
 * anything reaches the kernel); order with writes on the same stream; many streams at
 * once; a file splice(2) refuses (/proc) sent through the copy path.  Fds are counted
 * around each test (the ring's idle pipes set apart: net/pipes.ts keeps them).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { getEventListeners } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { defaultRing, Ring } from '../src/index.js';
import { TcpStream } from '../src/net/tcp.js';
import { open, type FileHandle } from '../src/fs/promises.js';
import { givePipe, idlePipes, setIdleBytes, takePipe } from '../src/net/pipes.js';
import { setCopyBelow } from '../src/net/sendfile.js';
import { native } from '../src/sys/native.js';
import { Register } from '../src/sys/constants.js';
import { delay, failIfKeptAlive, fdCount, fdTarget, runChild, tempDir, waitUntil, SUITE } from './helpers.js';

failIfKeptAlive();

interface Err extends Error {
  code?: string;
  errno?: number;
  syscall?: string;
}

let dir: string;
let cleanup: () => void;
/** A sink: every connection's bytes, by the client's port, once the connection closed. */
let sink: net.Server;
let sinkPort: number;
const byPort = new Map<number, { promise: Promise<Buffer>; resolve: (b: Buffer) => void }>();

function slot(port: number): { promise: Promise<Buffer>; resolve: (b: Buffer) => void } {
  let e = byPort.get(port);
  if (e === undefined) {
    let resolve!: (b: Buffer) => void;
    const promise = new Promise<Buffer>((r) => (resolve = r));
    byPort.set(port, (e = { promise, resolve }));
  }
  return e;
}

before(async () => {
  ({ dir, cleanup } = tempDir('ringcore-sendfile-'));
  defaultRing(); // made now: fd counts around the tests do not see it appear
  sink = net.createServer((s) => {
    const parts: Buffer[] = [];
    const port = s.remotePort!;
    s.on('data', (d) => parts.push(d));
    s.on('error', () => {});
    s.on('close', () => slot(port).resolve(Buffer.concat(parts)));
    s.on('end', () => s.end());
  });
  await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
  sinkPort = (sink.address() as net.AddressInfo).port;
});

after(() => {
  sink.close();
  cleanup();
});

/** What the sink received on `s`'s connection, once it closed. */
async function receivedBy(s: TcpStream, port = s.localAddress!.port): Promise<Buffer> {
  const b = await slot(port).promise;
  byPort.delete(port);
  return b;
}

function pattern(n: number, seed = 1): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

function file(name: string, data: Buffer): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, data);
  return p;
}

/** Open fds, not counting the idle pipes the default ring keeps for the next sendFile. */
function fds(): number {
  return fdCount() - 2 * idlePipes(defaultRing());
}

async function settledFds(before: number, what: string): Promise<void> {
  // No fd left behind: back to the count before, or below it (the runtime may close an
  // fd of its own meanwhile — Bun's first spawnSync leaves some that go later).
  await waitUntil(() => fds() <= before, `${what}: fds back to ${before} (now ${fds()})`);
  assert.ok(fds() <= before, what);
}

async function send(p: string, opts?: { offset?: number | bigint; length?: number }): Promise<[number, Buffer, TcpStream]> {
  const s = await TcpStream.connect({ port: sinkPort });
  const fh = await open(p);
  try {
    const port = s.localAddress!.port;
    const n = await s.sendFile(fh, opts);
    await s.shutdown('write');
    const got = await receivedBy(s, port);
    return [n, got, s];
  } finally {
    await fh.close();
    await s.close();
  }
}

describe('sendFile: every byte', SUITE, () => {
  const sizes = [0, 1, 4096, 65535, 65536, 65537, 1024 * 1024 + 7];
  // Known lengths up to 64 KiB go through READ + SEND by default: 'spliced' runs the same
  // cases with every length spliced.
  for (const [size, mode] of sizes.flatMap((n) => [[n, 'default'], [n, 'spliced']] as const)) {
    test(`${size} B, whole and at odd offsets / lengths (${mode})`, async (t) => {
      if (mode === 'spliced') {
        setCopyBelow(-1);
        t.after(() => setCopyBelow(64 * 1024));
      }
      const data = pattern(size, size + 3);
      const p = file(`f${size}${mode}`, data);
      const before = fds();
      const cases: [number | bigint | undefined, number | undefined][] = [
        [undefined, undefined], [0, size], [1, undefined], [Math.floor(size / 3) | 1, undefined],
        [4097, 65537], [3, Math.max(0, size - 7)], [BigInt(size >> 1), 1], [size, undefined],
      ];
      for (const [offset, length] of cases) {
        const o = offset === undefined ? 0 : Number(offset);
        const expected = data.subarray(Math.min(o, size), length === undefined ? size : Math.min(size, o + length));
        const [n, got, s] = await send(p, { offset, length });
        assert.equal(n, expected.length, `count at ${offset}/${length}`);
        assert.equal(s.bytesWritten, expected.length, 'bytesWritten counts the file');
        assert.ok(got.equals(expected), `bytes at ${offset}/${length} (${got.length} vs ${expected.length})`);
      }
      await settledFds(before, `${size} B`);
    });
  }

  test('100 MiB at an odd offset, checked by hash; a raw fd number works too', async () => {
    const p = path.join(dir, 'big');
    const block = randomBytes(1 << 20);
    const fd = fs.openSync(p, 'w');
    const whole = createHash('sha256');
    const offset = 12345;
    for (let i = 0; i < 100; i++) {
      block.writeUInt32LE(i, 0);
      fs.writeSync(fd, block);
      whole.update(i === 0 ? block.subarray(offset) : block);
    }
    fs.closeSync(fd);
    const expected = whole.digest('hex');
    // A peer hashing as it receives (no 100 MiB in memory).
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const digest = new Promise<[string, number]>((resolve) => {
      server.once('connection', (c) => {
        const h = createHash('sha256');
        let n = 0;
        c.on('data', (d) => {
          h.update(d);
          n += d.length;
        });
        c.on('end', () => {
          c.end();
          resolve([h.digest('hex'), n]);
        });
      });
    });
    const s = await TcpStream.connect({ port: (server.address() as net.AddressInfo).port });
    const fh = await open(p);
    const n = await s.sendFile(fh.fd, { offset: BigInt(offset) });
    await s.shutdown('write');
    const [h, m] = await digest;
    await fh.close();
    await s.close();
    server.close();
    fs.unlinkSync(p);
    assert.equal(n, 100 * (1 << 20) - offset);
    assert.equal(m, n);
    assert.equal(h, expected);
  });

  test('length past the end of the file: what the file has (no error); offset past it: 0', async () => {
    const data = pattern(10000, 7);
    const p = file('short', data);
    let [n, got] = await send(p, { offset: 5000, length: 1_000_000 });
    assert.equal(n, 5000);
    assert.ok(got.equals(data.subarray(5000)));
    [n, got] = await send(p, { offset: 20000, length: 10 });
    assert.equal(n, 0);
    assert.equal(got.length, 0);
    [n, got] = await send(p, { offset: 2 ** 40 });
    assert.equal(n, 0);
  });

  test('no fd left for a pipe (EMFILE): the file goes through the copy path instead of failing', async () => {
    // A child at its fd limit: every fd but one taken, so pipe2() fails with EMFILE.
    const src = (rel: string) => JSON.stringify(new URL(`../src/${rel}`, import.meta.url).href);
    const r = await runChild(`
      import { execFileSync } from 'node:child_process';
      import fs from 'node:fs';
      import { createHash, randomBytes } from 'node:crypto';
      import { TcpListener, TcpStream } from ${src('net/tcp.js')};
      import { open } from ${src('fs/promises.js')};
      const dir = fs.mkdtempSync('/tmp/ringcore-emfile-');
      const data = randomBytes(3 * 1024 * 1024 + 17);
      fs.writeFileSync(dir + '/f', data);
      const l = await TcpListener.bind({ port: 0, host: '127.0.0.1' });
      const [a, b] = await Promise.all([TcpStream.connect({ port: l.port, host: '127.0.0.1' }), l.accept()]);
      const fh = await open(dir + '/f');
      execFileSync('prlimit', ['--pid', String(process.pid), '--nofile=256:256']);
      const held = [];
      try { for (;;) held.push(fs.openSync('/dev/null', 'r')); } catch (e) { if (e.code !== 'EMFILE') throw e; }
      fs.closeSync(held.pop()); // one free fd: a pipe needs two
      const hash = createHash('sha256');
      let got = 0;
      const reading = (async () => { const buf = Buffer.alloc(1 << 20); for (;;) { const n = await b.read(buf); if (n === 0) break; hash.update(buf.subarray(0, n)); got += n; } })();
      const sent = await a.sendFile(fh);
      await a.close();
      await reading;
      for (const fd of held) fs.closeSync(fd);
      await Promise.all([b.close(), fh.close(), l.close()]);
      fs.rmSync(dir, { recursive: true });
      console.log(JSON.stringify({ sent, got, same: hash.digest('hex') === createHash('sha256').update(data).digest('hex'), size: data.length }));
    `, {}, 20000);
    assert.equal(r.timedOut, false, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { sent: number; got: number; same: boolean; size: number };
    assert.deepEqual(out, { sent: out.size, got: out.size, same: true, size: out.size }, r.stderr);
  });

  test('a file splice(2) refuses (procfs: EINVAL) goes through the copy path', async () => {
    const expected = fs.readFileSync('/proc/self/limits');
    const [n, got] = await send('/proc/self/limits');
    assert.equal(n, expected.length);
    assert.ok(got.equals(expected));
    const [m, part] = await send('/proc/self/limits', { offset: 10, length: 25 });
    assert.equal(m, 25);
    assert.ok(part.equals(expected.subarray(10, 35)));
  });
});

describe('sendFile: arguments', SUITE, () => {
  test('bad arguments reject (not throw) with Node codes before anything reaches the kernel', async () => {
    const p = file('args', pattern(100));
    const s = await TcpStream.connect({ port: sinkPort });
    const fh = await open(p);
    const ring = defaultRing();
    const submitted = ring.stats().sqesSubmitted;
    const bad: [unknown, unknown, string][] = [
      ['x', undefined, 'ERR_INVALID_ARG_TYPE'],
      [{}, undefined, 'ERR_INVALID_ARG_TYPE'],
      [null, undefined, 'ERR_INVALID_ARG_TYPE'],
      [undefined, undefined, 'ERR_INVALID_ARG_TYPE'],
      [-1, undefined, 'ERR_OUT_OF_RANGE'],
      [1.5, undefined, 'ERR_OUT_OF_RANGE'],
      [NaN, undefined, 'ERR_OUT_OF_RANGE'],
      [2 ** 31, undefined, 'ERR_OUT_OF_RANGE'],
      [fh, 'x', 'ERR_INVALID_ARG_TYPE'],
      [fh, null, 'ERR_INVALID_ARG_TYPE'],
      [fh, 5, 'ERR_INVALID_ARG_TYPE'],
      [fh, [1, 2], 'ERR_INVALID_ARG_TYPE'], // not { length: 2 }: Node's validateObject refuses arrays
      [fh, [], 'ERR_INVALID_ARG_TYPE'],
      [fh, { offset: NaN }, 'ERR_OUT_OF_RANGE'],
      [fh, { offset: -1 }, 'ERR_OUT_OF_RANGE'],
      [fh, { offset: 1.5 }, 'ERR_OUT_OF_RANGE'],
      [fh, { offset: 2 ** 53 }, 'ERR_OUT_OF_RANGE'],
      [fh, { offset: Infinity }, 'ERR_OUT_OF_RANGE'],
      [fh, { offset: '1' }, 'ERR_INVALID_ARG_TYPE'],
      [fh, { offset: null }, 'ERR_INVALID_ARG_TYPE'],
      [fh, { offset: -1n }, 'ERR_OUT_OF_RANGE'],
      [fh, { offset: 2n ** 60n }, 'ERR_OUT_OF_RANGE'],
      [fh, { length: NaN }, 'ERR_OUT_OF_RANGE'],
      [fh, { length: -1 }, 'ERR_OUT_OF_RANGE'],
      [fh, { length: 0.5 }, 'ERR_OUT_OF_RANGE'],
      [fh, { length: Infinity }, 'ERR_OUT_OF_RANGE'],
      [fh, { length: 2 ** 53 }, 'ERR_OUT_OF_RANGE'],
      [fh, { length: '10' }, 'ERR_INVALID_ARG_TYPE'],
      [fh, { length: 10n }, 'ERR_INVALID_ARG_TYPE'],
      [fh, { signal: 'no' }, 'ERR_INVALID_ARG_TYPE'],
      [fh, { signal: {} }, 'ERR_INVALID_ARG_TYPE'],
    ];
    for (const [f, o, code] of bad) {
      let p2: Promise<number> | undefined;
      assert.doesNotThrow(() => {
        p2 = s.sendFile(f as FileHandle, o as never);
      });
      await assert.rejects(p2!, (e: Err) => {
        assert.equal(e.code, code, `${String(f)} ${JSON.stringify(o, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))}: ${e.message}`);
        return true;
      });
    }
    assert.equal(ring.stats().sqesSubmitted, submitted, 'nothing reached the kernel');
    // An already aborted signal: AbortError, nothing submitted.
    await assert.rejects(s.sendFile(fh, { signal: AbortSignal.abort() }), { name: 'AbortError', code: 'ABORT_ERR' });
    assert.equal(ring.stats().sqesSubmitted, submitted, 'nothing reached the kernel (aborted signal)');
    assert.equal(await s.sendFile(fh, { length: 0 }), 0);
    await fh.close();
    await s.close();
  });

  test('a closed FileHandle, a closed stream: EBADF as their other methods', async () => {
    const p = file('closed', pattern(100));
    const s = await TcpStream.connect({ port: sinkPort });
    const fh = await open(p);
    await fh.close();
    await assert.rejects(s.sendFile(fh), (e: Err) => {
      const fromRead = { code: 'EBADF', message: 'file closed' };
      assert.equal(e.code, fromRead.code);
      assert.equal(e.message, fromRead.message);
      return true;
    });
    const fh2 = await open(p);
    await s.close();
    const writeErr = await s.write(Buffer.from('x')).catch((e: Err) => e);
    await assert.rejects(s.sendFile(fh2), (e: Err) => {
      assert.equal(e.code, (writeErr as Err).code);
      assert.equal(e.message, (writeErr as Err).message);
      return true;
    });
    await fh2.close();
  });
});

describe('sendFile: signal-like objects', SUITE, () => {
  // Node's validateAbortSignal asks only for `aborted`: an object without addEventListener
  // passes the check and fails when the listener is added, after the job took the
  // FileHandle (use()) and the stream (fileJob) — both must be given back, or
  // fh.close() waits forever for a release that never comes.
  test('an { aborted: false } signal: rejects with the TypeError; the FileHandle closes, the stream stays usable', { timeout: 20_000 }, async () => {
    const p = file('fake-signal', pattern(300 * 1024, 5));
    const s = await TcpStream.connect({ port: sinkPort });
    const port = s.localAddress!.port;
    const fh = await open(p);
    for (const length of [undefined, 10]) { // the spliced path and the copy path
      await assert.rejects(s.sendFile(fh, { length, signal: { aborted: false } as AbortSignal }), TypeError);
      assert.equal((s as unknown as { fileJob: unknown }).fileJob, undefined, `length ${length}: the stream's fileJob is cleared`);
    }
    assert.equal(await s.sendFile(fh, { offset: 3, length: 100 }), 100, 'the stream still sends');
    await fh.close(); // hung here before: the job had use()d the handle and never release()d it
    await s.shutdown('write');
    const got = await receivedBy(s, port);
    await s.close();
    assert.deepEqual(got, pattern(300 * 1024, 5).subarray(3, 103));
  });

  test('a signal-like object with addEventListener but no removeEventListener: the file is sent, nothing thrown later', async () => {
    const data = pattern(200_000, 6);
    const fh = await open(file('half-signal', data));
    const s = await TcpStream.connect({ port: sinkPort });
    const listeners: (() => void)[] = [];
    const half = { aborted: false, addEventListener: (_: string, f: () => void) => listeners.push(f) } as unknown as AbortSignal;
    // Before the fix the removal threw in a promise reaction nobody handled: an
    // unhandled rejection, which ends a Node process (node:test reports it as a failure).
    assert.equal(await s.sendFile(fh, { signal: half }), data.length);
    assert.equal(listeners.length, 1);
    await delay(10);
    await s.shutdown('write');
    assert.ok((await receivedBy(s)).equals(data));
    await s.close();
    await fh.close();
  });
});

/** A peer that accepts one connection and does not read until told to. */
async function stalledPeer(): Promise<{ port: number; conn: Promise<net.Socket>; close(): void }> {
  const server = net.createServer({ pauseOnConnect: true });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const conn = new Promise<net.Socket>((r) => server.once('connection', (c) => {
    c.on('error', () => {});
    r(c);
  }));
  return { port: (server.address() as net.AddressInfo).port, conn, close: () => server.close() };
}

/** The peer saw the end of the stream (maybe already: node:net may read the FIN before a CQE's continuation runs). */
function ended(c: net.Socket): Promise<void> {
  return new Promise((r) => (c.readableEnded ? r() : c.once('end', () => r())));
}

/** Small socket buffers: the send stalls after a few hundred KiB. */
async function smallBufferStream(port: number): Promise<TcpStream> {
  return TcpStream.connect({ port });
}

describe('sendFile: peers, aborts, closes, truncation', SUITE, () => {
  const SIZE = 32 * 1024 * 1024;
  let bigPath: string;
  let big: Buffer;
  before(() => {
    big = pattern(SIZE, 99);
    bigPath = file('stall', big);
  });

  test('a peer that closes mid-file: EPIPE/ECONNRESET as node:net words it; no hang, no fd left', async () => {
    const before = fds();
    const peer = await stalledPeer();
    const s = await smallBufferStream(peer.port);
    const fh = await open(bigPath);
    const sending = s.sendFile(fh);
    const c = await peer.conn;
    c.resume();
    await new Promise((r) => c.once('data', r));
    c.resetAndDestroy();
    await assert.rejects(sending, (e: Err) => {
      assert.ok(e.code === 'EPIPE' || e.code === 'ECONNRESET', `code ${e.code}`);
      assert.equal(e.syscall, 'write');
      assert.match(e.message, /^write (EPIPE|ECONNRESET)$/);
      return true;
    });
    await fh.close();
    await s.close();
    peer.close();
    await settledFds(before, 'peer reset');
  });

  for (const when of ['at once', 'after the first bytes', 'while the peer stalls']) {
    test(`abort ${when}: AbortError, nothing left in flight, the next sendFile correct, no pipe leaked`, async () => {
      const before = fds();
      const ring = defaultRing();
      const inFlight = ring.stats().inFlight;
      const peer = await stalledPeer();
      const s = await smallBufferStream(peer.port);
      const fh = await open(bigPath);
      const ac = new AbortController();
      const sending = s.sendFile(fh, { signal: ac.signal });
      const c = await peer.conn;
      if (when === 'at once') ac.abort();
      else if (when === 'after the first bytes') {
        c.resume();
        await new Promise((r) => c.once('data', r));
        c.pause();
        ac.abort();
      } else {
        await delay(50); // the socket buffers fill; the splice into the socket waits
        ac.abort(new Error('why'));
      }
      await assert.rejects(sending, (e: Err) => e.name === 'AbortError' && e.code === 'ABORT_ERR');
      assert.equal(ring.stats().inFlight, inFlight, 'nothing of the sendFile in flight once it rejected');
      // The stream still works: what arrives after the aborted file is the next file, whole.
      c.destroy();
      await s.close();
      await fh.close();
      peer.close();
      const data = pattern(300_000, 5);
      const p = file('after-abort', data);
      const [n, got] = await send(p, { offset: 1 });
      assert.equal(n, data.length - 1);
      assert.ok(got.equals(data.subarray(1)));
      await settledFds(before, `abort ${when}`);
    });
  }

  test('abort after 0..39 loop turns: the stream then carries the file\'s prefix and what is written next, nothing lost or mixed', async () => {
    const before = fds();
    const ring = defaultRing();
    const data = pattern(4 * 1024 * 1024, 41);
    const p = file('turns', data);
    const server = net.createServer((c) => {
      c.on('error', () => {});
      const parts: Buffer[] = [];
      c.on('data', (d) => {
        parts.push(d);
        c.pause(); // a reader that keeps stopping: the splices wait for room now and then
        setImmediate(() => c.resume());
      });
      c.on('end', () => {
        c.end();
        c.emit('all', Buffer.concat(parts));
      });
      server.emit('peer', c);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const fh = await open(p);
    for (let turns = 0; turns < 40; turns++) {
      const peer = new Promise<net.Socket>((r) => server.once('peer', r));
      const s = await TcpStream.connect({ port });
      const c = await peer;
      const all = new Promise<Buffer>((r) => c.once('all', r));
      const ac = new AbortController();
      const offset = turns * 1031;
      const sending = s.sendFile(fh, { offset, signal: ac.signal }).then((n) => n, (e: Err) => e);
      for (let k = 0; k < turns; k++) await new Promise((r) => setImmediate(r));
      ac.abort();
      const r = await sending;
      if (typeof r !== 'number') assert.equal(r.name, 'AbortError');
      assert.equal(ring.stats().inFlight, 0, `turn ${turns}: nothing in flight once settled`);
      await s.writeAll('TRAILER');
      await s.shutdown('write');
      const got = await all;
      const body = got.subarray(0, got.length - 7);
      assert.equal(got.subarray(got.length - 7).toString(), 'TRAILER', `turn ${turns}`);
      assert.ok(body.equals(data.subarray(offset, offset + body.length)), `turn ${turns}: a prefix of the file`);
      if (typeof r === 'number') assert.equal(body.length, r);
      await s.close();
    }
    await fh.close();
    server.close();
    await settledFds(before, 'aborts at every turn');
  });

  test('abort in the copy path (READ + SEND) while the peer stalls: AbortError once nothing is in flight', async (t) => {
    setCopyBelow(Number.MAX_SAFE_INTEGER);
    t.after(() => setCopyBelow(64 * 1024));
    const before = fds();
    const ring = defaultRing();
    const peer = await stalledPeer();
    const s = await smallBufferStream(peer.port);
    const fh = await open(bigPath);
    const ac = new AbortController();
    const sending = s.sendFile(fh, { offset: 1, length: SIZE - 1, signal: ac.signal });
    const c = await peer.conn;
    await delay(50);
    ac.abort();
    await assert.rejects(sending, { name: 'AbortError' });
    assert.equal(ring.stats().inFlight, 0, 'the SEND waiting for room was cancelled and completed');
    // What arrived is a prefix of the file.
    const parts: Buffer[] = [];
    c.on('data', (d) => parts.push(d));
    c.resume();
    await s.shutdown('write');
    await ended(c);
    const got = Buffer.concat(parts);
    assert.ok(got.length > 0 && got.equals(big.subarray(1, 1 + got.length)));
    await s.close();
    await fh.close();
    c.destroy();
    peer.close();
    await settledFds(before, 'copy path abort');
  });

  test('abort while waiting behind a stalled write: rejects at once, its turn does nothing', async () => {
    const peer = await stalledPeer();
    const s = await smallBufferStream(peer.port);
    const fh = await open(bigPath);
    const writing = s.writeAll(Buffer.alloc(16 * 1024 * 1024)).catch((e) => e);
    const ac = new AbortController();
    const sending = s.sendFile(fh, { signal: ac.signal });
    await delay(20);
    ac.abort();
    await assert.rejects(sending, { name: 'AbortError' });
    const c = await peer.conn;
    await s.close();
    c.destroy();
    await writing;
    await fh.close();
    peer.close();
  });

  test('the stream closed mid-file: rejects with its EBADF, the socket fd is closed after the splices', async () => {
    const before = fds();
    const peer = await stalledPeer();
    const s = await smallBufferStream(peer.port);
    const fd = s.fd;
    const fh = await open(bigPath);
    const sending = s.sendFile(fh);
    await peer.conn;
    await delay(30);
    const closing = s.close();
    await assert.rejects(sending, (e: Err) => e.code === 'EBADF');
    await closing;
    assert.equal(fdTarget(fd), null, 'socket fd closed');
    await fh.close();
    (await peer.conn).destroy();
    peer.close();
    await settledFds(before, 'stream closed mid-file');
  });

  test('the FileHandle closed mid-file: rejects with its "file closed"; close() waits for the splices', async () => {
    const before = fds();
    const peer = await stalledPeer();
    const s = await smallBufferStream(peer.port);
    const fh = await open(bigPath);
    const ffd = fh.fd;
    const sending = s.sendFile(fh);
    await peer.conn;
    await delay(30);
    const rejected = assert.rejects(sending, (e: Err) => e.code === 'EBADF' && e.message === 'file closed');
    await fh.close();
    await rejected;
    assert.equal(fdTarget(ffd), null, 'file fd closed');
    await s.close();
    (await peer.conn).destroy();
    peer.close();
    await settledFds(before, 'file closed mid-file');
  });

  test('a file truncated while it is sent: settles (never hangs); the count is what arrived, up to the new end the bytes are the file\'s', async () => {
    const p = file('shrinking', big);
    const peer = await stalledPeer();
    const s = await smallBufferStream(peer.port);
    const fh = await open(p);
    const sending = s.sendFile(fh).then((n) => ({ n }), (e: Err) => ({ e }));
    const c = await peer.conn;
    const parts: Buffer[] = [];
    c.on('data', (d) => parts.push(d));
    await delay(30);
    fs.truncateSync(p, 1024 * 1024);
    c.resume();
    const r = await sending;
    await s.shutdown('write').catch(() => {});
    await ended(c);
    const got = Buffer.concat(parts);
    if ('n' in r) assert.equal(got.length, r.n);
    else assert.ok(typeof r.e.code === 'string', `a coded error: ${r.e}`);
    assert.ok(got.length < SIZE, 'stopped before the old end');
    // Bytes past the new end that were already in the pipe are page-cache references the
    // truncation zeroed (as with sendfile(2)): only the part up to the new end is defined.
    const kept = Math.min(got.length, 1024 * 1024);
    assert.ok(got.subarray(0, kept).equals(big.subarray(0, kept)), 'the file up to its new end');
    await fh.close();
    await s.close();
    c.destroy();
    peer.close();
  });
});

describe('sendFile: order and concurrency', SUITE, () => {
  test('writeAll, sendFile, writeAll, sendFile, write without awaiting: sent in call order', async () => {
    const a = pattern(200_001, 11);
    const b = pattern(70_000, 12);
    const pa = file('oa', a);
    const pb = file('ob', b);
    const s = await TcpStream.connect({ port: sinkPort });
    const fa = await open(pa);
    const fb = await open(pb);
    const head = Buffer.from('HEAD');
    const mid = pattern(300_000, 13);
    const all = Promise.all([
      s.writeAll(head), s.sendFile(fa, { offset: 1 }), s.writev([mid, head]), s.sendFile(fb), s.writeAll('TAIL'),
    ]);
    const [, n1, , n2] = await all;
    assert.equal(n1, a.length - 1);
    assert.equal(n2, b.length);
    await s.shutdown('write');
    const got = await receivedBy(s);
    assert.ok(got.equals(Buffer.concat([head, a.subarray(1), mid, head, b, Buffer.from('TAIL')])));
    await fa.close();
    await fb.close();
    await s.close();
  });

  test('a write in flight to a slow peer: the file waits for it, and the next write for the file', async () => {
    const peer = await stalledPeer();
    const s = await smallBufferStream(peer.port);
    const data = pattern(1_000_000, 21);
    const fh = await open(file('slow', data));
    const first = pattern(8 * 1024 * 1024, 22);
    const w1 = s.writeAll(first);
    const f = s.sendFile(fh);
    const w2 = s.writeAll('END');
    const c = await peer.conn;
    const parts: Buffer[] = [];
    c.on('data', (d) => parts.push(d));
    await delay(20);
    c.resume();
    await Promise.all([w1, f, w2]);
    await s.shutdown('write');
    await ended(c);
    assert.ok(Buffer.concat(parts).equals(Buffer.concat([first, data, Buffer.from('END')])));
    await fh.close();
    await s.close();
    c.destroy();
    peer.close();
  });

  test('32 streams, a file each, at once: every byte on the right connection', async () => {
    const before = fds();
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const got = new Map<string, Promise<Buffer>>();
    const waiting = new Promise<void>((resolve) => {
      server.on('connection', (c) => {
        const parts: Buffer[] = [];
        c.on('data', (d) => parts.push(d));
        got.set(`${c.remotePort}`, new Promise((r) => c.on('end', () => {
          c.end();
          r(Buffer.concat(parts));
        })));
        if (got.size === 32) resolve();
      });
    });
    const files = Array.from({ length: 32 }, (_, i) => pattern(100_000 + i * 4099, 100 + i));
    const streams = await Promise.all(files.map(() => TcpStream.connect({ port })));
    await waiting;
    const handles = await Promise.all(files.map((d, i) => open(file(`many${i}`, d))));
    const counts = await Promise.all(streams.map((s, i) => s.sendFile(handles[i], { offset: i })));
    await Promise.all(streams.map((s) => s.shutdown('write')));
    for (let i = 0; i < 32; i++) {
      assert.equal(counts[i], files[i].length - i);
      const b = await got.get(`${streams[i].localAddress!.port}`)!;
      assert.ok(b.equals(files[i].subarray(i)), `stream ${i}`);
    }
    await Promise.all(handles.map((h) => h.close()));
    await Promise.all(streams.map((s) => s.close()));
    server.close();
    await settledFds(before, '32 streams');
  });

  test('one signal shared by 10 sendFiles: one listener each (no MaxListeners warning), none left after', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      const data = pattern(300_000, 41);
      const fh = await open(file('shared-signal', data));
      const streams = await Promise.all(Array.from({ length: 10 }, () => TcpStream.connect({ port: sinkPort })));
      const ac = new AbortController();
      const sends = streams.map((s) => s.sendFile(fh, { signal: ac.signal }));
      assert.equal(getEventListeners(ac.signal, 'abort').length, 10, 'one listener per sendFile');
      assert.deepEqual(await Promise.all(sends), streams.map(() => data.length));
      assert.equal(getEventListeners(ac.signal, 'abort').length, 0, 'each removed when its sendFile settled');
      await Promise.all(streams.map((s) => s.shutdown('write')));
      for (const s of streams) assert.ok((await receivedBy(s)).equals(data));
      await Promise.all(streams.map((s) => s.close()));
      await fh.close();
      await delay(10); // (a warning is emitted on the next tick)
      assert.deepEqual(warnings.filter((w) => w.includes('MaxListeners') || w.includes('memory leak')), []);
    } finally {
      process.off('warning', onWarning);
    }
  });

  test('two sendFiles on one stream: one after the other', async () => {
    const a = pattern(500_000, 31);
    const fh = await open(file('twice', a));
    const s = await TcpStream.connect({ port: sinkPort });
    const [x, y] = await Promise.all([s.sendFile(fh, { offset: 100_000 }), s.sendFile(fh, { length: 100_000 })]);
    assert.equal(x + y, 500_000);
    await s.shutdown('write');
    const got = await receivedBy(s);
    assert.ok(got.equals(Buffer.concat([a.subarray(100_000), a.subarray(0, 100_000)])));
    await fh.close();
    await s.close();
  });
});

describe('sendFile: the pipe pool', SUITE, () => {
  /** `n` streams on `ring` sending the same file at once, every byte checked. */
  async function sendAtOnce(ring: Ring, n: number, data: Buffer, fd: number): Promise<void> {
    const streams = await Promise.all(Array.from({ length: n }, () => TcpStream.connect({ port: sinkPort, ring })));
    try {
      const counts = await Promise.all(streams.map((s) => s.sendFile(fd)));
      assert.deepEqual(counts, streams.map(() => data.length));
      await Promise.all(streams.map((s) => s.shutdown('write')));
      for (const s of streams) assert.ok((await receivedBy(s)).equals(data));
    } finally {
      await Promise.all(streams.map((s) => s.close()));
    }
  }

  test('closing a ring closes its idle pipes: /proc/self/fd back to what it was before the ring', async () => {
    const data = pattern(300_000, 77);
    const fd = fs.openSync(file('pool-close', data), 'r');
    try {
      const before = fds();
      const ring = new Ring();
      await sendAtOnce(ring, 12, data, fd);
      // Three more in use at once and back, synchronously (no trim in between): kept.
      const held = [takePipe(ring), takePipe(ring), takePipe(ring)];
      for (const p of held) assert.equal(givePipe(ring, p, true), undefined);
      assert.ok(idlePipes(ring) >= 3, `pipes kept for the next sendFile (${idlePipes(ring)})`);
      const closed = ring.close();
      assert.equal(idlePipes(ring), 0, 'closed when close() is called');
      await closed;
      assert.equal(fds(), before, 'the ring fd and every pipe closed');
      // A closed ring keeps nothing: a pipe taken from it (none made by sendFile: refused
      // before) and given back is closed at once.
      const late = takePipe(ring);
      assert.equal(givePipe(ring, late, true), undefined);
      assert.equal(idlePipes(ring), 0);
      assert.equal(fds(), before);
    } finally {
      fs.closeSync(fd);
    }
  });

  test('idle pipes follow demand: as many kept as were in use at once, within the byte bound; closed once unused', async (t) => {
    const ring = new Ring();
    t.after(() => {
      setIdleBytes(32 * 1024 * 1024);
      return ring.close();
    });
    const before = fds();
    const pipes = Array.from({ length: 24 }, () => takePipe(ring));
    assert.equal(fds(), before + 48);
    for (const p of pipes) assert.equal(givePipe(ring, p, true), undefined);
    assert.equal(idlePipes(ring), 24, 'all kept: the next 24 at once make none (the old pool kept 8)');
    const again = Array.from({ length: 24 }, () => takePipe(ring));
    assert.equal(fds(), before + 48, 'the same pipes again, no new fd');
    assert.deepEqual(new Set(again.map((p) => p.r)), new Set(pipes.map((p) => p.r)));
    // One that may hold bytes is closed, never kept.
    await givePipe(ring, again.pop()!, false);
    assert.equal(fds(), before + 46);
    // The byte bound: room for 4 idle pipes.
    setIdleBytes(4 * again[0].size);
    for (const p of again.splice(0)) void givePipe(ring, p, true);
    assert.equal(idlePipes(ring), 4);
    await waitUntil(() => fds() === before + 8, 'the pipes past the bound closed');
    setIdleBytes(32 * 1024 * 1024);
    // A real burst through sendFile, then nothing in use: the unref'd trim timer closes
    // every idle pipe (within two of its periods) — the fds come back.
    const data = pattern(600_000, 78);
    const fd = fs.openSync(file('pool-demand', data), 'r');
    try {
      await sendAtOnce(ring, 24, data, fd);
      assert.ok(idlePipes(ring) <= 24, `no more idle than were in use at once (${idlePipes(ring)})`);
      await waitUntil(() => idlePipes(ring) === 0, 'idle pipes closed after the burst', 10_000);
      assert.equal(fds(), before + 1, 'only the file is open');
    } finally {
      fs.closeSync(fd);
    }
  });
});

describe('sendFile: stalled peers and the io-wq worker limit', SUITE, () => {
  // Found by a hostile test: a splice into a BLOCKING socket whose peer does not read
  // holds an io-wq worker until the peer reads.  Unbound io-wq workers are capped
  // (RLIMIT_NPROC of the user, or IORING_REGISTER_IOWQ_MAX_WORKERS): once every worker
  // sat in such a splice, every other sendFile on the ring waited — a few slow clients
  // stalled every large download of a file_server (`ulimit -u 64`, 100 paused clients: a
  // fresh 8 MiB GET got its head and nothing more).  Fixed by making RingCore's stream
  // sockets O_NONBLOCK (sys/socket.ts SOCK_NONBLOCK): a full socket is EAGAIN, and
  // sendFile's POLL path waits without a thread.  Here the cap is 2 workers.
  test('two peers that do not read do not stop a third stream\'s sendFile (io-wq capped at 2 unbound workers)', { timeout: 20_000 }, async (t) => {
    const data = pattern(8 * 1024 * 1024, 31);
    const fd = fs.openSync(file('iowq-cap', data), 'r');
    const ring = new Ring();
    const limits = Uint32Array.of(0, 2); // [bounded (0: unchanged), unbound]
    assert.equal(native.register(ring.fd, Register.IOWQ_MAX_WORKERS, limits, 2), 0);
    const peers = [await stalledPeer(), await stalledPeer()];
    const streams: TcpStream[] = [];
    t.after(async () => {
      for (const s of streams) await s.close();
      for (const p of peers) {
        (await p.conn).destroy();
        p.close();
      }
      await ring.close();
      fs.closeSync(fd);
    });
    const stuck: Promise<unknown>[] = [];
    for (const p of peers) {
      const s = await TcpStream.connect({ port: p.port, ring });
      streams.push(s);
      stuck.push(s.sendFile(fd).catch((e: Err) => e.code));
      await p.conn;
    }
    const g = await TcpStream.connect({ port: sinkPort, ring });
    streams.push(g);
    const port = g.localAddress!.port;
    assert.equal(await g.sendFile(fd), data.length); // waits forever while the two stalled splices hold both workers
    await g.shutdown('write');
    assert.ok((await receivedBy(g, port)).equals(data));
  });
});
