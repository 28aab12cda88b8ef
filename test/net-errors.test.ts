/**
 * ringcore/net errors, shaped like node:net's: ECONNREFUSED on connect, EADDRINUSE
 * on a second bind (and SO_REUSEPORT allowing it), a peer's RST (ECONNRESET on read,
 * EPIPE/ECONNRESET on write, never a crash), argument errors thrown before anything
 * reaches the kernel.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Ring } from '../src/index.js';
import { TcpListener, TcpStream, socketpair } from '../src/net/tcp.js';
import { drained, tick, waitUntil, SUITE, failIfKeptAlive, ringFixture } from './helpers.js';

failIfKeptAlive();

interface NetErr extends Error {
  code?: string;
  errno?: number;
  syscall?: string;
  address?: string;
  port?: number;
}

let ring: Ring;
ringFixture((r) => {
  ring = r;
});

/** What node:net itself reports for a connect to `port`. */
function nodeConnectError(port: number, host = '127.0.0.1'): Promise<NetErr> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host });
    s.on('connect', () => {
      s.destroy();
      reject(new Error(`node:net connected to ${host}:${port}`));
    });
    s.on('error', (e) => resolve(e as NetErr));
  });
}

/** What node:net itself reports for a listen on `port`. */
function nodeListenError(port: number, host = '127.0.0.1'): Promise<NetErr> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', (e) => resolve(e as NetErr));
    srv.listen(port, host, () => {
      srv.close();
      reject(new Error(`node:net listened on ${host}:${port}`));
    });
  });
}

/** A port with nothing listening: bind one, note it, close it. */
async function closedPort(host = '127.0.0.1'): Promise<number> {
  const l = await TcpListener.bind({ port: 0, host, ring });
  const port = l.port;
  await l.close();
  return port;
}

function nodeConnect(port: number, host = '127.0.0.1'): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host }, () => resolve(s));
    s.on('error', reject);
  });
}

describe('connect errors', SUITE, () => {
  test('connect to a closed port rejects ECONNREFUSED, worded like node:net', async () => {
    const port = await closedPort();
    const err = await TcpStream.connect({ port, ring }).then(
      () => assert.fail('connected to a closed port'),
      (e: NetErr) => e,
    );
    assert.ok(err instanceof Error);
    assert.equal(err.code, 'ECONNREFUSED');
    assert.equal(err.errno, -111);
    assert.equal(err.syscall, 'connect');
    assert.equal(err.address, '127.0.0.1');
    assert.equal(err.port, port);
    assert.equal(err.message, `connect ECONNREFUSED 127.0.0.1:${port}`);
    // And node:net says the same for the same port.
    const nodeErr = await nodeConnectError(port);
    assert.equal(err.message, nodeErr.message);
    assert.equal(err.code, nodeErr.code);
    assert.equal(err.errno, nodeErr.errno);
    assert.equal(err.syscall, nodeErr.syscall);
    assert.equal(err.address, nodeErr.address);
    assert.equal(err.port, nodeErr.port);
    // The socket made for the attempt was closed again.
    await drained(ring);
  });

  test('ECONNREFUSED on ::1 names the IPv6 address', async () => {
    const port = await closedPort('::1');
    await assert.rejects(TcpStream.connect({ port, host: '::1', ring }), (e: NetErr) => {
      assert.equal(e.code, 'ECONNREFUSED');
      assert.equal(e.syscall, 'connect');
      assert.equal(e.address, '::1');
      assert.equal(e.port, port);
      assert.equal(e.message, `connect ECONNREFUSED ::1:${port}`);
      return true;
    });
  });
});

