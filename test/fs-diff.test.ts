/**
 * Differential tests: `ringcore/fs` (src/fs/promises.ts) against `node:fs/promises`
 * on the same inputs.  Every case runs both implementations and asserts the same
 * outcome: equal values (bytes, strings, Stats fields, directory trees left behind)
 * on success; on failure the same error class, `name` and `code`, and the same
 * `errno`, `syscall`, `path` and `dest` wherever Node sets them.
 *
 * Cases that change the filesystem run each implementation in its own fresh copy of
 * a fixture directory, with that directory as the working directory and relative
 * paths, so that error paths are comparable; the trees left behind are compared too.
 *
 * Self-contained on purpose (no import of helpers.ts).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { inspect } from 'node:util';
import { spawn, execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import * as nodeFs from 'node:fs/promises';
import * as ringFs from '../src/fs/promises.js';
import { fdSnapshot, fdsOpenedSince } from './helpers.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Api = any;
const NODE: Api = nodeFs;
const RING: Api = ringFs;
const C = fs.constants;

// ---------------------------------------------------------------------------
// Outcomes and their comparison
// ---------------------------------------------------------------------------

type Outcome = { ok: true; value: any } | { ok: false; sync: boolean; err: any };

/** Run `f`, recording a value, a rejection, or a synchronous throw. */
async function run(f: () => unknown): Promise<Outcome> {
  let p: unknown;
  try {
    p = f();
  } catch (err) {
    return { ok: false, sync: true, err };
  }
  try {
    return { ok: true, value: await p };
  } catch (err) {
    return { ok: false, sync: false, err };
  }
}

function errClass(e: unknown): string {
  if (e instanceof RangeError) return 'RangeError';
  if (e instanceof TypeError) return 'TypeError';
  if (e instanceof Error) return 'Error';
  return typeof e;
}

function show(v: unknown): string {
  const s = inspect(v, { depth: 3, maxArrayLength: 8, maxStringLength: 80, breakLength: Infinity });
  return s.length > 400 ? s.slice(0, 400) + '...' : s;
}

function describeOutcome(o: Outcome): string {
  if (o.ok) return `resolved ${show(o.value)}`;
  const e = o.err;
  const fields = ERR_FIELDS.filter((k) => e?.[k] !== undefined).map((k) => `${k}=${show(e[k])}`).join(' ');
  return `${o.sync ? 'threw' : 'rejected'} ${errClass(e)} ${e?.name} [${fields}] ${show(e?.message)}`;
}

const ERR_FIELDS = ['code', 'errno', 'syscall', 'path', 'dest'] as const;

/** Error fields RingCore sets where Node does not (reported as diagnostics, not failures). */
const extras: string[] = [];

/** Replace `dir` (a per-implementation working directory) by a placeholder, deeply. */
function normalize(v: unknown, dir?: string): unknown {
  if (typeof v === 'string') return dir ? v.split(dir).join('<DIR>') : v;
  if (Buffer.isBuffer(v)) return v;
  if (Array.isArray(v)) return v.map((x) => normalize(x, dir));
  if (v !== null && typeof v === 'object') {
    const proto = Object.getPrototypeOf(v);
    if (proto === null || proto === Object.prototype) {
      const o: Record<string, unknown> = {};
      for (const k of Object.keys(v)) o[k] = normalize((v as Record<string, unknown>)[k], dir);
      return o;
    }
  }
  return v;
}

/** Everything an error says, as a plain comparable object. */
function errRecord(e: any, dir?: string): Record<string, unknown> {
  const r: Record<string, unknown> = { class: errClass(e), name: e?.name };
  for (const k of ERR_FIELDS) r[k] = normalize(e?.[k], dir);
  return r;
}

function assertSameError(what: string, ringErr: any, nodeErr: any, ringDir?: string, nodeDir?: string): void {
  const ctx = `${what}\n  ring: ${describeOutcome({ ok: false, sync: false, err: ringErr })}\n  node: ${describeOutcome({ ok: false, sync: false, err: nodeErr })}`;
  assert.equal(errClass(ringErr), errClass(nodeErr), `error class differs: ${ctx}`);
  assert.equal(ringErr?.name, nodeErr?.name, `error name differs: ${ctx}`);
  for (const k of ERR_FIELDS) {
    const n = normalize(nodeErr?.[k], nodeDir);
    const r = normalize(ringErr?.[k], ringDir);
    if (k === 'code' || n !== undefined) {
      assert.deepStrictEqual(r, n, `err.${k} differs: ${ctx}`);
    } else if (r !== undefined) {
      extras.push(`${what}: ring sets ${k}=${show(r)}, node does not`);
    }
  }
}

function firstDiff(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

function assertSameBytes(what: string, ring: unknown, node: unknown): void {
  assert.ok(Buffer.isBuffer(ring), `${what}: ring value is not a Buffer: ${show(ring)}`);
  const r = ring as Buffer;
  const n = node as Buffer;
  const i = firstDiff(r, n);
  assert.ok(i === -1, `${what}: bytes differ (ring ${r.length} bytes, node ${n.length} bytes, first difference at ${i})`);
}

function assertSameValue(what: string, ring: unknown, node: unknown, ringDir?: string, nodeDir?: string): void {
  if (Buffer.isBuffer(node)) return assertSameBytes(what, ring, node);
  assert.deepStrictEqual(normalize(ring, ringDir), normalize(node, nodeDir),
                         `${what}: values differ\n  ring: ${show(ring)}\n  node: ${show(node)}`);
}

const TRACE = process.env.FSDIFF_TRACE === '1';

function assertSameOutcome(what: string, ring: Outcome, node: Outcome, ringDir?: string, nodeDir?: string): void {
  if (TRACE) process.stderr.write(`${what}\n  node: ${describeOutcome(node)}\n  ring: ${describeOutcome(ring)}\n`);
  const ctx = `${what}\n  ring: ${describeOutcome(ring)}\n  node: ${describeOutcome(node)}`;
  assert.equal(ring.ok, node.ok, `outcome differs: ${ctx}`);
  if (!ring.ok && !node.ok) {
    assert.equal(ring.sync, node.sync, `one throws synchronously, the other rejects: ${ctx}`);
    assertSameError(what, ring.err, node.err, ringDir, nodeDir);
  } else if (ring.ok && node.ok) {
    assertSameValue(what, ring.value, node.value, ringDir, nodeDir);
  }
}

/** Run `op` with each implementation on the same inputs (nothing is changed on disk). */
async function same(what: string, op: (f: Api) => unknown, compare?: (ring: any, node: any) => void):
    Promise<{ ring: Outcome; node: Outcome }> {
  const node = await run(() => op(NODE));
  const ring = await run(() => op(RING));
  if (compare && ring.ok && node.ok) {
    if (TRACE) process.stderr.write(`${what}\n  both resolved (custom comparison)\n`);
    compare(ring.value, node.value);
  } else {
    assertSameOutcome(what, ring, node);
  }
  return { ring, node };
}

// ---------------------------------------------------------------------------
// Sandboxes
// ---------------------------------------------------------------------------

const ORIG_CWD = process.cwd();
let base: string;
let fx: string;
let caseNo = 0;

/** A comparable picture of a directory tree: names, types, modes, sizes, contents. */
function snapshot(dir: string): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  const walk = (d: string, rel: string): void => {
    for (const name of fs.readdirSync(d).sort()) {
      const p = path.join(d, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = fs.lstatSync(p);
      const e: Record<string, unknown> = { name: r, mode: (st.mode & 0o177777).toString(8) };
      if (st.isFile()) {
        e.size = st.size;
        if (st.size <= 64 << 20) e.sha = crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex');
      } else if (st.isSymbolicLink()) {
        e.target = fs.readlinkSync(p);
      }
      out.push(e);
      if (st.isDirectory()) walk(p, r);
    }
  };
  walk(dir, '');
  return out;
}

/** The trees two runs left behind are equal; the message names the entries that differ. */
function assertSameTree(what: string, ring: Array<Record<string, unknown>>, node: Array<Record<string, unknown>>): void {
  const byName = (l: Array<Record<string, unknown>>) => new Map(l.map((e) => [e.name as string, e]));
  const r = byName(ring);
  const n = byName(node);
  const lines: string[] = [];
  for (const name of [...new Set([...n.keys(), ...r.keys()])].sort()) {
    const a = r.get(name);
    const b = n.get(name);
    if (JSON.stringify(a) !== JSON.stringify(b)) lines.push(`  ${name}: ring ${JSON.stringify(a) ?? 'absent'}, node ${JSON.stringify(b) ?? 'absent'}`);
  }
  assert.ok(lines.length === 0, `${what}: the trees left behind differ:\n${lines.join('\n')}`);
}

interface DiffOptions {
  /** Fill the (empty) sandbox; the working directory is the sandbox. */
  setup?: (dir: string) => void;
  /** Custom comparison of the two successful values. */
  compare?: (ring: any, node: any) => void;
  /** Extra state to compare afterwards (besides the tree snapshot). */
  probe?: (dir: string) => unknown;
}

/**
 * Run `op` with each implementation in its own fresh sandbox (also the working
 * directory while it runs), then compare outcomes and the trees left behind.
 */
async function diff(what: string, op: (f: Api, dir: string) => unknown, opts: DiffOptions = {}):
    Promise<{ ring: Outcome; node: Outcome; ringDir: string; nodeDir: string }> {
  const id = caseNo++;
  const dirs: Record<'node' | 'ring', string> = {
    node: path.join(base, `c${id}-node`),
    ring: path.join(base, `c${id}-ring`),
  };
  const out: Partial<Record<'node' | 'ring', Outcome>> = {};
  for (const [name, f] of [['node', NODE], ['ring', RING]] as const) {
    fs.mkdirSync(dirs[name]);
    process.chdir(dirs[name]);
    try {
      opts.setup?.(dirs[name]);
      out[name] = await run(() => op(f, dirs[name]));
    } finally {
      process.chdir(ORIG_CWD);
    }
  }
  const ring = out.ring!;
  const node = out.node!;
  if (opts.compare && ring.ok && node.ok) {
    if (TRACE) process.stderr.write(`${what}\n  both resolved (custom comparison)\n`);
    opts.compare(ring.value, node.value);
  } else {
    assertSameOutcome(what, ring, node, dirs.ring, dirs.node);
  }
  assertSameTree(what, snapshot(dirs.ring), snapshot(dirs.node));
  if (opts.probe) {
    assert.deepStrictEqual(normalize(opts.probe(dirs.ring), dirs.ring), normalize(opts.probe(dirs.node), dirs.node),
                           `${what}: probed state differs`);
  }
  fs.rmSync(dirs.ring, { recursive: true, force: true });
  fs.rmSync(dirs.node, { recursive: true, force: true });
  return { ring, node, ringDir: dirs.ring, nodeDir: dirs.node };
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

/** A successful read/write result as a comparable record. */
function rwRecord(res: any, argBuffer?: unknown): Record<string, unknown> {
  const r: Record<string, unknown> = {};
  if ('bytesRead' in res) r.bytesRead = res.bytesRead;
  if ('bytesWritten' in res) r.bytesWritten = res.bytesWritten;
  const b = res.buffer ?? res.buffers;
  if (argBuffer !== undefined) r.sameBuffer = b === argBuffer;
  if (typeof b === 'string') r.buffer = b;
  else if (Array.isArray(b)) r.buffers = b.map((v: ArrayBufferView) => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex'));
  else if (ArrayBuffer.isView(b)) {
    r.type = b.constructor.name;
    r.byteLength = b.byteLength;
    r.bytes = Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
  }
  return r;
}

function outcomeRecord(o: Outcome, argBuffer?: unknown): Record<string, unknown> {
  return o.ok ? { ok: rwRecord(o.value, argBuffer) } : { err: errRecord(o.err) };
}

const STAT_FIELDS = ['dev', 'ino', 'mode', 'nlink', 'uid', 'gid', 'rdev', 'size', 'blksize', 'blocks',
                     'atimeMs', 'mtimeMs', 'ctimeMs', 'birthtimeMs'] as const;
const STAT_METHODS = ['isFile', 'isDirectory', 'isSymbolicLink', 'isFIFO', 'isSocket', 'isCharacterDevice',
                      'isBlockDevice'] as const;

/** The numeric fields and is*() answers of a Stats (the Date fields: see dateRecord). */
function statRecord(s: any): Record<string, unknown> {
  const r: Record<string, unknown> = {};
  for (const k of STAT_FIELDS) r[k] = s[k];
  for (const m of STAT_METHODS) r[`${m}()`] = s[m]();
  return r;
}

/** The Date fields of a Stats, as epoch ms. */
function dateRecord(s: any): Record<string, unknown> {
  const r: Record<string, unknown> = {};
  for (const k of ['atime', 'mtime', 'ctime', 'birthtime']) r[k] = s[k] instanceof Date ? s[k].getTime() : `not a Date: ${show(s[k])}`;
  return r;
}

function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Give both runtimes event-loop turns until `cond` holds (bounded, not a speed check). */
async function settleUntil(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !cond(); i++) {
    if (i < 100) await tick();
    else await new Promise((r) => setTimeout(r, 2));
  }
}

// ---------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------

const SIZES = [0, 1, 4031, 4032, 4033, 4095, 4096, 4097, 8064, 8065, 65536, 5 << 20];
const content = new Map<number, Buffer>();
const FOUR_G = 2 ** 32;
const BIG_SIZE = 5 * 2 ** 30;
const MARK_A = Buffer.from('across-the-4GiB-line');
const MARK_B = Buffer.from('well-past-4GiB');
const MARK_B_POS = FOUR_G + 123457;

before(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'ringcore-fsdiff-'));
  fx = path.join(base, 'fx');
  fs.mkdirSync(fx);
  for (const n of SIZES) {
    const b = n === 5 << 20 ? crypto.randomBytes(n) : pattern(n, n + 1);
    content.set(n, b);
    fs.writeFileSync(path.join(fx, `size-${n}`), b);
  }
  fs.writeFileSync(path.join(fx, 'text'), 'hello, wörld ✓ \u{1F600}\n');
  fs.writeFileSync(path.join(fx, 'odd'), pattern(1001, 99));
  fs.writeFileSync(path.join(fx, 'a b%#?.txt'), 'url-escaped name');
  fs.writeFileSync(Buffer.from(path.join(fx, 'bin-\xff\xfe-name'), 'latin1'), 'non-utf8 name');
  fs.symlinkSync('size-4097', path.join(fx, 'link'));
  fs.symlinkSync('does-not-exist', path.join(fx, 'dangling'));
  fs.mkdirSync(path.join(fx, 'subdir'));
  execFileSync('mkfifo', [path.join(fx, 'fifo-stat')]);
  // A sparse 5 GiB file with marks across and past the 4 GiB line.
  const fd = fs.openSync(path.join(fx, 'sparse'), 'w');
  fs.ftruncateSync(fd, BIG_SIZE);
  fs.writeSync(fd, MARK_A, 0, MARK_A.length, FOUR_G - 7);
  fs.writeSync(fd, MARK_B, 0, MARK_B.length, MARK_B_POS);
  fs.writeSync(fd, Buffer.from('END!'), 0, 4, BIG_SIZE - 4);
  fs.closeSync(fd);
});

