/**
 * What a strict TypeScript project writes against RingCore's published types
 * (dist/*.d.ts, through the package's own name).  Compiled by test/types.test.ts
 * with `tsc --strict --noEmit`; never run.  Lines marked @ts-expect-error must stay
 * errors: they are the internals and shapes the public types must not allow.
 */
import { read, nop, sleep, Ring, type RingStats } from 'ringcore';
import { open, readFile, writeFile, mkdir, stat, FileHandle, createReadStream, createWriteStream, type ReadFileOptions, type WriteFileOptions,
         type ReadResult, type ReadStream, type WriteStream, type ReadStreamOptions, type BigIntStats,
         cp, rm, mkdtemp, symlink, link, readdir, readlink, realpath, chmod, utimes, statfs, watch, Stats } from 'ringcore/fs';
import fsp from 'ringcore/fs';
import { pipeline } from 'node:stream/promises';
import { TcpListener, TcpStream, socketpair, type BindOptions, type ConnectOptions, type ChunksOptions } from 'ringcore/net';

export async function usage(p: string): Promise<void> {
  const text: string = await readFile(p, 'utf8');
  const text2: string = await readFile(p, { encoding: 'latin1' });
  const bytes: Buffer = await readFile(p);
  const bytes2: Buffer = await readFile(p, { signal: AbortSignal.timeout(10) });
  const either: string | Buffer = await readFile(p, Math.random() > 0.5 ? 'utf8' : null);
  text.trim(); text2.trim(); bytes.subarray(1); bytes2.subarray(1); void either;

  await using fh = await open(p);
  const r1 = await fh.read(Buffer.alloc(64), 0, 64, 0);
  r1.buffer.subarray(0, r1.bytesRead); // the Buffer passed in, typed as such
  const r2 = await fh.read(new Uint16Array(8));
  const u16: Uint16Array = r2.buffer;
  const r3: ReadResult<Buffer> = await fh.read();
  const s: string = await fh.readFile('utf8');
  const b: Buffer = await fh.readFile();
  const w = await fh.write('text', 0, 'utf8');
  const ws: string = w.buffer;
  void u16; void r3; void s; void b; void ws;
  fh.write(Buffer.from('x')).catch(() => {}).finally(() => {}); // a real Promise

  const rso: ReadStreamOptions = { start: 0, end: 99, highWaterMark: 1 << 16, signal: AbortSignal.timeout(10) };
  const rs: ReadStream = createReadStream(p, rso);
  const wst: WriteStream = createWriteStream(`${p}.copy`, { flags: 'a', flush: true });
  await pipeline(rs, wst);
  const textStream = createReadStream(p, 'utf8').on('open', (fd: number) => void fd);
  for await (const chunk of textStream) void chunk;
  const n2: number = rs.bytesRead + wst.bytesWritten;
  const fromHandle: ReadStream = fh.createReadStream({ start: 1, autoClose: false });
  fromHandle.close((err) => void err);
  fh.createWriteStream({ start: 0 }).end('x');
  void n2;
  // @ts-expect-error a FileHandle stream takes no path options
  fh.createReadStream({ flags: 'r' });

  const made: string | undefined = await mkdir(p, { recursive: true });
  const plain: void = await mkdir(p);
  void made; void plain;
  (await stat(p)).isFile();
  const fileStats: Stats = await stat(p);
  const big: BigIntStats = await stat(p, { bigint: true });
  const ns: bigint = big.mtimeNs + (await fh.stat({ bigint: true })).size;
  const tmp: string = await mkdtemp(p);
  const tmpBytes: Buffer = await mkdtemp(p, 'buffer');
  await cp(p, tmp, { recursive: true, filter: (src) => !src.endsWith('.tmp'), preserveTimestamps: true });
  await rm(tmp, { recursive: true, force: true, maxRetries: 2 });
  await symlink(p, `${p}.link`);
  await link(p, `${p}.hard`);
  const names: string[] = await readdir(p);
  const target: string = await readlink(`${p}.link`);
  const real: string = await realpath(p);
  await chmod(p, 0o644);
  await utimes(p, new Date(), new Date());
  const fsStats = await statfs(p);
  for await (const change of watch(p, { signal: AbortSignal.timeout(10) })) void change.eventType;
  await fh.chmod(0o600);
  await fh.utimes(1, 2);
  fh.on('close', () => {}).once('close', () => {});
  await fsp.readFile(p);
  void fileStats; void ns; void tmpBytes; void names; void target; void real; void fsStats;

  const ro: ReadFileOptions = { encoding: 'utf8', flag: 'r' };
  const wo: WriteFileOptions = { mode: 0o600, flush: true };
  await writeFile(p, 'x', wo);
  void ro;

  const bo: BindOptions = { port: 0, highWaterMark: 1 << 16, recvBuffers: { count: 64, size: 4096 } };
  const l = await TcpListener.bind(bo);
  const co: ConnectOptions = { port: l.port };
  const c = await TcpStream.connect(co);
  const n: number = await c.read(Buffer.alloc(4));
  c.write(Buffer.from('x')).catch(() => {});
  const chunkOptions: ChunksOptions = { highWaterMark: 1024 };
  for await (const chunk of c.chunks(chunkOptions)) chunk.subarray(0);
  const [x, y] = socketpair();
  void n; void x; void y;

  const ring = new Ring({ entries: 8 });
  const st: RingStats = ring.stats();
  const z: number = await nop();
  const k: number = await read(0, new Uint8Array(1));
  await sleep(1);
  void st; void z; void k;

  // @ts-expect-error FileHandles come from open()
  new FileHandle(ring, 0);
  // @ts-expect-error TcpStreams come from connect/accept/socketpair
  new TcpStream(ring, 0);
  // @ts-expect-error the ring's state is not writable
  ring.closed = true;
  const op = ring.nop();
  // @ts-expect-error the request's bookkeeping (slot, user_data, state) is the ring's business
  void op.req;
  // @ts-expect-error and the completion hook
  op.complete(0, 0);
  // @ts-expect-error and submission
  op.start();
  // @ts-expect-error and the ring's reaper
  ring.turn();
}
