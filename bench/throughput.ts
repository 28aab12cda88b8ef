/**
 * `npm run bench -- throughput`: HTTP hello-world throughput with wrk, the same
 * client for every server.  Server pinned to CPU 0, wrk (one thread) to CPU 1; -c64
 * and -c256, alternating servers round by round.
 *
 * One wrk thread on one of two cores saturates somewhere around 30–80k req/s here, so
 * req/s alone cannot rank fast servers: beside it we report the server's CPU time
 * per request (utime + stime of the server process over the run, from
 * /proc/PID/stat, divided by the requests wrk completed).
 *
 * Peers: RingCore's http_server example, node:http, a node:net server writing the
 * same bytes, and Bun.serve when a `bun` binary is present (on PATH, or installed
 * with `npm install --prefix build/bench-peers bun`; the bench never installs it).
 * wrk is installed with apt-get if missing and we are root.
 *
 * May touch: child processes, apt-get (wrk), bench/results/.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { compare, findBun, save, type Table } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url)); // dist/bench
const root = join(here, '..', '..');

function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

function ensureWrk(): boolean {
  if (have('wrk')) return true;
  if (process.getuid?.() !== 0) return false;
  console.log('installing wrk (apt-get install wrk) ...');
  spawnSync('apt-get', ['update'], { stdio: 'ignore' });
  spawnSync('apt-get', ['install', '-y', 'wrk'], { stdio: 'ignore' });
  return have('wrk');
}

interface Server {
  name: string;
  cmd: string[];
}

interface Running {
  child: ChildProcess;
  port: number;
}

const pin = have('taskset');

/** Start a server on CPU 0 and read its port from the first line it prints. */
function start(s: Server): Promise<Running> {
  const argv = pin ? ['taskset', '-c', '0', ...s.cmd] : s.cmd;
  const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${s.name}: no port printed`)), 10_000);
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /"port":\s*(\d+)|:(\d{2,5})\b/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1] ?? m[2]) });
      }
    });
    child.on('exit', (code) => reject(new Error(`${s.name} exited early (${code})`)));
  });
}

function cpuTicks(pid: number): number {
  // /proc/PID/stat: fields 14 and 15 are utime and stime in clock ticks; the comm
  // field may contain spaces, so count from the closing parenthesis.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

const TICK_US = 1e6 / 100; // USER_HZ is 100 on Linux x86-64

function wrk(port: number, conns: number, seconds: number): number {
  const argv = [...(pin ? ['taskset', '-c', '1'] : []), 'wrk', '-t1', `-c${conns}`, `-d${seconds}s`, `http://127.0.0.1:${port}/`];
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  const m = /(\d+) requests in/.exec(r.stdout);
  if (!m) throw new Error(`wrk failed: ${r.stdout} ${r.stderr}`);
  return Number(m[1]);
}

export async function main(): Promise<void> {
  if (!ensureWrk()) {
    console.log('throughput: wrk is not installed and cannot be (not root): skipped');
    return;
  }
  const servers: Server[] = [
    { name: 'ringcore http_server', cmd: [process.execPath, join(root, 'dist', 'examples', 'run.js'), 'http_server', '--port', '0'] },
    { name: 'node:http', cmd: [process.execPath, join(root, 'dist', 'bench', 'peers', 'node_http_server.js')] },
    { name: 'node:net', cmd: [process.execPath, join(root, 'dist', 'bench', 'peers', 'node_net_server.js')] },
  ];
  const bun = findBun();
  if (bun) {
    const script = join(os.tmpdir(), 'ringcore-bench-bun-serve.js');
    writeFileSync(script, "const s = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch() { return new Response('Hello, World!'); } });\n" +
      'console.log(JSON.stringify({ port: s.port }));\n');
    servers.push({ name: 'Bun.serve', cmd: [bun, script] });
  } else {
    console.log('(Bun.serve not measured: no bun binary; `npm install --prefix build/bench-peers bun` adds it)');
  }
  const seconds = Number(process.env.RINGCORE_BENCH_WRK_SECONDS ?? 5);
  const tables: Table[] = [];
  const running = new Map<string, Running>();
  try {
    for (const s of servers) running.set(s.name, await start(s));
    for (const conns of [64, 256]) {
      const cpu = new Map<string, number[]>();
      const peers = servers.map((s) => ({
        name: s.name,
        run: () => {
          const r = running.get(s.name)!;
          const t0 = cpuTicks(r.child.pid!);
          const reqs = wrk(r.port, conns, seconds);
          const used = (cpuTicks(r.child.pid!) - t0) * TICK_US;
          (cpu.get(s.name) ?? cpu.set(s.name, []).get(s.name)!).push(used / reqs);
          return reqs / seconds;
        },
      }));
      const t = await compare(`hello world, wrk -t1 -c${conns} -d${seconds}s (server on CPU 0, wrk on CPU 1)`, 'req/s', peers, 3, 'node:http');
      const base = median(cpu.get('node:http')!);
      const bunCpu = cpu.has('Bun.serve') ? median(cpu.get('Bun.serve')!) : undefined;
      console.log('  server CPU per request (median µs; ratio vs node:http' + (bunCpu ? ', vs Bun.serve' : '') + '):');
      for (const s of servers) {
        const m = median(cpu.get(s.name)!);
        console.log(`    ${s.name.padEnd(22)} ${m.toFixed(2).padStart(7)} µs  ${(m / base).toFixed(2)}x` +
          (bunCpu ? `  ${(m / bunCpu).toFixed(2)}x` : ''));
      }
      tables.push(t, {
        title: `server CPU per request, -c${conns}`, unit: 'µs/request (lower is better)', baseline: 'node:http',
        rows: servers.map((s) => {
          const xs = cpu.get(s.name)!;
          return { name: s.name, median: median(xs), min: Math.min(...xs), max: Math.max(...xs), samples: xs, ratio: median(xs) / base };
        }),
      });
    }
  } finally {
    for (const r of running.values()) {
      r.child.stdin?.end();
      r.child.kill('SIGTERM');
    }
  }
  save('throughput', tables);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