after(() => {
  process.chdir(ORIG_CWD);
  fs.rmSync(base, { recursive: true, force: true });
});

const fxp = (name: string): string => path.join(fx, name);

// ---------------------------------------------------------------------------
// readFile
// ---------------------------------------------------------------------------

describe('readFile', () => {
  for (const n of SIZES) {
    test(`a ${n}-byte file`, async () => {
      const { ring } = await same(`readFile(${n} bytes)`, (f) => f.readFile(fxp(`size-${n}`)));
      assertSameBytes(`readFile(${n} bytes) vs the bytes written`, (ring as any).value, content.get(n));
    });
  }

  test('/proc/self/status: stat size 0, content non-empty', async () => {
    for (const enc of [undefined, 'utf8']) {
      const node = await run(() => NODE.readFile('/proc/self/status', enc));
      const ring = await run(() => RING.readFile('/proc/self/status', enc));
      assert.ok(node.ok && ring.ok, `ring: ${describeOutcome(ring)}; node: ${describeOutcome(node)}`);
      for (const [name, o] of [['ring', ring], ['node', node]] as const) {
        const v = (o as { value: Buffer | string }).value;
        assert.equal(typeof v, enc ? 'string' : 'object', `${name}: type`);
        assert.ok(v.length > 0, `${name}: empty /proc/self/status`);
        assert.equal(v.toString().slice(0, 5), 'Name:', `${name}: starts with ${show(v.toString().slice(0, 20))}`);
      }
    }
  });

  test('/dev/null is empty', async () => {
    await same('readFile(/dev/null)', (f) => f.readFile('/dev/null'));
    await same('readFile(/dev/null, utf8)', (f) => f.readFile('/dev/null', 'utf8'));
  });

  test('a FIFO fed by a writer process', { timeout: 15000 }, async () => {
    const N = 300_000;
    // A script file (not `-e`), so that Bun and Deno (`deno run -A file`) run it too.
    const writer = path.join(base, 'fifo-writer.cjs');
    fs.writeFileSync(writer, 'const [p,n]=process.argv.slice(2);const b=Buffer.alloc(+n);' +
      'for(let i=0;i<b.length;i++)b[i]=(i*31+7)&255;require("fs").writeFileSync(p,b)');
    const expected = Buffer.alloc(N);
    for (let i = 0; i < N; i++) expected[i] = (i * 31 + 7) & 255;
    const outs: Record<string, Outcome> = {};
    for (const [name, f] of [['node', NODE], ['ring', RING]] as const) {
      const fifo = path.join(base, `fifo-${name}`);
      execFileSync('mkfifo', [fifo]);
      const argv = 'Deno' in globalThis ? ['run', '-A', writer, fifo, String(N)] : [writer, fifo, String(N)];
      const child = spawn(process.execPath, argv, { stdio: 'ignore' });
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      try {
        outs[name] = await run(() => f.readFile(fifo));
        assert.equal(await exited, 0, `${name}: writer exit code`);
      } finally {
        child.kill();
        fs.rmSync(fifo, { force: true });
      }
    }
    assertSameOutcome('readFile(fifo)', outs.ring, outs.node);
    assertSameBytes('readFile(fifo) vs what the writer wrote', (outs.ring as any).value, expected);
  });

  test('a directory: EISDIR', async () => {
    await same('readFile(dir)', (f) => f.readFile(fx));
    await same('readFile(dir, utf8)', (f) => f.readFile(fx, 'utf8'));
  });

  test('a missing file: ENOENT', async () => {
    await same('readFile(missing)', (f) => f.readFile(fxp('missing')));
    await same('readFile(missing/child)', (f) => f.readFile(fxp('missing/child')));
    await same('readFile(file/child): ENOTDIR', (f) => f.readFile(fxp('text/child')));
    await same('readFile(dangling symlink)', (f) => f.readFile(fxp('dangling')));
  });

  test('relative paths', async () => {
    const rel = async (f: Api, p: string, o?: unknown): Promise<unknown> => {
      process.chdir(fx);
      try {
        return await f.readFile(p, o);
      } finally {
        process.chdir(ORIG_CWD);
      }
    };
    await same('readFile(relative)', (f) => rel(f, 'size-4097'));
    await same('readFile(./relative, utf8)', (f) => rel(f, './text', 'utf8'));
    await same('readFile(../fx/relative)', (f) => rel(f, '../fx/size-1'));
    await same('readFile(subdir/..//relative)', (f) => rel(f, 'subdir/..//text'));
    await same('readFile(relative missing)', (f) => rel(f, 'nope.txt'));
    await same('readFile(relative symlink)', (f) => rel(f, 'link'));
    // relative to the test's own cwd, no chdir
    const r = path.relative(process.cwd(), fxp('text'));
    await same('readFile(path relative to cwd)', (f) => f.readFile(r, 'utf8'));
  });

  test('URL paths', async () => {
    await same('readFile(URL)', (f) => f.readFile(pathToFileURL(fxp('size-4096'))));
    await same('readFile(URL with escapes)', (f) => f.readFile(pathToFileURL(fxp('a b%#?.txt')), 'utf8'));
    await same('readFile(URL missing)', (f) => f.readFile(pathToFileURL(fxp('missing file'))));
    await same('readFile(file: URL string is a relative path)', (f) => f.readFile(pathToFileURL(fxp('text')).href));
    await same('readFile(http URL)', (f) => f.readFile(new URL('http://example.com/x')));
  });

  test('Buffer paths', async () => {
    await same('readFile(Buffer path)', (f) => f.readFile(Buffer.from(fxp('size-4033'))));
    await same('readFile(Buffer path, non-UTF-8 bytes)', (f) => f.readFile(Buffer.from(fxp('bin-\xff\xfe-name'), 'latin1'), 'utf8'));
    await same('readFile(Buffer path missing)', (f) => f.readFile(Buffer.from(fxp('missing'))));
    await same('readFile(Uint8Array path)', (f) => f.readFile(new Uint8Array(Buffer.from(fxp('text')))));
  });

  const ENCODINGS = ['utf8', 'utf-8', 'latin1', 'binary', 'base64', 'base64url', 'hex', 'ucs2', 'ucs-2', 'utf16le', 'ascii'];
  for (const enc of ENCODINGS) {
    test(`encoding ${enc}`, async () => {
      for (const file of ['odd', 'text', 'size-0', 'size-4097']) {
        await same(`readFile(${file}, '${enc}')`, (f) => f.readFile(fxp(file), enc));
        await same(`readFile(${file}, { encoding: '${enc}' })`, (f) => f.readFile(fxp(file), { encoding: enc }));
      }
    });
  }

  test('encoding null / absent → Buffer', async () => {
    for (const o of [null, undefined, {}, { encoding: null }, { encoding: undefined }, { flag: 'r' }]) {
      const { ring } = await same(`readFile(odd, ${show(o)})`, (f) => f.readFile(fxp('odd'), o));
      assert.ok(ring.ok && Buffer.isBuffer(ring.value));
    }
  });

  test('flag option', async () => {
    const setup = (): void => fs.writeFileSync('f', 'existing');
    await diff("readFile(missing, { flag: 'a+' }) creates it", (f) => f.readFile('new', { flag: 'a+' }), { setup });
    await diff("readFile(f, { flag: 'r+' })", (f) => f.readFile('f', { flag: 'r+', encoding: 'utf8' }), { setup });
    await diff("readFile(f, { flag: 'w' }): truncated, then read fails", (f) => f.readFile('f', { flag: 'w' }), { setup });
    await diff("readFile(f, { flag: 'wx' }): EEXIST", (f) => f.readFile('f', { flag: 'wx' }), { setup });
    await diff('readFile(f, { flag: O_RDONLY })', (f) => f.readFile('f', { flag: C.O_RDONLY }), { setup });
  });

  test('a FileHandle: from its current position', async () => {
    await diff('readFile(filehandle) after a 3-byte read', async (f) => {
      const fh = await f.open('f', 'r');
      try {
        await fh.read(Buffer.alloc(3), 0, 3, null);
        const viaFn = await f.readFile(fh, 'utf8');
        const again = await fh.readFile({ encoding: 'utf8' });
        return { viaFn, again };
      } finally {
        await fh.close();
      }
    }, { setup: () => fs.writeFileSync('f', 'abcdefghij'.repeat(1000)) });
  });
});

