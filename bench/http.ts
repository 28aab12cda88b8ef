/**
 * `npm run bench -- http`: the original's HTTP workloads, with one independent
 * client (bench/client/http_client.c, built on demand) for every server, so that
 * only the server differs:
 *
 *  1. "100 Seq Requests": 100 requests one after another, each on a new TCP
 *     connection ("Connection: close"); the client's wall time for the 100.
 *  2. "1000 Stress Requests": 200 concurrent workers, each doing 5 sequential
 *     new-connection requests; wall time from start to the last reply.
 *
 * Peers: node:http, node:net, RingCore's http_server on Node, and — when their binaries
 * are there (dev dependencies) — Bun.serve and Deno.serve beside the same http_server run
 * by Bun and by Deno ("ringcore on Bun", "ringcore on Deno").
 *
 * Every server peer (the SERVERS table) runs in its own child process for the whole
 * benchmark, listening on 127.0.0.1 with port 0 and printing its port as JSON on
 * stdout line 1; peers alternate round by round (harness.compare, whose first round
 * is a discarded warm-up).  Every run is printed, with the listen-queue overflows
 * it caused (`nstat -az TcpExtListenOverflows` before and after: SYN drops, seen
 * as ~1 s outliers in max latency), then the tables of medians and ratios; all of
 * it is saved as JSON under bench/results/.  Servers are ended at the end (stdin
 * EOF, then SIGTERM, then SIGKILL), also if the benchmark fails.
 *
 * Environment: RINGCORE_BENCH_HTTP_SEQ_ROUNDS (default 20),
 * RINGCORE_BENCH_HTTP_STRESS_RUNS (default 10), RINGCORE_BENCH_HTTP_PEERS (comma-
 * separated names, default all), RINGCORE_BENCH_HTTP_ONLY ("seq" or "stress").
 *
 * May touch: build/bench/ (the client), child processes, TCP sockets on 127.0.0.1,
 * stdout, bench/results/.
 */
import { spawn, spawnSync, execFile, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { compare, findBun, findDeno, save, type Table } from './harness.js';
import os from 'node:os';
import { buildClient } from './client/build.js';

const here = dirname(fileURLToPath(import.meta.url)); // dist/bench
const dist = join(here, '..');
const HOST = '127.0.0.1';

/**
 * The servers compared.  `cmd` defaults to this Node binary; `args` are its
 * arguments.  A server must listen on 127.0.0.1 port 0 with a large backlog, print
 * {"port":N} as the first line of stdout, answer "GET /" with a 200, honour
 * "Connection: close" by closing after the reply, and exit when its stdin closes.
 * The first entry is the baseline of the ratios.
 */
interface ServerPeer {
  name: string;
  args: string[];
  cmd?: string;
  env?: Record<string, string>;
}
const SERVERS: ServerPeer[] = [
  { name: 'node:http', args: [join(dist, 'bench', 'peers', 'node_http_server.js')] },
  { name: 'node:net', args: [join(dist, 'bench', 'peers', 'node_net_server.js')] },
  { name: 'ringcore', args: [join(dist, 'examples', 'run.js'), 'http_server', '--port', '0', '--port-json'] },
  ...bunPeer(),
  ...denoPeer(),
];

/** Bun.serve, when a bun binary is there (harness.findBun); it follows the same rules. */
function bunPeer(): ServerPeer[] {
  const bun = findBun();
  if (bun === undefined) {
    console.log('(Bun.serve not measured: no bun binary; `npm install --prefix build/bench-peers bun` adds it)');
    return [];
  }
  const script = join(os.tmpdir(), 'ringcore-bench-bun-http.js');
  fs.writeFileSync(script, [
    "const s = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch() { return new Response('Hello, World!'); } });",
    'console.log(JSON.stringify({ port: s.port }));',
    "process.stdin.on('end', () => process.exit(0)); process.stdin.resume();",
  ].join('\n'));
  // The same RingCore http_server, run by Bun (issue 12: RingCore-on-Bun beside Bun.serve).
  const ringcoreOnBun = { name: 'ringcore on Bun', cmd: bun, args: [join(dist, 'examples', 'run.js'), 'http_server', '--port', '0', '--port-json'] };
  return [{ name: 'Bun.serve', cmd: bun, args: [script] }, ringcoreOnBun];
}

/** Deno.serve and RingCore's http_server run by Deno, when a deno binary is there. */
function denoPeer(): ServerPeer[] {
  const deno = findDeno();
  if (deno === undefined) {
    console.log('(Deno not measured: no deno binary; it is a dev dependency: npm ci installs it)');
    return [];
  }
  const script = join(os.tmpdir(), 'ringcore-bench-deno-http.js');
  fs.writeFileSync(script, [
    "const s = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen: ({ port }) => console.log(JSON.stringify({ port })) }, () => new Response('Hello, World!'));",
    '(async () => { for await (const _ of Deno.stdin.readable) { /* until EOF */ } Deno.exit(0); })();',
  ].join('\n'));
  return [
    { name: 'Deno.serve', cmd: deno, args: ['run', '-A', script] },
    { name: 'ringcore on Deno', cmd: deno, args: ['run', '-A', join(dist, 'examples', 'run.js'), 'http_server', '--port', '0', '--port-json'] },
  ];
}

const SEQ_N = 100;
const STRESS_WORKERS = 200;
const STRESS_PER_WORKER = 5;

interface Running {
  peer: ServerPeer;
  child: ChildProcess;
  port: number;
  exited: Promise<void>;
  alive: boolean;
}

const running = new Set<Running>();
// Last resort (an exception, process.exit elsewhere): no server outlives us.
process.on('exit', () => {
  for (const s of running) if (s.alive) s.child.kill('SIGKILL');
});

function startServer(peer: ServerPeer): Promise<Running> {
  const child = spawn(peer.cmd ?? process.execPath, peer.args, {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, ...peer.env },
  });
  const s: Running = { peer, child, port: 0, alive: true, exited: new Promise((res) => child.once('exit', () => res())) };
  s.exited.then(() => { s.alive = false; });
  running.add(s);
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`${peer.name}: no port within 10 s`)), 10_000);
    const fail = (e: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(e);
    };
    child.once('error', (e) => fail(new Error(`${peer.name}: ${e.message}`)));
    const early = (code: number | null, sig: string | null) => fail(new Error(`${peer.name} exited (${code ?? sig}) before printing its port`));
    child.once('exit', early);
    child.stdin!.on('error', () => {}); // EPIPE if it is gone when we close its stdin
    child.stdout!.on('data', function onData(d: Buffer) {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      child.stdout!.off('data', onData);
      child.stdout!.resume(); // drain anything else it prints
      child.off('exit', early);
      clearTimeout(timer);
      try {
        s.port = JSON.parse(out.slice(0, nl)).port;
        if (!Number.isInteger(s.port) || s.port <= 0) throw new Error(`bad port in ${out.slice(0, nl)}`);
      } catch (e) {
        fail(new Error(`${peer.name}: ${(e as Error).message}`));
        return;
      }
      resolve(s);
    });
  });
}

