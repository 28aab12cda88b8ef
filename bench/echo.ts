/**
 * `npm run bench -- echo`: echo ping-pong, 1 KiB messages, at 1, 64 and 1,000
 * connections: RingCore vs node:net, the same C client (bench/client/echo_client.c)
 * for all, each server in its own process, alternating round by round.  Server on
 * CPU 0, client on CPU 1 (taskset, when present).
 *
 * With the bun and deno binaries (dev dependencies; harness findBun/findDeno): Bun.listen
 * and Deno.listen echo servers, and RingCore's servers run by Bun and by Deno ("ringcore
 * on Bun", ...), in the same run.  RINGCORE_BENCH_ECHO_PEERS=a,b,... picks peers by name;
 * RINGCORE_BENCH_ECHO_SECONDS (default 3) is each measurement's length.
 *
 * May touch: child processes, build/bench/, bench/results/.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compare, findBun, findDeno, save, type Table } from './harness.js';
import { buildEchoClient } from './client/build.js';

const here = dirname(fileURLToPath(import.meta.url));
const pin = spawnSync('sh', ['-c', 'command -v taskset']).status === 0;

/** A server peer: its name in the tables, the echo_servers.js mode, and who runs it. */
interface EchoPeer { name: string; mode: string; runtime: 'node' | 'bun' | 'deno'; bin: string }

function peers(): EchoPeer[] {
  const node = (name: string, mode = name): EchoPeer => ({ name, mode, runtime: 'node', bin: process.execPath });
  const list = [node('node:net'), node('ringcore'), node('ringcore:chunks')];
  const bun = findBun();
  if (bun) {
    list.push({ name: 'Bun.listen', mode: 'Bun.listen', runtime: 'bun', bin: bun },
              { name: 'ringcore on Bun', mode: 'ringcore', runtime: 'bun', bin: bun },
              { name: 'ringcore:chunks on Bun', mode: 'ringcore:chunks', runtime: 'bun', bin: bun });
  } else console.log('(Bun not measured: no bun binary; it is a dev dependency: npm ci installs it)');
  const deno = findDeno();
  if (deno) {
    list.push({ name: 'Deno.listen', mode: 'Deno.listen', runtime: 'deno', bin: deno },
              { name: 'ringcore on Deno', mode: 'ringcore', runtime: 'deno', bin: deno },
              { name: 'ringcore:chunks on Deno', mode: 'ringcore:chunks', runtime: 'deno', bin: deno });
  } else console.log('(Deno not measured: no deno binary; it is a dev dependency: npm ci installs it)');
  const wanted = process.env.RINGCORE_BENCH_ECHO_PEERS?.split(',').map((x) => x.trim());
  return wanted ? list.filter((p) => wanted.includes(p.name)) : list;
}

function start(peer: EchoPeer): Promise<{ child: ChildProcess; port: number }> {
  const name = peer.name;
  const script = join(here, 'peers', 'echo_servers.js');
  const argv = peer.runtime === 'deno' ? [peer.bin, 'run', '-A', script, peer.mode] : [peer.bin, script, peer.mode];
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
  const list = peers();
  if (list.length === 0) throw new Error('no echo peers selected');
  const names = list.map((p) => p.name);
  const servers = new Map<string, { child: ChildProcess; port: number }>();
  const tables: Table[] = [];
  try {
    for (const p of list) servers.set(p.name, await start(p));
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
    for (const s of servers.values()) {
      s.child.removeAllListeners('exit');
      s.child.stdin?.end();
      // Deno's and Bun's own servers may not read stdin's EOF as quickly: no server outlives us.
      setTimeout(() => s.child.kill('SIGKILL'), 2000).unref();
    }
  }
  save('echo', tables);
}
