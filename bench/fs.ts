/**
 * `npm run bench -- fs`: the file workloads of issue 3, each peer in its own child
 * process, peers alternating round by round.
 *
 *  1. cat: the original's — a 100 MiB file copied to /dev/null with a 4096-byte
 *     buffer; whole process (startup included, the same for all), wall time and CPU.
 *  2. 4 KiB pread from page cache at 1 and 64 in flight.
 *  3. readFile of 10,000 files of 100 bytes.
 *  4. the original's concurrent reads: 100 files of 1 KiB opened and read at once.
 *  5. cold cache: random 4 KiB reads of a 1 GiB file whose pages were dropped just
 *     before (posix_fadvise DONTNEED), at 1, 64 and 256 in flight, beside
 *     `fio --ioengine=io_uring` with the same block size, depth and read count (the
 *     device's limit; fio is installed with apt-get when missing and we are root).
 *  6. runtimes (issue 12): RingCore run by Bun and by Deno beside each runtime's own file
 *     APIs, in the same run as Node's: readFile of the 10,000 small files (node:fs/promises,
 *     Bun.file().bytes(), Deno.readFile) and 4 KiB pread from page cache at 1 and 64 in
 *     flight (node:fs FileHandle.read, Bun.file().slice().bytes(), Deno.FsFile seek + read).
 *     The binaries are the dev dependencies (harness findBun/findDeno); a missing one is
 *     left out, with a line saying so.  Besides the table (ratios vs Node's fs/promises),
 *     each runtime's line "ringcore / the best of X's node:fs and its own API" is printed.
 *
 * RINGCORE_BENCH_FS selects parts: cat, pread, small, cold, runtimes (default: all).
 *
 * Data lives in $TMPDIR/ringcore-bench (created once, reused).
 *
 * May touch: $TMPDIR/ringcore-bench, child processes, bench/results/.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { compare, findBun, findDeno, save, type Table } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url)); // dist/bench
const dist = join(here, '..');
const data = join(os.tmpdir(), 'ringcore-bench');

function prepare(): { big: string; small: string; kib: string } {
  fs.mkdirSync(data, { recursive: true });
  const big = join(data, 'big-100MiB');
  if (!fs.existsSync(big) || fs.statSync(big).size !== 100 << 20) {
    const fd = fs.openSync(big, 'w');
    for (let i = 0; i < 100; i++) fs.writeSync(fd, randomBytes(1 << 20));
    fs.closeSync(fd);
  }
  const small = join(data, 'small-10000x100');
  if (!fs.existsSync(small) || fs.readdirSync(small).length !== 10_000) {
    fs.mkdirSync(small, { recursive: true });
    for (let i = 0; i < 10_000; i++) fs.writeFileSync(join(small, `f${i}`), randomBytes(100));
  }
  const kib = join(data, 'kib-100x1024');
  if (!fs.existsSync(kib) || fs.readdirSync(kib).length !== 100) {
    fs.mkdirSync(kib, { recursive: true });
    for (let i = 0; i < 100; i++) fs.writeFileSync(join(kib, `f${i}`), randomBytes(1024));
  }
  fs.readFileSync(big); // hot in the page cache
  return { big, small, kib };
}

/**
 * RINGCORE_BENCH_CPU=N runs every child on CPU N (taskset).  On these VMs the two
 * vCPUs can differ in speed by 1.5x for minutes at a time, and pinning takes that
 * out of a comparison — but it also squeezes peers that use more threads (libuv's
 * thread pool, its SQPOLL thread) onto one core, so by default nothing is pinned
 * and the alternating rounds average the noise out.
 */
const cpu = process.env.RINGCORE_BENCH_CPU ?? '';
const pin = cpu !== '' && spawnSync('taskset', ['-c', cpu, 'true']).status === 0;

/** Who runs a peer script: this Node, or a bun / deno binary (`deno run -A`). */
type Runner = { kind: 'node' } | { kind: 'bun' | 'deno'; bin: string };
const NODE: Runner = { kind: 'node' };

