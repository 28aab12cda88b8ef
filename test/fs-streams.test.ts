/**
 * Differential tests of the file streams (src/fs/streams.ts): ringcore/fs'
 * createReadStream/createWriteStream and FileHandle.createReadStream/createWriteStream
 * against node:fs' on the same files.  Every case runs both and compares what a
 * program can observe: the bytes (hash) and chunk sizes, the sequence of events (runs
 * of 'data' shown once), bytesRead/bytesWritten, the error's class, name, code, errno,
 * syscall, path and message, and the files left behind.  At the end, every fd the
 * tests opened is closed.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { spawn, execFileSync } from 'node:child_process';
import { pipeline } from 'node:stream/promises';
import type { Readable, Writable } from 'node:stream';
import * as nodeFsp from 'node:fs/promises';
import * as ringFs from '../src/fs/promises.js';
import { defaultRing } from '../src/runtime/current.js';
import { tempDir, failIfKeptAlive, waitUntil, runChild, SUITE, fdSnapshot, fdsOpenedSince } from './helpers.js';

failIfKeptAlive();

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Api = any;
/** What each implementation offers: node:fs (streams) + node:fs/promises (open). */
const NODE: Api = { createReadStream: fs.createReadStream, createWriteStream: fs.createWriteStream, open: nodeFsp.open };
const RING: Api = ringFs;
const IMPLS = [['node', NODE], ['ring', RING]] as const;

let tmp: { dir: string; cleanup: () => void };
let fdsBefore = new Map<number, string>();
const files: Record<string, string> = {};

function sha(b: Buffer | string): string {
  return crypto.createHash('sha256').update(b).digest('hex');
}

/** Deterministic pseudo-random bytes. */
function pattern(n: number, seed = 1): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}

/** Everything an error says that a program may look at. */
function errRecord(e: any): Record<string, unknown> | undefined {
  if (e === undefined || e === null) return undefined;
  const cls = e instanceof RangeError ? 'RangeError' : e instanceof TypeError ? 'TypeError' : e instanceof Error ? 'Error' : typeof e;
  return { class: cls, name: e.name, code: e.code, errno: e.errno, syscall: e.syscall, path: e.path, message: e.message };
}

interface Observed {
  events: string[];
  chunks: number[];
  sha: string;
  text?: string;
  err?: Record<string, unknown>;
  bytesRead?: number;
  bytesWritten?: number;
}

const EVENTS = ['open', 'ready', 'data', 'end', 'finish', 'error', 'close'];

/**
 * Watch a stream until it is over: 'close', or (when it will not come) `until`, then
 * one more loop turn for anything that would follow.  `onData` may act mid-stream.
 */
function observe(s: Readable | Writable, opts: { until?: string; onData?: (s: any, n: number) => void } = {}): Promise<Observed> {
  const o: Observed = { events: [], chunks: [], sha: '' };
  const parts: Buffer[] = [];
  let text: string | undefined;
  return new Promise((resolve) => {
    const done = () => setTimeout(() => {
      o.sha = sha(Buffer.concat(parts));
      if (text !== undefined) o.text = text;
      const x = s as any;
      if (typeof x.bytesRead === 'number') o.bytesRead = x.bytesRead;
      if (typeof x.bytesWritten === 'number') o.bytesWritten = x.bytesWritten;
      resolve({ ...o, events: [...o.events], chunks: [...o.chunks] }); // what happened until now
    }, 20);
    for (const e of EVENTS) {
      s.on(e, (arg: any) => {
        if (e === 'data') {
          if (typeof arg === 'string') text = (text ?? '') + arg;
          else parts.push(arg);
          o.chunks.push(arg.length);
          opts.onData?.(s, o.chunks.length);
        }
        if (e === 'open') assert.equal(typeof arg, 'number', "'open' carries the fd");
        if (e === 'error') o.err = errRecord(arg);
        if (o.events.at(-1) !== e || e !== 'data') o.events.push(e);
        if (e === 'close' || e === opts.until) done();
      });
    }
  });
}

/** Run `make` with each implementation; the observations must be equal. */
async function same(what: string, make: (f: Api) => Readable | Writable | Promise<Readable | Writable>,
                    opts: { until?: string; onData?: (s: any, n: number) => void; compareChunks?: boolean } = {}): Promise<Observed> {
  const out: Record<string, Observed> = {};
  for (const [name, f] of IMPLS) {
    out[name] = await observe(await make(f), opts);
  }
  if (opts.compareChunks === false) {
    out.node.chunks = out.ring.chunks = [];
  }
  assert.deepStrictEqual(out.ring, out.node, `${what}: ring and node differ`);
  return out.node;
}

