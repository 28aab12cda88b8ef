/**
 * The whole surface of `node:fs/promises` in `ringcore/fs` (issue 11): every export
 * exists (source module and bundle), and each function added for it — symlink, link,
 * mkdtemp, rm, rmdir's recursive form, cp, the functions handed to Node (readdir,
 * opendir, readlink, realpath, chmod, lchmod, chown, lchown, utimes, lutimes, statfs,
 * watch), FileHandle's chmod/chown/utimes and its 'close' event, BigIntStats — runs
 * beside node:fs/promises on the same inputs with the same outcome: values, trees left
 * behind, and errors (class, name, code, errno, syscall, path, dest and message).  Then
 * the argument rules of Node 20 that ringcore/fs now follows, and readFile's 2 GiB limit.
 *
 * Each case that changes the filesystem runs each implementation in its own fresh
 * sandbox, the working directory while it runs, with relative paths.  Every fd opened
 * is closed by the end (checked).
 *
 * Self-contained on purpose (no import of helpers.ts), as fs-diff.test.ts.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { inspect } from 'node:util';
import { execFileSync } from 'node:child_process';
import * as nodeFs from 'node:fs/promises';
import * as ringFs from '../src/fs/promises.js';
import { fdSnapshot, fdsOpenedSince } from './helpers.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Api = any;
const NODE: Api = nodeFs;
const RING: Api = ringFs;

// ---------------------------------------------------------------------------
// Outcomes and their comparison
// ---------------------------------------------------------------------------

type Outcome = { ok: true; value: any } | { ok: false; sync: boolean; err: any };

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
  const s = inspect(v, { depth: 3, maxArrayLength: 8, breakLength: Infinity });
  return s.length > 500 ? s.slice(0, 500) + '...' : s;
}

const ERR_FIELDS = ['code', 'errno', 'syscall', 'path', 'dest', 'message'] as const;

/** Replace `dir` (a per-implementation sandbox) by a placeholder, deeply. */
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

/** Everything an error says, as a plain comparable object (SystemError's info too). */
function errRecord(e: any, dir?: string): Record<string, unknown> {
  const r: Record<string, unknown> = { class: errClass(e), name: e?.name };
  for (const k of ERR_FIELDS) r[k] = normalize(e?.[k], dir);
  if (e?.info !== undefined) r.info = normalize({ ...e.info }, dir);
  return r;
}

function describeOutcome(o: Outcome, dir?: string): string {
  return o.ok ? `resolved ${show(o.value)}` : `${o.sync ? 'threw' : 'rejected'} ${show(errRecord(o.err, dir))}`;
}

function assertSameOutcome(what: string, ring: Outcome, node: Outcome, ringDir?: string, nodeDir?: string): void {
  const ctx = `${what}\n  ring: ${describeOutcome(ring, ringDir)}\n  node: ${describeOutcome(node, nodeDir)}`;
  assert.equal(ring.ok, node.ok, `outcome differs: ${ctx}`);
  if (!ring.ok && !node.ok) {
    assert.equal(ring.sync, node.sync, `one throws synchronously, the other rejects: ${ctx}`);
    assert.deepStrictEqual(errRecord(ring.err, ringDir), errRecord(node.err, nodeDir), `errors differ: ${ctx}`);
  } else if (ring.ok && node.ok) {
    assert.deepStrictEqual(normalize(ring.value, ringDir), normalize(node.value, nodeDir), `values differ: ${ctx}`);
  }
}

/** Run `op` with each implementation on the same inputs (nothing changed on disk). */
async function same(what: string, op: (f: Api) => unknown): Promise<{ ring: Outcome; node: Outcome }> {
  const node = await run(() => op(NODE));
  const ring = await run(() => op(RING));
  assertSameOutcome(what, ring, node);
  return { ring, node };
}

// ---------------------------------------------------------------------------
// Sandboxes
// ---------------------------------------------------------------------------

const ORIG_CWD = process.cwd();
let base: string;
let caseNo = 0;

/** A comparable picture of a tree: names, types, modes, sizes, contents, link targets, mtimes (optional). */
function snapshot(dir: string, withTimes = false): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  const walk = (d: Buffer, rel: string): void => {
    const names = fs.readdirSync(d, { encoding: 'buffer' }).sort(Buffer.compare);
    for (const name of names) {
      const p = Buffer.concat([d, Buffer.from('/'), name]);
      const r = rel ? `${rel}/${name.toString('latin1')}` : name.toString('latin1');
      const st = fs.lstatSync(p);
      const e: Record<string, unknown> = { name: r, mode: (st.mode & 0o177777).toString(8), nlink: st.isDirectory() ? undefined : st.nlink };
      if (st.isFile()) {
        e.size = st.size;
        e.sha = crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex');
        if (withTimes && /^(out|new)/.test(r)) e.mtimeMs = st.mtimeMs;
      } else if (st.isSymbolicLink()) {
        e.target = fs.readlinkSync(p, 'utf8').split(dir).join('<DIR>');
      }
      out.push(e);
      if (st.isDirectory()) walk(p, r);
    }
  };
  walk(Buffer.from(dir), '');
  return out;
}

interface DiffOptions {
  setup?: (dir: string) => void;
  compare?: (ring: any, node: any) => void;
  probe?: (dir: string) => unknown;
  times?: boolean;
}

/** Run `op` with each implementation in its own fresh sandbox; compare outcomes and trees. */
async function diff(what: string, op: (f: Api, dir: string) => unknown, opts: DiffOptions = {}): Promise<{ ring: Outcome; node: Outcome }> {
  const id = caseNo++;
  const dirs = { node: path.join(base, `c${id}-node`), ring: path.join(base, `c${id}-ring`) };
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
  if (opts.compare && ring.ok && node.ok) opts.compare(ring.value, node.value);
  else assertSameOutcome(what, ring, node, dirs.ring, dirs.node);
  const rt = snapshot(dirs.ring, opts.times);
  const nt = snapshot(dirs.node, opts.times);
  assert.deepStrictEqual(normalize(rt, dirs.ring), normalize(nt, dirs.node), `${what}: the trees left behind differ`);
  if (opts.probe) {
    assert.deepStrictEqual(normalize(opts.probe(dirs.ring), dirs.ring), normalize(opts.probe(dirs.node), dirs.node), `${what}: probed state differs`);
  }
  for (const d of Object.values(dirs)) {
    try { fs.chmodSync(d, 0o755); } catch { /* gone */ }
    fs.rmSync(d, { recursive: true, force: true });
  }
  return { ring, node };
}

/** fds opened since the start — except libuv's inotify fd, which its loop keeps once a watch was made (watch tests). */
function fdsLeft(): string[] {
  return fdsOpenedSince(fdsBefore).filter((f) => !f.includes(' -> anon_inode:inotify '));
}

let fdsBefore = new Map<number, string>();
before(async () => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'ringcore-fssurface-'));
  await ringFs.stat(base); // the thread's ring (its own fds) exists before counting
  fdsBefore = fdSnapshot();
});

after(() => {
  process.chdir(ORIG_CWD);
  fs.rmSync(base, { recursive: true, force: true });
});

