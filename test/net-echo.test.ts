/**
 * ringcore/net under load: an echo server (incoming() + one task per connection)
 * serving hundreds of concurrent clients, half of them RingCore TcpStreams, half
 * node:net sockets, each sending a random amount (0 .. 1 MiB) of random bytes and
 * checking that every byte comes back, in order.  Two server variants: a
 * read()/writeAll() loop, and a chunks() (multishot recv into provided buffers) loop.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { Ring } from '../src/index.js';
import { TcpListener, TcpStream } from '../src/net/tcp.js';
import { drained, SUITE, failIfKeptAlive } from './helpers.js';

failIfKeptAlive();

const MiB = 1 << 20;
const CLIENTS = 300; // half RingCore, half node:net, all at once
/** Random bytes every payload is a slice of (at a random offset, so misrouted data shows). */
const pool = randomBytes(2 * MiB + 1);

/** A small seeded PRNG (mulberry32): a failing run can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Payloads: sizes uniform in 0 .. 1 MiB, plus the edges 0, 1 and exactly 1 MiB. */
function payloads(seed: number, count: number): Buffer[] {
  const rnd = prng(seed);
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    let size = Math.floor(rnd() * (MiB + 1));
    if (i === 0 || i === 1) size = 0;
    if (i === 2 || i === 3) size = 1;
    if (i === 4 || i === 5) size = MiB;
    const off = Math.floor(rnd() * (pool.length - size));
    out.push(pool.subarray(off, off + size));
  }
  return out;
}

/** First differing index, for a readable failure. */
function firstDiff(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}

function assertSame(got: Uint8Array, want: Uint8Array, who: string): void {
  if (got.length === want.length && Buffer.compare(got, want) === 0) return;
  assert.fail(`${who}: got ${got.length} bytes, sent ${want.length}; first difference at byte ${firstDiff(got, want)}`);
}

type Serve = (s: TcpStream) => Promise<void>;

/** Echo with read() into a private buffer and writeAll() of what came. */
const serveReadLoop: Serve = async (s) => {
  const buf = Buffer.alloc(64 * 1024);
  for (;;) {
    const n = await s.read(buf);
    if (n === 0) break;
    await s.writeAll(buf.subarray(0, n));
  }
};

/** Echo with chunks(): each chunk is sent back before the next iteration (it is valid until then). */
const serveChunks: Serve = async (s) => {
  for await (const chunk of s.chunks()) await s.writeAll(chunk);
};

/** A RingCore client: writes everything and shuts down its write side while reading the echo. */
async function ringClient(ring: Ring, port: number, payload: Buffer): Promise<Buffer> {
  const s = await TcpStream.connect({ port, ring });
  try {
    const got = Buffer.alloc(payload.length + 1); // one spare byte: an excess echo is seen
    let n = 0;
    const reader = (async () => {
      while (n <= payload.length) {
        const r = await s.read(got, { offset: n, length: Math.min(got.length - n, 256 * 1024) });
        if (r === 0) break;
        n += r;
      }
    })();
    try {
      await s.writeAll(payload);
      await s.shutdown('write');
    } finally {
      await reader;
    }
    return got.subarray(0, n);
  } finally {
    await s.close();
  }
}

/** A node:net client: end(payload), collect until 'end'. */
function nodeClient(port: number, payload: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ port, host: '127.0.0.1' });
    const parts: Buffer[] = [];
    sock.on('data', (d: Buffer) => parts.push(d));
    sock.on('error', reject);
    sock.on('connect', () => sock.end(payload));
    sock.on('close', (hadError) => {
      if (!hadError) resolve(Buffer.concat(parts));
    });
  });
}

async function echoSession(serve: Serve, seed: number): Promise<void> {
  const ring = new Ring({ entries: 1024 });
  try {
    const listener = await TcpListener.bind({ port: 0, host: '127.0.0.1', ring });
    assert.ok(listener.port > 0, 'port 0 picked a port');
    const serverErrors: unknown[] = [];
    const conns: Promise<void>[] = [];
    let accepted = 0;
    const acceptLoop = (async () => {
      for await (const s of listener.incoming()) {
        accepted++;
        conns.push(serve(s).catch((e) => { serverErrors.push(e); }).finally(() => s.close()));
      }
    })();

    const data = payloads(seed, CLIENTS);
    const results = await Promise.allSettled(data.map((p, i) =>
      i % 2 === 0 ? ringClient(ring, listener.port, p) : nodeClient(listener.port, p)));
    for (let i = 0; i < CLIENTS; i++) {
      const r = results[i];
      const who = `client ${i} (${i % 2 === 0 ? 'RingCore' : 'node:net'}, ${data[i].length} bytes, seed ${seed})`;
      if (r.status === 'rejected') assert.fail(`${who} failed: ${(r.reason as Error)?.stack ?? r.reason}`);
      assertSame(r.value, data[i], who);
    }
    await listener.close();
    await acceptLoop; // incoming() ends when its listener closes
    await Promise.all(conns);
    assert.deepEqual(serverErrors, []);
    assert.equal(accepted, CLIENTS, 'every connection accepted once');
    await drained(ring);
    assert.equal(ring.stats().staleCqes, 0);
  } finally {
    await ring.close();
  }
}

