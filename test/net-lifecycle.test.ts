/**
 * ringcore/net stream lifecycle: half-close (shutdown('write') → EOF on the other
 * side, which can still answer), close() with requests in flight (cancelled, no fd
 * leaked, the ring drains), no fd left after a server session, addresses (IPv4 and
 * IPv6 ::1), socketpair ping-pong.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { Ring } from '../src/index.js';
import { TcpListener, TcpStream, socketpair } from '../src/net/tcp.js';
import { drained, tick, waitUntil, fdTarget, SUITE, failIfKeptAlive, ringFixture, fdSnapshot, fdsOpenedSince } from './helpers.js';

failIfKeptAlive();

interface NetErr extends Error {
  code?: string;
  syscall?: string;
}

let ring: Ring;
ringFixture((r) => {
  ring = r;
  void ring.recvBuffers; // registered up front: fd counts below are not disturbed by it
});

function nodeConnect(port: number, host = '127.0.0.1'): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host }, () => resolve(s));
    s.on('error', reject);
  });
}

/** A connected RingCore pair (client, server-side) through a fresh listener. */
async function pair(host = '127.0.0.1'): Promise<{ client: TcpStream; server: TcpStream; listener: TcpListener; done: () => Promise<void> }> {
  const listener = await TcpListener.bind({ port: 0, host, ring });
  const [client, server] = await Promise.all([TcpStream.connect({ port: listener.port, host, ring }), listener.accept()]);
  return {
    client, server, listener,
    done: async () => {
      await Promise.all([client.close(), server.close()]);
      await listener.close();
    },
  };
}

/** Read until EOF (bounded by `max` bytes). */
async function readToEnd(s: TcpStream, max = 1 << 24): Promise<Buffer> {
  const parts: Buffer[] = [];
  let total = 0;
  const buf = Buffer.alloc(64 * 1024);
  for (;;) {
    const n = await s.read(buf);
    if (n === 0) return Buffer.concat(parts);
    parts.push(Buffer.from(buf.subarray(0, n)));
    total += n;
    if (total > max) throw new Error(`more than ${max} bytes`);
  }
}

async function readExact(s: TcpStream, buf: Buffer): Promise<void> {
  let got = 0;
  while (got < buf.length) {
    const n = await s.read(buf, { offset: got });
    if (n === 0) throw new Error(`EOF after ${got} of ${buf.length} bytes`);
    got += n;
  }
}

describe('half-close', SUITE, () => {
  test("client shutdown('write'): the server reads EOF, then still sends; the client reads it all", async () => {
    const { client, server, done } = await pair();
    try {
      const request = randomBytes(100_000);
      await client.writeAll(request);
      await client.shutdown('write');
      const got = await readToEnd(server);
      assert.ok(got.equals(request), 'the server got the whole request before EOF');
      // EOF stays EOF.
      assert.equal(await server.read(Buffer.alloc(10)), 0);
      // The server's direction is still open.
      const reply = randomBytes(300_000);
      await server.writeAll(reply);
      await server.shutdown('write');
      const back = await readToEnd(client);
      assert.ok(back.equals(reply), 'the client read the reply after its own shutdown');
      // The client cannot write any more: EPIPE.
      await assert.rejects(client.writeAll('late'), (e: NetErr) => e.code === 'EPIPE' && e.syscall === 'write');
    } finally {
      await done();
    }
    await drained(ring);
  });

  test("the same with chunks(): the iterator ends at the peer's FIN, writing back still works", async () => {
    const { client, server, done } = await pair();
    try {
      const request = randomBytes(200_000);
      await client.writeAll(request);
      await client.shutdown('write');
      const parts: Buffer[] = [];
      let steps = 0;
      for await (const c of server.chunks()) {
        parts.push(Buffer.from(c)); // a chunk is valid until the next iteration: copy to keep
        assert.ok(++steps < 10_000);
      }
      assert.ok(Buffer.concat(parts).equals(request));
      await server.writeAll('after-eof');
      await server.shutdown('write');
      assert.equal((await readToEnd(client)).toString(), 'after-eof');
    } finally {
      await done();
    }
    await drained(ring);
  });

  test("a node:net client with allowHalfOpen ends its side; the server's answer still reaches it", async () => {
    const listener = await TcpListener.bind({ port: 0, ring });
    try {
      const got = new Promise<string>((resolve, reject) => {
        const c = net.connect({ port: listener.port, host: '127.0.0.1', allowHalfOpen: true }, () => c.end('question?'));
        let text = '';
        c.setEncoding('utf8').on('data', (d: string) => { text += d; });
        c.on('end', () => resolve(text));
        c.on('error', reject);
      });
      const s = await listener.accept();
      try {
        const q = await readToEnd(s);
        assert.equal(q.toString(), 'question?');
        await s.writeAll('answer!');
        await s.shutdown('write');
      } finally {
        await s.close();
      }
      assert.equal(await got, 'answer!');
    } finally {
      await listener.close();
    }
  });
});

