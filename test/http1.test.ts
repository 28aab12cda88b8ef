/**
 * examples/lib/http1.ts: the incremental HTTP/1.1 request parser (framing across
 * arbitrary read boundaries, pipelining, bodies, limits, error policy, keep-alive)
 * and the response builders.  Pure: no sockets, no files.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  RequestParser,
  response,
  helloResponse,
  errorResponse,
  chunk,
  LAST_CHUNK,
  CONTINUE_RESPONSE,
  reasonPhrase,
  type ParsedRequest,
  type ParseError,
  type ParserOptions,
} from '../examples/lib/http1.js';

const enc = (s: string): Buffer => Buffer.from(s, 'latin1');
const text = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

/** Feeds `pieces` one after the other, draining next() after each; returns everything produced. */
function feed(pieces: readonly Uint8Array[], options?: ParserOptions): (ParsedRequest | ParseError)[] {
  const p = new RequestParser(options);
  const out: (ParsedRequest | ParseError)[] = [];
  for (const piece of pieces) {
    p.push(piece);
    for (;;) {
      const r = p.next();
      if (r === null) break;
      out.push(r);
      if (r.kind === 'error') return out;
    }
  }
  return out;
}

function one(input: string | Uint8Array, options?: ParserOptions): ParsedRequest | ParseError | null {
  const p = new RequestParser(options);
  p.push(typeof input === 'string' ? enc(input) : input);
  return p.next();
}

function req(input: string | Uint8Array, options?: ParserOptions): ParsedRequest {
  const r = one(input, options);
  assert.ok(r !== null, 'a complete request');
  assert.equal(r.kind, 'request', r.kind === 'error' ? `unexpected error ${r.status} ${r.message}` : '');
  return r as ParsedRequest;
}

function err(input: string | Uint8Array, options?: ParserOptions): ParseError {
  const r = one(input, options);
  assert.ok(r !== null, 'an answer, not "need more bytes"');
  assert.equal(r.kind, 'error', 'an error');
  const e = r as ParseError;
  assert.equal(e.close, true);
  return e;
}

/** A comparable summary of a request. */
function summary(r: ParsedRequest | ParseError): unknown {
  if (r.kind === 'error') return { error: r.status };
  return {
    method: r.method,
    target: r.target,
    pathname: r.pathname,
    version: r.version,
    headers: [...r.headers],
    body: text(r.body),
    keepAlive: r.keepAlive,
  };
}