// ---------------------------------------------------------------------------
// writeFile / appendFile
// ---------------------------------------------------------------------------

describe('writeFile / appendFile', () => {
  const setup = (): void => {
    fs.writeFileSync('f', 'existing content\n');
    fs.chmodSync('f', 0o640);
  };
  const big = pattern(5 << 20, 5);
  const u8 = new Uint8Array(pattern(300, 3).buffer, 17, 200);
  const dv = new DataView(pattern(64, 4).buffer, 8, 40);
  const DATA: Array<[string, () => unknown, unknown?]> = [
    ['a string', () => 'héllo wörld ✓ \u{1F600}'],
    ['an empty string', () => ''],
    ['a hex string', () => 'deadBEEF00ff', 'hex'],
    ['a base64 string', () => 'aGVsbG8gd29ybGQ=', { encoding: 'base64' }],
    ['a base64url string', () => 'aGVsbG8_d29ybGQ-', { encoding: 'base64url' }],
    ['a latin1 string', () => 'caf\u00e9 \u00ff', 'latin1'],
    ['a ucs2 string', () => 'ucs2 ✓', { encoding: 'ucs2' }],
    ['an ascii string', () => 'ascii \u00e9', 'ascii'],
    ['a Buffer', () => Buffer.from('buffer data')],
    ['an empty Buffer', () => Buffer.alloc(0)],
    ['a Uint8Array view with an offset', () => u8],
    ['a Uint16Array', () => new Uint16Array([1, 2, 0xffff, 0x1234])],
    ['a Float64Array', () => new Float64Array([Math.PI, -0])],
    ['a DataView with an offset', () => dv],
    ['a 5 MiB Buffer', () => big],
    ['an array of strings and bytes', () => ['one ', Buffer.from('two '), new Uint8Array([51, 32]), 'four']],
    ['an array of hex strings', () => ['dead', 'beef'], 'hex'],
    ['a Set of strings', () => new Set(['s1', 's2'])],
    ['a generator', () => (function* () { yield 'g1 '; yield Buffer.from('g2 '); yield 'g3'; })()],
    ['an empty generator', () => (function* () { /* nothing */ })()],
    ['an async generator', () => (async function* () {
      yield 'a1 ';
      await new Promise((r) => setImmediate(r));
      yield Buffer.from('a2 ');
      yield new Uint8Array([97, 51]);
    })()],
    ['an async generator of base64', () => (async function* () { yield 'aGk='; yield 'dGhlcmU='; })(), 'base64'],
    ['a big async generator', () => (async function* () { for (let i = 0; i < 64; i++) yield pattern(65536, i); })()],
  ];
  for (const fn of ['writeFile', 'appendFile'] as const) {
    for (const [name, data, opts] of DATA) {
      test(`${fn} of ${name}`, async () => {
        await diff(`${fn}(existing, ${name})`, (f) => f[fn]('f', data(), opts), { setup });
        await diff(`${fn}(new, ${name})`, (f) => f[fn]('new', data(), opts), { setup });
      });
    }
  }

  test('flags', async () => {
    for (const fn of ['writeFile', 'appendFile'] as const) {
      for (const flag of ['w', 'a', 'wx', 'ax', 'r+', 'a+', 'w+', 'r', C.O_WRONLY | C.O_CREAT, C.O_WRONLY]) {
        await diff(`${fn}(existing, { flag: ${show(flag)} })`, (f) => f[fn]('f', 'DATA', { flag }), { setup });
        await diff(`${fn}(new, { flag: ${show(flag)} })`, (f) => f[fn]('new', 'DATA', { flag }), { setup });
      }
    }
  });

  test('mode and flush', async () => {
    await diff('writeFile(new, { mode: 0o600 })', (f) => f.writeFile('new', 'x', { mode: 0o600 }), { setup });
    await diff("writeFile(new, { mode: '751' })", (f) => f.writeFile('new', 'x', { mode: '751' }), { setup });
    await diff('writeFile(existing, { mode: 0o600 }) keeps the mode', (f) => f.writeFile('f', 'x', { mode: 0o600 }), { setup });
    await diff('appendFile(new, { mode: 0o604 })', (f) => f.appendFile('new', 'x', { mode: 0o604 }), { setup });
    await diff('writeFile(f, { flush: true })', (f) => f.writeFile('f', 'flushed', { flush: true }), { setup });
  });

  test('URL and Buffer paths, directories, missing parents', async () => {
    await diff('writeFile(URL)', (f, dir) => f.writeFile(pathToFileURL(path.join(dir, 'u')), 'url'), { setup });
    await diff('writeFile(Buffer path)', (f) => f.writeFile(Buffer.from('b'), 'buf'), { setup });
    await diff('writeFile(dir): EISDIR', (f) => f.writeFile('.', 'x'), { setup });
    await diff('writeFile(missing/child): ENOENT', (f) => f.writeFile('missing/child', 'x'), { setup });
    await diff('appendFile(missing/child): ENOENT', (f) => f.appendFile('missing/child', 'x'), { setup });
  });

  test('a FileHandle: at its current position', async () => {
    const open = async (f: Api, flags: string, body: (fh: any) => Promise<unknown>): Promise<unknown> => {
      const fh = await f.open('f', flags);
      try {
        return await body(fh);
      } finally {
        await fh.close();
      }
    };
    await diff('writeFile(filehandle r+) after a 3-byte read', (f) => open(f, 'r+', async (fh) => {
      await fh.read(Buffer.alloc(3), 0, 3, null);
      await f.writeFile(fh, 'XYZ');
      await fh.writeFile(['1', Buffer.from('2')]);
    }), { setup });
    await diff('appendFile(filehandle a)', (f) => open(f, 'a', async (fh) => {
      await f.appendFile(fh, 'tail1 ');
      await fh.appendFile('7461696c32', 'hex');
    }), { setup });
    await diff('writeFile(filehandle w+, async iterable)', (f) => open(f, 'w+', async (fh) => {
      await fh.writeFile((async function* () { yield 'x'; yield 'y'; })());
    }), { setup });
  });

  test('an already-aborted signal: rejected, file untouched', async () => {
    await diff('writeFile(f, { signal: aborted })', (f) => f.writeFile('f', 'x', { signal: AbortSignal.abort() }), { setup });
    await diff('appendFile(new, { signal: aborted })', (f) => f.appendFile('new', 'x', { signal: AbortSignal.abort() }), { setup });
  });
});

// ---------------------------------------------------------------------------
// open
// ---------------------------------------------------------------------------

/** What an opened handle allows: kernel flags, a read, a write, the size and mode after. */
async function openProbe(f: Api, target: string, flags?: unknown, mode?: unknown): Promise<unknown> {
  const fh = await f.open(target, flags, mode);
  try {
    assert.equal(typeof fh.fd, 'number');
    const info = fs.readFileSync(`/proc/self/fdinfo/${fh.fd}`, 'utf8');
    const kflags = /flags:\s*(\d+)/.exec(info)?.[1];
    const rbuf = Buffer.alloc(16);
    const r = await run(() => fh.read(rbuf, 0, 16, null));
    const wbuf = Buffer.from('XY');
    const w = await run(() => fh.write(wbuf));
    const st = await fh.stat();
    return { kflags, read: outcomeRecord(r, rbuf), write: outcomeRecord(w, wbuf), size: st.size, mode: st.mode };
  } finally {
    await fh.close();
  }
}

describe('open', () => {
  const setup = (): void => {
    fs.writeFileSync('f', 'abcdef');
    fs.mkdirSync('d');
    fs.symlinkSync('f', 'l');
  };
  const STRING_FLAGS = ['r', 'rs', 'sr', 'r+', 'rs+', 'sr+', 'w', 'wx', 'xw', 'w+', 'wx+', 'xw+',
                        'a', 'ax', 'xa', 'as', 'sa', 'a+', 'ax+', 'xa+', 'as+', 'sa+'];
  for (const flags of STRING_FLAGS) {
    test(`flags '${flags}'`, async () => {
      await diff(`open(existing, '${flags}')`, (f) => openProbe(f, 'f', flags), { setup });
      await diff(`open(missing, '${flags}')`, (f) => openProbe(f, 'new', flags), { setup });
      await diff(`open(dir, '${flags}')`, (f) => openProbe(f, 'd', flags), { setup });
    });
  }

  test('default flags and mode', async () => {
    await diff('open(existing)', (f) => openProbe(f, 'f'), { setup });
    await diff('open(existing, undefined, undefined)', (f) => openProbe(f, 'f', undefined, undefined), { setup });
    await diff('open(existing, null)', (f) => openProbe(f, 'f', null), { setup });
    await diff('open(missing)', (f) => openProbe(f, 'new'), { setup });
  });

  const NUMERIC: Array<[string, number]> = [
    ['O_RDONLY', C.O_RDONLY],
    ['O_WRONLY', C.O_WRONLY],
    ['O_RDWR', C.O_RDWR],
    ['O_WRONLY|O_CREAT', C.O_WRONLY | C.O_CREAT],
    ['O_RDWR|O_CREAT|O_EXCL', C.O_RDWR | C.O_CREAT | C.O_EXCL],
    ['O_WRONLY|O_APPEND', C.O_WRONLY | C.O_APPEND],
    ['O_RDWR|O_TRUNC', C.O_RDWR | C.O_TRUNC],
    ['O_RDONLY|O_NOFOLLOW', C.O_RDONLY | C.O_NOFOLLOW],
    ['O_RDONLY|O_DIRECTORY', C.O_RDONLY | C.O_DIRECTORY],
    ['O_RDWR|O_SYNC', C.O_RDWR | C.O_SYNC],
    ['O_RDWR|O_DSYNC|O_NOATIME', C.O_RDWR | C.O_DSYNC | C.O_NOATIME],
  ];
  for (const [name, flags] of NUMERIC) {
    test(`numeric flags ${name}`, async () => {
      for (const target of ['f', 'new', 'd', 'l']) {
        await diff(`open(${target}, ${name})`, (f) => openProbe(f, target, flags), { setup });
      }
    });
  }

  test('modes of created files', async () => {
    for (const mode of [0o600, 0o777, 0o4755, '640', '0644', 0]) {
      await diff(`open(new, 'w', ${show(mode)})`, (f) => openProbe(f, 'new', 'w', mode), { setup });
    }
  });

  test('paths: URL, Buffer, missing, through a file', async () => {
    await diff('open(URL)', (f, dir) => openProbe(f, pathToFileURL(path.join(dir, 'f')) as any, 'r+'), { setup });
    await diff('open(Buffer)', (f) => openProbe(f, Buffer.from('f') as any, 'r+'), { setup });
    await diff('open(missing/child)', (f) => openProbe(f, 'missing/child', 'w'), { setup });
    await diff('open(f/child)', (f) => openProbe(f, 'f/child', 'r'), { setup });
  });
});

