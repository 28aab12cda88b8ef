/**
 * Ping-pong: two tasks, one connected socket pair, N strict round trips.
 *
 *     npm run example ping_pong [-- --rounds N]       (default 1000)
 *
 * `socketpair()` gives two connected AF_UNIX stream sockets as TcpStreams on the
 * default ring.  The "pinger" task writes `ping i\n` on one end and waits for the
 * answer; the "ponger" task reads a line on the other end, checks it is `ping i`
 * for the i it expects, and answers `pong i\n`; the pinger checks that too.  Every
 * send is an IORING_OP_SEND (`writeAll`: repeated while short) and every read an
 * IORING_OP_RECV; nothing else touches the sockets.  Only one message is ever in
 * flight, so each round trip is pure latency: two sends, two receives, and the
 * event-loop turns between them.  The streams are byte streams: a line may arrive in
 * pieces or several at once, so each task reads through a small line splitter.
 *
 * It prints the elapsed time, the per-round latency (mean, median, p99, max), and
 * the ring's counters per round: one io_uring_enter per hop, two per round.  Each
 * enter carries a SEND on one end and the RECV that waits for it on the other (the
 * receiving task asked for it as soon as it had sent its own line); the kernel
 * issues them in order, so the RECV completes inline and its CQE is already there
 * when the enter returns: no wake-ups, four SQEs and four CQEs per round.
 * It exits with code 1 if any message came out of order or the ring did not end
 * with nothing in flight.
 *
 * What the original Rust RingCore got wrong here: its per-operation bookkeeping was
 * never removed, so memory grew with every operation (a long ping-pong is exactly
 * that), and a cancellation could wake a task twice.  Here an op's slot is freed
 * when its last CQE is reaped and reused with a new generation: the slot table stays
 * as small as the number of requests in flight at once.
 *
 * What to look for: "out of order: 0", "inFlight: 0", and with a few rounds and
 * RINGCORE_TRACE=1 each io_uring_enter(to_submit=2) carrying a SEND on one fd and a
 * RECV on the other, the RECV's res equal to the line length, and
 * `ud=slot:generation` with the same two slots coming back with a higher generation
 * each time:
 *
 *     RINGCORE_TRACE=1 npm run example ping_pong -- --rounds 3
 */
import { inspect } from 'node:util';
import { defaultRing } from 'ringcore';
import { socketpair, type TcpStream } from 'ringcore/net';

function usage(msg?: string): never {
  if (msg) console.error(msg);
  console.error('usage: npm run example ping_pong -- [--rounds N]');
  process.exit(2);
}

let rounds = 1000;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--rounds') {
    rounds = Number(argv[++i]);
    if (!Number.isSafeInteger(rounds) || rounds < 1) usage(`--rounds: a positive integer, got '${argv[i]}'`);
  } else usage(`unknown argument '${argv[i]}'`);
}

/** Lines from a stream, however the bytes are split across reads. */
class LineReader {
  private readonly buf = Buffer.allocUnsafe(4096);
  private pending = '';
  constructor(private readonly stream: TcpStream) {}

  /** The next line without its '\n', or undefined at EOF. */
  async line(): Promise<string | undefined> {
    for (;;) {
      const nl = this.pending.indexOf('\n');
      if (nl >= 0) {
        const line = this.pending.slice(0, nl);
        this.pending = this.pending.slice(nl + 1);
        return line;
      }
      const n = await this.stream.read(this.buf);
      if (n === 0) return undefined;
      this.pending += this.buf.toString('latin1', 0, n);
    }
  }
}

const ring = defaultRing();
const [a, b] = socketpair();
console.log(`socketpair: fds ${a.fd} (pinger) and ${b.fd} (ponger), ${rounds} rounds`);

let outOfOrder = 0;
function expect(got: string | undefined, want: string): void {
  if (got !== want) {
    if (outOfOrder++ < 5) console.error(`out of order: expected '${want}', got ${got === undefined ? 'EOF' : `'${got}'`}`);
  }
}

async function pinger(): Promise<number[]> {
  const lines = new LineReader(a);
  const latencies = new Array<number>(rounds);
  for (let i = 0; i < rounds; i++) {
    const t = performance.now();
    await a.writeAll(`ping ${i}\n`);
    expect(await lines.line(), `pong ${i}`);
    latencies[i] = performance.now() - t;
  }
  await a.shutdown('write'); // FIN: the ponger's next read returns 0
  return latencies;
}

async function ponger(): Promise<void> {
  const lines = new LineReader(b);
  for (let i = 0; ; i++) {
    const line = await lines.line();
    if (line === undefined) {
      if (i !== rounds) {
        console.error(`ponger: EOF after ${i} of ${rounds} pings`);
        outOfOrder++;
      }
      return;
    }
    expect(line, `ping ${i}`);
    await b.writeAll(`pong ${i}\n`);
  }
}

const before = ring.stats();
const t0 = performance.now();
let latencies: number[];
try {
  [latencies] = await Promise.all([pinger(), ponger()]);
} finally {
  await Promise.all([a.close(), b.close()]);
}
const elapsed = performance.now() - t0;
const after = ring.stats();

const sorted = [...latencies].sort((x, y) => x - y);
const pct = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const us = (ms: number): string => `${(ms * 1000).toFixed(1)} µs`;
const perRound = (k: 'enters' | 'sqesSubmitted' | 'cqesReaped' | 'turns' | 'wakeups'): string =>
  ((after[k] - before[k]) / rounds).toFixed(2);

console.log(`${rounds} rounds in ${elapsed.toFixed(1)} ms: ${Math.round(rounds / (elapsed / 1000)).toLocaleString('en-US')} round trips/s`);
console.log(`round-trip latency: mean ${us(elapsed / rounds)}, median ${us(pct(50))}, p99 ${us(pct(99))}, max ${us(sorted[sorted.length - 1])}`);
console.log(`per round: ${perRound('enters')} io_uring_enter calls, ${perRound('sqesSubmitted')} SQEs, ` +
  `${perRound('cqesReaped')} CQEs, ${perRound('turns')} turns, ${perRound('wakeups')} wake-ups (closing included)`);
console.log(`out of order: ${outOfOrder}`);
console.log('ring stats:', inspect(after, { breakLength: Infinity }));

if (outOfOrder !== 0 || after.inFlight !== 0 || after.staleCqes !== 0) {
  console.error('FAIL: every ping must get its own pong, in order, and nothing may be left in flight');
  process.exitCode = 1;
}
await ring.close();