describe('close() with requests in flight', SUITE, () => {
  test('a read pending on an idle connection rejects ECANCELED; no fd leaks; inFlight returns to 0', async () => {
    await drained(ring);
    const before = fdSnapshot();
    const { client, server, done } = await pair();
    try {
      const buf = Buffer.alloc(1024);
      const pending = Promise.resolve(server.read(buf));
      const pendingClient = Promise.resolve(client.read(Buffer.alloc(16)));
      await tick();
      assert.equal(ring.stats().inFlight, 2, 'both reads are in the kernel');
      const fd = server.fd;
      await server.close();
      await assert.rejects(pending, (e: NetErr) => {
        assert.equal(e.code, 'ECANCELED');
        assert.equal(e.syscall, 'read');
        return true;
      });
      assert.equal(server.fd, -1);
      assert.equal(fdTarget(fd), null, 'the socket fd is closed');
      // The peer sees the close as EOF.
      assert.equal(await pendingClient, 0);
      await drained(ring);
    } finally {
      await done();
    }
    await waitUntil(() => fdsOpenedSince(before).length === 0, `fds closed (open: ${fdsOpenedSince(before).join(', ')})`);
    assert.equal(ring.stats().inFlight, 0);
    assert.equal(ring.stats().staleCqes, 0);
  });

  test('several reads and a write blocked on a full socket are all cancelled by close()', async () => {
    const { client, done } = await pair();
    try {
      // The server never writes (the client's reads wait) and never reads (the client's writes fill up).
      const reads = [1, 2, 3].map(() => Promise.resolve(client.read(Buffer.alloc(64))));
      const big = Buffer.alloc(1 << 20);
      let pendingWrite: Promise<number> | undefined;
      for (let i = 0; i < 256 && pendingWrite === undefined; i++) {
        const w = Promise.resolve(client.write(big));
        const r = await Promise.race([w, new Promise<'pending'>((res) => setTimeout(() => res('pending'), 50))]);
        if (r === 'pending') pendingWrite = w;
      }
      assert.ok(pendingWrite, 'a write blocked on a full socket');
      assert.equal(ring.stats().inFlight, 4, 'three reads and a write in the kernel');
      await client.close();
      for (const r of reads) await assert.rejects(r, { code: 'ECANCELED', syscall: 'read' });
      await assert.rejects(pendingWrite, { code: 'ECANCELED', syscall: 'write' });
      await drained(ring);
    } finally {
      await done();
    }
  });

  test('chunks() on an idle connection: close() ends the iterator (done, no error); buffers come back', async () => {
    await drained(ring);
    const before = fdSnapshot();
    const { client, server, done } = await pair();
    try {
      // One chunk first, so the multishot recv is armed and has delivered.
      await client.writeAll('hello');
      const it = server.chunks();
      const first = await it.next();
      assert.equal(first.done, false);
      assert.equal(Buffer.from(first.value!).toString(), 'hello');
      const pending = it.next(); // waits: nothing more comes
      await tick();
      assert.ok(ring.stats().inFlight >= 1, 'the multishot recv is in flight');
      await server.close();
      // Per net/chunks.ts: ECANCELED after the stream closed finishes the iteration cleanly.
      assert.deepEqual(await pending, { value: undefined, done: true });
      assert.deepEqual(await it.next(), { value: undefined, done: true });
      await drained(ring);
      assert.ok(ring.recvBuffers.available, 'the buffer group is not left empty');
    } finally {
      await done();
    }
    await waitUntil(() => fdsOpenedSince(before).length === 0, `fds closed (open: ${fdsOpenedSince(before).join(', ')})`);
  });

  test('chunks() with an abort signal: the iterator throws AbortError, the stream stays usable', async () => {
    const { client, server, done } = await pair();
    try {
      const ac = new AbortController();
      const it = server.chunks({ signal: ac.signal });
      const pending = it.next();
      await tick();
      ac.abort();
      await assert.rejects(pending, { name: 'AbortError', code: 'ABORT_ERR' });
      await drained(ring);
      // Nothing was lost: data sent now is read normally.
      await client.writeAll('still here');
      const b = Buffer.alloc(10);
      await readExact(server, b);
      assert.equal(b.toString(), 'still here');
    } finally {
      await done();
    }
    await drained(ring);
  });

  /**
   * Ops are lazy (op/op.ts): the SQE is written at the first then(), with the fd
   * number the op was created with.  An op created before close() but first
   * awaited after it must not act on that number, which the process may by then
   * have given to another socket.
   */
  async function reuseFdNumber(fd: number): Promise<{ mine: TcpStream; peer: TcpStream; cleanup: () => Promise<void> }> {
    const spare: TcpStream[] = [];
    try {
      for (let i = 0; i < 64; i++) {
        const [a, b] = socketpair({ ring });
        if (a.fd === fd || b.fd === fd) {
          const mine = a.fd === fd ? a : b;
          const peer = a.fd === fd ? b : a;
          return { mine, peer, cleanup: () => Promise.all([a.close(), b.close()]).then(() => {}) };
        }
        spare.push(a, b);
      }
      assert.fail(`fd ${fd} was not reused by 64 socketpairs`);
    } finally {
      await Promise.all(spare.map((s) => s.close()));
    }
  }

  test('a read made before close() and awaited after it does not read from a socket that reused the fd number', async () => {
    const { server, done } = await pair();
    const other = { cleanup: async () => {} };
    try {
      const fd = server.fd;
      const buf = Buffer.alloc(16);
      const late = server.read(buf); // on its way (eager); close() cancels it
      late.catch(() => {}); // awaited below, after the close
      await server.close();
      const { mine, peer, cleanup } = await reuseFdNumber(fd);
      other.cleanup = cleanup;
      await peer.writeAll('not-for-you'); // data for whoever owns fd `fd` now
      const outcome = await Promise.resolve(late).then((n) => `resolved with ${n} bytes: '${buf.subarray(0, n)}'`, (e: NetErr) => e);
      assert.ok(outcome instanceof Error, `the stale read must reject (EBADF/ECANCELED), but it ${String(outcome)}`);
      assert.ok(['EBADF', 'ECANCELED'].includes((outcome as NetErr).code!), `code ${(outcome as NetErr).code}`);
      assert.equal(buf.toString('latin1', 0, 11), '\0'.repeat(11), 'nothing was read into the buffer');
      const got = Buffer.alloc(11);
      await readExact(mine, got);
      assert.equal(got.toString(), 'not-for-you', "the new owner of the fd gets its data");
    } finally {
      await other.cleanup();
      await done();
    }
    await drained(ring);
  });

  test('a write made before close() and awaited after it does not send on a socket that reused the fd number', async () => {
    const { client, done } = await pair();
    const other = { cleanup: async () => {} };
    try {
      const fd = client.fd;
      // Eager, as node:net: the write is on its way to the socket it was made for, and
      // goes (or is cancelled) before the close — it can never reach a later owner of
      // the fd number.
      const late = client.write(Buffer.from('stale-'));
      late.catch(() => {});
      await client.close();
      const { mine, peer, cleanup } = await reuseFdNumber(fd);
      other.cleanup = cleanup;
      const outcome = await Promise.resolve(late).then((n) => n, (e: NetErr) => e);
      await mine.writeAll('fresh');
      const got = Buffer.alloc(16);
      const n = await peer.read(got);
      assert.equal(got.toString('latin1', 0, n), 'fresh', "the fd's new owner's peer receives only its own data");
      assert.ok(outcome === 6 || ['EBADF', 'ECANCELED'].includes((outcome as NetErr).code!), `outcome ${String(outcome)}`);
    } finally {
      await other.cleanup();
      await done();
    }
    await drained(ring);
  });

  test('close() is idempotent; a read after close rejects EBADF', async () => {
    const { client, server, done } = await pair();
    try {
      const p1 = server.close();
      const p2 = server.close();
      assert.equal(p1, p2);
      await p1;
      await assert.rejects(Promise.resolve(server.read(Buffer.alloc(1))), { code: 'EBADF' });
      assert.equal(server.localAddress, undefined);
      assert.equal(await client.read(Buffer.alloc(1)), 0, 'the peer sees EOF');
    } finally {
      await done();
    }
  });
});