/** Run `f` with each implementation: the same synchronous throw (or none). */
function sameThrow(what: string, f: (impl: Api) => Readable | Writable): void {
  const out: Record<string, unknown> = {};
  for (const [name, impl] of IMPLS) {
    try {
      (f(impl) as Readable).destroy();
      out[name] = 'no throw';
    } catch (e) {
      out[name] = errRecord(e);
    }
  }
  assert.deepStrictEqual(out.ring, out.node, `${what}: ring and node differ`);
}

function file(name: string, data: Buffer | string): string {
  const p = path.join(tmp.dir, name);
  fs.writeFileSync(p, data);
  return p;
}

const SIZES = [0, 1, 65535, 65536, 65537, 5 << 20];

before(async () => {
  tmp = tempDir('ringcore-streams-');
  await ringFs.stat(tmp.dir); // the default ring (and its fds) exists before the count
  await new Promise((r) => setTimeout(r, 10));
  fdsBefore = fdSnapshot();
  for (const n of SIZES) files[n] = file(`f${n}`, pattern(n, n + 1));
});

after(async () => {
  await waitUntil(() => defaultRing().stats().inFlight === 0, 'the ring is idle');
  await waitUntil(() => fdsOpenedSince(fdsBefore).length === 0, `every fd closed (open: ${fdsOpenedSince(fdsBefore).join(', ')})`);
  tmp.cleanup();
});

