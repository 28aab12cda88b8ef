/**
 * `TcpStream.toDuplex()` and `createConnection()` (issue 10): Node's own networking
 * code, unmodified, over RingCore sockets.
 *
 *  - node:http server fed RingCore connections (`server.emit('connection', duplex)`):
 *    10,000 requests from a keep-alive node:http client dialing through
 *    createConnection, pipelined requests on one raw connection, a 64 MiB upload and
 *    download (hashes compared), a client that resets mid-body.
 *  - HTTPS: a certificate generated with openssl, an https server over RingCore
 *    connections and an https client over createConnection + tls.connect({ socket }).
 *  - The socket surface node:http/tls touch: half-close, setTimeout, addresses,
 *    bytesRead/bytesWritten, readyState, back-pressure; pipeline() both ways; Web
 *    Streams through Duplex.toWeb; errors (refused, destroyed while connecting).
 *  - Every fd closed at the end.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { Duplex, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TcpListener, TcpStream, createConnection, SocketDuplex } from '../src/net/tcp.js';
import { defaultRing } from '../src/index.js';
import { delay, fdCount, fdTarget, runChild, SUITE, tempDir, waitUntil, failIfKeptAlive } from './helpers.js';

failIfKeptAlive();
// The thread's ring and its buffer group exist before any fd count is taken.
defaultRing().recvBuffers;

const MiB = 1 << 20;

/** A node:http (or https) server whose connections are RingCore streams. */
async function serveOnRing(server: http.Server): Promise<{ port: number; stop: () => Promise<void>; duplexes: SocketDuplex[]; listener: TcpListener }> {
  const listener = await TcpListener.bind({ port: 0 });
  const duplexes: SocketDuplex[] = [];
  const accepting = (async () => {
    try {
      for await (const conn of listener.incoming()) {
        const d = conn.toDuplex();
        // As node:http's own server does for its sockets (http.createServer's noDelay: true).
        // Bun's node:http writes a response's head and body in two writes: with Nagle on,
        // the body waits for the client's delayed ACK (40 ms a response; the 10,000
        // requests took 58 s under Bun, 1.5 s with this).
        d.setNoDelay(true);
        duplexes.push(d);
        server.emit('connection', d);
      }
    } catch (e) {
      if ((e as Error).name !== 'AbortError' && (e as NodeJS.ErrnoException).code !== 'ECANCELED') throw e;
    }
  })();
  return {
    port: listener.port,
    duplexes,
    listener,
    stop: async () => {
      await listener.close();
      await accepting;
      server.closeAllConnections?.();
      for (const d of duplexes) d.destroy();
      await waitUntil(() => duplexes.every((d) => d.closed), 'every server-side duplex closed');
    },
  };
}

