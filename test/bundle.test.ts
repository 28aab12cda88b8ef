/**
 * The bundled entry points (dist/bundle: what `ringcore`, `ringcore/fs`,
 * `ringcore/net` and `ringcore/dgram` load) against the modules they are built
 * from: the same exports, and every exported class and function under its own
 * name — esbuild renames a
 * top-level name that clashes between modules (`Op2`) or a class that names itself
 * in its body (`_TcpStream`), and users see that name in messages, inspect() and
 * stacks (tools/bundle.mjs).
 *
 * May touch: nothing but imports.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';

const entries: [string, string][] = [
  ['../bundle/index.js', '../src/index.js'],
  ['../bundle/fs.js', '../src/fs/promises.js'],
  ['../bundle/net.js', '../src/net/tcp.js'],
  ['../bundle/dgram.js', '../src/dgram/index.js'],
];

describe('bundled entry points', () => {
  for (const [bundled, source] of entries) {
    test(`${bundled}: the exports of ${source}, each function and class under its export name`, async () => {
      const b = await import(bundled) as Record<string, unknown>;
      const s = await import(source) as Record<string, unknown>;
      assert.deepEqual(Object.keys(b).sort(), Object.keys(s).sort());
      for (const [key, v] of Object.entries(b)) {
        if (typeof v !== 'function') continue;
        // The same object in both: Node's own (ringcore/fs' Stats is fs.Stats — on Node 22+
        // a deprecation wrapper named 'deprecated'), which esbuild cannot have renamed.
        if (v === s[key]) continue;
        assert.equal(v.name, (s[key] as { name: string }).name, `${key}: named ${v.name} in the bundle`);
        assert.equal(v.name, key, `${key} is named ${v.name}`);
      }
    });
  }

  test('a TcpStream from the bundle says TcpStream in messages and inspect()', async () => {
    const net = await import(entries[2][0]) as typeof import('../src/net/tcp.js');
    const [a, b] = net.socketpair();
    try {
      assert.match(inspect(a), /^TcpStream /);
      assert.ok(a instanceof net.TcpStream);
      await assert.rejects(async () => a.write(b as never), { code: 'ERR_INVALID_ARG_TYPE', message: /Received an instance of TcpStream$/ });
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe('what the bundle loads on demand works from the bundle', () => {
  // Built-ins loaded on first use (import() or require) — a path the source-module tests
  // do not take: through a wrong shim, `access()` found no `access` (fixed).
  test('access, copyFile with COPYFILE_FICLONE, connect by host name, streams, readLines', async () => {
    const fsb = await import(entries[1][0]) as typeof import('../src/fs/promises.js');
    const netb = await import(entries[2][0]) as typeof import('../src/net/tcp.js');
    const os = await import('node:os');
    const path = await import('node:path');
    const nodeFs = await import('node:fs');
    await fsb.access('/proc/self/stat');
    const dir = nodeFs.mkdtempSync(path.join(os.tmpdir(), 'ringcore-bundle-'));
    try {
      const a = path.join(dir, 'a');
      nodeFs.writeFileSync(a, 'line 1\nline 2\n');
      await fsb.copyFile(a, path.join(dir, 'b'), nodeFs.constants.COPYFILE_FICLONE);
      assert.equal(nodeFs.readFileSync(path.join(dir, 'b'), 'utf8'), 'line 1\nline 2\n');
      let text = '';
      for await (const c of fsb.createReadStream(a, { encoding: 'utf8' })) text += c;
      assert.equal(text, 'line 1\nline 2\n');
      const fh = await fsb.open(a);
      const lines: string[] = [];
      for await (const l of fh.readLines()) lines.push(l);
      assert.deepEqual(lines, ['line 1', 'line 2']);
    } finally {
      nodeFs.rmSync(dir, { recursive: true });
    }
    const l = await netb.TcpListener.bind({ port: 0, host: '127.0.0.1' });
    try {
      const c = await netb.TcpStream.connect({ port: l.port, host: 'localhost' });
      await c.close();
      const d = netb.createConnection({ port: l.port }); // host defaults to 'localhost'
      await new Promise((resolve, reject) => d.once('connect', resolve).once('error', reject));
      d.destroy();
    } finally {
      await l.close();
    }
  });
});