describe('read streams', SUITE, () => {
  for (const n of SIZES) {
    test(`a ${n}-byte file: same bytes, chunks, events, bytesRead`, async () => {
      const o = await same(`${n} B`, (f) => f.createReadStream(files[n]));
      assert.equal(o.sha, sha(fs.readFileSync(files[n])));
      assert.deepEqual(o.events, n === 0 ? ['open', 'ready', 'end', 'close'] : ['open', 'ready', 'data', 'end', 'close']);
    });
  }

  test('small and odd highWaterMarks', async () => {
    for (const hwm of [1, 1000, 65537, 1 << 20]) {
      await same(`hwm ${hwm}`, (f) => f.createReadStream(files[65537], { highWaterMark: hwm }));
    }
  });

  test('ranges: start/end (inclusive), end past EOF, start only, end only, empty', async () => {
    const p = files[65537];
    const ranges = [
      { start: 0, end: 0 }, { start: 100, end: 99999 }, { start: 5, end: 65537 + 1000 }, { start: 70000 - 5000 },
      { end: 70000 }, { end: 65535 }, { start: 65537 }, { start: 65537 + 10 }, { start: 3, end: 3 },
      { start: 1, end: Infinity }, { start: 1000, end: 200000, highWaterMark: 4096 },
    ];
    for (const r of ranges) {
      const o = await same(`range ${JSON.stringify(r)}`, (f) => f.createReadStream(p, r));
      const s = r.start ?? 0;
      const e = Math.min(r.end ?? Infinity, 65536);
      assert.equal(o.sha, sha(fs.readFileSync(p).subarray(s, e + 1)), JSON.stringify(r));
    }
  });

  test('encodings: utf8 with multibyte characters split across chunks, hex, base64, latin1, a string argument', async () => {
    const text = 'héllo wörld € 𝄞 — ✓ '.repeat(5000);
    const p = file('text.txt', text);
    for (const hwm of [7, 1000, undefined]) {
      const o = await same(`utf8 hwm ${hwm}`, (f) => f.createReadStream(p, { encoding: 'utf8', highWaterMark: hwm }));
      assert.equal(o.text, text);
    }
    for (const enc of ['hex', 'base64', 'latin1', 'utf16le'] as const) {
      await same(enc, (f) => f.createReadStream(p, { encoding: enc, highWaterMark: 1001 }));
      await same(`${enc} as a string`, (f) => f.createReadStream(p, enc));
    }
    await same('setEncoding', (f) => f.createReadStream(p, { highWaterMark: 999 }).setEncoding('utf8'));
  });

  test('properties: path, fd, pending, bytesRead, autoClose', async () => {
    for (const [name, f] of IMPLS) {
      const s = f.createReadStream(files[1]);
      assert.equal(s.path, files[1], name);
      assert.equal(s.pending, true, name);
      assert.equal(s.fd, null, name);
      assert.equal(s.autoClose, true, name);
      const fd = await new Promise((r) => s.once('open', r));
      assert.equal(s.fd, fd, name);
      assert.equal(s.pending, false, name);
      s.resume();
      await new Promise((r) => s.once('close', r));
      assert.equal(s.fd, null, name);
      assert.equal(s.bytesRead, 1, name);
    }
    const url = new URL(`file://${files[1]}`);
    await same('a file: URL', (f) => f.createReadStream(url));
    assert.equal(RING.createReadStream(url).destroy().path, files[1]);
    await same('a Buffer path', (f) => f.createReadStream(Buffer.from(files[1])));
  });

  test('errors: ENOENT, EISDIR, flags and mode reported as stream errors', async () => {
    const missing = path.join(tmp.dir, 'missing');
    const o = await same('ENOENT', (f) => f.createReadStream(missing));
    assert.deepEqual(o.events, ['error', 'close']);
    assert.equal(o.err?.code, 'ENOENT');
    assert.equal(o.err?.path, missing);
    const d = await same('EISDIR', (f) => f.createReadStream(tmp.dir));
    assert.deepEqual(d.events, ['open', 'ready', 'error', 'close']);
    assert.equal(d.err?.code, 'EISDIR');
    await same('EISDIR with start', (f) => f.createReadStream(tmp.dir, { start: 0 }));
    await same('bad flags', (f) => f.createReadStream(files[1], { flags: 'bogus' }));
    await same('float flags', (f) => f.createReadStream(files[1], { flags: 1.5 }));
    await same('bad mode', (f) => f.createReadStream(files[1], { mode: 'x' }));
    await same('flags a+ on a read stream (creates the file)', (f) => f.createReadStream(path.join(tmp.dir, 'created-by-read'), { flags: 'a+' }));
  });

  test('bad arguments: the same error, thrown before anything is opened', () => {
    const p = files[1];
    const bad: Array<[string, unknown, unknown]> = [
      ['options number', p, 1], ['options boolean', p, true], ['bad encoding', p, 'bogus'], ['bad encoding option', p, { encoding: 'nope' }],
      ['start -1', p, { start: -1 }], ['start 1.5', p, { start: 1.5 }], ['start string', p, { start: '1' }],
      ['start null', p, { start: null }], ['end null', p, { end: null }], ['end -1', p, { end: -1 }], ['end NaN', p, { end: NaN }],
      ['start > end', p, { start: 5, end: 2 }], ['highWaterMark -1', p, { highWaterMark: -1 }],
      ['highWaterMark string', p, { highWaterMark: 'x' }], ['signal {}', p, { signal: {} }], ['signal null', p, { signal: null }],
      ['path number', 1, undefined], ['path undefined', undefined, undefined], ['path null byte', 'a\0b', undefined],
      ['http URL', new URL('http://x/'), undefined], ['fd string', null, { fd: 'x' }], ['fd -1', null, { fd: -1 }],
      ['fd 1.5', null, { fd: 1.5 }], ['start huge', p, { start: 2 ** 53 }],
    ];
    for (const [what, a, b] of bad) {
      sameThrow(`read ${what}`, (f) => f.createReadStream(a, b));
      const scratch = a === p ? path.join(tmp.dir, 'x') : a; // (never truncate a fixture)
      if (!what.startsWith('end') && what !== 'start > end') sameThrow(`write ${what}`, (f) => f.createWriteStream(scratch, b));
    }
    sameThrow('write flush 1', (f) => f.createWriteStream(path.join(tmp.dir, 'x'), { flush: 1 }));
    sameThrow('write flush string', (f) => f.createWriteStream(path.join(tmp.dir, 'x'), { flush: 'yes' }));
    fs.rmSync(path.join(tmp.dir, 'x'), { force: true });
  });

  test('abort through the signal mid-read: AbortError, as Node', async () => {
    const o = await same('abort', (f) => {
      const ac = new AbortController();
      return f.createReadStream(files[5 << 20], { signal: ac.signal }).on('data', () => ac.abort('stop'));
    });
    assert.deepEqual(o.events, ['open', 'ready', 'data', 'error', 'close']);
    assert.equal(o.err?.name, 'AbortError');
    const pre = await same('already aborted', (f) => {
      const s = f.createReadStream(files[5 << 20], { signal: AbortSignal.abort() });
      // Node still opens the file (after 'close') and never closes it; ringcore closes it.
      if (f === NODE) s.once('open', (fd: number) => fs.closeSync(fd));
      return s;
    });
    assert.equal(pre.err?.name, 'AbortError');
    assert.deepEqual(pre.events, ['error', 'close', 'open', 'ready']);
  });

  test('destroy mid-read: no more data, the reads in flight are cancelled, the fd closed', async () => {
    const o = await same('destroy', (f) => f.createReadStream(files[5 << 20]), { onData: (s, n) => { if (n === 2) s.destroy(); } });
    assert.deepEqual(o.events, ['open', 'ready', 'data', 'close']);
    assert.equal(o.bytesRead, 2 * 65536);
    await same('destroy with an error', (f) => f.createReadStream(files[5 << 20]),
               { onData: (s) => s.destroy(Object.assign(new Error('mine'), { code: 'EMINE' })) });
    await same('close(cb) mid-read', (f) => f.createReadStream(files[5 << 20]),
               { onData: (s, n) => { if (n === 1) s.close(() => s.emit('finish')); } }); // the callback shows as 'finish'
    await same('destroy before open', (f) => f.createReadStream(files[5 << 20]).destroy());
    await waitUntil(() => defaultRing().stats().inFlight === 0, 'no read left in flight');
  });

  test('destroy with reads in flight: an abandoned buffer is never handed out', async () => {
    // Paused after the first chunk, the stream's buffer and read-ahead fill up; destroy:
    // nothing more is delivered, whatever the kernel still completes.
    const s = RING.createReadStream(files[5 << 20]);
    const seen: Buffer[] = [];
    s.on('data', (d: Buffer) => {
      seen.push(d);
      s.pause();
    });
    await waitUntil(() => seen.length === 1, 'first chunk');
    await new Promise((r) => setTimeout(r, 5));
    const read = s.bytesRead;
    s.destroy();
    await new Promise((r) => s.once('close', r));
    await waitUntil(() => defaultRing().stats().inFlight === 0, 'no read left in flight');
    assert.equal(seen.length, 1);
    assert.equal(s.bytesRead, read);
    assert.deepEqual(seen[0], fs.readFileSync(files[5 << 20]).subarray(0, 65536));
  });

  test('destroy while a read waits in the kernel (an empty FIFO): cancelled, closed at once', async () => {
    // Node's stream would wait for its thread-pool read (until a writer writes): ring only.
    const fifo = path.join(tmp.dir, 'fifo-empty');
    execFileSync('mkfifo', [fifo]);
    for (const autoClose of [true, false]) {
      const fh = await RING.open(fifo, 'r+'); // O_RDWR: no EOF, and the open does not block
      fs.writeSync(fh.fd, 'first');
      const s = fh.createReadStream({ autoClose });
      const first = await new Promise<Buffer>((r) => s.once('data', r));
      assert.equal(first.toString(), 'first');
      await new Promise((r) => setTimeout(r, 10)); // the next read is pending in the kernel
      assert.ok(defaultRing().stats().inFlight >= 1);
      const closed = new Promise((r) => s.once('close', r));
      s.destroy();
      await closed;
      await waitUntil(() => defaultRing().stats().inFlight === 0, 'the pending read cancelled');
      assert.equal(fh.fd, -1, 'destroy() closes the handle, as Node (autoClose only decides for end and errors)');
    }
  });

  test('autoClose: false leaves the file open after end; close() closes it', async () => {
    const o = await same('autoClose false', (f) => {
      const s = f.createReadStream(files[65537], { autoClose: false });
      return s.once('end', () => setTimeout(() => s.destroy(), 50));
    }, { until: 'end' });
    assert.deepEqual(o.events, ['open', 'ready', 'data', 'end']);
    for (const [name, f] of IMPLS) {
      const s = f.createReadStream(files[65537], { autoClose: false }).resume();
      await new Promise((r) => s.once('end', r));
      assert.equal(typeof s.fd, 'number', name);
      assert.ok(fs.readlinkSync(`/proc/self/fd/${s.fd}`).endsWith('f65537'), name);
      await new Promise((r) => s.close(r));
      assert.equal(s.fd, null, name);
    }
    await same('emitClose false', (f) => f.createReadStream(files[1], { emitClose: false }), { until: 'end' });
  });

  test('pipeline(createReadStream(a), createWriteStream(b)) copies 5 MiB exactly', async () => {
    const src = files[5 << 20];
    for (const [name, f] of IMPLS) {
      const dest = path.join(tmp.dir, `copy-${name}`);
      await pipeline(f.createReadStream(src), f.createWriteStream(dest));
      assert.equal(sha(fs.readFileSync(dest)), sha(fs.readFileSync(src)), name);
    }
    const dest = path.join(tmp.dir, 'copy-mixed');
    await pipeline(RING.createReadStream(src, { highWaterMark: 10000 }), fs.createWriteStream(dest));
    assert.equal(sha(fs.readFileSync(dest)), sha(fs.readFileSync(src)));
  });

  test('a file that grows while it is read (reads past a short one are stale)', async () => {
    for (const [name, f] of IMPLS) {
      const p = file(`grow-${name}`, pattern(100000, 7));
      const s = f.createReadStream(p, { highWaterMark: 65536 });
      const parts: Buffer[] = [];
      let appended = false;
      s.on('data', (d: Buffer) => {
        parts.push(d);
        if (!appended) {
          appended = true;
          fs.appendFileSync(p, pattern(300000, 8));
        }
      });
      await new Promise((r) => s.on('close', r));
      const all = Buffer.concat(parts);
      // Node may or may not see the bytes appended; neither implementation skips or repeats bytes.
      assert.deepEqual(all, fs.readFileSync(p).subarray(0, all.length), name);
      assert.ok(all.length >= 100000, name);
    }
  });

  test('a FIFO: everything, in order, read at the file position one read at a time', async () => {
    const src = files[5 << 20];
    for (const [name, f] of IMPLS) {
      const fifo = path.join(tmp.dir, `fifo-${name}`);
      execFileSync('mkfifo', [fifo]);
      const writer = spawn('sh', ['-c', 'cat "$1" > "$2"', 'sh', src, fifo], { stdio: 'ignore' });
      const exited = new Promise((r) => writer.once('exit', r));
      const o = await observe(f.createReadStream(fifo));
      await exited;
      assert.equal(o.sha, sha(fs.readFileSync(src)), name);
      assert.deepEqual(o.events, ['open', 'ready', 'data', 'end', 'close'], name);
      assert.equal(o.bytesRead, 5 << 20, name);
    }
    // A FileHandle opened on a FIFO (no start): reads at position -1.
    for (const [name, f] of IMPLS) {
      const fifo = path.join(tmp.dir, `fifo-fh-${name}`);
      execFileSync('mkfifo', [fifo]);
      const writer = spawn('sh', ['-c', 'cat "$1" > "$2"', 'sh', src, fifo], { stdio: 'ignore' });
      const exited = new Promise((r) => writer.once('exit', r));
      const fh = await f.open(fifo, 'r');
      const o = await observe(fh.createReadStream({ highWaterMark: 20000 }));
      await exited;
      assert.equal(o.sha, sha(fs.readFileSync(src)), name);
      assert.equal(fh.fd, -1, `${name}: the FileHandle is closed with the stream`);
    }
  });
});

