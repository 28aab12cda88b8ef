/**
 * Benchmark results as pictures: one hand-written SVG per results file (no plotting
 * dependency), a panel per table, one horizontal bar per peer — its median, the
 * min–max of its rounds as a whisker, and its ratio to the table's baseline peer
 * written beside it.  Peers measured side by side in one run stay side by side here.
 *
 *   harness.save() writes `<workload>-<date>.svg` beside each `<workload>-<date>.json`.
 *   node dist/bench/chart.js [files.json...]        charts for these files (default: the
 *                                                    newest results file of each workload)
 *   node dist/bench/chart.js --docs [files.json...]  and copy them to docs/img/bench-<workload>.svg
 *   node dist/bench/chart.js --md [files.json...]    print them as markdown tables instead
 *   (npm run bench:charts is the second form)
 *
 * May touch: bench/results/*.svg, docs/img/bench-*.svg, stdout.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The part of a results file (harness.ts `save()`) a chart reads. */
export interface ResultsFile {
  workload: string;
  date: string;
  node: string;
  kernel: string;
  cpus: number;
  tables: {
    title: string;
    unit: string;
    baseline: string;
    rows: { name: string; median: number; min: number; max: number; ratio: number }[];
  }[];
}

const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 1e6) return (n / 1e6).toFixed(2) + 'M';
  if (Math.abs(n) >= 1e3) return (n / 1e3).toFixed(1) + 'k';
  return n.toFixed(Math.abs(n) < 10 ? 2 : 0);
}

/** Split a long title over lines of at most `max` characters. */
function wrap(s: string, max: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of s.split(' ')) {
    if (line && line.length + 1 + word.length > max) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out;
}

const PALETTE = ['#3b7dc4', '#e07b39', '#5aa469', '#b04a9b', '#c9a227', '#4bb3c4', '#8a6d3b', '#d6404d'];

/**
 * The SVG for one results file.
 * @throws TypeError when `r` is not shaped like a results file
 */
export function chartSvg(r: ResultsFile): string {
  if (r === null || typeof r !== 'object' || !Array.isArray(r.tables)) throw new TypeError('not a bench results file (no tables)');
  // Room for the longest peer name (about 6.6 px per character at 12 px).
  const longest = Math.max(10, ...r.tables.flatMap((t) => t.rows.map((row) => row.name.length)));
  const labelW = Math.min(440, Math.ceil(longest * 6.6) + 14);
  const W = labelW + 570;
  const barX = labelW + 10;
  const barW = W - barX - 150;
  const rowH = 20;
  // One colour per peer name across the file's panels.
  const colours = new Map<string, string>();
  for (const t of r.tables) for (const row of t.rows) if (!colours.has(row.name)) colours.set(row.name, PALETTE[colours.size % PALETTE.length]);
  const parts: string[] = [];
  let y = 10;
  const head = `${r.workload}: ${r.date} · node ${r.node} · kernel ${r.kernel} · ${r.cpus} CPUs`;
  parts.push(`<text class="h" x="10" y="${y + 14}">${esc(head)}</text>`);
  y += 30;
  for (const t of r.tables) {
    const lower = /lower is better/i.test(t.unit);
    const title = wrap(`${t.title} — ${t.unit}${lower ? '' : ' (higher is better)'}; ratio vs ${t.baseline}`, Math.floor((W - 20) / 7.2));
    parts.push(`<g class="panel">`);
    for (const line of title) {
      parts.push(`<text class="t" x="10" y="${y + 12}">${esc(line)}</text>`);
      y += 15;
    }
    y += 4;
    const max = Math.max(...t.rows.map((row) => Math.max(row.max, row.median)), 0) || 1;
    const sx = (v: number): number => Math.round((barX + (Math.max(v, 0) / max) * barW) * 10) / 10;
    for (const row of t.rows) {
      const c = colours.get(row.name)!;
      const base = row.name === t.baseline;
      const mid = y + rowH / 2;
      parts.push(`<text class="n${base ? ' b' : ''}" x="${labelW}" y="${mid + 4}">${esc(row.name)}</text>`);
      parts.push(
        `<rect class="bar" x="${barX}" y="${y + 3}" width="${Math.max(sx(row.median) - barX, 0.5)}" height="${rowH - 6}" fill="${c}"` +
          `${base ? ' stroke="#222" stroke-width="1.2"' : ''}><title>${esc(`${row.name}: median ${fmt(row.median)} (min ${fmt(row.min)}, max ${fmt(row.max)}) ${t.unit}`)}</title></rect>`,
      );
      if (Number.isFinite(row.min) && Number.isFinite(row.max) && row.max > row.min) {
        parts.push(`<line class="w" x1="${sx(row.min)}" x2="${sx(row.max)}" y1="${mid}" y2="${mid}"/>`);
        parts.push(`<line class="w" x1="${sx(row.min)}" x2="${sx(row.min)}" y1="${mid - 4}" y2="${mid + 4}"/>`);
        parts.push(`<line class="w" x1="${sx(row.max)}" x2="${sx(row.max)}" y1="${mid - 4}" y2="${mid + 4}"/>`);
      }
      const better = base ? '' : lower ? (row.ratio < 1 ? ' good' : row.ratio > 1 ? ' bad' : '') : row.ratio > 1 ? ' good' : row.ratio < 1 ? ' bad' : '';
      parts.push(
        `<text class="v" x="${Math.max(sx(row.max), sx(row.median)) + 6}" y="${mid + 4}">${esc(fmt(row.median))}` +
          ` <tspan class="r${better}">${base ? '(baseline)' : `${row.ratio.toFixed(2)}×`}</tspan></text>`,
      );
      y += rowH;
    }
    parts.push(`</g>`);
    y += 16;
  }
  const css =
    'text{font:12px system-ui,sans-serif;fill:#222}.h{font-weight:bold;font-size:13px}.t{font-weight:600}' +
    '.n{text-anchor:end}.n.b{font-weight:bold}.w{stroke:#333;stroke-width:1}.v{font-size:11px}' +
    '.r{fill:#555}.r.good{fill:#1b7a2c;font-weight:bold}.r.bad{fill:#b3261e;font-weight:bold}';
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y}" viewBox="0 0 ${W} ${y}">` +
    `<style>${css}</style><rect width="100%" height="100%" fill="#fff"/>\n${parts.join('\n')}\n</svg>\n`
  );
}

