/**
 * RINGCORE_TRACE: what the ring asks of the kernel and what comes back, as it happens.
 *
 * Two forms, chosen by the variable's value (read once, when a ring is created):
 *
 *  - `RINGCORE_TRACE=1` (any value but '', '0' or a path ending in `.jsonl`): one text
 *    line per SQE as written, per io_uring_enter and per CQE as reaped, on stderr:
 *
 *      [ring 5] sqe READ         fd=7 off=-1 addr=0x7f3a2c001000 len=4096 flags=- ioprio=0 op_flags=0x0 ud=3:1
 *      [ring 5] io_uring_enter(to_submit=1, min_complete=0, flags=0x0) = 1
 *      [ring 5] cqe READ         ud=3:1 res=4096 flags=0x0
 *      [ring 5] cqe TIMEOUT      ud=4:1 res=-62 ETIME flags=0x0
 *
 *  - `RINGCORE_TRACE=trace.jsonl` (a path ending in `.jsonl`, relative to the working
 *    directory): the same events as JSON lines in that file, each with a timestamp
 *    `t` in microseconds of the monotonic clock (process.hrtime, the same clock in
 *    every thread), for `ringcore trace trace.jsonl` to draw as an HTML timeline
 *    (timeline.ts).  Every ring of the process writes to the one file: the main thread
 *    empties it when RingCore loads, worker threads append; each line is one write(2)
 *    on an O_APPEND descriptor, so lines of different threads never mix.  A file that
 *    cannot be opened fails the ring's creation with the path in the message.
 *    The line shapes are `TraceEvent` below.
 *
 * The SQE is decoded from the mapped SQE bytes themselves, after the encoder wrote
 * them: what is printed is what the kernel will read.  `ud=slot:generation` (the
 * generation word may carry op/slots.ts's FD_RESULT bit).  Writes are synchronous
 * (fs.writeSync) so that a trace survives a crash.
 *
 * Cost when off: the ring holds `tracer: Tracer | null` and each hook is one
 * `if (this.tracer !== null)` on the hot path (ring.ts); nothing else runs.
 *
 * May touch: stderr, the RINGCORE_TRACE .jsonl file.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { createRequire } from 'node:module';
import { decodeSqe, SQE_WORDS, W } from '../sys/sqe.js';
import { CqeFlag, OP_NAMES, SqeFlag } from '../sys/constants.js';
import { errnoName } from '../op/errors.js';

const FLAG_NAMES: [number, string][] = Object.entries(SqeFlag).map(([k, v]) => [v, k]);

function hex(n: number): string {
  return n < 0 ? String(n) : '0x' + n.toString(16);
}

function sqeFlags(f: number): string {
  if (f === 0) return '-';
  return FLAG_NAMES.filter(([bit]) => f & bit).map(([, n]) => n).join('|');
}

function opName(opcode: number | undefined): string {
  return opcode === undefined ? '?' : OP_NAMES[opcode] ?? `OP_${opcode}`;
}

/**
 * Write all of `bytes` to `fd` synchronously.  Once Node has made a piped stderr
 * non-blocking (any console.log does), a full pipe answers EAGAIN or takes part of
 * the line: wait a millisecond and go on, rather than crash the traced program.
 */
