/**
 * ringcore/net beyond TCP basics (issue 11): Unix-domain stream sockets through the
 * same classes (`TcpListener.bind({ path })`, `TcpStream.connect({ path })`, the
 * abstract namespace), ref()/unref() of listeners and streams (an unref'd waiter lets
 * the process exit), and the connect options `timeout`, `localAddress`/`localPort`,
 * `family`.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { TcpListener, TcpStream, createConnection } from '../src/net/tcp.js';
import { defaultRing } from '../src/index.js';
import { fdCount, runChild, SUITE, tempDir, waitUntil, INDEX_URL, failIfKeptAlive } from './helpers.js';

failIfKeptAlive();
defaultRing().recvBuffers; // the ring and its buffer group exist before fds are counted

const NET_URL = new URL('../src/net/tcp.js', INDEX_URL).href;

describe('Unix-domain sockets', SUITE, () => {
  test('20 clients echo every byte over a socket file; the file is removed on close; EADDRINUSE on a live path', async () => {
    const fds = fdCount();
    const tmp = tempDir();
    const sock = path.join(tmp.dir, 's.sock');
    try {
      const listener = await TcpListener.bind({ path: sock });
      assert.equal(listener.address, sock);
      assert.equal(listener.port, 0);
      assert.ok(fs.statSync(sock).isSocket());
      await assert.rejects(TcpListener.bind({ path: sock }), { code: 'EADDRINUSE', syscall: 'listen', message: `listen EADDRINUSE: address already in use ${sock}` });
      const serving = (async () => {
        for await (const conn of listener.incoming()) {
          void (async () => {
            for await (const c of conn.chunks()) await conn.writeAll(c);
            await conn.close();
          })();
        }
      })();
      await Promise.all(Array.from({ length: 20 }, async (_, i) => {
        const c = await TcpStream.connect({ path: sock });
        assert.equal(c.remoteAddress?.family, 'unix');
        const data = crypto.randomBytes(100_000 + i);
        const back: Uint8Array[] = [];
        let n = 0;
        const reading = (async () => {
          for await (const ch of c.chunks()) {
            back.push(ch);
            n += ch.length;
            if (n === data.length) break;
          }
        })();
        await c.writeAll(data);
        await reading;
        assert.ok(Buffer.concat(back).equals(data), `client ${i}: every byte back`);
        await c.close();
      }));
      await listener.close();
      await serving;
      assert.equal(fs.existsSync(sock), false, 'the socket file is removed on close');
      // And the path can be bound again.
      const again = await TcpListener.bind({ path: sock });
      await again.close();
    } finally {
      tmp.cleanup();
    }
    await waitUntil(() => fdCount() <= fds, `fds back to ${fds} (now ${fdCount()})`);
  });

  test('the abstract namespace: a name, no file', async () => {
    const name = `\0ringcore-test-${process.pid}-${Date.now()}`;
    const listener = await TcpListener.bind({ path: name });
    try {
      // Linux lists abstract names with a leading '@'; exactly our bytes, no padding.
      const table = fs.readFileSync('/proc/net/unix', 'utf8');
      assert.ok(table.split('\n').some((l) => l.endsWith(` @${name.slice(1)}`)), 'bound under its exact name');
      const accepted = listener.accept();
      const c = await TcpStream.connect({ path: name });
      const conn = await accepted;
      await c.writeAll(Buffer.from('over abstract'));
      const it = conn.chunks();
      assert.equal(Buffer.from((await it.next()).value as Uint8Array).toString(), 'over abstract');
      await c.close();
      await conn.close();
    } finally {
      await listener.close();
    }
  });

  test('errors: a missing path, a name too long, neither port nor path, a bad path type', async () => {
    const tmp = tempDir();
    try {
      const missing = path.join(tmp.dir, 'nobody.sock');
      await assert.rejects(TcpStream.connect({ path: missing }), {
        code: 'ENOENT', syscall: 'connect', address: missing, message: `connect ENOENT ${missing}`,
      });
      await assert.rejects(TcpStream.connect({ path: '/tmp/' + 'x'.repeat(200) }), { code: 'ENAMETOOLONG', syscall: 'connect' });
      await assert.rejects(TcpListener.bind({ path: '/tmp/' + 'x'.repeat(200) }), { code: 'ENAMETOOLONG', syscall: 'listen' });
      await assert.rejects(TcpStream.connect({} as never), { code: 'ERR_MISSING_ARGS' });
      await assert.rejects(TcpStream.connect({ path: 5 as never }), { code: 'ERR_INVALID_ARG_TYPE' });
      await assert.rejects(TcpListener.bind({ path: '' }), { code: 'ERR_INVALID_ARG_VALUE' });
    } finally {
      tmp.cleanup();
    }
  });

  test('node:http over a Unix socket: server fed toDuplex(), client through createConnection({ socketPath })', async () => {
    const tmp = tempDir();
    const sock = path.join(tmp.dir, 'http.sock');
    try {
      const server = http.createServer((req, res) => res.end(`unix ${req.url} ${req.socket.remoteAddress}`));
      const listener = await TcpListener.bind({ path: sock });
      const accepting = (async () => {
        for await (const conn of listener.incoming()) server.emit('connection', conn.toDuplex());
      })();
      const agent = new http.Agent({ keepAlive: true });
      Object.assign(agent, { createConnection });
      for (let i = 0; i < 50; i++) {
        const body = await new Promise<string>((resolve, reject) => {
          http.get({ socketPath: sock, path: `/u${i}`, agent }, (res) => {
            let b = '';
            res.on('data', (d) => { b += d; });
            res.on('end', () => resolve(b));
          }).on('error', reject);
        });
        assert.equal(body, `unix /u${i} undefined`); // a Unix socket has no remote address, as in Node
      }
      agent.destroy();
      server.closeAllConnections();
      await listener.close();
      await accepting;
    } finally {
      tmp.cleanup();
    }
  });
});

describe('ref() and unref()', SUITE, () => {
  const cases: [string, string, boolean][] = [
    ['a listener waiting in incoming(), unref()\'d', `
      const l = await TcpListener.bind({ port: 0 });
      l.unref();
      (async () => { for await (const c of l.incoming()) c.close(); })();`, true],
    ['the same listener, ref()\'d again', `
      const l = await TcpListener.bind({ port: 0 });
      l.unref(); l.ref();
      (async () => { for await (const c of l.incoming()) c.close(); })();`, false],
    ['a listener in accept(), unref()\'d before it', `
      const l = await TcpListener.bind({ port: 0 });
      l.unref();
      l.accept().catch(() => {});`, true],
    ['a connected stream waiting in chunks(), unref()\'d', `
      const l = await TcpListener.bind({ port: 0 });
      const c = await TcpStream.connect({ port: l.port });
      const s = await l.accept();
      await l.close();
      (async () => { for await (const x of s.chunks()) {} })();
      await new Promise((r) => setTimeout(r, 50));
      s.unref(); c.unref();`, true],
    ['the same stream, not unref()\'d', `
      const l = await TcpListener.bind({ port: 0 });
      const c = await TcpStream.connect({ port: l.port });
      const s = await l.accept();
      await l.close();
      globalThis.client = c; // JavaScriptCore (Bun) collects a module's unused bindings: c would be closed
      (async () => { for await (const x of s.chunks()) {} })();`, false],
    ['a Duplex (createConnection) unref()\'d while connecting', `
      const l = await TcpListener.bind({ port: 0 });
      l.unref();
      const d = createConnection({ port: l.port }).unref();
      d.resume();`, true],
  ];
  for (const [name, body, exits] of cases) {
    test(`${name}: the process ${exits ? 'exits by itself' : 'stays alive'}`, async () => {
      const script = `import { TcpListener, TcpStream, createConnection } from ${JSON.stringify(NET_URL)};\n${body}\nconsole.log('set up');`;
      const r = await runChild(script, {}, 2500);
      assert.match(r.stdout, /set up/, r.stderr);
      if (exits) {
        assert.equal(r.timedOut, false, 'exited by itself');
        assert.equal(r.code, 0, r.stderr);
      } else {
        assert.equal(r.timedOut, true, 'kept alive until killed');
      }
    });
  }
});

describe('connect options', SUITE, () => {
  test('timeout: ETIMEDOUT when the SYN goes unanswered', async () => {
    // A listener with backlog 0 that never accepts: once its queue holds one connection
    // the kernel drops further SYNs, and a connect waits for retransmissions.
    const l = await TcpListener.bind({ port: 0, backlog: 0 });
    const held: TcpStream[] = [];
    try {
      let timedOut = false;
      for (let i = 0; i < 4 && !timedOut; i++) {
        const t0 = performance.now();
        try {
          held.push(await TcpStream.connect({ port: l.port, timeout: 300 }));
        } catch (e) {
          assert.equal((e as NodeJS.ErrnoException).code, 'ETIMEDOUT');
          assert.equal((e as NodeJS.ErrnoException).syscall, 'connect');
          const ms = performance.now() - t0;
          assert.ok(ms >= 250 && ms < 2000, `gave up after ${ms.toFixed(0)} ms`);
          timedOut = true;
        }
      }
      assert.ok(timedOut, 'a connect to a full backlog timed out');
      await assert.rejects(TcpStream.connect({ port: l.port, timeout: 0 }), { code: 'ERR_OUT_OF_RANGE' });
    } finally {
      for (const s of held) await s.close();
      await l.close();
    }
  });

  test('localAddress/localPort bind the connecting socket; family picks the resolution', async () => {
    const l = await TcpListener.bind({ port: 0 });
    try {
      const probe = net.createServer();
      await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
      const free = (probe.address() as net.AddressInfo).port;
      await new Promise((r) => probe.close(r));
      const accepted = l.accept();
      const c = await TcpStream.connect({ port: l.port, host: 'localhost', family: 4, localAddress: '127.0.0.1', localPort: free });
      const s = await accepted;
      assert.equal(s.remoteAddress?.port, free);
      assert.equal(c.localAddress?.port, free);
      assert.equal(c.remoteAddress?.address, '127.0.0.1');
      await c.close();
      await s.close();
      await assert.rejects(TcpStream.connect({ port: l.port, family: 5 as never }), { code: 'ERR_INVALID_ARG_VALUE' });
      await assert.rejects(TcpStream.connect({ port: l.port, localAddress: 'nope' }), { code: 'ERR_INVALID_ARG_VALUE' });
    } finally {
      await l.close();
    }
  });

  test('createConnection({ timeout }) is the idle timeout, as net.createConnection', async () => {
    const l = await TcpListener.bind({ port: 0 });
    try {
      const d = createConnection({ port: l.port, timeout: 100 });
      const conn = await l.accept();
      await new Promise((r) => d.once('timeout', r));
      assert.equal(d.destroyed, false);
      d.destroy();
      await conn.close();
    } finally {
      await l.close();
    }
  });
});

describe('byte counts', SUITE, () => {
  test('bytesRead and bytesWritten count read, readv, chunks(), write, writeAll and writev', async () => {
    const l = await TcpListener.bind({ port: 0 });
    try {
      const accepted = l.accept();
      const c = await TcpStream.connect({ port: l.port });
      const s = await accepted;
      assert.equal(c.bytesWritten, 0);
      await c.write(Buffer.from('abc'));
      await c.writeAll(Buffer.alloc(100_000));
      await c.writev([Buffer.from('de'), Buffer.from('f')]);
      assert.equal(c.bytesWritten, 3 + 100_000 + 3);
      const n = (await s.read(Buffer.alloc(3))) + (await s.readv([Buffer.alloc(10), Buffer.alloc(10)]));
      assert.equal(s.bytesRead, n);
      const it = s.chunks();
      while (s.bytesRead < 100_006) {
        const r = await it.next();
        if (r.done) break;
      }
      assert.equal(s.bytesRead, 100_006);
      await c.close();
      await s.close();
    } finally {
      await l.close();
    }
  });
});

describe('Unix-domain connect to a full backlog', SUITE, () => {
  test('20 connects at once to a listener with backlog 1 all connect (they wait for room; no EAGAIN)', async () => {
    const tmp = tempDir();
    const p = path.join(tmp.dir, 'b.sock');
    const accepted: net.Socket[] = [];
    const server = net.createServer((s) => { accepted.push(s); });
    await new Promise<void>((r) => server.listen({ path: p, backlog: 1 }, r));
    try {
      // Submitted in one enter: the kernel runs them before Node's loop accepts any, so
      // the backlog overflows — a non-blocking socket would get EAGAIN at once.
      const res = await Promise.allSettled(Array.from({ length: 20 }, () => TcpStream.connect({ path: p })));
      const failed = res.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.code);
      assert.deepEqual(failed, []);
      for (const r of res) await (r as PromiseFulfilledResult<TcpStream>).value.close();
    } finally {
      for (const s of accepted) s.destroy();
      server.close();
      tmp.cleanup();
    }
  });
});

test('STREAM_NONBLOCK follows the kernel release (READV/WRITEV retry O_NONBLOCK sockets from 5.15)', async () => {
  const { kernelAtLeast, STREAM_NONBLOCK, SOCK_NONBLOCK } = await import('../src/sys/socket.js');
  assert.equal(kernelAtLeast('6.18.44-fc-v657', 5, 15), true);
  assert.equal(kernelAtLeast('5.15.0-91-generic', 5, 15), true);
  assert.equal(kernelAtLeast('5.14.21', 5, 15), false);
  assert.equal(kernelAtLeast('5.11.0', 5, 15), false);
  assert.equal(kernelAtLeast('10.0', 5, 15), true);
  assert.equal(kernelAtLeast('garbage', 5, 15), false);
  const os = await import('node:os');
  assert.equal(STREAM_NONBLOCK, kernelAtLeast(os.release(), 5, 15) ? SOCK_NONBLOCK : 0);
});
