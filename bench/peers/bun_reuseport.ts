/**
 * A server peer of `npm run bench -- cores`: Bun.serve in N processes sharing one
 * port with SO_REUSEPORT (`reusePort: true`), Bun's way to use every core; the
 * kernel spreads connections over the N listening sockets.
 *
 * Run by Node: `node bun_reuseport.js BUN N`.  It starts the first Bun process on
 * port 0, the others on the port it got, prints {"port":N} once all listen, and
 * ends them when its own stdin closes.  Each Bun process runs the same small script
 * (written to the temporary directory), which exits when its stdin closes.
 *
 * May touch: child processes, one file in the temporary directory, stdout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [bun, count] = [process.argv[2], Number(process.argv[3] ?? 1)];
if (!bun || !Number.isInteger(count) || count < 1) throw new RangeError('usage: bun_reuseport BUN N');
const script = join(tmpdir(), `ringcore-bench-bun-reuseport-${process.pid}.js`);
writeFileSync(script, [
  "const s = Bun.serve({ port: Number(process.argv[2]), hostname: '127.0.0.1', reusePort: true,",
  "  fetch() { return new Response('Hello, World!'); } });",
  'console.log(JSON.stringify({ port: s.port }));',
  "process.stdin.on('end', () => process.exit(0)); process.stdin.resume();",
].join('\n'));

const children: ChildProcess[] = [];
function one(port: number): Promise<number> {
  const c = spawn(bun, [script, String(port)], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(c);
  c.stdin!.on('error', () => {});
  return new Promise((resolve, reject) => {
    let out = '';
    c.stdout!.on('data', (d) => {
      out += d;
      const m = /"port":\s*(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    c.on('exit', (code) => reject(new Error(`bun exited (${code})`)));
  });
}

const stop = () => {
  for (const c of children) c.stdin!.end();
  setTimeout(() => {
    for (const c of children) c.kill('SIGKILL');
    process.exit(0);
  }, 2000).unref();
  Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(0) : c.once('exit', r))))).then(() => process.exit(0));
};
process.stdin.on('end', stop).on('error', stop).resume();
process.once('SIGTERM', stop);

const port = await one(0);
await Promise.all(Array.from({ length: count - 1 }, () => one(port)));
process.stdout.write(JSON.stringify({ port, processes: count }) + '\n');
