/**
 * Multishot accept: N connections accepted by ONE accept request.
 *
 *     npm run example multishot_accept [-- --port N] [--connections N]   (default 100)
 *
 * `listener.incoming()` submits a single IORING_OP_ACCEPT with IORING_ACCEPT_MULTISHOT
 * in the SQE's `ioprio` field.  The kernel keeps that request armed and posts one CQE
 * per connection (res = the new fd) with IORING_CQE_F_MORE set, meaning "this
 * request is still alive, more CQEs will come".  The ring routes such a CQE to the
 * op without retiring it (its slot stays taken); a CQE *without* F_MORE is the
 * request's end (it may still carry a connection), and the listener re-arms with a
 * fresh multishot accept — at once if the kernel just stopped, after 10 ms on
 * EMFILE/ENFILE/ENOBUFS/ENOMEM — so the server never silently stops accepting.
 *
 * The example binds a listener (port 0 = a free one; it prints the address), starts
 * iterating `incoming()`, and connects N clients with node:net (they do not touch
 * the ring), in 4 waves 20 ms apart: the request stays armed while Node sleeps
 * between waves, and the CQEs of a wave wake the loop up.  While it accepts, the example submits nothing else, so the
 * ring's `stats().sqesSubmitted` delta over that phase is exactly the number of
 * ACCEPT SQEs: 1, or a handful if the kernel ended the request and it was re-armed.
 * Then every accepted stream sends `hello #k` and closes; each client checks its
 * greeting, and the set of peer ports the server saw must equal the clients' local
 * ports.  For contrast it then accepts N more connections with a plain `accept()`
 * loop: one ACCEPT SQE per connection.  It exits by itself (code 1 on any mismatch).
 *
 * What the original Rust RingCore got wrong: it put IORING_ACCEPT_MULTISHOT into the
 * accept-flags field (`accept_flags`, the accept4(2) flags, where only SOCK_CLOEXEC
 * and SOCK_NONBLOCK are valid) instead of `ioprio`, where the kernel looks for it,
 * so every multishot accept failed at once with EINVAL; and it never checked
 * IORING_CQE_F_MORE, so it could neither tell a still-armed request from a finished
 * one (its bookkeeping for the request would have been freed at the first CQE) nor
 * re-arm when the kernel ended the request.  (Its README also said multishot accept
 * needs 5.10; it needs 5.19.)
 *
 * What to look for: "ACCEPT SQEs while accepting: 1" against "100 connections".
 * With RINGCORE_TRACE=1 the single SQE shows `ioprio=1` (ACCEPT_MULTISHOT) and
 * `op_flags=0x80000` (SOCK_CLOEXEC, a real accept4 flag), each connection's CQE
 * `flags=0x2` (F_MORE; 0x6 when IORING_CQE_F_SOCK_NONEMPTY adds that more connections
 * are already queued), all with the same `ud`, and after the last one the terminal
 * CQE `res=-125 ECANCELED flags=0x0` of the request that `break` cancelled:
 *
 *     RINGCORE_TRACE=1 npm run -s example multishot_accept 2>&1 | grep -c 'sqe ACCEPT.*ioprio=1'
 *     RINGCORE_TRACE=1 npm run -s example multishot_accept 2>&1 | grep 'ACCEPT' | head
 *
 * (The first prints 1; `grep -c 'sqe ACCEPT'` alone also counts the contrast
 * phase's N single-shot accepts, which show ioprio=0.)
 */
import net from 'node:net';
import { inspect } from 'node:util';
import { defaultRing } from 'ringcore';
import { TcpListener, type TcpStream } from 'ringcore/net';

function usage(msg?: string): never {
  if (msg) console.error(msg);
  console.error('usage: npm run example multishot_accept -- [--port N] [--connections N]');
  process.exit(2);
}

let port = 0;
let connections = 100;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--port') {
    port = Number(argv[++i]);
    if (!Number.isInteger(port) || port < 0 || port > 65535) usage(`--port: an integer 0..65535, got '${argv[i]}'`);
  } else if (a === '--connections') {
    connections = Number(argv[++i]);
    if (!Number.isSafeInteger(connections) || connections < 1) usage(`--connections: a positive integer, got '${argv[i]}'`);
  } else usage(`unknown argument '${a}'`);
}

const ring = defaultRing();
const failures: string[] = [];
function check(ok: boolean, what: string): void {
  console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
}

interface Client {
  /** The client's own port: the server sees it as the peer port. */
  localPort: number;
  /** Everything the server sent before closing. */
  received: string;
}

const WAVES = 4;
const WAVE_GAP_MS = 20;

/**
 * `n` node:net clients, connecting in WAVES waves WAVE_GAP_MS apart (so that the
 * accept request must stay armed while Node sleeps between waves); each client
 * resolves `done` when the server has closed it.
 */
