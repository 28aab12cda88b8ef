/**
 * stream.zeroCopyChunks(): one multishot RECV into a provided-buffer group.  Here
 * several connections together send far more than the group holds, to slow
 * consumers, so the group runs dry (the kernel ends the multishot request with
 * ENOBUFS) and must re-arm as buffers come back; every byte is checked in order.
 *
 * The rule these tests rely on (src/net/chunks.ts): a zero-copy chunk is a view of a
 * kernel-provided buffer and is valid until the next iteration step — the next
 * `next()` hands its buffer back to the kernel, which may refill it at once.
 * (`chunks()` copies instead: test/net-pipelines.test.ts.)
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { Ring } from '../src/index.js';
import { TcpListener, TcpStream } from '../src/net/tcp.js';
import { drained, tick, waitUntil, SUITE, failIfKeptAlive } from './helpers.js';

failIfKeptAlive();

const MiB = 1 << 20;

function nodeConnect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1' }, () => resolve(s));
    s.on('error', reject);
  });
}

/** Check a chunk against `want` at `off` without copying; returns the new offset. */
function verify(chunk: Uint8Array, want: Buffer, off: number, who: string): number {
  if (off + chunk.length > want.length) assert.fail(`${who}: ${off + chunk.length} bytes received, only ${want.length} sent`);
  if (Buffer.compare(chunk, want.subarray(off, off + chunk.length)) !== 0) {
    let i = 0;
    while (chunk[i] === want[off + i]) i++;
    assert.fail(`${who}: wrong byte at offset ${off + i}`);
  }
  return off + chunk.length;
}

describe('chunks() across more data than the buffer group holds', SUITE, () => {
  test('4 connections × 20 MiB to slow consumers: the group runs dry, re-arms, every byte arrives in order', async () => {
    const ring = new Ring();
    assert.equal(ring.recvBuffers.count * ring.recvBuffers.size, 4 * MiB, 'the default group is 256 × 16 KiB');
    const CONNS = 4;
    const SIZE = 20 * MiB;
    const data = Array.from({ length: CONNS }, () => randomBytes(SIZE));
    // A group smaller than what the connections may hold together (4 × 64 KiB): dry spells.
    const listener = await TcpListener.bind({ port: 0, ring, recvBuffers: { count: 8, size: 16384 } });
    const group = listener.recvBuffers;
    assert.equal(group.count, 8);
    try {
      let sawDry = false;
      let chunksSeen = 0;
      let zeroCopies = 0;
      const consumers: Promise<number>[] = [];
      const acceptLoop = (async () => {
        for await (const s of listener.incoming()) {
          const i = consumers.length;
          consumers.push((async () => {
            try {
              // Each connection announces which payload it sends (one byte first).
              const idx = Buffer.alloc(1);
              assert.equal(await s.read(idx), 1);
              const want = data[idx[0]];
              let off = 0;
              let steps = 0;
              for await (const chunk of s.zeroCopyChunks()) {
                assert.ok(chunk.length > 0 && chunk.length <= group.size, 'a chunk fits one provided buffer');
                if (chunk.buffer === group.memory.buffer) zeroCopies++;
                // Valid until the next iteration: still intact after a few loop turns.
                const first = chunk[0];
                const last = chunk[chunk.length - 1];
                await new Promise((r) => setImmediate(r)); // the slow consumer
                if (steps % 64 === 0) await tick();
                assert.equal(chunk[0], first);
                assert.equal(chunk[chunk.length - 1], last);
                off = verify(chunk, want, off, `connection ${i} (payload ${idx[0]})`);
                if (!group.available) sawDry = true;
                chunksSeen++;
                assert.ok(++steps < 1_000_000);
              }
              return off;
            } finally {
              await s.close();
            }
          })());
        }
      })();
      const senders = data.map(async (d, i) => {
        if (i % 2 === 0) {
          const c = await TcpStream.connect({ port: listener.port, ring });
          try {
            await c.writeAll(Uint8Array.of(i));
            await c.writeAll(d);
            await c.shutdown('write');
            assert.equal(await c.read(Buffer.alloc(1)), 0);
          } finally {
            await c.close();
          }
        } else {
          const c = await nodeConnect(listener.port);
          await new Promise<void>((resolve, reject) => {
            c.on('error', reject);
            c.on('close', () => resolve());
            c.write(Uint8Array.of(i));
            c.end(d);
            c.resume();
          });
        }
      });
      await Promise.all(senders);
      await waitUntil(() => consumers.length === CONNS, 'all connections accepted');
      const received = await Promise.all(consumers);
      assert.deepEqual(received, data.map((d) => d.length), 'every byte, and no more, on every connection');
      // Views of the provided buffers, but for what arrived past a connection's
      // high-water mark before its pause reached the kernel (copied out).
      assert.ok(zeroCopies > chunksSeen / 2, `most chunks are views of the provided buffers (${zeroCopies} of ${chunksSeen})`);
      assert.ok(chunksSeen >= (CONNS * SIZE) / group.size, `at most 16 KiB per chunk (${chunksSeen} chunks)`);
      assert.ok(sawDry, 'the buffer group ran dry at some point (the ENOBUFS path was exercised)');
      await listener.close();
      await acceptLoop;
      await drained(ring);
      assert.ok(group.available);
    } finally {
      await listener.close();
      await ring.close();
    }
  });

  test('a chunk is valid until the next iteration: its buffer is reused once next() is called', async () => {
    const ring = new Ring();
    const group = ring.recvBuffers;
    const listener = await TcpListener.bind({ port: 0, ring });
    const [client, server] = await Promise.all([TcpStream.connect({ port: listener.port, ring }), listener.accept()]);
    try {
      // A high-water mark as large as the group: this one connection may hold it all.
      const it = server.zeroCopyChunks({ highWaterMark: group.count * group.size });
      // Fill the group: 8 MiB sent while the consumer takes nothing.
      const writer = (async () => {
        await client.writeAll(Buffer.alloc(8 * MiB, 0xaa));
        await client.shutdown('write');
      })();
      await waitUntil(() => !group.available, 'every provided buffer is queued for the idle consumer');
      const first = await it.next();
      assert.equal(first.done, false);
      const view = first.value!;
      const at = view.byteOffset;
      assert.ok(view.every((b) => b === 0xaa));
      // While held, nothing can land in it (the group is empty, the kernel waits).
      await new Promise((r) => setTimeout(r, 20));
      assert.ok(view.every((b) => b === 0xaa), 'a held chunk is stable');
      // Copying keeps the bytes; the view itself goes back to the kernel with next().
      const copy = Buffer.from(view);
      let total = view.length;
      let reused = false;
      for (let r = await it.next(); !r.done; r = await it.next()) {
        if (r.value.byteOffset === at) reused = true;
        total += r.value.length;
      }
      await writer;
      assert.equal(total, 8 * MiB);
      assert.ok(reused, "the first chunk's buffer was handed out again after next()");
      assert.ok(copy.every((b) => b === 0xaa));
    } finally {
      await Promise.all([client.close(), server.close()]);
      await listener.close();
      await drained(ring);
      await ring.close();
    }
  });

  test('buffer accounting stays exact: after 300 chunks() sessions (EOF, close, reset, break), an idle consumer still gets all 256 buffers', async () => {
    const ring = new Ring();
    const group = ring.recvBuffers;
    const listener = await TcpListener.bind({ port: 0, ring });
    try {
      for (let round = 0; round < 300; round++) {
        const kind = round % 4;
        const c = await nodeConnect(listener.port);
        const s = await listener.accept();
        try {
          const it = s.zeroCopyChunks();
          c.write(Buffer.alloc(1000 + round, round & 0xff));
          const r = await it.next();
          assert.equal(r.done, false);
          if (kind === 0) {
            c.end(); // EOF
            let n = 0;
            for (let x = await it.next(); !x.done; x = await it.next()) assert.ok(++n < 100);
          } else if (kind === 1) {
            const p = it.next();
            await s.close(); // close with a recv armed: the iterator ends
            assert.equal((await p).done, true);
            c.destroy();
          } else if (kind === 2) {
            const p = it.next();
            c.resetAndDestroy(); // error CQE
            await p.then(
              (x) => { assert.equal(x.done, false, 'or data that was already queued'); },
              (e: { code?: string }) => { assert.equal(e.code, 'ECONNRESET'); },
            );
            await it.return!();
          } else {
            await it.return!(); // the consumer breaks out while holding a chunk
            c.destroy();
          }
        } finally {
          await s.close();
          if (!c.destroyed) c.destroy();
        }
      }
      await drained(ring);
      assert.ok(group.available);
      // Now an idle consumer: every one of the group's buffers must be obtainable.
      const [client, server] = await Promise.all([TcpStream.connect({ port: listener.port, ring }), listener.accept()]);
      try {
        const it = server.zeroCopyChunks({ highWaterMark: group.count * group.size });
        const writer = client.writeAll(Buffer.alloc(group.count * group.size + 2 * MiB, 7)).then(() => client.shutdown('write'));
        await waitUntil(() => !group.available, 'the kernel handed out all 256 buffers (none lost to earlier sessions)');
        let total = 0;
        for (let r = await it.next(); !r.done; r = await it.next()) total += r.value.length;
        await writer;
        assert.equal(total, group.count * group.size + 2 * MiB);
      } finally {
        await Promise.all([client.close(), server.close()]);
      }
    } finally {
      await listener.close();
      await drained(ring);
      await ring.close();
    }
  });
});

