/**
 * RINGCORE_TRACE=1: one line per SQE as written and per CQE as reaped, on stderr.
 *
 *   sqe READ     fd=7 off=-1 addr=0x7f3a2c001000 len=4096 flags=- op_flags=0x0 ud=3:1
 *   cqe READ     ud=3:1 res=4096 flags=0x0
 *   cqe TIMEOUT  ud=4:1 res=-62 ETIME flags=0x0
 *
 * The SQE line is decoded from the mapped SQE bytes themselves, after the encoder
 * wrote them: what is printed is what the kernel will read.  `ud=slot:generation`.
 * Writes are synchronous (fs.writeSync) so that a trace survives a crash.
 *
 * May touch: stderr.
 */
import { writeSync } from 'node:fs';
import { decodeSqe } from '../sys/sqe.js';
import { OP_NAMES, SqeFlag } from '../sys/constants.js';
import { errnoName } from '../op/errors.js';

const FLAG_NAMES: [number, string][] = Object.entries(SqeFlag).map(([k, v]) => [v, k]);

function hex(n: number): string {
  return n < 0 ? String(n) : '0x' + n.toString(16);
}

function sqeFlags(f: number): string {
  if (f === 0) return '-';
  return FLAG_NAMES.filter(([bit]) => f & bit).map(([, n]) => n).join('|');
}

/**
 * Write a whole line to stderr synchronously.  Once Node has made a piped stderr
 * non-blocking (any console.log does), a full pipe answers EAGAIN or takes part of
 * the line: wait a millisecond and go on, rather than crash the traced program.
 */
const pause = new Int32Array(new SharedArrayBuffer(4));
function writeLine(line: string): void {
  let bytes = Buffer.from(line);
  for (let spins = 0; bytes.length > 0 && spins < 10_000; spins++) {
    try {
      bytes = bytes.subarray(writeSync(2, bytes));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}

export class Tracer {
  /** Opcode of each in-flight user_data, so CQE lines can say what completed. */
  private readonly opcodes = new Map<string, number>();
  constructor(private readonly ringFd: number, private readonly out: (line: string) => void = writeLine) {}

  sqe(sqes: Uint32Array, index: number): void {
    const s = decodeSqe(sqes, index);
    const lo = sqes[index * 16 + 8];
    const hi = sqes[index * 16 + 9];
    this.opcodes.set(`${lo}:${hi}`, s.opcode);
    const name = (OP_NAMES[s.opcode] ?? `OP_${s.opcode}`).padEnd(12);
    this.out(
      `[ring ${this.ringFd}] sqe ${name} fd=${s.fd} off=${s.off} addr=${hex(s.addr)} len=${s.len} ` +
        `flags=${sqeFlags(s.flags)} ioprio=${s.ioprio} op_flags=${hex(s.opFlags)} ud=${lo}:${hi}` +
        (s.bufIndex ? ` buf_index=${s.bufIndex}` : '') + (s.fileIndex ? ` file_index=${s.fileIndex}` : '') +
        (s.addr3 ? ` addr3=${hex(s.addr3)}` : '') + '\n',
    );
  }

  cqe(lo: number, hi: number, res: number, flags: number): void {
    const key = `${lo}:${hi}`;
    const op = this.opcodes.get(key);
    if (!(flags & 2 /* IORING_CQE_F_MORE */)) this.opcodes.delete(key);
    const name = (op === undefined ? '?' : OP_NAMES[op] ?? `OP_${op}`).padEnd(12);
    this.out(`[ring ${this.ringFd}] cqe ${name} ud=${key} res=${res}${res < 0 ? ' ' + errnoName(res) : ''} flags=${hex(flags)}\n`);
  }

  enter(toSubmit: number, minComplete: number, flags: number, result: number): void {
    this.out(`[ring ${this.ringFd}] io_uring_enter(to_submit=${toSubmit}, min_complete=${minComplete}, flags=${hex(flags)}) = ${result}${result < 0 ? ' ' + errnoName(result) : ''}\n`);
  }
}

/** Is tracing asked for in the environment? */
export function traceFromEnv(): boolean {
  const v = process.env.RINGCORE_TRACE;
  return v !== undefined && v !== '' && v !== '0';
}