describe('listen errors and SO_REUSEPORT', SUITE, () => {
  test('a second bind to the same port rejects EADDRINUSE, worded like node:net', async () => {
    const first = await TcpListener.bind({ port: 0, ring });
    try {
      const port = first.port;
      const err = await TcpListener.bind({ port, ring }).then(
        (l) => { void l.close(); return assert.fail('bound twice'); },
        (e: NetErr) => e,
      );
      assert.equal(err.code, 'EADDRINUSE');
      assert.equal(err.errno, -98);
      assert.equal(err.syscall, 'listen');
      assert.equal(err.address, '127.0.0.1');
      assert.equal(err.port, port);
      assert.equal(err.message, `listen EADDRINUSE: address already in use 127.0.0.1:${port}`);
      const nodeErr = await nodeListenError(port);
      assert.equal(err.message, nodeErr.message);
      assert.equal(err.code, nodeErr.code);
      assert.equal(err.errno, nodeErr.errno);
      assert.equal(err.syscall, nodeErr.syscall);
      // The first listener is unharmed.
      const c = await nodeConnect(port);
      const s = await first.accept();
      c.destroy();
      await s.close();
    } finally {
      await first.close();
    }
    await drained(ring);
  });

  test('reusePort: two listeners on the same port both bind and both get connections', async () => {
    const a = await TcpListener.bind({ port: 0, reusePort: true, ring });
    let b: TcpListener | undefined;
    try {
      b = await TcpListener.bind({ port: a.port, reusePort: true, ring });
      assert.equal(b.port, a.port);
      // Without reusePort on the newcomer, the port is taken.
      await assert.rejects(TcpListener.bind({ port: a.port, ring }), { code: 'EADDRINUSE', syscall: 'listen' });
      const counts = [0, 0];
      const streams: TcpStream[] = [];
      const loops = [a, b].map((l, i) => (async () => {
        for await (const s of l.incoming()) {
          counts[i]++;
          streams.push(s);
        }
      })());
      const N = 64; // the kernel spreads by hash: all 64 on one side has odds 2^-63
      const clients = await Promise.all(Array.from({ length: N }, () => nodeConnect(a.port)));
      await waitUntil(() => counts[0] + counts[1] === N, `all ${N} accepted (now ${counts})`);
      assert.ok(counts[0] > 0 && counts[1] > 0, `both listeners accepted (${counts})`);
      for (const c of clients) c.destroy();
      await Promise.all(streams.map((s) => s.close()));
      await a.close();
      await b.close();
      await Promise.all(loops);
    } finally {
      await a.close();
      await b?.close();
    }
    await drained(ring);
  });
});

describe('peer reset', SUITE, () => {
  test("a node:net client's resetAndDestroy() makes a pending read reject ECONNRESET", async () => {
    const listener = await TcpListener.bind({ port: 0, ring });
    try {
      const [client, server] = await Promise.all([nodeConnect(listener.port), listener.accept()]);
      try {
        const buf = Buffer.alloc(1024);
        const pending = server.read(buf);
        await tick();
        client.resetAndDestroy();
        await assert.rejects(Promise.resolve(pending), (e: NetErr) => {
          assert.equal(e.code, 'ECONNRESET');
          assert.equal(e.errno, -104);
          assert.equal(e.syscall, 'read');
          assert.equal(e.message, 'read ECONNRESET');
          return true;
        });
      } finally {
        await server.close();
      }
    } finally {
      await listener.close();
    }
    await drained(ring);
  });

  test('a read issued after the RST arrived rejects ECONNRESET too; chunks() throws it', async () => {
    const listener = await TcpListener.bind({ port: 0, ring });
    try {
      for (const how of ['read', 'chunks'] as const) {
        const [client, server] = await Promise.all([nodeConnect(listener.port), listener.accept()]);
        try {
          await new Promise<void>((resolve) => {
            client.on('close', () => resolve());
            client.resetAndDestroy();
          });
          if (how === 'read') {
            await assert.rejects(Promise.resolve(server.read(Buffer.alloc(16))), { code: 'ECONNRESET', syscall: 'read' });
          } else {
            const it = server.chunks();
            await assert.rejects(it.next(), { code: 'ECONNRESET', syscall: 'read' });
            assert.deepEqual(await it.next(), { value: undefined, done: true }, 'then the iterator is done');
          }
        } finally {
          await server.close();
        }
      }
    } finally {
      await listener.close();
    }
    await drained(ring);
  });

  test('writes to a reset peer reject EPIPE or ECONNRESET (write, writeAll, writev), and the process lives on', async () => {
    const listener = await TcpListener.bind({ port: 0, ring });
    try {
      const [client, server] = await Promise.all([nodeConnect(listener.port), listener.accept()]);
      try {
        await new Promise<void>((resolve) => {
          client.on('close', () => resolve());
          client.resetAndDestroy();
        });
        const data = Buffer.alloc(64 * 1024, 1);
        const codes: string[] = [];
        // Bounded: the first write after the RST may still be accepted by the socket.
        for (let i = 0; i < 20 && codes.length < 3; i++) {
          try {
            await server.write(data);
          } catch (e) {
            const err = e as NetErr;
            assert.equal(err.syscall, 'write');
            codes.push(err.code!);
          }
        }
        assert.ok(codes.length >= 3, 'writes to a reset peer fail');
        await assert.rejects(server.writeAll(data), (e: NetErr) => {
          assert.equal(e.syscall, 'write');
          codes.push(e.code!);
          return true;
        });
        await assert.rejects(Promise.resolve(server.writev([data, data])), (e: NetErr) => {
          codes.push(e.code!);
          return true;
        });
        for (const c of codes) assert.ok(c === 'EPIPE' || c === 'ECONNRESET', `EPIPE or ECONNRESET, got ${c}`);
        assert.ok(codes.includes('EPIPE'), `once the reset is reported, EPIPE (${codes})`);
      } finally {
        await server.close();
      }
    } finally {
      await listener.close();
    }
    await drained(ring);
  });
});

