/**
 * `npm run bench -- echo`: echo ping-pong, 1 KiB messages, at 1, 64 and 1,000
 * connections: RingCore vs node:net, the same C client (bench/client/echo_client.c)
 * for both, each server in its own process, alternating round by round.  Server on
 * CPU 0, client on CPU 1 (taskset, when present).
 *
 * May touch: child processes, build/bench/, bench/results/.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compare, save, type Table } from './harness.js';
import { buildEchoClient } from './client/build.js';

const here = dirname(fileURLToPath(import.meta.url));
const pin = spawnSync('sh', ['-c', 'command -v taskset']).status === 0;

function start(name: string): Promise<{ child: ChildProcess; port: number }> {
  const argv = [process.execPath, join(here, 'peers', 'echo_servers.js'), name];
  const child = spawn(pin ? 'taskset' : argv[0], pin ? ['-c', '0', ...argv] : argv.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve({ child, port: JSON.parse(out.slice(0, nl)).port });
    });
    child.on('exit', (c) => reject(new Error(`${name} server exited (${c})`)));
  });
}

export async function main(): Promise<void> {
  const client = buildEchoClient();
  const seconds = Number(process.env.RINGCORE_BENCH_ECHO_SECONDS ?? 3);
  const names = ['node:net', 'ringcore', 'ringcore:chunks'];
  const servers = new Map<string, { child: ChildProcess; port: number }>();
  const tables: Table[] = [];
  try {
    for (const n of names) servers.set(n, await start(n));
    for (const conns of [1, 64, 1000]) {
      tables.push(await compare(`echo ping-pong, 1 KiB messages, ${conns} connection(s), ${seconds} s`, 'round trips/s',
        names.map((n) => ({
          name: n,
          run: () => {
            const argv = [client, '127.0.0.1', String(servers.get(n)!.port), String(conns), '1024', String(seconds)];
            const r = spawnSync(pin ? 'taskset' : argv[0], pin ? ['-c', '1', ...argv] : argv.slice(1), { encoding: 'utf8' });
            if (r.status !== 0) throw new Error(`echo client against ${n}: ${r.stdout} ${r.stderr}`);
            return JSON.parse(r.stdout).perSecond;
          },
        })), 3));
    }
  } finally {
    for (const s of servers.values()) s.child.stdin?.end();
  }
  save('echo', tables);
}
