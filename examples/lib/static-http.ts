/**
 * The HTTP semantics of serving a static file (RFC 9110), for the file_server example:
 * validators (ETag, Last-Modified), conditional requests (If-Match, If-Unmodified-Since
 * → 412; If-None-Match, If-Modified-Since → 304; If-Range), byte ranges (Range → 206 /
 * 416) and Accept-Encoding for precompressed siblings.  Pure functions of header strings and
 * file metadata.
 *
 * May touch: nothing (no I/O, no state).
 *
 * Policies:
 *  - ETag: strong, `"<mtime in ns, hex>-<size, hex>"` (nginx's shape with nanoseconds:
 *    two writes within one second still give two tags), plus `-br`/`-gz` for a
 *    precompressed representation (a different representation, a different tag).
 *  - If-Match (strong comparison, or `*`) and, without it, If-Unmodified-Since: 412 when
 *    they fail, before anything else (RFC 9110 §13.2.2).
 *  - If-None-Match (GET/HEAD): 304 when any listed tag matches weakly, or `*`; then
 *    If-Modified-Since is ignored (RFC 9110 §13.2.2).  Otherwise If-Modified-Since:
 *    304 when the file's mtime, in whole seconds, is not later than the date.  A
 *    value that is not an HTTP-date (the three forms of RFC 9110 §5.6.7, GMT) is ignored.
 *  - Range: only `bytes=`; one range `a-b`, `a-`, or `-n` (suffix) → 206 with
 *    Content-Range.  SEVERAL ranges: the whole file with 200 (a policy RFC 9110 allows:
 *    a server may ignore Range; no multipart/byteranges).  A syntactically valid range
 *    set none of whose ranges overlaps the file → 416 with `Content-Range: bytes *\/size`
 *    (the size written after the slash).  Anything malformed → Range ignored (200).  If-Range: the range applies
 *    only when it names the current strong ETag or exactly the Last-Modified date.
 */
import { httpDate } from './http1-response.js';

/** The strong ETag of a file version (see the policies). */
export function etagOf(mtimeNs: bigint, size: number, encoding?: string): string {
  return `"${mtimeNs.toString(16)}-${size.toString(16)}${encoding === 'br' ? '-br' : encoding === 'gzip' ? '-gz' : ''}"`;
}

/** The Last-Modified value (IMF-fixdate, whole seconds). */
export function lastModifiedOf(mtimeMs: number): string {
  return httpDate(new Date(Math.floor(mtimeMs / 1000) * 1000));
}