describe('no fd left behind', SUITE, () => {
  test('a full server + clients session (read, chunks, node:net, RingCore) leaves the fd count unchanged', async () => {
    await drained(ring);
    const before = fdSnapshot();
    const listener = await TcpListener.bind({ port: 0, ring });
    const conns: Promise<void>[] = [];
    let n = 0;
    const acceptLoop = (async () => {
      for await (const s of listener.incoming()) {
        const useChunks = n++ % 2 === 0;
        conns.push((async () => {
          try {
            if (useChunks) {
              for await (const c of s.chunks()) await s.writeAll(c);
            } else {
              const buf = Buffer.alloc(4096);
              for (let r; (r = await s.read(buf)) > 0;) await s.writeAll(buf.subarray(0, r));
            }
          } finally {
            await s.close();
          }
        })());
      }
    })();
    const clients: Promise<void>[] = [];
    for (let i = 0; i < 40; i++) {
      const msg = randomBytes(1 + i * 997);
      if (i % 2 === 0) {
        clients.push((async () => {
          const c = await TcpStream.connect({ port: listener.port, ring });
          try {
            await c.writeAll(msg);
            await c.shutdown('write');
            assert.ok((await readToEnd(c)).equals(msg));
          } finally {
            await c.close();
          }
        })());
      } else {
        clients.push(new Promise<void>((resolve, reject) => {
          const c = net.connect({ port: listener.port, host: '127.0.0.1' }, () => c.end(msg));
          const parts: Buffer[] = [];
          c.on('data', (d: Buffer) => parts.push(d));
          c.on('error', reject);
          c.on('close', () => {
            if (Buffer.concat(parts).equals(msg)) resolve();
            else reject(new Error('node client: echo differs'));
          });
        }));
      }
    }
    // Plus streams closed at once without any I/O, and one with a read in flight.
    const idle = await TcpStream.connect({ port: listener.port, ring });
    const idleRead = Promise.resolve(idle.read(Buffer.alloc(8)));
    await Promise.all(clients);
    await idle.close();
    await assert.rejects(idleRead, { code: 'ECANCELED' });
    await waitUntil(() => conns.length === 41, 'every connection accepted');
    await listener.close();
    await acceptLoop;
    await Promise.all(conns);
    await drained(ring);
    await waitUntil(() => fdsOpenedSince(before).length === 0, `fds closed (open: ${fdsOpenedSince(before).join(', ')})`);
  });
});

