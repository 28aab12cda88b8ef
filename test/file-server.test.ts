/**
 * examples/file_server.ts, end to end: the example runs as a child process
 * (`node dist/examples/run.js file_server --root <tmp> --port 0`) and is talked to over
 * raw node:net sockets — never fetch/http, which would normalize `..` and `%2e%2e`
 * away before the server sees them.  Checks bytes, headers, streaming of a 20 MiB file,
 * HEAD, 404/405, keep-alive and pipelining (in order, also behind a large file),
 * every traversal spelling against a secret file next to the root, symlinks, fd
 * leaks in the server, and a clean SIGTERM.  Touches only its own temp directory.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import http from 'node:http';
import path from 'node:path';
import crypto from 'node:crypto';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tempDir, scriptCommand, sendSignal, SUITE } from './helpers.js';

const RUN_JS = fileURLToPath(new URL('../examples/run.js', import.meta.url));
const SECRET = `TOP-SECRET-${crypto.randomBytes(8).toString('hex')}`;
const BIG_SIZE = 20 * 1024 * 1024;

let tmp: { dir: string; cleanup: () => void };
let root: string;
let big: Buffer;
let bigSha: string;
let child: ChildProcess;
let port: number;
let childStderr = '';
let childExit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

const small: Record<string, { content: Buffer; type: string }> = {
  '/hello.txt': { content: Buffer.from('Hello, file server!\n'), type: 'text/plain; charset=utf-8' },
  '/index.html': { content: Buffer.from('<!doctype html><title>root</title>\n'), type: 'text/html; charset=utf-8' },
  '/data.json': { content: Buffer.from('{"a":[1,2,3]}'), type: 'application/json' },
  '/sub/page.css': { content: Buffer.from('body { color: red }\n'), type: 'text/css; charset=utf-8' },
  '/empty.bin': { content: Buffer.alloc(0), type: 'application/octet-stream' },
  '/exact-64k.bin': { content: crypto.randomBytes(64 * 1024), type: 'application/octet-stream' },
  '/just-over-64k.bin': { content: crypto.randomBytes(64 * 1024 + 1), type: 'application/octet-stream' },
};

before(async () => {
  tmp = tempDir('ringcore-file-server-');
  const base = fs.realpathSync(tmp.dir);
  root = path.join(base, 'root');
  fs.mkdirSync(path.join(root, 'sub'), { recursive: true });
  for (const [p, f] of Object.entries(small)) fs.writeFileSync(path.join(root, p), f.content);
  big = crypto.randomBytes(BIG_SIZE);
  bigSha = crypto.createHash('sha256').update(big).digest('hex');
  fs.writeFileSync(path.join(root, 'big.bin'), big);
  fs.writeFileSync(path.join(base, 'outside.txt'), SECRET);
  fs.symlinkSync('../outside.txt', path.join(root, 'link-out')); // inside → outside
  fs.symlinkSync(path.join(base, 'outside.txt'), path.join(root, 'link-out-abs.txt'));
  fs.symlinkSync('hello.txt', path.join(root, 'link-in.txt')); // inside → inside

  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  delete env.RINGCORE_TRACE;
  const [cmd, argv] = scriptCommand(RUN_JS, 'file_server', '--root', root, '--port', '0');
  child = spawn(cmd, argv, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (childStderr += d));
  childExit = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no listening line; stderr: ${childStderr}`)), 5000);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl !== -1) {
        clearTimeout(timer);
        resolve(out.slice(0, nl));
      }
    });
    child.on('exit', () => reject(new Error(`server exited; stderr: ${childStderr}`)));
  });
  const m = /^listening on http:\/\/127\.0\.0\.1:(\d+) \(root (.*)\)$/.exec(line);
  assert.ok(m, `first line: ${line}`);
  assert.equal(m[2], root);
  port = Number(m[1]);
  assert.ok(port > 0);
});

after(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await childExit;
  }
  tmp?.cleanup();
});

interface Resp {
  status: number;
  headers: Map<string, string>;
  body: Buffer;
  raw: Buffer;
}

/** A raw HTTP/1.1 client over one node:net socket: send bytes, read framed responses. */
class Raw {
  readonly sock: net.Socket;
  private chunks: Buffer[] = [];
  private len = 0;
  private ended = false;
  private wake: (() => void) | undefined;
  /** Every byte received, for the "secret never appears" check (not kept for bodies over 1 MiB). */
  seen = '';

  private constructor(sock: net.Socket) {
    this.sock = sock;
    sock.on('data', (d: Buffer) => {
      this.chunks.push(d);
      this.len += d.length;
      this.notify();
    });
    sock.on('end', () => {
      this.ended = true;
      this.notify();
    });
    sock.on('close', () => {
      this.ended = true;
      this.notify();
    });
    sock.on('error', () => {
      this.ended = true;
      this.notify();
    });
  }

