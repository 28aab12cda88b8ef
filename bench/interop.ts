/**
 * `npm run bench -- interop`: Node's own code over RingCore sockets (issue 10).
 *
 *  1. node:http hello world — the same server, handler and HTTP machinery — on plain
 *     node:net sockets vs fed RingCore connections (`server.emit('connection',
 *     conn.toDuplex())`, bench/peers/node_http_ringcore.ts).  wrk -t1 -c64, keep-alive
 *     and a new connection per request; req/s and the server's CPU per request.
 *     Server on CPU 0, wrk on CPU 1 (taskset, when present), peers alternating.
 *
 *  2. A 1 GiB file sent over a TCP connection to the same process and written to
 *     /dev/null, with Node's stream plumbing at both ends: node:fs + node:net vs
 *     ringcore/fs streams + RingCore sockets (bench/peers/file_over_socket.ts).  Whole
 *     process: wall time from spawn to exit, and its CPU time (every thread).
 *
 * Environment: RINGCORE_BENCH_INTEROP_SECONDS (default 4), RINGCORE_BENCH_INTEROP_ROUNDS
 * (default 5), RINGCORE_BENCH_INTEROP_ONLY ("http" or "file").
 *
 * May touch: child processes, apt-get (wrk), bench/results/.
 */
import { spawnSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compare, median, save, type Table } from './harness.js';
import { coldFile } from './fs.js';
import { ensureWrk, startServer, stopServer, treeCpuUs, wrk, SideSamples, type Running } from './load.js';

const here = dirname(fileURLToPath(import.meta.url)); // dist/bench

const SERVERS = [
  { name: 'node:http on node:net', cmd: [process.execPath, join(here, 'peers', 'node_http_server.js')] },
  { name: 'node:http on ringcore', cmd: [process.execPath, join(here, 'peers', 'node_http_ringcore.js')] },
];

const LOADS = [
  { name: 'keep-alive', headers: [] as string[] },
  { name: 'new connection per request', headers: ['Connection: close'] },
];

async function http(seconds: number, rounds: number): Promise<Table[]> {
  if (!ensureWrk()) {
    console.log('interop: wrk is not installed and cannot be (not root): HTTP part skipped');
    return [];
  }
  const tables: Table[] = [];
  const running = new Map<string, Running>();
  try {
    for (const s of SERVERS) running.set(s.name, await startServer(s.name, s.cmd, '0'));
    for (const load of LOADS) {
      const cpu = new SideSamples();
      const t = await compare(`node:http hello world, ${load.name}, wrk -t1 -c64 -d${seconds}s`, 'req/s',
        SERVERS.map((s) => ({
          name: s.name,
          run: () => {
            const r = running.get(s.name)!;
            const c0 = treeCpuUs(r.child.pid!);
            const res = wrk(r.port, 64, seconds, { cpus: '1', headers: load.headers });
            if (res.errors > 0) console.log(`  (${s.name}: wrk counted ${res.errors} errors)`);
            cpu.add(s.name, (treeCpuUs(r.child.pid!) - c0) / res.requests);
            return res.requests / seconds;
          },
        })), rounds);
      tables.push(t);
      const base = median(cpu.get(SERVERS[0].name));
      tables.push({
        title: `server CPU per request, node:http, ${load.name}`, unit: 'µs/request (lower is better)', baseline: SERVERS[0].name,
        rows: SERVERS.map((s) => {
          const xs = cpu.get(s.name);
          return { name: s.name, median: median(xs), min: Math.min(...xs), max: Math.max(...xs), samples: xs, ratio: median(xs) / base };
        }),
      });
      console.log('  server CPU per request (median): ' +
        SERVERS.map((s) => `${s.name} ${median(cpu.get(s.name)).toFixed(1)} µs`).join(', '));
    }
  } finally {
    await Promise.all([...running.values()].map(stopServer));
  }
  return tables;
}

async function fileOverSocket(rounds: number): Promise<Table[]> {
  const file = coldFile();
  const script = join(here, 'peers', 'file_over_socket.js');
  const cpu = new SideSamples();
  const peers = ['node', 'ringcore'].map((which) => ({
    name: which === 'node' ? 'node:fs + node:net' : 'ringcore/fs + ringcore/net',
    run: () => {
      const t0 = performance.now();
      const r = spawnSync(process.execPath, [script, which, file], { encoding: 'utf8' });
      const ms = performance.now() - t0;
      if (r.status !== 0) throw new Error(`file_over_socket ${which}: ${r.stdout} ${r.stderr}`);
      const out = JSON.parse(r.stdout) as { bytes: number; cpuMs: number };
      if (out.bytes !== 1 << 30) throw new Error(`file_over_socket ${which}: ${out.bytes} bytes arrived`);
      cpu.add(which, out.cpuMs);
      return 1000 / ms;
    },
  }));
  const t = await compare('1 GiB file over a socket, pipeline() at both ends, whole process', 'runs/s (1000 / wall ms)', peers, rounds);
  console.log('  CPU time per run (median, every thread): ' +
    ['node', 'ringcore'].map((w) => `${w} ${median(cpu.get(w)).toFixed(0)} ms`).join(', '));
  return [t, {
    title: 'CPU time of a 1 GiB file over a socket', unit: 'ms (lower is better)', baseline: 'node',
    rows: ['node', 'ringcore'].map((w) => {
      const xs = cpu.get(w);
      return { name: w, median: median(xs), min: Math.min(...xs), max: Math.max(...xs), samples: xs, ratio: median(xs) / median(cpu.get('node')) };
    }),
  }];
}

export async function main(): Promise<void> {
  const seconds = Number(process.env.RINGCORE_BENCH_INTEROP_SECONDS ?? 4);
  const rounds = Number(process.env.RINGCORE_BENCH_INTEROP_ROUNDS ?? 5);
  const only = process.env.RINGCORE_BENCH_INTEROP_ONLY;
  const tables: Table[] = [];
  if (only === undefined || only === 'http') tables.push(...await http(seconds, rounds));
  if (only === undefined || only === 'file') tables.push(...await fileOverSocket(rounds));
  save('interop', tables, { seconds, rounds });
}
