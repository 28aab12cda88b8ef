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
import path from 'node:path';
import crypto from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tempDir, scriptCommand, SUITE } from './helpers.js';

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
    const count = () => fs.readdirSync(fdDir).length;
    const before = count();
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
    // and its file handle and socket must still be closed.
    for (let i = 0; i < 5; i++) {
      const c = await Raw.connect();
      c.send(get('/big.bin'));
      await new Promise((r) => setTimeout(r, 5));
      c.sock.resetAndDestroy();
    }
    const deadline = Date.now() + 3000;
    let now = count();
    while (now > before + 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      now = count();
    }
    assert.ok(now <= before + 2, `server fds: ${before} before, ${now} after`);
    assert.equal(child.exitCode, null, 'server still running');
  });

  test('SIGTERM stops it cleanly, even with a connection open', async () => {
    const c = await Raw.connect();
    try {
      c.send(get('/hello.txt'));
      assert.equal((await c.response()).status, 200);
      child.kill('SIGTERM');
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
