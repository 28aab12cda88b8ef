/**
 * `ringcore trace file.jsonl`: a `RINGCORE_TRACE=file.jsonl` trace (trace.ts) drawn as
 * one self-contained HTML page — inline CSS, inline SVG, a little inline script, no
 * network — that a browser opens from disk.
 *
 * What it shows, per ring (a ring is named by its fd; a fd reused by a later ring is
 * a new ring, from its `ring` line on):
 *  - ring turns: each io_uring_enter is a vertical mark with the SQEs it submitted
 *    (`to_submit` → result), and the stretch from one enter to the next is a shaded
 *    band: the SQEs written in a band go to the kernel at its closing enter.  (A turn
 *    of the event loop makes one enter, plus the few follow() adds for continuations;
 *    completions reaped on a wake-up, with no enter, fall inside a band.)
 *  - each op's life, one bar per SQE: from the SQE being written, through the enter
 *    that submitted it (a darker part), to its terminal CQE (matched by user_data);
 *    a multishot op's F_MORE CQEs are dots on its bar; an error result is red; an op
 *    with no CQE by the end of the trace runs to the end and is hatched.
 *  - the in-flight count (SQEs written whose terminal CQE has not been reaped) over
 *    time, as a step line.
 * Two x axes, switched in the page: real time (µs), and event order (every SQE, enter
 * and CQE one step: what happened in which order when times crowd together); a zoom
 * slider widens the plot.  Hovering an element shows its fields (SVG <title>), a
 * click prints them below.
 *
 * The SVG is complete without the script (tests parse it, and it prints): the script
 * only re-lays coordinates for zoom and the event-order axis, from the fractions
 * each element carries in data-t / data-e.
 *
 * May touch: nothing; it maps text to text (the CLI reads and writes the files).
 */
import type { TraceEvent } from './trace.js';

/** A line of the trace that is not a trace event. */
export class TraceFormatError extends Error {
  readonly code = 'ERR_RINGCORE_TRACE_FORMAT';
  constructor(readonly line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.name = 'TraceFormatError';
  }
}

const NUMBER_FIELDS: Record<TraceEvent['ev'], string[]> = {
  ring: ['t', 'ring'],
  sqe: ['t', 'ring', 'opcode', 'fd', 'len', 'flags'],
  enter: ['t', 'ring', 'toSubmit', 'minComplete', 'flags', 'res'],
  cqe: ['t', 'ring', 'res', 'flags'],
};

/** Parse a `.jsonl` trace: one event per non-empty line.  Throws TraceFormatError. */
export function parseTrace(text: string): TraceEvent[] {
  const out: TraceEvent[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    let e: unknown;
    try {
      e = JSON.parse(line);
    } catch {
      throw new TraceFormatError(i + 1, 'not JSON');
    }
    if (e === null || typeof e !== 'object' || Array.isArray(e)) throw new TraceFormatError(i + 1, 'not an object');
    const o = e as Record<string, unknown>;
    const ev = o.ev;
    if (typeof ev !== 'string' || !Object.hasOwn(NUMBER_FIELDS, ev)) {
      throw new TraceFormatError(i + 1, `unknown event ${JSON.stringify(ev)}`);
    }
    for (const f of NUMBER_FIELDS[ev as TraceEvent['ev']]) {
      if (typeof o[f] !== 'number' || !Number.isFinite(o[f])) throw new TraceFormatError(i + 1, `${ev}.${f} is not a finite number`);
    }
    if ((ev === 'sqe' || ev === 'cqe') && (typeof o.ud !== 'string' || typeof o.op !== 'string')) {
      throw new TraceFormatError(i + 1, `${ev} needs string ud and op`);
    }
    out.push(o as TraceEvent);
  }
  return out;
}

// ------------------------------------------------------------------ model --

