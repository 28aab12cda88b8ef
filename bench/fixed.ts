/**
 * `npm run bench -- fixed`: do registered buffers pay for the copy paths?  Issue 14
 * asked (IORING_REGISTER_BUFFERS, READ_FIXED, SEND_ZC) for the paths that copy a
 * file's bytes through memory — sendFile's READ + SEND for known lengths up to 64 KiB
 * and for files splice(2) refuses, and file_server's `--no-sendfile`.
 *
 * What it measures, on a RawRing (raw.ts: no ops, promises or slots, so what differs
 * is the kernel's work alone), 64 KiB per request, 16 in flight, alternating rounds:
 *  - reads of a page-cached file: READ into a plain buffer vs READ_FIXED into the same
 *    memory registered (the kernel skips pinning and mapping the pages per request);
 *  - the copy path itself: a READ (or READ_FIXED) linked to a SEND of the same buffer;
 *  - sends over loopback TCP, the peer draining with RECV on the same ring: SEND (a
 *    copy into the socket), SEND_ZC from plain memory (pages pinned per request, a
 *    second CQE — IORING_CQE_F_NOTIF — when the kernel lets go of them), and SEND_ZC
 *    with IORING_RECVSEND_FIXED_BUF from registered memory.
 * Reported: MiB per second of wall time, and MiB per CPU second of this process
 * (process.cpuUsage: both socket ends are ours, so the receive copy is in every row).
 * On loopback a zero-copy send cannot stay zero-copy: delivering to a local socket
 * copies the pinned pages (skb_orphan_frags_rx), so SEND_ZC is measured here only to
 * say what it costs; on a real NIC it would be another story.
 *
 * May touch: one RawRing, a temporary file, a loopback listener and its connection,
 * stdout, bench/results/.
 */
import { mkdtempSync, rmSync, writeFileSync, openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RawRing } from '../src/runtime/raw.js';
import { native } from '../src/sys/native.js';
import { orSqeFlags, prep, setUserData, setOpFlags, setBufIndex, setIoprio } from '../src/sys/sqe.js';
import { CW } from '../src/sys/cqe.js';
import { CqeFlag, Enter, IoprioFlag, Opcode, Register, SqeFlag } from '../src/sys/constants.js';
import { MSG_NOSIGNAL } from '../src/sys/socket.js';
import { TcpListener, TcpStream } from '../src/net/tcp.js';
import { median, print, save, type Table } from './harness.js';

const CHUNK = 64 * 1024;
const DEPTH = 16;
const READ_MIB = Number(process.env.RINGCORE_BENCH_FIXED_MIB ?? 4096);
const SEND_MIB = Number(process.env.RINGCORE_BENCH_FIXED_MIB ?? 4096);
const ROUNDS = Number(process.env.RINGCORE_BENCH_FIXED_ROUNDS ?? 5);

/** DEPTH chunks in one page-aligned allocation (registered as DEPTH iovecs). */
function pool(): { mem: Buffer; at(i: number): number } {
  const ab = new ArrayBuffer(CHUNK * DEPTH + 4096);
  const base = native.address(ab);
  const skew = (4096 - (base % 4096)) % 4096;
  const mem = Buffer.from(ab, skew, CHUNK * DEPTH);
  return { mem, at: (i) => base + skew + i * CHUNK };
}

function register(ring: RawRing, p: { at(i: number): number }): void {
  const iov = new BigUint64Array(DEPTH * 2);
  for (let i = 0; i < DEPTH; i++) {
    iov[2 * i] = BigInt(p.at(i));
    iov[2 * i + 1] = BigInt(CHUNK);
  }
  const r = native.register(ring.fd, Register.BUFFERS, iov, DEPTH);
  if (r < 0) throw new Error(`IORING_REGISTER_BUFFERS: ${r}`);
}

/** Submit what is queued and wait for at least one CQE; returns after handling every CQE there. */
function turn(ring: RawRing, onCqe: (ud: number, res: number, flags: number) => void): void {
  const r = ring.enter(ring.sq.publish(), 1, Enter.GETEVENTS);
  if (r < 0 && r !== -4) throw new Error(`io_uring_enter: ${r}`);
  const cq = ring.cq;
  let head = cq.head();
  const tail = Atomics.load(cq.ring, cq.tailIdx);
  while (head !== tail) {
    const w = cq.cqesIdx + (head & cq.mask) * cq.cqeWords;
    onCqe(cq.ring[w + CW.UD_LO], cq.ringI32[w + CW.RES], cq.ring[w + CW.FLAGS]);
    head = (head + 1) >>> 0;
  }
  Atomics.store(cq.ring, cq.headIdx, head);
}