describe('echo server, 300 concurrent clients (RingCore + node:net), 0..1 MiB each', SUITE, () => {
  test('incoming() + read()/writeAll() per connection: every byte comes back', async () => {
    await echoSession(serveReadLoop, 0x5eed0001);
  });

  test('incoming() + chunks()/writeAll() per connection: every byte comes back', async () => {
    await echoSession(serveChunks, 0x5eed0002);
  });
});

describe('write / writeAll with { more: true } (MSG_MORE)', SUITE, () => {
  let ring: Ring;
  before(() => {
    ring = new Ring();
  });
  after(async () => {
    await ring.close();
  });

  /** The next read's bytes, or 'nothing' if none arrived within `ms`. */
  async function readWithin(s: TcpStream, ms: number, buf: Buffer, pending?: Promise<number>): Promise<{ n: number | 'nothing'; read: Promise<number> }> {
    const read = pending ?? s.read(buf);
    let timer: NodeJS.Timeout | undefined;
    const n = await Promise.race([read, new Promise<'nothing'>((r) => { timer = setTimeout(() => r('nothing'), ms); })]);
    clearTimeout(timer);
    return { n, read };
  }

  test('sends marked more are held back and leave with the next send, in one segment; a held send with nothing after it still arrives', async () => {
    const listener = await TcpListener.bind({ port: 0, ring });
    try {
      const [client, server] = await Promise.all([TcpStream.connect({ port: listener.port, ring }), listener.accept()]);
      try {
        const buf = Buffer.alloc(64);
        // The control: a plain small send arrives at once (the method can see an arrival).
        await client.writeAll('ping');
        const ctl = await readWithin(server, 1000, buf);
        assert.equal(ctl.n, 4, 'a plain send arrives');
        assert.equal(buf.toString('latin1', 0, 4), 'ping');
        // Marked more: TCP holds the partial segment (the kernel's own timer would send it
        // after >= 200 ms; nothing else is in flight to release it earlier).
        assert.equal(await client.write(Buffer.from('he'), { more: true }), 2);
        await client.writeAll('ad', { more: true });
        const held = await readWithin(server, 60, buf);
        assert.equal(held.n, 'nothing', 'nothing arrived while more was promised');
        await client.writeAll('body');
        const n = await held.read; // the read still pending gets both, as one segment
        assert.equal(buf.toString('latin1', 0, n), 'headbody');
        // Held with nothing after it: it still goes out (the kernel's probe timer).
        const t0 = Date.now();
        await client.writeAll('tail', { more: true });
        const tail = await readWithin(server, 5000, buf);
        assert.equal(tail.n, 4, `a held send with nothing after it arrived (after ${Date.now() - t0} ms)`);
        assert.equal(buf.toString('latin1', 0, 4), 'tail');
        // Held, then closed: close() sends it with the FIN at once, not after the timer.
        await client.writeAll('last', { more: true });
        await client.close();
        const last = await readWithin(server, 150, buf);
        assert.equal(last.n, 4, 'close() flushed the held segment');
        assert.equal(buf.toString('latin1', 0, 4), 'last');
        assert.equal(await server.read(buf), 0, 'then end of stream');
      } finally {
        await Promise.all([client.close(), server.close()]);
      }
    } finally {
      await listener.close();
    }
  });
});

describe('readv / writev on sockets', SUITE, () => {
  let ring: Ring;
  before(() => {
    ring = new Ring();
  });
  after(async () => {
    await ring.close();
  });

  test('writev of several buffers arrives in order; readv scatters it', async () => {
    const listener = await TcpListener.bind({ port: 0, ring });
    try {
      const [client, server] = await Promise.all([TcpStream.connect({ port: listener.port, ring }), listener.accept()]);
      try {
        const parts = [Buffer.from('alpha-'), Buffer.alloc(0), Buffer.from('beta-'), randomBytes(4000)];
        const total = parts.reduce((a, b) => a + b.length, 0);
        let sent = await client.writev(parts);
        assert.ok(sent > 0 && sent <= total);
        if (sent < total) await client.writeAll(Buffer.concat(parts).subarray(sent));
        sent = total;
        const a = Buffer.alloc(6);
        const b = Buffer.alloc(5);
        const c = Buffer.alloc(total - 11);
        let got = 0;
        const whole = Buffer.alloc(total);
        while (got < total) {
          const n = got === 0 ? await server.readv([a, b, c]) : await server.read(whole, { offset: got });
          assert.ok(n > 0, 'no EOF before everything arrived');
          if (got === 0) Buffer.concat([a, b, c]).copy(whole, 0, 0, n);
          got += n;
        }
        assert.equal(a.toString(), 'alpha-');
        assertSame(whole, Buffer.concat(parts), 'readv/writev');
      } finally {
        await Promise.all([client.close(), server.close()]);
      }
    } finally {
      await listener.close();
    }
    await drained(ring);
  });
});
