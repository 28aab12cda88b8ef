/**
 * examples/lib/file-cache.ts, the file_server's open-file cache, in process: LRU bound,
 * reference counts (an evicted or invalidated entry's fd stays open until the last
 * response using it is done), shared opens, revalidation (modify, replace by rename,
 * delete) and cached refusals, over real files opened beneath a ServedRoot.  Touches
 * only its own temp directory.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { OpenFileCache, type CachedFile, type Opener } from '../examples/lib/file-cache.js';
import { ServedRoot, type RefusedStatus } from '../examples/lib/confine.js';
import { tempDir } from './helpers.js';

let tmp: { dir: string; cleanup: () => void };
let dir: string;
let root: ServedRoot;
let opens = 0;

const opener: Opener = async (key) => {
  opens++;
  const o = await root.openTarget({ rel: key, trailingSlash: false });
  if ('status' in o) return o;
  return { file: o, statPath: path.join(dir, o.rel) };
};

function isFile(r: CachedFile | RefusedStatus): CachedFile {
  assert.equal(typeof r, 'object', `expected a file, got ${String(r)}`);
  return r as CachedFile;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  tmp = tempDir('ringcore-file-cache-');
  dir = fs.realpathSync(tmp.dir);
  for (const n of ['a', 'b', 'c']) fs.writeFileSync(path.join(dir, `${n}.txt`), `${n}-content`);
  fs.writeFileSync(path.join(dir, 'big.bin'), Buffer.alloc(100_000, 7));
  root = await ServedRoot.open(dir);
});

after(async () => {
  await root?.close();
  tmp?.cleanup();
});

describe('OpenFileCache', () => {
  test('options are checked', () => {
    for (const o of [{ maxEntries: -1 }, { maxEntries: 0 }, { validMs: NaN }, { maxBodyBytes: 1.5 }, { maxTotalBodyBytes: -Infinity }, { validMs: Infinity }]) {
      assert.throws(() => new OpenFileCache(opener, o), RangeError, JSON.stringify(o));
    }
  });

  test('a hit costs no open; small bodies are kept, large ones not', async () => {
    const cache = new OpenFileCache(opener, { validMs: 60_000 });
    opens = 0;
    const a = isFile(await cache.acquire('a.txt'));
    assert.equal(a.body?.toString(), 'a-content');
    cache.release(a);
    const again = cache.tryAcquire('a.txt');
    assert.equal(again, a, 'the same entry, synchronously');
    cache.release(a);
    assert.equal(opens, 1);
    const big = isFile(await cache.acquire('big.bin'));
    assert.equal(big.body, undefined, 'over maxBodyBytes: read from the fd per request');
    assert.equal(big.size, 100_000);
    cache.release(big);
    cache.close();
  });

  test('concurrent misses on one path share one open', async () => {
    const cache = new OpenFileCache(opener, { validMs: 60_000 });
    opens = 0;
    const got = await Promise.all(Array.from({ length: 20 }, () => cache.acquire('b.txt')));
    assert.equal(opens, 1);
    for (const g of got) assert.equal(g, got[0]);
    for (const g of got) cache.release(isFile(g));
    cache.close();
  });

  test('LRU: at most maxEntries open; an evicted entry in use keeps its fd until released', async () => {
    const cache = new OpenFileCache(opener, { validMs: 60_000, maxEntries: 2 });
    const a = isFile(await cache.acquire('a.txt')); // held: "a send in flight"
    const b = isFile(await cache.acquire('b.txt'));
    cache.release(b);
    const c = isFile(await cache.acquire('c.txt')); // evicts a (least recently used)
    cache.release(c);
    assert.equal(cache.size, 2);
    assert.ok(a.fh.fd >= 0, 'evicted but referenced: still open');
    const { bytesRead } = await a.fh.read(Buffer.alloc(9), 0, 9, 0);
    assert.equal(bytesRead, 9, 'and readable');
    cache.release(a);
    assert.equal(a.fh.fd, -1, 'closed on the last release');
    // b was used more recently than a, c most recently: a new one evicts b.
    const a2 = isFile(await cache.acquire('a.txt'));
    cache.release(a2);
    assert.notEqual(a2, a);
    assert.equal(b.fh.fd, -1);
    assert.ok(c.fh.fd >= 0);
    cache.close();
    assert.equal(c.fh.fd, -1, 'close() closes what nobody uses');
    assert.equal(await cache.acquire('a.txt'), 500, 'a closed cache answers 500');
  });

  test('eviction gives a recently hit entry a second chance (approximate LRU without reordering per hit)', async () => {
    const cache = new OpenFileCache(opener, { validMs: 60_000, maxEntries: 2 });
    const a = isFile(await cache.acquire('a.txt'));
    cache.release(a);
    const b = isFile(await cache.acquire('b.txt'));
    cache.release(b);
    const hit = cache.tryAcquire('a.txt'); // a is older than b, but was just used
    assert.equal(hit, a);
    cache.release(a);
    const c = isFile(await cache.acquire('c.txt'));
    cache.release(c);
    assert.equal(b.fh.fd, -1, 'b evicted');
    assert.ok(a.fh.fd >= 0, 'a kept');
    assert.equal(cache.tryAcquire('a.txt'), a);
    cache.release(a);
    cache.close();
  });

  test('revalidation: modified, replaced by rename, deleted — never stale past validMs', async () => {
    const f = path.join(dir, 'live.txt');
    fs.writeFileSync(f, 'v1');
    const cache = new OpenFileCache(opener, { validMs: 100 });
    const e1 = isFile(await cache.acquire('live.txt'));
    assert.equal(e1.body?.toString(), 'v1');
    fs.writeFileSync(f, 'v-two');
    // Within the bound the cached entry may be served...
    const maybe = cache.tryAcquire('live.txt');
    if (maybe !== undefined) cache.release(maybe as CachedFile);
    await sleep(150);
    // ...after it, never.
    const e2 = isFile(await cache.acquire('live.txt'));
    assert.equal(e2.body?.toString(), 'v-two');
    assert.ok(e1.fh.fd >= 0, 'the old version, still referenced, is still open');
    cache.release(e1);
    assert.equal(e1.fh.fd, -1);
    cache.release(e2);
    fs.writeFileSync(path.join(dir, 'live.tmp'), 'v3');
    fs.renameSync(path.join(dir, 'live.tmp'), f);
    await sleep(150);
    const e3 = isFile(await cache.acquire('live.txt'));
    assert.equal(e3.body?.toString(), 'v3');
    cache.release(e3);
    fs.rmSync(f);
    await sleep(150);
    assert.equal(await cache.acquire('live.txt'), 404);
    fs.writeFileSync(f, 'v4');
    assert.equal(await cache.acquire('live.txt'), 404, 'a refusal is remembered within the bound');
    await sleep(150);
    const e4 = isFile(await cache.acquire('live.txt'));
    assert.equal(e4.body?.toString(), 'v4', 'and retried after it');
    cache.release(e4);
    assert.ok(cache.counts.invalidations >= 3, JSON.stringify(cache.counts));
    cache.close();
    fs.rmSync(f);
  });

  test('validMs 0: every acquire revalidates (one statx), unchanged files keep their entry', async () => {
    const cache = new OpenFileCache(opener, { validMs: 0 });
    opens = 0;
    const a = isFile(await cache.acquire('a.txt'));
    cache.release(a);
    assert.equal(cache.tryAcquire('a.txt'), undefined, 'never fresh without a look');
    for (let i = 0; i < 5; i++) {
      const again = isFile(await cache.acquire('a.txt'));
      assert.equal(again, a);
      cache.release(again);
    }
    assert.equal(opens, 1);
    assert.equal(cache.counts.revalidations, 5);
    cache.close();
  });

  test('refusals are statuses: 404, 403 (escape), 301 (directory)', async () => {
    fs.mkdirSync(path.join(dir, 'sub'), { recursive: true });
    fs.symlinkSync('/etc/passwd', path.join(dir, 'out'));
    const cache = new OpenFileCache(opener, { validMs: 60_000 });
    assert.equal(await cache.acquire('missing'), 404);
    assert.equal(await cache.acquire('out'), 403);
    assert.equal(await cache.acquire('sub'), 301);
    assert.equal(cache.tryAcquire('missing'), 404);
    assert.equal(cache.size, 0);
    cache.close();
  });
});