/** READ (fixed = false) or READ_FIXED of `mib` MiB from `fd` (a cached file of `size` bytes). */
function reads(ring: RawRing, p: { at(i: number): number }, fd: number, size: number, fixed: boolean, mib: number): number {
  let left = (mib * 1024 * 1024) / CHUNK;
  let off = 0;
  const issue = (i: number) => {
    const s = ring.sq.next();
    prep(ring.sq.sqes, s, fixed ? Opcode.READ_FIXED : Opcode.READ, fd, p.at(i), CHUNK, off);
    if (fixed) setBufIndex(ring.sq.sqes, s, i);
    setUserData(ring.sq.sqes, s, i, 0);
    off = (off + CHUNK) % size;
    left--;
  };
  let inFlight = 0;
  for (let i = 0; i < DEPTH && left > 0; i++, inFlight++) issue(i);
  while (inFlight > 0) {
    turn(ring, (ud, res) => {
      if (res !== CHUNK) throw new Error(`read: ${res}`);
      inFlight--;
      if (left > 0) {
        issue(ud);
        inFlight++;
      }
    });
  }
  return mib;
}

type SendKind = 'send' | 'zc' | 'zc-fixed' | 'copy' | 'copy-fixed';
/** The file the copy path reads from ('copy', 'copy-fixed'): fd and size. */
let copyFile = { fd: -1, size: 0, off: 0 };

/** `mib` MiB from `a` to `b` over loopback TCP: DEPTH sends of CHUNK bytes in flight, DEPTH receives draining. */
function sends(ring: RawRing, p: { at(i: number): number }, sink: { at(i: number): number }, a: number, b: number, kind: SendKind, mib: number): number {
  const total = mib * 1024 * 1024;
  let queued = 0;
  let received = 0;
  const RECV = 1 << 16;
  const READ_DONE = 0xffff;
  const sendOne = (i: number) => {
    if (kind === 'copy' || kind === 'copy-fixed') {
      // The copy path as sendFile runs it for short lengths: READ the file's bytes into
      // the buffer, linked to a SEND of them.  The READ's CQE is not counted (user_data
      // 0xffff); a short read breaks the link, and then the SEND reports -ECANCELED.
      const r = ring.sq.next();
      prep(ring.sq.sqes, r, kind === 'copy' ? Opcode.READ : Opcode.READ_FIXED, copyFile.fd, p.at(i), CHUNK, copyFile.off);
      if (kind === 'copy-fixed') setBufIndex(ring.sq.sqes, r, i);
      orSqeFlags(ring.sq.sqes, r, SqeFlag.IO_LINK);
      setUserData(ring.sq.sqes, r, READ_DONE, 0);
      copyFile.off = (copyFile.off + CHUNK) % copyFile.size;
    }
    const s = ring.sq.next();
    prep(ring.sq.sqes, s, kind === 'zc' || kind === 'zc-fixed' ? Opcode.SEND_ZC : Opcode.SEND, a, p.at(i), CHUNK, 0);
    setOpFlags(ring.sq.sqes, s, MSG_NOSIGNAL);
    if (kind === 'zc-fixed') {
      setIoprio(ring.sq.sqes, s, IoprioFlag.RECVSEND_FIXED_BUF);
      setBufIndex(ring.sq.sqes, s, i);
    }
    setUserData(ring.sq.sqes, s, i, 0);
    queued += CHUNK;
  };
  const recvOne = (i: number) => {
    const s = ring.sq.next();
    prep(ring.sq.sqes, s, Opcode.RECV, b, sink.at(i), CHUNK, 0);
    setUserData(ring.sq.sqes, s, RECV | i, 0);
  };
  for (let i = 0; i < DEPTH; i++) {
    sendOne(i);
    recvOne(i);
  }
  let sendsLive = DEPTH;
  while (received < total) {
    turn(ring, (ud, res, flags) => {
      if (ud === READ_DONE) {
        if (res !== CHUNK) throw new Error(`read: ${res}`);
        return;
      }
      if ((ud & RECV) !== 0) {
        if (res <= 0) throw new Error(`recv: ${res}`);
        received += res;
        if (received < total) recvOne(ud & 0xffff);
        return;
      }
      // A send: SEND completes once; SEND_ZC posts its result (F_MORE set when a
      // notification follows) and then F_NOTIF once the pages are let go.
      if ((flags & CqeFlag.NOTIF) === 0) {
        if (res < 0) throw new Error(`send: ${res}`);
        queued -= CHUNK - res; // a short send: count what went
        if ((flags & CqeFlag.MORE) !== 0) return; // the buffer is the kernel's until F_NOTIF
      }
      sendsLive--;
      if (queued < total) {
        sendOne(ud);
        sendsLive++;
      }
    });
  }
  while (sendsLive > 0) turn(ring, (ud, _res, flags) => {
    if (ud !== READ_DONE && (ud & RECV) === 0 && (flags & CqeFlag.MORE) === 0) sendsLive--;
  });
  return mib;
}

