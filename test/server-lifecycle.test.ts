/**
 * The example servers' lifecycle (examples/lib/lifecycle.ts), end to end over raw
 * node:net sockets: node:http's three timeouts (headers, request, keep-alive) with
 * short values, a client that drips bytes, silent connections under a low fd limit,
 * graceful shutdown with an idle keep-alive client, and file_server's dotfile policy.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tempDir, delay, runChild, scriptCommand, sendSignal, SUITE } from './helpers.js';

const RUN_JS = fileURLToPath(new URL('../examples/run.js', import.meta.url));

interface Server {
  child: ChildProcess;
  port: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  stderr: () => string;
  stdout: () => string;
}

async function startServer(args: string[], prefix: string[] = []): Promise<Server> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  delete env.RINGCORE_TRACE;
  const [runtime, runtimeArgv] = scriptCommand(RUN_JS, ...args, '--port', '0');
  const [cmd, ...pre] = prefix.length > 0 ? [...prefix, runtime] : [runtime];
  const child = spawn(cmd, [...pre, ...runtimeArgv], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  let stderr = '';
  let stdout = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, at: Date.now() })); // (stdout read to its end)
  });
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line; stderr: ${stderr}`)), 5000);
    child.stdout!.on('data', () => {
      const nl = stdout.indexOf('\n');
      if (nl !== -1) {
        clearTimeout(timer);
        resolve(stdout.slice(0, nl));
      }
    });
    child.on('exit', () => reject(new Error(`server exited; stderr: ${stderr}`)));
  });
  const m = /:(\d+)/.exec(line);
  assert.ok(m, line);
  return { child, port: Number(m[1]), exited, stderr: () => stderr, stdout: () => stdout };
}

/** A raw client: everything it received, and when it was closed. */
function client(port: number): { sock: net.Socket; data: () => string; closed: Promise<number> } {
  const sock = net.connect(port, '127.0.0.1');
  let data = '';
  sock.setEncoding('latin1').on('data', (d: string) => (data += d));
  sock.on('error', () => {});
  const closed = new Promise<number>((resolve) => sock.on('close', () => resolve(Date.now())));
  return { sock, data: () => data, closed };
}

const TIMEOUTS = ['--headers-timeout', '300', '--request-timeout', '600', '--keep-alive-timeout', '200'];

describe('http_server: timeouts and shutdown', SUITE, () => {
  test('a dripping client gets 408 and is closed; an idle keep-alive connection is closed; a silent one too', async () => {
    const s = await startServer(['http_server', ...TIMEOUTS]);
    try {
      const t0 = Date.now();
      const drip = client(s.port);
      const req = 'GET / HTTP/1.1\r\nHost: x\r\n';
      let i = 0;
      const iv = setInterval(() => drip.sock.write(req[i++ % req.length]), 40);
      const dripClosed = await drip.closed;
      clearInterval(iv);
      assert.match(drip.data(), /^HTTP\/1\.1 408 Request Timeout\r\n/);
      assert.ok(dripClosed - t0 < 5000, 'closed by the headers timeout, not left open');

      const ka = client(s.port);
      ka.sock.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      const kaClosed = await ka.closed;
      assert.match(ka.data(), /^HTTP\/1\.1 200 OK/);
      assert.ok(kaClosed - t0 < 10000);

      const silent = client(s.port);
      await silent.closed;
      assert.equal(silent.data(), '', 'nothing was asked, nothing is answered');

      // A body that never completes: the request timeout.
      const body = client(s.port);
      body.sock.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc');
      const iv2 = setInterval(() => body.sock.write('d'), 50);
      await body.closed;
      clearInterval(iv2);
      assert.match(body.data(), /408 Request Timeout/);
    } finally {
      s.child.kill('SIGKILL');
      await s.exited;
    }
  });

  test('keep-alive requests within the timeout keep the connection', async () => {
    const s = await startServer(['http_server', ...TIMEOUTS]);
    try {
      const c = client(s.port);
      for (let i = 0; i < 5; i++) {
        c.sock.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
        await delay(100); // < keep-alive timeout
      }
      assert.equal(c.data().match(/HTTP\/1\.1 200 OK/g)?.length, 5);
      await c.closed;
    } finally {
      s.child.kill('SIGKILL');
      await s.exited;
    }
  });

  test('a client that pipelines ~8 MiB of requests and never reads does not lock other clients out', async () => {
    const s = await startServer(['http_server']);
    const hog = client(s.port);
    try {
      hog.sock.pause(); // never reads a response
      const req = Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      const many = Buffer.concat(Array.from({ length: Math.ceil((8 << 20) / req.length) }, () => req));
      hog.sock.write(many);
      await delay(300); // the hog's responses fill its socket; its requests back up
      for (let i = 0; i < 5; i++) {
        const t0 = Date.now();
        const c = client(s.port);
        c.sock.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
        await c.closed;
        assert.match(c.data(), /^HTTP\/1\.1 200 OK/);
        // A bound a locked-out client (waiting for the hog to disconnect) cannot meet.
        assert.ok(Date.now() - t0 < 1000, `client ${i} answered after ${Date.now() - t0} ms`);
      }
    } finally {
      hog.sock.destroy();
      s.child.kill('SIGKILL');
      await s.exited;
    }
  });

  test('SIGTERM with an idle keep-alive client: the server closes it and exits promptly', async () => {
    const s = await startServer(['http_server']); // Node's defaults: keep-alive 5 s
    const c = client(s.port);
    c.sock.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    while (!c.data().includes('Hello')) await delay(5);
    const t = Date.now();
    sendSignal(s.child, 'SIGTERM');
    const e = await s.exited;
    await c.closed;
    assert.equal(e.code, 0, s.stderr());
    assert.ok(e.at - t < 3000, `exited ${e.at - t} ms after SIGTERM`);
    assert.match(s.stderr(), /stopped/);
  });

  test('SIGTERM with a half-sent request: the grace period bounds the exit', async () => {
    const s = await startServer(['http_server', '--grace', '300']);
    const c = client(s.port);
    c.sock.write('GET / HTTP/1.1\r\nHost: x\r\n'); // never finished
    await delay(50);
    const t = Date.now();
    sendSignal(s.child, 'SIGTERM');
    const e = await s.exited;
    assert.equal(e.code, 0, s.stderr());
    assert.ok(e.at - t < 3000, `exited ${e.at - t} ms after SIGTERM`);
    await c.closed;
  });

  test('under a low fd limit, half-sent requests time out and new clients get in again', async (t) => {
    try {
      execFileSync('prlimit', ['--version'], { stdio: 'ignore' });
    } catch {
      t.skip('prlimit (util-linux) is not installed');
      return;
    }
    const s = await startServer(['http_server', '--headers-timeout', '400', '--keep-alive-timeout', '400'],
                                ['prlimit', '--nofile=64:64']);
    const hogs: ReturnType<typeof client>[] = [];
    try {
      for (let i = 0; i < 80; i++) {
        const h = client(s.port);
        h.sock.write('GET / HTTP/1.1\r\n');
        hogs.push(h);
      }
      await delay(100);
      await Promise.all(hogs.map((h) => h.closed)); // every hog is timed out (or refused)
      const c = client(s.port);
      c.sock.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      await c.closed;
      assert.match(c.data(), /^HTTP\/1\.1 200 OK/, 'a new client is served');
    } finally {
      for (const h of hogs) h.sock.destroy();
      s.child.kill('SIGKILL');
      await s.exited;
    }
  });
});