describe('argument errors (thrown before anything is submitted)', SUITE, () => {
  const badPorts: [unknown, string][] = [
    [-1, 'RangeError'],
    [70000, 'RangeError'],
    [65536, 'RangeError'],
    ['x', 'TypeError'],
    [1.5, 'TypeError'],
    [NaN, 'TypeError'],
  ];

  function check(e: unknown, kind: string, port: unknown): true {
    const err = e as NetErr;
    if (kind === 'RangeError') {
      assert.ok(e instanceof RangeError, `RangeError for port ${String(port)}, got ${err?.name}`);
      // Node's codes: ERR_OUT_OF_RANGE (or node:net's own ERR_SOCKET_BAD_PORT, also a RangeError).
      assert.ok(err.code === 'ERR_OUT_OF_RANGE' || err.code === 'ERR_SOCKET_BAD_PORT', `code ${err.code}`);
    } else {
      assert.ok(e instanceof TypeError || e instanceof RangeError, `TypeError for port ${String(port)}, got ${err?.name}`);
      assert.ok(['ERR_INVALID_ARG_TYPE', 'ERR_OUT_OF_RANGE', 'ERR_SOCKET_BAD_PORT'].includes(err.code!), `code ${err.code}`);
    }
    assert.match(err.message, /port/);
    return true;
  }

  test('TcpStream.connect with a bad port', async () => {
    await drained(ring);
    const s0 = ring.stats();
    for (const [port, kind] of badPorts) {
      await assert.rejects(TcpStream.connect({ port: port as number, ring }), (e) => check(e, kind, port));
    }
    await assert.rejects(TcpStream.connect({ port: 80, host: 42 as unknown as string, ring }), { code: 'ERR_INVALID_ARG_TYPE' });
    await assert.rejects(TcpStream.connect(null as unknown as { port: number }), { code: 'ERR_INVALID_ARG_TYPE' });
    await tick();
    await tick();
    const s1 = ring.stats();
    assert.equal(s1.sqesSubmitted, s0.sqesSubmitted, 'no SQE reached the kernel');
    assert.equal(s1.inFlight, 0);
  });

  test('TcpListener.bind with a bad port or backlog', async () => {
    await drained(ring);
    const s0 = ring.stats();
    for (const [port, kind] of badPorts) {
      await assert.rejects(TcpListener.bind({ port: port as number, ring }), (e) => check(e, kind, port));
    }
    await assert.rejects(TcpListener.bind({ port: 0, backlog: -1, ring }), { code: 'ERR_OUT_OF_RANGE' });
    await assert.rejects(TcpListener.bind({ port: 0, host: {} as unknown as string, ring }), { code: 'ERR_INVALID_ARG_TYPE' });
    await tick();
    await tick();
    const s1 = ring.stats();
    assert.equal(s1.sqesSubmitted, s0.sqesSubmitted, 'no SQE reached the kernel');
    assert.equal(s1.inFlight, 0);
  });

  test('bad buffers, offsets and shutdown modes are rejected without a request', async () => {
    const listener = await TcpListener.bind({ port: 0, ring });
    try {
      const [client, server] = await Promise.all([TcpStream.connect({ port: listener.port, ring }), listener.accept()]);
      try {
        await drained(ring);
        const s0 = ring.stats();
        const buf = Buffer.alloc(8);
        await assert.rejects(Promise.resolve(server.read('nope' as unknown as Buffer)), { code: 'ERR_INVALID_ARG_TYPE' });
        await assert.rejects(Promise.resolve(server.read(buf, { offset: 4, length: 5 })), { code: 'ERR_OUT_OF_RANGE' });
        await assert.rejects(Promise.resolve(client.write(buf, { offset: -1 })), { code: 'ERR_OUT_OF_RANGE' });
        await assert.rejects(client.write(buf, { more: 1 as unknown as boolean }), { code: 'ERR_INVALID_ARG_TYPE', message: /options\.more/ });
        await assert.rejects(client.writeAll('x', { more: 'yes' as unknown as boolean }), { code: 'ERR_INVALID_ARG_TYPE' });
        await assert.rejects(client.writeAll('x', { more: null as unknown as boolean }), { code: 'ERR_INVALID_ARG_TYPE' });
        await assert.rejects(client.shutdown('sideways' as 'write'), { code: 'ERR_INVALID_ARG_TYPE' });
        await tick();
        await tick();
        assert.equal(ring.stats().sqesSubmitted, s0.sqesSubmitted, 'no SQE reached the kernel');
      } finally {
        await Promise.all([client.close(), server.close()]);
      }
      // A closed stream: EBADF, as node reports closed handles.
      await assert.rejects(Promise.resolve(client.read(Buffer.alloc(1))), { code: 'EBADF', syscall: 'read' });
      await assert.rejects(Promise.resolve(client.write(Buffer.alloc(1))), { code: 'EBADF', syscall: 'write' });
      assert.throws(() => client.chunks(), { code: 'EBADF' });
      assert.equal(client.fd, -1);
    } finally {
      await listener.close();
    }
    await assert.rejects(listener.accept(), { code: 'EBADF', syscall: 'accept' });
    assert.throws(() => listener.incoming(), { code: 'EBADF' });
    await drained(ring);
  });
});