describe('addresses, IPv6', SUITE, () => {
  test('IPv4: localAddress/remoteAddress are { family, address, port } and match node:net', async () => {
    const listener = await TcpListener.bind({ port: 0, host: '127.0.0.1', ring });
    try {
      assert.equal(listener.address, '127.0.0.1');
      assert.ok(Number.isInteger(listener.port) && listener.port > 0 && listener.port < 65536);
      const c = await nodeConnect(listener.port);
      const s = await listener.accept();
      try {
        assert.deepEqual(s.localAddress, { family: 'IPv4', address: '127.0.0.1', port: listener.port });
        assert.deepEqual(s.remoteAddress, { family: 'IPv4', address: '127.0.0.1', port: c.localPort });
        assert.equal(c.remotePort, listener.port);
      } finally {
        c.destroy();
        await s.close();
      }
      const r = await TcpStream.connect({ port: listener.port, ring, noDelay: true });
      const s2 = await listener.accept();
      try {
        assert.deepEqual(r.remoteAddress, { family: 'IPv4', address: '127.0.0.1', port: listener.port });
        assert.deepEqual(r.localAddress, s2.remoteAddress);
        assert.deepEqual(s2.localAddress, r.remoteAddress);
        await r.setNoDelay(false);
        await r.setNoDelay(true);
      } finally {
        await Promise.all([r.close(), s2.close()]);
      }
      assert.equal(r.fd, -1);
    } finally {
      await listener.close();
    }
    await drained(ring);
  });

  test('localAddress/remoteAddress are undefined once closed (as documented), even after being read', async () => {
    const listener = await TcpListener.bind({ port: 0, ring });
    try {
      const r = await TcpStream.connect({ port: listener.port, ring });
      const s = await listener.accept();
      assert.ok(r.localAddress !== undefined && r.remoteAddress !== undefined);
      assert.ok(s.localAddress !== undefined && s.remoteAddress !== undefined);
      await Promise.all([r.close(), s.close()]);
      // src/net/tcp.ts: "getsockname(2), decoded; undefined once closed" and
      // "getpeername(2), decoded; undefined once closed or if not connected".
      assert.equal(r.localAddress, undefined, 'client localAddress after close()');
      assert.equal(r.remoteAddress, undefined, 'client remoteAddress after close()');
      assert.equal(s.localAddress, undefined, 'server-side localAddress after close()');
      assert.equal(s.remoteAddress, undefined, 'server-side remoteAddress after close()');
    } finally {
      await listener.close();
    }
  });

  test('IPv6 ::1 listener + RingCore and node:net clients; addresses have family IPv6', async () => {
    const listener = await TcpListener.bind({ port: 0, host: '::1', ring });
    try {
      assert.equal(listener.address, '::1');
      const r = await TcpStream.connect({ port: listener.port, host: '::1', ring });
      const s = await listener.accept();
      try {
        assert.deepEqual(r.remoteAddress, { family: 'IPv6', address: '::1', port: listener.port });
        assert.deepEqual(s.localAddress, { family: 'IPv6', address: '::1', port: listener.port });
        const local = r.localAddress!;
        assert.equal(local.family, 'IPv6');
        assert.equal(local.address, '::1');
        assert.deepEqual(s.remoteAddress, local);
        await r.writeAll('over v6');
        const b = Buffer.alloc(7);
        await readExact(s, b);
        assert.equal(b.toString(), 'over v6');
      } finally {
        await Promise.all([r.close(), s.close()]);
      }
      const c = await nodeConnect(listener.port, '::1');
      const s3 = await listener.accept();
      try {
        assert.deepEqual(s3.remoteAddress, { family: 'IPv6', address: '::1', port: c.localPort });
        c.write('ping6');
        const b = Buffer.alloc(5);
        await readExact(s3, b);
        assert.equal(b.toString(), 'ping6');
      } finally {
        c.destroy();
        await s3.close();
      }
      // An IPv4 client does not reach a listener bound to ::1.
      await assert.rejects(TcpStream.connect({ port: listener.port, host: '127.0.0.1', ring }), { code: 'ECONNREFUSED' });
    } finally {
      await listener.close();
    }
    await drained(ring);
  });
});

