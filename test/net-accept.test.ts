/**
 * Accepting: incoming() is ONE multishot IORING_OP_ACCEPT serving many connections
 * (each accepted exactly once); running out of fds (EMFILE) ends the multishot
 * request but not the listener, which re-arms and accepts everything once fds are
 * free again.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { execFileSync } from 'node:child_process';
import { Ring } from '../src/index.js';
import { TcpListener, TcpStream } from '../src/net/tcp.js';
import { drained, tick, waitUntil, runChild, SUITE, failIfKeptAlive, type ChildResult } from './helpers.js';

failIfKeptAlive();

const NET_URL = new URL('../src/net/tcp.js', import.meta.url).href;

function nodeConnect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1' }, () => resolve(s));
    s.on('error', reject);
  });
}

/**
 * A child with RINGCORE_TRACE=1 (the tracer survives a full non-blocking stderr pipe:
 * src/runtime/trace.ts retries EAGAIN and short writes).
 */
function runTracedChild(script: string, timeoutMs: number, onStdout?: (chunk: string) => void): Promise<ChildResult> {
  return runChild(script, { RINGCORE_TRACE: '1' }, timeoutMs, onStdout && ((d: string) => onStdout(d)));
}

describe('multishot accept', SUITE, () => {
  test('1000 connects: each accepted exactly once, by far fewer ACCEPT SQEs than connections', async () => {
    const ring = new Ring();
    const N = 1000;
    const listener = await TcpListener.bind({ port: 0, ring });
    const clients: net.Socket[] = [];
    const accepted: TcpStream[] = [];
    try {
      await drained(ring);
      const s0 = ring.stats();
      const loop = (async () => {
        for await (const s of listener.incoming()) accepted.push(s);
      })();
      // In waves of 100 concurrent connects.
      for (let i = 0; i < N; i += 100) {
        clients.push(...await Promise.all(Array.from({ length: 100 }, () => nodeConnect(listener.port))));
      }
      await waitUntil(() => accepted.length >= N, `all ${N} accepted (now ${accepted.length})`, 10_000);
      // Nothing but the accept request ran on this ring meanwhile (the accepted streams
      // have done no I/O yet): every SQE since s0 was an ACCEPT.
      const s1 = ring.stats();
      const acceptSqes = s1.sqesSubmitted - s0.sqesSubmitted;
      assert.ok(acceptSqes >= 1, 'the accept was submitted');
      assert.ok(acceptSqes <= 10, `${N} connections took ${acceptSqes} ACCEPT SQEs (multishot: expected a handful)`);
      assert.equal(s1.inFlight, 1, 'the one multishot accept is still armed');
      // Exactly once: the accepted peers' ports are the clients' ports, no more, no fewer.
      assert.equal(accepted.length, N, 'no extra accepts');
      const fds = new Set(accepted.map((s) => s.fd));
      assert.equal(fds.size, N, 'distinct fds');
      const peerPorts = accepted.map((s) => s.remoteAddress!.port).sort((a, b) => a - b);
      const clientPorts = clients.map((c) => c.localPort!).sort((a, b) => a - b);
      assert.deepEqual(peerPorts, clientPorts);
      await listener.close();
      await loop;
    } finally {
      for (const c of clients) c.destroy();
      await Promise.all(accepted.map((s) => s.close()));
      await listener.close();
      await drained(ring);
      await ring.close();
    }
  });

  test('the same through a traced child: "sqe ACCEPT" lines vs. accepted connections', async () => {
    const N = 200;
    const res = await runTracedChild(`
      import net from 'node:net';
      import { TcpListener } from ${JSON.stringify(NET_URL)};
      const listener = await TcpListener.bind({ port: 0 });
      const streams = [];
      const loop = (async () => { for await (const s of listener.incoming()) streams.push(s); })();
      const clients = [];
      for (let i = 0; i < ${N}; i++) {
        clients.push(await new Promise((res, rej) => { const c = net.connect(listener.port, '127.0.0.1', () => res(c)); c.on('error', rej); }));
      }
      while (streams.length < ${N}) await new Promise((r) => setTimeout(r, 5));
      await listener.close();
      await loop;
      for (const c of clients) c.destroy();
      await Promise.all(streams.map((s) => s.close()));
      console.log('accepted ' + streams.length);
    `, 15_000);
    assert.equal(res.timedOut, false);
    assert.equal(res.code, 0, res.stderr.slice(-2000));
    assert.equal(res.stdout, `accepted ${N}\n`);
    const lines = res.stderr.split('\n');
    const acceptSqes = lines.filter((l) => /\bsqe ACCEPT\b/.test(l));
    const acceptCqes = lines.filter((l) => /\bcqe ACCEPT\b/.test(l) && / res=\d+ /.test(l));
    assert.ok(acceptSqes.length >= 1 && acceptSqes.length <= 5, `${acceptSqes.length} ACCEPT SQEs for ${N} connections`);
    // IORING_ACCEPT_MULTISHOT is in ioprio (1), where the kernel looks for it.
    for (const l of acceptSqes) assert.match(l, /ioprio=1 /);
    assert.equal(acceptCqes.length, N, 'one CQE per connection');
  });
});