  static connect(): Promise<Raw> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1' }, () => resolve(new Raw(s)));
      s.once('error', reject);
    });
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private async waitFor(cond: () => boolean, what: string): Promise<void> {
    while (!cond()) {
      if (this.ended) throw new Error(`connection ended while waiting for ${what}`);
      await new Promise<void>((r) => (this.wake = r));
    }
  }

  private compact(): Buffer {
    if (this.chunks.length !== 1) this.chunks = [Buffer.concat(this.chunks, this.len)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  private take(n: number): Buffer {
    const all = this.compact();
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.len = rest.length;
    return out;
  }

  /** Bytes received and not yet taken as responses. */
  get buffered(): number {
    return this.len;
  }

  async received(n: number): Promise<void> {
    await this.waitFor(() => this.len >= n, `${n} bytes`);
  }

  send(data: string | Buffer): void {
    this.sock.write(data);
  }

  /** One response; `head` for the answer to a HEAD request (no body whatever Content-Length says). */
  async response(head = false): Promise<Resp> {
    let end = -1;
    await this.waitFor(() => this.len > 0 && (end = this.compact().indexOf('\r\n\r\n')) !== -1, 'a response head');
    const headText = this.take(end + 4).toString('latin1');
    const [statusLine, ...lines] = headText.slice(0, -4).split('\r\n');
    const m = /^HTTP\/1\.1 (\d{3}) /.exec(statusLine);
    assert.ok(m, `status line: ${statusLine}`);
    const headers = new Map<string, string>();
    for (const l of lines) {
      const c = l.indexOf(':');
      headers.set(l.slice(0, c).toLowerCase(), l.slice(c + 1).trim());
    }
    const length = head ? 0 : Number(headers.get('content-length') ?? 'NaN');
    assert.ok(Number.isInteger(length), `Content-Length in ${headText}`);
    await this.waitFor(() => this.len >= length, `${length} body bytes`);
    const body = Buffer.from(this.take(length));
    if (length <= 1 << 20) this.seen += headText + body.toString('latin1');
    return { status: Number(m[1]), headers, body, raw: Buffer.from(headText, 'latin1') };
  }

  /** Resolves once the server has closed the connection; returns what came after the last response. */
  async closed(): Promise<string> {
    await new Promise<void>((resolve) => {
      if (this.ended) resolve();
      else this.sock.once('close', () => resolve());
    });
    const rest = this.compact().toString('latin1');
    this.seen += rest;
    return rest;
  }

  destroy(): void {
    this.sock.destroy();
  }
}

function get(target: string, headers = ''): string {
  return `GET ${target} HTTP/1.1\r\nHost: x\r\n${headers}\r\n`;
}

/** One request on its own connection, `Connection: close`. */
async function once(target: string, method = 'GET'): Promise<{ resp: Resp; seen: string; rest: string }> {
  const c = await Raw.connect();
  try {
    c.send(`${method} ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    const resp = await c.response(method === 'HEAD');
    const rest = await c.closed();
    return { resp, seen: c.seen, rest };
  } finally {
    c.destroy();
  }
}

function sha(b: Buffer): string {
  return crypto.createHash('sha256').update(b).digest('hex');
}

describe('file_server example', SUITE, () => {
  test('GET small files: exact bytes, Content-Type, Content-Length', async () => {
    for (const [p, f] of Object.entries(small)) {
      const { resp, rest } = await once(p);
      assert.equal(resp.status, 200, p);
      assert.equal(resp.headers.get('content-type'), f.type, p);
      assert.equal(resp.headers.get('content-length'), String(f.content.length), p);
      assert.equal(resp.headers.get('connection'), 'close', p);
      assert.ok(resp.body.equals(f.content), `${p}: body bytes`);
      assert.equal(rest, '', `${p}: nothing after the body, then close`);
    }
    const root = await once('/');
    assert.equal(root.resp.status, 200);
    assert.ok(root.resp.body.equals(small['/index.html'].content), '/ serves index.html');
    const q = await once('/hello.txt?x=1#frag');
    assert.ok(q.resp.body.equals(small['/hello.txt'].content), 'query and fragment ignored');
  });

  test('GET a 20 MiB file: streamed, same sha256', async () => {
    const { resp } = await once('/big.bin');
    assert.equal(resp.status, 200);
    assert.equal(resp.headers.get('content-type'), 'application/octet-stream');
    assert.equal(resp.headers.get('content-length'), String(BIG_SIZE));
    assert.equal(resp.body.length, BIG_SIZE);
    assert.equal(sha(resp.body), bigSha);
  });

  test('HEAD: headers with the real Content-Length, no body', async () => {
    for (const p of ['/hello.txt', '/big.bin']) {
      const { resp, rest } = await once(p, 'HEAD');
      assert.equal(resp.status, 200);
      const size = p === '/big.bin' ? BIG_SIZE : small[p].content.length;
      assert.equal(resp.headers.get('content-length'), String(size));
      assert.equal(rest, '', `${p}: no body after a HEAD response`);
    }
  });

  test('HEAD answered with an error or redirect has no body either (keep-alive stays framed)', async () => {
    const c = await Raw.connect();
    try {
      c.send('HEAD /missing HTTP/1.1\r\nHost: x\r\n\r\nHEAD /sub HTTP/1.1\r\nHost: x\r\n\r\n'
        + 'HEAD /../x HTTP/1.1\r\nHost: x\r\n\r\nHEAD /hello.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=999-\r\n\r\n' + get('/hello.txt'));
      assert.equal((await c.response(true)).status, 404);
      const r = await c.response(true);
      assert.equal(r.status, 301);
      assert.equal(r.headers.get('location'), '/sub/');
      assert.equal((await c.response(true)).status, 400);
      assert.equal((await c.response(true)).status, 416);
      const g = await c.response();
      assert.equal(g.status, 200);
      assert.ok(g.body.equals(small['/hello.txt'].content), 'the GET after them is intact');
      assert.equal(c.buffered, 0);
    } finally {
      c.destroy();
    }
  });

  test('404 for missing files, 405 (Allow: GET, HEAD) for other methods', async () => {
    for (const p of ['/missing.txt', '/sub/missing', '/hello.txt/', '/sub/page.css/x', '/nodir/']) {
      const { resp } = await once(p);
      assert.equal(resp.status, 404, p);
    }
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
      const { resp } = await once('/hello.txt', method);
      assert.equal(resp.status, 405, method);
      assert.equal(resp.headers.get('allow'), 'GET, HEAD');
    }
    // A POST with a body, then a GET on the same connection: the body is skipped.
    const c = await Raw.connect();
    try {
      c.send('POST /hello.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello' + get('/hello.txt'));
      assert.equal((await c.response()).status, 405);
      const r = await c.response();
      assert.equal(r.status, 200);
      assert.ok(r.body.equals(small['/hello.txt'].content));
    } finally {
      c.destroy();
    }
  });

  test('keep-alive: several requests one after the other on one connection', async () => {
    const c = await Raw.connect();
    try {
      for (let i = 0; i < 3; i++) {
        for (const [p, f] of Object.entries(small)) {
          c.send(get(p));
          const r = await c.response();
          assert.equal(r.status, 200);
          assert.equal(r.headers.get('connection'), 'keep-alive');
          assert.ok(r.body.equals(f.content), p);
        }
        c.send(get('/missing'));
        assert.equal((await c.response()).status, 404, 'a 404 keeps the connection');
        c.send(get('/big.bin'));
        const r = await c.response();
        assert.equal(sha(r.body), bigSha);
      }
      // Connection: close is honoured: the response says so and the server closes.
      c.send(get('/hello.txt', 'Connection: close\r\n'));
      const last = await c.response();
      assert.equal(last.headers.get('connection'), 'close');
      assert.equal(await c.closed(), '');
    } finally {
      c.destroy();
    }
  });

  test('pipelining: answered in order, also behind a large file', async () => {
    const c = await Raw.connect();
    try {
      const order = ['/hello.txt', '/big.bin', '/data.json', '/missing', '/just-over-64k.bin', '/sub/page.css', '/big.bin', '/hello.txt'];
      // All in one write; the server must answer one after the other.
      c.send(order.map((p) => get(p)).join('') + 'HEAD /big.bin HTTP/1.1\r\nHost: x\r\n\r\n' + get('/index.html', 'Connection: close\r\n'));
      for (const p of order) {
        const r = await c.response();
        if (p === '/missing') {
          assert.equal(r.status, 404);
        } else if (p === '/big.bin') {
          assert.equal(r.status, 200);
          assert.equal(r.body.length, BIG_SIZE);
          assert.equal(sha(r.body), bigSha, 'big body intact, nothing interleaved');
        } else {
          assert.equal(r.status, 200, p);
          assert.ok(r.body.equals(small[p].content), `${p} in order`);
        }
      }
      const h = await c.response(true);
      assert.equal(h.headers.get('content-length'), String(BIG_SIZE));
      const last = await c.response();
      assert.ok(last.body.equals(small['/index.html'].content));
      assert.equal(await c.closed(), '', 'closed after Connection: close, nothing else sent');

      // Requests split across writes, byte by byte at the start.
      const c2 = await Raw.connect();
      try {
        const req = get('/data.json') + get('/hello.txt');
        for (let i = 0; i < 20; i++) c2.send(req[i]);
        c2.send(req.slice(20));
        assert.ok((await c2.response()).body.equals(small['/data.json'].content));
        assert.ok((await c2.response()).body.equals(small['/hello.txt'].content));
      } finally {
        c2.destroy();
      }
    } finally {
      c.destroy();
    }
  });

  test('traversal: no path escapes the root', async () => {
    const attempts = [
      '/../outside.txt',
      '/%2e%2e/outside.txt',
      '/%2E%2e%2foutside.txt',
      '/..%2foutside.txt',
      '/..%2Foutside.txt',
      '/.%2e/outside.txt',
      '/..\\outside.txt',
      '/..%5coutside.txt',
      '//etc/passwd',
      '/%2fetc%2fpasswd',
      '/sub/../../outside.txt',
      '/sub/%2e%2e/%2e%2e/outside.txt',
      '/../../../../../../etc/passwd',
      '/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd',
      '/link-out',
      '/link-out-abs.txt',
      '/link-out/',
      '/outside.txt%00.txt',
      '/%',
      'outside.txt',
      '../outside.txt',
      `http://x${'/../outside.txt'}`,
      '/..',
    ];
    for (const target of attempts) {
      const { resp, seen } = await once(target);
      assert.ok([400, 403, 404].includes(resp.status), `${target} -> ${resp.status}`);
      assert.ok(!seen.includes(SECRET), `${target}: the secret leaked`);
      assert.ok(!seen.includes('root:'), `${target}: /etc/passwd leaked`);
    }
    // The specific answers.
    const expect: [string, number][] = [
      ['/../outside.txt', 400],
      ['/%2E%2e%2foutside.txt', 400],
      ['//etc/passwd', 404], // <root>/etc/passwd, which does not exist
      ['/%2fetc%2fpasswd', 404],
      ['/sub/../../outside.txt', 400],
      ['/link-out', 403],
      ['/link-out-abs.txt', 403],
    ];
    for (const [target, status] of expect) assert.equal((await once(target)).resp.status, status, target);

    // A symlink inside the root pointing inside is served.
    const inside = await once('/link-in.txt');
    assert.equal(inside.resp.status, 200);
    assert.ok(inside.resp.body.equals(small['/hello.txt'].content));
    assert.equal(inside.resp.headers.get('content-type'), 'text/plain; charset=utf-8');

    // The same attempts pipelined on one keep-alive connection (a 400 from the path
    // rules is not a framing error: the connection stays usable).
    const c = await Raw.connect();
    try {
      const ok = attempts.filter((t) => t.startsWith('/'));
      c.send(ok.map((t) => get(t)).join('') + get('/hello.txt', 'Connection: close\r\n'));
      for (const t of ok) {
        const r = await c.response();
        assert.ok([400, 403, 404].includes(r.status), `${t} -> ${r.status}`);
      }
      assert.equal((await c.response()).status, 200);
      await c.closed();
      assert.ok(!c.seen.includes(SECRET));
    } finally {
      c.destroy();
    }
  });

  test('parse errors are answered and close the connection', async () => {
    const c = await Raw.connect();
    try {
      c.send('GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\nGARBAGE\r\n\r\n');
      assert.equal((await c.response()).status, 200);
      const r = await c.response();
      assert.equal(r.status, 400);
      assert.equal(r.headers.get('connection'), 'close');
      await c.closed();
    } finally {
      c.destroy();
    }
  });

  test('a file that shrinks while being sent: the connection is closed, short of Content-Length', async () => {
    const file = path.join(root, 'shrink.bin');
    const size = 256 * 1024 * 1024;
    fs.writeFileSync(file, '');
    fs.truncateSync(file, size); // sparse: no disk blocks, reads are zeros
    const c = await Raw.connect();
    try {
      c.send(get('/shrink.bin'));
      await c.received(1);
      c.sock.pause(); // the server's sends stall once the socket buffers are full
      await new Promise((r) => setTimeout(r, 100));
      fs.truncateSync(file, 1024 * 1024);
      c.sock.resume();
      const rest = Buffer.from(await c.closed(), 'latin1');
      const end = rest.indexOf('\r\n\r\n');
      assert.ok(end > 0);
      assert.match(rest.subarray(0, end).toString('latin1'), new RegExp(`\r\nContent-Length: ${size}\r\n`));
      const got = rest.length - end - 4;
      assert.ok(got < size, `closed after ${got} of ${size} body bytes`);
    } finally {
      c.destroy();
      fs.rmSync(file);
    }
    // The server goes on serving.
    assert.equal((await once('/hello.txt')).resp.status, 200);
    assert.match(childStderr, /shrink\.bin: end of file at \d+ of 268435456 bytes/);
  });

  test('no fd leak in the server after many requests (and clients vanishing mid-file)', async () => {
    const fdDir = `/proc/${child.pid}/fd`;
    // Pipes are the ones sendFile reuses: the ring keeps up to 8 idle (16 fds), a
    // bounded pool that may grow with the concurrency of a round; checked separately.
    const fds = () => fs.readdirSync(fdDir).map((f) => { try { return fs.readlinkSync(`${fdDir}/${f}`); } catch { return 'gone'; } });
    const count = () => fds().filter((l) => !l.startsWith('pipe:')).length;
    const pipes = () => fds().filter((l) => l.startsWith('pipe:')).length;
    const round = async () => {
      // 200 requests over 20 keep-alive connections, all in flight at once.
      await Promise.all(
        Array.from({ length: 20 }, async (_, k) => {
          const c = await Raw.connect();
          try {
            for (let i = 0; i < 10; i++) {
              const p = ['/hello.txt', '/missing', '/just-over-64k.bin', '/../x', '/link-out'][(i + k) % 5];
              c.send(get(p));
              const r = await c.response();
              assert.ok(r.status === 200 || r.status === 400 || r.status === 403 || r.status === 404);
            }
          } finally {
            c.destroy();
          }
        }),
      );
      // Clients that go away in the middle of a large file: the server's send fails,
      // and its socket must still be closed (the file's fd stays in the cache, once).
      for (let i = 0; i < 5; i++) {
        const c = await Raw.connect();
        c.send(get('/big.bin'));
        await new Promise((r) => setTimeout(r, 5));
        c.sock.resetAndDestroy();
      }
    };
    // The first round fills what is kept on purpose and bounded — the open-file cache
    // (one fd per file) and the pipes sendFile reuses; a leak grows with every round.
    await round();
    await new Promise((r) => setTimeout(r, 200));
    const before = count();
    const pipesBefore = pipes();
    for (let i = 0; i < 4; i++) await round();
    const deadline = Date.now() + 3000;
    let now = count();
    while (now > before + 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      now = count();
    }
    assert.ok(now <= before + 2, `server fds (pipes aside): ${before} after the first round, ${now} after four more`);
    // Idle pipes are kept up to the recent peak of sends at once and trimmed after a
    // second without that demand (src/net/pipes.ts): wait for the trim; a leak never shrinks.
    const pipeDeadline = Date.now() + 5000;
    while (pipes() > pipesBefore + 16 && Date.now() < pipeDeadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(pipes() <= pipesBefore + 16, `pipe fds: ${pipesBefore} -> ${pipes()} (idle pipes are trimmed to the recent demand within a second or two; 20 sends were cut off)`);
    assert.equal(child.exitCode, null, 'server still running');
  });

  test('SIGTERM stops it cleanly, even with a connection open', async () => {
    const c = await Raw.connect();
    try {
      c.send(get('/hello.txt'));
      assert.equal((await c.response()).status, 200);
      sendSignal(child, 'SIGTERM');
      const { code, signal } = await childExit;
      assert.equal(signal, null);
      assert.equal(code, 0, childStderr);
      assert.match(childStderr, /file_server: stopped; ring stats /);
      const unexpected = childStderr.split('\n').filter((l) => l !== '' && !/^file_server: (stopped|.*shrink\.bin: end of file)/.test(l));
      assert.deepEqual(unexpected, [], 'no other errors reported');
      await c.closed();
    } finally {
      c.destroy();
    }
  });
});