const pause = new Int32Array(new SharedArrayBuffer(4));
function writeAll(fd: number, line: string): void {
  let bytes = Buffer.from(line);
  for (let spins = 0; bytes.length > 0 && spins < 10_000; spins++) {
    try {
      bytes = bytes.subarray(writeSync(fd, bytes));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}

function writeLine(line: string): void {
  writeAll(2, line);
}

/** Where RINGCORE_TRACE sends the trace: nowhere, stderr text, or a JSON-lines file. */
export type TraceDestination = { kind: 'off' } | { kind: 'text' } | { kind: 'jsonl'; path: string };

/** Read a RINGCORE_TRACE value (default: the environment's). */
export function traceDestination(value: string | undefined = process.env.RINGCORE_TRACE): TraceDestination {
  if (value === undefined || value === '' || value === '0') return { kind: 'off' };
  if (value.endsWith('.jsonl')) return { kind: 'jsonl', path: resolve(value) };
  return { kind: 'text' };
}

/** Is tracing asked for in the environment? */
export function traceFromEnv(): boolean {
  return traceDestination().kind !== 'off';
}

/** One line of a `.jsonl` trace (`t`: µs, monotonic; `ring`: the ring's fd). */
export type TraceEvent =
  | { ev: 'ring'; t: number; ring: number; pid: number; thread: number }
  | {
      ev: 'sqe'; t: number; ring: number; ud: string; op: string; opcode: number; fd: number; off: number;
      addr: number; len: number; flags: number; ioprio: number; opFlags: number;
      bufIndex?: number; fileIndex?: number; addr3?: number;
    }
  | { ev: 'enter'; t: number; ring: number; toSubmit: number; minComplete: number; flags: number; res: number; err?: string }
  | { ev: 'cqe'; t: number; ring: number; ud: string; op: string; res: number; err?: string; flags: number; more: boolean };

/**
 * The main thread starts the file afresh — when this module loads, so before any
 * worker it starts can have written to it (a worker's ring may well come before the
 * main thread's first).  Workers only ever append.
 */
let emptied = '';
function empty(path: string): void {
  if (!thread().isMainThread || emptied === path) return;
  emptied = path;
  closeSync(openSync(path, 'w'));
}

/**
 * node:worker_threads, loaded only for a .jsonl trace: importing it costs ~3-6 ms, which
 * RingCore's import does not pay otherwise (op/buffers.ts does the same).
 */
let workerThreads: typeof import('node:worker_threads') | undefined;
function thread(): typeof import('node:worker_threads') {
  return (workerThreads ??= createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads'));
}

{
  const d = traceDestination();
  if (d.kind === 'jsonl') {
    try {
      empty(d.path);
    } catch {
      // Reported by the first ring's tracer, which opens it again.
    }
  }
}

/** The JSONL file of this thread, opened by its first tracer (one per path). */
let jsonlFd = -1;
let jsonlPath = '';
function jsonlFile(path: string): number {
  if (jsonlFd >= 0 && jsonlPath === path) return jsonlFd;
  try {
    empty(path);
    jsonlFd = openSync(path, 'a');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    err.message = `RINGCORE_TRACE=${path}: ${err.message}`;
    throw err;
  }
  jsonlPath = path;
  return jsonlFd;
}

function now(): number {
  return Number(process.hrtime.bigint()) / 1000;
}

export class Tracer {
  /** Opcode of each in-flight user_data, so CQE lines can say what completed. */
  private readonly opcodes = new Map<string, number>();
  /** The JSON-lines file's fd, or -1 for text lines to `out`. */
  private readonly jsonl: number;

  /**
   * @param ringFd  the ring's fd, which names it in every line
   * @param out     where text lines go (default: stderr).  Given, it forces text
   *                lines; omitted, RINGCORE_TRACE chooses (a `.jsonl` path: JSON lines).
   */
  constructor(private readonly ringFd: number, private readonly out: ((line: string) => void) | undefined = undefined) {
    const dest = out === undefined ? traceDestination() : { kind: 'text' as const };
    this.jsonl = dest.kind === 'jsonl' ? jsonlFile(dest.path) : -1;
    if (this.jsonl >= 0) this.json({ ev: 'ring', t: now(), ring: ringFd, pid: process.pid, thread: thread().threadId });
  }

  private json(e: TraceEvent): void {
    writeAll(this.jsonl, JSON.stringify(e) + '\n');
  }

  private text(line: string): void {
    (this.out ?? writeLine)(line);
  }

  /** An SQE was written at `index` (after its user_data and flags): decode it. */
  sqe(sqes: Uint32Array, index: number): void {
    const s = decodeSqe(sqes, index);
    const lo = sqes[index * SQE_WORDS + W.UD_LO];
    const hi = sqes[index * SQE_WORDS + W.UD_HI];
    const ud = `${lo}:${hi}`;
    this.opcodes.set(ud, s.opcode);
    if (this.jsonl >= 0) {
      const e: TraceEvent = {
        ev: 'sqe', t: now(), ring: this.ringFd, ud, op: opName(s.opcode), opcode: s.opcode, fd: s.fd, off: s.off,
        addr: s.addr, len: s.len, flags: s.flags, ioprio: s.ioprio, opFlags: s.opFlags,
      };
      if (s.bufIndex) e.bufIndex = s.bufIndex;
      if (s.fileIndex) e.fileIndex = s.fileIndex;
      if (s.addr3) e.addr3 = s.addr3;
      this.json(e);
      return;
    }
    const name = opName(s.opcode).padEnd(12);
    this.text(
      `[ring ${this.ringFd}] sqe ${name} fd=${s.fd} off=${s.off} addr=${hex(s.addr)} len=${s.len} ` +
        `flags=${sqeFlags(s.flags)} ioprio=${s.ioprio} op_flags=${hex(s.opFlags)} ud=${ud}` +
        (s.bufIndex ? ` buf_index=${s.bufIndex}` : '') + (s.fileIndex ? ` file_index=${s.fileIndex}` : '') +
        (s.addr3 ? ` addr3=${hex(s.addr3)}` : '') + '\n',
    );
  }

  /** A CQE was reaped (the words of `struct io_uring_cqe`: sys/cqe.ts's CW). */
  cqe(lo: number, hi: number, res: number, flags: number): void {
    const ud = `${lo}:${hi}`;
    const op = this.opcodes.get(ud);
    const more = (flags & CqeFlag.MORE) !== 0;
    if (!more) this.opcodes.delete(ud);
    if (this.jsonl >= 0) {
      const e: TraceEvent = { ev: 'cqe', t: now(), ring: this.ringFd, ud, op: opName(op), res, flags, more };
      if (res < 0) e.err = errnoName(res);
      this.json(e);
      return;
    }
    this.text(`[ring ${this.ringFd}] cqe ${opName(op).padEnd(12)} ud=${ud} res=${res}${res < 0 ? ' ' + errnoName(res) : ''} flags=${hex(flags)}\n`);
  }

  /** An io_uring_enter returned `result` (>= 0: SQEs consumed; < 0: -errno). */
  enter(toSubmit: number, minComplete: number, flags: number, result: number): void {
    if (this.jsonl >= 0) {
      const e: TraceEvent = { ev: 'enter', t: now(), ring: this.ringFd, toSubmit, minComplete, flags, res: result };
      if (result < 0) e.err = errnoName(result);
      this.json(e);
      return;
    }
    this.text(`[ring ${this.ringFd}] io_uring_enter(to_submit=${toSubmit}, min_complete=${minComplete}, flags=${hex(flags)}) = ${result}${result < 0 ? ' ' + errnoName(result) : ''}\n`);
  }
}