describe('FileHandle streams', SUITE, () => {
  test('createReadStream: no open/ready events, the handle closed at the end (autoClose)', async () => {
    const handles: Record<string, any> = {};
    const o = await same('fh read', async (f) => {
      const fh = await f.open(files[65537]);
      handles[f === RING ? 'ring' : 'node'] = fh;
      return fh.createReadStream();
    });
    assert.deepEqual(o.events, ['data', 'end', 'close']);
    assert.equal(handles.ring.fd, -1);
    assert.equal(handles.node.fd, -1);
    await same('fh read range', async (f) => (await f.open(files[65537])).createReadStream({ start: 10, end: 70000, highWaterMark: 5000 }));
    await same('fh read encoding', async (f) => (await f.open(files[65536])).createReadStream({ encoding: 'base64' }));
  });

  test('without start, from the handle\'s file position (and advancing it)', async () => {
    const out: Record<string, unknown> = {};
    for (const [name, f] of IMPLS) {
      const fh = await f.open(files[65537]);
      await fh.read(Buffer.alloc(1000), 0, 1000, null); // the file position is now 1000
      const s = fh.createReadStream({ autoClose: false, end: 4999 });
      const events: string[] = [];
      s.on('close', () => events.push('close'));
      const o = await observe(s, { until: 'end' });
      const after = await fh.read(Buffer.alloc(10), 0, 10, null);
      await fh.close(); // closes the stream first (Node: the handle's 'close' event)
      await new Promise((r) => setTimeout(r, 20));
      out[name] = { o, next: after.buffer.subarray(0, after.bytesRead).toString('hex'), events };
    }
    assert.deepStrictEqual(out.ring, out.node);
    assert.deepEqual((out.node as { events: string[] }).events, ['close']);
  });

  test('autoClose: false leaves the handle open; a handle closed under the stream ends it', async () => {
    for (const [name, f] of IMPLS) {
      const fh = await f.open(files[65537]);
      const s = fh.createReadStream({ autoClose: false }).resume();
      await new Promise((r) => s.once('end', r));
      assert.ok(fh.fd >= 0, name);
      const b = await fh.read(Buffer.alloc(4), 0, 4, 0);
      assert.equal(b.bytesRead, 4, name);
      await fh.close();
    }
    for (const [name, f] of IMPLS) {
      const fh = await f.open(files[5 << 20]);
      const s = fh.createReadStream({ highWaterMark: 1024 });
      const o = observe(s, { onData: (_s, n) => { if (n === 1) fh.close(); } });
      const seen = await o;
      assert.deepEqual(seen.events.filter((e) => e !== 'data'), ['close'], name);
      assert.equal(fh.fd, -1, name);
    }
  });

  test('closing the handle under a finished write stream (autoClose: false) closes both', async () => {
    // Node's handle.close() would wait forever here (its stream waits for a 'finish'
    // that has passed): ring only.
    const fh = await RING.open(path.join(tmp.dir, 'fh-finished'), 'w');
    const w = fh.createWriteStream({ autoClose: false });
    w.end('done');
    await new Promise((r) => w.once('finish', r));
    const closed = new Promise((r) => w.once('close', r));
    await fh.close();
    await closed;
    assert.equal(fh.fd, -1);
    assert.equal(fs.readFileSync(path.join(tmp.dir, 'fh-finished'), 'utf8'), 'done');
  });

  test('createWriteStream: writes through the handle, then closes it', async () => {
    const out: Record<string, unknown> = {};
    for (const [name, f] of IMPLS) {
      const p = file(`fhw-${name}`, 'x'.repeat(100));
      const fh = await f.open(p, 'r+');
      const w = fh.createWriteStream({ start: 10 });
      const o = observe(w);
      w.write('hello');
      w.end(Buffer.from(' world'));
      out[name] = { o: await o, file: fs.readFileSync(p, 'utf8'), fd: fh.fd };
    }
    assert.deepStrictEqual(out.ring, out.node);
  });

  test('a closed handle: the same error as Node', async () => {
    const out: Record<string, unknown> = {};
    for (const [name, f] of IMPLS) {
      const fh = await f.open(files[1]);
      await fh.close();
      try {
        fh.createReadStream().destroy();
        out[name] = 'no throw';
      } catch (e) {
        out[name] = errRecord(e);
      }
    }
    assert.deepStrictEqual(out.ring, out.node);
  });
});