// ---------------------------------------------------------------------------------
// HTTP semantics and the open-file cache, through node:http (a real client), against
// servers started with other options: --precompressed --cache-valid 0 (every request
// revalidates: a change is visible at once) and --cache-valid 300 (the stated bound).

interface Started {
  child: ChildProcess;
  port: number;
  stderr: () => string;
  exit: Promise<unknown>;
}

async function startFileServer(dir: string, ...args: string[]): Promise<Started> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  delete env.RINGCORE_TRACE;
  const [cmd, argv] = scriptCommand(RUN_JS, 'file_server', '--root', dir, '--port', '0', ...args);
  const c = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let err = '';
  c.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exit = new Promise((resolve) => c.on('exit', resolve));
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    c.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')));
    });
    c.on('exit', () => reject(new Error(`server exited; stderr: ${err}`)));
  });
  const m = /:(\d+) \(root /.exec(line);
  assert.ok(m, line);
  return { child: c, port: Number(m[1]), stderr: () => err, exit };
}

interface HttpResp {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

function request(p: number, target: string, headers: Record<string, string> = {}, method = 'GET'): Promise<HttpResp> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: p, path: target, method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('file_server: HTTP semantics (ETag, 304, Range, types, 301, precompressed, Date)', SUITE, () => {
  let t2: { dir: string; cleanup: () => void };
  let dir: string;
  let srv: Started;
  const text = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz\n');
  const bigRand = crypto.randomBytes(3 * 1024 * 1024 + 17);

  before(async () => {
    t2 = tempDir('ringcore-file-server-http-');
    dir = fs.realpathSync(t2.dir);
    fs.mkdirSync(path.join(dir, 'sub'));
    fs.writeFileSync(path.join(dir, 'a.txt'), text);
    fs.writeFileSync(path.join(dir, 'page.html'), '<p>x</p>');
    fs.writeFileSync(path.join(dir, 'notes.md'), '# x');
    fs.writeFileSync(path.join(dir, 'data.json'), '{}');
    fs.writeFileSync(path.join(dir, 'sub', 'index.html'), 'sub index');
    fs.writeFileSync(path.join(dir, 'big.bin'), bigRand);
    fs.writeFileSync(path.join(dir, 'app.js'), 'console.log("plain")');
    fs.writeFileSync(path.join(dir, 'app.js.br'), 'BROTLI-BYTES');
    fs.writeFileSync(path.join(dir, 'app.js.gz'), 'GZIP-BYTES');
    fs.writeFileSync(path.join(dir, 'only.css'), 'body{}');
    srv = await startFileServer(dir, '--precompressed', '--cache-valid', '0');
  });

  after(async () => {
    srv?.child.kill('SIGKILL');
    await srv?.exit;
    t2?.cleanup();
  });

  test('200 carries ETag, Last-Modified, Accept-Ranges, Date, Content-Type with charset', async () => {
    const r = await request(srv.port, '/a.txt');
    assert.equal(r.status, 200);
    assert.ok(r.body.equals(text));
    assert.match(String(r.headers.etag), /^"[0-9a-f]+-[0-9a-f]+"$/);
    const mtime = fs.statSync(path.join(dir, 'a.txt')).mtime;
    assert.equal(r.headers['last-modified'], new Date(Math.floor(mtime.getTime() / 1000) * 1000).toUTCString());
    assert.equal(r.headers['accept-ranges'], 'bytes');
    assert.equal(r.headers.vary, 'Accept-Encoding', 'with --precompressed every file response varies');
    const date = Date.parse(String(r.headers.date));
    assert.ok(Number.isFinite(date) && Math.abs(date - Date.now()) < 3600_000, `Date: ${r.headers.date}`);
    assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal((await request(srv.port, '/page.html')).headers['content-type'], 'text/html; charset=utf-8');
    assert.equal((await request(srv.port, '/notes.md')).headers['content-type'], 'text/markdown; charset=utf-8');
    assert.equal((await request(srv.port, '/data.json')).headers['content-type'], 'application/json');
    // Errors carry a Date too.
    const nf = await request(srv.port, '/nope');
    assert.equal(nf.status, 404);
    assert.ok(Number.isFinite(Date.parse(String(nf.headers.date))));
  });

  test('If-None-Match / If-Modified-Since → 304 without a body; otherwise 200', async () => {
    const r = await request(srv.port, '/a.txt');
    const etag = String(r.headers.etag);
    const lm = String(r.headers['last-modified']);
    for (const [h, want] of [
      [{ 'If-None-Match': etag }, 304],
      [{ 'If-None-Match': `"nope", ${etag}` }, 304],
      [{ 'If-None-Match': `W/${etag}` }, 304], // weak comparison for If-None-Match
      [{ 'If-None-Match': '*' }, 304],
      [{ 'If-None-Match': '"other"' }, 200],
      [{ 'If-Modified-Since': lm }, 304],
      [{ 'If-Modified-Since': new Date(Date.parse(lm) + 60_000).toUTCString() }, 304],
      [{ 'If-Modified-Since': new Date(Date.parse(lm) - 1000).toUTCString() }, 200],
      [{ 'If-Modified-Since': 'not a date' }, 200],
      [{ 'If-None-Match': '"other"', 'If-Modified-Since': lm }, 200], // If-None-Match wins
    ] as [Record<string, string>, number][]) {
      for (const method of ['GET', 'HEAD']) {
        const c = await request(srv.port, '/a.txt', h, method);
        assert.equal(c.status, want, `${method} ${JSON.stringify(h)}`);
        if (want === 304) {
          assert.equal(c.body.length, 0);
          assert.equal(c.headers.etag, etag);
          assert.equal(c.headers['content-length'], undefined);
        } else if (method === 'GET') {
          assert.ok(c.body.equals(text));
        }
      }
    }
    // A new version has a new ETag: the old one no longer gives 304.
    fs.writeFileSync(path.join(dir, 'a.txt'), Buffer.concat([text, Buffer.from('more\n')]));
    try {
      const c = await request(srv.port, '/a.txt', { 'If-None-Match': etag });
      assert.equal(c.status, 200);
      assert.notEqual(c.headers.etag, etag);
    } finally {
      fs.writeFileSync(path.join(dir, 'a.txt'), text);
    }
  });

  test('Range: one range → 206; several → 200 whole; none satisfiable → 416 bytes */size; malformed → 200', async () => {
    const size = text.length;
    const cases: [string, number, Buffer | null, string | null][] = [
      ['bytes=0-9', 206, text.subarray(0, 10), `bytes 0-9/${size}`],
      ['bytes=10-', 206, text.subarray(10), `bytes 10-${size - 1}/${size}`],
      ['bytes=-5', 206, text.subarray(size - 5), `bytes ${size - 5}-${size - 1}/${size}`],
      ['bytes=-1000', 206, text, `bytes 0-${size - 1}/${size}`],
      ['bytes=5-100000', 206, text.subarray(5), `bytes 5-${size - 1}/${size}`],
      ['bytes=3-3', 206, text.subarray(3, 4), `bytes 3-3/${size}`],
      ['bytes=0-1,4-5', 200, text, null],
      [`bytes=${size}-`, 416, null, `bytes */${size}`],
      [`bytes=${size + 10}-${size + 20}`, 416, null, `bytes */${size}`],
      ['bytes=-0', 416, null, `bytes */${size}`],
      ['bytes=5-2', 200, text, null],
      ['bytes=x-y', 200, text, null],
      ['items=0-1', 200, text, null],
      ['bytes=', 200, text, null],
    ];
    for (const [range, status, body, cr] of cases) {
      const r = await request(srv.port, '/a.txt', { Range: range });
      assert.equal(r.status, status, range);
      if (body) assert.ok(r.body.equals(body), `${range}: body`);
      assert.equal(r.headers['content-range'], cr ?? undefined, `${range}: Content-Range`);
      if (status === 206) assert.equal(r.headers['content-length'], String(body!.length));
    }
    // HEAD with a range: the 206 headers, no body.
    const h = await request(srv.port, '/a.txt', { Range: 'bytes=0-9' }, 'HEAD');
    assert.equal(h.status, 206);
    assert.equal(h.headers['content-length'], '10');
    assert.equal(h.body.length, 0);
    // A range of a file too large to be kept in memory: read from the cached fd.
    const big = await request(srv.port, '/big.bin', { Range: 'bytes=1000000-2500000' });
    assert.equal(big.status, 206);
    assert.ok(big.body.equals(bigRand.subarray(1000000, 2500001)));
    const bigTail = await request(srv.port, '/big.bin', { Range: 'bytes=-70000' });
    assert.ok(bigTail.body.equals(bigRand.subarray(bigRand.length - 70000)));
    const whole = await request(srv.port, '/big.bin');
    assert.ok(whole.body.equals(bigRand));
  });

  test('If-Range: the range applies only to the current version', async () => {
    const r = await request(srv.port, '/a.txt');
    const etag = String(r.headers.etag);
    const lm = String(r.headers['last-modified']);
    assert.equal((await request(srv.port, '/a.txt', { Range: 'bytes=0-1', 'If-Range': etag })).status, 206);
    assert.equal((await request(srv.port, '/a.txt', { Range: 'bytes=0-1', 'If-Range': lm })).status, 206);
    assert.equal((await request(srv.port, '/a.txt', { Range: 'bytes=0-1', 'If-Range': '"old"' })).status, 200);
    assert.equal((await request(srv.port, '/a.txt', { Range: 'bytes=0-1', 'If-Range': `W/${etag}` })).status, 200);
    assert.equal((await request(srv.port, '/a.txt', { Range: 'bytes=0-1', 'If-Range': 'Mon, 01 Jan 2001 00:00:00 GMT' })).status, 200);
  });

  test('HEAD: the GET headers, no body', async () => {
    for (const p of ['/a.txt', '/big.bin', '/sub/']) {
      const g = await request(srv.port, p);
      const h = await request(srv.port, p, {}, 'HEAD');
      assert.equal(h.status, 200);
      assert.equal(h.body.length, 0);
      for (const k of ['content-length', 'content-type', 'etag', 'last-modified']) assert.equal(h.headers[k], g.headers[k], `${p} ${k}`);
    }
  });

  test('a directory without its trailing slash → 301 to the slash (query kept); with it → index.html', async () => {
    const r = await request(srv.port, '/sub');
    assert.equal(r.status, 301);
    assert.equal(r.headers.location, '/sub/');
    const q = await request(srv.port, '/sub?x=1&y=%20');
    assert.equal(q.status, 301);
    assert.equal(q.headers.location, '/sub/?x=1&y=%20');
    const i = await request(srv.port, '/sub/');
    assert.equal(i.status, 200);
    assert.equal(i.body.toString(), 'sub index');
    assert.equal(i.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal((await request(srv.port, '/')).status, 404, 'the root has no index.html');
  });

  test('If-Match / If-Unmodified-Since that fail → 412 without a body (RFC 9110 §13.1.1, §13.1.4), before 304 and Range', async () => {
    const g = await request(srv.port, '/a.txt');
    const etag = g.headers.etag!;
    const cases: [Record<string, string>, number][] = [
      [{ 'if-match': '"nope"' }, 412],
      [{ 'if-match': `W/${etag}` }, 412],
      [{ 'if-match': '"nope"', range: 'bytes=0-1' }, 412],
      [{ 'if-match': '"nope"', 'if-none-match': etag }, 412],
      [{ 'if-unmodified-since': 'Thu, 01 Jan 1970 00:00:00 GMT' }, 412],
      [{ 'if-match': etag }, 200],
      [{ 'if-match': '*' }, 200],
      [{ 'if-match': etag, range: 'bytes=0-1' }, 206],
      [{ 'if-unmodified-since': g.headers['last-modified']! }, 200],
      [{ 'if-unmodified-since': 'garbage' }, 200],
    ];
    for (const [headers, status] of cases) {
      const r = await request(srv.port, '/a.txt', headers);
      assert.equal(r.status, status, JSON.stringify(headers));
      if (status === 412) assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8');
    }
    const head = await request(srv.port, '/a.txt', { 'if-match': '"nope"' }, 'HEAD');
    assert.equal(head.status, 412);
    assert.equal(head.body.length, 0);
  });

  test('301 Location never leaves the site: "//host", "///host", "/\\host" (browsers read them as another host) stay paths', async () => {
    // Any directory name is a host name: GET //docs would send the browser to http://docs/
    // (serve-static's CVE-2015-1164).  A backslash is a slash to a browser's URL parser.
    fs.mkdirSync(path.join(dir, 'evil.example'));
    fs.mkdirSync(path.join(dir, '\\evil.example'));
    const cases: [string, string][] = [
      ['//evil.example', '/evil.example/'],
      ['///evil.example?q=1', '/evil.example/?q=1'],
      ['/\\evil.example', '/%5Cevil.example/'],
      ['//\\evil.example', '/%5Cevil.example/'],
    ];
    for (const [target, location] of cases) {
      const r = await request(srv.port, target);
      assert.equal(r.status, 301, target);
      assert.equal(r.headers.location, location, target);
      const u = new URL(r.headers.location!, 'http://origin.test/');
      assert.equal(u.host, 'origin.test', `${target} → ${r.headers.location} stays on the site`);
    }
  });

  test('precompressed siblings by Accept-Encoding (br first), Vary, the original Content-Type', async () => {
    const cases: [string | undefined, string, string | undefined][] = [
      ['br', 'BROTLI-BYTES', 'br'],
      ['gzip, deflate, br', 'BROTLI-BYTES', 'br'],
      ['gzip', 'GZIP-BYTES', 'gzip'],
      ['br;q=0, gzip', 'GZIP-BYTES', 'gzip'],
      ['br;q=0, gzip;q=0', 'console.log("plain")', undefined],
      ['*', 'BROTLI-BYTES', 'br'],
      ['identity', 'console.log("plain")', undefined],
      [undefined, 'console.log("plain")', undefined],
    ];
    const etags = new Set<string>();
    for (const [ae, body, enc] of cases) {
      const r = await request(srv.port, '/app.js', ae === undefined ? {} : { 'Accept-Encoding': ae });
      assert.equal(r.status, 200, String(ae));
      assert.equal(r.body.toString(), body, String(ae));
      assert.equal(r.headers['content-encoding'], enc, String(ae));
      assert.equal(r.headers['content-type'], 'text/javascript; charset=utf-8', String(ae));
      assert.equal(r.headers.vary, 'Accept-Encoding');
      etags.add(String(r.headers.etag));
    }
    assert.equal(etags.size, 3, 'one ETag per representation');
    // A name that looks like a cache key of a sibling is just a (missing) file.
    assert.equal((await request(srv.port, '/br:app.js', { 'Accept-Encoding': 'br' })).status, 404);
    assert.equal((await request(srv.port, '/%00br:app.js')).status, 400);
    // The sibling itself, asked for by name: its own bytes, no Content-Encoding.
    const direct = await request(srv.port, '/app.js.br');
    assert.equal(direct.body.toString(), 'BROTLI-BYTES');
    assert.equal(direct.headers['content-encoding'], undefined);
    // No sibling: the file itself.
    const css = await request(srv.port, '/only.css', { 'Accept-Encoding': 'br, gzip' });
    assert.equal(css.body.toString(), 'body{}');
    assert.equal(css.headers['content-encoding'], undefined);
    // A 304 for the br representation's tag.
    const br = await request(srv.port, '/app.js', { 'Accept-Encoding': 'br' });
    const nm = await request(srv.port, '/app.js', { 'Accept-Encoding': 'br', 'If-None-Match': String(br.headers.etag) });
    assert.equal(nm.status, 304);
  });

  test('--cache-valid 0: a modified, replaced (rename) or deleted file is never served stale', async () => {
    const f = path.join(dir, 'live.txt');
    fs.writeFileSync(f, 'version 1');
    assert.equal((await request(srv.port, '/live.txt')).body.toString(), 'version 1');
    fs.writeFileSync(f, 'version two'); // in place (another size: mtime granularity is coarse)
    assert.equal((await request(srv.port, '/live.txt')).body.toString(), 'version two');
    const tmp = path.join(dir, 'live.tmp');
    fs.writeFileSync(tmp, 'version three!');
    fs.renameSync(tmp, f); // replaced: another inode
    assert.equal((await request(srv.port, '/live.txt')).body.toString(), 'version three!');
    fs.rmSync(f);
    assert.equal((await request(srv.port, '/live.txt')).status, 404);
    fs.writeFileSync(f, 'back');
    assert.equal((await request(srv.port, '/live.txt')).body.toString(), 'back', 'a cached 404 is not kept either');
    fs.rmSync(f);
  });

  test('an fd in the cache is not closed under a send in flight (the file replaced mid-download)', async () => {
    const f = path.join(dir, 'swap.bin');
    const v1 = crypto.randomBytes(8 * 1024 * 1024);
    fs.writeFileSync(f, v1);
    const sock = net.connect({ port: srv.port, host: '127.0.0.1' });
    const chunks: Buffer[] = [];
    sock.on('data', (d: Buffer) => chunks.push(d));
    const ended = new Promise((r) => sock.on('close', r));
    sock.write('GET /swap.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    await new Promise((r) => sock.once('data', r));
    sock.pause();
    // Replace the file and make the server revalidate and drop the old entry.
    const v2 = Buffer.from('new small content');
    fs.writeFileSync(path.join(dir, 'swap.tmp'), v2);
    fs.renameSync(path.join(dir, 'swap.tmp'), f);
    for (let i = 0; i < 3; i++) assert.equal((await request(srv.port, '/swap.bin')).body.toString(), 'new small content');
    sock.resume();
    await ended;
    const all = Buffer.concat(chunks);
    const end = all.indexOf('\r\n\r\n');
    assert.ok(all.subarray(end + 4).equals(v1), 'the old version, whole');
    fs.rmSync(f);
  });
});

describe('file_server: the stated staleness bound (--cache-valid 300)', SUITE, () => {
  test('within the bound the old content may be served; after it, always the new', async () => {
    const t3 = tempDir('ringcore-file-server-bound-');
    const d = fs.realpathSync(t3.dir);
    fs.writeFileSync(path.join(d, 'f.txt'), 'one');
    const s = await startFileServer(d, '--cache-valid', '300');
    try {
      assert.equal((await request(s.port, '/f.txt')).body.toString(), 'one');
      fs.writeFileSync(path.join(d, 'f.txt'), 'two!');
      await sleep(400);
      assert.equal((await request(s.port, '/f.txt')).body.toString(), 'two!', 'modified in place');
      fs.writeFileSync(path.join(d, 'g.tmp'), 'three');
      fs.renameSync(path.join(d, 'g.tmp'), path.join(d, 'f.txt'));
      await sleep(400);
      assert.equal((await request(s.port, '/f.txt')).body.toString(), 'three', 'replaced by rename');
      fs.rmSync(path.join(d, 'f.txt'));
      await sleep(400);
      assert.equal((await request(s.port, '/f.txt')).status, 404, 'deleted');
    } finally {
      s.child.kill('SIGKILL');
      await s.exit;
      t3.cleanup();
    }
  });
});

describe('file_server: clients that pipeline and never read', SUITE, () => {
  test('memory stays bounded: answers wait for the peer once a batch is queued (found by a hostile test: ~31 MB per client)', async () => {
    const t4 = tempDir('ringcore-file-server-pipeline-');
    fs.writeFileSync(path.join(t4.dir, 'b64k.bin'), crypto.randomBytes(65536)); // cached in memory (<= 64 KiB)
    const s = await startFileServer(t4.dir);
    const rss = () => Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${s.child.pid}/status`, 'utf8'))![1]) * 1024;
    const socks: net.Socket[] = [];
    try {
      // Warm: the file in the cache, the response formatted.
      const w = await request(s.port, '/b64k.bin');
      assert.equal(w.body.length, 65536);
      const before = rss();
      const req = 'GET /b64k.bin HTTP/1.1\r\nHost: a\r\n\r\n'.repeat(2000); // ~68 KB of requests, ~131 MB of answers
      for (let i = 0; i < 6; i++) {
        const c = net.connect(s.port, '127.0.0.1');
        c.pause(); // never reads
        c.on('error', () => {});
        c.on('connect', () => c.write(req));
        socks.push(c);
      }
      await sleep(2500);
      const grown = rss() - before;
      // Before the fix every request of a received chunk was queued and concatenated:
      // ~31 MB per client (6 clients: ~190 MB).  Now one batch (256 KiB) per client.
      assert.ok(grown < 60 * 1024 * 1024, `server RSS grew by ${(grown / 1048576).toFixed(1)} MiB`);
      // Others are still served.
      const other = await request(s.port, '/b64k.bin');
      assert.equal(other.status, 200);
    } finally {
      for (const c of socks) c.destroy();
      s.child.kill('SIGKILL');
      await s.exit;
      t4.cleanup();
    }
  });
});

describe('file_server: --send-timeout (nginx\'s send_timeout)', SUITE, () => {
  test('a client that asks for a large file and never reads is closed once nothing was sent for that long; its fds come back', async () => {
    const t5 = tempDir('ringcore-file-server-send-timeout-');
    fs.writeFileSync(path.join(t5.dir, 'big.bin'), crypto.randomBytes(16 << 20)); // more than loopback's socket buffers take
    const s = await startFileServer(t5.dir, '--send-timeout', '300');
    const fdDir = `/proc/${s.child.pid}/fd`;
    const fds = () => fs.readdirSync(fdDir).length;
    let c: net.Socket | undefined;
    try {
      const warm = await request(s.port, '/big.bin');
      assert.equal(warm.body.length, 16 << 20);
      await sleep(50);
      const before = fds();
      c = net.connect(s.port, '127.0.0.1');
      c.pause();
      c.on('error', () => {});
      await new Promise((r) => c!.once('connect', r));
      c.write('GET /big.bin HTTP/1.1\r\nHost: a\r\n\r\n');
      // The response is stuck: the socket (and a pipe) are held...
      const t0 = Date.now();
      while (fds() <= before && Date.now() - t0 < 2000) await sleep(10);
      assert.ok(fds() > before, 'the stuck response holds its fds for a while');
      // ...until the send timeout (300 ms of no progress; the sweep runs every 75 ms).
      while (fds() > before && Date.now() - t0 < 5000) await sleep(20);
      assert.ok(fds() <= before, `fds back to ${before} (or fewer: idle pipes trimmed) after ${Date.now() - t0} ms: ${fds()}`);
      assert.ok(Date.now() - t0 >= 250, 'not before the timeout');
      const other = await request(s.port, '/big.bin');
      assert.equal(other.body.length, 16 << 20);
    } finally {
      c?.destroy();
      s.child.kill('SIGKILL');
      await s.exit;
      t5.cleanup();
    }
  });
});

describe('file_server: the open-file cache and the fd limit', SUITE, () => {
  test('at the fd limit the cache closes idle entries and opens the new file (found by a hostile test: 500 for every new file)', async () => {
    const t6 = tempDir('ringcore-file-server-fds-');
    for (let i = 0; i < 120; i++) fs.writeFileSync(path.join(t6.dir, `f${i}.txt`), `file ${i}\n`);
    const s = await startFileServer(t6.dir, '--cache-max', '1000'); // more entries than fds: the limit decides
    try {
      execFileSync('prlimit', ['--pid', String(s.child.pid), '--nofile=64:64']);
      for (let round = 0; round < 2; round++) {
        for (let i = 0; i < 120; i++) {
          const r = await request(s.port, `/f${i}.txt`);
          assert.equal(r.status, 200, `round ${round}, f${i}.txt: ${r.status} ${s.stderr()}`);
          assert.equal(r.body.toString(), `file ${i}\n`);
        }
      }
    } finally {
      s.child.kill('SIGKILL');
      await s.exit;
      t6.cleanup();
    }
  });

  test('--cache-inactive: an entry nobody asks for is closed — a deleted file\'s fd is not held', async () => {
    const t7 = tempDir('ringcore-file-server-inactive-');
    fs.writeFileSync(path.join(t7.dir, 'gone.txt'), 'soon deleted\n');
    const s = await startFileServer(t7.dir, '--cache-inactive', '200');
    const deletedFds = () => fs.readdirSync(`/proc/${s.child.pid}/fd`)
      .map((f) => { try { return fs.readlinkSync(`/proc/${s.child.pid}/fd/${f}`); } catch { return ''; } })
      .filter((l) => l.endsWith(' (deleted)'));
    try {
      assert.equal((await request(s.port, '/gone.txt')).status, 200);
      fs.unlinkSync(path.join(t7.dir, 'gone.txt'));
      assert.equal(deletedFds().length, 1, 'the cache holds the deleted file open at first');
      const t0 = Date.now();
      while (deletedFds().length > 0 && Date.now() - t0 < 3000) await sleep(20);
      assert.deepEqual(deletedFds(), [], `closed after ${Date.now() - t0} ms`);
    } finally {
      s.child.kill('SIGKILL');
      await s.exit;
      t7.cleanup();
    }
  });
});