async function stopServer(s: Running): Promise<void> {
  const within = (ms: number) => Promise.race([s.exited.then(() => true), new Promise<boolean>((r) => setTimeout(r, ms, false))]);
  if (s.alive) {
    s.child.stdin?.end();
    if (!(await within(2000)) && s.alive) {
      s.child.kill('SIGTERM');
      if (!(await within(2000)) && s.alive) {
        s.child.kill('SIGKILL');
        await s.exited;
      }
    }
  }
  s.child.stdout?.destroy();
  running.delete(s);
}

/** Listen-queue overflows and drops so far (TcpExt counters of this network namespace), or null. */
function listenCounters(): { overflows: number; drops: number } | null {
  const r = spawnSync('nstat', ['-asz', 'TcpExtListenOverflows', 'TcpExtListenDrops'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return null; // nstat (iproute2) missing
  const get = (k: string) => Number(new RegExp(`^${k}\\s+(\\d+)`, 'm').exec(r.stdout)?.[1] ?? NaN);
  const c = { overflows: get('TcpExtListenOverflows'), drops: get('TcpExtListenDrops') };
  return Number.isNaN(c.overflows) ? null : c;
}

/** TIME_WAIT sockets in this network namespace (/proc/net/sockstat), or null. */
function timeWait(): number | null {
  try {
    const m = /TCP:.*\btw (\d+)/.exec(fs.readFileSync('/proc/net/sockstat', 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

interface ClientResult {
  mode: string;
  requests: number;
  ok: number;
  failures: number;
  wall_ms: number;
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  over_900ms: number;
  reply_bytes_min: number;
  reply_bytes_max: number;
  errors: Record<string, number>;
}

interface RunRecord extends ClientResult {
  workload: string;
  server: string;
  run: number; // 0 = warm-up (not in the tables)
  listen_overflows: number | null;
  listen_drops: number | null;
}

const exec = promisify(execFile);

async function runClient(client: string, args: string[]): Promise<ClientResult> {
  const { stdout } = await exec(client, args, { maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

function fmtRun(r: RunRecord): string {
  const of = r.listen_overflows === null ? 'n/a' : `+${r.listen_overflows}`;
  return `  ${r.workload.padEnd(6)} ${r.server.padEnd(12)} run ${String(r.run).padStart(2)}${r.run === 0 ? ' (warm-up)' : '          '}`
    + `  wall ${r.wall_ms.toFixed(1).padStart(8)} ms  p50 ${r.p50_ms.toFixed(2).padStart(6)}  p99 ${r.p99_ms.toFixed(2).padStart(7)}`
    + `  max ${r.max_ms.toFixed(2).padStart(7)} ms  >900ms ${r.over_900ms}  fail ${r.failures}  overflows ${of}  bytes ${r.reply_bytes_min}`;
}

async function workload(
  name: string, title: string, client: string, servers: Running[], rounds: number, args: string[], runs: RunRecord[],
): Promise<Table> {
  console.log(`\n${title}: every run (${servers.map((s) => s.peer.name).join(' / ')}, alternating)`);
  const count = new Map<string, number>();
  const peers = servers.map((s) => ({
    name: s.peer.name,
    run: async () => {
      if (!s.alive) throw new Error(`${s.peer.name} is no longer running`);
      const before = listenCounters();
      const res = await runClient(client, [name, HOST, String(s.port), ...args]);
      const after = listenCounters();
      const n = count.get(s.peer.name) ?? 0;
      count.set(s.peer.name, n + 1);
      const rec: RunRecord = {
        workload: name, server: s.peer.name, run: n, ...res,
        listen_overflows: before && after ? after.overflows - before.overflows : null,
        listen_drops: before && after ? after.drops - before.drops : null,
      };
      runs.push(rec);
      console.log(fmtRun(rec));
      return res.ok / (res.wall_ms / 1000); // successful requests per second of client wall time
    },
  }));
  const t = await compare(title, 'req/s = successful requests / client wall time', peers, rounds);
  // The original's figures are wall times: give those medians too, and the outliers.
  for (const s of servers) {
    const mine = runs.filter((r) => r.workload === name && r.server === s.peer.name && r.run > 0);
    const walls = mine.map((r) => r.wall_ms).sort((a, b) => a - b);
    const med = walls.length % 2 ? walls[walls.length >> 1] : (walls[walls.length / 2 - 1] + walls[walls.length / 2]) / 2;
    const of = mine.some((r) => r.listen_overflows === null) ? 'n/a' : String(mine.reduce((a, r) => a + r.listen_overflows!, 0));
    console.log(`  ${s.peer.name.padEnd(12)} median wall ${med.toFixed(1)} ms (min ${walls[0].toFixed(1)}, max ${walls[walls.length - 1].toFixed(1)});`
      + ` worst request ${Math.max(...mine.map((r) => r.max_ms)).toFixed(1)} ms; runs with a request >900 ms: ${mine.filter((r) => r.over_900ms > 0).length};`
      + ` failures ${mine.reduce((a, r) => a + r.failures, 0)}; listen overflows ${of}`);
  }
  return t;
}

export async function main(): Promise<void> {
  const client = buildClient();
  const seqRounds = Number(process.env.RINGCORE_BENCH_HTTP_SEQ_ROUNDS ?? 20);
  const stressRuns = Number(process.env.RINGCORE_BENCH_HTTP_STRESS_RUNS ?? 10);
  const only = process.env.RINGCORE_BENCH_HTTP_ONLY;
  const wanted = process.env.RINGCORE_BENCH_HTTP_PEERS?.split(',').map((s) => s.trim());
  const peers = wanted ? SERVERS.filter((p) => wanted.includes(p.name)) : SERVERS;
  if (peers.length === 0) throw new Error(`no server peers selected; known: ${SERVERS.map((p) => p.name).join(', ')}`);

  console.log(`client: ${client}`);
  console.log(`nstat: ${listenCounters() ? 'TcpExtListenOverflows per run' : 'n/a (nstat not found)'}; TIME_WAIT sockets before: ${timeWait() ?? 'n/a'}`);
  const servers: Running[] = [];
  const runs: RunRecord[] = [];
  const tables: Table[] = [];
  try {
    for (const p of peers) {
      const s = await startServer(p);
      servers.push(s);
      console.log(`server ${p.name}: pid ${s.child.pid}, ${HOST}:${s.port}`);
    }
    if (!only || only === 'seq') {
      tables.push(await workload('seq', `100 Seq Requests (new connection each, one after another), ${seqRounds} rounds`,
        client, servers, seqRounds, [String(SEQ_N)], runs));
    }
    if (!only || only === 'stress') {
      tables.push(await workload('stress', `1000 Stress Requests (${STRESS_WORKERS} workers x ${STRESS_PER_WORKER} new-connection requests), ${stressRuns} runs`,
        client, servers, stressRuns, [String(STRESS_WORKERS), String(STRESS_PER_WORKER)], runs));
    }
  } finally {
    await Promise.all(servers.map(stopServer));
  }
  const tw = timeWait();
  console.log(`\nTIME_WAIT sockets after: ${tw ?? 'n/a'} (the servers' side: they close first)`);
  const failures = runs.reduce((a, r) => a + r.failures, 0);
  if (failures > 0) console.log(`WARNING: ${failures} failed requests in all; see the runs above`);
  save('http', tables, {
    client: { path: client, seq: { requests: SEQ_N }, stress: { workers: STRESS_WORKERS, perWorker: STRESS_PER_WORKER } },
    servers: peers.map((p) => p.name),
    runs,
    timeWaitAfter: tw,
  });
}
