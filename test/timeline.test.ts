/**
 * `ringcore trace file.jsonl`: the HTML timeline of a RINGCORE_TRACE=file.jsonl trace.
 *
 * Checked without a browser: the page is self-contained (no external URL, no external
 * script or style), its SVG has one op bar per SQE of the trace (with the same
 * user_data), one mark per io_uring_enter, one dot per F_MORE CQE, an in-flight line
 * per ring; ops in one lane never overlap; trace contents are escaped.  With a
 * `chromium` binary (Debian's package, installed by the test when missing and it runs as
 * root with apt-get, as in CI), the page is also loaded headless and its DOM, after the
 * inline script ran, is checked the same way; only where nothing can be installed is that
 * test reported as skipped (the static checks still run).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { INDEX_URL, runChild, scriptCommand, SUITE, tempDir } from './helpers.js';
import { parseTrace, renderTimeline, TraceFormatError } from '../src/runtime/timeline.js';
import type { TraceEvent } from '../src/runtime/trace.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = path.join(ROOT, 'dist', 'src', 'cli.js');
const NET_URL = new URL('../src/net/tcp.js', import.meta.url).href;

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const [cmd, argv] = scriptCommand(CLI, ...args);
  return spawnSync(cmd, argv, { encoding: 'utf8', timeout: 30_000 });
}

/** Elements of one kind (tag + first class) in an SVG/HTML string, with their attributes. */
function elements(html: string, tag: string, cls: string): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  const re = new RegExp(`<${tag}\\s([^>]*?)/?>`, 'g');
  for (const m of html.matchAll(re)) {
    const attrs: Record<string, string> = {};
    for (const a of m[1].matchAll(/([\w-]+)="([^"]*)"/g)) attrs[a[1]] = a[2];
    if ((attrs.class ?? '').split(' ')[0] === cls) out.push(attrs);
  }
  return out;
}

const unescape = (s: string): string =>
  s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');

/** A real trace: batched NOPs, a read, an aborted sleep, a multishot recv (F_MORE CQEs). */
const program = `
  import fs from 'node:fs';
  import { nop, read, sleep, all } from ${JSON.stringify(INDEX_URL)};
  import { socketpair } from ${JSON.stringify(NET_URL)};
  await all(Array.from({ length: 8 }, () => nop()));
  const fd = fs.openSync(${JSON.stringify(fileURLToPath(INDEX_URL))}, 'r');
  await read(fd, Buffer.alloc(100), 0);
  fs.closeSync(fd);
  const ac = new AbortController();
  const p = sleep(60_000, { signal: ac.signal }).promise();
  await new Promise((r) => setImmediate(r));
  ac.abort();
  await p.catch(() => {});
  const [a, b] = socketpair();
  const got = [];
  const reader = (async () => { for await (const c of b.chunks()) got.push(c.length); })();
  for (let i = 0; i < 3; i++) { await a.writeAll(Buffer.alloc(1000, i)); await sleep(2); }
  await a.close();
  await reader;
  await b.close();
  console.log(JSON.stringify({ got }));
`;

