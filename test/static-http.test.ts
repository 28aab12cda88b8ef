/**
 * examples/lib/static-http.ts (validators, conditional requests, byte ranges,
 * Accept-Encoding) and the per-second Date header of examples/lib/http1-response.ts:
 * pure functions, tested on hostile header values.  Touches nothing.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { accepts, etagOf, lastModifiedOf, notModified, preconditionFailed, rangeOf } from '../examples/lib/static-http.js';
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

  test('If-Modified-Since: only an HTTP-date counts (RFC 9110 §13.1.3: anything else is ignored); the three forms, all GMT', (t) => {
    const mtime = 1_700_000_000_123; // Tue, 14 Nov 2023 22:13:20 GMT
    // Date.parse reads these as dates (years 3000, 99999, 2001; an ISO day...): a 304 for any file.
    for (const junk of ['3000', '99999', '1', '2099-01-01', '12/31/2099', 'Tue, 14 Nov 3000', 'Fri, 01 Jan 2100 00:00:00',
                        'Tue, 14 Nov 2023 22:13:20 PST', 'Tue, 31 Feb 2099 00:00:00 GMT', 'Tue, 14 Nov 2099 25:00:00 GMT',
                        'Tue, 14 Nov 2023 22:13:20 GMT, Tue, 14 Nov 2099 22:13:20 GMT', 'Tue, 14 Nov 2099 22:13:20 GMT junk']) {
      assert.equal(notModified(h({ 'if-modified-since': junk }), ETAG, mtime), false, JSON.stringify(junk));
    }
    // IMF-fixdate, obsolete RFC 850 and asctime() forms: all GMT, whatever the server's time zone
    // (Date.parse reads a zoneless asctime date as local time: try it west of Greenwich).
    const tz = process.env.TZ;
    process.env.TZ = 'America/New_York';
    t.after(() => {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    });
    assert.equal(notModified(h({ 'if-modified-since': 'Tue, 14 Nov 2023 22:13:20 GMT' }), ETAG, mtime), true);
    assert.equal(notModified(h({ 'if-modified-since': 'Tuesday, 14-Nov-23 22:13:20 GMT' }), ETAG, mtime), true);
    assert.equal(notModified(h({ 'if-modified-since': 'Tue Nov 14 22:13:20 2023' }), ETAG, mtime), true);
    assert.equal(notModified(h({ 'if-modified-since': 'Tue Nov 14 22:13:19 2023' }), ETAG, mtime), false, 'asctime is GMT, not local time');
    assert.equal(notModified(h({ 'if-modified-since': 'Sun Nov  6 08:49:37 1994' }), ETAG, mtime), false);
    assert.equal(notModified(h({ 'if-modified-since': 'Tue, 14 Nov 2023 22:13:20 GMT' }), ETAG, mtime + 1000), false);
  });

  test('rangeOf: a suffix range of an empty file is satisfiable (RFC 9110 §14.1.3) but has no bytes: the whole (empty) file, never "bytes 0--1/0"', () => {
    for (const spec of ['bytes=-5', 'bytes=-1', 'bytes=-5,0-', 'bytes=0-,-5']) {
      const r = rangeOf(h({ range: spec }), 0, ETAG, LM);
      assert.equal(r, 'full', `${spec}: ${JSON.stringify(r)}`);
    }
    assert.equal(rangeOf(h({ range: 'bytes=-0' }), 0, ETAG, LM), 'unsatisfiable');
  });

  test('preconditionFailed (412): If-Match by strong comparison (RFC 9110 §13.1.1), else If-Unmodified-Since (§13.1.4)', () => {
    const mtime = 1_700_000_000_123; // Tue, 14 Nov 2023 22:13:20 GMT
    const pf = (o: Record<string, string>) => preconditionFailed(h(o), ETAG, mtime);
    assert.equal(pf({}), false);
    assert.equal(pf({ 'if-match': ETAG }), false);
    assert.equal(pf({ 'if-match': `"a", ${ETAG}` }), false);
    assert.equal(pf({ 'if-match': '*' }), false);
    assert.equal(pf({ 'if-match': '"nope"' }), true);
    assert.equal(pf({ 'if-match': `W/${ETAG}` }), true, 'a weak tag never matches If-Match');
    assert.equal(pf({ 'if-match': '' }), true);
    assert.equal(pf({ 'if-unmodified-since': 'Tue, 14 Nov 2023 22:13:20 GMT' }), false, 'not modified since: whole seconds');
    assert.equal(pf({ 'if-unmodified-since': 'Tue, 14 Nov 2023 22:13:19 GMT' }), true);
    assert.equal(pf({ 'if-unmodified-since': 'Thu, 01 Jan 1970 00:00:00 GMT' }), true);
    assert.equal(pf({ 'if-unmodified-since': 'garbage' }), false, 'not an HTTP-date: ignored');
    assert.equal(pf({ 'if-unmodified-since': '1' }), false, 'not an HTTP-date: ignored (Date.parse would say 2001)');
    assert.equal(pf({ 'if-match': ETAG, 'if-unmodified-since': 'Thu, 01 Jan 1970 00:00:00 GMT' }), false, 'If-Match present: If-Unmodified-Since ignored');
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