describe('http_server --workers N', SUITE, () => {
  test('two threads share the port, both serve, SIGTERM drains both and the process exits', async () => {
    const s = await startServer(['http_server', '--workers', '2']);
    try {
      const replies = await Promise.all(Array.from({ length: 200 }, async () => {
        const c = client(s.port);
        c.sock.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
        await c.closed;
        return c.data();
      }));
      for (const r of replies) assert.match(r, /^HTTP\/1\.1 200 OK[\s\S]*Hello, World!/);
      const idle = client(s.port); // an idle keep-alive connection on one of the threads
      idle.sock.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      while (!idle.data().includes('Hello')) await delay(5);
      const t = Date.now();
      sendSignal(s.child, 'SIGTERM');
      const e = await s.exited;
      await idle.closed;
      assert.equal(e.code, 0, s.stderr());
      assert.ok(e.at - t < 5000, `exited ${e.at - t} ms after SIGTERM`);
      const m = /connections per thread \[(\d+),(\d+)\]/.exec(s.stderr());
      assert.ok(m, s.stderr());
      const [a, b] = [Number(m[1]), Number(m[2])];
      assert.equal(a + b, 201, 'every connection counted once');
      assert.ok(a > 0 && b > 0, `both threads served (${a}, ${b})`);
    } finally {
      s.child.kill('SIGKILL');
      await s.exited;
    }
  });
});

describe('echo --workers N', SUITE, () => {
  test('two threads share the port, every byte comes back, SIGTERM stops both with open connections', async () => {
    const s = await startServer(['echo', '--workers', '2']);
    try {
      // 100 connections, each sending 64 KiB of its own bytes in pieces and reading them back.
      const echoed = await Promise.all(Array.from({ length: 100 }, (_, k) => new Promise<boolean>((resolve, reject) => {
        const msg = Buffer.alloc(65536, 0);
        for (let j = 0; j < msg.length; j++) msg[j] = (j * 31 + k * 7) & 0xff;
        const got: Buffer[] = [];
        const sock = net.connect(s.port, '127.0.0.1', () => {
          for (let off = 0; off < msg.length; off += 10_000) sock.write(msg.subarray(off, off + 10_000));
          sock.end();
        });
        sock.on('data', (d: Buffer) => got.push(d));
        sock.on('error', reject);
        sock.on('close', () => resolve(Buffer.concat(got).equals(msg)));
      })));
      assert.ok(echoed.every(Boolean), `${echoed.filter((e) => !e).length} connection(s) got wrong bytes back`);
      // Three connections left open: SIGTERM must close them on whichever thread holds them.
      const open = [client(s.port), client(s.port), client(s.port)];
      open[0].sock.write('still here');
      while (!open[0].data().includes('still here')) await delay(5);
      await delay(50);
      const t = Date.now();
      sendSignal(s.child, 'SIGTERM');
      const e = await s.exited;
      for (const o of open) await o.closed;
      assert.equal(e.code, 0, s.stderr());
      assert.ok(e.at - t < 5000, `exited ${e.at - t} ms after SIGTERM`);
      const m = /connections per thread \[(\d+),(\d+)\]/.exec(s.stdout());
      assert.ok(m, s.stdout());
      const [a, b] = [Number(m[1]), Number(m[2])];
      assert.equal(a + b, 103, 'every connection counted once');
      assert.ok(a > 0 && b > 0, `both threads served (${a}, ${b})`);
      assert.doesNotMatch(s.stdout() + s.stderr(), /FAIL/);
    } finally {
      s.child.kill('SIGKILL');
      await s.exited;
    }
  });
});