describe('write streams', SUITE, () => {
  /** Run `write` on a write stream of each implementation; compare events, bytesWritten and the file. */
  async function sameWrites(what: string, options: unknown, write: (w: any) => void, initial?: string): Promise<Record<string, unknown>> {
    const out: Record<string, any> = {};
    const p = path.join(tmp.dir, `w-${what.replace(/\W/g, '_')}`); // the same path: errors name it
    for (const [name, f] of IMPLS) {
      fs.rmSync(p, { force: true });
      if (initial !== undefined) fs.writeFileSync(p, initial);
      const w = f.createWriteStream(p, options);
      const o = observe(w);
      write(w);
      const seen = await o;
      out[name] = { seen, file: fs.existsSync(p) ? sha(fs.readFileSync(p)) : 'absent', size: fs.existsSync(p) ? fs.statSync(p).size : -1 };
    }
    assert.deepStrictEqual(out.ring, out.node, `${what}: ring and node differ`);
    return out.node;
  }

  test('events and bytes: open, ready, finish, close', async () => {
    const o = await sameWrites('simple', undefined, (w) => w.end('hello'));
    assert.deepEqual((o.seen as Observed).events, ['open', 'ready', 'finish', 'close']);
    await sameWrites('empty', undefined, (w) => w.end());
    await sameWrites('encoding option', { encoding: 'hex' }, (w) => w.end('68656c6c6f'));
    await sameWrites('encoding string', 'base64', (w) => w.end('aGVsbG8='));
    await sameWrites('flush', { flush: true }, (w) => w.end(pattern(100000, 3)));
  });

  test('many small writes', async () => {
    await sameWrites('small writes', undefined, (w) => {
      for (let i = 0; i < 2000; i++) w.write(pattern(1 + (i % 97), i));
      w.end();
    });
  });

  test('cork/uncork: the corked chunks go out in one writev', async () => {
    await sameWrites('cork', undefined, (w) => {
      w.cork();
      for (let i = 0; i < 3000; i++) w.write(`line ${i}\n`);
      process.nextTick(() => w.uncork());
      w.end('last');
    });
    // Through the ring: 3000 corked chunks (past IOV_MAX) are a handful of SQEs, not 3000.
    const p = path.join(tmp.dir, 'corked');
    const w = RING.createWriteStream(p);
    await new Promise((r) => w.once('ready', r));
    const before = defaultRing().stats().sqesSubmitted;
    w.cork();
    for (let i = 0; i < 3000; i++) w.write(`line ${i}\n`);
    w.uncork();
    w.end();
    await new Promise((r) => w.once('close', r));
    const sqes = defaultRing().stats().sqesSubmitted - before;
    assert.ok(sqes <= 6, `${sqes} SQEs for 3000 corked writes`);
    assert.equal(fs.readFileSync(p, 'utf8'), Array.from({ length: 3000 }, (_, i) => `line ${i}\n`).join(''));
  });

  test('start with flags r+ into an existing file; the a flag appends; wx on an existing file', async () => {
    await sameWrites('r+ start', { flags: 'r+', start: 5 }, (w) => { w.write('abc'); w.end('def'); }, '0123456789abcdef');
    await sameWrites('start past the end', { flags: 'r+', start: 30 }, (w) => w.end('z'), '0123');
    await sameWrites('append', { flags: 'a' }, (w) => { w.write('x'); w.end('y'); }, 'start:');
    await sameWrites('w truncates', undefined, (w) => w.end('new'), 'old content');
    const e = await sameWrites('wx exists', { flags: 'wx' }, (w) => w.end('new'), 'old');
    assert.equal(((e.seen as Observed).err as { code: string }).code, 'EEXIST');
    await sameWrites('mode', { mode: 0o600 }, (w) => w.end('m'));
  });

  test('errors: a directory, a missing directory', async () => {
    await same('write to a directory', (f) => f.createWriteStream(tmp.dir));
    await same('write into a missing directory', (f) => f.createWriteStream(path.join(tmp.dir, 'no', 'file')));
  });

  test('destroy mid-write, close(cb), autoClose false', async () => {
    await sameWrites('destroy', undefined, (w) => {
      w.write(pattern(1 << 20, 1));
      w.write('more');
      w.once('ready', () => w.destroy()); // the buffered chunks' writev is in flight
    });
    await sameWrites('close cb', undefined, (w) => {
      w.write('abc');
      w.close(() => w.emit('finish')); // the callback shows as a second 'finish'
    });
    for (const [name, f] of IMPLS) {
      const p = path.join(tmp.dir, `noauto-${name}`);
      const w = f.createWriteStream(p, { autoClose: false });
      w.end('data');
      await new Promise((r) => w.once('finish', r));
      await new Promise((r) => setTimeout(r, 5));
      assert.equal(typeof w.fd, 'number', name);
      assert.equal(w.closed, false, name);
      // (close() would wait for a 'finish' that has passed, in Node too: destroy.)
      await new Promise((r) => w.destroy().once('close', r));
      assert.equal(w.fd, null, name);
      assert.equal(fs.readFileSync(p, 'utf8'), 'data');
    }
  });

  test('an fd option: the stream uses it (and closes it with autoClose)', async () => {
    const out: Record<string, unknown> = {};
    for (const [name, f] of IMPLS) {
      const p = path.join(tmp.dir, `fdopt-${name}`);
      const fd = fs.openSync(p, 'w');
      const w = f.createWriteStream('ignored', { fd });
      const o = observe(w);
      w.end('via fd');
      const seen = await o;
      let open = true;
      try {
        fs.fstatSync(fd);
      } catch {
        open = false;
      }
      out[name] = { seen, open, file: fs.readFileSync(p, 'utf8'), path: w.path };
      const r = f.createReadStream(undefined, { fd: fs.openSync(p, 'r'), encoding: 'utf8' });
      out[`${name}-read`] = await observe(r);
    }
    assert.deepStrictEqual(out.ring, out.node);
    assert.deepStrictEqual(out['ring-read'], out['node-read']);
  });
});

