/**
 * `npm run bench -- sendfile`: a file sent N times over one loopback connection to a C
 * sink (bench/client/sink.c, another process: only the sender is measured here), by
 *
 *   copy        FileHandle.read() into a 256 KiB Buffer, then stream.writeAll() of it
 *               (what one writes without sendFile: the bytes go through JavaScript memory)
 *   sendFile    stream.sendFile(fh): SPLICE file -> pipe -> socket, linked, pipe of
 *               64 KiB / 256 KiB / 1 MiB (windows per chain: 4; "w1": 1)
 *
 * for a 1 MiB file and a 4 KiB file.  Then 256 streams at once, each sending a 1 MiB file
 * 10 times (a busy server's pipe pool: net/pipes.ts), with the pool kept at 8 idle pipes
 * (as it was) or sized by demand (now), and with 1 MiB pipes: CPU per file.  Rates are bytes/s of wall time; CPU is the whole
 * process's user + system time per MiB sent (process.cpuUsage: every thread, the
 * kernel's io-wq workers that run the splices included).  Peers alternate round by
 * round (harness.ts); these machines are noisy and shared, so only ratios mean much.
 *
 * May touch: a temp dir, build/bench/sink, loopback sockets, bench/results/.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compare, save, type Peer, type Table } from './harness.js';
import { TcpStream } from '../src/net/tcp.js';
import { open, type FileHandle } from '../src/fs/promises.js';
import { defaultRing } from '../src/index.js';
import { drainPipes, setIdleBytes, setPipeSize } from '../src/net/pipes.js';
import { setCopyBelow, setWindowsPerChain } from '../src/net/sendfile.js';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function buildSink(): string {
  const src = path.join(root, 'bench', 'client', 'sink.c');
  const bin = path.join(root, 'build', 'bench', 'sink');
  const b = fs.statSync(bin, { throwIfNoEntry: false });
  if (b && b.mtimeMs >= fs.statSync(src).mtimeMs) return bin;
  fs.mkdirSync(path.dirname(bin), { recursive: true });
  const tmp = `${bin}.${process.pid}.tmp`;
  const r = spawnSync('cc', ['-O2', '-Wall', '-Wextra', '-pthread', '-o', tmp, src], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('cc failed on bench/client/sink.c');
  fs.renameSync(tmp, bin);
  return bin;
}

async function startSink(): Promise<[ChildProcess, number]> {
  const child = spawn(buildSink(), [], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(Number.parseInt(d.toString(), 10)));
    child.once('error', reject);
  });
  return [child, port];
}

type Sender = (s: TcpStream, fh: FileHandle, size: number) => Promise<void>;

const copyBuf = Buffer.allocUnsafe(256 * 1024);
const copy: Sender = async (s, fh, size) => {
  let pos = 0;
  while (pos < size) {
    const { bytesRead } = await fh.read(copyBuf, 0, Math.min(copyBuf.length, size - pos), pos);
    if (bytesRead === 0) break;
    await s.writeAll(copyBuf.subarray(0, bytesRead));
    pos += bytesRead;
  }
};

function spliced(pipeSize: number, windows = 4): Sender {
  return async (s, fh, size) => {
    setPipeSize(pipeSize);
    setWindowsPerChain(windows);
    setCopyBelow(-1); // measure the splices themselves
    await s.sendFile(fh, { length: size }); // the length known, as a server that sent Content-Length
  };
}

export async function main(): Promise<void> {
  const [sink, port] = await startSink();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ringcore-bench-sendfile-'));
  const tables: Table[] = [];
  const cpu: Record<string, Record<string, number[]>> = {};
  try {
    for (const [size, times] of [[1024 * 1024, 150], [65536, 1500], [16384, 3000], [4096, 3000]] as const) {
      const p = path.join(dir, `f${size}`);
      fs.writeFileSync(p, Buffer.alloc(size, 7));
      const fh = await open(p);
      const s = await TcpStream.connect({ port });
      const label = size >= 1 << 20 ? `${size >> 20} MiB` : `${size >> 10} KiB`;
      const cpuHere: Record<string, number[]> = (cpu[label] = {});
      const peer = (name: string, send: Sender): Peer => ({
        name,
        async run() {
          drainPipes(defaultRing()); // each peer's own pipe size
          await send(s, fh, size); // warm: the pipe made, the page cache hot
          const c0 = process.cpuUsage();
          const t0 = process.hrtime.bigint();
          for (let i = 0; i < times; i++) await send(s, fh, size);
          const ns = Number(process.hrtime.bigint() - t0);
          const c = process.cpuUsage(c0);
          const mib = (size * times) / (1 << 20);
          (cpuHere[name] ??= []).push((c.user + c.system) / mib);
          return (size * times) / (ns / 1e9);
        },
      });
      const peers = size >= 1 << 20 ? [
        peer('copy (read + writeAll)', copy),
        peer('sendFile pipe 64K', spliced(64 * 1024)),
        peer('sendFile pipe 256K', spliced(256 * 1024)),
        peer('sendFile pipe 1M', spliced(1024 * 1024)),
        peer('sendFile pipe 256K w1', spliced(256 * 1024, 1)),
      ] : [peer('copy (read + writeAll)', copy), peer('sendFile pipe 256K', spliced(256 * 1024))];
      const t = await compare(`${label} file sent ${times} times over one connection`, 'bytes/s', peers, 5);
      tables.push(t);
      console.log(`  CPU µs per MiB sent (median): ${Object.entries(cpuHere).map(([k, v]) => `${k}: ${median(v).toFixed(0)}`).join(', ')}`);
      await s.close();
      await fh.close();
    }
    tables.push(await concurrent(port, dir, cpu));
  } finally {
    setPipeSize(256 * 1024);
    setIdleBytes(32 * 1024 * 1024);
    setWindowsPerChain(4);
    setCopyBelow(64 * 1024);
    sink.stdin!.end();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  save('sendfile', tables, { cpuMicrosPerMiB: cpu });
}

/** 256 streams, a 1 MiB file sent 10 times on each, all at once: the pipe pool under load. */
async function concurrent(port: number, dir: string, cpu: Record<string, Record<string, number[]>>): Promise<Table> {
  const size = 1024 * 1024;
  const p = path.join(dir, 'concurrent');
  fs.writeFileSync(p, Buffer.alloc(size, 7));
  const fh = await open(p);
  const streams = await Promise.all(Array.from({ length: 256 }, () => TcpStream.connect({ port })));
  const cpuHere: Record<string, number[]> = (cpu['1 MiB x 256 streams'] = {});
  const peer = (name: string, pipeSize: number, idleBytes: number): Peer => ({
    name,
    async run() {
      drainPipes(defaultRing());
      setPipeSize(pipeSize);
      setIdleBytes(idleBytes);
      const all = () => Promise.all(streams.map(async (s) => {
        for (let i = 0; i < 10; i++) await s.sendFile(fh, { length: size });
      }));
      await all(); // warm
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      await all();
      const ns = Number(process.hrtime.bigint() - t0);
      const c = process.cpuUsage(c0);
      (cpuHere[name] ??= []).push((c.user + c.system) / (10 * streams.length));
      return (size * 10 * streams.length) / (ns / 1e9);
    },
  });
  try {
    const t = await compare('1 MiB file sent 10 times on each of 256 streams at once', 'bytes/s', [
      peer('pool of 8 idle pipes (before)', 256 * 1024, 8 * 256 * 1024),
      peer('pool by demand', 256 * 1024, 32 * 1024 * 1024),
      peer('pool by demand, pipe 1M', 1024 * 1024, 128 * 1024 * 1024),
    ], 5);
    console.log(`  CPU µs per file (median): ${Object.entries(cpuHere).map(([k, v]) => `${k}: ${median(v).toFixed(0)}`).join(', ')}`);
    return t;
  } finally {
    await Promise.all(streams.map((s) => s.close()));
    await fh.close();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === fs.realpathSync(process.argv[1])) {
  await main();
}