/** A tree with files, modes, a nested directory, relative and absolute symlinks, a hard link. */
function tree(root = 'src'): void {
  fs.mkdirSync(`${root}/sub/deeper`, { recursive: true });
  fs.writeFileSync(`${root}/a.txt`, 'alpha');
  fs.writeFileSync(`${root}/ro.txt`, 'read only');
  fs.chmodSync(`${root}/ro.txt`, 0o444);
  fs.writeFileSync(`${root}/sub/b.bin`, Buffer.alloc(70000, 'pattern-'));
  fs.writeFileSync(`${root}/sub/deeper/c`, '');
  fs.chmodSync(`${root}/sub/deeper`, 0o751);
  fs.symlinkSync('a.txt', `${root}/rel-link`);
  fs.symlinkSync('sub', `${root}/dir-link`);
  fs.symlinkSync('nowhere', `${root}/dangling`);
  fs.linkSync(`${root}/a.txt`, `${root}/hard`);
  for (const f of ['a.txt', 'ro.txt', 'sub/b.bin', 'sub/deeper/c']) fs.utimesSync(`${root}/${f}`, 1000000 + f.length, 2000000 + f.length);
}

// ---------------------------------------------------------------------------
// Coverage
// ---------------------------------------------------------------------------

describe('every export of node:fs/promises', () => {
  const names = Object.keys(nodeFs).sort();
  test('exists in ringcore/fs (source module), with the same kind', () => {
    for (const k of names) {
      assert.ok(k in ringFs, `ringcore/fs lacks ${k}`);
      assert.equal(typeof (ringFs as Api)[k], typeof (nodeFs as Api)[k], `${k}: ${typeof (ringFs as Api)[k]}`);
    }
    assert.equal(ringFs.constants, fs.constants);
    for (const k of Object.keys((nodeFs as Api).default)) assert.ok(k in ringFs.default, `default export lacks ${k}`);
  });
  test('exists in the bundle (dist/bundle/fs.js)', async () => {
    const b = await import('../bundle/fs.js' as string) as Api;
    for (const k of names) assert.ok(k in b, `the bundle lacks ${k}`);
    for (const k of Object.keys((nodeFs as Api).default)) assert.ok(k in b.default, `the bundle's default export lacks ${k}`);
  });
  test("every method of Node's FileHandle exists on ours", async () => {
    const nfh = await nodeFs.open(__filenameOf(), 'r');
    const rfh = await ringFs.open(__filenameOf(), 'r');
    try {
      const methods = new Set<string>();
      for (let o = Object.getPrototypeOf(nfh); o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
        for (const k of Object.getOwnPropertyNames(o)) if (typeof (nfh as Api)[k] === 'function' && !k.startsWith('_')) methods.add(k);
      }
      methods.add('close');
      for (const m of methods) assert.equal(typeof (rfh as Api)[m], 'function', `FileHandle.${m}`);
      assert.equal(typeof (rfh as Api)[Symbol.asyncDispose], 'function');
      assert.equal(typeof rfh.getAsyncId(), 'number');
    } finally {
      await nfh.close();
      await rfh.close();
    }
  });
});

function __filenameOf(): string {
  return new URL(import.meta.url).pathname;
}

// ---------------------------------------------------------------------------
// symlink / link
// ---------------------------------------------------------------------------

describe('symlink', () => {
  const setup = (): void => {
    fs.writeFileSync('f', 'x');
    fs.mkdirSync('d');
  };
  const cases: Array<[string, (f: Api) => unknown]> = [
    ['symlink(f, l)', async (f) => { await f.symlink('f', 'l'); return fs.readlinkSync('l'); }],
    ['symlink(missing target, l): dangling is fine', (f) => f.symlink('no/such/thing', 'l')],
    ["symlink(f, l, 'dir')", (f) => f.symlink('f', 'l', 'dir')],
    ["symlink(f, l, 'junction')", (f) => f.symlink('f', 'l', 'junction')],
    ['symlink(f, l, 5): a non-string type is ignored', (f) => f.symlink('f', 'l', 5)],
    ["symlink(f, l, 'bogus')", (f) => f.symlink('f', 'l', 'bogus')],
    ['symlink(f, f): EEXIST', (f) => f.symlink('f', 'f')],
    ['symlink(f, d): EEXIST on a directory', (f) => f.symlink('f', 'd')],
    ['symlink(f, missing/l): ENOENT', (f) => f.symlink('f', 'missing/l')],
    ['symlink(f, f/l): ENOTDIR', (f) => f.symlink('f', 'f/l')],
    ["symlink('', l): ENOENT", (f) => f.symlink('', 'l')],
    ['symlink(Buffer, URL)', (f) => f.symlink(Buffer.from('f'), new URL(`file://${process.cwd()}/l`))],
    ['symlink(5, l)', (f) => f.symlink(5, 'l')],
    ['symlink(f, {})', (f) => f.symlink('f', {})],
    ["symlink('a\\0', l)", (f) => f.symlink('a\0', 'l')],
  ];
  for (const [name, op] of cases) test(name, () => diff(name, op, { setup }).then(() => {}));
});

describe('link', () => {
  const setup = (): void => {
    fs.writeFileSync('f', 'x');
    fs.mkdirSync('d');
    fs.symlinkSync('f', 'sl');
  };
  const cases: Array<[string, (f: Api) => unknown]> = [
    ['link(f, h)', async (f) => { await f.link('f', 'h'); return fs.statSync('h').nlink; }],
    ['link(sl, h): the symlink itself is linked', async (f) => { await f.link('sl', 'h'); return fs.lstatSync('h').isSymbolicLink(); }],
    ['link(missing, h): ENOENT', (f) => f.link('missing', 'h')],
    ['link(f, f): EEXIST', (f) => f.link('f', 'f')],
    ['link(d, h): EPERM on a directory', (f) => f.link('d', 'h')],
    ['link(f, missing/h)', (f) => f.link('f', 'missing/h')],
    ['link(Buffer, URL)', (f) => f.link(Buffer.from('f'), new URL(`file://${process.cwd()}/h`))],
    ['link(1, h)', (f) => f.link(1, 'h')],
    ['link(f, null)', (f) => f.link('f', null)],
  ];
  for (const [name, op] of cases) test(name, () => diff(name, op, { setup }).then(() => {}));
});

// ---------------------------------------------------------------------------
// mkdtemp
// ---------------------------------------------------------------------------

