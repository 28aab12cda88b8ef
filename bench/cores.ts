/**
 * `npm run bench -- cores`: using every core.  HTTP hello world under wrk, each server
 * run with 1 and with 2 threads or processes:
 *
 *   ringcore ×N        examples/http_server --workers N: N threads in one process,
 *                      each with its own ring and SO_REUSEPORT listener
 *   node:cluster ×N    node:http in N cluster workers (the primary accepts and hands
 *                      connections round-robin)              bench/peers/node_http_cluster.ts
 *   Bun reusePort ×N   Bun.serve({ reusePort: true }) in N processes (when a bun
 *                      binary is there)                      bench/peers/bun_reuseport.ts
 *
 * Two loads, wrk with one thread and 64 connections: keep-alive, and a new connection
 * per request ("Connection: close", which also measures how accepts are spread).  For
 * each: req/s, and the server's CPU time per request — utime + stime of its whole
 * process tree over the run, so threads and processes are charged alike.
 *
 * Read the figures knowing the machine: with 2 cores the client competes with the
 * server for them.  Nothing is pinned (the servers need both cores), so at ×2 the
 * server's two threads and wrk share two CPUs: req/s can rise less than 2× even when
 * the server scales perfectly; CPU per request says whether the server got more
 * expensive by spreading.  The JSON goes to bench/results/.
 *
 * Environment: RINGCORE_BENCH_CORES_SECONDS (default 4), RINGCORE_BENCH_CORES_ROUNDS
 * (default 3), RINGCORE_BENCH_CORES_N (comma-separated thread counts, default "1,2").
 *
 * May touch: child processes, apt-get (wrk), bench/results/.
 */
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compare, findBun, median, save, type Table } from './harness.js';
import { ensureWrk, startServer, stopServer, treeCpuUs, wrk, SideSamples, type Running } from './load.js';

const here = dirname(fileURLToPath(import.meta.url)); // dist/bench
const root = join(here, '..', '..');

interface Server {
  name: string;
  cmd: string[];
}

function servers(n: number, bun: string | undefined): Server[] {
  const list: Server[] = [
    { name: `node:cluster ×${n}`, cmd: [process.execPath, join(root, 'dist', 'bench', 'peers', 'node_http_cluster.js'), String(n)] },
    { name: `ringcore ×${n}`, cmd: [process.execPath, join(root, 'dist', 'examples', 'run.js'), 'http_server', '--port', '0', '--port-json', '--workers', String(n)] },
  ];
  if (bun) list.push({ name: `Bun reusePort ×${n}`, cmd: [process.execPath, join(root, 'dist', 'bench', 'peers', 'bun_reuseport.js'), bun, String(n)] });
  return list;
}

const LOADS = [
  { name: 'keep-alive', headers: [] as string[] },
  { name: 'new connection per request', headers: ['Connection: close'] },
];

export async function main(): Promise<void> {
  if (!ensureWrk()) {
    console.log('cores: wrk is not installed and cannot be (not root): skipped');
    return;
  }
  const seconds = Number(process.env.RINGCORE_BENCH_CORES_SECONDS ?? 4);
  const rounds = Number(process.env.RINGCORE_BENCH_CORES_ROUNDS ?? 3);
  const counts = (process.env.RINGCORE_BENCH_CORES_N ?? '1,2').split(',').map(Number);
  const bun = findBun();
  if (!bun) console.log('(Bun not measured: no bun binary; `npm install --prefix build/bench-peers bun` adds it)');
  const all = counts.flatMap((n) => servers(n, bun));
  const tables: Table[] = [];
  const running = new Map<string, Running>();
  try {
    for (const s of all) running.set(s.name, await startServer(s.name, s.cmd));
    for (const load of LOADS) {
      const cpu = new SideSamples();
      const errors = new Map<string, number>();
      const t = await compare(`hello world, ${load.name}, wrk -t1 -c64 -d${seconds}s (nothing pinned, ${all.length} servers alternating)`,
        'req/s', all.map((s) => ({
          name: s.name,
          run: () => {
            const r = running.get(s.name)!;
            const c0 = treeCpuUs(r.child.pid!);
            const res = wrk(r.port, 64, seconds, { headers: load.headers });
            const used = treeCpuUs(r.child.pid!) - c0;
            cpu.add(s.name, used / res.requests);
            errors.set(s.name, (errors.get(s.name) ?? 0) + res.errors);
            return res.requests / seconds;
          },
        })), rounds, all[0].name);
      tables.push(t);
      console.log(`  server CPU per request, median µs (whole process tree), and what ×2 did to req/s and CPU/request:`);
      for (const s of all) {
        const m = median(cpu.get(s.name));
        const row = t.rows.find((x) => x.name === s.name)!;
        const one = s.name.replace(/×\d+$/, '×1');
        const scale = s.name.endsWith('×1') || !t.rows.some((x) => x.name === one) ? ''
          : `   req/s ${(row.median / t.rows.find((x) => x.name === one)!.median).toFixed(2)}x, CPU/request ${(m / median(cpu.get(one))).toFixed(2)}x of ×1`;
        const err = errors.get(s.name) ? `  (wrk errors: ${errors.get(s.name)})` : '';
        console.log(`    ${s.name.padEnd(20)} ${m.toFixed(2).padStart(7)} µs${scale}${err}`);
      }
      tables.push({
        title: `server CPU per request, ${load.name}`, unit: 'µs/request, whole process tree (lower is better)', baseline: all[0].name,
        rows: all.map((s) => {
          const xs = cpu.get(s.name);
          return { name: s.name, median: median(xs), min: Math.min(...xs), max: Math.max(...xs), samples: xs, ratio: median(xs) / median(cpu.get(all[0].name)) };
        }),
      });
    }
  } finally {
    await Promise.all([...running.values()].map(stopServer));
  }
  save('cores', tables, { cpus: (await import('node:os')).cpus().length, seconds, rounds });
}
