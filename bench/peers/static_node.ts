/**
 * Static-file peers for `npm run bench -- static`, on node:http:
 *   node static_node.js naive ROOT         node:http + fs.createReadStream (what a tutorial writes)
 *   node static_node.js serve-static ROOT  node:http + the serve-static package (express.static)
 * Listens on 127.0.0.1, port 0; prints {"port":N}; exits when stdin ends.
 *
 * May touch: files under ROOT (read), a TCP port on 127.0.0.1, stdout.
 */
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const [mode, root] = process.argv.slice(2);
if ((mode !== 'naive' && mode !== 'serve-static') || !root) {
  console.error('usage: static_node.js naive|serve-static ROOT');
  process.exit(2);
}

let handler: http.RequestListener;
if (mode === 'naive') {
  handler = (req, res) => {
    const file = path.join(root, path.normalize(decodeURIComponent((req.url ?? '/').split('?')[0])));
    fs.stat(file, (err, st) => {
      if (err || !st.isFile()) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': st.size });
      fs.createReadStream(file).pipe(res);
    });
  };
} else {
  type ServeStatic = (root: string, opts?: object) => (req: http.IncomingMessage, res: http.ServerResponse, next: () => void) => void;
  const serveStatic = createRequire(import.meta.url)('serve-static') as ServeStatic;
  const serve = serveStatic(root, { index: false });
  handler = (req, res) => serve(req, res, () => res.writeHead(404).end());
}

const server = http.createServer({ keepAliveTimeout: 60_000 }, handler);
server.listen(0, '127.0.0.1', 4096, () => {
  console.log(JSON.stringify({ port: (server.address() as { port: number }).port }));
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
