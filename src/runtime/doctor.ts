/**
 * `ringcore doctor`: what this machine offers RingCore, and whether a ring can be had.
 *
 * Gathers the environment (Node version, kernel release, the io_uring sysctls, the
 * memlock limit), then tries `new Ring({ entries: 8 })`: on success it reports the
 * setup flags the ring actually got, the kernel's features, the SQ/CQ sizes, a NOP
 * round trip and the probed opcodes; on failure it prints why (`reason`, from
 * explainSetupFailure) and the exit code is 1.  The ring is closed before returning.
 *
 * May touch: /proc (read only), one short-lived ring of its own, stdout/stderr.
 * It never touches the thread's default ring.
 */
import { release } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Ring } from './ring.js';
import { readProc } from './setup.js';
import { Feature, OP_NAMES, Setup } from '../sys/constants.js';
import { errnoName } from '../op/errors.js';

export interface DoctorReport {
  node: string;
  platform: string;
  arch: string;
  kernel: string;
  /** /proc/sys/kernel/io_uring_disabled (0 allowed, 1 restricted, 2 disabled); null if absent. */
  ioUringDisabled: number | null;
  /** /proc/sys/kernel/io_uring_group (-1: none); null if absent. */
  ioUringGroup: number | null;
  /** RLIMIT_MEMLOCK from /proc/self/limits (bytes, or 'unlimited'); null if unreadable. */
  memlock: { soft: number | 'unlimited'; hard: number | 'unlimited' } | null;
  ring: RingReport | RingFailure;
}

export interface RingReport {
  ok: true;
  setupFlags: { value: number; names: string[] };
  features: { value: number; names: string[] };
  sqEntries: number;
  cqEntries: number;
  /** Round trip of one IORING_OP_NOP, in milliseconds (null if it failed). */
  nopMs: number | null;
  nopError?: string;
  probe: {
    /** Did IORING_REGISTER_PROBE answer?  (An empty set means it did not.) */
    ok: boolean;
    supported: string[];
    unsupported: string[];
    /** Opcodes the kernel supports that RingCore has no name for. */
    unknownSupported: number[];
  };
}

export interface RingFailure {
  ok: false;
  code?: string;
  errno?: number;
  /** The actionable explanation (UnavailableError.reason), or the error message. */
  reason: string;
  message: string;
}


function readInt(path: string): number | null {
  const s = readProc(path);
  if (s === undefined) return null;
  const n = Number.parseInt(s, 10);
  return Number.isNaN(n) ? null : n;
}

function memlock(): DoctorReport['memlock'] {
  const line = readProc('/proc/self/limits')?.split('\n').find((l) => l.startsWith('Max locked memory'));
  if (line === undefined) return null;
  // "Max locked memory         8388608              8388608              bytes"
  const fields = line.slice('Max locked memory'.length).trim().split(/\s+/);
  const parse = (s: string | undefined): number | 'unlimited' => (s === 'unlimited' ? 'unlimited' : Number(s));
  return { soft: parse(fields[0]), hard: parse(fields[1]) };
}

/** Names of the bits of `value` present in `table`; bits it does not know appear as 0x... */
function bitNames(value: number, table: Record<string, number>): string[] {
  const names: string[] = [];
  let known = 0;
  for (const [name, bit] of Object.entries(table)) {
    if (value & bit) {
      names.push(name);
      known |= bit;
    }
  }
  const rest = (value & ~known) >>> 0;
  if (rest !== 0) names.push('0x' + rest.toString(16));
  return names;
}

async function tryRing(): Promise<RingReport | RingFailure> {
  let ring: Ring;
  try {
    ring = new Ring({ entries: 8 });
  } catch (e) {
    const err = e as Error & { code?: string; errno?: number; reason?: string };
    return {
      ok: false,
      code: err.code,
      errno: err.errno,
      reason: typeof err.reason === 'string' ? err.reason : String(err.message ?? err),
      message: String(err.message ?? err),
    };
  }
  try {
    let nopMs: number | null = null;
    let nopError: string | undefined;
    try {
      const t0 = performance.now();
      await ring.nop();
      nopMs = performance.now() - t0;
    } catch (e) {
      nopError = (e as Error).message;
    }
    const supported: string[] = [];
    const unsupported: string[] = [];
    for (let op = 0; op < OP_NAMES.length; op++) {
      const name = OP_NAMES[op];
      if (name === undefined) continue;
      (ring.supported.has(op) ? supported : unsupported).push(name);
    }
    const unknownSupported = [...ring.supported].filter((op) => OP_NAMES[op] === undefined).sort((a, b) => a - b);
    return {
      ok: true,
      setupFlags: { value: ring.setupFlags, names: bitNames(ring.setupFlags, Setup) },
      features: { value: ring.features, names: bitNames(ring.features, Feature) },
      sqEntries: ring.sqEntries,
      cqEntries: ring.cqEntries,
      nopMs,
      ...(nopError !== undefined ? { nopError } : {}),
      probe: { ok: ring.supported.size > 0, supported, unsupported, unknownSupported },
    };
  } finally {
    await ring.close();
  }
}

