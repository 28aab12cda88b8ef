/**
 * `npm run bench -- static`: static files over HTTP/1.1 keep-alive, wrk against five
 * servers of the same directory: RingCore's file_server example, nginx (one worker,
 * sendfile on, access_log off, open_file_cache on), Bun.serve + Bun.file, node:http +
 * fs.createReadStream (naive) and node:http + serve-static.  A 4 KiB and a 1 MiB
 * file, wrk -t1 at -c32 and -c256; every server pinned to CPU 0 (taskset -c 0), wrk to
 * CPU 1.  Peers alternate round by round (harness.compare; its first round is a
 * discarded warm-up).
 *
 * Reported per table: req/s (ratio vs nginx), GB/s of body, and the server's CPU time
 * per request — utime + stime of its process tree from /proc (nginx's master and
 * worker both counted) over the run, divided by the requests wrk completed.
 *
 * nginx is the Debian package: installed with `apt-get install -y nginx` when missing
 * and we are root, else left out (so is Bun without a bun binary).  wrk likewise.
 *
 * Environment: RINGCORE_BENCH_WRK_SECONDS (5), RINGCORE_BENCH_STATIC_ROUNDS (3),
 * RINGCORE_BENCH_STATIC_PEERS (comma-separated names, default all),
 * RINGCORE_BENCH_STATIC_CONNS ("32,256"), RINGCORE_BENCH_STATIC_SIZES ("4k,1m").
 *
 * May touch: a temp directory (the files, nginx's config, logs and pid), child
 * processes, apt-get (nginx, wrk), TCP ports on 127.0.0.1, bench/results/.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compare, findBun, median, save, type Table } from './harness.js';
import { ensureWrk, have, startServer, stopServer, treeCpuUs, wrk, SideSamples, type Running } from './load.js';

const here = dirname(fileURLToPath(import.meta.url)); // dist/bench
const root = join(here, '..', '..');

const SIZES: Record<string, number> = { '4k': 4096, '1m': 1024 * 1024 };

/** The nginx binary, installing the Debian package (as root) when missing; undefined if impossible. */
function ensureNginx(): string | undefined {
  const find = () => ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx'].find((p) => fs.existsSync(p))
    ?? (have('nginx') ? 'nginx' : undefined);
  let bin = find();
  if (bin === undefined && process.getuid?.() === 0 && have('apt-get')) {
    console.log('installing nginx (apt-get install -y nginx) ...');
    spawnSync('apt-get', ['update'], { stdio: 'ignore' });
    spawnSync('apt-get', ['install', '-y', 'nginx'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    bin = find();
  }
  return bin;
}

/** A port free right now (nginx needs one in its config; the others take port 0). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

async function nginxCmd(bin: string, dir: string, www: string): Promise<string[]> {
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  fs.mkdirSync(join(dir, 'nginx-tmp'), { recursive: true });
  const t = join(dir, 'nginx-tmp');
  fs.writeFileSync(conf, `
worker_processes 1;
user root;
daemon off;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'nginx-error.log')} warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  open_file_cache max=1000 inactive=60s;
  open_file_cache_valid 1s;
  keepalive_requests 100000000;
  keepalive_timeout 60s;
  client_body_temp_path ${t}/body; proxy_temp_path ${t}/proxy; fastcgi_temp_path ${t}/fastcgi;
  uwsgi_temp_path ${t}/uwsgi; scgi_temp_path ${t}/scgi;
  default_type application/octet-stream;
  server { listen 127.0.0.1:${port} backlog=4096; root ${www}; }
}
`);
  // nginx prints nothing: the shell announces the port, then becomes nginx (same pid).
  return ['sh', '-c', `echo '{"port":${port}}'; exec ${bin} -c ${conf} -e ${join(dir, 'nginx-error.log')}`];
}

function bunScript(dir: string, www: string): string {
  const script = join(dir, 'bun-static.js');
  fs.writeFileSync(script, [
    `const root = ${JSON.stringify(www)};`,
    "const s = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch(req) {",
    "  const p = new URL(req.url).pathname;",
    "  if (p.includes('..')) return new Response('bad', { status: 400 });",
    "  return new Response(Bun.file(root + p));",
    '} });',
    'console.log(JSON.stringify({ port: s.port }));',
    "process.stdin.on('end', () => process.exit(0)); process.stdin.resume();",
  ].join('\n'));
  return script;
}

export async function main(): Promise<void> {
  if (!ensureWrk()) {
    console.log('static: wrk is not installed and cannot be (not root): skipped');
    return;
  }
  const seconds = Number(process.env.RINGCORE_BENCH_WRK_SECONDS ?? 5);
  const rounds = Number(process.env.RINGCORE_BENCH_STATIC_ROUNDS ?? 3);
  const connsList = (process.env.RINGCORE_BENCH_STATIC_CONNS ?? '32,256').split(',').map(Number);
  const sizes = (process.env.RINGCORE_BENCH_STATIC_SIZES ?? '4k,1m').split(',');
  const wanted = process.env.RINGCORE_BENCH_STATIC_PEERS?.split(',').map((s) => s.trim());

  const dir = fs.mkdtempSync(join(os.tmpdir(), 'ringcore-bench-static-'));
  fs.chmodSync(dir, 0o755);
  const www = join(dir, 'www');
  fs.mkdirSync(www);
  for (const [name, size] of Object.entries(SIZES)) fs.writeFileSync(join(www, `file-${name}.bin`), crypto.randomBytes(size));

  const servers: { name: string; cmd: string[] }[] = [];
  const nginx = ensureNginx();
  if (nginx) servers.push({ name: 'nginx', cmd: await nginxCmd(nginx, dir, www) });
  else console.log('(nginx not measured: not installed and cannot be)');
  servers.push({ name: 'ringcore file_server', cmd: [process.execPath, join(root, 'dist', 'examples', 'run.js'), 'file_server', '--root', www, '--port', '0', '--stdin-stop'] });
  const bun = findBun();
  if (bun) servers.push({ name: 'Bun.serve+Bun.file', cmd: [bun, bunScript(dir, www)] });
  else console.log('(Bun not measured: no bun binary)');
  servers.push({ name: 'node:http+createReadStream', cmd: [process.execPath, join(root, 'dist', 'bench', 'peers', 'static_node.js'), 'naive', www] });
  servers.push({ name: 'node:http+serve-static', cmd: [process.execPath, join(root, 'dist', 'bench', 'peers', 'static_node.js'), 'serve-static', www] });
  const chosen = wanted ? servers.filter((s) => wanted.includes(s.name)) : servers;
  const baseline = chosen.some((s) => s.name === 'nginx') ? 'nginx' : chosen[0].name;

  const tables: Table[] = [];
  const running = new Map<string, Running>();
  try {
    for (const s of chosen) {
      const r = await startServer(s.name, s.cmd, '0');
      running.set(s.name, r);
      console.log(`server ${s.name}: pid ${r.child.pid}, port ${r.port}`);
    }
    for (const size of sizes) {
      const bytes = SIZES[size];
      if (bytes === undefined) throw new Error(`unknown size ${size}; known: ${Object.keys(SIZES).join(', ')}`);
      for (const conns of connsList) {
        const cpu = new SideSamples();
        const gbps = new SideSamples();
        const errors = new Map<string, number>();
        const peers = chosen.map((s) => ({
          name: s.name,
          run: () => {
            const r = running.get(s.name)!;
            if (r.child.exitCode !== null || r.child.signalCode !== null) throw new Error(`${s.name} is no longer running`);
            const t0 = treeCpuUs(r.child.pid!);
            const w = wrk(r.port, conns, seconds, { cpus: '1', path: `/file-${size}.bin` });
            const used = treeCpuUs(r.child.pid!) - t0;
            cpu.add(s.name, used / w.requests);
            gbps.add(s.name, (w.requests * bytes) / seconds / 1e9);
            errors.set(s.name, (errors.get(s.name) ?? 0) + w.errors);
            return w.requests / seconds;
          },
        }));
        const title = `static ${size} file, wrk -t1 -c${conns} -d${seconds}s (server on CPU 0, wrk on CPU 1)`;
        const t = await compare(title, 'req/s', peers, rounds, baseline);
        const baseCpu = median(cpu.get(baseline));
        console.log(`  GB/s of body, and server CPU per request (median µs; ratio vs ${baseline}):`);
        for (const s of chosen) {
          const m = median(cpu.get(s.name));
          const e = errors.get(s.name) ?? 0;
          console.log(`    ${s.name.padEnd(28)} ${median(gbps.get(s.name)).toFixed(3).padStart(7)} GB/s  ${m.toFixed(2).padStart(8)} µs/req  ${(m / baseCpu).toFixed(2)}x`
            + (e > 0 ? `  (wrk errors/non-2xx: ${e})` : ''));
        }
        tables.push(t, {
          title: `server CPU per request, ${size} -c${conns}`, unit: 'µs/request (lower is better)', baseline,
          rows: chosen.map((s) => {
            const xs = cpu.get(s.name);
            return { name: s.name, median: median(xs), min: Math.min(...xs), max: Math.max(...xs), samples: xs, ratio: median(xs) / baseCpu };
          }),
        }, {
          title: `GB/s of body, ${size} -c${conns}`, unit: 'GB/s', baseline,
          rows: chosen.map((s) => {
            const xs = gbps.get(s.name);
            return { name: s.name, median: median(xs), min: Math.min(...xs), max: Math.max(...xs), samples: xs, ratio: median(xs) / median(gbps.get(baseline)) };
          }),
        });
      }
    }
  } finally {
    await Promise.all([...running.values()].map(stopServer));
    fs.rmSync(dir, { recursive: true, force: true });
  }
  save('static', tables, { seconds, rounds, servers: chosen.map((s) => s.name) });
}
