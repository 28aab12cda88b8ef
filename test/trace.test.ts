/**
 * RINGCORE_TRACE=1: every SQE, CQE and io_uring_enter is printed on stderr.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { INDEX_URL, INDEX_PATH, runChild, SUITE, failIfKeptAlive } from './helpers.js';

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
});