function request(options: http.RequestOptions, body?: Buffer | string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(options, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(parts) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('node:http over RingCore connections', SUITE, () => {
  test('10,000 keep-alive requests from a node:http client dialing through createConnection', { timeout: 60_000 }, async () => {
    const fds = fdCount();
    const server = http.createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (d: Buffer) => parts.push(d));
      req.on('end', () => res.end(`${req.method} ${req.url} ${Buffer.concat(parts).toString()}`));
    });
    const s = await serveOnRing(server);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    (agent as unknown as { createConnection: typeof createConnection }).createConnection = createConnection;
    try {
      const N = 10_000;
      let next = 0;
      await Promise.all(Array.from({ length: 16 }, async () => {
        while (next < N) {
          const i = next++;
          const get = i % 2 === 0;
          const r = await request({ port: s.port, path: `/r${i}`, method: get ? 'GET' : 'POST', agent }, get ? undefined : `body${i}`);
          assert.equal(r.status, 200);
          assert.equal(r.body.toString(), get ? `GET /r${i} ` : `POST /r${i} body${i}`);
        }
      }));
      // Keep-alive really reused connections: at most maxSockets of them for 10,000 requests.
      assert.ok(s.duplexes.length <= 8, `${s.duplexes.length} connections for ${N} keep-alive requests`);
    } finally {
      agent.destroy();
      await s.stop();
    }
    await waitUntil(() => fdCount() <= fds, `fds back to ${fds} (now ${fdCount()})`);
  });

  test('pipelined requests on one connection are answered in order', async () => {
    const server = http.createServer((req, res) => res.end(req.url));
    const s = await serveOnRing(server);
    try {
      const c = net.connect(s.port, '127.0.0.1');
      const n = 100;
      let wire = '';
      for (let i = 0; i < n; i++) wire += `GET /p${i} HTTP/1.1\r\nHost: x\r\n\r\n`;
      c.end(wire + 'GET /last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      let got = '';
      for await (const d of c) got += d;
      const bodies = [...got.matchAll(/\r\n\r\n(\/[a-z0-9]+)/g)].map((m) => m[1]);
      assert.deepEqual(bodies, [...Array.from({ length: n }, (_, i) => `/p${i}`), '/last']);
    } finally {
      await s.stop();
    }
  });

  test('a 64 MiB upload and a 64 MiB download arrive whole (SHA-256)', { timeout: 60_000 }, async () => {
    const big = crypto.randomBytes(64 * MiB);
    const digest = crypto.createHash('sha256').update(big).digest('hex');
    const server = http.createServer((req, res) => {
      if (req.method === 'POST') {
        const h = crypto.createHash('sha256');
        let n = 0;
        req.on('data', (d: Buffer) => { h.update(d); n += d.length; });
        req.on('end', () => res.end(`${n} ${h.digest('hex')}`));
      } else {
        res.setHeader('content-length', big.length);
        // In pieces, so the response streams under back-pressure (drain) instead of one write.
        let off = 0;
        const more = () => {
          while (off < big.length) {
            const piece = big.subarray(off, off + 256 * 1024);
            off += piece.length;
            if (!res.write(piece)) return void res.once('drain', more);
          }
          res.end();
        };
        more();
      }
    });
    const s = await serveOnRing(server);
    const agent = new http.Agent({ keepAlive: false });
    (agent as unknown as { createConnection: typeof createConnection }).createConnection = createConnection;
    try {
      const up = await request({ port: s.port, method: 'POST', path: '/up', agent }, big);
      assert.equal(up.body.toString(), `${big.length} ${digest}`);
      const down = await request({ port: s.port, method: 'GET', path: '/down', agent });
      assert.equal(down.body.length, big.length);
      assert.equal(crypto.createHash('sha256').update(down.body).digest('hex'), digest);
    } finally {
      agent.destroy();
      await s.stop();
    }
  });

  test('a client that resets mid-body: the request is aborted, the server goes on, no fd is left', async () => {
    const fds = fdCount();
    let aborted = 0;
    let received = 0;
    const server = http.createServer((req, res) => {
      req.on('data', (d: Buffer) => { received += d.length; });
      req.on('error', () => {}); // ECONNRESET: counted by 'aborted'/'close' below
      req.on('close', () => { if (!req.complete) aborted++; });
      req.on('end', () => res.end('done'));
    });
    const s = await serveOnRing(server);
    try {
      // This test failed twice in CI (never here): the client's very first write got
      // EPIPE, i.e. its connection was reset before it wrote — as when the listener is
      // closed with the connection still in its accept queue.  If it happens again, say
      // what the listener's fd is then, to tell a stale close of a reused fd number
      // (RingCore's bug) from something else.
      const lfd = s.listener.fd;
      const lwas = fdTarget(lfd);
      for (let i = 0; i < 5; i++) {
        const c = net.connect(s.port, '127.0.0.1');
        let clientError: Error | undefined;
        c.on('error', (e) => { clientError = e; });
        await new Promise((r) => c.once('connect', r));
        c.write('POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n');
        c.write(Buffer.alloc(200_000));
        await waitUntil(() => received >= (i + 1) * 100_000 || clientError !== undefined, 'the server received part of the body');
        assert.equal(clientError, undefined, `connection ${i}: the client failed before the reset (${clientError?.message}); ` +
          `listener fd ${lfd} (listener.fd now ${s.listener.fd}) was ${lwas}, is ${fdTarget(lfd)}; accepted so far: ${s.duplexes.length}`);
        c.resetAndDestroy();
        await waitUntil(() => aborted === i + 1, `request ${i} seen as aborted`);
      }
      // Still serving.
      const r = await request({ port: s.port, method: 'POST', path: '/', agent: false, createConnection } as http.RequestOptions, 'x');
      assert.equal(r.body.toString(), 'done');
    } finally {
      await s.stop();
    }
    await waitUntil(() => fdCount() <= fds, `fds back to ${fds} (now ${fdCount()})`);
  });
});