/** Deterministic PRNG (mulberry32) so random inputs are reproducible. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const GET = 'GET /hello?x=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t\r\n\r\n';
const POST = 'POST /submit HTTP/1.1\r\nHost: example.com\r\nContent-Length: 11\r\n\r\nhello world';
const CHUNKED =
  'PUT /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n' +
  '4\r\nWiki\r\n5;ext=1\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-Trailer: t\r\n\r\n';

describe('request line and headers', () => {
  test('a simple GET', () => {
    const r = req(GET);
    assert.equal(r.method, 'GET');
    assert.equal(r.target, '/hello?x=1');
    assert.equal(r.pathname, '/hello');
    assert.equal(r.query, 'x=1');
    assert.equal(r.version, '1.1');
    assert.equal(r.headers.get('host'), 'example.com');
    assert.equal(r.headers.get('user-agent'), 't');
    assert.equal(r.body.length, 0);
    assert.equal(r.keepAlive, true);
  });

  test('header names are case-insensitive, values OWS-trimmed, repeats joined', () => {
    const r = req(
      'GET / HTTP/1.1\r\nHOST: h\r\nX-A:  \t one \t \r\nx-a:two\r\nX-Empty:\r\nCookie: a=1\r\ncookie: b=2\r\nX-Inner: a  b\r\n\r\n',
    );
    assert.equal(r.headers.get('host'), 'h');
    assert.equal(r.headers.get('x-a'), 'one, two');
    assert.equal(r.headers.get('x-empty'), '');
    assert.equal(r.headers.get('cookie'), 'a=1; b=2');
    assert.equal(r.headers.get('x-inner'), 'a  b');
    assert.deepEqual([...r.headers.keys()], ['host', 'x-a', 'x-empty', 'cookie', 'x-inner']);
  });

  test('obs-text (bytes >= 0x80) is allowed in header values, decoded as latin1', () => {
    const r = req(Buffer.concat([enc('GET / HTTP/1.1\r\nHost: h\r\nX-B: caf'), Buffer.from([0xe9]), enc('\r\n\r\n')]));
    assert.equal(r.headers.get('x-b'), 'caf\u00e9');
  });

  test('pathname and query for the different target forms', () => {
    const t = (target: string) => req(`OPTIONS ${target} HTTP/1.1\r\nHost: h\r\n\r\n`);
    assert.deepEqual([t('/a/b%20c?q=1&r#f').pathname, t('/a/b%20c?q=1&r#f').query], ['/a/b%20c', 'q=1&r']);
    assert.deepEqual([t('/p#frag?no').pathname, t('/p#frag?no').query], ['/p', '']);
    assert.deepEqual([t('/?').pathname, t('/?').query], ['/', '']);
    assert.deepEqual([t('http://h.example/x/y?z').pathname, t('http://h.example/x/y?z').query], ['/x/y', 'z']);
    assert.deepEqual([t('http://h.example?z').pathname, t('http://h.example?z').query], ['/', 'z']);
    assert.equal(t('http://h.example').pathname, '/');
    assert.equal(t('*').pathname, '*');
    assert.equal(t('h.example:443').pathname, 'h.example:443');
  });

  test('empty lines before the request line are skipped', () => {
    assert.equal(req('\r\n\r\n' + GET).pathname, '/hello');
    // Even when they arrive on their own.
    assert.deepEqual(feed([enc('\r'), enc('\n'), enc('\r\n'), enc(GET)]).map(summary), [summary(req(GET))]);
  });

  test('HTTP/1.0 is accepted, Host optional; HTTP/1.2+ minor versions are handled as 1.1', () => {
    const r = req('GET / HTTP/1.0\r\n\r\n');
    assert.equal(r.version, '1.0');
    assert.equal(req('GET / HTTP/1.9\r\nHost: h\r\n\r\n').version, '1.1');
  });
});

describe('split reads and pipelining', () => {
  const cases: [string, string][] = [
    ['GET', GET],
    ['POST with Content-Length', POST],
    ['chunked', CHUNKED],
  ];

  for (const [name, input] of cases) {
    test(`${name}: split at every byte boundary`, () => {
      const whole = enc(input);
      const expected = summary(req(whole));
      for (let i = 0; i <= whole.length; i++) {
        const p = new RequestParser();
        p.push(whole.subarray(0, i));
        if (i < whole.length) assert.equal(p.next(), null, `incomplete after ${i} bytes`);
        p.push(whole.subarray(i));
        const r = p.next();
        assert.ok(r !== null, `complete after split at ${i}`);
        assert.deepEqual(summary(r), expected, `split at ${i}`);
        assert.equal(p.next(), null);
        assert.equal(p.buffered, 0);
      }
    });

    test(`${name}: one byte per push`, () => {
      const whole = enc(input);
      const out = feed([...whole].map((b) => Uint8Array.of(b)));
      assert.deepEqual(out.map(summary), [summary(req(whole))]);
    });
  }

  test('two pipelined requests, split into three pieces at every pair of boundaries', () => {
    for (const [a, b] of [
      [GET, POST],
      [POST, CHUNKED],
      [CHUNKED, GET],
    ] as const) {
      const whole = enc(a + b);
      const expected = [summary(req(a)), summary(req(b))];
      assert.deepEqual(feed([whole]).map(summary), expected, 'in one chunk');
      for (let i = 0; i <= whole.length; i++) {
        for (let j = i; j <= whole.length; j++) {
          const out = feed([whole.subarray(0, i), whole.subarray(i, j), whole.subarray(j)]);
          assert.deepEqual(out.map(summary), expected, `split at ${i}, ${j}`);
        }
      }
    }
  });

  test('pipelined requests are answered in order', () => {
    const paths = ['/one', '/two', '/three', '/four'];
    const input = paths.map((p, i) =>
      i === 1
        ? `POST ${p} HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc`
        : `GET ${p} HTTP/1.1\r\nHost: h\r\n${i === paths.length - 1 ? 'Connection: close\r\n' : ''}\r\n`,
    );
    const p = new RequestParser();
    p.push(enc(input.join('')));
    const answers: Buffer[] = [];
    let keepAlive = true;
    for (let r = p.next(); r !== null; r = p.next()) {
      assert.equal(r.kind, 'request');
      if (r.kind !== 'request') break;
      answers.push(response(200, { 'Content-Type': 'text/plain' }, r.pathname, { keepAlive: r.keepAlive }));
      keepAlive = r.keepAlive;
    }
    assert.equal(keepAlive, false, 'the last one asked to close');
    const stream = Buffer.concat(answers).toString('latin1');
    const bodies = stream.split('\r\n\r\n').slice(1).map((s) => s.split('HTTP/1.1')[0]);
    assert.deepEqual(bodies, paths);
  });

  test('the caller may reuse its read buffer right after push()', () => {
    const readBuf = Buffer.alloc(64);
    const p = new RequestParser();
    const first = enc('POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 6\r\n\r\nabc');
    first.copy(readBuf);
    p.push(readBuf.subarray(0, first.length));
    readBuf.fill(0x58);
    enc('def').copy(readBuf);
    p.push(readBuf.subarray(0, 3));
    readBuf.fill(0x59);
    const r = p.next();
    assert.ok(r !== null && r.kind === 'request');
    assert.equal(text(r.body), 'abcdef');
    // The body is the request's own copy, untouched by later pushes.
    p.push(enc('POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 6\r\n\r\nzzzzzz'));
    assert.equal((p.next() as ParsedRequest).pathname, '/b');
    assert.equal(text(r.body), 'abcdef');
  });

  test('a large body in many pieces, then an ordinary request on the same parser', () => {
    const body = Buffer.alloc(300_000, 0x61);
    body[12345] = 0x62;
    const p = new RequestParser();
    p.push(enc(`POST / HTTP/1.1\r\nHost: h\r\nContent-Length: ${body.length}\r\n\r\n`));
    for (let i = 0; i < body.length; i += 7000) {
      assert.equal(p.next(), null);
      p.push(body.subarray(i, i + 7000));
    }
    const r = p.next() as ParsedRequest;
    assert.ok(Buffer.from(r.body).equals(body));
    p.push(enc(GET));
    assert.equal((p.next() as ParsedRequest).pathname, '/hello');
  });

  test('a long pipelined stream in uneven reads (buffer compaction and growth)', () => {
    const next = rng(5);
    const kinds = [GET, POST, CHUNKED];
    const reqs: string[] = [];
    for (let k = 0; k < 3000; k++) {
      const base = kinds[k % 3]!;
      reqs.push(base.replace('Host: ', `X-Seq: ${k}\r\nHost: `));
    }
    const whole = enc(reqs.join(''));
    const pieces: Buffer[] = [];
    for (let i = 0; i < whole.length; ) {
      const len = 1 + Math.floor(next() * (next() < 0.1 ? 40000 : 6000));
      pieces.push(whole.subarray(i, i + len));
      i += len;
    }
    const out = feed(pieces);
    assert.equal(out.length, reqs.length);
    out.forEach((r, k) => assert.deepEqual(summary(r), summary(req(reqs[k]!)), `request ${k}`));
  });

  test('random splits of random valid request sequences', () => {
    const next = rng(42);
    const pick = <T>(a: readonly T[]): T => a[Math.floor(next() * a.length)]!;
    for (let round = 0; round < 300; round++) {
      const n = 1 + Math.floor(next() * 5);
      const reqs: string[] = [];
      for (let k = 0; k < n; k++) reqs.push(pick([GET, POST, CHUNKED, 'GET / HTTP/1.0\r\n\r\n']));
      const whole = enc(reqs.join(''));
      const pieces: Buffer[] = [];
      for (let i = 0; i < whole.length; ) {
        const len = 1 + Math.floor(next() * 40);
        pieces.push(whole.subarray(i, i + len));
        i += len;
      }
      assert.deepEqual(feed(pieces).map(summary), reqs.map((s) => summary(req(s))));
    }
  });
});

describe('bodies', () => {
  test('Content-Length body split across chunks', () => {
    const out = feed([
      enc('POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n01'),
      enc('234'),
      enc('56789GET / HTTP/1.1\r\nHost: h\r\n\r\n'),
    ]);
    assert.equal(out.length, 2);
    assert.equal(text((out[0] as ParsedRequest).body), '0123456789');
    assert.equal((out[1] as ParsedRequest).method, 'GET');
  });

  test('Content-Length: 0 and repeated identical values are accepted', () => {
    assert.equal(req('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n').body.length, 0);
    assert.equal(text(req('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc').body), 'abc');
    assert.equal(text(req('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 3\r\n\r\nabc').body), 'abc');
    assert.equal(text(req('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 003\r\n\r\nabc').body), 'abc');
  });

  test('invalid or conflicting Content-Length is 400', () => {
    for (const v of ['abc', '-1', '+5', '1.5', '0x10', '', '5 5', '1e3', '3,', '12a']) {
      assert.equal(err(`POST / HTTP/1.1\r\nHost: h\r\nContent-Length: ${v}\r\n\r\nabc`).status, 400, `Content-Length: ${v}`);
    }
    assert.equal(err('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd').status, 400);
    assert.equal(err('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 4\r\n\r\nabcd').status, 400);
  });

  test('a body over maxBodySize is 413 as soon as the head arrives', () => {
    assert.equal(err('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n', { maxBodySize: 10 }).status, 413);
    assert.equal(err('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n').status, 413);
    assert.equal(text(req('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789', { maxBodySize: 10 }).body), '0123456789');
  });

  test('chunked bodies are decoded; extensions ignored, trailers dropped', () => {
    const r = req(CHUNKED);
    assert.equal(text(r.body), 'Wikipedia in\r\n\r\nchunks.');
    assert.equal(r.headers.get('transfer-encoding'), 'chunked');
    assert.equal(r.headers.has('x-trailer'), false);
    assert.equal(req('POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n').body.length, 0);
    assert.equal(text(req('POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n00a \t;x="y"\r\n0123456789\r\n0\r\n\r\n').body), '0123456789');
  });

  test('a long trailer section followed by a short pipelined request', () => {
    const first = 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nX-Long: ' + 'v'.repeat(100) + '\r\n\r\n';
    const second = 'GET / HTTP/1.0\r\n\r\n';
    assert.deepEqual(feed([enc(first + second)]).map(summary), [summary(req(first)), summary(req(second))]);
  });

  test('malformed chunked bodies are 400', () => {
    const head = 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n';
    for (const body of [
      'g\r\nx\r\n0\r\n\r\n', // not hex
      '\r\n', // empty size
      '-1\r\nx\r\n0\r\n\r\n',
      '3\r\nabcd\r\n0\r\n\r\n', // more data than announced
      '3\r\nabc0\r\n\r\n', // no CRLF after the data
      '3\r\nabcX\n0\r\n\r\n', // something else than CRLF after the data
      '3\nabc\r\n0\r\n\r\n', // bare LF after the size
      '3 x\r\nabc\r\n0\r\n\r\n', // junk after the size
      '3;ext\nx\r\nabc\r\n0\r\n\r\n', // bare LF inside a chunk extension
      '0\r\nX-T: a\nb\r\n\r\n', // bare LF in a trailer
      '0\r\nno colon\r\n\r\n',
      '1'.repeat(2000) + '\r\n', // chunk-size line far too long (and too large)
    ]) {
      const e = err(head + body);
      assert.ok(e.status === 400 || e.status === 413, `${JSON.stringify(body.slice(0, 30))}: ${e.status}`);
    }
    assert.equal(err(head + ';'.repeat(2000)).status, 400);
  });

  test('chunked body over maxBodySize is 413, before the data arrives', () => {
    const head = 'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n';
    assert.equal(err(head + '5\r\n12345\r\n6\r\n', { maxBodySize: 10 }).status, 413);
    assert.equal(err(head + 'ffffffffffffffffffffffff\r\n').status, 413);
  });

  test('other transfer codings are 501; Transfer-Encoding with Content-Length or in HTTP/1.0 is 400', () => {
    assert.equal(err('POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n').status, 501);
    assert.equal(err('POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity\r\n\r\n').status, 501);
    assert.equal(err('POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n').status, 501);
    assert.equal(err('POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n').status, 400);
    assert.equal(err('POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n').status, 400);
  });

  test('Expect: 100-continue is reported once while the body is pending', () => {
    const p = new RequestParser();
    p.push(enc('POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n'));
    assert.equal(p.next(), null);
    assert.equal(p.takeContinue(), true);
    assert.equal(p.takeContinue(), false);
    p.push(enc('abc'));
    assert.equal(text((p.next() as ParsedRequest).body), 'abc');
    assert.equal(p.takeContinue(), false);
    assert.equal(CONTINUE_RESPONSE.toString(), 'HTTP/1.1 100 Continue\r\n\r\n');
  });
});

describe('errors', () => {
  test('random bytes are 400 at once (no waiting for 8 KiB)', () => {
    const next = rng(7);
    for (let seed = 0; seed < 200; seed++) {
      const bytes = Buffer.alloc(64);
      for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(next() * 256);
      const e = err(bytes);
      assert.equal(e.status, 400);
    }
    // Printable garbage without any line end: refused by the shape of the request line.
    assert.equal(err('hello there, this is not http').status, 400);
    assert.equal(err('GET /x HTTP/1.1 more').status, 400);
    assert.equal(err('G(T /').status, 400);
    assert.equal(err('GET  /').status, 400);
    assert.equal(err(' GET').status, 400);
    assert.equal(err('\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03').status, 400, 'a TLS ClientHello');
  });

  test('malformed request lines and headers are 400', () => {
    for (const input of [
      'GET\r\n\r\n',
      'GET /\r\n\r\n', // missing version
      'GET / \r\n\r\n',
      'GET  / HTTP/1.1\r\nHost: h\r\n\r\n', // double SP
      ' GET / HTTP/1.1\r\nHost: h\r\n\r\n',
      'GET / HTTP/1.1 \r\nHost: h\r\n\r\n',
      'GET / x HTTP/1.1\r\nHost: h\r\n\r\n',
      'GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n',
      'G@T / HTTP/1.1\r\nHost: h\r\n\r\n',
      'GET / http/1.1\r\nHost: h\r\n\r\n',
      'GET / HTTP/1.10\r\nHost: h\r\n\r\n',
      'GET / HTTP/1\r\nHost: h\r\n\r\n',
      'GET / HTTP/a.b\r\nHost: h\r\n\r\n',
      'GET / HTTP/1.1\nHost: h\n\n', // bare LF
      'GET / HTTP/1.1\r\nHost: h\n\r\n',
      'GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n', // bare CR
      'GET / HTTP/1.1\r\nHost h\r\n\r\n', // no colon
      'GET / HTTP/1.1\r\nHost : h\r\n\r\n', // space before colon
      'GET / HTTP/1.1\r\n: h\r\nHost: h\r\n\r\n', // empty name
      'GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n  continued\r\n\r\n', // obs-fold
      'GET / HTTP/1.1\r\nHost: h\r\nX-A: a\x00b\r\n\r\n', // NUL
      'GET / HTTP/1.1\r\nHost: h\r\nX-A: a\x7fb\r\n\r\n', // DEL
      'GET /\x80 HTTP/1.1\r\nHost: h\r\n\r\n', // non-ASCII target
      'GET / HTTP/1.1\r\n\r\n', // HTTP/1.1 without Host
      'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n',
    ]) {
      assert.equal(err(input).status, 400, JSON.stringify(input));
    }
  });

  test('bare LF is refused as soon as it arrives', () => {
    const p = new RequestParser();
    p.push(enc('GET / HTTP/1.1\n'));
    assert.equal((p.next() as ParseError).status, 400);
    const q = new RequestParser();
    q.push(enc('GET / HTTP/1.1\r\nHost: h\r'));
    assert.equal(q.next(), null);
    q.push(enc('X'));
    assert.equal((q.next() as ParseError).status, 400, 'bare CR detected across pushes');
  });

  test('unsupported HTTP versions are 505', () => {
    for (const v of ['HTTP/2.0', 'HTTP/0.9', 'HTTP/3.0', 'HTTP/9.9']) {
      assert.equal(err(`GET / ${v}\r\nHost: h\r\n\r\n`).status, 505, v);
    }
  });

  test('431 when the header section exceeds the limit before CRLFCRLF arrives', () => {
    const p = new RequestParser();
    p.push(enc('GET / HTTP/1.1\r\nHost: h\r\nX-Big: '));
    assert.equal(p.next(), null);
    for (let i = 0; i < 8; i++) {
      p.push(enc('a'.repeat(1000)));
      assert.equal(p.next(), null, `still below the limit after ${i + 1} KB`);
    }
    p.push(enc('a'.repeat(1000)));
    const e = p.next() as ParseError;
    assert.equal(e.status, 431);
    assert.equal(e.close, true);
    assert.equal(p.failed, true);
  });

  test('431 when a complete head is over the limit; exactly at the limit is fine', () => {
    const head = (n: number) => {
      const base = 'GET / HTTP/1.1\r\nHost: h\r\nX-Big: \r\n\r\n';
      return base.replace('X-Big: ', 'X-Big: ' + 'a'.repeat(n - base.length));
    };
    assert.equal(head(8192).length, 8192);
    assert.equal(req(head(8192)).headers.get('x-big')!.length, 8192 - 36);
    assert.equal(err(head(8193)).status, 431);
    assert.equal(err(head(9000) + GET).status, 431);
    assert.equal(err(head(1000), { maxHeaderSize: 999 }).status, 431);
    assert.equal(req(head(1000), { maxHeaderSize: 1000 }).method, 'GET');
  });

  test('431 for a huge request line without any line end', () => {
    assert.equal(err('GET /' + 'a'.repeat(9000)).status, 431);
  });

  test('after an error the parser stays failed and ignores further bytes', () => {
    const p = new RequestParser();
    p.push(enc(GET + 'BAD\r\n\r\n' + GET));
    assert.equal((p.next() as ParsedRequest).pathname, '/hello');
    const e = p.next() as ParseError;
    assert.equal(e.status, 400);
    assert.equal(e.close, true);
    assert.equal(p.failed, true);
    p.push(enc(GET));
    assert.equal(p.next(), e);
    assert.equal(p.next(), e);
    assert.equal(p.buffered, 0);
  });

  test('garbage mixed into valid traffic never throws', () => {
    const next = rng(99);
    const parts = [GET, POST, CHUNKED, '\r\n', '\n', '\r', ' ', ':', '0\r\n', 'Content-Length: 5\r\n', '\x00', 'HTTP/1.1'];
    for (let round = 0; round < 2000; round++) {
      let s = '';
      const n = 1 + Math.floor(next() * 6);
      for (let k = 0; k < n; k++) {
        const part = parts[Math.floor(next() * parts.length)]!;
        const cut = Math.floor(next() * (part.length + 1));
        s += next() < 0.5 ? part : part.slice(0, cut);
      }
      const whole = enc(s);
      const pieces: Buffer[] = [];
      for (let i = 0; i < whole.length; ) {
        const len = 1 + Math.floor(next() * 10);
        pieces.push(whole.subarray(i, i + len));
        i += len;
      }
      const out = feed(pieces, { maxHeaderSize: 256, maxBodySize: 64 });
      for (const r of out) assert.ok(r.kind === 'request' || [400, 413, 431, 501, 505].includes(r.status));
    }
  });
});

describe('keep-alive', () => {
  const ka = (version: string, connection?: string) =>
    req(`GET / HTTP/${version}\r\nHost: h\r\n${connection === undefined ? '' : `Connection: ${connection}\r\n`}\r\n`).keepAlive;

  test('HTTP/1.1 keeps alive unless Connection: close', () => {
    assert.equal(ka('1.1'), true);
    assert.equal(ka('1.1', 'keep-alive'), true);
    assert.equal(ka('1.1', 'close'), false);
    assert.equal(ka('1.1', 'Close'), false);
    assert.equal(ka('1.1', 'Upgrade, close'), false);
    assert.equal(ka('1.1', 'closed'), true);
  });

  test('HTTP/1.0 closes unless Connection: keep-alive', () => {
    assert.equal(ka('1.0'), false);
    assert.equal(ka('1.0', 'keep-alive'), true);
    assert.equal(ka('1.0', 'Keep-Alive'), true);
    assert.equal(ka('1.0', 'close'), false);
    assert.equal(ka('1.0', 'keep-alive, close'), false);
  });

  test('repeated Connection headers are combined', () => {
    assert.equal(req('GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\nConnection: close\r\n\r\n').keepAlive, false);
  });
});

describe('responses', () => {
  test('status line, headers in order, Content-Length', () => {
    const r = response(200, { 'Content-Type': 'text/plain', 'X-Multi': ['a', 'b'], 'X-Num': 5 }, 'héllo');
    assert.equal(
      r.toString('latin1'),
      'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Multi: a\r\nX-Multi: b\r\nX-Num: 5\r\nContent-Length: 6\r\n\r\n' +
        Buffer.from('héllo').toString('latin1'),
    );
    assert.equal(response(404).toString(), 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
    assert.equal(
      response(201, new Map([['Location', '/x']]), Uint8Array.of(1, 2)).toString('latin1'),
      'HTTP/1.1 201 Created\r\nLocation: /x\r\nContent-Length: 2\r\n\r\n\x01\x02',
    );
  });

  test('Date and Connection via options; explicit headers win', () => {
    const d = new Date(Date.UTC(2024, 0, 2, 3, 4, 5));
    assert.equal(
      response(200, {}, 'x', { date: d, keepAlive: false }).toString(),
      'HTTP/1.1 200 OK\r\nDate: Tue, 02 Jan 2024 03:04:05 GMT\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx',
    );
    assert.equal(
      response(200, { Date: 'then', Connection: 'upgrade' }, '', { date: d, keepAlive: true }).toString(),
      'HTTP/1.1 200 OK\r\nDate: then\r\nConnection: upgrade\r\nContent-Length: 0\r\n\r\n',
    );
    assert.doesNotMatch(response(200, {}, 'x').toString(), /Date/);
  });

  test('no Content-Length for 1xx/204/304 or chunked; HEAD keeps a given Content-Length', () => {
    assert.equal(response(204).toString(), 'HTTP/1.1 204 No Content\r\n\r\n');
    assert.equal(response(304, { ETag: '"x"' }).toString(), 'HTTP/1.1 304 Not Modified\r\nETag: "x"\r\n\r\n');
    assert.equal(
      response(200, { 'Transfer-Encoding': 'chunked' }).toString(),
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n',
    );
    assert.equal(response(200, { 'Content-Length': 1234 }).toString(), 'HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n');
    assert.equal(response(200, { 'content-length': '2' }, 'ab').toString(), 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nab');
  });

  test('chunk() and LAST_CHUNK frame a body the parser decodes back', () => {
    const body = Buffer.concat([chunk('Hello, '), chunk(Buffer.alloc(300, 0x7a)), chunk(''), LAST_CHUNK]);
    assert.equal(chunk('x'.repeat(255)).subarray(0, 4).toString(), 'ff\r\n');
    const r = req(Buffer.concat([enc('POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n'), body]));
    assert.equal(text(r.body), 'Hello, ' + 'z'.repeat(300));
  });

  test('invalid input throws instead of producing a broken or injectable response', () => {
    assert.throws(() => response(200, { 'X-A': 'a\r\nSet-Cookie: x' }), TypeError);
    assert.throws(() => response(200, { 'X-A': 'a\nb' }), TypeError);
    assert.throws(() => response(200, { 'X A': 'a' }), TypeError);
    assert.throws(() => response(200, { 'X-A': '\u20ac' }), TypeError);
    assert.throws(() => response(99), RangeError);
    assert.throws(() => response(600), RangeError);
    assert.throws(() => response(200.5), RangeError);
    assert.throws(() => response(204, {}, 'x'), TypeError);
    assert.throws(() => response(200, { 'Transfer-Encoding': 'chunked' }, 'x'), TypeError);
    assert.throws(() => response(200, { 'Content-Length': 3 }, 'ab'), TypeError);
  });

  test('reason phrases', () => {
    assert.equal(reasonPhrase(431), 'Request Header Fields Too Large');
    assert.equal(reasonPhrase(505), 'HTTP Version Not Supported');
    assert.equal(reasonPhrase(299), 'Success');
    assert.equal(response(599).toString().split('\r\n')[0], 'HTTP/1.1 599 Server Error');
  });

  test('errorResponse closes the connection', () => {
    const e = err('GET / HTTP/3.0\r\nHost: h\r\n\r\n');
    assert.equal(
      errorResponse(e).toString(),
      'HTTP/1.1 505 HTTP Version Not Supported\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n' +
        'Content-Length: 31\r\n\r\n505 HTTP Version Not Supported\n',
    );
    assert.equal(errorResponse(e), errorResponse(505), 'cached');
  });

  test('helloResponse: exact bytes, cached', () => {
    assert.equal(
      helloResponse(true).toString(),
      'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: keep-alive\r\nContent-Length: 13\r\n\r\nHello, World!',
    );
    assert.equal(
      helloResponse(false).toString(),
      'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 13\r\n\r\nHello, World!',
    );
    assert.equal(helloResponse(true), helloResponse(true));
    assert.equal(helloResponse(false), helloResponse(false));
  });
});
