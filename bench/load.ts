/**
 * What the wrk-driven benchmarks share (throughput.ts, cores.ts): wrk itself
 * (installed with apt-get when missing and we are root), starting a server peer and
 * reading the port it prints, and the CPU time a server used — of its whole process
 * tree, so that a server made of several processes (node:cluster, N Bun processes)
 * is charged for all of them, like one made of threads.
 *
 * May touch: child processes, apt-get (wrk), /proc.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

export function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** wrk on PATH, installing it (apt-get, as root) if it is not. */
export function ensureWrk(): boolean {
  if (have('wrk')) return true;
  if (process.getuid?.() !== 0) return false;
  console.log('installing wrk (apt-get install wrk) ...');
  spawnSync('apt-get', ['update'], { stdio: 'ignore' });
  spawnSync('apt-get', ['install', '-y', 'wrk'], { stdio: 'ignore' });
  return have('wrk');
}

export const canPin = have('taskset');

export interface Running {
  name: string;
  child: ChildProcess;
  port: number;
}

/**
 * Start a server (`argv`, on the CPUs `cpus` names when taskset is there) and resolve
 * with the port from the first thing it prints: {"port":N} or "...:PORT".
 */
export function startServer(name: string, argv: string[], cpus?: string): Promise<Running> {
  const full = cpus !== undefined && canPin ? ['taskset', '-c', cpus, ...argv] : argv;
  const child = spawn(full[0], full.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdin!.on('error', () => {}); // EPIPE when it is already gone at the end
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name}: no port printed within 15 s`));
    }, 15_000);
    const onData = (d: Buffer) => {
      out += d;
      const m = /"port":\s*(\d+)|:(\d{2,5})\b/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        resolve({ name, child, port: Number(m[1] ?? m[2]) });
      }
    };
    child.stdout!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited early (${code})`));
    });
  });
}

/** Stop a server: stdin EOF (the peers' convention), then SIGTERM, then SIGKILL. */
export async function stopServer(r: Running): Promise<void> {
  if (r.child.exitCode !== null || r.child.signalCode !== null) return;
  const gone = new Promise<void>((res) => r.child.once('exit', () => res()));
  const within = (ms: number) => Promise.race([gone.then(() => true), new Promise<boolean>((res) => setTimeout(res, ms, false))]);
  r.child.stdin?.end();
  if (await within(3000)) return;
  r.child.kill('SIGTERM');
  if (await within(3000)) return;
  r.child.kill('SIGKILL');
  await gone;
}

/** utime + stime of one process (all its threads), in clock ticks. */
export function cpuTicks(pid: number): number {
  // /proc/PID/stat: fields 14 and 15 are utime and stime; the comm field may contain
  // spaces, so count from the closing parenthesis.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

/** utime + stime of a process and all its live descendants, in microseconds. */
export function treeCpuUs(pid: number): number {
  const parent = new Map<number, number>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      parent.set(Number(e), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  let ticks = 0;
  const walk = (p: number) => {
    try {
      ticks += cpuTicks(p);
    } catch {
      return;
    }
    for (const [c, pp] of parent) if (pp === p) walk(c);
  };
  walk(pid);
  return ticks * TICK_US;
}

export const TICK_US = 1e6 / 100; // USER_HZ is 100 on Linux x86-64

export interface WrkResult {
  requests: number;
  /** Socket errors and non-2xx/3xx responses wrk counted. */
  errors: number;
}

/** One wrk run against 127.0.0.1:port (one wrk thread, on `cpus` when given). */
export function wrk(port: number, conns: number, seconds: number, opts: { cpus?: string; headers?: string[]; path?: string } = {}): WrkResult {
  const argv = [
    ...(opts.cpus !== undefined && canPin ? ['taskset', '-c', opts.cpus] : []),
    'wrk', '-t1', `-c${conns}`, `-d${seconds}s`,
    ...(opts.headers ?? []).flatMap((h) => ['-H', h]),
    `http://127.0.0.1:${port}${opts.path ?? '/'}`,
  ];
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  const m = /(\d+) requests in/.exec(r.stdout);
  if (!m) throw new Error(`wrk failed: ${r.stdout} ${r.stderr}`);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(r.stdout);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(r.stdout);
  const errors = (sock ? sock.slice(1).reduce((a, x) => a + Number(x), 0) : 0) + (non2xx ? Number(non2xx[1]) : 0);
  return { requests: Number(m[1]), errors };
}

/**
 * A side measurement per run of harness.compare (CPU per request), keeping only the
 * runs compare keeps: its first round is a discarded warm-up.
 */
export class SideSamples {
  private readonly all = new Map<string, number[]>();
  add(name: string, v: number): void {
    const xs = this.all.get(name) ?? [];
    xs.push(v);
    this.all.set(name, xs);
  }
  /** The samples after the warm-up round. */
  get(name: string): number[] {
    return (this.all.get(name) ?? []).slice(1);
  }
}