describe('FileHandle.readLines and readableWebStream, beside node:fs/promises', SUITE, () => {
  let dir: { dir: string; cleanup: () => void };
  let p: string;
  before(() => {
    dir = tempDir();
    p = path.join(dir.dir, 'lines.txt');
    // CRLF and LF, an empty line, a multibyte character, a line longer than a chunk, no final newline.
    fs.writeFileSync(p, 'one\r\ntwo\nthree\n\nf\u00fcnf ' + 'x'.repeat(200_000) + '\nlast');
  });
  after(() => dir.cleanup());

  test('readLines: the same lines as Node\'s, and the handle is closed at the end', async () => {
    const lines = async (open: typeof nodeFsp.open) => {
      const fh = await open(p);
      const out: string[] = [];
      for await (const l of fh.readLines({ highWaterMark: 1000 })) out.push(l);
      await waitUntil(() => fh.fd === -1, 'the handle closed by the stream');
      return out;
    };
    const ours = await lines(ringFs.open as unknown as typeof nodeFsp.open);
    assert.deepEqual(ours, await lines(nodeFsp.open));
    assert.equal(ours.length, 6);
  });

  test('readableWebStream: the bytes, BYOB reads, one stream per handle, closed handle, autoClose', async () => {
    const want = fs.readFileSync(p);
    const fh = await ringFs.open(p);
    const parts: Uint8Array[] = [];
    for await (const c of fh.readableWebStream() as unknown as AsyncIterable<Uint8Array>) parts.push(c);
    assert.ok(Buffer.concat(parts).equals(want));
    assert.throws(() => fh.readableWebStream(), { code: 'ERR_INVALID_STATE', message: 'Invalid state: The FileHandle is locked' });
    await fh.close();
    assert.throws(() => fh.readableWebStream(), { code: 'ERR_INVALID_STATE', message: 'Invalid state: The FileHandle is closed' });

    const fh2 = await ringFs.open(p);
    const reader = fh2.readableWebStream().getReader({ mode: 'byob' });
    let total = 0;
    for (;;) {
      const { done, value } = await reader.read(new Uint8Array(777));
      if (done) break;
      assert.ok(value.length <= 777);
      total += value.length;
    }
    assert.equal(total, want.length);
    assert.notEqual(fh2.fd, -1, 'without autoClose the handle stays open');
    await fh2.close();

    const fh3 = await ringFs.open(p);
    assert.throws(() => fh3.readableWebStream({ autoClose: 'yes' as never }), { code: 'ERR_INVALID_ARG_TYPE' });
    const fh4 = await ringFs.open(p);
    const r4 = fh4.readableWebStream({ autoClose: true }).getReader();
    await r4.read();
    await r4.cancel();
    assert.equal(fh4.fd, -1, 'autoClose: closed on cancel');
    await fh3.close();
  });
});

