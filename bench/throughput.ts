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
import { writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { compare, findBun, median, save, type Table } from './harness.js';
import { cpuTicks, ensureWrk, startServer, stopServer, wrk, SideSamples, TICK_US, type Running } from './load.js';

const here = dirname(fileURLToPath(import.meta.url)); // dist/bench
const root = join(here, '..', '..');

interface Server {
  name: string;
  cmd: string[];
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
      'console.log(JSON.stringify({ port: s.port }));\n' +
      "process.stdin.on('end', () => process.exit(0)); process.stdin.resume();\n");
    servers.push({ name: 'Bun.serve', cmd: [bun, script] });
  } else {
    console.log('(Bun.serve not measured: no bun binary; `npm install --prefix build/bench-peers bun` adds it)');
  }
  const seconds = Number(process.env.RINGCORE_BENCH_WRK_SECONDS ?? 5);
  const tables: Table[] = [];
  const running = new Map<string, Running>();
  try {
    for (const s of servers) running.set(s.name, await startServer(s.name, s.cmd, '0'));
    for (const conns of [64, 256]) {
      const cpu = new SideSamples();
      const peers = servers.map((s) => ({
        name: s.name,
        run: () => {
          const r = running.get(s.name)!;
          const t0 = cpuTicks(r.child.pid!);
          const reqs = wrk(r.port, conns, seconds, { cpus: '1' }).requests;
          const used = (cpuTicks(r.child.pid!) - t0) * TICK_US;
          cpu.add(s.name, used / reqs);
          return reqs / seconds;
        },
      }));
      const t = await compare(`hello world, wrk -t1 -c${conns} -d${seconds}s (server on CPU 0, wrk on CPU 1)`, 'req/s', peers, 3, 'node:http');
      const base = median(cpu.get('node:http'));
      const bunCpu = servers.some((s) => s.name === 'Bun.serve') ? median(cpu.get('Bun.serve')) : undefined;
      console.log('  server CPU per request (median µs; ratio vs node:http' + (bunCpu ? ', vs Bun.serve' : '') + '):');
      for (const s of servers) {
        const m = median(cpu.get(s.name));
        console.log(`    ${s.name.padEnd(22)} ${m.toFixed(2).padStart(7)} µs  ${(m / base).toFixed(2)}x` +
          (bunCpu ? `  ${(m / bunCpu).toFixed(2)}x` : ''));
      }
      tables.push(t, {
        title: `server CPU per request, -c${conns}`, unit: 'µs/request (lower is better)', baseline: 'node:http',
        rows: servers.map((s) => {
          const xs = cpu.get(s.name);
          return { name: s.name, median: median(xs), min: Math.min(...xs), max: Math.max(...xs), samples: xs, ratio: median(xs) / base };
        }),
      });
    }
  } finally {
    await Promise.all([...running.values()].map(stopServer));
  }
  save('throughput', tables);
}
