/**
 * `npm run bundle`: one ES module per entry point (dist/bundle/index.js, fs.js,
 * net.js) plus the chunks they share, so that importing `ringcore/fs` resolves a
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
import { rmSync } from 'node:fs';

rmSync('dist/bundle', { recursive: true, force: true });
await build({
  entryPoints: { index: 'dist/src/index.js', fs: 'dist/src/fs/promises.js', net: 'dist/src/net/tcp.js' },
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  // V8 parses what it loads: on this kind of machine ~7 ms per 100 KB of source, the
  // largest part of the import time.  Minified (names kept, for stacks and errors).
  minify: true,
  keepNames: true,
  sourcemap: 'linked',
  logLevel: 'warning',
  banner: { js: "import { createRequire as __ringcoreRequire } from 'node:module'; const require = __ringcoreRequire(import.meta.url);" },
  plugins: [{
    name: 'builtins-by-require',
    setup(b) {
      b.onResolve({ filter: /^node:/ }, (args) => (args.namespace === 'builtin'
        ? { path: args.path, external: true } // the require() inside the shim: Node's own
        : { path: args.path, namespace: 'builtin' }));
      b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({
        contents: `module.exports = require(${JSON.stringify(args.path)});`,
        loader: 'js',
      }));
    },
  }],
});