describe('socketpair', SUITE, () => {
  test('ping-pong of 1000 messages between two tasks', async () => {
    const [a, b] = socketpair({ ring });
    try {
      const N = 1000;
      const MSG = 16;
      const msg = (kind: string, i: number) => Buffer.from(`${kind}${String(i).padStart(MSG - kind.length, '0')}`);
      const pinger = (async () => {
        const buf = Buffer.alloc(MSG);
        for (let i = 0; i < N; i++) {
          await a.writeAll(msg('ping', i));
          await readExact(a, buf);
          assert.equal(buf.toString(), msg('pong', i).toString());
        }
        await a.shutdown('write');
      })();
      const ponger = (async () => {
        const buf = Buffer.alloc(MSG);
        let seen = 0;
        for (;;) {
          const n = await b.read(buf, { length: 1 }); // first byte, or EOF
          if (n === 0) break;
          await readExact(b, buf.subarray(1));
          assert.equal(buf.toString(), msg('ping', seen).toString());
          await b.writeAll(msg('pong', seen));
          seen++;
          assert.ok(seen <= N);
        }
        return seen;
      })();
      await pinger;
      assert.equal(await ponger, N);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
    await drained(ring);
  });

  test('socketpair streams support chunks() and half-close', async () => {
    const [a, b] = socketpair({ ring });
    try {
      const data = randomBytes(1 << 20);
      const writer = (async () => {
        await a.writeAll(data);
        await a.shutdown('write');
      })();
      const parts: Buffer[] = [];
      for await (const c of b.chunks()) parts.push(Buffer.from(c));
      await writer;
      assert.ok(Buffer.concat(parts).equals(data));
      await b.writeAll('back');
      await b.shutdown('write');
      assert.equal((await readToEnd(a)).toString(), 'back');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
    await drained(ring);
  });
});