describe('ending incoming() and accept()', SUITE, () => {
  test('an aborted incoming() throws AbortError once, then is done', async () => {
    const ring = new Ring();
    const listener = await TcpListener.bind({ port: 0, ring });
    try {
      const ac = new AbortController();
      const it = listener.incoming({ signal: ac.signal });
      const pending = it.next(); // waiting when the abort comes
      ac.abort(new Error('enough'));
      await assert.rejects(pending, (e: Error & { code?: string; cause?: unknown }) => {
        assert.equal(e.name, 'AbortError');
        assert.equal(e.code, 'ABORT_ERR');
        assert.equal((e.cause as Error).message, 'enough');
        return true;
      });
      // src/net/tcp.ts, Incoming.next(): "thrown once, then the iterator is simply done".
      const after = await it.next().then((r) => r, (e: Error) => `rejected again with ${e.name}`);
      assert.deepEqual(after, { value: undefined, done: true });
      // Aborted before anyone waited: the same contract.
      const ac2 = new AbortController();
      const it2 = listener.incoming({ signal: ac2.signal });
      ac2.abort();
      await assert.rejects(it2.next(), { name: 'AbortError' });
      assert.deepEqual(await it2.next(), { value: undefined, done: true });
      await drained(ring);
    } finally {
      await listener.close();
      await ring.close();
    }
  });

  test('after an aborted incoming() the listener still accepts; accept() itself can be aborted', async () => {
    const ring = new Ring();
    const listener = await TcpListener.bind({ port: 0, ring });
    try {
      const ac = new AbortController();
      const it = listener.incoming({ signal: ac.signal });
      const pending = it.next();
      ac.abort();
      await assert.rejects(pending, { name: 'AbortError' });
      await drained(ring);
      const c = await nodeConnect(listener.port);
      const s = await listener.accept();
      assert.equal(s.remoteAddress!.port, c.localPort);
      c.destroy();
      await s.close();
      // A second incoming() on the same listener works too.
      const it2 = listener.incoming();
      const c2 = await nodeConnect(listener.port);
      const r = await it2.next();
      assert.equal(r.done, false);
      assert.equal(r.value!.remoteAddress!.port, c2.localPort);
      c2.destroy();
      await r.value!.close();
      await it2.return!();
      const ac2 = new AbortController();
      const p = listener.accept({ signal: ac2.signal });
      setTimeout(() => ac2.abort(), 10);
      await assert.rejects(p, { name: 'AbortError' });
      await drained(ring);
    } finally {
      await listener.close();
      await ring.close();
    }
  });

  test('closing the listener ends a waiting incoming() cleanly (done, no error) and cancels its accept', async () => {
    const ring = new Ring();
    const listener = await TcpListener.bind({ port: 0, ring });
    const it = listener.incoming();
    const pending = it.next();
    await tick();
    await tick();
    assert.equal(ring.stats().inFlight, 1);
    await listener.close();
    assert.deepEqual(await pending, { value: undefined, done: true });
    await drained(ring);
    assert.equal(listener.fd, -1);
    await assert.rejects(TcpStream.connect({ port: listener.port, ring }), { code: 'ECONNREFUSED' });
    await ring.close();
  });
});

