/**
 * ref()/unref() of streams and listeners, as Node's (review findings, issue 11): an
 * unref()'d socket still finishes writing what it was given (only requests that wait
 * for the peer stop keeping the process alive), and ref()/unref() reach requests that
 * are already waiting — accept() and read() — not only incoming()/chunks().
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import crypto from 'node:crypto';
import { runChild, SUITE, INDEX_URL } from './helpers.js';

const NET_URL = new URL('../src/net/tcp.js', INDEX_URL).href;

describe('unref() and writes, ref() and requests in flight', SUITE, () => {
  test('an unref()\'d Duplex ends its big write before the process exits', async () => {
    // The peer (this process) reads slowly: the child's 8 MiB must all arrive.
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const got = new Promise<{ bytes: number; sha: string }>((resolve) => {
      server.once('connection', (s) => {
        const h = crypto.createHash('sha256');
        let bytes = 0;
        s.pause();
        setTimeout(() => s.resume(), 300);
        s.on('data', (d: Buffer) => { h.update(d); bytes += d.length; });
        s.on('end', () => resolve({ bytes, sha: h.digest('hex') }));
      });
    });
    const script = `
      import { createConnection } from ${JSON.stringify(NET_URL)};
      const data = Buffer.alloc(8 << 20, 7);
      const d = createConnection({ port: ${port} });
      d.unref();
      d.end(data);`;
    try {
      const r = await runChild(script, {}, 10_000);
      assert.equal(r.timedOut, false, r.stderr);
      const { bytes, sha } = await got;
      assert.equal(bytes, 8 << 20);
      assert.equal(sha, crypto.createHash('sha256').update(Buffer.alloc(8 << 20, 7)).digest('hex'));
    } finally {
      server.close();
    }
  });

  const cases: [string, string, string, boolean][] = [
    ['accept(): unref() while it waits lets the process exit', `
      const l = await TcpListener.bind({ port: 0 });
      l.accept().then(() => console.log('accepted'), () => {});
      await new Promise((r) => setTimeout(r, 50));
      l.unref();`, '', true],
    ['accept(): unref() then ref() while it waits keeps it alive, and it accepts', `
      const l = await TcpListener.bind({ port: 0 });
      l.unref();
      l.accept().then((c) => { console.log('accepted'); process.exit(0); });
      await new Promise((r) => setTimeout(r, 50));
      l.ref();
      setTimeout(() => { import('node:net').then((net) => net.connect(l.port, '127.0.0.1').unref()); }, 300).unref();`, 'accepted', true],
    ['read(): unref() while it waits lets the process exit', `
      const l = await TcpListener.bind({ port: 0 });
      const c = await TcpStream.connect({ port: l.port });
      const s = await l.accept();
      await l.close();
      c.read(Buffer.alloc(10)).then(() => console.log('read'), () => {});
      await new Promise((r) => setTimeout(r, 50));
      c.unref();`, '', true],
    ['read(): ref() again while it waits keeps it alive until data comes', `
      const l = await TcpListener.bind({ port: 0 });
      const c = await TcpStream.connect({ port: l.port });
      const s = await l.accept();
      await l.close();
      c.unref();
      c.read(Buffer.alloc(10)).then((n) => { console.log('read', n); process.exit(0); });
      await new Promise((r) => setTimeout(r, 50));
      c.ref();
      setTimeout(() => s.writeAll(Buffer.from('hello')), 300).unref();`, 'read 5', true],
  ];
  for (const [name, body, expect, exits] of cases) {
    test(name, async () => {
      const script = `import { TcpListener, TcpStream } from ${JSON.stringify(NET_URL)};\n${body}\nconsole.log('set up');`;
      const r = await runChild(script, {}, 3000);
      assert.match(r.stdout, /set up/, r.stderr);
      assert.equal(r.timedOut, !exits, `${exits ? 'should exit' : 'should stay'}: ${r.stdout} ${r.stderr}`);
      if (expect) assert.match(r.stdout, new RegExp(expect));
      else assert.doesNotMatch(r.stdout, /accepted|read/);
    });
  }
});
