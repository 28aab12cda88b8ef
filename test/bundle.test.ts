/**
 * The bundled entry points (dist/bundle: what `ringcore`, `ringcore/fs` and
 * `ringcore/net` load) against the modules they are built from: the same exports,
 * and every exported class and function under its own name — esbuild renames a
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
];

describe('bundled entry points', () => {
  for (const [bundled, source] of entries) {
    test(`${bundled}: the exports of ${source}, each function and class under its export name`, async () => {
      const b = await import(bundled) as Record<string, unknown>;
      const s = await import(source) as Record<string, unknown>;
      assert.deepEqual(Object.keys(b).sort(), Object.keys(s).sort());
      for (const [key, v] of Object.entries(b)) {
        if (typeof v !== 'function') continue;
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
