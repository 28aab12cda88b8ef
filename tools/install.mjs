/**
 * The package's `install` script (npm runs it on `npm install ringcore`, `npm ci`,
 * `npm rebuild`): nothing to do when the prebuilt addon the package ships for this
 * platform — prebuilds/<platform>-<arch>/ringcore.node, made by `npm run prebuilds` —
 * exists and loads (tried in a child process, so that a crash or a wrong libc, musl for
 * a glibc build, is only a "no"); otherwise the addon is compiled from native/ with
 * node-gyp (needs Python, make and a C/C++ compiler).  src/sys/native.ts loads the
 * prebuild first, then build/Release/ringcore.node.
 *
 * May touch: build/ (node-gyp), nothing else.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const rel = `prebuilds/${process.platform}-${process.arch}/ringcore.node`;
const prebuild = fileURLToPath(new URL(`../${rel}`, import.meta.url));

/** Does the addon at `path` load in a fresh process of this Node, with its functions? */
function loads(path) {
  const probe = `const m = { exports: {} }; process.dlopen(m, ${JSON.stringify(path)});
    if (typeof m.exports.setup !== 'function' || typeof m.exports.enter !== 'function') process.exit(3);`;
  const r = spawnSync(process.execPath, ['-e', probe], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0 && r.stderr) process.stderr.write(`ringcore: ${rel} does not load here:\n${r.stderr}`);
  return r.status === 0;
}

if (existsSync(prebuild) && loads(prebuild)) {
  process.exit(0);
}

// npm gives scripts the node-gyp it bundles (npm_config_node_gyp); else the one in PATH.
const gyp = process.env.npm_config_node_gyp;
const [cmd, args] = gyp ? [process.execPath, [gyp, 'rebuild']] : ['node-gyp', ['rebuild']];
process.stderr.write(`ringcore: ${existsSync(prebuild) ? 'the prebuilt addon does not load' : `no prebuilt addon for ${process.platform}-${process.arch}`}: ` +
  'building native/ with node-gyp (needs Python, make and a C/C++ compiler)\n');
const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
if (r.error) process.stderr.write(`ringcore: could not run node-gyp: ${r.error.message}\n`);
process.exit(r.status ?? 1);
