/**
 * RINGCORE_TRACE=1: every SQE, CQE and io_uring_enter is printed on stderr.
 * RINGCORE_TRACE=<path>.jsonl: the same events with timestamps, as JSON lines in that
 * file (every thread's rings in one file).  Tracing off costs one null test per hook.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { INDEX_URL, INDEX_PATH, runChild, SUITE, failIfKeptAlive, tempDir } from './helpers.js';
import { traceDestination } from '../src/runtime/trace.js';

failIfKeptAlive();

const script = `
  import fs from 'node:fs';
  import { nop, read } from ${JSON.stringify(INDEX_URL)};
  const n = await nop();
  const fd = fs.openSync(${JSON.stringify(INDEX_PATH)}, 'r');
  const buf = Buffer.alloc(10);
  const r = await read(fd, buf, 0);
  fs.closeSync(fd);
  console.log(JSON.stringify({ n, r, fd }));
`;

describe('trace', SUITE, () => {
  test('RINGCORE_TRACE=1 prints SQEs, CQEs and enters on stderr', async () => {
    const res = await runChild(script, { RINGCORE_TRACE: '1' });
    assert.equal(res.code, 0, res.stderr);
    const { n, r, fd } = JSON.parse(res.stdout.trim());
    assert.equal(n, 0);
    assert.equal(r, 10);
    const lines = res.stderr.split('\n');
    const find = (re: RegExp) => lines.filter((l) => re.test(l));
    assert.equal(find(/sqe NOP/).length, 1, res.stderr);
    assert.equal(find(/cqe NOP\s.*res=0\b/).length, 1, res.stderr);
    const sqeRead = find(/sqe READ\s/);
    assert.equal(sqeRead.length, 1, res.stderr);
    // The line is decoded from the SQE itself: it shows what the kernel was asked.
    assert.match(sqeRead[0], new RegExp(`\\bfd=${fd}\\b`));
    assert.match(sqeRead[0], /\boff=0\b/);
    assert.match(sqeRead[0], /\blen=10\b/);
    assert.match(sqeRead[0], /\baddr=0x[0-9a-f]+/);
    const cqeRead = find(/cqe READ\s/);
    assert.equal(cqeRead.length, 1, res.stderr);
    assert.match(cqeRead[0], /\bres=10\b/);
    // The user_data of the SQE and of its CQE agree.
    const ud = /ud=(\d+:\d+)/.exec(sqeRead[0])![1];
    assert.match(cqeRead[0], new RegExp(`ud=${ud}\\b`));
    const enters = find(/io_uring_enter\(/);
    assert.ok(enters.length >= 2, res.stderr);
    assert.ok(enters.every((l) => /to_submit=\d+, min_complete=\d+, flags=\S+\) = -?\d+/.test(l)), res.stderr);
    assert.ok(enters.some((l) => /to_submit=1,.*\) = 1\b/.test(l)), res.stderr);
  });

  test('without RINGCORE_TRACE nothing is printed', async () => {
    const res = await runChild(script);
    assert.equal(res.code, 0, res.stderr);
    assert.doesNotMatch(res.stderr, /sqe |cqe |io_uring_enter\(/);
    assert.equal(JSON.parse(res.stdout.trim()).r, 10);
  });

  test('RINGCORE_TRACE=0 means off', async () => {
    const res = await runChild(script, { RINGCORE_TRACE: '0' });
    assert.equal(res.code, 0, res.stderr);
    assert.doesNotMatch(res.stderr, /sqe |cqe |io_uring_enter\(/);
  });

  test('traceDestination reads RINGCORE_TRACE', () => {
    for (const v of [undefined, '', '0']) assert.deepEqual(traceDestination(v), { kind: 'off' }, String(v));
    for (const v of ['1', 'yes', 'stderr', 'trace.json', '00']) assert.deepEqual(traceDestination(v), { kind: 'text' }, v);
    assert.deepEqual(traceDestination('/tmp/x.jsonl'), { kind: 'jsonl', path: '/tmp/x.jsonl' });
    assert.deepEqual(traceDestination('rel/t.jsonl'), { kind: 'jsonl', path: path.resolve('rel/t.jsonl') });
  });

  /** A worker script file (Deno's Worker takes no eval'd module source). */
  const workerFile = (dir: string, nops: number): string => {
    const f = path.join(dir, `worker-${nops}.mjs`);
    fs.writeFileSync(f, `import { nop } from ${JSON.stringify(INDEX_URL)};\n${'await nop();\n'.repeat(nops)}`);
    return f;
  };

  const jsonlScript = (file: string, worker: string | undefined) => `
    import fs from 'node:fs';
    import { Worker } from 'node:worker_threads';
    import { nop, read, sleep, stats, all } from ${JSON.stringify(INDEX_URL)};
    await all([nop(), nop(), nop()]);
    const fd = fs.openSync(${JSON.stringify(INDEX_PATH)}, 'r');
    const r = await read(fd, Buffer.alloc(10), 0);
    fs.closeSync(fd);
    const ac = new AbortController();
    const p = sleep(60_000, { signal: ac.signal }).promise();
    await new Promise((res) => setImmediate(res));
    ac.abort();
    await p.catch(() => {});
    await sleep(5); // the TIMEOUT's own CQE arrives
    ${worker ? `await new Promise((res, rej) => {
      const w = new Worker(${JSON.stringify(worker)});
      w.on('exit', res).on('error', rej);
    });` : ''}
    console.log(JSON.stringify({ r, stats: stats(), file: ${JSON.stringify(file)} }));
  `;

  test('RINGCORE_TRACE=<file>.jsonl writes every SQE, enter and CQE as JSON lines', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = path.join(dir, 'trace.jsonl');
      fs.writeFileSync(file, 'stale content from an earlier run\n');
      const res = await runChild(jsonlScript(file, undefined), { RINGCORE_TRACE: file });
      assert.equal(res.code, 0, res.stderr);
      assert.doesNotMatch(res.stderr, /sqe |cqe |io_uring_enter\(/, 'nothing on stderr');
      const { r, stats } = JSON.parse(res.stdout.trim());
      assert.equal(r, 10);
      const events = fs.readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
      assert.equal(events[0].ev, 'ring', 'the main thread started the file afresh');
      const of = (ev: string) => events.filter((e) => e.ev === ev);
      // Exactly what the ring counted: every SQE it submitted, every enter, every CQE.
      assert.equal(of('sqe').length, stats.sqesSubmitted);
      assert.equal(of('enter').length, stats.enters);
      assert.equal(of('cqe').length, stats.cqesReaped);
      assert.equal(of('ring').length, 1);
      const ring = events[0].ring;
      for (const e of events) {
        assert.equal(e.ring, ring);
        assert.equal(typeof e.t, 'number');
      }
      for (let i = 1; i < events.length; i++) assert.ok(events[i].t >= events[i - 1].t, 'monotonic timestamps');
      const ops = of('sqe').map((e) => e.op);
      assert.deepEqual(ops.filter((o) => o === 'NOP').length, 3);
      assert.ok(ops.includes('READ') && ops.includes('TIMEOUT') && ops.includes('ASYNC_CANCEL'), ops.join());
      // Every SQE's user_data comes back in exactly one terminal CQE, named after its opcode.
      for (const s of of('sqe')) {
        const done = of('cqe').filter((c) => c.ud === s.ud && !c.more && c.t >= s.t);
        assert.ok(done.length >= 1, `a CQE for ${s.op} ${s.ud}`);
        assert.equal(done[0].op, s.op);
      }
      const read = of('sqe').find((e) => e.op === 'READ');
      assert.equal(read.len, 10);
      assert.equal(read.off, 0);
      const timeoutCqe = of('cqe').find((e) => e.op === 'TIMEOUT');
      assert.equal(timeoutCqe.res, -125);
      assert.equal(timeoutCqe.err, 'ECANCELED');
      assert.ok(of('enter').every((e) => e.res >= 0 && e.toSubmit >= 0));
    } finally {
      cleanup();
    }
  });

  test('worker threads append their rings to the same .jsonl', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = path.join(dir, 'w.jsonl');
      const res = await runChild(jsonlScript(file, workerFile(dir, 2)), { RINGCORE_TRACE: file });
      assert.equal(res.code, 0, res.stderr);
      const events = fs.readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
      const rings = events.filter((e) => e.ev === 'ring');
      assert.equal(rings.length, 2, 'one ring per thread');
      assert.notEqual(rings[0].thread, rings[1].thread);
      assert.notEqual(rings[0].ring, rings[1].ring);
      const workerNops = events.filter((e) => e.ev === 'sqe' && e.ring === rings[1].ring);
      assert.deepEqual(workerNops.map((e) => e.op), ['NOP', 'NOP']);
    } finally {
      cleanup();
    }
  });

  test('a worker ring made before the main thread\'s first is kept; an unopenable file is an error', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = path.join(dir, 'w.jsonl');
      fs.writeFileSync(file, 'stale\n');
      const script = `
        import { Worker } from 'node:worker_threads';
        import { nop } from ${JSON.stringify(INDEX_URL)};
        await new Promise((res, rej) => {
          const w = new Worker(${JSON.stringify(workerFile(dir, 1))});
          w.on('exit', res).on('error', rej);
        });
        await nop();
      `;
      const res = await runChild(script, { RINGCORE_TRACE: file });
      assert.equal(res.code, 0, res.stderr);
      const events = fs.readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
      const rings = events.filter((e) => e.ev === 'ring');
      assert.equal(rings.length, 2, fs.readFileSync(file, 'utf8'));
      assert.notEqual(rings[0].thread, 0, 'the worker\'s ring came first and was not wiped');
      assert.equal(rings[1].thread, 0);
      assert.equal(events.filter((e) => e.ev === 'sqe').length, 2);

      const bad = await runChild(`import { nop } from ${JSON.stringify(INDEX_URL)}; await nop();`,
        { RINGCORE_TRACE: path.join(dir, 'no', 'such', 'dir', 't.jsonl') });
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /RINGCORE_TRACE=.*t\.jsonl: ENOENT/);
    } finally {
      cleanup();
    }
  });

  test('tracing off costs one null test per hook', () => {
    // Every use of the tracer in the runtime is guarded by one `!== null` test, with
    // nothing computed before it (the hot path does no work for a trace nobody reads).
    const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'runtime');
    let hooks = 0;
    for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'trace.ts')) {
      for (const line of fs.readFileSync(path.join(dir, f), 'utf8').split('\n')) {
        if (!/tracer\b/.test(line) || /^\s*(\*|\/\/|\/\*)/.test(line) || /^import /.test(line)) continue;
        if (/^\s*(private |readonly )*(private |readonly )*tracer: Tracer \| null;/.test(line)) continue;
        if (/this\.tracer = .*\? new Tracer\(.*\) : null;/.test(line)) continue;
        assert.match(line, /^\s*if \(this\.tracer !== null\) this\.tracer\.(sqe|cqe|enter)\([\w\s,.]*\);$/, `${f}: ${line.trim()}`);
        hooks++;
      }
    }
    assert.ok(hooks >= 3, `found ${hooks} tracer hooks`);
  });
});