describe('file_server: dotfiles and root', SUITE, () => {
  test('/.env and /.git/config are 404 by default, served with --dotfiles allow; the root is printed', async () => {
    const tmp = tempDir('ringcore-dotfiles-');
    try {
      const root = fs.realpathSync(tmp.dir);
      fs.writeFileSync(path.join(root, '.env'), 'SECRET=1\n');
      fs.mkdirSync(path.join(root, '.git'));
      fs.writeFileSync(path.join(root, '.git', 'config'), '[core]\n');
      fs.writeFileSync(path.join(root, 'ok.txt'), 'fine\n');
      const get = async (port: number, p: string): Promise<string> => {
        const c = client(port);
        c.sock.write(`GET ${p} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
        await c.closed;
        return c.data();
      };
      const s = await startServer(['file_server', '--root', root]);
      try {
        assert.match(await get(s.port, '/.env'), /^HTTP\/1\.1 404 /);
        assert.match(await get(s.port, '/.git/config'), /^HTTP\/1\.1 404 /);
        assert.match(await get(s.port, '/%2egit/config'), /^HTTP\/1\.1 404 /);
        assert.match(await get(s.port, '/ok.txt'), /^HTTP\/1\.1 200 OK[\s\S]*fine\n$/);
      } finally {
        sendSignal(s.child, 'SIGTERM');
        assert.equal((await s.exited).code, 0);
      }
      const a = await startServer(['file_server', '--root', root, '--dotfiles', 'allow']);
      try {
        assert.match(await get(a.port, '/.env'), /^HTTP\/1\.1 200 OK[\s\S]*SECRET=1\n$/);
      } finally {
        sendSignal(a.child, 'SIGTERM');
        await a.exited;
      }
    } finally {
      tmp.cleanup();
    }
  });

  test('file_server times out a dripping client too', async () => {
    const tmp = tempDir('ringcore-fs-timeout-');
    try {
      const s = await startServer(['file_server', '--root', tmp.dir, ...TIMEOUTS]);
      try {
        const c = client(s.port);
        c.sock.write('GET /x HTTP/1.1\r\n');
        await c.closed;
        assert.match(c.data(), /^HTTP\/1\.1 408 /);
      } finally {
        sendSignal(s.child, 'SIGTERM');
        assert.equal((await s.exited).code, 0, s.stderr());
      }
    } finally {
      tmp.cleanup();
    }
  });
});

describe('examples/lib/workers: a worker that fails', SUITE, () => {
  const WORKERS_URL = new URL('../examples/lib/workers.js', import.meta.url).href;
  test('one that ends before listening rejects ready; one that fails later makes the exit code 1', async () => {
    const t = tempDir('ringcore-workers-');
    try {
      const worker = path.join(t.dir, 'w.mjs');
      fs.writeFileSync(worker, `
        import { workerContext } from ${JSON.stringify(WORKERS_URL)};
        const w = workerContext();
        if (w.data.argv.includes('early')) process.exit(3);
        w.ready();
        w.stop.addEventListener('abort', () => { process.exitCode = 1; w.report(0); });
      `);
      const main = (mode: string) => `
        import { startWorkers } from ${JSON.stringify(WORKERS_URL)};
        const ws = startWorkers(new URL(${JSON.stringify(new URL(`file://${worker}`).href)}), 2, { port: 1, argv: [${JSON.stringify(mode)}] });
        const ready = await ws.ready.then(() => 'ready', (e) => e.message);
        await ws.stop();
        console.log(JSON.stringify({ ready, exitCode: process.exitCode ?? 0 }));
      `;
      const early = await runChild(main('early'), {}, 20000);
      const out1 = JSON.parse(early.stdout.trim().split('\n').pop()!);
      assert.match(out1.ready, /worker 1 ended before it was listening \(exit code 3\)/);
      assert.equal(out1.exitCode, 1);
      const late = await runChild(main('late'), {}, 20000);
      const out2 = JSON.parse(late.stdout.trim().split('\n').pop()!);
      assert.equal(out2.ready, 'ready');
      assert.equal(out2.exitCode, 1, late.stderr);
      assert.match(late.stderr, /worker 1 exited with code 1/);
    } finally {
      t.cleanup();
    }
  });
});