describe('write options are read once, at the call; an aborted write never hides bytes that went', SUITE, () => {
  /** Read from `s` until it ends; the byte count. */
  async function drain(s: TcpStream): Promise<number> {
    const buf = Buffer.alloc(1 << 20);
    let got = 0;
    for (;;) {
      const n = await s.read(buf);
      if (n === 0) return got;
      got += n;
    }
  }

  test('options that are not an object are refused by writeAll as by write; changing the options object after the call changes nothing', async () => {
    const [a, b] = socketpair({ ring });
    try {
      for (const bad of [true, 5, 'more']) {
        await assert.rejects(a.writeAll('x', bad as never), { code: 'ERR_INVALID_ARG_TYPE', message: /"options" argument must be of type object/ });
        await assert.rejects(a.write(Buffer.from('x'), bad as never), { code: 'ERR_INVALID_ARG_TYPE' });
      }
      const reading = drain(b);
      // 16 MiB through a socketpair takes many SENDs: the loop must not read the options again.
      const opts: { more?: unknown } = { more: true };
      const all = a.writeAll(Buffer.alloc(16 << 20, 1), opts as { more: boolean });
      opts.more = 1;
      const wopts: { more?: unknown; length?: unknown } = { more: false, length: 3 };
      const one = a.write(Buffer.from('abcdef'), wopts as { more: boolean; length: number }); // queued behind nothing, but checked now
      wopts.more = 'x';
      wopts.length = -1;
      await all;
      assert.equal(await one, 3);
      await a.close();
      assert.equal(await reading, (16 << 20) + 3);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test('write({ signal }) aborted at once: either nothing went (AbortError) or it resolves with exactly what the peer receives', async () => {
    for (let i = 0; i < 5; i++) {
      const [a, b] = socketpair({ ring });
      try {
        const ac = new AbortController();
        const big = Buffer.alloc(8 << 20, 7);
        const w = a.write(big, { signal: ac.signal });
        ac.abort();
        const r = await w.then((n) => n, (e: Error) => e);
        const reading = drain(b);
        await a.close();
        const got = await reading;
        if (r instanceof Error) {
          assert.equal(r.name, 'AbortError');
          assert.equal(got, 0, 'an AbortError means no byte went');
        } else {
          assert.ok(r > 0 && r < big.length, `a short count (${r})`);
          assert.equal(got, r, 'the count is what the peer received');
          assert.equal(a.bytesWritten, r);
        }
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    }
  });
});

describe('abort racing a receive', SUITE, () => {
  test('read({ signal }) aborted in the same tick as bytes arrive: the bytes are returned or still readable, never dropped', async () => {
    const ring = new Ring({ entries: 64 });
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const peer = new Promise<net.Socket>((r) => server.once('connection', r));
    const s = await TcpStream.connect({ port: (server.address() as net.AddressInfo).port, host: '127.0.0.1', ring });
    const p = await peer;
    const N = 200;
    let got = '';
    let aborted = 0;
    try {
      for (let i = 0; i < N; i++) {
        const ac = new AbortController();
        const buf = Buffer.alloc(64);
        const r = s.read(buf, { signal: ac.signal });
        p.write(`<${i}>`);
        await new Promise((res) => setImmediate(res)); // the bytes are on their way to our socket
        ac.abort();
        try {
          const n = await r;
          got += buf.toString('latin1', 0, n);
        } catch (e) {
          assert.equal((e as Error).name, 'AbortError');
          aborted++;
        }
      }
      p.end();
      for (;;) {
        const buf = Buffer.alloc(4096);
        const n = await s.read(buf);
        if (n === 0) break;
        got += buf.toString('latin1', 0, n);
      }
      let want = '';
      for (let i = 0; i < N; i++) want += `<${i}>`;
      assert.equal(got, want, `${aborted} reads aborted`);
    } finally {
      await s.close();
      p.destroy();
      server.close();
      await drained(ring);
      ring.close();
    }
  });
});

