/**
 * The package as npm ships it (issue 12): `npm pack` for real — prepack builds the
 * prebuilt addon into prebuilds/linux-x64 (tools/prebuild.mjs), prepare the
 * TypeScript and the bundle, postpack removes prebuilds/ — then
 *  - its contents (npm pack --json's file list, checked against the tarball itself):
 *    the prebuild, dist/src (code and types), dist/bundle, README, LICENSE, what a build
 *    from source needs, and nothing else: no tests, bench, examples, build/ files;
 *  - the tarball installed into a fresh folder by `npm install <tarball>` with install
 *    scripts on and a PATH that holds only `node`, `sh` and coreutils (no cc, gcc, g++, make, python):
 *    tools/install.mjs finds the prebuild, builds nothing, and a program there imports
 *    'ringcore', 'ringcore/fs' and 'ringcore/net' and does I/O; `ringcore doctor` runs;
 *  - with the prebuild broken, `npm rebuild ringcore` compiles the addon from the
 *    shipped sources and src/sys/native.ts falls back to build/Release.
 *
 * May touch: a temp directory; in the package root, dist/ (prepare rebuilds it, the
 * same) and prebuilds/ (made and removed by npm pack).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tempDir } from './helpers.js';

const root = fileURLToPath(new URL('../..', import.meta.url)); // dist/test -> package root
const linuxX64 = process.platform === 'linux' && process.arch === 'x64';

/** npm's CLI script: the npm running this suite (npm_execpath), else the one in PATH. */
function npmCli(): string {
  const fromEnv = process.env.npm_execpath;
  if (fromEnv && /npm-cli\.js$/.test(fromEnv)) return fromEnv;
  return fs.realpathSync(execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim());
}

/**
 * This process's environment without the npm_* variables of the npm that runs the suite
 * (npm_config_local_prefix would point npm at the package root, not at the app).
 */
function npmFree(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
}