describe('timeline', SUITE, () => {
  let dir = '';
  let cleanup = (): void => {};
  let jsonl = '';
  let events: TraceEvent[] = [];

  test('a real trace becomes a self-contained page with one bar per SQE', async () => {
    ({ dir, cleanup } = tempDir('ringcore-timeline-'));
    jsonl = path.join(dir, 'run.jsonl');
    const res = await runChild(program, { RINGCORE_TRACE: jsonl });
    assert.equal(res.code, 0, res.stderr);
    assert.equal(JSON.parse(res.stdout.trim()).got.reduce((x: number, y: number) => x + y, 0), 3000);
    events = parseTrace(fs.readFileSync(jsonl, 'utf8'));
    const sqes = events.filter((e) => e.ev === 'sqe');
    const enters = events.filter((e) => e.ev === 'enter');
    const more = events.filter((e) => e.ev === 'cqe' && e.more);
    assert.ok(sqes.length >= 15 && enters.length >= 5 && more.length >= 1, `${sqes.length} SQEs, ${enters.length} enters, ${more.length} F_MORE`);

    const out = path.join(dir, 'page.html');
    const r = cli('trace', jsonl, '-o', out);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`${sqes.length} SQEs, ${enters.length} enters`));
    const html = fs.readFileSync(out, 'utf8');
    // Self-contained: nothing fetched from anywhere.
    assert.doesNotMatch(html, /<(link|img|iframe)\b|<script[^>]*\bsrc=|@import|url\(/i);
    assert.doesNotMatch(html.replace(/xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g, ''), /(https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}\//i);
    // One op bar per SQE, with the SQE's user_data and opcode, in the trace's order.
    const bars = elements(html, 'rect', 'op');
    assert.equal(bars.length, sqes.length);
    assert.deepEqual(bars.map((b) => `${b['data-op']} ${b['data-ud']}`).sort(), sqes.map((s) => `${s.op} ${s.ud}`).sort());
    assert.equal(elements(html, 'line', 'enter').length, enters.length);
    assert.equal(elements(html, 'circle', 'more').length, more.length);
    assert.equal(elements(html, 'path', 'inflight').length, 1);
    // The aborted TIMEOUT is an error bar (its CQE: -ECANCELED); the NOPs are not.
    const timeout = bars.find((b) => b['data-op'] === 'TIMEOUT')!;
    assert.match(timeout.class, /\berr\b/);
    assert.match(unescape(timeout['data-info']), /res=-125 ECANCELED/);
    assert.ok(bars.filter((b) => b['data-op'] === 'NOP').every((b) => !/\berr\b/.test(b.class)));
    // The 8 NOPs went in one enter: the page's table says so.
    assert.match(html, /<td>NOP<\/td><td>8<\/td><td>8<\/td>/);
    // Coordinates are numbers inside the plot.
    for (const b of bars) {
      const x = Number(b.x);
      const w = Number(b.width);
      assert.ok(Number.isFinite(x) && Number.isFinite(w) && w >= 0 && x >= 150 && x + w <= 150 + 1100 + 0.01, JSON.stringify(b));
    }
  });

  test('ops in one lane never overlap; in-flight maximum is right', () => {
    const t = (ev: Partial<TraceEvent> & { ev: TraceEvent['ev'] }): TraceEvent => ({ ring: 5, ...ev }) as TraceEvent;
    const sqe = (tt: number, ud: string, op = 'NOP'): TraceEvent =>
      t({ ev: 'sqe', t: tt, ud, op, opcode: 0, fd: -1, off: 0, addr: 0, len: 0, flags: 0, ioprio: 0, opFlags: 0 });
    const cqe = (tt: number, ud: string, res = 0, more = false): TraceEvent => t({ ev: 'cqe', t: tt, ud, op: 'NOP', res, flags: more ? 2 : 0, more });
    const ev: TraceEvent[] = [
      t({ ev: 'ring', t: 0, pid: 1, thread: 0 }),
      sqe(1, '1:1'), sqe(2, '2:1'), sqe(3, '3:1'),
      t({ ev: 'enter', t: 4, toSubmit: 3, minComplete: 0, flags: 0, res: 3 }),
      cqe(10, '2:1'), cqe(11, '1:1', -9), cqe(12, '3:1', 5, true),
      sqe(20, '4:1'), t({ ev: 'enter', t: 21, toSubmit: 1, minComplete: 0, flags: 0, res: 1 }), cqe(30, '4:1'),
      cqe(31, '9:9'), // no SQE in the trace
    ];
    const { html, summary } = renderTimeline(ev);
    assert.deepEqual(summary, { rings: 1, omitted: 0, sqes: 4, enters: 2, cqes: 5, unfinished: 1, maxInFlight: 3, durationUs: 31 });
    const bars = elements(html, 'rect', 'op');
    assert.equal(bars.length, 4);
    const byLane = new Map<string, [number, number][]>();
    for (const b of bars) {
      const l = byLane.get(b.y) ?? [];
      l.push([Number(b.x), Number(b.x) + Number(b.width)]);
      byLane.set(b.y, l);
    }
    assert.equal(byLane.size, 3, 'three ops overlap in time: three lanes');
    for (const spans of byLane.values()) {
      spans.sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < spans.length; i++) assert.ok(spans[i][0] >= spans[i - 1][1], 'no overlap in a lane');
    }
    const err = bars.filter((b) => /\berr\b/.test(b.class));
    assert.deepEqual(err.map((b) => b['data-ud']), ['1:1']);
    const open = bars.filter((b) => /\bopen\b/.test(b.class));
    assert.deepEqual(open.map((b) => b['data-ud']), ['3:1'], 'a multishot op with no final CQE runs to the end');
    assert.equal(elements(html, 'circle', 'more').length, 1);
    assert.equal(elements(html, 'circle', 'orphan').length, 1);
    // The in-flight step line reaches the top (3) once.
    const d = elements(html, 'path', 'inflight')[0].d;
    assert.match(d, /^M/);
  });

  test('past maxOps SQEs the rest is left out, and the page says so', () => {
    const ev: TraceEvent[] = [];
    for (let i = 0; i < 10; i++) {
      ev.push({ ev: 'sqe', t: i * 2, ring: 3, ud: `${i}:1`, op: 'NOP', opcode: 0, fd: -1, off: 0, addr: 0, len: 0, flags: 0, ioprio: 0, opFlags: 0 });
      ev.push({ ev: 'cqe', t: i * 2 + 1, ring: 3, ud: `${i}:1`, op: 'NOP', res: 0, flags: 0, more: false });
    }
    const { html, summary } = renderTimeline(ev, { maxOps: 4 });
    assert.equal(elements(html, 'rect', 'op').length, 4);
    assert.equal(summary.sqes, 4);
    assert.equal(summary.omitted, 12); // from the 5th SQE (event 9 of 20) on
    assert.match(html, /Only the first 4 SQEs are drawn: the last 12 events/);
    assert.equal(renderTimeline(ev).summary.omitted, 0);
  });

  test('trace contents are escaped', () => {
    const evil = '<script>alert(1)</script>';
    const ev = [
      { ev: 'sqe', t: 1, ring: 3, ud: '"><img src=x>', op: evil, opcode: 0, fd: 0, off: 0, addr: 0, len: 0, flags: 0, ioprio: 0, opFlags: 0 },
      { ev: 'cqe', t: 2, ring: 3, ud: '"><img src=x>', op: evil, res: 0, flags: 0, more: false },
    ] as TraceEvent[];
    const { html } = renderTimeline(ev, { title: '</title><b>' });
    assert.equal(html.split('<script>').length - 1, 1, 'only the page\'s own script');
    assert.doesNotMatch(html, /<img|<\/title><b>/);
    assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  });

  test('parseTrace refuses what is not a trace, naming the line', () => {
    const good = '{"ev":"enter","t":1,"ring":3,"toSubmit":1,"minComplete":0,"flags":0,"res":1}';
    assert.equal(parseTrace(`\n${good}\n\n`).length, 1);
    const bad: [string, RegExp][] = [
      [`${good}\n{not json`, /line 2: not JSON/],
      ['[1,2]', /line 1: not an object/],
      ['null', /line 1: not an object/],
      ['{"ev":"boom","t":1}', /unknown event "boom"/],
      ['{"ev":"__proto__","t":1}', /unknown event/],
      ['{"ev":"enter","t":"1","ring":3,"toSubmit":1,"minComplete":0,"flags":0,"res":1}', /enter\.t is not a finite number/],
      ['{"ev":"enter","t":1e999,"ring":3,"toSubmit":1,"minComplete":0,"flags":0,"res":1}', /enter\.t is not a finite number/],
      ['{"ev":"sqe","t":1,"ring":3,"opcode":0,"fd":0,"len":0,"flags":0,"ud":5,"op":"NOP"}', /needs string ud and op/],
    ];
    for (const [text, re] of bad) {
      assert.throws(() => parseTrace(text), (e: unknown) => e instanceof TraceFormatError && e.code === 'ERR_RINGCORE_TRACE_FORMAT' && re.test(e.message), text);
    }
  });

  test('the trace command checks its arguments', () => {
    const { dir: d, cleanup: c } = tempDir();
    try {
      let r = cli('trace');
      assert.equal(r.status, 2);
      assert.match(r.stderr, /which trace\?/);
      r = cli('trace', '--bogus');
      assert.equal(r.status, 2);
      assert.match(r.stderr, /unknown option '--bogus'/);
      r = cli('trace', 'a.jsonl', 'b.jsonl');
      assert.equal(r.status, 2);
      r = cli('trace', 'a.jsonl', '-o');
      assert.equal(r.status, 2);
      assert.match(r.stderr, /-o needs a file name/);
      r = cli('trace', path.join(d, 'missing.jsonl'));
      assert.equal(r.status, 1);
      assert.match(r.stderr, /cannot read/);
      const bad = path.join(d, 'bad.jsonl');
      fs.writeFileSync(bad, '{"ev":"ring","t":0,"ring":1}\nnope\n');
      r = cli('trace', bad);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /line 2: not JSON/);
      assert.equal(fs.existsSync(path.join(d, 'bad.html')), false, 'no page for a bad trace');
      // Default output: beside the trace, .html for .jsonl.
      const ok = path.join(d, 'ok.jsonl');
      fs.writeFileSync(ok, '{"ev":"ring","t":0,"ring":1,"pid":1,"thread":0}\n');
      r = cli('trace', ok);
      assert.equal(r.status, 0, r.stderr);
      assert.ok(fs.existsSync(path.join(d, 'ok.html')));
      r = cli('--help');
      assert.match(r.stdout, /trace <file\.jsonl> \[-o <out\.html>\]/);
    } finally {
      c();
    }
  });

  // Debian's chromium, installed here when missing and we can (root with apt-get, as in
  // CI): the project installs what its tests need.  Only a machine where nothing can be
  // installed skips this, and says so; a failed install fails the test.
  const findChromium = () => ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));
  const canInstall = process.getuid?.() === 0 && fs.existsSync('/usr/bin/apt-get');
  test('in a headless browser, the script runs and the DOM has the same elements',
    { skip: findChromium() === undefined && !canInstall ? 'no chromium binary and no way to install it (not root with apt-get); the static checks above ran' : false }, () => {
      let chromium = findChromium();
      if (chromium === undefined) {
        const opts = { stdio: 'ignore', timeout: 600_000 } as const;
        if (spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], opts).status !== 0) {
          spawnSync('apt-get', ['update'], opts);
          spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], opts);
        }
        chromium = findChromium();
        assert.ok(chromium !== undefined, 'apt-get install chromium failed');
      }
      assert.ok(jsonl && events.length > 0, 'the real trace of the first test');
      const out = path.join(dir, 'browser.html');
      assert.equal(cli('trace', jsonl, '-o', out).status, 0);
      const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'ringcore-chromium-'));
      try {
        const r = spawnSync(chromium, [
          '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
          '--disable-sync', '--no-first-run', `--user-data-dir=${profile}`, '--virtual-time-budget=2000', '--dump-dom', `file://${out}`,
        ], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 });
        assert.equal(r.status, 0, r.stderr);
        const dom = r.stdout;
        assert.match(dom, /<svg[^>]*data-ready="1"/, 'the inline script ran to its end');
        const sqes = events.filter((e) => e.ev === 'sqe');
        assert.equal(elements(dom, 'rect', 'op').length, sqes.length);
        assert.equal(elements(dom, 'line', 'enter').length, events.filter((e) => e.ev === 'enter').length);
        // The event-order axis (#mode=e): bars placed by event index, 4x wide.
        const r2 = spawnSync(chromium, [
          '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
          '--disable-sync', '--no-first-run', `--user-data-dir=${profile}`, '--virtual-time-budget=2000', '--dump-dom', `file://${out}#mode=e&zoom=4`,
        ], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 });
        assert.equal(r2.status, 0, r2.stderr);
        const sorted = [...events].sort((a, b) => a.t - b.t);
        const idx = new Map(sorted.map((e, i) => [e, i]));
        const first = sorted.find((e) => e.ev === 'sqe')!;
        const firstBar = elements(r2.stdout, 'rect', 'op').find((b) => b['data-ud'] === (first as { ud: string }).ud)!;
        const expected = 150 + (idx.get(first)! / (sorted.length - 1)) * 1100 * 4;
        assert.ok(Math.abs(Number(firstBar.x) - expected) < 0.5, `event-order x ${firstBar.x}, expected ${expected}`);
        assert.match(r2.stdout, /<svg[^>]*width="4570"/);
        // The script's relayout at zoom 1 on the time axis reproduces the static x's.
        const staticBars = elements(fs.readFileSync(out, 'utf8'), 'rect', 'op');
        const domBars = elements(dom, 'rect', 'op');
        for (let i = 0; i < staticBars.length; i++) {
          assert.ok(Math.abs(Number(staticBars[i].x) - Number(domBars[i].x)) < 0.05, `${staticBars[i].x} vs ${domBars[i].x}`);
        }
      } finally {
        fs.rmSync(profile, { recursive: true, force: true });
      }
    });

  test('cleanup', () => cleanup());
});