function connectClients(n: number): { connected: Promise<number[]>; done: Promise<Client[]> } {
  const connected: Promise<number>[] = [];
  const done: Promise<Client>[] = [];
  const perWave = Math.ceil(n / WAVES);
  for (let i = 0; i < n; i++) {
    const created = new Promise<net.Socket>((resolve) => {
      setTimeout(() => resolve(net.connect({ port: listener.port, host: listener.address })),
        Math.floor(i / perWave) * WAVE_GAP_MS);
    });
    connected.push(created.then((s) => new Promise<number>((resolve, reject) => {
      s.once('connect', () => resolve(s.localPort!));
      s.once('error', reject);
    })));
    done.push(created.then((s) => new Promise<Client>((resolve, reject) => {
      const chunks: Buffer[] = [];
      s.on('data', (d) => chunks.push(d));
      s.once('error', reject);
      s.once('end', () => {
        resolve({ localPort: s.localPort!, received: Buffer.concat(chunks).toString() });
        s.end();
      });
    })));
  }
  return { connected: Promise.all(connected), done: Promise.all(done) };
}

/** Greet every accepted stream with its number, close it, check what the clients got. */
async function greetAndVerify(streams: TcpStream[], clients: Promise<Client[]>, label: string): Promise<void> {
  const peers = new Set(streams.map((s) => s.remoteAddress?.port));
  await Promise.all(streams.map(async (s, k) => {
    try {
      await s.writeAll(`hello #${k}\n`);
    } finally {
      await s.close();
    }
  }));
  const got = await clients;
  const greetings = new Set(got.map((c) => c.received));
  check(greetings.size === streams.length && [...greetings].every((g) => /^hello #\d+\n$/.test(g)),
    `${label}: every client got its own greeting (${greetings.size} distinct)`);
  check(got.every((c) => peers.has(c.localPort)) && peers.size === got.length,
    `${label}: the server's peer ports are exactly the clients' ports`);
}

const listener = await TcpListener.bind({ port }).catch((e: Error): never => {
  console.error(`multishot_accept: ${e.message}`); // e.g. listen EADDRINUSE
  process.exit(1);
});
const where = listener.address.includes(':') ? `[${listener.address}]` : listener.address;
console.log(`listening on ${where}:${listener.port}`);

// ---- Part 1: incoming(), one multishot accept --------------------------------------
console.log(`\nincoming(): one multishot ACCEPT for ${connections} connections`);
const before = ring.stats();
const t0 = performance.now();
const incoming = listener.incoming();
const clients = connectClients(connections);
const accepted: TcpStream[] = [];
for await (const stream of incoming) {
  accepted.push(stream);
  if (accepted.length === connections) break; // return(): cancels the multishot request
}
const ms = performance.now() - t0;
const during = ring.stats();
await clients.connected;
const acceptSqes = during.sqesSubmitted - before.sqesSubmitted;
console.log(`  accepted ${accepted.length} connections in ${ms.toFixed(1)} ms`);
console.log(`  ACCEPT SQEs while accepting: ${acceptSqes}; CQEs reaped: ${during.cqesReaped - before.cqesReaped}; ` +
  `io_uring_enter calls: ${during.enters - before.enters}; wake-ups: ${during.wakeups - before.wakeups}`);
check(accepted.length === connections, `all ${connections} connections accepted`);
check(acceptSqes >= 1 && acceptSqes <= 5, `a handful of ACCEPT SQEs at most (${acceptSqes}), not one per connection`);
await greetAndVerify(accepted, clients.done, 'incoming()');

// ---- Part 2: for contrast, accept() in a loop -------------------------------------
console.log(`\naccept() loop: one single-shot ACCEPT per connection`);
const before2 = ring.stats();
const clients2 = connectClients(connections);
const accepted2: TcpStream[] = [];
while (accepted2.length < connections) accepted2.push(await listener.accept());
const during2 = ring.stats();
await clients2.connected;
const acceptSqes2 = during2.sqesSubmitted - before2.sqesSubmitted;
console.log(`  accepted ${accepted2.length} connections; ACCEPT SQEs: ${acceptSqes2}; ` +
  `io_uring_enter calls: ${during2.enters - before2.enters}`);
check(acceptSqes2 === connections, `one ACCEPT SQE per connection (${acceptSqes2})`);
await greetAndVerify(accepted2, clients2.done, 'accept()');

await listener.close();
const s = ring.stats();
console.log('\nring stats:', inspect(s, { breakLength: Infinity }));
check(s.inFlight === 0 && s.staleCqes === 0, 'nothing left in flight, no stale CQEs');
await ring.close();
if (failures.length > 0) {
  console.error(`\nFAIL: ${failures.length} check(s) failed`);
  process.exitCode = 1;
}
