/**
 * `npm run bench -- dgram`: a UDP echo server under 1 KiB datagrams — ringcore/dgram
 * (messages(): one multishot RECVMSG, SENDMSG per echo) vs node:dgram — with the same
 * C client (bench/client/udp_client.c) for both, each server in its own process,
 * alternating round by round.  Server on CPU 0, client on CPU 1 (taskset, when
 * present).  Two loads: ping-pong (1 socket, 1 datagram in flight: latency-bound) and
 * a window (16 sockets × 8 in flight: throughput).  For each, echoes/s and the
 * server's CPU time per echo (utime + stime of its process over the run).  The
 * client counts datagrams lost (UDP may drop; on loopback with these windows it
 * should not) and corrupt ones; both are reported.
 *
 * Environment: RINGCORE_BENCH_DGRAM_SECONDS (default 3), RINGCORE_BENCH_DGRAM_ROUNDS (default 3).
 *
 * May touch: child processes, build/bench/, bench/results/.
 */
import { spawnSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compare, median, save, type Table } from './harness.js';
import { buildUdpClient } from './client/build.js';
import { canPin, startServer, stopServer, treeCpuUs, type Running } from './load.js';

const here = dirname(fileURLToPath(import.meta.url)); // dist/bench

const LOADS = [
  { name: 'ping-pong, 1 socket × 1 in flight', sockets: 1, window: 1 },
  { name: 'window, 16 sockets × 8 in flight', sockets: 16, window: 8 },
];

export async function main(): Promise<void> {
  const client = buildUdpClient();
  const seconds = Number(process.env.RINGCORE_BENCH_DGRAM_SECONDS ?? 3);
  const rounds = Number(process.env.RINGCORE_BENCH_DGRAM_ROUNDS ?? 3);
  const names = ['node:dgram', 'ringcore'];
  const servers = new Map<string, Running>();
  const tables: Table[] = [];
  const losses: Record<string, { lost: number; corrupt: number }> = {};
  try {
    for (const n of names) servers.set(n, await startServer(n, [process.execPath, join(here, 'peers', 'dgram_servers.js'), n], '0'));
    for (const load of LOADS) {
      const cpu = new Map<string, number[]>(names.map((n) => [n, []]));
      const t = await compare(`UDP echo, 1 KiB datagrams, ${load.name}, ${seconds} s${canPin ? ' (server CPU 0, client CPU 1)' : ''}`,
        'echoes/s', names.map((n) => ({
          name: n,
          run: () => {
            const s = servers.get(n)!;
            const argv = [client, '127.0.0.1', String(s.port), String(load.sockets), String(load.window), '1024', String(seconds)];
            const c0 = treeCpuUs(s.child.pid!);
            const r = spawnSync(canPin ? 'taskset' : argv[0], canPin ? ['-c', '1', ...argv] : argv.slice(1), { encoding: 'utf8' });
            const used = treeCpuUs(s.child.pid!) - c0;
            if (r.status !== 0) throw new Error(`udp client against ${n}: ${r.stdout} ${r.stderr}`);
            const res = JSON.parse(r.stdout) as { echoes: number; perSecond: number; lost: number; corrupt: number };
            cpu.get(n)!.push(used / Math.max(1, res.echoes));
            const key = `${n}, ${load.name}`;
            losses[key] ??= { lost: 0, corrupt: 0 };
            losses[key].lost += res.lost;
            losses[key].corrupt += res.corrupt;
            return res.perSecond;
          },
        })), rounds, names[0]);
      tables.push(t);
      const rows = names.map((n) => {
        const xs = cpu.get(n)!;
        return { name: n, median: median(xs), min: Math.min(...xs), max: Math.max(...xs), samples: xs, ratio: median(xs) / median(cpu.get(names[0])!) };
      });
      console.log(`  server CPU per echo (µs, median; lower is better):`);
      for (const r of rows) {
        const l = losses[`${r.name}, ${load.name}`];
        console.log(`    ${r.name.padEnd(12)} ${r.median.toFixed(2).padStart(7)} µs  ${r.ratio.toFixed(2)}x   (lost ${l.lost}, corrupt ${l.corrupt} over all rounds)`);
      }
      tables.push({ title: `server CPU per echo, ${load.name}`, unit: 'µs/echo, server process (lower is better)', baseline: names[0], rows });
    }
  } finally {
    await Promise.all([...servers.values()].map(stopServer));
  }
  save('dgram', tables, { seconds, rounds, losses, pinned: canPin });
}
