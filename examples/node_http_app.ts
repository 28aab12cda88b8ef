/**
 * node_http_app [--port N] [--root DIR]: a small real application written for
 * `node:http` — its handler knows nothing of RingCore — running on RingCore end to end:
 * connections accepted by the ring (`TcpListener.incoming()`, handed over with
 * `server.emit('connection', conn.toDuplex())`) and files streamed by the ring
 * (`ringcore/fs` `createReadStream` / `createWriteStream`, read ahead with several
 * reads in flight).
 *
 * Routes:
 *   GET  /                 a JSON list of the files under --root (default: a temporary
 *                          directory with a sample file)
 *   GET  /files/<path>     the file, streamed; `Range: bytes=a-b` answered 206
 *   PUT  /files/<name>     the request body written to <root>/<name> (one level, no dotfiles)
 *   GET  /health           {"ok":true,"ring":{...stats}}
 * Paths are confined to the root (examples/lib/confine.ts: no `..`, no symlink out).
 *
 * Try:  npm run example node_http_app -- --port 8080
 *       curl localhost:8080/  ;  curl -T README.md localhost:8080/files/readme.txt
 *       curl -r 0-99 localhost:8080/files/readme.txt
 * It prints the address; SIGINT/SIGTERM stop it.
 *
 * May touch: files under --root, one listening socket.
 */
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { defaultRing } from 'ringcore';
import { mkdtemp, readdir } from 'node:fs/promises'; // io_uring has no getdents: directories stay Node's
import { createReadStream, createWriteStream, stat, writeFile } from 'ringcore/fs';
import { TcpListener } from 'ringcore/net';
import { contentType, resolveUnderRoot } from './lib/confine.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const port = Number(arg('port') ?? 8080);
let root = arg('root');
if (root === undefined) {
  root = await mkdtemp(path.join(os.tmpdir(), 'node_http_app-'));
  await writeFile(path.join(root, 'hello.txt'), 'Hello from a file read by io_uring.\n');
}
const rootDir = path.resolve(root);

/** Parse `bytes=a-b` (one range) against a size: [start, end] inclusive, null if unusable. */
function range(header: string | undefined, size: number): [number, number] | null | 'bad' {
  if (header === undefined) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null; // not one we understand: whole file
  let start: number;
  let end: number;
  if (m[1] === '') { // suffix: the last n bytes
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  return start > end || start >= size ? 'bad' : [start, end];
}

async function getFile(req: http.IncomingMessage, res: http.ServerResponse, rel: string): Promise<void> {
  const r = await resolveUnderRoot(rootDir, '/' + rel);
  if ('status' in r) {
    res.writeHead(r.status).end();
    return;
  }
  const { size } = await stat(r.path);
  const want = range(req.headers.range, size);
  if (want === 'bad') {
    res.writeHead(416, { 'content-range': `bytes */${size}` }).end();
    return;
  }
  const [start, end] = want ?? [0, size - 1];
  res.writeHead(want ? 206 : 200, {
    'content-type': contentType(r.path),
    'content-length': size === 0 ? 0 : end - start + 1,
    'accept-ranges': 'bytes',
    ...(want ? { 'content-range': `bytes ${start}-${end}/${size}` } : {}),
  });
  if (req.method === 'HEAD' || size === 0) {
    res.end();
    return;
  }
  await pipeline(createReadStream(r.path, { start, end }), res);
}

async function putFile(req: http.IncomingMessage, res: http.ServerResponse, rel: string): Promise<void> {
  // One plain name: no directories to create, nothing hidden, nothing outside.
  if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,200}$/.test(rel)) {
    res.writeHead(400).end('a file name: letters, digits, . _ -\n');
    return;
  }
  await pipeline(req, createWriteStream(path.join(rootDir, rel)));
  res.writeHead(201).end('stored\n');
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === '/health') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ ok: true, ring: defaultRing().stats() }));
  } else if (url.pathname === '/' && req.method === 'GET') {
    const names = (await readdir(rootDir)).filter((n) => !n.startsWith('.')).sort();
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(names) + '\n');
  } else if (url.pathname.startsWith('/files/') && (req.method === 'GET' || req.method === 'HEAD')) {
    await getFile(req, res, decodeURIComponent(url.pathname.slice('/files/'.length)));
  } else if (url.pathname.startsWith('/files/') && req.method === 'PUT') {
    await putFile(req, res, decodeURIComponent(url.pathname.slice('/files/'.length)));
  } else {
    res.writeHead(404).end();
  }
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((e: NodeJS.ErrnoException) => {
    // A client that went away mid-stream is not a server error.
    if (e.code === 'ERR_STREAM_PREMATURE_CLOSE' || e.code === 'ECONNRESET') return;
    if (!res.headersSent) res.writeHead(e instanceof URIError ? 400 : 500).end();
    else res.destroy();
  });
});

const listener = await TcpListener.bind({ port, host: '127.0.0.1' });
console.log(`node_http_app: http://127.0.0.1:${listener.port}/  (files under ${rootDir})`);
const stop = new AbortController();
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => stop.abort());
try {
  for await (const conn of listener.incoming({ signal: stop.signal })) server.emit('connection', conn.toDuplex());
} catch (e) {
  if ((e as Error).name !== 'AbortError') throw e;
} finally {
  await listener.close();
  server.closeAllConnections();
  server.close();
}