function child(args: string[], env: Record<string, string> = {}, stdoutFd?: number, runner: Runner = NODE): { out: string; ms: number } {
  const t0 = performance.now();
  const line = runner.kind === 'node' ? [process.execPath, ...args]
    : runner.kind === 'bun' ? [runner.bin, ...args] : [runner.bin, 'run', '-A', ...args];
  const [cmd, argv] = pin ? ['taskset', ['-c', cpu, ...line]] : [line[0], line.slice(1)];
  const r = spawnSync(cmd, argv, {
    env: { ...process.env, ...env },
    stdio: ['ignore', stdoutFd ?? 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}`);
  return { out: r.stdout ?? '', ms };
}

/** fio, installed with apt-get when missing and we are root; false if unavailable. */
function ensureFio(): boolean {
  const have = () => spawnSync('sh', ['-c', 'command -v fio']).status === 0;
  if (have()) return true;
  if (process.getuid?.() !== 0) return false;
  console.log('installing fio (apt-get install fio) ...');
  if (spawnSync('apt-get', ['install', '-y', 'fio'], { stdio: 'ignore' }).status !== 0) {
    spawnSync('apt-get', ['update'], { stdio: 'ignore' });
    spawnSync('apt-get', ['install', '-y', 'fio'], { stdio: 'ignore' });
  }
  return have();
}

/** A 1 GiB file for the cold-cache workload (created once, reused; bench/interop.ts too). */
export function coldFile(): string {
  fs.mkdirSync(data, { recursive: true });
  const f = join(data, 'cold-1GiB');
  if (!fs.existsSync(f) || fs.statSync(f).size !== 1 << 30) {
    const fd = fs.openSync(f, 'w');
    const chunk = randomBytes(1 << 20);
    for (let i = 0; i < 1024; i++) fs.writeSync(fd, chunk);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
  }
  return f;
}

async function coldReads(): Promise<Table[]> {
  const file = coldFile();
  const script = join(dist, 'bench', 'peers', 'pread.js');
  const fio = ensureFio();
  if (!fio) console.log('(fio not measured: not installed and cannot install it)');
  const tables: Table[] = [];
  for (const depth of [1, 64, 256]) {
    const count = depth === 1 ? 5000 : 20_000;
    const cold = { RINGCORE_BENCH_COLD: '1' };
    const p = (name: string, peer: string, env: Record<string, string> = {}) => ({
      name, run: () => json(child([script, peer, String(depth), file, String(count)], { ...cold, ...env }).out).rate,
    });
    const peers = [
      p('FileHandle.read', 'filehandle'),
      p('fs.read callbacks', 'callbacks'),
      p('fs.read callbacks, UV_USE_IO_URING=1', 'callbacks', { UV_USE_IO_URING: '1' }),
      ...(depth === 1 ? [p('readSync loop', 'readSync')] : []),
      p('ringcore FileHandle.read', 'ringcore'),
      ...(fio ? [{
        name: 'fio io_uring',
        run: () => {
          const r = spawnSync('fio', ['--name=cold', `--filename=${file}`, '--rw=randread', '--bs=4k', '--ioengine=io_uring',
            `--iodepth=${depth}`, '--direct=0', '--invalidate=1', `--number_ios=${count}`, '--output-format=json'],
          { encoding: 'utf8' });
          if (r.status !== 0) throw new Error(`fio failed: ${r.stderr}`);
          return JSON.parse(r.stdout).jobs[0].read.iops as number;
        },
      }] : []),
    ];
    tables.push(await compare(`4 KiB random reads, cold cache (pages dropped), ${depth} in flight, ${count} reads`, 'reads/s',
                              peers, 5, 'FileHandle.read'));
  }
  return tables;
}

function json(out: string): Record<string, number> {
  return JSON.parse(out.trim().split('\n').pop()!);
}

async function cat(big: string): Promise<Table[]> {
  const devnull = fs.openSync('/dev/null', 'w');
  const rusageFile = join(data, 'rusage.json');
  const hook = join(dist, 'bench', 'peers', 'rusage.js');
  const cpu = new Map<string, { user: number; sys: number }[]>();
  const peer = (name: string, args: string[]) => ({
    name,
    run: () => {
      const { ms } = child(['--import', hook, ...args], { RINGCORE_RUSAGE_OUT: rusageFile }, devnull);
      const u = JSON.parse(fs.readFileSync(rusageFile, 'utf8'));
      (cpu.get(name) ?? cpu.set(name, []).get(name)!).push(u);
      return 1000 / ms; // runs per second: higher is better, ratio = speed-up
    },
  });
  const ex = join(dist, 'examples', 'run.js');
  const peers = [
    peer('node fs sync loop', [join(dist, 'bench', 'peers', 'cat_node.js'), 'sync', big]),
    peer('node fs/promises loop', [join(dist, 'bench', 'peers', 'cat_node.js'), 'promises', big]),
    peer('ringcore cat', [ex, 'cat', big]),
    peer('ringcore linked_cat', [ex, 'linked_cat', big]),
  ];
  const t = await compare('cat 100 MiB, 4096-byte buffer, to /dev/null (whole process)', 'runs/s (1000/real ms)', peers, 5);
  console.log('  CPU per run (median user / sys, s):');
  for (const [name, xs] of cpu) {
    const med = (k: 'user' | 'sys') => xs.map((x) => x[k]).sort((a, b) => a - b)[xs.length >> 1];
    console.log(`    ${name.padEnd(24)} real ${(1000 / t.rows.find((r) => r.name === name)!.median / 1000).toFixed(3)}  user ${med('user').toFixed(3)}  sys ${med('sys').toFixed(3)}`);
  }
  fs.closeSync(devnull);
  return [t];
}

async function pread(big: string): Promise<Table[]> {
  const script = join(dist, 'bench', 'peers', 'pread.js');
  const p = (name: string, peer: string, inflight: number, env: Record<string, string> = {}, count = 200_000) => ({
    name,
    run: () => json(child([script, peer, String(inflight), big, String(count)], env).out).rate,
  });
  const tables: Table[] = [];
  tables.push(await compare('4 KiB pread from page cache, 1 in flight', 'ops/s', [
    p('readSync loop', 'readSync', 1),
    p('FileHandle.read', 'filehandle', 1, {}, 50_000),
    p('fs.read callbacks', 'callbacks', 1, {}, 50_000),
    p('fs.read callbacks, UV_USE_IO_URING=1', 'callbacks', 1, { UV_USE_IO_URING: '1' }, 50_000),
    p('ringcore FileHandle.read', 'ringcore', 1),
    p('ringcore ring.read', 'ring', 1),
  ], 3));
  tables.push(await compare('4 KiB pread from page cache, 64 in flight', 'ops/s', [
    p('readSync loop', 'readSync', 1),
    p('FileHandle.read', 'filehandle', 64, {}, 50_000),
    p('fs.read callbacks', 'callbacks', 64, {}, 100_000),
    p('fs.read callbacks, UV_USE_IO_URING=1', 'callbacks', 64, { UV_USE_IO_URING: '1' }, 100_000),
    p('ringcore FileHandle.read', 'ringcore', 64, {}, 500_000),
    p('ringcore FileHandle.read, after mixed warm-up', 'ringcore', 64, { RINGCORE_BENCH_WARMUP: 'mixed' }, 500_000),
    p('ringcore ring.read', 'ring', 64, {}, 500_000),
  ], 5, 'FileHandle.read'));
  return tables;
}

async function smallFiles(small: string, kib: string): Promise<Table[]> {
  const script = join(dist, 'bench', 'peers', 'smallfiles.js');
  const p = (name: string, peer: string, conc: number) => ({
    name, run: () => json(child([script, peer, small, String(conc), 'rate']).out).rate,
  });
  const tables: Table[] = [];
  tables.push(await compare('readFile of 10,000 files of 100 bytes', 'files/s', [
    p('fs/promises, 1 at a time', 'promises', 1),
    p('fs/promises, 128 concurrent', 'promises', 128),
    p('fs.readFileSync', 'sync', 1),
    p('ringcore, 1 at a time', 'ringcore', 1),
    p('ringcore, 128 concurrent', 'ringcore', 128),
  ], 3, 'fs/promises, 128 concurrent'));
  const b = (name: string, peer: string) => ({
    name, run: () => 1e6 / json(child([script, peer, kib, '100', 'batch']).out).usPerBatch,
  });
  tables.push(await compare("the original's concurrent reads: 100 files of 1 KiB at once", 'batches/s', [
    b('fs/promises', 'promises'),
    b('fs.readFileSync', 'sync'),
    b('ringcore', 'ringcore'),
  ], 3));
  return tables;
}

/**
 * RingCore on Bun and on Deno beside each runtime's node:fs and its own file API (and
 * Node's, for scale), all in one table per workload, alternating round by round.
 */
async function runtimes(big: string, small: string): Promise<Table[]> {
  const runners: { label: string; runner: Runner; own: { peer: string; name: string } }[] = [];
  const bun = findBun();
  const deno = findDeno();
  if (bun) runners.push({ label: 'Bun', runner: { kind: 'bun', bin: bun }, own: { peer: 'bunfile', name: 'Bun.file' } });
  else console.log('(Bun not measured: no bun binary; it is a dev dependency: npm ci installs it)');
  if (deno) runners.push({ label: 'Deno', runner: { kind: 'deno', bin: deno }, own: { peer: 'denoreadfile', name: 'Deno.readFile' } });
  else console.log('(Deno not measured: no deno binary; it is a dev dependency: npm ci installs it)');
  const tables: Table[] = [];

  const smallScript = join(dist, 'bench', 'peers', 'smallfiles.js');
  const sf = (name: string, peer: string, runner: Runner) => ({
    name, run: () => json(child([smallScript, peer, small, '128', 'rate'], {}, undefined, runner).out).rate,
  });
  const small128 = await compare('by runtime: readFile of 10,000 files of 100 bytes, 128 concurrent', 'files/s', [
    sf('node: fs/promises', 'promises', NODE),
    sf('node: ringcore', 'ringcore', NODE),
    ...runners.flatMap((r) => [
      sf(`${r.label}: node:fs/promises`, 'promises', r.runner),
      sf(`${r.label}: ${r.own.name}`, r.own.peer, r.runner),
      sf(`${r.label}: ringcore`, 'ringcore', r.runner),
    ]),
  ], 3, 'node: fs/promises');
  tables.push(small128);

  const preadScript = join(dist, 'bench', 'peers', 'pread.js');
  for (const inflight of [1, 64]) {
    const count = inflight === 1 ? 50_000 : 200_000;
    const pr = (name: string, peer: string, runner: Runner) => ({
      name, run: () => json(child([preadScript, peer, String(inflight), big, String(count)], {}, undefined, runner).out).rate,
    });
    tables.push(await compare(`by runtime: 4 KiB pread from page cache, ${inflight} in flight, ${count} reads`, 'ops/s', [
      pr('node: FileHandle.read', 'filehandle', NODE),
      pr('node: ringcore FileHandle.read', 'ringcore', NODE),
      ...runners.flatMap((r) => [
        pr(`${r.label}: node:fs FileHandle.read`, 'filehandle', r.runner),
        r.label === 'Bun' ? pr('Bun: Bun.file().slice().bytes()', 'bunfile', r.runner)
          : pr('Deno: Deno.FsFile seek + read', 'denofile', r.runner),
        pr(`${r.label}: ringcore FileHandle.read`, 'ringcore', r.runner),
      ]),
    ], 3, 'node: FileHandle.read'));
  }

  // Within each runtime: RingCore against the best of that runtime's own ways.
  for (const t of tables) {
    const lines: string[] = [];
    for (const label of ['node', ...runners.map((r) => r.label)]) {
      const mine = t.rows.filter((r) => r.name.startsWith(`${label}: `));
      const ring = mine.find((r) => / ringcore/.test(r.name.slice(label.length + 1)));
      const others = mine.filter((r) => r !== ring);
      if (!ring || others.length === 0) continue;
      const best = others.reduce((a, b) => (b.median > a.median ? b : a));
      lines.push(`    ${label.padEnd(5)} ringcore / ${best.name.slice(label.length + 2)}: ${(ring.median / best.median).toFixed(2)}x`);
    }
    console.log(`  within each runtime (${t.title}):\n${lines.join('\n')}`);
  }
  return tables;
}

export async function main(): Promise<void> {
  const { big, small, kib } = prepare();
  const only = process.env.RINGCORE_BENCH_FS;
  const tables: Table[] = [];
  if (!only || only.includes('cat')) tables.push(...await cat(big));
  if (!only || only.includes('pread')) tables.push(...await pread(big));
  if (!only || only.includes('small')) tables.push(...await smallFiles(small, kib));
  if (!only || only.includes('cold')) tables.push(...await coldReads());
  if (!only || only.includes('runtimes')) tables.push(...await runtimes(big, small));
  save('fs', tables);
}
