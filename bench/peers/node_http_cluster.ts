/**
 * A server peer of `npm run bench -- cores`: node:http under node:cluster, N worker
 * processes (argv[2], default 1) answering "Hello, World!" like node_http_server.ts.
 * This is how Node users spread a server over cores: the primary process accepts
 * every connection and hands it to a worker (cluster's default round-robin policy on
 * Linux), each worker being a whole Node process with its own event loop and heap.
 *
 * Prints {"port":N} once every worker listens (port 0: cluster gives the workers one
 * shared port), and ends them all when its stdin closes (or on SIGTERM).
 *
 * May touch: worker processes, one listening socket on 127.0.0.1, stdout.
 */
import cluster from 'node:cluster';
import http from 'node:http';

const BODY = 'Hello, World!';

if (cluster.isPrimary) {
  const n = Number(process.argv[2] ?? 1);
  if (!Number.isInteger(n) || n < 1) throw new RangeError('usage: node_http_cluster N');
  let listening = 0;
  for (let i = 0; i < n; i++) cluster.fork();
  cluster.on('listening', (_w, address) => {
    if (++listening === n) process.stdout.write(JSON.stringify({ port: address.port, workers: n }) + '\n');
  });
  const stop = () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.kill();
    setTimeout(() => process.exit(0), 2000).unref();
  };
  cluster.on('exit', () => {
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
  });
  process.stdin.on('end', stop).on('error', stop).resume();
  process.once('SIGTERM', stop);
} else {
  http.createServer((_req, res) => {
    res.statusCode = 200;
    res.setHeader('Content-Type', 'text/plain');
    res.end(BODY);
  }).listen({ host: '127.0.0.1', port: 0, backlog: 4096 });
}