/** The same results as markdown tables (docs/benchmarks.md): median, min–max, ratio. */
export function markdownTables(r: ResultsFile): string {
  const out: string[] = [];
  for (const t of r.tables) {
    out.push(`**${t.title}** — ${t.unit}; ratio vs ${t.baseline}\n`);
    out.push('| peer | median | min–max | ratio |', '|---|---:|---:|---:|');
    for (const row of t.rows) {
      out.push(`| ${row.name.replace(/\|/g, '\\|')} | ${fmt(row.median)} | ${fmt(row.min)}–${fmt(row.max)} | ${row.ratio.toFixed(2)}× |`);
    }
    out.push('');
  }
  return out.join('\n');
}

/** Write `<file>.svg` beside a results `<file>.json`; returns the SVG's path. */
export function writeChart(jsonPath: string): string {
  const svgPath = jsonPath.replace(/\.json$/, '') + '.svg';
  writeFileSync(svgPath, chartSvg(JSON.parse(readFileSync(jsonPath, 'utf8')) as ResultsFile));
  return svgPath;
}

/** The newest results file of each workload in `dir` (names are `<workload>-<ISO date>.json`). */
export function latestResults(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const newest = new Map<string, string>();
  for (const f of readdirSync(dir).filter((f) => /^[a-z0-9_]+-\d{4}-.*\.json$/.test(f)).sort()) {
    newest.set(f.slice(0, f.indexOf('-')), f); // sorted: ISO dates order lexically
  }
  return [...newest.values()].map((f) => join(dir, f));
}

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

async function main(argv: string[]): Promise<void> {
  const docs = argv.includes('--docs');
  const md = argv.includes('--md');
  const files = argv.filter((a) => a !== '--docs' && a !== '--md');
  const list = files.length ? files : latestResults(join(root, 'bench', 'results'));
  if (list.length === 0) {
    console.error('no results files (run npm run bench first)');
    process.exitCode = 1;
    return;
  }
  for (const f of list) {
    if (md) {
      const r = JSON.parse(readFileSync(f, 'utf8')) as ResultsFile;
      console.log(`### ${r.workload}\n\n${basename(f)}: ${r.date}, node ${r.node}, kernel ${r.kernel}, ${r.cpus} CPUs\n\n${markdownTables(r)}`);
      continue;
    }
    const svg = writeChart(f);
    console.log(`${svg}`);
    if (docs) {
      const r = JSON.parse(readFileSync(f, 'utf8')) as ResultsFile;
      mkdirSync(join(root, 'docs', 'img'), { recursive: true });
      const dest = join(root, 'docs', 'img', `bench-${r.workload}.svg`);
      writeFileSync(dest, readFileSync(svg));
      console.log(`  -> ${dest} (from ${basename(f)})`);
    }
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main(process.argv.slice(2));