// ---------------------------------------------------------------------------
// FileHandle.read / write / readv / writev
// ---------------------------------------------------------------------------

type Call = [name: string, call: (fh: any) => { p: unknown; buf?: unknown }];

/** Open `file` with each implementation, run `calls` in order, compare each result. */
async function sequence(what: string, file: string, flags: string, calls: Call[], opts: DiffOptions = {}): Promise<void> {
  await diff(what, async (f) => {
    const fh = await f.open(file, flags);
    const out: Record<string, unknown>[] = [];
    try {
      for (const [name, call] of calls) {
        const o = await run(async () => {
          const { p, buf } = call(fh);
          return { res: await p, buf };
        });
        out.push({ call: name, ...(o.ok ? outcomeRecord({ ok: true, value: o.value.res }, o.value.buf)
                                        : outcomeRecord(o)) });
      }
    } finally {
      await fh.close();
    }
    return out;
  }, {
    ...opts,
    compare: (ring: Record<string, unknown>[], node: Record<string, unknown>[]) => {
      for (let i = 0; i < node.length; i++) {
        assert.deepStrictEqual(ring[i], node[i], `${what}: call ${i} (${node[i].call}) differs`);
      }
    },
  });
}

describe('FileHandle.read', () => {
  const setup = (): void => fs.writeFileSync('data', pattern(10000, 42));
  const B = (n: number): Buffer => Buffer.alloc(n, 0xee);

  test('all argument forms, explicit positions', async () => {
    const calls: Call[] = [
      ['(buf, 0, 100, 0)', (fh) => { const buf = B(100); return { p: fh.read(buf, 0, 100, 0), buf }; }],
      ['(buf, 10, 50, 200)', (fh) => { const buf = B(100); return { p: fh.read(buf, 10, 50, 200), buf }; }],
      ['(buf, 0, 100, 9950): short at EOF', (fh) => { const buf = B(100); return { p: fh.read(buf, 0, 100, 9950), buf }; }],
      ['(buf, 0, 100, 10000): at EOF', (fh) => { const buf = B(100); return { p: fh.read(buf, 0, 100, 10000), buf }; }],
      ['(buf, 0, 100, 99999): past EOF', (fh) => { const buf = B(100); return { p: fh.read(buf, 0, 100, 99999), buf }; }],
      ['(buf, undefined, undefined, 50)', (fh) => { const buf = B(30); return { p: fh.read(buf, undefined, undefined, 50), buf }; }],
      ['(buf, null, 5, 7)', (fh) => { const buf = B(30); return { p: fh.read(buf, null, 5, 7), buf }; }],
      ['(buf, 3, null, 70)', (fh) => { const buf = B(30); return { p: fh.read(buf, 3, null, 70), buf }; }],
      ['(buf, 0, 0, 0): zero length', (fh) => { const buf = B(8); return { p: fh.read(buf, 0, 0, 0), buf }; }],
      ['(empty buf)', (fh) => { const buf = B(0); return { p: fh.read(buf), buf }; }],
      ['(buf, { offset: 5, length: 20, position: 300 })', (fh) => { const buf = B(40); return { p: fh.read(buf, { offset: 5, length: 20, position: 300 }), buf }; }],
      ['(buf, { position: 9990 })', (fh) => { const buf = B(40); return { p: fh.read(buf, { position: 9990 }), buf }; }],
      ['({ buffer, position: 1000 })', (fh) => { const buf = B(64); return { p: fh.read({ buffer: buf, position: 1000 }), buf }; }],
      ['({ buffer, offset: 8, length: 8, position: 2000 })', (fh) => { const buf = B(64); return { p: fh.read({ buffer: buf, offset: 8, length: 8, position: 2000 }), buf }; }],
      ['({ position: 4000 }): default 16 KiB buffer', (fh) => ({ p: fh.read({ position: 4000 }) })],
      ['({ length: 10, position: 1 })', (fh) => ({ p: fh.read({ length: 10, position: 1 }) })],
      ['(Uint8Array, 0, 16, 16)', (fh) => { const buf = new Uint8Array(16); return { p: fh.read(buf, 0, 16, 16), buf }; }],
      ['(Uint16Array, 2, 6, 0)', (fh) => { const buf = new Uint16Array(8); return { p: fh.read(buf, 2, 6, 0), buf }; }],
      ['(DataView, 1, 4, 9)', (fh) => { const buf = new DataView(new ArrayBuffer(12), 2, 8); return { p: fh.read(buf, 1, 4, 9), buf }; }],
      ['(Buffer slice, 0, 4, 100)', (fh) => { const buf = B(32).subarray(5, 15); return { p: fh.read(buf, 0, 4, 100), buf }; }],
    ];
    await sequence('read forms, explicit positions', 'data', 'r', calls, { setup });
  });

  test('position null / -1 / omitted: the current position, sequential reads advance', async () => {
    const calls: Call[] = [];
    for (let i = 0; i < 3; i++) calls.push([`(buf, 0, 10, null) #${i}`, (fh) => { const buf = B(10); return { p: fh.read(buf, 0, 10, null), buf }; }]);
    for (let i = 0; i < 2; i++) calls.push([`(buf, 0, 10, -1) #${i}`, (fh) => { const buf = B(10); return { p: fh.read(buf, 0, 10, -1), buf }; }]);
    calls.push(['(buf, 0, 10, -1n)', (fh) => { const buf = B(10); return { p: fh.read(buf, 0, 10, -1n), buf }; }]);
    calls.push(['(buf, 0, 7, 500): explicit, does not move the position', (fh) => { const buf = B(7); return { p: fh.read(buf, 0, 7, 500), buf }; }]);
    calls.push(['(buf, 2, 5)', (fh) => { const buf = B(10); return { p: fh.read(buf, 2, 5), buf }; }]);
    calls.push(['(buf, 4)', (fh) => { const buf = B(10); return { p: fh.read(buf, 4), buf }; }]);
    calls.push(['(buf)', (fh) => { const buf = B(10); return { p: fh.read(buf), buf }; }]);
    calls.push(['(buf, {})', (fh) => { const buf = B(10); return { p: fh.read(buf, {}), buf }; }]);
    calls.push(['(buf, { position: null })', (fh) => { const buf = B(10); return { p: fh.read(buf, { position: null }), buf }; }]);
    calls.push(['({ buffer })', (fh) => { const buf = B(10); return { p: fh.read({ buffer: buf }), buf }; }]);
    calls.push(['({ buffer, position: -1 })', (fh) => { const buf = B(10); return { p: fh.read({ buffer: buf, position: -1 }), buf }; }]);
    calls.push(['({}): 16 KiB default buffer', (fh) => ({ p: fh.read({}) })]);
    calls.push(['(): no arguments, at EOF now', (fh) => ({ p: fh.read() })]);
    calls.push(['(null)', (fh) => ({ p: fh.read(null) })]);
    calls.push(['(buf, 0, 10, 0): explicit after EOF', (fh) => { const buf = B(10); return { p: fh.read(buf, 0, 10, 0), buf }; }]);
    calls.push(['(buf, 0, 10, null): still at EOF', (fh) => { const buf = B(10); return { p: fh.read(buf, 0, 10, null), buf }; }]);
    await sequence('read forms, current position', 'data', 'r', calls, { setup });
  });

  test('positions past 4 GiB on a sparse file', async () => {
    const calls: Call[] = [];
    const at = (name: string, n: number, pos: number | bigint): Call =>
      [name, (fh) => { const buf = B(n); return { p: fh.read(buf, 0, n, pos), buf }; }];
    calls.push(at('across 4 GiB', 32, FOUR_G - 10));
    calls.push(at('past 4 GiB', 20, MARK_B_POS - 2));
    calls.push(at('a hole past 4 GiB', 16, FOUR_G + 4096 * 10));
    calls.push(at('the last bytes', 16, BIG_SIZE - 8));
    calls.push(at('at EOF (5 GiB)', 16, BIG_SIZE));
    calls.push(at('past EOF', 16, BIG_SIZE * 2));
    calls.push(['options object past 4 GiB', (fh) => { const buf = B(14); return { p: fh.read(buf, { position: MARK_B_POS }), buf }; }]);
    calls.push(['options-only past 4 GiB', (fh) => ({ p: fh.read({ length: 20, position: FOUR_G - 7 }) })]);
    calls.push(['readv past 4 GiB', (fh) => { const bufs = [B(4), B(10)]; return { p: fh.readv(bufs, MARK_B_POS), buf: bufs }; }]);
    await sequence('reads past 4 GiB', fxp('sparse'), 'r', calls);
  });
});

describe('bigint positions', () => {
  // Node 20's FileHandle.read/readv/write/writev accept a bigint position but ignore it
  // (they read/write at the current file position), contrary to their documentation;
  // so RingCore's bigint results are compared with Node's for the same Number position.
  const cases: Array<[string, string, (fh: any, pos: number | bigint) => Promise<any>]> = [
    ['read', 'r', (fh, pos) => fh.read(Buffer.alloc(20), 0, 20, pos)],
    ['read(buf, { position })', 'r', (fh, pos) => fh.read(Buffer.alloc(20), { position: pos })],
    ['read({ position })', 'r', (fh, pos) => fh.read({ length: 20, position: pos })],
    ['readv', 'r', (fh, pos) => fh.readv([Buffer.alloc(5), Buffer.alloc(15)], pos)],
  ];
  for (const [name, flags, call] of cases) {
    test(`${name} with a bigint position = Node's with the Number`, async () => {
      for (const [file, pos] of [[fxp('size-65536'), 5000], [fxp('size-65536'), 65530], [fxp('size-65536'), 70000],
                                 [fxp('sparse'), FOUR_G - 10], [fxp('sparse'), MARK_B_POS - 2]] as const) {
        const once = async (f: Api, p: number | bigint): Promise<unknown> => {
          const fh = await f.open(file, flags);
          try {
            await fh.read(Buffer.alloc(100), 0, 100, null); // move the current position off 0
            return rwRecord(await call(fh, p));
          } finally {
            await fh.close();
          }
        };
        const node = await once(NODE, pos);
        const ring = await once(RING, BigInt(pos));
        assert.deepStrictEqual(ring, node, `${name}(${path.basename(file)}, ${pos}n)`);
      }
    });
  }
  test("write with a bigint position = Node's with the Number", async () => {
    await diff('write(buf, 0, n, bigint)', async (f) => {
      const fh = await f.open('w', 'r+');
      try {
        const big = (n: number): number | bigint => (f === RING ? BigInt(n) : n);
        const a = await fh.write(Buffer.from('AAAA'), 0, 4, big(10));
        const b = await fh.write(Buffer.from('BBBB'), { position: big(FOUR_G + 3) });
        const c = await fh.writev([Buffer.from('C'), Buffer.from('DD')], big(20));
        return [a.bytesWritten, b.bytesWritten, c.bytesWritten];
      } finally {
        await fh.close();
      }
    }, {
      setup: () => fs.writeFileSync('w', 'x'.repeat(30)),
      probe: (dir) => {
        const fd = fs.openSync(path.join(dir, 'w'), 'r');
        try {
          const b = Buffer.alloc(8);
          fs.readSync(fd, b, 0, 8, FOUR_G);
          return { size: fs.fstatSync(fd).size, at4g: b.toString('hex'),
                   start: (() => { const h = Buffer.alloc(30); fs.readSync(fd, h, 0, 30, 0); return h.toString(); })() };
        } finally {
          fs.closeSync(fd);
        }
      },
    });
  });
});