function opaqueTag(t: string): string {
  return t.startsWith('W/') ? t.slice(2) : t;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const IMF_FIXDATE = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const RFC850_DATE = /^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\d{2})-([A-Z][a-z]{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const ASCTIME_DATE = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([A-Z][a-z]{2}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/;

/**
 * An HTTP-date (RFC 9110 §5.6.7: IMF-fixdate, or the obsolete RFC 850 and asctime
 * forms, all in GMT) as ms since the epoch; NaN for anything else.  Not Date.parse:
 * it takes "3000" or "2099-01-01" for dates (a 304 for every file) and reads a
 * zoneless asctime date in the server's local time zone.
 */
export function parseHttpDate(s: string): number {
  const v = s.trim();
  let day: string, mon: string, year: number, hh: string, mm: string, ss: string;
  let m = IMF_FIXDATE.exec(v);
  if (m !== null) {
    [, day, mon, , hh, mm, ss] = m;
    year = Number(m[3]);
  } else if ((m = RFC850_DATE.exec(v)) !== null) {
    [, day, mon, , hh, mm, ss] = m;
    // A two-digit year more than 50 years in the future is the most recent past year
    // with those digits (RFC 9110 §5.6.7).
    const now = new Date().getUTCFullYear();
    year = Math.floor(now / 100) * 100 + Number(m[3]);
    if (year > now + 50) year -= 100;
  } else if ((m = ASCTIME_DATE.exec(v)) !== null) {
    [, mon, day, hh, mm, ss] = m;
    year = Number(m[6]);
  } else {
    return NaN;
  }
  const month = MONTHS.indexOf(mon);
  const d = Number(day.trim());
  const h = Number(hh);
  const mi = Number(mm);
  const se = Number(ss);
  if (month < 0 || d < 1 || h > 23 || mi > 59 || se > 60) return NaN;
  const t = Date.UTC(year, month, d, h, mi, se);
  // 31 Feb and the like roll over into the next month: not a date.
  if (new Date(t).getUTCDate() !== d && se !== 60) return NaN;
  return t;
}

/**
 * Whether If-Match / If-Unmodified-Since fail: a 412 (RFC 9110 §13.2.2 steps 1-2,
 * evaluated before If-None-Match and Range).  If-Match: `*` or a listed tag equal to
 * the current one by STRONG comparison (a `W/` tag never matches).  Otherwise
 * If-Unmodified-Since: fails when the mtime, in whole seconds, is later than the
 * date; a value that is not an HTTP-date is ignored.
 */
export function preconditionFailed(headers: ReadonlyMap<string, string>, etag: string, mtimeMs: number): boolean {
  const im = headers.get('if-match');
  if (im !== undefined) {
    for (const part of im.split(',')) {
      const t = part.trim();
      if (t === '*' || t === etag) return false;
    }
    return true;
  }
  const ius = headers.get('if-unmodified-since');
  if (ius !== undefined) {
    const d = parseHttpDate(ius);
    if (Number.isNaN(d)) return false;
    return Math.floor(mtimeMs / 1000) * 1000 > d;
  }
  return false;
}

/** Whether If-None-Match / If-Modified-Since make this a 304 (for GET and HEAD). */
export function notModified(headers: ReadonlyMap<string, string>, etag: string, mtimeMs: number): boolean {
  const inm = headers.get('if-none-match');
  if (inm !== undefined) {
    const want = opaqueTag(etag);
    for (const part of inm.split(',')) {
      const t = part.trim();
      if (t === '*' || opaqueTag(t) === want) return true;
    }
    return false;
  }
  const ims = headers.get('if-modified-since');
  if (ims !== undefined) {
    const d = parseHttpDate(ims);
    if (Number.isNaN(d)) return false;
    return Math.floor(mtimeMs / 1000) * 1000 <= d;
  }
  return false;
}

/** One satisfiable range, inclusive bounds. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * What to do with a Range header for a file of `size` bytes: a single range, 'full'
 * (absent, malformed, several ranges, or If-Range not matching), or 'unsatisfiable'.
 */
export function rangeOf(headers: ReadonlyMap<string, string>, size: number, etag: string, lastModified: string):
    ByteRange | 'full' | 'unsatisfiable' {
  const h = headers.get('range');
  if (h === undefined) return 'full';
  const ifRange = headers.get('if-range');
  if (ifRange !== undefined) {
    const v = ifRange.trim();
    // A weak tag never matches If-Range (strong comparison).
    if (v.startsWith('"') || v.startsWith('W/')) {
      if (v !== etag) return 'full';
    } else if (v !== lastModified) {
      return 'full';
    }
  }
  const m = /^\s*bytes\s*=\s*(.*)$/i.exec(h);
  if (m === null) return 'full';
  const specs = m[1].split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (specs.length === 0) return 'full';
  const ranges: ByteRange[] = [];
  for (const spec of specs) {
    const r = /^(\d*)\s*-\s*(\d*)$/.exec(spec);
    if (r === null || (r[1] === '' && r[2] === '')) return 'full';
    if (r[1] === '') {
      const n = Number(r[2]);
      if (n === 0) continue; // a zero-length suffix overlaps nothing
      // A non-zero suffix makes the set satisfiable even for an empty file, but no 206
      // can say "zero bytes" (Content-Range needs first <= last): the whole, empty, file.
      if (size === 0) return 'full';
      ranges.push({ start: Math.max(0, size - n), end: size - 1 });
    } else {
      const start = Number(r[1]);
      const last = r[2] === '' ? Infinity : Number(r[2]);
      if (last < start) return 'full'; // invalid range-spec: the whole header is ignored
      if (start >= size) continue;
      ranges.push({ start, end: Math.min(last, size - 1) });
    }
  }
  if (ranges.length === 0) return 'unsatisfiable';
  if (specs.length > 1) return 'full';
  return ranges[0];
}

/** Whether Accept-Encoding admits `coding` ('br' or 'gzip'; q=0 refuses; `*` admits). */
export function accepts(acceptEncoding: string | undefined, coding: string): boolean {
  if (acceptEncoding === undefined) return false;
  let star = false;
  for (const part of acceptEncoding.split(',')) {
    const [name, ...params] = part.split(';');
    const n = name.trim().toLowerCase();
    let q = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(p);
      if (m) q = Number(m[1]);
    }
    if (n === coding || (coding === 'gzip' && n === 'x-gzip')) return q > 0;
    if (n === '*') star = q > 0;
  }
  return star;
}