type Sqe = Extract<TraceEvent, { ev: 'sqe' }>;
type Cqe = Extract<TraceEvent, { ev: 'cqe' }>;
type Enter = Extract<TraceEvent, { ev: 'enter' }>;

interface OpLife {
  sqe: Sqe;
  /** The enter that submitted it (the first successful enter after it), if any. */
  submitted?: number;
  /** Order index of that enter. */
  submittedI: number;
  /** Terminal CQE, if reaped. */
  end?: Cqe;
  /** F_MORE CQEs (multishot). */
  more: Cqe[];
  /** Order index of the SQE and of the end (or of the trace's end). */
  i0: number;
  i1: number;
  lane: number;
}

interface RingModel {
  id: number;
  fd: number;
  thread?: number;
  ops: OpLife[];
  enters: { e: Enter; i: number }[];
  orphans: { c: Cqe; i: number }[];
}

/** Counts a page shows; also what tests compare with the trace. */
export interface TimelineSummary {
  rings: number;
  /** Events left out past `maxOps` SQEs (0: the whole trace is drawn). */
  omitted: number;
  sqes: number;
  enters: number;
  cqes: number;
  unfinished: number;
  maxInFlight: number;
  durationUs: number;
}

function model(events: TraceEvent[]): { rings: RingModel[]; t0: number; t1: number; n: number } {
  // Stable sort by time: threads append in their own order.
  const evs = events.map((e, k) => ({ e, k })).sort((a, b) => a.e.t - b.e.t || a.k - b.k).map((x) => x.e);
  const rings: RingModel[] = [];
  const current = new Map<number, RingModel>(); // fd -> ring now named by it
  const open = new Map<RingModel, Map<string, OpLife>>();
  const pendingSubmit = new Map<RingModel, OpLife[]>();
  const ringOf = (fd: number, thread?: number): RingModel => {
    let r = current.get(fd);
    if (r === undefined || thread !== undefined) {
      r = { id: rings.length, fd, thread, ops: [], enters: [], orphans: [] };
      rings.push(r);
      current.set(fd, r);
      open.set(r, new Map());
      pendingSubmit.set(r, []);
    }
    return r;
  };
  const n = evs.length;
  evs.forEach((e, i) => {
    if (e.ev === 'ring') {
      ringOf(e.ring, e.thread);
      return;
    }
    const r = ringOf(e.ring);
    if (e.ev === 'sqe') {
      const life: OpLife = { sqe: e, more: [], i0: i, i1: n - 1, lane: 0, submittedI: i };
      r.ops.push(life);
      open.get(r)!.set(e.ud, life);
      pendingSubmit.get(r)!.push(life);
    } else if (e.ev === 'enter') {
      r.enters.push({ e, i });
      if (e.res > 0) {
        // The kernel consumes SQEs in order: the first `res` written are submitted.
        const p = pendingSubmit.get(r)!;
        for (const life of p.splice(0, e.res)) {
          life.submitted = e.t;
          life.submittedI = i;
        }
      }
    } else {
      const life = open.get(r)!.get(e.ud);
      if (life === undefined) {
        r.orphans.push({ c: e, i });
      } else if (e.more) {
        life.more.push(e);
      } else {
        life.end = e;
        life.i1 = i;
        open.get(r)!.delete(e.ud);
      }
    }
  });
  const t0 = evs.length ? evs[0].t : 0;
  const t1 = evs.length ? evs[evs.length - 1].t : 0;
  return { rings, t0, t1, n };
}

/** Lay ops out in lanes: each op in the first lane free at its start (greedy interval packing). */
function pack(ops: OpLife[], t1: number, maxLanes: number): number {
  const ends: number[] = [];
  const sorted = [...ops].sort((a, b) => a.sqe.t - b.sqe.t || a.i0 - b.i0);
  for (const o of sorted) {
    const end = o.end?.t ?? t1;
    let lane = ends.findIndex((x, k) => x < o.sqe.t && k < maxLanes);
    if (lane < 0) lane = ends.length < maxLanes ? ends.length : maxLanes - 1;
    ends[lane] = Math.max(ends[lane] ?? -Infinity, end);
    o.lane = lane;
  }
  return Math.max(ends.length, 1);
}

