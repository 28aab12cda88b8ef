/**
 * `chunks()` as Node code uses it, and per-connection back-pressure (issue 8).
 *
 *  - The pipelines that corrupted data while chunks were views of shared memory:
 *    `pipeline(Readable.from(conn.chunks()), writable)`, `pipeline(conn.chunks(),
 *    writable)` and `ReadableStream.from(conn.chunks()).pipeTo(...)`, 16 MiB each, with
 *    slow and fast consumers; the SHA-256 of what arrives must be the sender's.
 *  - One connection whose consumer pauses while its peer floods it must not stall
 *    another connection of the same ring (the shared provided-buffer group): B's echo
 *    round trips go on while A is paused, and A gets every byte afterwards.
 *  - Streams closed with data still queued give their buffers back to the group.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Ring } from '../src/index.js';
import { TcpListener, TcpStream, socketpair } from '../src/net/tcp.js';
import { delay, drained, SUITE, failIfKeptAlive } from './helpers.js';

failIfKeptAlive();

const MiB = 1 << 20;
const sha = (b: Uint8Array): string => crypto.createHash('sha256').update(b).digest('hex');

/** A Writable that hashes what it gets; `slow` delays every 8th write by a timer. */
function hashingWritable(slow: boolean): { writable: Writable; digest: () => string; bytes: () => number } {
  const h = crypto.createHash('sha256');
  let n = 0;
  let i = 0;
  const writable = new Writable({
    highWaterMark: 64 * 1024,
    write(chunk: Buffer, _enc, cb) {
      h.update(chunk);
      n += chunk.length;
      if (slow && i++ % 8 === 0) setTimeout(cb, 1);
      else if (slow) setImmediate(cb);
      else cb();
    },
  });
  let d: string | undefined;
  return { writable, digest: () => (d ??= h.digest('hex')), bytes: () => n };
}

async function connectedPair(ring: Ring): Promise<{ client: TcpStream; server: TcpStream; close: () => Promise<void> }> {
  const l = await TcpListener.bind({ port: 0, ring });
  const [client, server] = await Promise.all([TcpStream.connect({ port: l.port, ring }), l.accept()]);
  return { client, server, close: async () => { await client.close(); await server.close(); await l.close(); } };
}

