/**
 * `npm run bundle`: one ES module per entry point (dist/bundle/index.js, fs.js,
 * net.js, dgram.js) plus the chunks they share, so that importing `ringcore/fs` resolves a
 * handful of files instead of ~40 (issue 9: Node's ESM loader spent most of a short
 * program's extra startup resolving our modules).  The types stay in dist/src.
 *
 * Node built-ins are loaded with require(), not `import`: an ES import of a built-in
 * makes Node build a namespace of all its exports, and reading them runs lazy getters
 * (`fs.ReadStream` loads all of node:stream) — milliseconds a program that never uses
 * them should not pay.  Each `node:x` import becomes `module.exports = require('node:x')`,
 * which esbuild's interop reads property by property, only when used.
 *
 * May touch: dist/bundle/.
 */
import { build } from 'esbuild';
import { readdirSync, readFileSync, rmSync } from 'node:fs';

rmSync('dist/bundle', { recursive: true, force: true });
await build({
  entryPoints: { index: 'dist/src/index.js', fs: 'dist/src/fs/promises.js', net: 'dist/src/net/tcp.js', dgram: 'dist/src/dgram/index.js' },
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  // V8 parses what it loads: on this kind of machine ~7 ms per 100 KB of source, the
  // largest part of the import time.  Whitespace and syntax are minified; identifiers
  // are not, so that classes keep their names (errors, stacks) without esbuild's
  // keepNames.  keepNames gives every class a `static { __name(this, "X") }` block
  // whose defineProperty turns the constructor into a dictionary-mode object; a base
  // class constructor is the prototype of its subclasses' constructors, and TurboFan
  // then aborted every optimization of a subclass constructor ("dependency change":
  // StableMapDependency, found with gdb on the dependency check).  The server
  // recompiled SendRecvOp's, CloseOp's... constructor forever: ~1.5 ms of compiler
  // thread time each, 2.4 s of CPU per 4 s of load on a connection-per-request run.
  minifyWhitespace: true,
  minifySyntax: true,
  minifyIdentifiers: false,
  sourcemap: 'linked',
  logLevel: 'warning',
  banner: { js: "import { createRequire as __ringcoreRequire } from 'node:module'; const require = __ringcoreRequire(import.meta.url);" },
  plugins: [{
    name: 'builtins-by-require',
    setup(b) {
      // A dynamic import() of a built-in stays a real import(): through the require
      // shim it would resolve to { default: exports } and `const { lookup } = await
      // import('node:dns/promises')` would find nothing.  It loads on demand anyway.
      b.onResolve({ filter: /^node:/ }, (args) => (args.namespace === 'builtin' || args.kind === 'dynamic-import'
        ? { path: args.path, external: true } // Node's own module
        : { path: args.path, namespace: 'builtin' }));
      b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({
        contents: `module.exports = require(${JSON.stringify(args.path)});`,
        loader: 'js',
      }));
    },
  }],
});

// Without keepNames, a class or function esbuild renames keeps the new name as its
// `name` (in messages, inspect() and stacks): a clash between two modules' top-level
// names gives `Op2`, a class naming itself in its own body `var X = class _X`.  None
// is left today (test/bundle.test.ts checks every export's name); keep it so.
const renamed = [
  /\b([A-Za-z_$][\w$]*)=class _\1\b/, // self-reference in the class body
  /\b([A-Za-z_$][\w$]*?\d+)=class\b/, // a clash
  /\bclass ([A-Za-z_$][\w$]*?\d+)\b/,
];
for (const dir of ['dist/bundle', 'dist/bundle/chunks']) {
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.js'))) {
    const text = readFileSync(`${dir}/${f}`, 'utf8');
    for (const re of renamed) {
      const m = re.exec(text);
      if (m) throw new Error(`bundle: ${m[0]} in ${dir}/${f}: esbuild renamed a class (a name clash between modules, or a class naming itself in its body)`);
    }
    // A built-in reached by import() must stay Node's module (see the plugin above),
    // not a chunk wrapping require(): its named exports would be missing.
    for (const m of text.matchAll(/import\("\.\/(chunks\/)?([\w-]+\.js)"\)/g)) {
      const target = readFileSync(`dist/bundle/chunks/${m[2]}`, 'utf8');
      if (target.includes('"builtin:node:')) {
        throw new Error(`bundle: ${dir}/${f} imports ${m[2]}, a wrapped built-in: import() of it has no named exports`);
      }
    }
  }
}