/** Run npm with this process's Node: its stdout and stderr; throws with them on failure. */
function npm(args: string[], cwd: string, env: NodeJS.ProcessEnv): { stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [npmCli(), ...args], { cwd, env, encoding: 'utf8', timeout: 240_000 });
  assert.equal(r.status, 0, `npm ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  return r;
}

interface PackResult {
  filename: string; size: number; unpackedSize: number;
  files: { path: string; size: number; mode: number }[];
}

/** What may be in the tarball (all of it), and what must. */
const allowed = /^(package\.json|README\.md|LICENSE|binding\.gyp|native\/[\w-]+\.(c|cc|h)|prebuilds\/linux-x64\/ringcore\.node|tools\/install\.mjs|dist\/bundle\/(chunks\/)?[\w-]+\.js(\.map)?|dist\/src\/[\w/-]+\.(js|d\.ts))$/;
const required = [
  'package.json', 'README.md', 'LICENSE', 'binding.gyp', 'native/ringcore.c', 'native/v8pin.cc',
  'prebuilds/linux-x64/ringcore.node', 'tools/install.mjs', 'dist/src/cli.js',
  'dist/bundle/index.js', 'dist/bundle/fs.js', 'dist/bundle/net.js', 'dist/bundle/dgram.js',
  'dist/src/index.d.ts', 'dist/src/fs/promises.d.ts', 'dist/src/net/tcp.d.ts', 'dist/src/dgram/index.d.ts',
];
/** A tarball this big means something that should not ship does (it was ~470 KB). */
const maxTarball = 768 * 1024;

/** The program run from the folder the tarball was installed into. */
const program = `
import { nop, stats } from 'ringcore';
import { readFile, writeFile } from 'ringcore/fs';
import { TcpListener, TcpStream } from 'ringcore/net';
await writeFile('hello.txt', 'hello from the ring');
const text = await readFile('hello.txt', 'utf8');
await nop();
const l = await TcpListener.bind({ port: 0, host: '127.0.0.1' });
const c = await TcpStream.connect({ port: l.port, host: '127.0.0.1' });
await c.close();
await l.close();
console.log(JSON.stringify({ text, sqes: stats().sqesSubmitted }));
`;

test('npm pack: contents; installed with no C compiler in PATH, the prebuild is used; a broken prebuild falls back to a build', {
  skip: !linuxX64 && 'the package ships a linux-x64 prebuild only',
  timeout: 600_000,
}, () => {
  const tmp = tempDir('ringcore-package-');
  const hadPrebuilds = fs.existsSync(path.join(root, 'prebuilds'));
  try {
    // --- pack ---
    const out = npm(['pack', '--json', '--pack-destination', tmp.dir], root, npmFree()).stdout;
    const json = out.slice(out.indexOf('[\n'), out.lastIndexOf(']') + 1); // after any script's output
    const [pack] = JSON.parse(json) as PackResult[];
    if (!hadPrebuilds) assert.ok(!fs.existsSync(path.join(root, 'prebuilds')), 'postpack removes prebuilds/');
    const tarball = path.join(tmp.dir, pack.filename);
    const listed = pack.files.map((f) => f.path).sort();
    const inTar = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n')
      .filter((l) => l && !l.endsWith('/')).map((l) => l.replace(/^package\//, '')).sort();
    assert.deepEqual(inTar, listed, 'npm pack --json lists what the tarball holds');

    // --- contents ---
    for (const f of required) assert.ok(listed.includes(f), `the tarball has ${f}`);
    const extra = listed.filter((f) => !allowed.test(f));
    assert.deepEqual(extra, [], 'nothing but the package (no tests, bench, examples, build files, source maps of dist/src)');
    const mode = (p: string) => pack.files.find((f) => f.path === p)!.mode;
    assert.ok(mode('dist/src/cli.js') & 0o100, 'the bin is executable');
    assert.ok(pack.size < maxTarball, `the tarball is ${pack.size} bytes`);
    const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(manifest.license, 'MIT');
    assert.match(fs.readFileSync(path.join(root, 'LICENSE'), 'utf8'), /^MIT License\n\nCopyright \(c\) 2026 RingCore contributors\n/);

    // --- install with no compiler reachable ---
    const bin = path.join(tmp.dir, 'bin');
    fs.mkdirSync(bin);
    fs.symlinkSync(process.execPath, path.join(bin, 'node'));
    // npm runs scripts with `sh` from PATH; a shell and coreutils, none of them a compiler.
    for (const tool of ['sh', 'env', 'cat', 'ls', 'cp', 'mv', 'rm', 'mkdir', 'chmod', 'ln', 'uname']) {
      const at = ['/bin', '/usr/bin'].map((d) => path.join(d, tool)).find((p) => fs.existsSync(p));
      if (at) fs.symlinkSync(at, path.join(bin, tool));
    }
    const bare: NodeJS.ProcessEnv = {
      PATH: bin, HOME: process.env.HOME, TMPDIR: process.env.TMPDIR,
      npm_config_cache: path.join(tmp.dir, 'npm-cache'), // nothing from the registry: no dependencies
    };
    for (const tool of ['cc', 'gcc', 'g++', 'c++', 'clang', 'make', 'python3', 'python']) {
      const r = spawnSync('/bin/sh', ['-c', `command -v ${tool}`], { env: bare, encoding: 'utf8' });
      assert.notEqual(r.status, 0, `${tool} is not reachable (found ${r.stdout.trim()})`);
    }
    const app = path.join(tmp.dir, 'app');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module', allowScripts: { ringcore: true } }));
    const installed = npm(['install', tarball, '--ignore-scripts=false', '--foreground-scripts', '--offline', '--no-audit', '--no-fund'], app, bare);
    const log = `${installed.stdout}\n${installed.stderr}`;
    const pkg = path.join(app, 'node_modules', 'ringcore');
    assert.ok(fs.existsSync(path.join(pkg, 'prebuilds', 'linux-x64', 'ringcore.node')));
    assert.ok(!fs.existsSync(path.join(pkg, 'build')), `nothing was built:\n${log}`);
    assert.match(log, /> ringcore@[\d.]+ install\n> node tools\/install\.mjs/, `the install script ran:\n${log}`);
    assert.doesNotMatch(log, /node-gyp|building native/);

    const run = (env: NodeJS.ProcessEnv) => {
      fs.writeFileSync(path.join(app, 'check.mjs'), program);
      const r = spawnSync(process.execPath, ['check.mjs'], { cwd: app, env, encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 0, `the program failed:\n${r.stdout}\n${r.stderr}`);
      const res = JSON.parse(r.stdout) as { text: string; sqes: number };
      assert.equal(res.text, 'hello from the ring');
      assert.ok(res.sqes >= 3, `${res.sqes} SQEs submitted`);
    };
    run(bare);
    const doctor = spawnSync(path.join(app, 'node_modules', '.bin', 'ringcore'), ['doctor'], { cwd: app, env: bare, encoding: 'utf8' });
    assert.equal(doctor.status, 0, `ringcore doctor:\n${doctor.stdout}\n${doctor.stderr}`);
    assert.match(doctor.stdout, /^ring: +ok/m);

    // --- a prebuild that does not load: built from source, loaded from build/Release ---
    fs.writeFileSync(path.join(pkg, 'prebuilds', 'linux-x64', 'ringcore.node'), 'not an ELF file');
    const noCompiler = spawnSync(process.execPath, [npmCli(), 'rebuild', 'ringcore', '--ignore-scripts=false', '--foreground-scripts'],
      { cwd: app, env: bare, encoding: 'utf8', timeout: 240_000 });
    assert.notEqual(noCompiler.status, 0, 'without a compiler the rebuild fails');
    assert.match(noCompiler.stderr, /the prebuilt addon does not load: building native\//);
    npm(['rebuild', 'ringcore', '--ignore-scripts=false'], app, { ...bare, PATH: process.env.PATH }); // compilers, npm's nodedir
    assert.ok(fs.existsSync(path.join(pkg, 'build', 'Release', 'ringcore.node')), 'node-gyp built the addon');
    run(bare);
  } finally {
    tmp.cleanup();
    if (!hadPrebuilds) fs.rmSync(path.join(root, 'prebuilds'), { recursive: true, force: true });
  }
});