describe('undici over RingCore connections', SUITE, () => {
  test('undici request() and fetch() dial through createConnection (its connect option)', async () => {
    const { Agent, request: undiciRequest, fetch: undiciFetch } = await import('undici');
    const server = http.createServer((req, res) => res.end(`u ${req.method} ${req.url}`));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    let dialed = 0;
    const agent = new Agent({
      connect: (opts, cb) => {
        dialed++;
        return createConnection(opts as Parameters<typeof createConnection>[0], cb as never) as never;
      },
    });
    try {
      for (let i = 0; i < 200; i++) {
        const r = await undiciRequest(`http://127.0.0.1:${port}/r${i}`, { dispatcher: agent });
        assert.equal(await r.body.text(), `u GET /r${i}`);
      }
      const f = await undiciFetch(`http://localhost:${port}/f`, { dispatcher: agent, method: 'POST', body: 'x' });
      assert.equal(await f.text(), 'u POST /f');
      assert.ok(dialed >= 1 && dialed <= 3, `${dialed} connections for 201 keep-alive requests`);
      // A refused dial reaches undici's caller with the socket's code.
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      const fresh = new Agent({ connect: (opts, cb) => createConnection(opts as Parameters<typeof createConnection>[0], cb as never) as never });
      try {
        await assert.rejects(undiciRequest(`http://127.0.0.1:${port}/gone`, { dispatcher: fresh }), { code: 'ECONNREFUSED' });
      } finally {
        await fresh.close();
      }
    } finally {
      await agent.close();
      if (server.listening) server.close();
    }
  });
});

/** A P-256 key and a self-signed certificate for localhost / 127.0.0.1, made by openssl in `dir`. */
function selfSignedCert(dir: string): { key: Buffer; cert: Buffer } {
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  return { key: fs.readFileSync(keyFile), cert: fs.readFileSync(certFile) };
}