describe('FileHandle.write', () => {
  const setup = (): void => fs.writeFileSync('w', '');
  test('all argument forms', async () => {
    const calls: Call[] = [
      ['(buf): current position', (fh) => { const buf = Buffer.from('hello'); return { p: fh.write(buf), buf }; }],
      ['(buf, 1, 3)', (fh) => { const buf = Buffer.from('abcdef'); return { p: fh.write(buf, 1, 3), buf }; }],
      ['(buf, 0, 2, 100): explicit, past EOF', (fh) => { const buf = Buffer.from('PQ'); return { p: fh.write(buf, 0, 2, 100), buf }; }],
      ['(buf, 2): offset only', (fh) => { const buf = Buffer.from('0123456'); return { p: fh.write(buf, 2), buf }; }],
      ['(buf, 0, 3, null)', (fh) => { const buf = Buffer.from('nul'); return { p: fh.write(buf, 0, 3, null), buf }; }],
      ['(buf, undefined, undefined, 40)', (fh) => { const buf = Buffer.from('at40'); return { p: fh.write(buf, undefined, undefined, 40), buf }; }],
      ['(buf, { offset: 1, length: 2, position: 50 })', (fh) => { const buf = Buffer.from('xyz'); return { p: fh.write(buf, { offset: 1, length: 2, position: 50 }), buf }; }],
      ['(buf, {})', (fh) => { const buf = Buffer.from('{}'); return { p: fh.write(buf, {}), buf }; }],
      ['(buf, { position: 60 })', (fh) => { const buf = Buffer.from('p60'); return { p: fh.write(buf, { position: 60 }), buf }; }],
      ['(buf, 0, 0, 0): zero length', (fh) => { const buf = Buffer.from('zz'); return { p: fh.write(buf, 0, 0, 0), buf }; }],
      ['(empty buf)', (fh) => { const buf = Buffer.alloc(0); return { p: fh.write(buf), buf }; }],
      ['(Uint8Array)', (fh) => { const buf = new Uint8Array([65, 66, 67]); return { p: fh.write(buf), buf }; }],
      ['(Uint16Array, 0, 4, 70)', (fh) => { const buf = new Uint16Array([0x4241, 0x4443]); return { p: fh.write(buf, 0, 4, 70), buf }; }],
      ['(DataView)', (fh) => { const buf = new DataView(new Uint8Array([46, 46, 100, 118, 46, 46]).buffer, 2, 2); return { p: fh.write(buf), buf }; }],
      ['(Buffer slice, 1, 2, 80)', (fh) => { const buf = Buffer.from('__slice__').subarray(2, 7); return { p: fh.write(buf, 1, 2, 80), buf }; }],
      ["('string')", (fh) => ({ p: fh.write('string'), buf: 'string' })],
      ["('héllo ✓', 10)", (fh) => ({ p: fh.write('héllo ✓', 10), buf: 'héllo ✓' })],
      ["('68656c6c6f', 20, 'hex')", (fh) => ({ p: fh.write('68656c6c6f', 20, 'hex'), buf: '68656c6c6f' })],
      ["('aGk=', null, 'base64')", (fh) => ({ p: fh.write('aGk=', null, 'base64'), buf: 'aGk=' })],
      ["('latin1 é', undefined, 'latin1')", (fh) => ({ p: fh.write('latin1 é', undefined, 'latin1'), buf: 'latin1 é' })],
      ["('ucs2', 90, 'ucs2')", (fh) => ({ p: fh.write('ucs2', 90, 'ucs2'), buf: 'ucs2' })],
      ["('', 0)", (fh) => ({ p: fh.write('', 0), buf: '' })],
    ];
    await sequence('write forms', 'w', 'r+', calls, { setup });
  });

  test('on an O_APPEND handle, positions are ignored by the kernel', async () => {
    const calls: Call[] = [
      ['(buf, 0, 3, 0)', (fh) => { const buf = Buffer.from('one'); return { p: fh.write(buf, 0, 3, 0), buf }; }],
      ["('two', 1)", (fh) => ({ p: fh.write('two', 1), buf: 'two' })],
      ['writev at 0', (fh) => { const bufs = [Buffer.from('th'), Buffer.from('ree')]; return { p: fh.writev(bufs, 0), buf: bufs }; }],
      ['(buf, 0, 4, 0) read back', (fh) => { const buf = B4(); return { p: fh.read(buf, 0, 4, 0), buf }; }],
    ];
    await sequence('append-mode writes', 'w', 'a+', calls, { setup: () => fs.writeFileSync('w', 'start') });
  });

  test('positions past 4 GiB on a sparse file', async () => {
    const setupBig = (): void => {
      const fd = fs.openSync('big', 'w');
      fs.ftruncateSync(fd, BIG_SIZE);
      fs.closeSync(fd);
    };
    const calls: Call[] = [
      ['write across 4 GiB', (fh) => { const buf = Buffer.from('ACROSS-THE-LINE'); return { p: fh.write(buf, 0, buf.length, FOUR_G - 5), buf }; }],
      ['write past 4 GiB', (fh) => { const buf = Buffer.from('PAST'); return { p: fh.write(buf, 0, 4, FOUR_G + 77), buf }; }],
      ['write(buf, { position }) past 4 GiB', (fh) => { const buf = Buffer.from('OPT'); return { p: fh.write(buf, { position: FOUR_G + 1000 }), buf }; }],
      ["write('str', pos) past 4 GiB", (fh) => ({ p: fh.write('string-past', FOUR_G + 3000), buf: 'string-past' })],
      ['writev past 4 GiB', (fh) => { const bufs = [Buffer.from('v1'), Buffer.from('v2')]; return { p: fh.writev(bufs, FOUR_G + 5000), buf: bufs }; }],
      ['write past 5 GiB extends', (fh) => { const buf = Buffer.from('EXT'); return { p: fh.write(buf, 0, 3, BIG_SIZE + 10), buf }; }],
      ['read back across', (fh) => { const buf = Buffer.alloc(20); return { p: fh.read(buf, 0, 20, FOUR_G - 7), buf }; }],
      ['read back past', (fh) => { const buf = Buffer.alloc(8); return { p: fh.read(buf, 0, 8, FOUR_G + 75), buf }; }],
      ['stat size', (fh) => ({ p: fh.stat().then((s: any) => ({ bytesRead: s.size })) })],
    ];
    const probe = (dir: string): unknown => {
      const fd = fs.openSync(path.join(dir, 'big'), 'r');
      try {
        const regions: string[] = [];
        for (const [pos, n] of [[FOUR_G - 16, 64], [FOUR_G + 64, 32], [FOUR_G + 990, 32], [FOUR_G + 2990, 32],
                                [FOUR_G + 4990, 32], [BIG_SIZE, 32]]) {
          const b = Buffer.alloc(n);
          const got = fs.readSync(fd, b, 0, n, pos);
          regions.push(b.subarray(0, got).toString('hex'));
        }
        return { size: fs.fstatSync(fd).size, regions };
      } finally {
        fs.closeSync(fd);
      }
    };
    await sequence('writes past 4 GiB', 'big', 'r+', calls, { setup: setupBig, probe });
  });
});

function B4(): Buffer {
  return Buffer.alloc(4);
}

describe('readv / writev', () => {
  test('readv: positions, current position, EOF, empty list', async () => {
    const calls: Call[] = [
      ['readv([3, 5], 0)', (fh) => { const bufs = [Buffer.alloc(3), Buffer.alloc(5)]; return { p: fh.readv(bufs, 0), buf: bufs }; }],
      ['readv([4, 0, 4], 100)', (fh) => { const bufs = [Buffer.alloc(4), Buffer.alloc(0), Buffer.alloc(4)]; return { p: fh.readv(bufs, 100), buf: bufs }; }],
      ['readv([10]) current', (fh) => { const bufs = [Buffer.alloc(10)]; return { p: fh.readv(bufs), buf: bufs }; }],
      ['readv([10], null) current', (fh) => { const bufs = [Buffer.alloc(10)]; return { p: fh.readv(bufs, null), buf: bufs }; }],
      ['readv([Uint8Array, DataView], 5)', (fh) => { const bufs = [new Uint8Array(3), new DataView(new ArrayBuffer(6), 1, 4)]; return { p: fh.readv(bufs, 5), buf: bufs }; }],
      ['readv([100, 100], 990): short', (fh) => { const bufs = [Buffer.alloc(100), Buffer.alloc(100)]; return { p: fh.readv(bufs, 990), buf: bufs }; }],
      ['readv([8], 5000): past EOF', (fh) => { const bufs = [Buffer.alloc(8)]; return { p: fh.readv(bufs, 5000), buf: bufs }; }],
      ['readv([2000]) current, to EOF', (fh) => { const bufs = [Buffer.alloc(2000)]; return { p: fh.readv(bufs), buf: bufs }; }],
    ];
    await sequence('readv', 'data', 'r', calls, { setup: () => fs.writeFileSync('data', pattern(1000, 8)) });
  });

  test('readv([]): an empty list', async () => {
    const calls: Call[] = [
      ['readv([], 0)', (fh) => { const bufs: Buffer[] = []; return { p: fh.readv(bufs, 0), buf: bufs }; }],
      ['readv([])', (fh) => { const bufs: Buffer[] = []; return { p: fh.readv(bufs), buf: bufs }; }],
    ];
    await sequence('readv([])', 'data', 'r', calls, { setup: () => fs.writeFileSync('data', 'abc') });
  });

  test('writev: positions, current position, empty list', async () => {
    const calls: Call[] = [
      ['writev([a, b])', (fh) => { const bufs = [Buffer.from('aa'), Buffer.from('bbb')]; return { p: fh.writev(bufs), buf: bufs }; }],
      ['writev([c], null)', (fh) => { const bufs = [Buffer.from('c')]; return { p: fh.writev(bufs, null), buf: bufs }; }],
      ['writev([d, e], 100)', (fh) => { const bufs = [Buffer.from('dd'), Buffer.from('ee')]; return { p: fh.writev(bufs, 100), buf: bufs }; }],
      ['writev([Uint16Array, empty, DataView], 2)', (fh) => { const bufs = [new Uint16Array([0x4142]), Buffer.alloc(0), new DataView(new Uint8Array([60, 100, 118, 62]).buffer)]; return { p: fh.writev(bufs, 2), buf: bufs }; }],
      ['writev([])', (fh) => { const bufs: Buffer[] = []; return { p: fh.writev(bufs), buf: bufs }; }],
      ['writev([f])', (fh) => { const bufs = [Buffer.from('f')]; return { p: fh.writev(bufs), buf: bufs }; }],
      ['writev(64 KiB x 4, 1000)', (fh) => { const bufs = [0, 1, 2, 3].map((i) => pattern(65536, i)); return { p: fh.writev(bufs, 1000), buf: bufs }; }],
    ];
    await sequence('writev', 'w', 'w+', calls, { setup: () => fs.writeFileSync('w', 'zzzzzzzzzzzz') });
  });
});

