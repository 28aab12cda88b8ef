/**
 * examples/node_http_app (issue 10): an unmodified node:http handler on RingCore
 * connections, serving and storing files through ringcore/fs streams.  Run as a child
 * process: listing, download (whole, ranges, HEAD, 416), a 12 MiB upload read back
 * byte for byte, confinement (encoded `..`, bad names), and a clean SIGTERM exit.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tempDir, scriptCommand, sendSignal, SUITE } from './helpers.js';

const RUN_JS = fileURLToPath(new URL('../examples/run.js', import.meta.url));

let child: ChildProcess;
let port = 0;
let tmp: { dir: string; cleanup: () => void };

function req(method: string, p: string, body?: Buffer, headers: http.OutgoingHttpHeaders = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const r = http.request({ port, path: p, method, headers, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts) }));
    });
    r.on('error', reject);
    r.end(body);
  });
}

/** A raw request line, so nothing normalises the path on the way. */
function raw(target: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const c = net.connect(port, '127.0.0.1', () => c.end(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
    let got = '';
    c.on('data', (d) => { got += d; });
    c.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(got)?.[1] ?? 0)));
    c.on('error', reject);
  });
}

describe('examples/node_http_app', SUITE, () => {
  before(async () => {
    tmp = tempDir();
    fs.writeFileSync(path.join(tmp.dir, 'a.txt'), 'abcdefghijklmnopqrstuvwxyz');
    fs.writeFileSync(path.join(tmp.dir, '.secret'), 'hidden');
    const [cmd, argv] = scriptCommand(RUN_JS, 'node_http_app', '--root', tmp.dir, '--port', '0');
    child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
    port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d) => {
        out += d;
        const m = /127\.0\.0\.1:(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', (c) => reject(new Error(`node_http_app exited (${c})`)));
    });
  });

  after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
    tmp.cleanup();
  });

  test('lists, serves, ranges, HEAD, 416', async () => {
    const list = await req('GET', '/');
    assert.deepEqual(JSON.parse(list.body.toString()), ['a.txt']);
    const whole = await req('GET', '/files/a.txt');
    assert.equal(whole.status, 200);
    assert.equal(whole.body.toString(), 'abcdefghijklmnopqrstuvwxyz');
    assert.equal(whole.headers['content-type'], 'text/plain; charset=utf-8');
    const part = await req('GET', '/files/a.txt', undefined, { range: 'bytes=2-5' });
    assert.equal(part.status, 206);
    assert.equal(part.body.toString(), 'cdef');
    assert.equal(part.headers['content-range'], 'bytes 2-5/26');
    const tail = await req('GET', '/files/a.txt', undefined, { range: 'bytes=-3' });
    assert.equal(tail.body.toString(), 'xyz');
    const head = await req('HEAD', '/files/a.txt');
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], '26');
    assert.equal(head.body.length, 0);
    assert.equal((await req('GET', '/files/a.txt', undefined, { range: 'bytes=100-' })).status, 416);
    assert.equal((await req('GET', '/files/missing')).status, 404);
  });

  test('a 12 MiB upload is stored and read back exactly', async () => {
    const data = crypto.randomBytes(12 * 1024 * 1024 + 7);
    const put = await req('PUT', '/files/big.bin', data);
    assert.equal(put.status, 201);
    assert.ok(fs.readFileSync(path.join(tmp.dir, 'big.bin')).equals(data));
    const back = await req('GET', '/files/big.bin');
    assert.ok(back.body.equals(data));
  });

  test('confinement: encoded .., dotfiles and bad names are refused', async () => {
    assert.equal(await raw('/files/..%2f..%2f..%2fetc%2fpasswd'), 400);
    assert.equal(await raw('/files/.secret'), 404);
    assert.equal((await req('PUT', '/files/..%2fescape', Buffer.from('x'))).status, 400);
    assert.equal((await req('PUT', '/files/.hidden', Buffer.from('x'))).status, 400);
    assert.ok(!fs.existsSync(path.join(tmp.dir, '..', 'escape')));
  });

  test('SIGTERM: a clean exit', async () => {
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    sendSignal(child, 'SIGTERM');
    assert.equal(await exited, 0);
  });
});