/** Run `f` and return [MiB/s wall, MiB per CPU second]. */
function measure(f: () => number): [number, number] {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const mib = f();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return [mib / wall, mib / ((c.user + c.system) / 1e6)];
}

function tables(title: string, variants: string[], samples: Map<string, [number, number][]>): Table[] {
  const make = (which: 0 | 1, unit: string): Table => {
    const rows = variants.map((name) => {
      const s = samples.get(name)!.map((x) => x[which]);
      return { name, median: median(s), min: Math.min(...s), max: Math.max(...s), samples: s, ratio: 0 };
    });
    for (const r of rows) r.ratio = r.median / rows[0].median;
    const t = { title: `${title}: ${unit}`, unit, baseline: variants[0], rows };
    print(t);
    return t;
  };
  return [make(0, 'MiB/s'), make(1, 'MiB per CPU second')];
}

export async function main(): Promise<void> {
  const ring = new RawRing({ entries: 64 });
  const dir = mkdtempSync(join(tmpdir(), 'ringcore-fixed-'));
  const listener = await TcpListener.bind({ port: 0, host: '127.0.0.1' });
  const [client, server] = await Promise.all([TcpStream.connect({ port: listener.port, host: '127.0.0.1' }), listener.accept()]);
  const out: Table[] = [];
  try {
    const src = pool();
    const sink = pool();
    register(ring, src);
    const file = join(dir, 'data.bin');
    const size = 64 * 1024 * 1024;
    writeFileSync(file, Buffer.alloc(size, 7));
    const fd = openSync(file, 'r');
    try {
      reads(ring, src, fd, size, false, 256); // warm the page cache
      const rv = ['READ', 'READ_FIXED'];
      const rs = new Map<string, [number, number][]>(rv.map((n) => [n, []]));
      for (let r = 0; r < ROUNDS; r++) {
        for (const name of r % 2 ? [...rv].reverse() : rv) {
          rs.get(name)!.push(measure(() => reads(ring, src, fd, size, name === 'READ_FIXED', READ_MIB)));
        }
      }
      out.push(...tables(`64 KiB reads of a cached file, ${DEPTH} in flight`, rv, rs));
      copyFile = { fd, size, off: 0 };
      const cv: [string, SendKind][] = [['READ -> SEND', 'copy'], ['READ_FIXED -> SEND', 'copy-fixed']];
      const cs = new Map<string, [number, number][]>(cv.map(([n]) => [n, []]));
      for (let r = 0; r < ROUNDS; r++) {
        for (const [name, kind] of r % 2 ? [...cv].reverse() : cv) {
          cs.get(name)!.push(measure(() => sends(ring, src, sink, client.fd, server.fd, kind, SEND_MIB)));
        }
      }
      out.push(...tables(`the copy path: 64 KiB READ linked to SEND over loopback TCP, ${DEPTH} pairs in flight`, cv.map(([n]) => n), cs));
    } finally {
      closeSync(fd);
    }
    const sv: [string, SendKind][] = [['SEND', 'send'], ['SEND_ZC', 'zc'], ['SEND_ZC fixed buffer', 'zc-fixed']];
    const ss = new Map<string, [number, number][]>(sv.map(([n]) => [n, []]));
    sends(ring, src, sink, client.fd, server.fd, 'send', 256); // warm-up
    for (let r = 0; r < ROUNDS; r++) {
      for (const [name, kind] of r % 2 ? [...sv].reverse() : sv) {
        ss.get(name)!.push(measure(() => sends(ring, src, sink, client.fd, server.fd, kind, SEND_MIB)));
      }
    }
    out.push(...tables(`64 KiB sends over loopback TCP (the peer drains on the same ring), ${DEPTH} in flight`, sv.map(([n]) => n), ss));
  } finally {
    ring.close();
    await Promise.all([client.close(), server.close()]);
    await listener.close();
    rmSync(dir, { recursive: true, force: true });
  }
  save('fixed', out);
}