/** Everything `doctor` reports, as data. */
export async function gatherDoctor(): Promise<DoctorReport> {
  return {
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    kernel: release(),
    ioUringDisabled: readInt('/proc/sys/kernel/io_uring_disabled'),
    ioUringGroup: readInt('/proc/sys/kernel/io_uring_group'),
    memlock: memlock(),
    ring: await tryRing(),
  };
}

function describeDisabled(v: number | null): string {
  switch (v) {
    case null: return 'absent (kernel older than 6.6: no such sysctl, io_uring allowed)';
    case 0: return '0 (io_uring allowed for all processes)';
    case 1: return '1 (restricted to CAP_SYS_ADMIN and kernel.io_uring_group)';
    case 2: return '2 (io_uring disabled)';
    default: return String(v);
  }
}

function describeLimit(v: number | 'unlimited'): string {
  if (v === 'unlimited') return 'unlimited';
  if (!Number.isFinite(v)) return 'unknown';
  if (v >= 1024 * 1024 && v % (1024 * 1024) === 0) return `${v} bytes (${v / (1024 * 1024)} MiB)`;
  if (v >= 1024 && v % 1024 === 0) return `${v} bytes (${v / 1024} KiB)`;
  return `${v} bytes`;
}

/** Wrap a list of names into lines of at most `width` characters, each indented. */
function wrap(names: string[], indent: string, width = 100): string {
  if (names.length === 0) return indent + '(none)';
  const lines: string[] = [];
  let line = '';
  for (const n of names) {
    if (line !== '' && indent.length + line.length + 1 + n.length > width) {
      lines.push(indent + line);
      line = n;
    } else {
      line = line === '' ? n : line + ' ' + n;
    }
  }
  if (line !== '') lines.push(indent + line);
  return lines.join('\n');
}

/** The report as text, for people. */
export function formatDoctor(r: DoctorReport): string {
  const out: string[] = [];
  const row = (k: string, v: string) => out.push(`${(k + ':').padEnd(20)} ${v}`);
  row('node', `${r.node} (${r.platform}/${r.arch})`);
  row('kernel', r.kernel);
  row('io_uring_disabled', describeDisabled(r.ioUringDisabled));
  if (r.ioUringGroup !== null) {
    row('io_uring_group', r.ioUringGroup < 0 ? `${r.ioUringGroup} (no group)` : `gid ${r.ioUringGroup}`);
  }
  row('RLIMIT_MEMLOCK', r.memlock === null
    ? 'unknown'
    : `soft ${describeLimit(r.memlock.soft)}, hard ${describeLimit(r.memlock.hard)}` +
      ' (counts against ring memory only before Linux 5.12)');
  const ring = r.ring;
  if (!ring.ok) {
    row('ring', 'FAILED: io_uring is not usable here');
    if (ring.code !== undefined || ring.errno !== undefined) {
      row('error', [ring.code, ring.errno !== undefined ? `${errnoName(ring.errno)} (errno ${ring.errno})` : undefined].filter(Boolean).join(', '));
    }
    out.push('');
    out.push(ring.reason);
    return out.join('\n');
  }
  row('ring', `ok (new Ring({ entries: 8 }): SQ ${ring.sqEntries} entries, CQ ${ring.cqEntries} entries)`);
  row('setup flags', `0x${ring.setupFlags.value.toString(16)} ${ring.setupFlags.names.join('|') || '-'}`);
  row('features', `0x${ring.features.value.toString(16)}`);
  out.push(wrap(ring.features.names, ' '.repeat(21)));
  row('nop round trip', ring.nopMs !== null ? `${ring.nopMs.toFixed(3)} ms` : `FAILED: ${ring.nopError}`);
  const p = ring.probe;
  if (!p.ok) {
    row('opcodes', 'IORING_REGISTER_PROBE failed: supported opcodes unknown');
  } else {
    row('opcodes', `${p.supported.length} of ${p.supported.length + p.unsupported.length} known opcodes supported` +
      (p.unknownSupported.length > 0 ? `, plus ${p.unknownSupported.length} RingCore does not know` : ''));
    out.push('  supported:');
    out.push(wrap(p.supported, '    '));
    out.push('  unsupported:');
    out.push(wrap(p.unsupported, '    '));
    if (p.unknownSupported.length > 0) {
      out.push('  supported, unknown to RingCore:');
      out.push(wrap(p.unknownSupported.map((n) => `OP_${n}`), '    '));
    }
  }
  return out.join('\n');
}

/**
 * Run the doctor: print the report (text, or JSON with `json`) on stdout.  Returns
 * the exit code: 0 if a ring could be created and a NOP went through, 1 otherwise.
 */
export async function doctor(options: { json?: boolean } = {}): Promise<number> {
  const report = await gatherDoctor();
  if (options.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  else process.stdout.write(formatDoctor(report) + '\n');
  return report.ring.ok && report.ring.nopMs !== null ? 0 : 1;
}
