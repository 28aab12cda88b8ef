/**
 * `npm run prebuilds` (and `npm pack`'s prepack): compiles the addon from native/ with
 * node-gyp and puts it at prebuilds/<platform>-<arch>/ringcore.node — on this machine
 * prebuilds/linux-x64/ringcore.node, for glibc — the prebuilt addon the package ships,
 * which tools/install.mjs and src/sys/native.ts take before build/Release.  Built
 * against Node 20's headers (npm's nodedir here) with Node-API 8, it loads on Node 20,
 * 22 and 24.  The build runs in a temporary copy of binding.gyp and native/, so that
 * build/ (what the tests of a working tree load) is left alone.
 *
 * `--remove` (`npm pack`'s postpack) deletes prebuilds/ again: it is not committed, and
 * in a working tree a stale prebuild would be loaded before the build/Release that
 * `node-gyp rebuild` makes from edited sources.
 *
 * May touch: prebuilds/, a temporary directory.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = join(root, 'prebuilds', `${process.platform}-${process.arch}`);

if (process.argv.includes('--remove')) {
  rmSync(join(root, 'prebuilds'), { recursive: true, force: true });
  process.exit(0);
}

const work = mkdtempSync(join(tmpdir(), 'ringcore-prebuild-'));
try {
  copyFileSync(join(root, 'binding.gyp'), join(work, 'binding.gyp'));
  cpSync(join(root, 'native'), join(work, 'native'), { recursive: true });
  // npm gives scripts the node-gyp it bundles (npm_config_node_gyp); else the one in PATH.
  const gyp = process.env.npm_config_node_gyp;
  const [cmd, args] = gyp ? [process.execPath, [gyp, 'rebuild']] : ['node-gyp', ['rebuild']];
  const r = spawnSync(cmd, args, { cwd: work, stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) {
    console.error(`prebuild: node-gyp rebuild failed${r.error ? `: ${r.error.message}` : ''}`);
    process.exit(r.status ?? 1);
  }
  mkdirSync(dir, { recursive: true });
  // Copy then rename: a process that has the previous prebuild mapped keeps its file.
  copyFileSync(join(work, 'build', 'Release', 'ringcore.node'), join(dir, 'ringcore.node.tmp'));
  renameSync(join(dir, 'ringcore.node.tmp'), join(dir, 'ringcore.node'));
  console.error(`prebuild: ${join(dir, 'ringcore.node')}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