// ---------------------------------------------------------------------------
// stat / lstat / FileHandle.stat
// ---------------------------------------------------------------------------

describe('stat / lstat', () => {
  const TARGETS = ['size-4097', 'size-0', 'link', 'dangling', 'subdir', 'fifo-stat', 'missing', 'text/child', ''];
  for (const fn of ['stat', 'lstat'] as const) {
    test(`${fn}: file, dir, symlink, FIFO, missing`, async () => {
      for (const t of TARGETS) {
        await same(`${fn}(${t || 'fx dir'})`, async (f) => statRecord(await f[fn](fxp(t))));
      }
    });
    test(`${fn}: /dev/null, /, /proc/self (char device, root, proc symlink)`, async () => {
      for (const p of ['/dev/null', '/', '/proc/self', '/dev']) {
        await same(`${fn}(${p})`, async (f) => statRecord(await f[fn](p)));
      }
    });
    test(`${fn}: URL, Buffer and relative paths; { bigint: false }`, async () => {
      await same(`${fn}(URL)`, async (f) => statRecord(await f[fn](pathToFileURL(fxp('link')))));
      await same(`${fn}(Buffer)`, async (f) => statRecord(await f[fn](Buffer.from(fxp('link')))));
      await same(`${fn}(URL missing)`, async (f) => statRecord(await f[fn](pathToFileURL(fxp('nope')))));
      await same(`${fn}(path, { bigint: false })`, async (f) => statRecord(await f[fn](fxp('text'), { bigint: false })));
      await same(`${fn}(relative)`, async (f) => {
        process.chdir(fx);
        try {
          return statRecord(await f[fn]('link'));
        } finally {
          process.chdir(ORIG_CWD);
        }
      });
    });
  }

  test('lstat vs stat on a symlink', async () => {
    const { ring: l } = await same('lstat(link)', async (f) => statRecord(await f.lstat(fxp('link'))));
    const { ring: s } = await same('stat(link)', async (f) => statRecord(await f.stat(fxp('link'))));
    assert.ok(l.ok && s.ok);
    assert.equal(l.value['isSymbolicLink()'], true);
    assert.equal(s.value['isFile()'], true);
    assert.equal(s.value.size, 4097);
  });

  test('bigint stats have the seven is*() of Node (also where the runtime keeps them on Stats itself, as Bun does)', async () => {
    for (const fn of ['stat', 'lstat'] as const) {
      const { ring } = await same(`${fn}(link, { bigint: true })`, async (f) => {
        const st = await f[fn](fxp('link'), { bigint: true });
        return ['isFile', 'isDirectory', 'isSymbolicLink', 'isBlockDevice', 'isCharacterDevice', 'isFIFO', 'isSocket']
          .map((m) => (st as unknown as Record<string, () => boolean>)[m]());
      });
      assert.ok(ring.ok);
      assert.deepEqual(ring.value, [fn === 'stat', false, fn === 'lstat', false, false, false, false]);
    }
  });

  test('the Date fields (atime, mtime, ctime, birthtime)', async () => {
    // Sub-millisecond parts >= .5 and < .5, set explicitly so the case is deterministic.
    const p = path.join(base, 'times');
    fs.writeFileSync(p, 'x');
    fs.utimesSync(p, 1700000000.1236789, 1700000000.9876543);
    for (const fn of ['stat', 'lstat'] as const) {
      await same(`${fn}(file with sub-ms times): Dates`, async (f) => dateRecord(await f[fn](p)));
    }
    await same('FileHandle.stat(file with sub-ms times): Dates', async (f) => {
      const fh = await f.open(p, 'r');
      try {
        return dateRecord(await fh.stat());
      } finally {
        await fh.close();
      }
    });
  });

  test('FileHandle.stat: file, dir, /dev/null, a file written through the handle', async () => {
    for (const [p, flags] of [[fxp('size-4097'), 'r'], [fx, 'r'], ['/dev/null', 'r+'], [fxp('fifo-stat'), C.O_RDONLY | C.O_NONBLOCK]] as const) {
      await same(`FileHandle.stat(${p})`, async (f) => {
        const fh = await f.open(p, flags);
        try {
          return statRecord(await fh.stat());
        } finally {
          await fh.close();
        }
      });
    }
    await diff('FileHandle.stat after writes', async (f) => {
      const fh = await f.open('f', 'w+');
      try {
        await fh.write(pattern(12345, 1));
        const s = await fh.stat();
        const r = statRecord(s);
        // Different files: compare what should be equal
        return { size: r.size, blocks: r.blocks, mode: r.mode, nlink: r.nlink, uid: r.uid, gid: r.gid, blksize: r.blksize,
                 isFile: r['isFile()'], dev: r.dev };
      } finally {
        await fh.close();
      }
    });
  });
});

// ---------------------------------------------------------------------------
// truncate, sync, datasync
// ---------------------------------------------------------------------------

describe('truncate / sync / datasync', () => {
  const setup = (): void => {
    fs.writeFileSync('f', 'abcdefghijklmnop');
    fs.mkdirSync('d');
  };
  test('FileHandle.truncate', async () => {
    for (const len of [3, 0, undefined, 100, -5, 16, 2 ** 32 + 5]) {
      await diff(`FileHandle.truncate(${len})`, async (f) => {
        const fh = await f.open('f', 'r+');
        try {
          return await fh.truncate(len);
        } finally {
          await fh.close();
        }
      }, { setup });
    }
    await diff('FileHandle.truncate on a read-only handle: EINVAL', async (f) => {
      const fh = await f.open('f', 'r');
      try {
        return await fh.truncate(2);
      } finally {
        await fh.close();
      }
    }, { setup });
  });

  test('truncate(path, len)', async () => {
    for (const len of [3, 0, undefined, 100, -5]) {
      await diff(`truncate(f, ${len})`, (f) => f.truncate('f', len), { setup });
    }
    await diff('truncate(URL, 1)', (f, dir) => f.truncate(pathToFileURL(path.join(dir, 'f')), 1), { setup });
    await diff('truncate(Buffer, 1)', (f) => f.truncate(Buffer.from('f'), 1), { setup });
    await diff('truncate(missing): ENOENT', (f) => f.truncate('missing', 1), { setup });
    await diff('truncate(dir): EISDIR', (f) => f.truncate('d', 1), { setup });
  });

  test('sync and datasync resolve', async () => {
    await diff('sync/datasync', async (f) => {
      const fh = await f.open('f', 'r+');
      try {
        await fh.write('SYNCED', 0);
        const a = await fh.sync();
        const b = await fh.datasync();
        return [a, b];
      } finally {
        await fh.close();
      }
    }, { setup });
    await same('sync/datasync on a read-only handle', async (f) => {
      const fh = await f.open(fxp('text'), 'r');
      try {
        return [await fh.sync(), await fh.datasync()];
      } finally {
        await fh.close();
      }
    });
  });
});

// ---------------------------------------------------------------------------
// copyFile, rename, unlink, mkdir, rmdir
// ---------------------------------------------------------------------------

describe('copyFile', () => {
  const setup = (): void => {
    fs.writeFileSync('src', 'source content');
    fs.chmodSync('src', 0o640);
    fs.writeFileSync('wide', 'world-writable source');
    fs.chmodSync('wide', 0o666);
    fs.writeFileSync('dst', 'a longer, older destination content');
    fs.chmodSync('dst', 0o600);
    fs.writeFileSync('big', pattern(3 << 20, 77));
    fs.mkdirSync('d');
  };
  test('plain copies', async () => {
    await diff('copyFile(src, new)', (f) => f.copyFile('src', 'new'), { setup });
    await diff('copyFile(big, new)', (f) => f.copyFile('big', 'new'), { setup });
    await diff('copyFile(src, d/new)', (f) => f.copyFile('src', 'd/new'), { setup });
    await diff('copyFile(URL, Buffer)', (f, dir) => f.copyFile(pathToFileURL(path.join(dir, 'src')), Buffer.from('new')), { setup });
    await diff('copyFile(src, new, COPYFILE_FICLONE)', (f) => f.copyFile('src', 'new', C.COPYFILE_FICLONE), { setup });
    await diff('copyFile(src, new, COPYFILE_EXCL)', (f) => f.copyFile('src', 'new', C.COPYFILE_EXCL), { setup });
  });
  test('the mode of the copy (umask does not apply to it)', async () => {
    await diff('copyFile(0o666 file, new)', (f) => f.copyFile('wide', 'new'), { setup });
  });
  test('onto an existing file: content replaced, mode taken from the source', async () => {
    await diff('copyFile(src, existing dst)', (f) => f.copyFile('src', 'dst'), { setup });
  });
  test('onto itself: the file is left as it is', async () => {
    await diff('copyFile(src, src)', (f) => f.copyFile('src', 'src'), { setup });
  });
  test('failures', async () => {
    await diff('copyFile(src, existing, COPYFILE_EXCL): EEXIST', (f) => f.copyFile('src', 'dst', C.COPYFILE_EXCL), { setup });
    await diff('copyFile(missing, new): ENOENT', (f) => f.copyFile('missing', 'new'), { setup });
    await diff('copyFile(missing, existing, COPYFILE_EXCL)', (f) => f.copyFile('missing', 'dst', C.COPYFILE_EXCL), { setup });
    await diff('copyFile(dir, new): EISDIR', (f) => f.copyFile('d', 'new'), { setup });
    await diff('copyFile(src, missing/new): ENOENT', (f) => f.copyFile('src', 'missing/new'), { setup });
    await diff('copyFile(src, dir): EISDIR', (f) => f.copyFile('src', 'd'), { setup });
  });
  test('COPYFILE_FICLONE_FORCE on a filesystem without reflinks', async () => {
    await diff('copyFile(src, new, COPYFILE_FICLONE_FORCE)', (f) => f.copyFile('src', 'new', C.COPYFILE_FICLONE_FORCE), { setup });
  });
});