describe('chunks() in Node pipelines: the caller owns every chunk', SUITE, () => {
  const data = crypto.randomBytes(16 * MiB);
  const want = sha(data);

  for (const slow of [true, false]) {
    test(`pipeline(Readable.from(conn.chunks()), ${slow ? 'slow' : 'fast'} writable): 16 MiB, same hash`, async () => {
      const ring = new Ring();
      const { client, server, close } = await connectedPair(ring);
      try {
        const sending = client.writeAll(data).then(() => client.shutdown('write'));
        const out = hashingWritable(slow);
        await pipeline(Readable.from(server.chunks()), out.writable);
        await sending;
        assert.equal(out.bytes(), data.length);
        assert.equal(out.digest(), want);
      } finally {
        await close();
        await ring.close();
      }
    });

    test(`pipeline(conn.chunks(), ${slow ? 'slow' : 'fast'} writable): 16 MiB, same hash`, async () => {
      const ring = new Ring();
      const { client, server, close } = await connectedPair(ring);
      try {
        const sending = client.writeAll(data).then(() => client.shutdown('write'));
        const out = hashingWritable(slow);
        await pipeline(server.chunks(), out.writable);
        await sending;
        assert.equal(out.digest(), want);
      } finally {
        await close();
        await ring.close();
      }
    });

    test(`ReadableStream.from(conn.chunks()).pipeTo(${slow ? 'slow' : 'fast'} WritableStream): 16 MiB, same hash`, async () => {
      const ring = new Ring();
      const { client, server, close } = await connectedPair(ring);
      try {
        const sending = client.writeAll(data).then(() => client.shutdown('write'));
        const h = crypto.createHash('sha256');
        let i = 0;
        // Queue ahead (highWaterMark 64 chunks) like real Web Streams code does.
        const ws = new WritableStream<Uint8Array>({
          async write(chunk) {
            h.update(chunk);
            if (slow && i++ % 8 === 0) await delay(1);
          },
        }, new CountQueuingStrategy({ highWaterMark: 64 }));
        await (ReadableStream as unknown as { from(it: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> })
          .from(server.chunks()).pipeTo(ws);
        await sending;
        assert.equal(h.digest('hex'), want);
      } finally {
        await close();
        await ring.close();
      }
    });
  }

  test('chunks kept by the consumer stay intact while more data arrives', async () => {
    const ring = new Ring();
    const { client, server, close } = await connectedPair(ring);
    try {
      const sending = client.writeAll(data).then(() => client.shutdown('write'));
      const kept: Uint8Array[] = [];
      for await (const c of server.chunks()) kept.push(c);
      await sending;
      assert.equal(sha(Buffer.concat(kept)), want);
    } finally {
      await close();
      await ring.close();
    }
  });
});

describe('one slow reader does not stall the other connections of its ring', SUITE, () => {
  for (const zeroCopy of [false, true]) {
    test(`A flooded with 16 MiB and paused for 2 s; B's echo keeps answering (${zeroCopy ? 'zeroCopyChunks' : 'chunks'})`, async () => {
      const ring = new Ring();
      const l = await TcpListener.bind({ port: 0, ring });
      const [a, aServer] = await Promise.all([TcpStream.connect({ port: l.port, ring }), l.accept()]);
      const [b, bServer] = await Promise.all([TcpStream.connect({ port: l.port, ring }), l.accept()]);
      const iterate = (s: TcpStream) => (zeroCopy ? s.zeroCopyChunks() : s.chunks());
      try {
        // B's server: an echo over chunks() on the same ring and buffer group.
        const echo = (async () => {
          for await (const c of iterate(bServer)) await bServer.writeAll(c);
        })();
        // A's server: takes one chunk, then pauses 2 s while A's client floods it.
        const payload = crypto.randomBytes(16 * MiB);
        const flooding = a.writeAll(payload).then(() => a.shutdown('write'));
        const aIt = iterate(aServer);
        const first = await aIt.next();
        const got: Buffer[] = [Buffer.from(first.value!)];
        const pausedUntil = Date.now() + 2000;
        // Meanwhile B does round trips.
        let rounds = 0;
        let worst = 0;
        const buf = Buffer.alloc(64);
        while (Date.now() < pausedUntil) {
          const t0 = Date.now();
          await b.writeAll(Buffer.from(`ping ${rounds}`));
          let n = 0;
          while (n < `ping ${rounds}`.length) n += await b.read(buf, { offset: n, length: 64 - n });
          worst = Math.max(worst, Date.now() - t0);
          rounds++;
          await delay(20);
        }
        // A bound that a stalled connection (seconds) cannot meet, with room for a noisy VM.
        assert.ok(worst < 500, `B's worst round trip while A was paused: ${worst} ms (${rounds} rounds)`);
        assert.ok(rounds >= 10, `B kept going (${rounds} rounds)`);
        // A's consumer resumes: every byte arrives, in order.
        for (let r = await aIt.next(); !r.done; r = await aIt.next()) got.push(Buffer.from(r.value));
        await flooding;
        assert.equal(sha(Buffer.concat(got)), sha(payload));
        await b.shutdown('write');
        await echo;
      } finally {
        await Promise.all([a.close(), aServer.close(), b.close(), bServer.close()]);
        await l.close();
        await drained(ring);
        await ring.close();
      }
    });
  }

  test('the high-water mark bounds what a paused connection holds: the group keeps free buffers', async () => {
    const ring = new Ring();
    const group = ring.recvBuffers;
    const pairs = Array.from({ length: 8 }, () => socketpair({ ring, highWaterMark: 32 * 1024 }));
    try {
      const its = pairs.map(([, s]) => s.zeroCopyChunks());
      const floods = pairs.map(([c]) => c.writeAll(Buffer.alloc(4 * MiB, 1)).catch(() => {})); // each is flooded...
      await Promise.all(its.map((it) => it.next())); // ...and its consumer holds one chunk, then stops
      await delay(200);
      // 8 connections × (32 KiB + what was in flight when each paused) is far below 256 × 16 KiB.
      assert.ok(group.available, 'buffers remain for other connections');
      for (const it of its) await it.return!();
      for (const [c, s] of pairs) {
        await c.close();
        await s.close();
      }
      await Promise.all(floods);
    } finally {
      await drained(ring);
      await ring.close();
    }
  });
});

describe('streams closed with data queued give their buffers back', SUITE, () => {
  test('300 streams closed while chunks wait unread (zero-copy, held or queued): a new stream still receives', async () => {
    const ring = new Ring();
    try {
      for (let i = 0; i < 300; i++) {
        const [a, b] = socketpair({ ring });
        const it = b.zeroCopyChunks();
        await a.writeAll('x'.repeat(100));
        if (i % 2 === 0) await it.next(); // the consumer holds one chunk
        else await delay(0); // the chunk waits in the queue
        await a.writeAll('y'.repeat(100));
        await delay(0);
        await b.close();
        await a.close();
      }
      const [a, b] = socketpair({ ring });
      await a.writeAll('fresh');
      const r = await b.zeroCopyChunks().next();
      assert.equal(Buffer.from(r.value!).toString(), 'fresh');
      await a.close();
      await b.close();
      await drained(ring);
      assert.ok(ring.recvBuffers.available);
    } finally {
      await ring.close();
    }
  });

  test('a second chunks() on a stream while one runs is an error; after it ends, another may start', async () => {
    const ring = new Ring();
    const [a, b] = socketpair({ ring });
    try {
      const it = b.chunks();
      assert.throws(() => b.chunks(), { code: 'ERR_INVALID_STATE' });
      assert.throws(() => b.zeroCopyChunks(), { code: 'ERR_INVALID_STATE' });
      await it.return!();
      await a.writeAll('again');
      const r = await b.chunks().next();
      assert.equal(Buffer.from(r.value!).toString(), 'again');
      assert.throws(() => b.chunks({ highWaterMark: 0 }), { code: 'ERR_OUT_OF_RANGE' });
    } finally {
      await a.close();
      await b.close();
      await ring.close();
    }
  });
});