describe('HTTPS over RingCore connections', SUITE, () => {
  test('an https server and an https client (tls.connect({ socket })), certificate made by openssl', async () => {
    const tmp = tempDir();
    try {
      const { key, cert } = selfSignedCert(tmp.dir);
      const server = https.createServer({ key, cert }, (req, res) => {
        res.end(`secure ${req.url} ${(req.socket as tls.TLSSocket).getProtocol()}`);
      });
      const s = await serveOnRing(server);
      const agent = new https.Agent({ keepAlive: true, ca: cert });
      (agent as unknown as { createConnection: unknown }).createConnection =
        (opts: tls.ConnectionOptions & { port: number }) => tls.connect({ ...opts, socket: createConnection({ port: opts.port, host: '127.0.0.1' }) });
      try {
        for (let i = 0; i < 20; i++) {
          const body = await new Promise<string>((resolve, reject) => {
            https.get({ host: 'localhost', port: s.port, path: `/s${i}`, agent, ca: cert }, (res) => {
              let b = '';
              res.on('data', (d) => { b += d; });
              res.on('end', () => resolve(b));
            }).on('error', reject);
          });
          assert.equal(body, `secure /s${i} TLSv1.3`);
        }
        // The certificate is checked: a client that does not trust it is refused.
        await assert.rejects(new Promise((resolve, reject) => {
          const sock = tls.connect({ socket: createConnection({ port: s.port }), servername: 'localhost' });
          sock.once('secureConnect', () => { sock.destroy(); resolve(undefined); });
          sock.once('error', reject);
        }), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
      } finally {
        agent.destroy();
        await s.stop();
      }
    } finally {
      tmp.cleanup();
    }
  });

  // The client half alone, against node:tls' own server: what runs under Bun, whose
  // https.Server cannot take a connection through emit('connection') (tools/test-runtime.mjs).
  test('TLS client over a RingCore connection: tls.connect({ socket }) to a node:tls server, both ways, certificate checked', async () => {
    const tmp = tempDir();
    try {
      const { key, cert } = selfSignedCert(tmp.dir);
      // An echo server that says which protocol it negotiated first.
      const server = tls.createServer({ key, cert }, (sock) => {
        sock.write(`hello ${sock.getProtocol()}\n`);
        sock.pipe(sock);
        sock.on('error', () => {});
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as net.AddressInfo).port;
      try {
        const payload = crypto.randomBytes(3 * MiB + 17);
        const hello = 'hello TLSv1.3\n';
        const secure = tls.connect({ socket: createConnection({ port, host: '127.0.0.1' }), servername: 'localhost', ca: cert });
        const got: Buffer[] = [];
        let have = 0;
        // Until every byte is back (not until 'end': Deno's TLS over a Duplex never ends the
        // Duplex's writable side on secure.end(), so no FIN would reach the server).
        const echoed = new Promise<void>((resolve, reject) => {
          secure.on('data', (d: Buffer) => {
            got.push(d);
            have += d.length;
            if (have >= hello.length + payload.length) resolve();
          });
          secure.on('end', () => reject(new Error(`ended after ${have} bytes`)));
          secure.on('error', reject);
        });
        await new Promise<void>((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
        assert.equal(secure.authorized, true);
        secure.write(payload);
        await echoed;
        const all = Buffer.concat(got);
        assert.equal(all.subarray(0, hello.length).toString(), hello);
        assert.ok(all.subarray(hello.length).equals(payload), `echoed ${all.length - hello.length} of ${payload.length} bytes`);
        secure.destroy();
        // A client that does not trust the certificate is refused.
        await assert.rejects(new Promise((resolve, reject) => {
          const sock = tls.connect({ socket: createConnection({ port, host: '127.0.0.1' }), servername: 'localhost' });
          sock.once('secureConnect', () => { sock.destroy(); resolve(undefined); });
          sock.once('error', reject);
        }), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
      } finally {
        server.close();
      }
    } finally {
      tmp.cleanup();
    }
  });
});

/** A connected pair: our Duplex on the client side, a node:net socket on the server side. */
async function pairWithNet(): Promise<{ d: SocketDuplex; peer: net.Socket; close: () => void }> {
  const srv = net.createServer({ allowHalfOpen: true });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  const peerP = new Promise<net.Socket>((r) => srv.once('connection', r));
  const d = createConnection({ port });
  await new Promise((r) => d.once('connect', r));
  const peer = await peerP;
  return { d, peer, close: () => { peer.destroy(); d.destroy(); srv.close(); } };
}

describe('the net.Socket surface', SUITE, () => {
  test('connecting state, addresses, byte counts, readyState', async () => {
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as net.AddressInfo).port;
    const peerP = new Promise<net.Socket>((r) => srv.once('connection', r));
    const d = createConnection({ port, host: '127.0.0.1' });
    assert.equal(d.connecting, true);
    assert.equal(d.pending, true);
    assert.equal(d.readyState, 'opening');
    d.write('early'); // buffered until connected, as net.Socket
    await new Promise((r) => d.once('connect', r));
    const peer = await peerP;
    try {
      assert.equal(d.connecting, false);
      assert.equal(d.readyState, 'open');
      assert.equal(d.remotePort, port);
      assert.equal(d.remoteAddress, '127.0.0.1');
      assert.equal(d.remoteFamily, 'IPv4');
      assert.equal(d.localPort, peer.remotePort);
      assert.deepEqual(d.address(), { address: '127.0.0.1', family: 'IPv4', port: peer.remotePort });
      let got = '';
      peer.on('data', (b) => { got += b; });
      d.write(' and later');
      await waitUntil(() => got === 'early and later', 'the peer got both writes');
      await waitUntil(() => d.bytesWritten === 15, 'bytesWritten counted');
      peer.write('12345');
      const chunk = await new Promise<Buffer>((r) => d.once('data', r));
      assert.equal(chunk.toString(), '12345');
      assert.equal(d.bytesRead, 5);
    } finally {
      peer.destroy();
      d.destroy();
      srv.close();
    }
  });

  test('half-close: end() sends FIN and reading goes on; the peer\'s FIN ends the readable', async () => {
    const { d, peer, close } = await pairWithNet();
    try {
      let peerGot = '';
      peer.on('data', (b) => { peerGot += b; });
      const peerEnded = new Promise((r) => peer.once('end', r));
      const finished = new Promise((r) => d.once('finish', r));
      d.end('request');
      await peerEnded; // FIN arrived after the data
      assert.equal(peerGot, 'request');
      await finished; // (our shutdown's completion may be reaped after the peer saw the FIN)
      peer.end('answer after our FIN');
      let got = '';
      for await (const b of d) got += b;
      assert.equal(got, 'answer after our FIN');
      await new Promise((r) => d.once('close', r));
      assert.equal(d.readyState, 'closed');
    } finally {
      close();
    }
  });

  test('allowHalfOpen false (the default): the peer\'s FIN ends our writable side too', async () => {
    const { d, peer, close } = await pairWithNet();
    try {
      const peerGotEnd = new Promise((r) => peer.once('end', r));
      peer.resume();
      d.resume();
      peer.end();
      await peerGotEnd; // we answered its FIN with ours
      await new Promise((r) => d.once('close', r));
    } finally {
      close();
    }
  });

  test('setTimeout emits timeout after inactivity, activity pushes it back, 0 disables', async () => {
    const { d, peer, close } = await pairWithNet();
    try {
      let timeouts = 0;
      d.setTimeout(150, () => { timeouts++; });
      assert.equal(d.timeout, 150);
      d.resume();
      for (let i = 0; i < 5; i++) { // keep it busy for ~300 ms: no timeout
        peer.write('x');
        await delay(60);
      }
      assert.equal(timeouts, 0);
      await waitUntil(() => timeouts === 1, 'a timeout after 150 ms of silence');
      d.setTimeout(0);
      await delay(250);
      assert.equal(timeouts, 1);
      assert.equal(d.destroyed, false, 'a timeout does not close the socket (the listener decides)');
      assert.throws(() => d.setTimeout(-1), { code: 'ERR_OUT_OF_RANGE', name: 'RangeError' });
      assert.throws(() => d.setTimeout('10' as never), { code: 'ERR_INVALID_ARG_TYPE' });
    } finally {
      close();
    }
  });

  test('setNoDelay/setKeepAlive/ref/unref return the socket', async () => {
    const { d, close } = await pairWithNet();
    try {
      assert.equal(d.setNoDelay(true), d);
      assert.equal(d.setKeepAlive(true, 10_000), d);
      assert.equal(d.ref(), d);
      assert.equal(d.unref(), d);
    } finally {
      close();
    }
  });

  test('back-pressure: a Duplex nobody reads stops receiving (the peer sees its writes buffer)', async () => {
    const { d, peer, close } = await pairWithNet();
    try {
      const chunk = Buffer.alloc(64 * 1024);
      let sent = 0;
      for (let i = 0; i < 400; i++) { // up to 25 MiB, stopping once the kernel buffers are full
        if (!peer.write(chunk)) {
          await Promise.race([new Promise((r) => peer.once('drain', r)), delay(300)]);
          if (peer.writableLength > 0) break;
        }
        sent += chunk.length;
      }
      assert.ok(sent < 25 * MiB, 'the peer was held back');
      assert.ok(d.bytesRead < 4 * MiB, `a paused Duplex took ${d.bytesRead} bytes`);
      // Reading resumes everything.
      let n = 0;
      d.on('data', (b: Buffer) => { n += b.length; });
      await waitUntil(() => n + d.readableLength >= sent, 'everything sent arrives once read');
    } finally {
      close();
    }
  });

  test('pipeline(): a file into a socket and a socket into a file, byte for byte', async () => {
    const tmp = tempDir();
    try {
      const src = path.join(tmp.dir, 'src');
      const dst = path.join(tmp.dir, 'dst');
      const data = crypto.randomBytes(8 * MiB + 123);
      fs.writeFileSync(src, data);
      const listener = await TcpListener.bind({ port: 0 });
      const receiving = (async () => {
        const conn = await listener.accept();
        await pipeline(conn.toDuplex(), fs.createWriteStream(dst));
      })();
      const client = createConnection({ port: listener.port });
      await pipeline(fs.createReadStream(src), client);
      await receiving;
      // The client's readable side was never read, so nothing ends it: destroy it, as
      // one would a net.Socket (else its fd waits for GC: "Closing file descriptor N").
      client.destroy();
      await new Promise((r) => client.once('close', r));
      await listener.close();
      assert.ok(fs.readFileSync(dst).equals(data));
    } finally {
      tmp.cleanup();
    }
  });

  test('Web Streams views (Duplex.toWeb)', async () => {
    const { d, peer, close } = await pairWithNet();
    try {
      const { readable, writable } = Duplex.toWeb(d);
      const w = writable.getWriter();
      let got = '';
      peer.on('data', (b) => { got += b; });
      await w.write(new TextEncoder().encode('web write'));
      await waitUntil(() => got === 'web write', 'the peer got the web write');
      peer.end('web read');
      let read = '';
      for await (const c of readable as unknown as AsyncIterable<Uint8Array>) read += Buffer.from(c).toString();
      assert.equal(read, 'web read');
    } finally {
      close();
    }
  });

  test('Readable.from/Writable plumbing works as with net.Socket', async () => {
    const { d, peer, close } = await pairWithNet();
    try {
      const sink: Buffer[] = [];
      const done = pipeline(d, new Writable({ write(c, _e, cb) { sink.push(c); cb(); } }));
      await pipeline(Readable.from(['a', 'b', 'c'].map((s) => Buffer.from(s))), peer);
      await done;
      assert.equal(Buffer.concat(sink).toString(), 'abc');
    } finally {
      close();
    }
  });
});

describe('errors and hostile use', SUITE, () => {
  test('a refused connection: callback(err) and the error event carry ECONNREFUSED', async () => {
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as net.AddressInfo).port;
    await new Promise((r) => srv.close(r));
    const err = await new Promise<Error>((resolve) => createConnection({ port }, (e) => resolve(e!)));
    assert.equal((err as NodeJS.ErrnoException).code, 'ECONNREFUSED');
    const d = createConnection({ port });
    const e2 = await new Promise<NodeJS.ErrnoException>((r) => d.once('error', r));
    assert.equal(e2.code, 'ECONNREFUSED');
    assert.throws(() => createConnection(null as never), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => createConnection({ port }, undefined, 'x' as never), { code: 'ERR_INVALID_ARG_TYPE' });
  });

  test('destroyed while connecting, and while reading/writing: no fd left, nothing thrown', async () => {
    const fds = fdCount();
    const srv = net.createServer((s) => { s.on('error', () => {}); s.resume(); });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as net.AddressInfo).port;
    try {
      for (let i = 0; i < 20; i++) {
        const d = createConnection({ port });
        if (i % 2 === 0) d.destroy(); // before the connect completes
        else {
          d.on('error', () => {});
          d.once('connect', () => { d.write(Buffer.alloc(1 << 20)); d.resume(); setImmediate(() => d.destroy()); });
        }
        await new Promise((r) => d.once('close', r));
      }
    } finally {
      srv.close();
    }
    await waitUntil(() => fdCount() <= fds, `fds back to ${fds} (now ${fdCount()})`);
  });

  test('toDuplex on a closed stream, or twice, or with a chunks() iterator running, throws', async () => {
    const listener = await TcpListener.bind({ port: 0 });
    try {
      const a = await TcpStream.connect({ port: listener.port });
      const b = await listener.accept();
      const d = a.toDuplex();
      assert.throws(() => a.toDuplex(), { code: 'ERR_INVALID_STATE' });
      b.chunks();
      assert.throws(() => b.toDuplex(), { code: 'ERR_INVALID_STATE' });
      d.destroy();
      await new Promise((r) => d.once('close', r));
      assert.throws(() => a.toDuplex(), { code: 'EBADF' });
      assert.throws(() => a.toDuplex({ readableHighWaterMark: -1 }), { code: 'EBADF' });
      await b.close();
    } finally {
      await listener.close();
    }
  });
});

describe('found by a hostile test (issue 10)', SUITE, () => {
  test('destroy() while connecting aborts the dial: nothing left in flight, no fd', async () => {
    // A listener with backlog 0 that never accepts: once its queue is full, SYNs are dropped.
    const l = await TcpListener.bind({ port: 0, backlog: 0 });
    const held: TcpStream[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        try {
          held.push(await TcpStream.connect({ port: l.port, timeout: 200 }));
        } catch {
          break;
        }
      }
      const ring = defaultRing();
      const before = ring.stats().inFlight;
      const fds = fdCount();
      const d = createConnection({ port: l.port });
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(d.connecting, true);
      d.destroy();
      await new Promise((r) => d.once('close', r));
      assert.equal(d.connecting, false);
      assert.equal(d.readyState, 'closed');
      await waitUntil(() => ring.stats().inFlight <= before, 'the connect request ended');
      await waitUntil(() => fdCount() <= fds, 'its socket closed');
    } finally {
      for (const s of held) await s.close();
      await l.close();
    }
  });

  test('an idle keep-alive socket of a node:http agent lets the process exit (unref)', async () => {
    const server = http.createServer((_req, res) => res.end('ok'));
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const script = `
        import http from 'node:http';
        import { createConnection } from ${JSON.stringify(new URL('../src/net/tcp.js', import.meta.url).href)};
        const agent = new http.Agent({ keepAlive: true });
        agent.createConnection = createConnection;
        http.get({ port: ${port}, agent }, (res) => { res.resume(); res.on('end', () => console.log('got it')); });`;
      const r = await runChild(script, {}, 5000);
      assert.match(r.stdout, /got it/, r.stderr);
      assert.equal(r.timedOut, false, 'the pooled socket kept the process alive');
      assert.equal(r.code, 0);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  test('a signal aborted after the connection is up destroys the socket with an AbortError', async () => {
    const l = await TcpListener.bind({ port: 0 });
    try {
      const ac = new AbortController();
      const d = createConnection({ port: l.port, signal: ac.signal });
      await new Promise((r) => d.once('connect', r));
      const conn = await l.accept();
      const err = new Promise<Error>((r) => d.once('error', r));
      const closed = new Promise((r) => d.once('close', r)); // emitted right after 'error'
      ac.abort();
      assert.equal((await err).name, 'AbortError');
      await closed;
      await conn.close();
    } finally {
      await l.close();
    }
  });

  test("'end' is not held back by corked writes or by a peer that stops reading", async () => {
    const { d, peer, close } = await pairWithNet();
    try {
      d.cork();
      d.write('waits in the cork');
      peer.end('bye');
      d.resume();
      await new Promise((r) => d.once('end', r)); // hung before: 'end' waited for the corked write
      d.uncork();
    } finally {
      close();
    }
    const p2 = await pairWithNet();
    try {
      p2.peer.pause(); // never reads: our big write stays in flight
      p2.d.write(Buffer.alloc(32 << 20));
      await new Promise((r) => setTimeout(r, 50));
      p2.peer.end('bye');
      p2.d.resume();
      // The peer never reads, so our send never completes: 'end' comes only because
      // waiting for sends in flight is bounded (before: it waited for the peer — a hang).
      await new Promise((r) => p2.d.once('end', r));
      assert.ok(p2.d.writableLength > 0 || p2.d.writableNeedDrain, 'our write was still in flight at the end');
    } finally {
      p2.close();
    }
  });
});