describe('rename / unlink', () => {
  const setup = (): void => {
    fs.writeFileSync('a', 'A');
    fs.writeFileSync('b', 'B');
    fs.mkdirSync('d1');
    fs.mkdirSync('d2');
    fs.writeFileSync('d2/x', 'x');
    fs.mkdirSync('empty');
  };
  test('rename', async () => {
    await diff('rename(a, c)', (f) => f.rename('a', 'c'), { setup });
    await diff('rename(a, b): replaces', (f) => f.rename('a', 'b'), { setup });
    await diff('rename(a, a)', (f) => f.rename('a', 'a'), { setup });
    await diff('rename(d1, empty): replaces an empty dir', (f) => f.rename('d1', 'empty'), { setup });
    await diff('rename(URL, Buffer)', (f, dir) => f.rename(pathToFileURL(path.join(dir, 'a')), Buffer.from('z')), { setup });
    await diff('rename(missing, c): ENOENT', (f) => f.rename('missing', 'c'), { setup });
    await diff('rename(a, missing/c): ENOENT', (f) => f.rename('a', 'missing/c'), { setup });
    await diff('rename(d1, d2): ENOTEMPTY', (f) => f.rename('d1', 'd2'), { setup });
    await diff('rename(a, d1): EISDIR', (f) => f.rename('a', 'd1'), { setup });
    await diff('rename(d1, a): ENOTDIR', (f) => f.rename('d1', 'a'), { setup });
    await diff('rename(d1, d1/sub): EINVAL', (f) => f.rename('d1', 'd1/sub'), { setup });
  });
  test('unlink', async () => {
    await diff('unlink(a)', (f) => f.unlink('a'), { setup });
    await diff('unlink(missing): ENOENT', (f) => f.unlink('missing'), { setup });
    await diff('unlink(d1): EISDIR', (f) => f.unlink('d1'), { setup });
    await diff('unlink(a/x): ENOTDIR', (f) => f.unlink('a/x'), { setup });
    await diff('unlink(URL)', (f, dir) => f.unlink(pathToFileURL(path.join(dir, 'b'))), { setup });
  });
});

describe('mkdir / rmdir', () => {
  const setup = (): void => {
    fs.mkdirSync('d');
    fs.writeFileSync('file', 'f');
    fs.mkdirSync('full');
    fs.writeFileSync('full/x', 'x');
  };
  test('mkdir', async () => {
    await diff('mkdir(new)', (f) => f.mkdir('new'), { setup });
    await diff('mkdir(d/new)', (f) => f.mkdir('d/new'), { setup });
    await diff('mkdir(new, 0o700)', (f) => f.mkdir('new', 0o700), { setup });
    await diff("mkdir(new, { mode: '750' })", (f) => f.mkdir('new', { mode: '750' }), { setup });
    await diff('mkdir(new, { recursive: false })', (f) => f.mkdir('new', { recursive: false }), { setup });
    await diff('mkdir(Buffer)', (f) => f.mkdir(Buffer.from('bufdir')), { setup });
    await diff('mkdir(d): EEXIST', (f) => f.mkdir('d'), { setup });
    await diff('mkdir(file): EEXIST', (f) => f.mkdir('file'), { setup });
    await diff('mkdir(missing/new): ENOENT', (f) => f.mkdir('missing/new'), { setup });
    await diff('mkdir(file/new): ENOTDIR', (f) => f.mkdir('file/new'), { setup });
  });
  test('mkdir recursive', async () => {
    await diff('mkdir(a/b/c, recursive) → the first created', (f) => f.mkdir('a/b/c', { recursive: true }), { setup });
    await diff('mkdir(abs a/b/c, recursive)', (f, dir) => f.mkdir(path.join(dir, 'a/b/c'), { recursive: true }), { setup });
    await diff('mkdir(d/x/y, recursive): d exists', (f) => f.mkdir('d/x/y', { recursive: true }), { setup });
    await diff('mkdir(new, recursive): one level', (f) => f.mkdir('new', { recursive: true }), { setup });
    await diff('mkdir(d, recursive): exists → undefined', (f) => f.mkdir('d', { recursive: true }), { setup });
    await diff('mkdir(abs d, recursive): exists → undefined', (f, dir) => f.mkdir(path.join(dir, 'd'), { recursive: true }), { setup });
    await diff('mkdir(t1/t2/, recursive): trailing slash', (f) => f.mkdir('t1/t2/', { recursive: true }), { setup });
    await diff('mkdir(./p/../q/r, recursive)', (f) => f.mkdir('./p/../q/r', { recursive: true }), { setup });
    await diff('mkdir(a/b, { recursive, mode: 0o700 })', (f) => f.mkdir('a/b', { recursive: true, mode: 0o700 }), { setup });
    await diff('mkdir(file, recursive): EEXIST', (f) => f.mkdir('file', { recursive: true }), { setup });
    await diff('mkdir(file/a/b, recursive): through a file', (f) => f.mkdir('file/a/b', { recursive: true }), { setup });
    await diff('mkdir(file/a, recursive): through a file', (f) => f.mkdir('file/a', { recursive: true }), { setup });
    await diff('mkdir(abs file/a/b, recursive): through a file', (f, dir) => f.mkdir(path.join(dir, 'file/a/b'), { recursive: true }), { setup });
    await diff('mkdir(URL, recursive)', (f, dir) => f.mkdir(pathToFileURL(path.join(dir, 'u/v')), { recursive: true }), { setup });
  });
  test('rmdir', async () => {
    await diff('rmdir(d)', (f) => f.rmdir('d'), { setup });
    await diff('rmdir(full): ENOTEMPTY', (f) => f.rmdir('full'), { setup });
    await diff('rmdir(missing): ENOENT', (f) => f.rmdir('missing'), { setup });
    await diff('rmdir(file): ENOTDIR', (f) => f.rmdir('file'), { setup });
    await diff('rmdir(Buffer)', (f) => f.rmdir(Buffer.from('d')), { setup });
  });
});

// ---------------------------------------------------------------------------
// A closed FileHandle
// ---------------------------------------------------------------------------

describe('a closed FileHandle', () => {
  const CALLS: Array<[string, (fh: any) => unknown]> = [
    ['read(buf, 0, 4, 0)', (fh) => fh.read(Buffer.alloc(4), 0, 4, 0)],
    ['read()', (fh) => fh.read()],
    ['write(buf)', (fh) => fh.write(Buffer.from('x'))],
    ["write('str', 0)", (fh) => fh.write('str', 0)],
    ['stat()', (fh) => fh.stat()],
    ['readv', (fh) => fh.readv([Buffer.alloc(4)], 0)],
    ['writev', (fh) => fh.writev([Buffer.from('x')], 0)],
    ['truncate', (fh) => fh.truncate(1)],
    ['sync', (fh) => fh.sync()],
    ['datasync', (fh) => fh.datasync()],
    ['readFile', (fh) => fh.readFile()],
    ['writeFile', (fh) => fh.writeFile('x')],
    ['appendFile', (fh) => fh.appendFile('x')],
    ['close again', (fh) => fh.close()],
  ];
  for (const [name, call] of CALLS) {
    test(name, async () => {
      await diff(`closed FileHandle: ${name}`, async (f) => {
        const fh = await f.open('f', 'r+');
        await fh.close();
        const fd = fh.fd;
        const r = await call(fh);
        return { fd, r };
      }, { setup: () => fs.writeFileSync('f', 'content') });
    });
  }
});

// ---------------------------------------------------------------------------
// Argument errors
// ---------------------------------------------------------------------------

