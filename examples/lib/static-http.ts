/**
 * The HTTP semantics of serving a static file (RFC 9110), for the file_server example:
 * validators (ETag, Last-Modified), conditional requests (If-None-Match,
 * If-Modified-Since → 304; If-Range), byte ranges (Range → 206 / 416) and
 * Accept-Encoding for precompressed siblings.  Pure functions of header strings and
 * file metadata.
 *
 * May touch: nothing (no I/O, no state).
 *
 * Policies:
 *  - ETag: strong, `"<mtime in ns, hex>-<size, hex>"` (nginx's shape with nanoseconds:
 *    two writes within one second still give two tags), plus `-br`/`-gz` for a
 *    precompressed representation (a different representation, a different tag).
 *  - If-None-Match (GET/HEAD): 304 when any listed tag matches weakly, or `*`; then
 *    If-Modified-Since is ignored (RFC 9110 §13.2.2).  Otherwise If-Modified-Since:
 *    304 when the file's mtime, in whole seconds, is not later than the date.  An
 *    unparsable date is ignored.
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
    const d = Date.parse(ims);
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