describe('mkdtemp', () => {
  /** The random part differs by nature: compare with it masked. */
  const mask = (v: unknown): unknown => (typeof v === 'string' ? v.replace(/[A-Za-z0-9]{6}(?='?$)/, '<RND>') : v);
  const maskOutcome = async (f: Api, call: (f: Api) => Promise<unknown>): Promise<unknown> => {
    try {
      const v = await call(f);
      if (Buffer.isBuffer(v)) return { buffer: mask(v.toString()), mode: (fs.statSync(v).mode & 0o777).toString(8) };
      if (typeof v === 'string' && !fs.existsSync(v)) return { hex: mask(Buffer.from(v, 'hex').toString()) };
      return { value: mask(v), mode: (fs.statSync(v as string).mode & 0o777).toString(8), empty: fs.readdirSync(v as string).length === 0 };
    } catch (e) {
      const r = errRecord(e);
      r.path = mask(r.path);
      r.message = mask(r.message);
      return { err: r };
    }
  };
  const cases: Array<[string, (f: Api) => Promise<unknown>]> = [
    ["mkdtemp('t-')", (f) => f.mkdtemp('t-')],
    ["mkdtemp('sub/')", (f) => f.mkdtemp('sub/')],
    ["mkdtemp('t-', 'buffer')", (f) => f.mkdtemp('t-', 'buffer')],
    ["mkdtemp('t-', { encoding: 'buffer' })", (f) => f.mkdtemp('t-', { encoding: 'buffer' })],
    ["mkdtemp('t-', { encoding: 'hex' })", (f) => f.mkdtemp('t-', { encoding: 'hex' })],
    ["mkdtemp('t-', { encoding: null })", (f) => f.mkdtemp('t-', { encoding: null })],
    ["mkdtemp('t-', () => {}): a function is no options", (f) => f.mkdtemp('t-', () => {})],
    ["mkdtemp(Buffer 't-')", (f) => f.mkdtemp(Buffer.from('t-'))],
    ["mkdtemp('missing/t-'): ENOENT", (f) => f.mkdtemp('missing/t-')],
    ["mkdtemp('file/t-'): ENOTDIR", (f) => f.mkdtemp('file/t-')],
    ["mkdtemp('t-', 5)", (f) => f.mkdtemp('t-', 5)],
    ["mkdtemp('t-', 'bogus')", (f) => f.mkdtemp('t-', 'bogus')],
    ['mkdtemp(5)', (f) => f.mkdtemp(5)],
    ["mkdtemp('a\\0')", (f) => f.mkdtemp('a\0')],
  ];
  for (const [name, call] of cases) {
    test(name, async () => {
      const results: unknown[] = [];
      for (const f of [NODE, RING]) {
        const dir = path.join(base, `mk${caseNo++}`);
        fs.mkdirSync(path.join(dir, 'sub'), { recursive: true });
        fs.writeFileSync(path.join(dir, 'file'), '');
        process.chdir(dir);
        try {
          results.push(await maskOutcome(f, call));
        } finally {
          process.chdir(ORIG_CWD);
        }
      }
      assert.deepStrictEqual(results[1], results[0], `${name}\n  ring: ${show(results[1])}\n  node: ${show(results[0])}`);
    });
  }
  // mkdtempDisposable (Node 24.4+): where the running Node has none, ringcore/fs has none either.
  const noDisposable = typeof (nodeFs as Api).mkdtempDisposable !== 'function';
  test('mkdtempDisposable: where the running Node has none, neither has ringcore/fs', { skip: !noDisposable && 'the running Node has it' }, () => {
    assert.equal((ringFs as Api).mkdtempDisposable, undefined);
    assert.equal('mkdtempDisposable' in ringFs.default, false);
  });
  const disposableCases: Array<[string, (f: Api) => Promise<unknown>]> = [
    ["mkdtempDisposable('t-'): remove() removes it and its contents", async (f) => {
      const d = await f.mkdtempDisposable('t-');
      const made = [typeof d.path, fs.statSync(d.path).mode & 0o777, Reflect.ownKeys(d).map(String), Object.getPrototypeOf(d)];
      fs.mkdirSync(path.join(d.path, 'x/y'), { recursive: true });
      fs.writeFileSync(path.join(d.path, 'x/y/z'), 'z');
      await d.remove();
      return [mask(d.path), made, fs.existsSync(d.path)];
    }],
    ['mkdtempDisposable: asyncDispose after a chdir removes the right directory; then remove() again', async (f) => {
      const d = await f.mkdtempDisposable('sub/t-');
      const here = process.cwd();
      process.chdir('sub');
      try {
        await d[Symbol.asyncDispose]();
      } finally {
        process.chdir(here);
      }
      const again = await d.remove().then(() => 'resolved', (e: unknown) => errRecord(e));
      return [fs.readdirSync('sub'), again];
    }],
    ["mkdtempDisposable('t-', { encoding: 'hex' })", async (f) => { const d = await f.mkdtempDisposable('t-', { encoding: 'hex' }); return [d.path.length, await d.remove()]; }],
    ["mkdtempDisposable('t-', 'buffer'): made, then resolve() refuses the Buffer", async (f) => {
      const e = await f.mkdtempDisposable('t-', 'buffer').then(() => 'resolved', (err: unknown) => errRecord(err));
      return [e, fs.readdirSync('.').filter((n) => n.startsWith('t-')).length];
    }],
    ["mkdtempDisposable('missing/t-'): ENOENT", async (f) => {
      try { return await f.mkdtempDisposable('missing/t-'); } catch (e) { const r = errRecord(e); r.path = mask(r.path); r.message = mask(r.message); return r; }
    }],
    ['mkdtempDisposable(5)', (f) => f.mkdtempDisposable(5).catch((e: unknown) => errRecord(e))],
  ];
  for (const [name, call] of disposableCases) {
    test(name, { skip: noDisposable && 'the running Node has no mkdtempDisposable' }, async () => {
      const results: unknown[] = [];
      for (const f of [NODE, RING]) {
        const dir = path.join(base, `mk${caseNo++}`);
        fs.mkdirSync(path.join(dir, 'sub'), { recursive: true });
        process.chdir(dir);
        try {
          results.push(await call(f));
        } finally {
          process.chdir(ORIG_CWD);
        }
      }
      assert.deepStrictEqual(results[1], results[0], `${name}\n  ring: ${show(results[1])}\n  node: ${show(results[0])}`);
    });
  }

  test('the six characters are random: 200 calls, 200 names, all [A-Za-z0-9]', async () => {
    const dir = path.join(base, `mk${caseNo++}`);
    fs.mkdirSync(dir);
    const names = await Promise.all(Array.from({ length: 200 }, () => ringFs.mkdtemp(path.join(dir, 'x-'))));
    assert.equal(new Set(names).size, 200);
    for (const n of names) assert.match(path.basename(n), /^x-[A-Za-z0-9]{6}$/);
  });
});

// ---------------------------------------------------------------------------
// rm / rmdir recursive
// ---------------------------------------------------------------------------

describe('rm', () => {
  const setup = (): void => {
    tree('src');
    fs.writeFileSync('f', 'x');
    fs.mkdirSync('empty');
    fs.symlinkSync('src', 'link-to-dir');
    fs.writeFileSync(Buffer.from('src/bin-\xff\xfe', 'latin1'), 'non-utf8 name');
    // A wide directory: its entries are removed in parallel.
    fs.mkdirSync('wide');
    for (let i = 0; i < 300; i++) fs.writeFileSync(`wide/${i}`, String(i));
  };
  const cases: Array<[string, (f: Api) => unknown]> = [
    ['rm(f)', (f) => f.rm('f')],
    ['rm(missing): ENOENT (lstat)', (f) => f.rm('missing')],
    ['rm(missing, { force: true })', (f) => f.rm('missing', { force: true })],
    ['rm(empty): ERR_FS_EISDIR', (f) => f.rm('empty')],
    ['rm(src): ERR_FS_EISDIR', (f) => f.rm('src')],
    ['rm(src, { recursive: true })', (f) => f.rm('src', { recursive: true })],
    ['rm(wide, { recursive: true })', (f) => f.rm('wide', { recursive: true })],
    ['rm(empty, { recursive: true, force: true })', (f) => f.rm('empty', { recursive: true, force: true })],
    ['rm(link-to-dir): the link only', (f) => f.rm('link-to-dir')],
    ['rm(link-to-dir, { recursive: true }): the link only', (f) => f.rm('link-to-dir', { recursive: true })],
    ['rm(src/dangling)', (f) => f.rm('src/dangling')],
    ['rm(f/x): ENOTDIR', (f) => f.rm('f/x')],
    ['rm(f/x, { force: true }): ENOTDIR all the same', (f) => f.rm('f/x', { force: true })],
    ['rm(Buffer)', (f) => f.rm(Buffer.from('f'))],
    ['rm(URL, { recursive: true })', (f) => f.rm(new URL(`file://${process.cwd()}/src`), { recursive: true })],
    ['rm(f, null)', (f) => f.rm('f', null)],
    ['rm(f, 5)', (f) => f.rm('f', 5)],
    ["rm(f, { force: 'yes' })", (f) => f.rm('f', { force: 'yes' })],
    ['rm(f, { recursive: 1 })', (f) => f.rm('f', { recursive: 1 })],
    ['rm(f, { maxRetries: -1 })', (f) => f.rm('f', { maxRetries: -1 })],
    ['rm(f, { maxRetries: 1.5 })', (f) => f.rm('f', { maxRetries: 1.5 })],
    ['rm(f, { retryDelay: 2 ** 31 })', (f) => f.rm('f', { retryDelay: 2 ** 31 })],
    ["rm(f, { retryDelay: '1' })", (f) => f.rm('f', { retryDelay: '1' })],
    ['rm(f, { maxRetries: 3, retryDelay: 1 })', (f) => f.rm('f', { maxRetries: 3, retryDelay: 1 })],
    ['rm(42)', (f) => f.rm(42)],
  ];
  for (const [name, op] of cases) test(name, () => diff(name, op, { setup }).then(() => {}));

  test('a directory that cannot be emptied: the same error (EACCES when not root; else both succeed)', async () => {
    await diff('rm(locked, { recursive: true })', (f) => f.rm('locked', { recursive: true }), {
      setup: () => {
        fs.mkdirSync('locked/inner', { recursive: true });
        fs.writeFileSync('locked/inner/x', '');
        fs.chmodSync('locked/inner', 0o555);
      },
    });
  });
});

describe('rmdir', () => {
  test('rmdir(p, { recursive: true }) warns DEP0147 (once), as Node 20', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => { warnings.push(w); };
    process.on('warning', onWarning);
    try {
      const dir = path.join(base, `w${caseNo++}`);
      fs.mkdirSync(path.join(dir, 'a', 'b'), { recursive: true });
      await ringFs.rmdir(dir, { recursive: true });
      await new Promise((r) => setImmediate(r));
      assert.ok(!fs.existsSync(dir));
    } finally {
      process.off('warning', onWarning);
    }
    const dep = warnings.filter((w) => (w as { code?: string }).code === 'DEP0147');
    assert.equal(dep.length, 1, show(warnings));
    assert.equal(dep[0].name, 'DeprecationWarning');
  });
  const setup = (): void => {
    tree('src');
    fs.writeFileSync('f', 'x');
    fs.mkdirSync('empty');
  };
  const cases: Array<[string, (f: Api) => unknown]> = [
    ['rmdir(src, { recursive: true })', (f) => f.rmdir('src', { recursive: true })],
    ['rmdir(empty, { recursive: true })', (f) => f.rmdir('empty', { recursive: true })],
    ['rmdir(f, { recursive: true }): ENOTDIR', (f) => f.rmdir('f', { recursive: true })],
    ['rmdir(missing, { recursive: true }): ENOENT (stat)', (f) => f.rmdir('missing', { recursive: true })],
    ['rmdir(src, { recursive: false }): ENOTEMPTY', (f) => f.rmdir('src', { recursive: false })],
    ['rmdir(src/rel-link, { recursive: true }): ENOTDIR', (f) => f.rmdir('src/dir-link', { recursive: true })],
    ['rmdir(empty, null)', (f) => f.rmdir('empty', null)],
    ["rmdir(empty, { recursive: 'yes' })", (f) => f.rmdir('empty', { recursive: 'yes' })],
    ['rmdir(empty, { retryDelay: -1 })', (f) => f.rmdir('empty', { retryDelay: -1 })],
    ['rmdir(empty, { maxRetries: 2 ** 32 })', (f) => f.rmdir('empty', { maxRetries: 2 ** 32 })],
  ];
  for (const [name, op] of cases) test(name, () => diff(name, op, { setup }).then(() => {}));
});

// ---------------------------------------------------------------------------
// cp
// ---------------------------------------------------------------------------

describe('cp', () => {
  const setup = (): void => {
    tree('src');
    fs.writeFileSync('f', 'file');
    fs.writeFileSync('g', 'other');
    fs.mkdirSync('existing-dir');
    fs.mkdirSync('dest-dir/src', { recursive: true });
    fs.writeFileSync('dest-dir/src/a.txt', 'stale');
    execFileSync('mkfifo', ['fifo']);
    fs.utimesSync('f', 1000000, 2000000);
  };
  const cases: Array<[string, (f: Api) => unknown, DiffOptions?]> = [
    ['cp(f, new)', (f) => f.cp('f', 'new')],
    ['cp(f, g): replaced (force)', (f) => f.cp('f', 'g')],
    ['cp(f, g, { force: false }): left alone', (f) => f.cp('f', 'g', { force: false })],
    ['cp(f, g, { force: false, errorOnExist: true }): ERR_FS_CP_EEXIST', (f) => f.cp('f', 'g', { force: false, errorOnExist: true })],
    ['cp(f, f): ERR_FS_CP_EINVAL', (f) => f.cp('f', 'f')],
    ['cp(f, deep/er/new): parents made', (f) => f.cp('f', 'deep/er/new')],
    ['cp(src, out): ERR_FS_EISDIR without recursive', (f) => f.cp('src', 'out')],
    ['cp(src, out, { recursive: true })', (f) => f.cp('src', 'out', { recursive: true })],
    ['cp(src, dest-dir/src, { recursive: true }): merged', (f) => f.cp('src', 'dest-dir/src', { recursive: true })],
    ['cp(src, dest-dir/src, { recursive: true, force: false })', (f) => f.cp('src', 'dest-dir/src', { recursive: true, force: false })],
    ['cp(src, dest-dir/src, { recursive: true, force: false, errorOnExist: true })',
     (f) => f.cp('src', 'dest-dir/src', { recursive: true, force: false, errorOnExist: true })],
    ['cp(src, out, { recursive: true, dereference: true })', (f) => f.cp('src', 'out', { recursive: true, dereference: true })],
    ['cp(src, out, { recursive: true, verbatimSymlinks: true })', (f) => f.cp('src', 'out', { recursive: true, verbatimSymlinks: true })],
    ['cp(src, out, { recursive: true, filter: no .bin })', (f) => f.cp('src', 'out', { recursive: true, filter: (s: string) => !s.endsWith('.bin') })],
    ['cp(src, out, { recursive: true, filter: async, no sub })',
     (f) => f.cp('src', 'out', { recursive: true, filter: async (s: string) => !s.endsWith('sub') })],
    ['cp(src, out, { filter: () => false }): nothing', (f) => f.cp('src', 'out', { filter: () => false })],
    ['cp(src, out, { filter throws })', (f) => f.cp('src', 'out', { recursive: true, filter: () => { throw new Error('no'); } })],
    ['cp(src, src/sub/in, { recursive: true }): into itself', (f) => f.cp('src', 'src/sub/in', { recursive: true })],
    ['cp(src, f, { recursive: true }): ERR_FS_CP_DIR_TO_NON_DIR', (f) => f.cp('src', 'f', { recursive: true })],
    ['cp(f, existing-dir): ERR_FS_CP_NON_DIR_TO_DIR', (f) => f.cp('f', 'existing-dir')],
    ['cp(fifo, out): ERR_FS_CP_FIFO_PIPE', (f) => f.cp('fifo', 'out')],
    ['cp(missing, out): ENOENT', (f) => f.cp('missing', 'out')],
    ['cp(src/rel-link, out): a link, made absolute', (f) => f.cp('src/rel-link', 'out')],
    ['cp(src/rel-link, out, { verbatimSymlinks: true })', (f) => f.cp('src/rel-link', 'out', { verbatimSymlinks: true })],
    ['cp(src/rel-link, src/dangling): a link replaced', (f) => f.cp('src/rel-link', 'src/dangling')],
    ['cp(f, new, { preserveTimestamps: true })', (f) => f.cp('f', 'new', { preserveTimestamps: true }), { times: true }],
    ['cp(src, out, { recursive: true, preserveTimestamps: true })', (f) => f.cp('src', 'out', { recursive: true, preserveTimestamps: true }), { times: true }],
    ['cp(f, g, { mode: COPYFILE_EXCL })', (f) => f.cp('f', 'g', { mode: fs.constants.COPYFILE_EXCL })],
    ['cp(URL, URL)', (f) => f.cp(new URL(`file://${process.cwd()}/f`), new URL(`file://${process.cwd()}/new`))],
    ['cp(f, new, null)', (f) => f.cp('f', 'new', null)],
    ['cp(f, new, 5)', (f) => f.cp('f', 'new', 5)],
    ["cp(f, new, { recursive: 'yes' })", (f) => f.cp('f', 'new', { recursive: 'yes' })],
    ['cp(f, new, { force: 1 })', (f) => f.cp('f', 'new', { force: 1 })],
    ['cp(f, new, { filter: 5 })', (f) => f.cp('f', 'new', { filter: 5 })],
    ['cp(f, new, { mode: 8 })', (f) => f.cp('f', 'new', { mode: 8 })],
    ['cp(f, new, { dereference: true, verbatimSymlinks: true })', (f) => f.cp('f', 'new', { dereference: true, verbatimSymlinks: true })],
    ['cp(5, new)', (f) => f.cp(5, 'new')],
    ['cp(f, {})', (f) => f.cp('f', {})],
  ];
  for (const [name, op, opts] of cases) test(name, () => diff(name, op, { setup, ...opts }).then(() => {}));
});

// ---------------------------------------------------------------------------
// What Node does for us (no opcode): the same results and errors
// ---------------------------------------------------------------------------

describe('handed to node:fs/promises', () => {
  const setup = (): void => {
    tree('src');
    fs.writeFileSync('f', 'x');
  };
  const me = os.userInfo();
  const cases: Array<[string, (f: Api) => unknown]> = [
    ['readdir(src)', (f) => f.readdir('src').then((l: string[]) => l.sort())],
    ['readdir(src, { withFileTypes: true })', (f) => f.readdir('src', { withFileTypes: true }).then((l: fs.Dirent[]) => l.map((d) => [d.name, d.isDirectory(), d.isSymbolicLink()]).sort())],
    ['readdir(src, { recursive: true })', (f) => f.readdir('src', { recursive: true }).then((l: string[]) => l.sort())],
    ["readdir(src, 'buffer')", (f) => f.readdir('src', 'buffer').then((l: Buffer[]) => l.map(String).sort())],
    ['readdir(missing)', (f) => f.readdir('missing')],
    ['readdir(f): ENOTDIR', (f) => f.readdir('f')],
    ['readdir(5)', (f) => f.readdir(5)],
    ['opendir(src): names', async (f) => { const names: string[] = []; for await (const d of await f.opendir('src')) names.push(d.name); return names.sort(); }],
    ['opendir(missing)', (f) => f.opendir('missing')],
    ['readlink(src/rel-link)', (f) => f.readlink('src/rel-link')],
    ["readlink(src/rel-link, 'buffer')", (f) => f.readlink('src/rel-link', 'buffer')],
    ['readlink(f): EINVAL', (f) => f.readlink('f')],
    ['realpath(src/dir-link/deeper)', (f) => f.realpath('src/dir-link/deeper')],
    ['realpath(src/dangling): ENOENT', (f) => f.realpath('src/dangling')],
    ['chmod(f, 0o600)', async (f) => { await f.chmod('f', 0o600); return fs.statSync('f').mode & 0o777; }],
    ["chmod(f, '640')", async (f) => { await f.chmod('f', '640'); return fs.statSync('f').mode & 0o777; }],
    ['chmod(f, -1)', (f) => f.chmod('f', -1)],
    ['chmod(f)', (f) => f.chmod('f')],
    ['chmod(missing, 0o600)', (f) => f.chmod('missing', 0o600)],
    ['lchmod(f, 0o600): not on Linux', (f) => f.lchmod('f', 0o600)],
    ['chown(f, uid, gid)', (f) => f.chown('f', me.uid, me.gid)],
    ['chown(f, 1.5, 0)', (f) => f.chown('f', 1.5, 0)],
    ['lchown(src/rel-link, uid, gid)', (f) => f.lchown('src/rel-link', me.uid, me.gid)],
    ['chown(missing, uid, gid)', (f) => f.chown('missing', me.uid, me.gid)],
    ['utimes(f, 1, 2)', async (f) => { await f.utimes('f', 1, 2); return fs.statSync('f').mtimeMs; }],
    ['utimes(f, Date, Date)', async (f) => { await f.utimes('f', new Date(5000), new Date(7000)); return fs.statSync('f').atimeMs; }],
    ["utimes(f, 'x', 1)", (f) => f.utimes('f', 'x', 1)],
    ['utimes(missing, 1, 2)', (f) => f.utimes('missing', 1, 2)],
    ['lutimes(src/rel-link, 3, 4)', async (f) => { await f.lutimes('src/rel-link', 3, 4); return fs.lstatSync('src/rel-link').mtimeMs; }],
    ['statfs(.)', async (f) => { const s = await f.statfs('.'); return [s.type, s.bsize, s.constructor.name]; }],
    ['statfs(., { bigint: true })', async (f) => { const s = await f.statfs('.', { bigint: true }); return [typeof s.bsize]; }],
    ['statfs(missing)', (f) => f.statfs('missing')],
    ['access(f)', (f) => f.access('f')],
    ['access(missing)', (f) => f.access('missing')],
  ];
  for (const [name, op] of cases) test(name, () => diff(name, op, { setup }).then(() => {}));

  test('watch: an async iterator of changes, as Node\'s', async () => {
    await diff('watch(.)', async (f) => {
      const ac = new AbortController();
      const it = f.watch('.', { signal: ac.signal });
      setTimeout(() => fs.writeFileSync('watched', 'x'), 50);
      const events: unknown[] = [];
      try {
        for await (const e of it) {
          events.push(e);
          if ((e as { filename: string }).filename === 'watched') break;
        }
      } catch (e) {
        events.push(errRecord(e));
      }
      return events.find((e) => (e as { filename?: string }).filename === 'watched');
    });
    await same("watch(., 'bogus options')", async (f) => { for await (const e of f.watch('.', 5)) return e; });
    await same('watch(5)', async (f) => { for await (const e of f.watch(5)) return e; });
  });

  // glob (Node 22+): where the running Node has none, ringcore/fs has none either
  // (checked by 'every export of node:fs/promises' and here).
  const noGlob = typeof (nodeFs as Api).glob !== 'function';
  test('glob: where the running Node has none, neither has ringcore/fs', { skip: !noGlob && 'the running Node has glob' }, () => {
    assert.equal((ringFs as Api).glob, undefined);
    assert.equal('glob' in ringFs.default, false);
  });
  const globAll = async (it: AsyncIterable<unknown>): Promise<unknown[]> => {
    const out: unknown[] = [];
    for await (const p of it) out.push(p instanceof fs.Dirent ? [p.name, p.isDirectory()] : p);
    return out.map((v) => JSON.stringify(v)).sort();
  };
  const globCases: Array<[string, (f: Api) => unknown]> = [
    ["glob('src/**/*.txt')", (f) => globAll(f.glob('src/**/*.txt'))],
    ["glob(['src/*', 'f'])", (f) => globAll(f.glob(['src/*', 'f']))],
    ["glob('**', { cwd: 'src', withFileTypes: true })", (f) => globAll(f.glob('**', { cwd: 'src', withFileTypes: true }))],
    ["glob('src/**', { exclude: (p) => p.endsWith('.bin') })", (f) => globAll(f.glob('src/**', { exclude: (p: string) => p.endsWith('.bin') }))],
    ["glob('nothing-*')", (f) => globAll(f.glob('nothing-*'))],
    ['glob(5): checked on the first next()', (f) => { const it = f.glob(5); return it.next(); }],
    ["glob('*', 5)", (f) => globAll(f.glob('*', 5))],
  ];
  for (const [name, op] of globCases) test(name, { skip: noGlob && 'the running Node has no glob' }, () => diff(name, op, { setup }).then(() => {}));
});

// ---------------------------------------------------------------------------
// FileHandle: chmod, chown, utimes, sync, datasync, truncate, stat, 'close'
// ---------------------------------------------------------------------------

describe('FileHandle', () => {
  const setup = (): void => fs.writeFileSync('f', 'hello world');
  const withFh = (body: (fh: any) => unknown, flags = 'r+') => async (f: Api): Promise<unknown> => {
    const fh = await f.open('f', flags);
    try {
      return await body(fh);
    } finally {
      await fh.close();
    }
  };
  const me = os.userInfo();
  const cases: Array<[string, (f: Api) => unknown]> = [
    ['fh.chmod(0o600)', withFh(async (fh) => { await fh.chmod(0o600); return fs.statSync('f').mode & 0o777; })],
    ["fh.chmod('644')", withFh(async (fh) => { await fh.chmod('644'); return fs.statSync('f').mode & 0o777; })],
    ['fh.chmod()', withFh((fh) => fh.chmod())],
    ["fh.chmod('x')", withFh((fh) => fh.chmod('x'))],
    ['fh.chown(uid, gid)', withFh((fh) => fh.chown(me.uid, me.gid))],
    ["fh.chown('0', 0)", withFh((fh) => fh.chown('0', 0))],
    ['fh.chown(-2, 0)', withFh((fh) => fh.chown(-2, 0))],
    ['fh.utimes(1, 2)', withFh(async (fh) => { await fh.utimes(1, 2); return [fs.statSync('f').atimeMs, fs.statSync('f').mtimeMs]; })],
    ["fh.utimes('1.5', new Date(3000))", withFh(async (fh) => { await fh.utimes('1.5', new Date(3000)); return fs.statSync('f').mtimeMs; })],
    ['fh.utimes({}, 1)', withFh((fh) => fh.utimes({}, 1))],
    ['fh.sync(), fh.datasync()', withFh(async (fh) => [await fh.sync(), await fh.datasync()])],
    ['fh.truncate(3)', withFh(async (fh) => { await fh.truncate(3); return fs.readFileSync('f', 'utf8'); })],
    ['fh.truncate(-5): to 0', withFh(async (fh) => { await fh.truncate(-5); return fs.statSync('f').size; })],
    ['fh.truncate(1.5)', withFh((fh) => fh.truncate(1.5))],
    ['fh.truncate() on a read-only handle: EINVAL', withFh((fh) => fh.truncate(), 'r')],
    ['fh.chmod on a closed handle', async (f) => { const fh = await f.open('f'); await fh.close(); return fh.chmod(0o600); }],
    ['fh.chown on a closed handle', async (f) => { const fh = await f.open('f'); await fh.close(); return fh.chown(0, 0); }],
    ['fh.utimes on a closed handle', async (f) => { const fh = await f.open('f'); await fh.close(); return fh.utimes(1, 1); }],
    ['fh.datasync on a closed handle', async (f) => { const fh = await f.open('f'); await fh.close(); return fh.datasync(); }],
    ['fh.truncate on a closed handle', async (f) => { const fh = await f.open('f'); await fh.close(); return fh.truncate(1); }],
    ['fh.stat on a closed handle', async (f) => { const fh = await f.open('f'); await fh.close(); return fh.stat(); }],
    ['fh.readv on a closed handle', async (f) => { const fh = await f.open('f'); await fh.close(); return fh.readv([Buffer.alloc(1)]); }],
  ];
  for (const [name, op] of cases) test(name, () => diff(name, op, { setup }).then(() => {}));

  test("'close' is emitted once, synchronously by close(), as Node's; on/once/off/emit/listenerCount", async () => {
    await diff("fh.on('close')", async (f) => {
      const fh = await f.open('f');
      const seen: unknown[] = [];
      fh.on('close', () => seen.push(['close', fh.fd]));
      fh.once('custom', (x: unknown) => seen.push(['custom', x]));
      seen.push(['emit', fh.emit('custom', 1), fh.emit('custom', 2), fh.listenerCount('close')]);
      const fn = (): void => { seen.push('removed listener ran'); };
      fh.on('close', fn);
      fh.off('close', fn);
      const p = fh.close();
      seen.push('after close()');
      const p2 = fh.close();
      await p;
      await p2;
      await fh.close();
      seen.push(['eventNames', fh.eventNames()]);
      return seen;
    }, { setup });
  });

  test('a FileHandle without listeners: closing it needs no emitter state', async () => {
    const fh = await ringFs.open(__filenameOf());
    await fh.close();
    assert.equal(Object.prototype.hasOwnProperty.call(fh, '_events'), false);
  });
});

// ---------------------------------------------------------------------------
// Stats and BigIntStats
// ---------------------------------------------------------------------------

describe('Stats / BigIntStats', () => {
  const setup = (): void => {
    fs.writeFileSync('f', 'x'.repeat(5000));
    fs.symlinkSync('f', 'l');
    fs.mkdirSync('d');
  };
  const shape = (s: any): unknown => ({
    ctor: s.constructor.name,
    keys: Object.keys(s),
    types: Object.values(s).map((v) => (v instanceof Date ? 'Date' : typeof v)),
    methods: ['isFile', 'isDirectory', 'isSymbolicLink', 'isFIFO', 'isSocket', 'isCharacterDevice', 'isBlockDevice'].map((m) => s[m]()),
    stats: s instanceof fs.Stats,
    inspect: inspect(s).split('\n')[0],
    // Numbers that do not depend on which sandbox the file is in.
    values: [s.mode, s.size, s.nlink, s.uid, s.gid, s.rdev, s.blksize, s.blocks, s.mtimeMs > 0, s.birthtime instanceof Date],
  });
  const cases: Array<[string, (f: Api) => unknown]> = [
    ['stat(f)', async (f) => shape(await f.stat('f'))],
    ['stat(f, { bigint: true })', async (f) => shape(await f.stat('f', { bigint: true }))],
    ['lstat(l, { bigint: true })', async (f) => shape(await f.lstat('l', { bigint: true }))],
    ['stat(d, { bigint: true })', async (f) => shape(await f.stat('d', { bigint: true }))],
    ["stat(f, { bigint: 'yes' }): Number stats", async (f) => shape(await f.stat('f', { bigint: 'yes' }))],
    ['stat(f, null): TypeError reading bigint', (f) => f.stat('f', null)],
    ['stat(/dev/null, { bigint: true })', async (f) => shape(await f.stat('/dev/null', { bigint: true }))],
    ['fh.stat({ bigint: true })', async (f) => { const fh = await f.open('f'); try { return shape(await fh.stat({ bigint: true })); } finally { await fh.close(); } }],
    ['fh.stat()', async (f) => { const fh = await f.open('f'); try { return shape(await fh.stat()); } finally { await fh.close(); } }],
  ];
  for (const [name, op] of cases) test(name, () => diff(name, op, { setup }).then(() => {}));

  test('nanosecond times equal Node\'s, to the nanosecond', async () => {
    const p = path.join(base, `ns${caseNo++}`);
    fs.writeFileSync(p, 'x');
    fs.utimesSync(p, 1.123456789, 1234567890.987654321);
    const n = await nodeFs.stat(p, { bigint: true });
    const r = await ringFs.stat(p, { bigint: true });
    for (const k of ['atimeNs', 'mtimeNs', 'ctimeNs', 'birthtimeNs', 'atimeMs', 'mtimeMs', 'dev', 'ino', 'rdev'] as const) {
      assert.equal(r[k], n[k], k);
    }
    assert.deepEqual(r.mtime, n.mtime);
  });
});

// ---------------------------------------------------------------------------
// Argument rules of Node 20
// ---------------------------------------------------------------------------

describe('argument rules', () => {
  const setup = (): void => {
    fs.writeFileSync('f', 'hello world');
  };
  const withFh = (body: (fh: any) => unknown) => async (f: Api): Promise<unknown> => {
    const fh = await f.open('f', 'r+');
    try {
      return await body(fh);
    } finally {
      await fh.close();
    }
  };
  const after = (o: unknown): unknown => (o && typeof o === 'object' && 'bytesWritten' in (o as object)
    ? { bytesWritten: (o as { bytesWritten: number }).bytesWritten, file: fs.readFileSync('f', 'latin1') } : o);
  const cases: Array<[string, (f: Api) => unknown]> = [];
  // (1) flush must be a boolean
  for (const v of ['true', '', 0, 1, [], {}, Symbol('s'), null, true, false]) {
    cases.push([`writeFile(f, x, { flush: ${String(typeof v === 'symbol' ? 'Symbol' : JSON.stringify(v))} })`, (f) => f.writeFile('f', 'x', { flush: v })]);
    cases.push([`appendFile(f, x, { flush: ${String(typeof v === 'symbol' ? 'Symbol' : JSON.stringify(v))} })`, (f) => f.appendFile('f', 'x', { flush: v })]);
  }
  // (2) mkdir's recursive must be a boolean
  for (const [label, v] of [["''", ''], ['1', 1], ['{}', {}], ['[]', []], ['null', null], ['Symbol', Symbol('s')], ['function', () => {}], ["'true'", 'true']] as const) {
    cases.push([`mkdir(n, { recursive: ${label} })`, (f) => f.mkdir('n', { recursive: v })]);
  }
  cases.push(["mkdir(n, { recursive: 1, mode: 'bad' }): recursive checked first", (f) => f.mkdir('n', { recursive: 1, mode: 'bad' })]);
  cases.push(["mkdir(5, { recursive: 1 }): the path first", (f) => f.mkdir(5, { recursive: 1 })]);
  cases.push(['mkdir(n, true)', (f) => f.mkdir('n', true)]);
  // (3) a FileHandle method on something else
  for (const m of ['stat', 'read', 'write', 'readv', 'writev', 'sync', 'datasync', 'truncate', 'chmod', 'chown', 'utimes', 'readFile', 'writeFile', 'appendFile']) {
    cases.push([`FileHandle.prototype.${m}.call({})`, async (f) => {
      const fh = await f.open('f');
      try {
        return await Object.getPrototypeOf(fh)[m].call({}, Buffer.alloc(1));
      } finally {
        await fh.close();
      }
    }]);
  }
  // (4) write(string, position, encoding)
  for (const [label, args] of [
    ['(s, 0, 16)', [0, 16]], ["(s, 0, 'bogus')", [0, 'bogus']], ["(s, 'utf8')", ['utf8']], ["(s, null, 'hex') even", [null, 'hex']],
    ["(s, 0, 'latin1')", [0, 'latin1']], ["(s, 2, 'UCS2')", [2, 'UCS2']], ["(s, 0, 'buffer')", [0, 'buffer']], ["(s, 1, 'base64')", [1, 'base64']],
    ['(s, 1.5)', [1.5]], ['(s, -2)', [-2]], ["(s, '5')", ['5']], ['(s, {})', [{}]], ['(s, 3n)', [3n]], ['(s, 2 ** 53)', [2 ** 53]],
  ] as const) {
    cases.push([`write${label}`, withFh(async (fh) => { await fh.read(Buffer.alloc(2), 0, 2, null); return after(await fh.write('ÿab0', ...args)); })]);
  }
  cases.push(["write('abc', 0, 'hex'): odd hex", withFh((fh) => fh.write('abc', 0, 'hex'))]);
  cases.push(["write('abc', 0, 'HEX'): odd hex", withFh((fh) => fh.write('abc', 0, 'HEX'))]);
  cases.push(['write({ byteLength: 0 })', withFh(async (fh) => (await fh.write({ byteLength: 0 })).bytesWritten)]);
  cases.push(['write(buf, null, 1, 0): a null offset is an options object', withFh(async (fh) => after(await fh.write(Buffer.from('XY'), null, 1, 0)))]);
  cases.push(['write(buf, 0, 2, 1.5): current position', withFh(async (fh) => { await fh.read(Buffer.alloc(3), 0, 3, null); return after(await fh.write(Buffer.from('XY'), 0, 2, 1.5)); })]);
  cases.push(['write(buf, 0, 2, -3): current position', withFh(async (fh) => { await fh.read(Buffer.alloc(3), 0, 3, null); return after(await fh.write(Buffer.from('XY'), 0, 2, -3)); })]);
  cases.push(["write(buf, 0, '1', 4): a non-number length is the rest", withFh(async (fh) => after(await fh.write(Buffer.from('XY'), 0, '1', 4)))]);
  cases.push(['read(buf, 0, 4, 1.5): current position', withFh(async (fh) => { await fh.read(Buffer.alloc(3), 0, 3, null); const r = await fh.read(Buffer.alloc(4), 0, 4, 1.5); return r.buffer.toString(); })]);
  cases.push(["read(buf, 0, 4, '2'): current position", withFh(async (fh) => { const r = await fh.read(Buffer.alloc(4), 0, 4, '2'); return r.buffer.toString(); })]);
  cases.push(['read(buf, 0, 4, -7): current position', withFh(async (fh) => { const r = await fh.read(Buffer.alloc(4), 0, 4, -7); return r.buffer.toString(); })]);
  cases.push(['readv([buf], 1.5): current position', withFh(async (fh) => { const r = await fh.readv([Buffer.alloc(4)], 1.5); return r.buffers[0].toString(); })]);
  // (6) ERR_OUT_OF_RANGE worded as Node
  cases.push(['truncate(f, 1.5)', (f) => f.truncate('f', 1.5)]);
  cases.push(["open(f, 'r', 1.5)", (f) => f.open('f', 'r', 1.5)]);
  cases.push(['read(buf, 1.5)', withFh((fh) => fh.read(Buffer.alloc(4), 1.5))]);
  cases.push(['write(buf, 0, 2 ** 32)', withFh((fh) => fh.write(Buffer.alloc(4), 0, 2 ** 32))]);
  cases.push(['copyFile(f, g, 2 ** 40)', (f) => f.copyFile('f', 'g', 2 ** 40)]);
  cases.push(['rm(f, { retryDelay: 1.5 })', (f) => f.rm('f', { retryDelay: 1.5 })]);
  for (const [name, op] of cases) test(name, () => diff(name, op, { setup }).then(() => {}));

  // (7) bigint positions: as Node documents them (Node 20 itself ignores a bigint
  // position and reads at the file position; Node 22 honours it), compared with
  // Node's results for the same Number position where one exists.
  test('(7) read at bigint positions up to 2^63-1: 0 bytes past the end; beyond: ERR_OUT_OF_RANGE', async () => {
    const p = path.join(base, `big${caseNo++}`);
    fs.writeFileSync(p, 'hello world');
    const fh = await ringFs.open(p, 'r');
    try {
      assert.deepEqual(await fh.read(Buffer.alloc(4), 0, 4, 2n ** 63n - 5n), { bytesRead: 0, buffer: Buffer.alloc(4) });
      assert.equal((await fh.read(Buffer.alloc(4), 0, 4, 2n ** 53n + 1n)).bytesRead, 0);
      assert.equal((await fh.read(Buffer.alloc(4), 0, 4, 6n)).buffer.toString(), 'worl');
      assert.equal((await fh.readv([Buffer.alloc(4)], 2n ** 62n)).bytesRead, 0);
      await assert.rejects(fh.read(Buffer.alloc(4), 0, 4, 2n ** 63n - 4n), {
        code: 'ERR_OUT_OF_RANGE', name: 'RangeError',
        message: 'The value of "position" is out of range. It must be >= -1 && <= 9223372036854775803. Received 9_223_372_036_854_775_804n',
      });
      await assert.rejects(fh.read(Buffer.alloc(4), 0, 4, -2n), { code: 'ERR_OUT_OF_RANGE' });
      // A read at a big position is the kernel's answer, not a shortcut: the SQE carries all 64 bits.
      const w = await ringFs.open(p, 'r+');
      try {
        await assert.rejects(w.write(Buffer.from('x'), 0, 1, 2n ** 62n), (e: any) => e.code === 'EFBIG' || e.code === 'EINVAL');
      } finally {
        await w.close();
      }
    } finally {
      await fh.close();
    }
  });

  // (9) readFile of a file over 2 GiB
  test('(9) readFile of a 3 GiB sparse file: ERR_FS_FILE_TOO_LARGE, as Node (path and FileHandle; nothing read)', async () => {
    const p = path.join(base, `huge${caseNo++}`);
    const fd = fs.openSync(p, 'w');
    fs.ftruncateSync(fd, 3 * 2 ** 30);
    fs.closeSync(fd);
    try {
      await same('readFile(3 GiB)', (f) => f.readFile(p));
      await same("readFile(3 GiB, 'utf8')", (f) => f.readFile(p, 'utf8'));
      await same('fh.readFile() of 3 GiB, then the position is unchanged', async (f) => {
        const fh = await f.open(p);
        try {
          const e = await fh.readFile().then(() => 'resolved', (err: any) => errRecord(err));
          const { bytesRead } = await fh.read(Buffer.alloc(8), 0, 8, null);
          return [e, bytesRead];
        } finally {
          await fh.close();
        }
      });
      const size = 2 ** 31 - 1;
      fs.truncateSync(p, size + 1);
      await same('readFile(2 GiB exactly: one byte over)', (f) => f.readFile(p));
    } finally {
      fs.rmSync(p);
    }
  });

  // (10) readFile/writeFile/appendFile with a FileHandle of either library
  test("(10) readFile/writeFile/appendFile take a FileHandle of either library (Node's by its fd)", async () => {
    // ring's functions with a Node FileHandle, and with its own, each beside Node's with Node's.
    for (const [label, ringOpener] of [['node FileHandle', NODE], ['ring FileHandle', RING]] as const) {
      await diff(`readFile/writeFile/appendFile(${label})`, async (f) => {
        const fh = await (f === NODE ? NODE : ringOpener).open('f', 'r+');
        try {
          const out: unknown[] = [];
          await fh.read(Buffer.alloc(2), 0, 2, null);
          out.push(await f.readFile(fh, 'utf8'));
          await f.writeFile(fh, '+W');
          await f.appendFile(fh, Buffer.from('+A'), { flush: true });
          out.push(fs.readFileSync('f', 'utf8'));
          out.push(await f.readFile(fh));
          out.push(await f.writeFile(fh, (async function* () { yield 'it'; yield Buffer.from('er'); })()));
          out.push(fs.readFileSync('f', 'utf8'));
          return out.map((v) => (Buffer.isBuffer(v) ? `buffer:${v.toString()}` : v));
        } finally {
          await fh.close();
        }
      }, { setup });
    }
    // A closed handle: Node's readFile fstat()s fd -1; writeFile of no bytes writes nothing.
    await diff('readFile(closed FileHandle)', async (f) => { const fh = await f.open('f'); await fh.close(); return f.readFile(fh); }, { setup });
    await diff('writeFile(closed FileHandle, x)', async (f) => { const fh = await f.open('f'); await fh.close(); return f.writeFile(fh, 'x'); }, { setup });
    await diff("writeFile(closed FileHandle, '')", async (f) => { const fh = await f.open('f'); await fh.close(); return f.writeFile(fh, ''); }, { setup });
  });
});

test('every fd opened by this file is closed', async () => {
  for (let i = 0; i < 50 && fdsLeft().length > 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(fdsLeft(), []);
});
