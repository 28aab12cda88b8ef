/**
 * examples/lib/static-http.ts (validators, conditional requests, byte ranges,
 * Accept-Encoding) and the per-second Date header of examples/lib/http1-response.ts:
 * pure functions, tested on hostile header values.  Touches nothing.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { accepts, etagOf, lastModifiedOf, notModified, rangeOf } from '../examples/lib/static-http.js';
import { dateHeader } from '../examples/lib/http1.js';

const h = (o: Record<string, string>): Map<string, string> => new Map(Object.entries(o));
const ETAG = etagOf(1_700_000_000_123_456_789n, 1000);
const LM = lastModifiedOf(1_700_000_000_123);

describe('static-http', () => {
  test('etagOf: strong, hex, one per representation; lastModifiedOf: whole seconds', () => {
    assert.equal(ETAG, `"${(1_700_000_000_123_456_789n).toString(16)}-3e8"`);
    assert.notEqual(etagOf(1n, 1, 'br'), etagOf(1n, 1, 'gzip'));
    assert.notEqual(etagOf(1n, 1, 'br'), etagOf(1n, 1));
    assert.notEqual(etagOf(1n, 10), etagOf(2n, 10), 'nanoseconds count');
    assert.equal(LM, 'Tue, 14 Nov 2023 22:13:20 GMT');
  });

  test('notModified: If-None-Match (weak compare, lists, *) first, then If-Modified-Since', () => {
    const mtime = 1_700_000_000_123;
    assert.equal(notModified(h({}), ETAG, mtime), false);
    assert.equal(notModified(h({ 'if-none-match': ETAG }), ETAG, mtime), true);
    assert.equal(notModified(h({ 'if-none-match': `W/${ETAG}` }), ETAG, mtime), true);
    assert.equal(notModified(h({ 'if-none-match': `"a",  ${ETAG} ,"b"` }), ETAG, mtime), true);
    assert.equal(notModified(h({ 'if-none-match': '*' }), ETAG, mtime), true);
    assert.equal(notModified(h({ 'if-none-match': '' }), ETAG, mtime), false);
    assert.equal(notModified(h({ 'if-none-match': ETAG.slice(1, -1) }), ETAG, mtime), false, 'unquoted is another tag');
    assert.equal(notModified(h({ 'if-none-match': '"x"', 'if-modified-since': LM }), ETAG, mtime), false);
    assert.equal(notModified(h({ 'if-modified-since': LM }), ETAG, mtime), true, 'sub-second mtime rounds down');
    assert.equal(notModified(h({ 'if-modified-since': 'Tue, 14 Nov 2023 22:13:19 GMT' }), ETAG, mtime), false);
    for (const junk of ['', 'yesterday', '\u0000', 'NaN', '-1']) {
      assert.equal(notModified(h({ 'if-modified-since': junk }), ETAG, mtime), false, JSON.stringify(junk));
    }
  });

  test('rangeOf: single ranges, suffixes, clamping; several → full; unsatisfiable; malformed → full', () => {
    const r = (range: string, size = 100, extra: Record<string, string> = {}) => rangeOf(h({ range, ...extra }), size, ETAG, LM);
    assert.equal(rangeOf(h({}), 100, ETAG, LM), 'full');
    assert.deepEqual(r('bytes=0-0'), { start: 0, end: 0 });
    assert.deepEqual(r('bytes=0-99'), { start: 0, end: 99 });
    assert.deepEqual(r('bytes=0-1000'), { start: 0, end: 99 });
    assert.deepEqual(r('bytes=50-'), { start: 50, end: 99 });
    assert.deepEqual(r('bytes=-10'), { start: 90, end: 99 });
    assert.deepEqual(r('bytes=-1000'), { start: 0, end: 99 });
    assert.deepEqual(r('Bytes = 1 - 2'), { start: 1, end: 2 });
    assert.deepEqual(r('bytes=99999999999999999999-', 100), 'unsatisfiable');
    assert.deepEqual(r('bytes=0-1, 5-6'), 'full');
    assert.deepEqual(r('bytes=200-300, 5-6'), 'full', 'one satisfiable of several: the whole file');
    assert.deepEqual(r('bytes=100-'), 'unsatisfiable');
    assert.deepEqual(r('bytes=100-200,300-400'), 'unsatisfiable');
    assert.deepEqual(r('bytes=-0'), 'unsatisfiable');
    assert.deepEqual(r('bytes=0-', 0), 'unsatisfiable', 'an empty file has no bytes to range over');
    for (const bad of ['bytes=5-1', 'bytes=a-b', 'bytes=-', 'bytes=', 'bytes', 'items=0-1', 'bytes=0-1-2', 'bytes=1.5-2', 'bytes=0x1-2', ' ', 'bytes=--1', 'bytes=+1-2']) {
      assert.equal(r(bad), 'full', JSON.stringify(bad));
    }
    // If-Range: strong ETag or exact Last-Modified; anything else → full.
    assert.deepEqual(r('bytes=0-1', 100, { 'if-range': ETAG }), { start: 0, end: 1 });
    assert.deepEqual(r('bytes=0-1', 100, { 'if-range': LM }), { start: 0, end: 1 });
    assert.equal(r('bytes=0-1', 100, { 'if-range': `W/${ETAG}` }), 'full');
    assert.equal(r('bytes=0-1', 100, { 'if-range': '"other"' }), 'full');
    assert.equal(r('bytes=0-1', 100, { 'if-range': 'garbage' }), 'full');
  });

  test('accepts: tokens, q-values, *, x-gzip; q=0 refuses', () => {
    assert.equal(accepts(undefined, 'br'), false);
    assert.equal(accepts('', 'br'), false);
    assert.equal(accepts('br', 'br'), true);
    assert.equal(accepts('BR', 'br'), true);
    assert.equal(accepts('gzip, deflate', 'br'), false);
    assert.equal(accepts('gzip;q=0.5, br;q=0', 'br'), false);
    assert.equal(accepts('gzip;q=0.5, br;q=0', 'gzip'), true);
    assert.equal(accepts('*', 'br'), true);
    assert.equal(accepts('*;q=0', 'br'), false);
    assert.equal(accepts('br;q=0, *', 'br'), false, 'an explicit q=0 beats *');
    assert.equal(accepts('x-gzip', 'gzip'), true);
    assert.equal(accepts('brotli', 'br'), false);
    assert.equal(accepts('br;q=0.000', 'br'), false);
    assert.equal(accepts('br;q=junk', 'br'), true, 'an unparsable q is ignored (q=1)');
  });
});

describe('dateHeader', () => {
  test('an IMF-fixdate, formatted once per second', () => {
    const t = 1_700_000_000_000;
    assert.equal(dateHeader(t), 'Tue, 14 Nov 2023 22:13:20 GMT');
    assert.equal(dateHeader(t + 999), 'Tue, 14 Nov 2023 22:13:20 GMT');
    assert.equal(dateHeader(t + 1000), 'Tue, 14 Nov 2023 22:13:21 GMT');
    assert.equal(dateHeader(t - 1), 'Tue, 14 Nov 2023 22:13:19 GMT', 'going back is a new second too');
    assert.match(dateHeader(), /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
  });
});