describe('argument errors', () => {
  const setup = (): void => {
    fs.writeFileSync('f', 'content');
    fs.mkdirSync('d');
  };
  /** Run `body` with a handle on 'f' (r+), closing it afterwards. */
  const withFh = (body: (fh: any) => unknown) => async (f: Api): Promise<unknown> => {
    const fh = await f.open('f', 'r+');
    try {
      return await body(fh);
    } finally {
      await fh.close();
    }
  };
  const CASES: Array<[string, (f: Api) => unknown]> = [
    // path type and value
    ['readFile(123)', (f) => f.readFile(123)],
    ['readFile({})', (f) => f.readFile({})],
    ['readFile(undefined)', (f) => f.readFile(undefined)],
    ['open(null)', (f) => f.open(null)],
    ['stat(42)', (f) => f.stat(42)],
    ['lstat({ path })', (f) => f.lstat({ path: 'f' })],
    ['writeFile(true, data)', (f) => f.writeFile(true, 'x')],
    ['mkdir(1)', (f) => f.mkdir(1)],
    ['unlink([])', (f) => f.unlink([])],
    ['rename(f, 5)', (f) => f.rename('f', 5)],
    ['copyFile(5, f)', (f) => f.copyFile(5, 'g')],
    ['truncate({})', (f) => f.truncate({})],
    ["readFile('a\\0b')", (f) => f.readFile('f\0b')],
    ["open(Buffer 'f\\0')", (f) => f.open(Buffer.from('f\0'))],
    ["stat('f\\0')", (f) => f.stat('f\0')],
    ["writeFile('n\\0ew')", (f) => f.writeFile('n\0ew', 'x')],
    ["mkdir('d\\0x')", (f) => f.mkdir('d\0x')],
    ["rename('f', 'g\\0')", (f) => f.rename('f', 'g\0')],
    ["copyFile('f', 'g\\0')", (f) => f.copyFile('f', 'g\0')],
    ["readFile(URL 'http:')", (f) => f.readFile(new URL('http://x/f'))],
    ['readFile(URL with %00)', (f) => f.readFile(new URL('file:///tmp/a%00b'))],
    ['readFile(URL with %2F)', (f) => f.readFile(new URL('file:///tmp/a%2Fb'))],
    // flags
    ["open(f, 'rw')", (f) => f.open('f', 'rw')],
    ["open(f, 'bogus')", (f) => f.open('f', 'bogus')],
    ["open(f, '')", (f) => f.open('f', '')],
    ["open(f, 'R')", (f) => f.open('f', 'R')],
    ['open(f, true)', (f) => f.open('f', true)],
    ['open(f, {})', (f) => f.open('f', {})],
    ["readFile(f, { flag: 'bogus' })", (f) => f.readFile('f', { flag: 'bogus' })],
    ["writeFile(f, x, { flag: 'rw+' })", (f) => f.writeFile('f', 'x', { flag: 'rw+' })],
    // modes
    ["open(new, 'w', '9')", (f) => f.open('new', 'w', '9')],
    ["open(new, 'w', '0o644')", (f) => f.open('new', 'w', '0o644')],
    ["open(new, 'w', 'rwx')", (f) => f.open('new', 'w', 'rwx')],
    ["open(new, 'w', -1)", (f) => f.open('new', 'w', -1)],
    ["open(new, 'w', 1.5)", (f) => f.open('new', 'w', 1.5)],
    ["open(new, 'w', 2 ** 32)", (f) => f.open('new', 'w', 2 ** 32)],
    ["open(new, 'w', {})", (f) => f.open('new', 'w', {})],
    ["mkdir(new, { mode: 'xyz' })", (f) => f.mkdir('new', { mode: 'xyz' })],
    ["writeFile(new, x, { mode: '8' })", (f) => f.writeFile('new', 'x', { mode: '8' })],
    // encodings
    ["readFile(f, 'bogus')", (f) => f.readFile('f', 'bogus')],
    ["readFile(f, { encoding: 'utf9' })", (f) => f.readFile('f', { encoding: 'utf9' })],
    ['readFile(f, { encoding: 5 })', (f) => f.readFile('f', { encoding: 5 })],
    ["writeFile(f, x, 'bogus')", (f) => f.writeFile('f', 'x', 'bogus')],
    ["appendFile(f, x, { encoding: 'nope' })", (f) => f.appendFile('f', 'x', { encoding: 'nope' })],
    // options type
    ['readFile(f, 5)', (f) => f.readFile('f', 5)],
    ['readFile(f, { signal: {} })', (f) => f.readFile('f', { signal: {} })],
    ['writeFile(f, x, 5)', (f) => f.writeFile('f', 'x', 5)],
    // data
    ['writeFile(f, 123)', (f) => f.writeFile('f', 123)],
    ['writeFile(f, {})', (f) => f.writeFile('f', {})],
    ['writeFile(f, null)', (f) => f.writeFile('f', null)],
    ['writeFile(f, [1, 2]): an iterable of numbers', (f) => f.writeFile('f', [1, 2])],
    ['appendFile(new, 5n)', (f) => f.appendFile('new', 5n)],
    // copyFile mode
    ['copyFile(f, g, 8)', (f) => f.copyFile('f', 'g', 8)],
    ['copyFile(f, g, -1)', (f) => f.copyFile('f', 'g', -1)],
    ["copyFile(f, g, 'x')", (f) => f.copyFile('f', 'g', 'x')],
    // truncate len
    ['truncate(f, 1.5)', (f) => f.truncate('f', 1.5)],
    ["truncate(f, '1')", (f) => f.truncate('f', '1')],
    // FileHandle.read
    ['read(buf, -1, 1, 0): negative offset', withFh((fh) => fh.read(Buffer.alloc(10), -1, 1, 0))],
    ['read(buf, 0, 11, 0): length past the buffer', withFh((fh) => fh.read(Buffer.alloc(10), 0, 11, 0))],
    ['read(buf, 5, 6, 0): offset + length past the buffer', withFh((fh) => fh.read(Buffer.alloc(10), 5, 6, 0))],
    ['read(buf, 0, -1, 0): negative length', withFh((fh) => fh.read(Buffer.alloc(10), 0, -1, 0))],
    ['read(buf, 11): offset past the buffer', withFh((fh) => fh.read(Buffer.alloc(10), 11))],
    ['read(buf, 1.5, 1, 0): fractional offset', withFh((fh) => fh.read(Buffer.alloc(10), 1.5, 1, 0))],
    ["read(buf, '1', 1, 0): string offset", withFh((fh) => fh.read(Buffer.alloc(10), '1', 1, 0))],
    ['read(buf, { offset: -1 })', withFh((fh) => fh.read(Buffer.alloc(10), { offset: -1 }))],
    ['read(buf, { length: 11 })', withFh((fh) => fh.read(Buffer.alloc(10), { length: 11 }))],
    ['read({ buffer, offset: 20 })', withFh((fh) => fh.read({ buffer: Buffer.alloc(10), offset: 20 }))],
    ['read(42)', withFh((fh) => fh.read(42))],
    ["read('str')", withFh((fh) => fh.read('str'))],
    ["read({ buffer: 'str' })", withFh((fh) => fh.read({ buffer: 'str' }))],
    ['read(buf, 0, 11, 0) on an empty buffer', withFh((fh) => fh.read(Buffer.alloc(0), 0, 1, 0))],
    // FileHandle.write
    ['write(buf, -1)', withFh((fh) => fh.write(Buffer.alloc(4), -1))],
    ['write(buf, 0, 5)', withFh((fh) => fh.write(Buffer.alloc(4), 0, 5))],
    ['write(buf, 5)', withFh((fh) => fh.write(Buffer.alloc(4), 5))],
    ['write(buf, 0, -1)', withFh((fh) => fh.write(Buffer.alloc(4), 0, -1))],
    ['write(buf, { offset: 2, length: 3 })', withFh((fh) => fh.write(Buffer.alloc(4), { offset: 2, length: 3 }))],
    ['write(42)', withFh((fh) => fh.write(42))],
    ['write({})', withFh((fh) => fh.write({}))],
    ["write('abc', 0, 'hex'): odd hex", withFh((fh) => fh.write('abc', 0, 'hex'))],
    // readv / writev
    ["readv('x')", withFh((fh) => fh.readv('x'))],
    ['readv([1])', withFh((fh) => fh.readv([1]))],
    ['writev([1])', withFh((fh) => fh.writev([1]))],
    ["writev(['str'])", withFh((fh) => fh.writev(['str']))],
    // FileHandle.truncate
    ["truncate('5')", withFh((fh) => fh.truncate('5'))],
    ['truncate(1.5)', withFh((fh) => fh.truncate(1.5))],
    // FileHandle.readFile / writeFile
    ["fh.readFile('bogus')", withFh((fh) => fh.readFile('bogus'))],
    ['fh.writeFile(5)', withFh((fh) => fh.writeFile(5))],
  ];
  for (const [name, op] of CASES) {
    test(name, async () => {
      await diff(name, op, { setup });
    });
  }
});

// ---------------------------------------------------------------------------
// Concurrency
// ---------------------------------------------------------------------------

describe('concurrency', () => {
  test('200 concurrent positioned writes, then 200 concurrent reads, then reads racing writes', async () => {
    const N = 200;
    const BS = 4096;
    const block = (i: number): Buffer => pattern(BS, i + 1000);
    const expected = Buffer.concat(Array.from({ length: N + 100 }, (_, i) => block(i)));
    await diff('concurrent positioned I/O on one FileHandle', async (f) => {
      const fh = await f.open('c', 'w+');
      try {
        const w = await Promise.all(Array.from({ length: N }, (_, i) => fh.write(block(i), 0, BS, i * BS)));
        const bytesWritten = w.map((r: any) => r.bytesWritten);
        const reads = await Promise.all(Array.from({ length: N }, (_, i) => fh.read(Buffer.alloc(BS), 0, BS, i * BS)));
        const readOk = reads.map((r: any, i: number) => r.bytesRead === BS && r.buffer.equals(block(i)));
        // Phase 2: 100 writes past the end racing 200 reads of the blocks already there.
        const mixed = await Promise.all([
          ...Array.from({ length: 100 }, (_, j) => fh.write(block(N + j), 0, BS, (N + j) * BS).then((r: any) => r.bytesWritten === BS)),
          ...Array.from({ length: N }, (_, i) => fh.read(Buffer.alloc(BS), 0, BS, i * BS)
            .then((r: any) => r.bytesRead === BS && r.buffer.equals(block(i)))),
        ]);
        const readvs = await Promise.all(Array.from({ length: 50 }, (_, i) => {
          const bufs = [Buffer.alloc(100), Buffer.alloc(BS - 100)];
          return fh.readv(bufs, i * 6 * BS).then((r: any) => r.bytesRead === BS && Buffer.concat(bufs).equals(block(i * 6)));
        }));
        const st = await fh.stat();
        return { bytesWritten, readOk, mixed, readvs, size: st.size };
      } finally {
        await fh.close();
      }
    }, {
      compare: (ring, node) => {
        assert.deepStrictEqual(ring, node);
        assert.ok(node.readOk.every(Boolean) && node.mixed.every(Boolean) && node.readvs.every(Boolean));
      },
      probe: (dir) => {
        const got = fs.readFileSync(path.join(dir, 'c'));
        return { size: got.length, diffAt: firstDiff(got, expected) };
      },
    });
  });

  test('50 concurrent readFile calls of different sizes', async () => {
    const names = Array.from({ length: 50 }, (_, i) => `size-${SIZES[i % SIZES.length]}`);
    const { ring } = await same('concurrent readFile', (f) => Promise.all(names.map((n) => f.readFile(fxp(n)))),
      (r: Buffer[], n: Buffer[]) => {
        assert.equal(r.length, n.length);
        r.forEach((b, i) => assertSameBytes(`concurrent readFile #${i} (${names[i]})`, b, n[i]));
      });
    assert.ok(ring.ok);
    (ring.value as Buffer[]).forEach((b, i) => assertSameBytes(`readFile ${names[i]} vs written`, b, content.get(SIZES[i % SIZES.length])));
  });
});

// ---------------------------------------------------------------------------
// Abort: no fd leaks
// ---------------------------------------------------------------------------

describe('abort', () => {
  test('readFile aborted right after the call: AbortError, no fd leaked', { timeout: 15000 }, async () => {
    const file = fxp('size-65536');
    const outcomes: Record<string, Outcome[]> = { node: [], ring: [] };
    for (const [name, f] of [['node', NODE], ['ring', RING]] as const) {
      for (let i = 0; i < 20; i++) await tick(); // let earlier work settle
      const before = fdSnapshot();
      const ps: Promise<Outcome>[] = [];
      for (let i = 0; i < 50; i++) {
        const ac = new AbortController();
        ps.push(run(() => f.readFile(file, { signal: ac.signal })));
        ac.abort();
      }
      outcomes[name] = await Promise.all(ps);
      await settleUntil(() => fdsOpenedSince(before).length === 0);
      assert.deepEqual(fdsOpenedSince(before), [], `${name}: fds left open by 50 aborted readFile calls`);
    }
    for (let i = 0; i < 50; i++) assertSameOutcome(`aborted readFile #${i}`, outcomes.ring[i], outcomes.node[i]);
    const o = outcomes.ring[0];
    assert.ok(!o.ok && o.err.name === 'AbortError' && o.err.code === 'ABORT_ERR', describeOutcome(o));
  });

  test('readFile aborted at various points in flight: AbortError or the content, no fd leaked', { timeout: 15000 }, async () => {
    const file = fxp('size-65536');
    const expected = content.get(65536)!;
    const waits: Array<() => Promise<void>> = [
      () => Promise.resolve(),
      async () => { for (let i = 0; i < 3; i++) await Promise.resolve(); },
      () => new Promise((r) => queueMicrotask(r)),
      tick,
      async () => { await tick(); await tick(); },
    ];
    for (const [name, f] of [['node', NODE], ['ring', RING]] as const) {
      for (let i = 0; i < 20; i++) await tick();
      const before = fdSnapshot();
      const ps: Promise<Outcome>[] = [];
      for (let i = 0; i < 100; i++) {
        const ac = new AbortController();
        ps.push(run(() => f.readFile(file, { signal: ac.signal })));
        void waits[i % waits.length]().then(() => ac.abort());
      }
      const outs = await Promise.all(ps);
      for (const o of outs) {
        if (o.ok) assertSameBytes(`${name}: readFile that beat its abort`, o.value, expected);
        else assert.ok(o.err?.name === 'AbortError' && o.err?.code === 'ABORT_ERR', `${name}: ${describeOutcome(o)}`);
      }
      await settleUntil(() => fdsOpenedSince(before).length === 0);
      assert.deepEqual(fdsOpenedSince(before), [], `${name}: fds left open by 100 aborted readFile calls`);
    }
  });

  test('an already-aborted signal', async () => {
    const reason = new Error('why');
    await same('readFile(f, { signal: aborted })', (f) => f.readFile(fxp('text'), { signal: AbortSignal.abort(reason) }));
    await same('readFile(missing, { signal: aborted })', (f) => f.readFile(fxp('missing'), { signal: AbortSignal.abort() }));
  });
});

// ---------------------------------------------------------------------------

test('report: error fields RingCore sets where Node does not', (t) => {
  for (const e of [...new Set(extras)]) t.diagnostic(e);
});
