/**
 * The benchmark harness every workload joins: peers measured in the same process
 * run, alternating round by round (these 2-core VMs are noisy, so only ratios
 * measured side by side mean anything), reported as a table of medians with ratios
 * to a baseline peer, and saved as JSON under bench/results/.
 *
 * May touch: stdout, bench/results/.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { writeChart } from './chart.js';

export interface Peer {
  name: string;
  /** One measurement: returns a rate (higher is better) in `unit`. */
  run(): Promise<number> | number;
}

export interface Row {
  name: string;
  median: number;
  min: number;
  max: number;
  samples: number[];
  ratio: number;
}

export interface Table {
  title: string;
  unit: string;
  baseline: string;
  rows: Row[];
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function fmt(n: number): string {
  if (n >= 1e6) return (n / 1e6).toFixed(2) + 'M';
  if (n >= 1e3) return (n / 1e3).toFixed(1) + 'k';
  return n.toFixed(n < 10 ? 2 : 0);
}

/**
 * Measure every peer `rounds` times, rotating the order each round so that no peer
 * always runs first (warm-up, frequency, neighbours).  The first round is a warm-up
 * and is discarded.
 */
export async function compare(title: string, unit: string, peers: Peer[], rounds = 5, baseline = peers[0].name): Promise<Table> {
  const samples = new Map<string, number[]>(peers.map((p) => [p.name, []]));
  for (let r = 0; r <= rounds; r++) {
    for (let i = 0; i < peers.length; i++) {
      const p = peers[(i + r) % peers.length];
      const v = await p.run();
      if (r > 0) samples.get(p.name)!.push(v);
    }
  }
  const base = median(samples.get(baseline)!);
  const rows = peers.map((p) => {
    const s = samples.get(p.name)!;
    const m = median(s);
    return { name: p.name, median: m, min: Math.min(...s), max: Math.max(...s), samples: s, ratio: m / base };
  });
  const table = { title, unit, baseline, rows };
  print(table);
  return table;
}

export function print(t: Table): void {
  const w = Math.max(...t.rows.map((r) => r.name.length), 10);
  console.log(`\n${t.title}  (${t.unit}; median of ${t.rows[0]?.samples.length ?? 0} alternating rounds; ratio vs ${t.baseline})`);
  console.log(`  ${'peer'.padEnd(w)}  ${'median'.padStart(9)}  ${'min'.padStart(9)}  ${'max'.padStart(9)}  ratio`);
  for (const r of t.rows) {
    console.log(`  ${r.name.padEnd(w)}  ${fmt(r.median).padStart(9)}  ${fmt(r.min).padStart(9)}  ${fmt(r.max).padStart(9)}  ${r.ratio.toFixed(2)}x`);
  }
}

const here = dirname(fileURLToPath(import.meta.url));
/** bench/results/ in the source tree (dist/bench/.. -> bench/results). */
export const resultsDir = join(here, '..', '..', 'bench', 'results');

export function save(workload: string, tables: Table[], extra: Record<string, unknown> = {}): string {
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `${workload}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({
    workload, date: new Date().toISOString(), node: process.version, kernel: os.release(),
    cpus: os.cpus().length, tables, ...extra,
  }, null, 2));
  console.log(`\nsaved ${file}`);
  // The same results as a picture beside the JSON (bench/chart.ts); a chart that
  // cannot be drawn must not lose the measurement.
  try {
    console.log(`chart ${writeChart(file)}`);
  } catch (e) {
    console.error(`no chart for ${file}: ${(e as Error).message}`);
  }
  return file;
}

/**
 * A `bun` binary to measure Bun's servers with: build/bench-peers (installed by
 * `npm install --prefix build/bench-peers bun`), else one on PATH; undefined if none.
 */
export function findBun(): string | undefined {
  return findRuntime('bun');
}

/** A deno binary: the dev dependency's, or one on PATH. */
export function findDeno(): string | undefined {
  return findRuntime('deno');
}

/** `name`'s binary: node_modules/.bin (dev dependency), build/bench-peers (older setups), or PATH. */
function findRuntime(name: string): string | undefined {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  for (const dir of [join(root, 'node_modules', '.bin'), join(root, 'build', 'bench-peers', 'node_modules', '.bin')]) {
    if (existsSync(join(dir, name))) return join(dir, name);
  }
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}