describe('chunks(): a consumer that is behind gets larger chunks', SUITE, () => {
  test('data that waits is appended into one chunk (up to 64 KiB); what was handed out never changes', async () => {
    const listener = await TcpListener.bind({ port: 0 });
    try {
      const client = await nodeConnect(listener.port);
      const conn = await listener.accept();
      const data = randomBytes(4 * MiB);
      const it = conn.chunks({ highWaterMark: 256 * 1024 })[Symbol.asyncIterator]();
      // Bursts that arrive while nobody reads (coalesced), taken in between while more
      // is arriving: every chunk is snapshotted when handed out and must still hold the
      // same bytes at the end — appends go to the queue's tail, never into a chunk the
      // consumer has.
      const got: Uint8Array[] = [];
      const snaps: Buffer[] = [];
      let total = 0;
      let sent = 0;
      while (total < data.length) {
        if (sent < data.length) {
          const n = Math.min(300_000, data.length - sent);
          client.write(data.subarray(sent, sent + n));
          sent += n;
        }
        if (got.length % 3 === 0) await new Promise((r) => setTimeout(r, 20));
        const r = await it.next();
        assert.equal(r.done, false);
        const c = r.value as Uint8Array;
        got.push(c);
        snaps.push(Buffer.from(c));
        total += c.length;
      }
      for (let i = 0; i < got.length; i++) assert.ok(Buffer.from(got[i]).equals(snaps[i]), `chunk ${i} changed after it was handed out`);
      assert.ok(Buffer.concat(got).equals(data), 'every byte, in order');
      const biggest = Math.max(...got.map((c) => c.length));
      assert.ok(biggest > 16 * 1024, `chunks were coalesced (largest ${biggest})`);
      assert.ok(biggest <= 64 * 1024, `no chunk past 64 KiB (largest ${biggest})`);
      client.destroy();
      await conn.close();
    } finally {
      await listener.close();
    }
  });
});