describe('read streams: found by a hostile test (issue 10)', SUITE, () => {
  test('a FIFO with `start` fails with ESPIPE as Node\'s does, instead of reading scrambled data', async () => {
    const dir = tempDir();
    try {
      const fifo = path.join(dir.dir, 'fifo');
      execFileSync('mkfifo', [fifo]);
      for (const [name, api] of IMPLS) {
        const writer = spawn('sh', ['-c', `printf 0123456789 > ${fifo}`]);
        const writerGone = new Promise((r) => writer.once('close', r));
        const s = api.createReadStream(fifo, { start: 3, end: 6 });
        const err = await new Promise<NodeJS.ErrnoException>((resolve, reject) => {
          s.on('data', () => reject(new Error(`${name}: data from a FIFO read at a position`)));
          s.on('error', resolve);
          s.on('end', () => reject(new Error(`${name}: ended without ESPIPE`)));
        });
        assert.equal(err.code, 'ESPIPE', name);
        assert.equal(err.syscall, 'read', name);
        writer.kill();
        await writerGone;
      }
    } finally {
      dir.cleanup();
    }
  });

  test('read-ahead stays near 1 MiB: one read in flight for a highWaterMark of 4 MiB', async () => {
    // Counted from a trace of a child process, READ SQEs against READ CQEs: the default
    // ring's inFlight would also count whatever else is pending in this process (a close
    // of an earlier test's handle, say), which made an earlier form of this test flaky.
    const dir = tempDir();
    try {
      const p = path.join(dir.dir, 'big');
      const trace = path.join(dir.dir, 'trace.jsonl');
      fs.writeFileSync(p, crypto.randomBytes(12 << 20));
      const res = await runChild(`
        import fs from 'node:fs';
        import { createReadStream } from ${JSON.stringify(new URL('../src/fs/promises.js', import.meta.url).href)};
        const parts = [];
        for await (const c of createReadStream(${JSON.stringify(p)}, { highWaterMark: 4 << 20 })) parts.push(c);
        console.log(Buffer.concat(parts).equals(fs.readFileSync(${JSON.stringify(p)})));
      `, { RINGCORE_TRACE: trace }, 30_000);
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout.trim(), 'true', 'the bytes');
      const events = fs.readFileSync(trace, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
      const reads = new Set<string>();
      let inFlight = 0;
      let max = 0;
      let issued = 0;
      for (const e of events) {
        if (e.ev === 'sqe' && e.op === 'READ') {
          reads.add(e.ud);
          issued++;
          assert.ok(e.len <= 4 << 20, `a read of ${e.len} bytes`);
          max = Math.max(max, ++inFlight);
        } else if (e.ev === 'cqe' && reads.delete(e.ud)) {
          inFlight--;
        }
      }
      assert.equal(issued, 4, 'three reads of 4 MiB and the one that finds the end');
      assert.equal(max, 1, `${max} reads in flight`);
    } finally {
      dir.cleanup();
    }
  });

});