// ----------------------------------------------------------------- render --

const esc = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const r2 = (x: number): number => Math.round(x * 100) / 100;
const f6 = (x: number): string => (Math.round(x * 1e6) / 1e6).toString();

function us(x: number): string {
  if (Math.abs(x) >= 1e6) return (x / 1e6).toFixed(3) + ' s';
  if (Math.abs(x) >= 1e3) return (x / 1e3).toFixed(3) + ' ms';
  return x.toFixed(1) + ' µs';
}

export interface TimelineOptions {
  /** Page title (default: "RingCore trace"). */
  title?: string;
  /** Plot width in px at zoom 1 (default 1100). */
  width?: number;
  /** Most op lanes drawn per ring (default 120); more overlap in the last lane. */
  maxLanes?: number;
  /**
   * Most SQEs drawn (default 50,000): the events after the one that would exceed it
   * are left out, and the page says so (a page per 100 MB of trace is no use).
   */
  maxOps?: number;
}

/**
 * Render a parsed trace as a self-contained HTML page.
 * @returns the page and the counts it shows.
 */
export function renderTimeline(events: TraceEvent[], options: TimelineOptions = {}): { html: string; summary: TimelineSummary } {
  const width = options.width ?? 1100;
  const maxLanes = options.maxLanes ?? 120;
  const maxOps = options.maxOps ?? 50_000;
  let cut = events.length;
  let sqeCount = 0;
  for (let i = 0; i < events.length; i++) {
    if (events[i].ev === 'sqe' && ++sqeCount > maxOps) {
      cut = i;
      break;
    }
  }
  const omitted = events.length - cut;
  if (omitted > 0) events = events.slice(0, cut);
  // Tooltips as <title> elements too (hover with no script) while the page stays small.
  const titles = sqeCount <= 5000;
  const { rings, t0, t1, n } = model(events);
  const span = t1 - t0 || 1;
  const left = 150;
  const plotW = width;
  const ft = (t: number): number => (t - t0) / span; // time fraction
  const fe = (i: number): number => (n > 1 ? i / (n - 1) : 0); // event-order fraction
  const X = (f: number): number => r2(left + f * plotW);
  const laneH = 9;
  const parts: string[] = [];
  let y = 30;
  const summary: TimelineSummary = { rings: rings.length, omitted, sqes: 0, enters: 0, cqes: 0, unfinished: 0, maxInFlight: 0, durationUs: t1 - t0 };
  const tables: string[] = [];

  // Axis (redrawn by the script for zoom and the event-order axis).
  parts.push(`<g class="axis" id="axis">${axis(t0, span, left, plotW)}</g>`);

  for (const ring of rings) {
    const lanes = pack(ring.ops, t1, maxLanes);
    const top = y;
    parts.push(`<g class="ring" data-ring="${ring.fd}">`);
    parts.push(`<text class="ringlabel" x="4" y="${top + 12}">ring fd ${ring.fd}${ring.thread !== undefined ? ` (thread ${ring.thread})` : ''}</text>`);
    // Turn bands between consecutive enters, then the enter marks.
    const enterTop = top + 18;
    const enterH = 26;
    const bodyTop = enterTop + enterH + 6;
    const bodyH = lanes * laneH;
    const inflTop = bodyTop + bodyH + 8;
    const inflH = 50;
    const bottom = inflTop + inflH;
    let prevT = t0;
    let prevI = 0;
    ring.enters.forEach(({ e, i }, k) => {
      const a = ft(prevT), b = ft(e.t);
      const ea = fe(prevI), eb = fe(i);
      parts.push(
        `<rect class="turn${k % 2 ? ' odd' : ''}" x="${X(a)}" y="${enterTop}" width="${r2((b - a) * plotW)}" height="${bottom - enterTop}" ` +
          `data-t="${f6(a)},${f6(b)}" data-e="${f6(ea)},${f6(eb)}"><title>ring turn ${k + 1}: SQEs written here went to the kernel at enter #${k + 1}</title></rect>`,
      );
      prevT = e.t;
      prevI = i;
    });
    const maxSub = Math.max(1, ...ring.enters.map(({ e }) => e.toSubmit));
    ring.enters.forEach(({ e, i }, k) => {
      const h = r2(4 + (enterH - 4) * (Math.max(e.toSubmit, 0) / maxSub));
      const tip = `io_uring_enter #${k + 1} at ${us(e.t - t0)}: to_submit=${e.toSubmit} min_complete=${e.minComplete} flags=0x${e.flags.toString(16)} = ${e.res}${e.err ? ' ' + e.err : ''}`;
      parts.push(
        `<line class="enter${e.res < 0 ? ' err' : ''}" x1="${X(ft(e.t))}" x2="${X(ft(e.t))}" y1="${r2(enterTop + enterH - h)}" y2="${enterTop + enterH}" ` +
          `data-t="${f6(ft(e.t))}" data-e="${f6(fe(i))}" data-info="${esc(tip)}"><title>${esc(tip)}</title></line>`,
      );
    });
    parts.push(`<text class="lbl" x="4" y="${enterTop + 18}">enters (${ring.enters.length})</text>`);
    parts.push(`<text class="lbl" x="4" y="${bodyTop + 10}">ops (${ring.ops.length})</text>`);
    // Ops.
    for (const o of ring.ops) {
      const s = o.sqe;
      const endT = o.end?.t ?? t1;
      const a = ft(s.t), b = ft(endT);
      const ea = fe(o.i0), eb = fe(o.i1);
      const yy = bodyTop + o.lane * laneH;
      const err = o.end !== undefined && o.end.res < 0;
      const cls = `op${err ? ' err' : ''}${o.end === undefined ? ' open' : ''}`;
      const tip =
        `${s.op} ud=${s.ud} fd=${s.fd} off=${s.off} len=${s.len} addr=0x${s.addr.toString(16)} flags=${s.flags}` +
        `\nSQE written at ${us(s.t - t0)}` +
        (o.submitted !== undefined ? `, submitted +${us(o.submitted - s.t)}` : ', never submitted in this trace') +
        (o.end ? `, CQE reaped +${us(o.end.t - s.t)}: res=${o.end.res}${o.end.err ? ' ' + o.end.err : ''}` : ', no CQE by the end of the trace') +
        (o.more.length ? `\n${o.more.length} F_MORE CQE(s) before it` : '');
      parts.push(
        `<rect class="${cls}" x="${X(a)}" y="${yy}" width="${r2(Math.max((b - a) * plotW, 0))}" height="${laneH - 2}" ` +
          `data-ud="${esc(s.ud)}" data-op="${esc(s.op)}" data-t="${f6(a)},${f6(b)}" data-e="${f6(ea)},${f6(eb)}" data-info="${esc(tip)}">${titles ? `<title>${esc(tip)}</title>` : ''}</rect>`,
      );
      if (o.submitted !== undefined) {
        const c = ft(o.submitted);
        parts.push(`<rect class="kern" x="${X(c)}" y="${yy}" width="${r2(Math.max((b - c) * plotW, 0))}" height="${laneH - 2}" data-t="${f6(c)},${f6(b)}" data-e="${f6(fe(o.submittedI))},${f6(eb)}"/>`);
      }
      for (const m of o.more) {
        parts.push(`<circle class="more" cx="${X(ft(m.t))}" cy="${yy + (laneH - 2) / 2}" r="2" data-t="${f6(ft(m.t))}" data-e="${f6(eb)}"><title>${esc(`F_MORE CQE ${s.op} ud=${s.ud} res=${m.res}`)}</title></circle>`);
      }
      summary.sqes++;
      summary.cqes += o.more.length + (o.end ? 1 : 0);
      if (!o.end) summary.unfinished++;
    }
    for (const { c, i } of ring.orphans) {
      parts.push(`<circle class="orphan" cx="${X(ft(c.t))}" cy="${bodyTop - 3}" r="2.5" data-t="${f6(ft(c.t))}" data-e="${f6(fe(i))}"><title>${esc(`CQE with no SQE in this trace: ud=${c.ud} res=${c.res}`)}</title></circle>`);
      summary.cqes++;
    }
    summary.enters += ring.enters.length;
    // In flight: +1 at each SQE, -1 at each terminal CQE.
    const steps: { t: number; i: number; d: number }[] = [];
    for (const o of ring.ops) {
      steps.push({ t: o.sqe.t, i: o.i0, d: 1 });
      if (o.end) steps.push({ t: o.end.t, i: o.i1, d: -1 });
    }
    steps.sort((a, b) => a.i - b.i);
    let cur = 0;
    let max = 0;
    const pts: [number, number, number][] = [[0, 0, 0]]; // time frac, order frac, count
    for (const s of steps) {
      pts.push([ft(s.t), fe(s.i), cur]);
      cur += s.d;
      max = Math.max(max, cur);
      pts.push([ft(s.t), fe(s.i), cur]);
    }
    pts.push([1, 1, cur]);
    summary.maxInFlight = Math.max(summary.maxInFlight, max);
    const yOf = (c: number): number => r2(inflTop + inflH - (inflH * c) / Math.max(max, 1));
    const d = pts.map(([a, , c], k) => `${k ? 'L' : 'M'}${X(a)},${yOf(c)}`).join(' ');
    parts.push(
      `<path class="inflight" d="${d}" data-pts="${pts.map(([a, b, c]) => `${f6(a)},${f6(b)},${yOf(c)}`).join(' ')}"><title>in flight (max ${max})</title></path>`,
    );
    parts.push(`<text class="lbl" x="4" y="${inflTop + 12}">in flight (max ${max})</text>`);
    parts.push(`<line class="base" x1="${left}" x2="${left + plotW}" y1="${inflTop + inflH}" y2="${inflTop + inflH}" data-t="0,1" data-e="0,1"/>`);
    parts.push('</g>');
    y = bottom + 24;

    // Per-ring table: ops by name, with latency from SQE written to terminal CQE.
    const byOp = new Map<string, number[]>();
    for (const o of ring.ops) {
      const l = byOp.get(o.sqe.op) ?? [];
      if (o.end) l.push(o.end.t - o.sqe.t);
      byOp.set(o.sqe.op, l);
    }
    const counts = new Map<string, number>();
    for (const o of ring.ops) counts.set(o.sqe.op, (counts.get(o.sqe.op) ?? 0) + 1);
    const sub = ring.enters.map(({ e }) => Math.max(e.res, 0));
    const perEnter = sub.length ? (sub.reduce((a, b) => a + b, 0) / sub.length).toFixed(2) : '-';
    tables.push(
      `<h2>ring fd ${ring.fd}${ring.thread !== undefined ? ` (thread ${ring.thread})` : ''}</h2>` +
        `<p>${ring.ops.length} SQEs, ${ring.enters.length} enters (SQEs per enter: mean ${perEnter}, max ${sub.length ? Math.max(...sub) : '-'}), ` +
        `max ${max} in flight${ring.orphans.length ? `, ${ring.orphans.length} CQEs with no SQE in the trace` : ''}.</p>` +
        `<table><tr><th>op</th><th>SQEs</th><th>completed</th><th>median SQE→CQE</th><th>max</th></tr>` +
        [...byOp].map(([op, l]) => {
          const s = [...l].sort((a, b) => a - b);
          return `<tr><td>${esc(op)}</td><td>${counts.get(op)}</td><td>${l.length}</td><td>${s.length ? us(s[s.length >> 1]) : '-'}</td><td>${s.length ? us(s[s.length - 1]) : '-'}</td></tr>`;
        }).join('') + '</table>',
    );
  }

  const height = y;
  const title = esc(options.title ?? 'RingCore trace');
  const svg =
    `<svg id="tl" xmlns="http://www.w3.org/2000/svg" width="${left + plotW + 20}" height="${height}" ` +
    `data-left="${left}" data-plotw="${plotW}" data-t0="${t0}" data-span="${span}" data-n="${n}">${parts.join('\n')}</svg>`;
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<style>${CSS}</style></head>
<body>
<h1>${title}</h1>
<p class="sum" id="summary">${summary.rings} ring(s), ${summary.sqes} SQEs, ${summary.enters} io_uring_enter calls, ${summary.cqes} CQEs, ${summary.unfinished} op(s) unfinished at the end, max ${summary.maxInFlight} in flight, over ${us(summary.durationUs)}.${omitted ? ` <b>Only the first ${maxOps} SQEs are drawn: the last ${omitted} events of the trace are left out.</b>` : ''}</p>
<div class="ctl">x axis: <label><input type="radio" name="mode" value="t" checked> time</label>
<label><input type="radio" name="mode" value="e"> event order</label>
&nbsp; zoom <input type="range" id="zoom" min="1" max="64" step="1" value="1"> <span id="zv">1×</span>
&nbsp; <span class="key"><i class="k-op"></i>op: SQE written → <i class="k-kern"></i>in the kernel → CQE <i class="k-err"></i>error <i class="k-open"></i>no CQE <i class="k-enter"></i>io_uring_enter (height: SQEs)</span></div>
<div class="plot">${svg}</div>
<pre id="info">Click an op or an enter for its fields.</pre>
${tables.join('\n')}
<script>${SCRIPT}</script>
</body></html>
`;
  return { html, summary };
}

function niceStep(span: number, px: number): number {
  const raw = span / Math.max(px / 90, 1);
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

function axis(t0: number, span: number, left: number, plotW: number): string {
  const step = niceStep(span, plotW);
  const out: string[] = [];
  for (let v = 0; v <= span + 1e-9; v += step) {
    const x = r2(left + (v / span) * plotW);
    out.push(`<line class="tick" x1="${x}" x2="${x}" y1="14" y2="20"/><text class="tl" x="${x}" y="11">${esc(us(v))}</text>`);
  }
  void t0;
  return out.join('');
}

const CSS = `
body{font:13px/1.4 system-ui,sans-serif;margin:16px;color:#222}
h1{font-size:18px;margin:0 0 4px} h2{font-size:15px;margin:18px 0 4px}
.plot{overflow-x:auto;border:1px solid #ccc;background:#fff}
svg text{font:10px ui-monospace,monospace;fill:#333}
.ringlabel{font-weight:bold;font-size:11px}
.turn{fill:#f4f6fb} .turn.odd{fill:#e9eef8}
.enter{stroke:#2a4d9b;stroke-width:2} .enter.err{stroke:#c00}
.op{fill:#9cc3e6} .op.err{fill:#e57373} .op.open{fill:#ddd;stroke:#999;stroke-dasharray:2 2}
.kern{fill:#3b7dc4;pointer-events:none} .op.err + .kern{fill:#c62828}
.more{fill:#f9a825} .orphan{fill:#8e24aa}
.inflight{fill:none;stroke:#2e7d32;stroke-width:1.5} .base{stroke:#bbb}
.tick{stroke:#999} .tl{text-anchor:middle}
.sel{stroke:#000;stroke-width:1.5}
.ctl{margin:6px 0} .key i{display:inline-block;width:14px;height:8px;margin:0 3px 0 8px;vertical-align:middle}
.k-op{background:#9cc3e6}.k-kern{background:#3b7dc4}.k-err{background:#e57373}.k-open{background:#ddd;border:1px dashed #999}.k-enter{background:#2a4d9b;width:3px!important}
table{border-collapse:collapse} td,th{border:1px solid #ddd;padding:2px 8px;text-align:right} td:first-child,th:first-child{text-align:left}
#info{background:#f7f7f7;padding:6px;white-space:pre-wrap;min-height:2em}
`;

/** Re-lays x coordinates from data-t / data-e fractions: zoom and the event-order axis. */
const SCRIPT = `
(function(){
  var svg=document.getElementById('tl'); if(!svg) return;
  var left=+svg.dataset.left, plotW=+svg.dataset.plotw, span=+svg.dataset.span, n=+svg.dataset.n;
  var mode='t', zoom=1;
  // #mode=e&zoom=4 in the address: start on the event-order axis, 4x wide.
  var h=new URLSearchParams(location.hash.slice(1));
  if(h.get('mode')==='e'){mode='e';document.querySelector('input[name=mode][value=e]').checked=true}
  var hz=Number(h.get('zoom')); if(hz>=1&&hz<=64){zoom=Math.round(hz);document.getElementById('zoom').value=zoom;document.getElementById('zv').textContent=zoom+'×'}
  function X(f){return left+f*plotW*zoom}
  function units(v){return v>=1e6?(v/1e6).toFixed(3)+' s':v>=1e3?(v/1e3).toFixed(3)+' ms':v.toFixed(1)+' µs'}
  function relayout(){
    var W=plotW*zoom; svg.setAttribute('width', left+W+20);
    svg.querySelectorAll('[data-t]').forEach(function(el){
      var f=el.getAttribute(mode==='t'?'data-t':'data-e').split(',').map(Number);
      if(el.tagName==='rect'){el.setAttribute('x',X(f[0]));el.setAttribute('width',Math.max((f[1]-f[0])*W,0));}
      else if(el.tagName==='line'){var b=f.length>1?f[1]:f[0];el.setAttribute('x1',X(f[0]));el.setAttribute('x2',X(b));}
      else if(el.tagName==='circle'){el.setAttribute('cx',X(f[0]));}
    });
    svg.querySelectorAll('path[data-pts]').forEach(function(p){
      var d=p.dataset.pts.split(' ').map(function(s,k){var a=s.split(',');return (k?'L':'M')+X(+a[mode==='t'?0:1])+','+a[2]});
      p.setAttribute('d',d.join(' '));
    });
    var ax=document.getElementById('axis'), total=mode==='t'?span:Math.max(n-1,1);
    var raw=total/Math.max(W/90,1), p=Math.pow(10,Math.floor(Math.log10(raw))), step=[1,2,5,10].map(function(m){return m*p}).find(function(s){return s>=raw})||10*p;
    var h='';
    for(var v=0;v<=total+1e-9;v+=step){var x=left+v/total*W;h+='<line class="tick" x1="'+x+'" x2="'+x+'" y1="14" y2="20"/><text class="tl" x="'+x+'" y="11">'+(mode==='t'?units(v):('#'+Math.round(v)))+'</text>';}
    ax.innerHTML=h;
  }
  document.querySelectorAll('input[name=mode]').forEach(function(r){r.addEventListener('change',function(){mode=r.value;relayout()})});
  var z=document.getElementById('zoom'); z.addEventListener('input',function(){zoom=+z.value;document.getElementById('zv').textContent=zoom+'×';relayout()});
  var sel=null;
  svg.addEventListener('click',function(ev){var t=ev.target.closest('[data-info]');if(!t)return;if(sel)sel.classList.remove('sel');sel=t;t.classList.add('sel');document.getElementById('info').textContent=t.getAttribute('data-info')});
  relayout(); // the same coordinates as the static SVG: a check that the script runs
  svg.dataset.ready='1';
})();
`;