/** Does `prlimit --pid` work here (util-linux present, allowed to lower our own limit)? */
function havePrlimit(): boolean {
  try {
    execFileSync('prlimit', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('EMFILE during accept', SUITE, () => {
  test('running out of fds ends the multishot accept but not the listener; all connections are accepted once fds are freed', async () => {
    const N = 40;
    let clientsDone: Promise<string[]> = Promise.resolve([]);
    function connectAll(port: number): void {
      clientsDone = Promise.all(Array.from({ length: N }, () => new Promise<string>((resolve, reject) => {
        const c = net.connect({ port, host: '127.0.0.1' });
        let got = '';
        c.setEncoding('utf8').on('data', (d: string) => { got += d; });
        c.on('error', reject);
        c.on('close', () => resolve(got));
      })));
    }
    // The child lowers its own RLIMIT_NOFILE (prlimit --pid, when available), then
    // fills the fd table with /dev/null until EMFILE, keeps FREE slots, and serves.
    const res = await runTracedChild(`
      import fs from 'node:fs';
      import { execFileSync } from 'node:child_process';
      import { TcpListener } from ${JSON.stringify(NET_URL)};
      if (${havePrlimit()}) execFileSync('prlimit', ['--pid', String(process.pid), '--nofile=256:256']);
      const listener = await TcpListener.bind({ port: 0 });
      const FREE = 3;
      const fillers = [];
      for (let i = 0; i < 100000; i++) {
        try { fillers.push(fs.openSync('/dev/null', 'r')); } catch (e) { if (e.code !== 'EMFILE') throw e; break; }
      }
      for (let i = 0; i < FREE; i++) fs.closeSync(fillers.pop());
      const streams = [];
      let last = Date.now();
      let failure;
      const loop = (async () => {
        try {
          for await (const s of listener.incoming()) {
            streams.push(s);
            last = Date.now();
            if (streams.length === ${N}) break;
          }
        } catch (e) { failure = e; }
      })();
      console.log('port ' + listener.port);
      // Wait until accepting stalls (every free fd used), then free the fillers.
      let stalledAt = -1;
      const deadline = Date.now() + 8000;
      while (streams.length < ${N} && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
        if (stalledAt < 0 && streams.length > 0 && Date.now() - last > 300) {
          stalledAt = streams.length;
          console.log('stalled ' + stalledAt);
          for (const fd of fillers.splice(0)) fs.closeSync(fd);
        }
      }
      await loop;
      if (failure) { console.log('incoming threw ' + failure.code); process.exit(3); }
      // Every accepted connection is real: answer on each.
      await Promise.all(streams.map(async (s) => { await s.writeAll('ok'); await s.close(); }));
      await listener.close();
      console.log('accepted ' + streams.length);
    `, 20_000, (chunk) => {
      const m = /port (\d+)/.exec(chunk);
      if (m) connectAll(Number(m[1]));
    });
    assert.equal(res.timedOut, false, 'the child finished');
    assert.equal(res.code, 0, `child exit ${res.code}: ${res.stdout}\n${res.stderr.split('\n').filter((l) => !l.startsWith('[ring')).join('\n')}`);
    const stalled = /stalled (\d+)/.exec(res.stdout);
    assert.ok(stalled, `accepting stalled while fds were exhausted:\n${res.stdout}`);
    assert.ok(Number(stalled[1]) < N, 'only some were accepted before fds were freed');
    assert.match(res.stdout, new RegExp(`accepted ${N}\\n`), 'then every connection was accepted');
    assert.match(res.stderr, /cqe ACCEPT .*res=-24 EMFILE/, 'the kernel did report EMFILE to the multishot accept');
    const answers = await clientsDone;
    assert.equal(answers.length, N);
    for (const a of answers) assert.equal(a, 'ok');
  });
});
