/**
 * examples/lib/confine.ts: request targets mapped to files under a root directory,
 * against a real temp tree with symlinks pointing inside and outside the root, and
 * every traversal spelling we could think of.  Touches only its own temp directory.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { resolveUnderRoot, contentType, ServedRoot } from '../examples/lib/confine.js';
import { openat2, RESOLVE, defaultRing } from 'ringcore';
import { FileHandle } from 'ringcore/fs';
import { fileURLToPath } from 'node:url';
import { scriptCommand } from './helpers.js';
type Resolved = Awaited<ReturnType<typeof resolveUnderRoot>>;

let base: string; // real path of the temp dir
let root: string; // <base>/root
let outside: string; // <base>/outside
let evil: string; // <base>/root-evil: shares the root's name as a prefix
let hasFifo = false;

before(() => {
  base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'ringcore-confine-')));
  root = path.join(base, 'root');
  outside = path.join(base, 'outside');
  evil = path.join(base, 'root-evil');
  for (const d of [root, outside, evil, `${root}/sub`, `${root}/empty`, `${root}/etc`, `${root}/idx-out`, `${root}/idx-dir/index.html`]) {
    fs.mkdirSync(d, { recursive: true });
  }
  const files: Record<string, string> = {
    'root/index.html': 'root index',
    'root/a.txt': 'a',
    'root/a b.txt': 'space',
    'root/a\\b.txt': 'backslash',
    'root/..x': 'dotdot-prefixed name',
    'root/caf\u00e9.txt': 'utf8',
    'root/sub/index.html': 'sub index',
    'root/sub/page.css': 'css',
    'root/etc/passwd': 'not the real one',
    'outside/secret.txt': 'secret',
    'outside/index.html': 'outside index',
    'root-evil/secret.txt': 'evil secret',
  };
  for (const [p, content] of Object.entries(files)) fs.writeFileSync(path.join(base, p), content);
  fs.symlinkSync('a.txt', `${root}/link-in`); // relative, inside
  fs.symlinkSync(`${root}/sub`, `${root}/link-sub`); // absolute, inside
  fs.symlinkSync('../outside/secret.txt', `${root}/link-out`);
  fs.symlinkSync(outside, `${root}/link-outdir`);
  fs.symlinkSync('../root-evil/secret.txt', `${root}/link-evil`);
  fs.symlinkSync('../../outside/index.html', `${root}/idx-out/index.html`);
  fs.symlinkSync('missing', `${root}/dangling`);
  fs.symlinkSync('loop', `${root}/loop`);
  try {
    execFileSync('mkfifo', [`${root}/fifo`]);
    hasFifo = true;
  } catch {
    // no mkfifo: that case is skipped
  }
});

after(() => {
  fs.rmSync(base, { recursive: true, force: true });
});

const resolve = (target: string): Promise<Resolved> => resolveUnderRoot(root, target);

async function expectPath(target: string, rel: string): Promise<void> {
  assert.deepEqual(await resolve(target), { path: path.join(root, rel) }, target);
}

async function expectStatus(target: string, status: 301 | 400 | 403 | 404): Promise<void> {
  assert.deepEqual(await resolve(target), { status }, target);
}

function inside(p: string, dir: string): boolean {
  return p === dir || p.startsWith(dir + path.sep);
}

describe('resolveUnderRoot', () => {
  test('plain files, encoded names, query and fragment', async () => {
    await expectPath('/a.txt', 'a.txt');
    await expectPath('/a.txt?x=/../../etc/passwd', 'a.txt');
    await expectPath('/a.txt#../../x', 'a.txt');
    await expectPath('/a%20b.txt', 'a b.txt');
    await expectPath('/caf%C3%A9.txt', 'caf\u00e9.txt');
    await expectPath('/sub/page.css', 'sub/page.css');
    await expectPath('/./sub/./page.css', 'sub/page.css');
    await expectPath('/sub//page.css', 'sub/page.css');
    assert.deepEqual(await resolveUnderRoot(root, '/..x', 'allow'), { path: path.join(root, '..x') }, 'a name that starts with ".." is not a ".." segment');
    await expectPath('/a\\b.txt', 'a\\b.txt');
    await expectPath('/a%5Cb.txt', 'a\\b.txt');
  });

  test('dotfiles: ignored (404) by default, 403 with deny, served with allow; also through a symlink', async () => {
    fs.writeFileSync(`${root}/.env`, 'SECRET=1');
    fs.mkdirSync(`${root}/.git`, { recursive: true });
    fs.writeFileSync(`${root}/.git/config`, '[core]');
    fs.symlinkSync('.git', `${root}/public-git`);
    try {
      for (const t of ['/.env', '/.git/config', '/%2eenv', '/%2Egit/config', '/sub/../.env', '/.git/', '/..x']) {
        const expected = t === '/sub/../.env' ? 400 : 404;
        assert.deepEqual(await resolveUnderRoot(root, t), { status: expected }, t);
      }
      assert.deepEqual(await resolveUnderRoot(root, '/public-git/config'), { status: 404 }, 'symlink to a dot directory');
      assert.deepEqual(await resolveUnderRoot(root, '/.env', 'deny'), { status: 403 });
      assert.deepEqual(await resolveUnderRoot(root, '/public-git/config', 'deny'), { status: 403 });
      assert.deepEqual(await resolveUnderRoot(root, '/.env', 'allow'), { path: path.join(root, '.env') });
      assert.deepEqual(await resolveUnderRoot(root, '/.git/config', 'allow'), { path: path.join(root, '.git/config') });
    } finally {
      fs.rmSync(`${root}/.env`);
      fs.rmSync(`${root}/.git`, { recursive: true });
      fs.rmSync(`${root}/public-git`);
    }
  });

  test('percent-decoding happens once: %25 stays a literal percent', async () => {
    fs.writeFileSync(`${root}/%2e%2e`, 'literal');
    try {
      await expectPath('/%252e%252e', '%2e%2e');
    } finally {
      fs.rmSync(`${root}/%2e%2e`);
    }
  });

  test('directories: 301 without the trailing slash, index.html with it, else 404', async () => {
    await expectPath('/', 'index.html');
    await expectStatus('/sub', 301);
    await expectPath('/sub/', 'sub/index.html');
    await expectPath('/sub/index.html', 'sub/index.html');
    await expectStatus('/empty/', 404);
    await expectStatus('/empty', 301);
    await expectStatus('/idx-dir/', 404); // its index.html is a directory
    // index: false (file_server --no-index): a directory is 404, slash or not... after the 301.
    const r = await ServedRoot.open(root);
    try {
      assert.deepEqual(await r.openTarget({ rel: 'sub', trailingSlash: true }, 'ignore', false), { status: 404 });
      assert.deepEqual(await r.openTarget({ rel: '', trailingSlash: false }, 'ignore', false), { status: 404 });
      assert.deepEqual(await r.openTarget({ rel: 'sub', trailingSlash: false }, 'ignore', false), { status: 301 });
    } finally {
      await r.close();
    }
  });

  test('missing files are 404', async () => {
    await expectStatus('/missing.txt', 404);
    await expectStatus('/missing/a.txt', 404);
    await expectStatus('/a.txt/', 404);
    await expectStatus('/a.txt/x', 404);
    await expectStatus('/dangling', 404);
    await expectStatus('/...', 404);
  });

  test('symlinks pointing inside the root are followed (absolute ones too, by their real path)', async () => {
    await expectPath('/link-in', 'a.txt');
    await expectPath('/link-sub/page.css', 'sub/page.css');
    await expectPath('/link-sub/', 'sub/index.html');
  });

  test('noSymlinks (RESOLVE_NO_SYMLINKS): every symlink is 403, plain files still served', async () => {
    const opts = { noSymlinks: true };
    assert.deepEqual(await resolveUnderRoot(root, '/link-in', 'ignore', opts), { status: 403 });
    assert.deepEqual(await resolveUnderRoot(root, '/link-sub/page.css', 'ignore', opts), { status: 403 });
    assert.deepEqual(await resolveUnderRoot(root, '/link-out', 'ignore', opts), { status: 403 });
    assert.deepEqual(await resolveUnderRoot(root, '/a.txt', 'ignore', opts), { path: path.join(root, 'a.txt') });
  });

  test('a ServedRoot keeps serving after the root is renamed (the fd is what confines)', async () => {
    const r = await ServedRoot.open(root);
    const moved = root + '-moved';
    fs.renameSync(root, moved);
    try {
      assert.deepEqual(await resolveUnderRoot(r, '/a.txt'), { path: path.join(moved, 'a.txt') });
      assert.deepEqual(await resolveUnderRoot(r, '/link-out'), { status: 403 });
    } finally {
      fs.renameSync(moved, root);
      await r.close();
    }
  });

  test('symlinks pointing outside the root are 403', async () => {
    await expectStatus('/link-out', 403);
    await expectStatus('/link-outdir', 403);
    await expectStatus('/link-outdir/', 403);
    await expectStatus('/link-outdir/secret.txt', 403);
    await expectStatus('/link-evil', 403); // root-evil starts with the root's path
    await expectStatus('/idx-out/', 403); // the directory is inside, its index.html is not
    await expectStatus('/loop', 403);
  });

  test('non-regular files are 403', async (t) => {
    if (!hasFifo) return t.skip('mkfifo not available');
    await expectStatus('/fifo', 403);
  });

  test('a FIFO is looked at, never opened: a writer waiting for a reader stays waiting', async (t) => {
    if (!hasFifo) return t.skip('mkfifo not available');
    // A writer's blocking open(2) of a FIFO returns once some reader opens it — even a
    // reader that opens O_NONBLOCK and closes at once, as this resolver once did.
    const writer = spawn('sh', ['-c', `exec 3>'${root}/fifo'; echo opened`], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    writer.stdout!.on('data', (d) => { out += d; });
    const gone = new Promise((r) => writer.once('close', r));
    try {
      await new Promise((r) => setTimeout(r, 100)); // the writer is in its open
      await expectStatus('/fifo', 403);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(out, '', 'the FIFO was opened for reading (its writer went on)');
    } finally {
      writer.kill();
      await gone;
    }
  });

  test('a name swapped for a FIFO right after it was looked at: the file looked at is what opens, never the FIFO', async (t) => {
    if (!hasFifo) return t.skip('mkfifo not available');
    const victim = `${root}/victim`;
    const fifo = `${root}/victim.fifo`;
    fs.writeFileSync(victim, 'the file looked at');
    execFileSync('mkfifo', [fifo]);
    const writer = spawn('sh', ['-c', `exec 3>'${fifo}'; echo opened`], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    writer.stdout!.on('data', (d) => { out += d; });
    const gone = new Promise((r) => writer.once('close', r));
    const served = await ServedRoot.open(root);
    try {
      // The swap lands between the O_PATH look and the open for reading (a rename by
      // someone who can write in the served tree).
      const hooked = served as unknown as { openBeneath(rel: string, flags: number): Promise<unknown> };
      const look = hooked.openBeneath;
      hooked.openBeneath = async function (rel: string, flags: number) {
        const r = await look.call(this, rel, flags);
        if (rel === 'victim') fs.renameSync(fifo, victim);
        return r;
      };
      await new Promise((r) => setTimeout(r, 100)); // the writer waits in its open
      const o = await served.openTarget({ rel: 'victim', trailingSlash: false } as Parameters<ServedRoot['openTarget']>[0]);
      assert.ok(!('status' in o), `refused: ${'status' in o ? o.status : ''}`);
      const buf = Buffer.alloc(64);
      const { bytesRead } = await o.fh.read(buf, 0, 64, 0);
      await o.fh.close();
      assert.equal(buf.toString('utf8', 0, bytesRead), 'the file looked at');
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(out, '', 'the FIFO renamed in was opened for reading (its writer went on)');
    } finally {
      writer.kill();
      await gone;
      await served.close();
      fs.rmSync(victim, { force: true });
    }
  });

  test('a directory with search (x) but no read permission still serves its index.html', async (t) => {
    // As root, permission bits do not apply (CAP_DAC_OVERRIDE): the server runs without
    // that capability (setpriv --bounding-set; the files stay root's, so owner bits count).
    const tree = fs.mkdtempSync(path.join(os.tmpdir(), 'ringcore-xonly-'));
    let server: ReturnType<typeof spawn> | undefined;
    try {
      fs.mkdirSync(`${tree}/site/x-only`, { recursive: true });
      fs.writeFileSync(`${tree}/site/x-only/index.html`, 'behind a search-only directory');
      fs.writeFileSync(`${tree}/site/x-only/page.txt`, 'page');
      fs.chmodSync(`${tree}/site/x-only`, 0o311);
      const [cmd, args] = scriptCommand(fileURLToPath(new URL('../examples/run.js', import.meta.url)), 'file_server',
        '--root', `${tree}/site`, '--port', '0');
      let argv = [cmd, ...args];
      if (process.getuid?.() === 0) {
        try {
          execFileSync('setpriv', ['--bounding-set=-dac_override,-dac_read_search', 'true']);
        } catch {
          return t.skip('running as root without setpriv: cannot drop CAP_DAC_OVERRIDE to make the permission bits apply');
        }
        argv = ['setpriv', '--bounding-set=-dac_override,-dac_read_search', ...argv];
        // The check proves something only if the directory is unreadable to the server.
        assert.throws(() => execFileSync('setpriv', ['--bounding-set=-dac_override,-dac_read_search', 'ls', `${tree}/site/x-only`], { stdio: 'ignore' }));
      }
      const env: NodeJS.ProcessEnv = { ...process.env };
      delete env.NODE_TEST_CONTEXT;
      delete env.RINGCORE_TRACE;
      server = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env });
      const port = await new Promise<number>((resolve, reject) => {
        let out = '';
        let err = '';
        server!.stderr!.on('data', (d) => { err += d; });
        server!.stdout!.on('data', (d) => {
          out += d;
          const m = /listening on http:\/\/[^:]+:(\d+)/.exec(out);
          if (m) resolve(Number(m[1]));
        });
        server!.once('exit', (code) => reject(new Error(`file_server exited (${code}): ${err}`)));
      });
      const get = async (p: string) => {
        const r = await fetch(`http://127.0.0.1:${port}${p}`);
        return [r.status, await r.text()];
      };
      assert.deepEqual(await get('/x-only/'), [200, 'behind a search-only directory']);
      assert.deepEqual(await get('/x-only/page.txt'), [200, 'page']);
    } finally {
      if (server !== undefined && server.exitCode === null) {
        const gone = new Promise((r) => server!.once('exit', r));
        server.kill();
        await gone;
      }
      fs.chmodSync(`${tree}/site/x-only`, 0o755);
      fs.rmSync(tree, { recursive: true, force: true });
    }
  });

  test('traversal attempts', async () => {
    await expectStatus('/../etc/passwd', 400);
    await expectStatus('/..', 400);
    await expectStatus('/sub/../a.txt', 400);
    await expectStatus('/%2e%2e/%2e%2e/etc/passwd', 400);
    await expectStatus('/%2E%2e/x', 400);
    await expectStatus('/.%2e/x', 400);
    await expectStatus('/%2e./x', 400);
    await expectStatus('/a/..%2f..%2fetc', 400);
    await expectStatus('/a/..%2F..%2Fetc/passwd', 400);
    await expectStatus('/..\\..\\etc', 400);
    await expectStatus('/..%5c..%5cetc', 400);
    await expectStatus('/sub\\..\\..\\etc', 400);
    await expectStatus('/%00', 400);
    await expectStatus('/a.txt%00.html', 400);
    await expectStatus('/a.txt\0', 400);
    // Absolute-looking decoded paths stay under the root.
    await expectPath('/%2fetc%2fpasswd', 'etc/passwd');
    await expectPath('//etc/passwd', 'etc/passwd');
    await expectPath('/%2fetc/passwd', 'etc/passwd');
    await expectPath('///%2F%2Fetc/passwd', 'etc/passwd');
  });

  test('malformed targets are 400', async () => {
    for (const t of ['', '*', 'a.txt', 'http://h/a.txt', '../etc/passwd', '%2fa.txt', '/%', '/%2', '/%zz', '/%ff', '/%c3', '/%C3%28']) {
      await expectStatus(t, 400);
    }
  });

  test('never a path outside the root, whatever the spelling', async () => {
    const parts = ['..', '%2e%2e', '%2E%2e', '.%2e', '..%2f', '..%5c', '..\\', '%2f', '', '.', 'etc', 'passwd', 'sub', 'link-out', 'link-outdir', 'link-in', 'a.txt', '%00', '%'];
    let seed = 12345;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const seen = new Set<number | string>();
    for (let i = 0; i < 1500; i++) {
      const n = 1 + rand(6);
      let t = '';
      for (let k = 0; k < n; k++) t += '/' + parts[rand(parts.length)];
      const r = await resolve(t);
      if ('path' in r) {
        assert.ok(inside(r.path, root), `${t} -> ${r.path}`);
        assert.ok(fs.statSync(r.path).isFile(), `${t} -> ${r.path} is a file`);
        seen.add('path');
      } else {
        seen.add(r.status);
      }
    }
    assert.deepEqual([...seen].sort(), [301, 400, 403, 404, 'path'].sort(), 'the random targets reached every outcome');
  });

  test('a root given through a symlink or with a trailing slash', async () => {
    const alias = path.join(base, 'alias');
    fs.symlinkSync(root, alias);
    assert.deepEqual(await resolveUnderRoot(alias, '/sub/page.css'), { path: path.join(root, 'sub/page.css') });
    assert.deepEqual(await resolveUnderRoot(alias, '/link-out'), { status: 403 });
    assert.deepEqual(await resolveUnderRoot(root + '/', '/a.txt'), { path: path.join(root, 'a.txt') });
  });

  test('a missing root is a configuration error, not a status', async () => {
    await assert.rejects(resolveUnderRoot(path.join(base, 'nope'), '/a.txt'), { code: 'ENOENT' });
    await assert.rejects(resolveUnderRoot(path.join(root, 'a.txt'), '/'), { code: 'ENOTDIR' });
  });
});

const o2 = (...a: Parameters<typeof openat2>): Promise<number> => openat2(...a).promise();

describe('openat2 (IORING_OP_OPENAT2)', () => {
  test('opens beneath a directory fd; the kernel refuses every way out with EXDEV', async () => {
    const dirfd = await openat2(-100, root, { flags: fs.constants.O_DIRECTORY | 0o10000000 /* O_PATH */ });
    const beneath = { resolve: RESOLVE.BENEATH | RESOLVE.NO_MAGICLINKS };
    try {
      const fd = await openat2(dirfd, 'sub/page.css', beneath);
      const fh = new FileHandle(defaultRing(), fd);
      assert.equal(await fh.readFile('utf8'), 'css');
      await fh.close();
      for (const p of ['../outside/secret.txt', 'link-out', 'link-outdir/secret.txt', 'link-sub/page.css', outside + '/secret.txt']) {
        await assert.rejects(o2(dirfd, p, beneath), { code: 'EXDEV', syscall: 'openat2', path: p }, p);
      }
      await assert.rejects(o2(dirfd, 'link-in', { resolve: RESOLVE.NO_SYMLINKS }), { code: 'ELOOP' });
      await assert.rejects(o2(dirfd, 'missing', beneath), { code: 'ENOENT', errno: -2 });
      // openat2 refuses a mode without O_CREAT (openat ignores it).
      await assert.rejects(o2(dirfd, 'a.txt', { mode: 0o644 }), { code: 'EINVAL' });
      const fd2 = await openat2(-100, path.join(root, 'a.txt'));
      await new FileHandle(defaultRing(), fd2).close();
    } finally {
      await new FileHandle(defaultRing(), dirfd).close();
    }
  });

  test('bad arguments throw before anything reaches the kernel', () => {
    const before = defaultRing().stats().sqesSubmitted;
    for (const [fd, p, o] of [
      [-1, 'a', {}], [-101, 'a', {}], [1.5, 'a', {}], [NaN, 'a', {}], ['3', 'a', {}], [2 ** 31, 'a', {}],
      [-100, 42, {}], [-100, 'a\0b', {}], [-100, 'a', { flags: -1 }], [-100, 'a', { flags: 1.5 }],
      [-100, 'a', { mode: 0o10000 }], [-100, 'a', { resolve: 0x40 }], [-100, 'a', { resolve: NaN }], [-100, 'a', null],
    ] as [unknown, unknown, unknown][]) {
      assert.throws(() => openat2(fd as number, p as string, o as object), (e: Error & { code?: string }) =>
        e.code === 'ERR_OUT_OF_RANGE' || e.code === 'ERR_INVALID_ARG_TYPE' || e.code === 'ERR_INVALID_ARG_VALUE', `${String(fd)} ${String(p)} ${JSON.stringify(o)}`);
    }
    assert.equal(defaultRing().stats().sqesSubmitted, before);
  });

  test('aborted: rejects with AbortError and leaks no fd', async () => {
    const count = () => fs.readdirSync('/proc/self/fd').length;
    const n = count();
    for (let i = 0; i < 50; i++) {
      const ac = new AbortController();
      const p = openat2(-100, path.join(root, 'a.txt'), { signal: ac.signal }).promise();
      ac.abort();
      await p.then((fd) => new FileHandle(defaultRing(), fd).close(), (e: Error) => assert.equal(e.name, 'AbortError'));
    }
    await assert.rejects(o2(-100, 'x', { signal: AbortSignal.abort() }), { name: 'AbortError' });
    assert.ok(count() <= n + 1, `fds ${n} -> ${count()}`);
  });
});

describe('contentType', () => {
  test('common extensions, case-insensitive, default octet-stream', () => {
    const cases: [string, string][] = [
      ['index.html', 'text/html; charset=utf-8'],
      ['style.css', 'text/css; charset=utf-8'],
      ['app.js', 'text/javascript; charset=utf-8'],
      ['mod.mjs', 'text/javascript; charset=utf-8'],
      ['data.json', 'application/json'],
      ['notes.txt', 'text/plain; charset=utf-8'],
      ['img.png', 'image/png'],
      ['photo.jpg', 'image/jpeg'],
      ['photo.JPEG', 'image/jpeg'],
      ['anim.gif', 'image/gif'],
      ['logo.svg', 'image/svg+xml'],
      ['mod.wasm', 'application/wasm'],
      ['favicon.ico', 'image/x-icon'],
      ['doc.pdf', 'application/pdf'],
      ['/srv/www/INDEX.HTML', 'text/html; charset=utf-8'],
      ['archive.tar.gz', 'application/octet-stream'],
      ['README', 'application/octet-stream'],
      ['.html', 'application/octet-stream'],
      ['dir.html/file', 'application/octet-stream'],
    ];
    for (const [p, type] of cases) assert.equal(contentType(p), type, p);
  });
});
