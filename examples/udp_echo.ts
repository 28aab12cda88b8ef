/**
 * A UDP echo server: every datagram comes back to whoever sent it.
 *
 *     npm run example udp_echo [-- --port N] [--host H] [--once]
 *
 * `UdpSocket.bind()` is socket → bind, two ring requests.  Then ONE multishot
 * IORING_OP_RECVMSG receives every datagram (`socket.messages()`): the kernel picks a
 * provided buffer for each one and posts a CQE with the source address and the
 * payload in it; the payload is copied into a Buffer of ours and the provided buffer
 * goes straight back.  Each datagram is sent back with one IORING_OP_SENDMSG (a
 * msghdr naming the sender's address and an iovec over the payload).  Sends are not
 * awaited one by one: many go to the kernel in one io_uring_enter, as they come.
 *
 * It prints the address it listens on (`listening on udp 127.0.0.1:PORT`; --port 0,
 * the default, picks a free port) and runs until SIGINT/SIGTERM: then it closes the
 * socket (the multishot RECVMSG is cancelled, messages() ends), waits for the sends in
 * flight, and prints how many datagrams it echoed and the ring's stats.  With --once
 * it does the same by itself after echoing the first datagram (handy for scripts).
 *
 * Try it:
 *
 *     npm run example udp_echo -- --port 7001
 *     echo hello | nc -u -w1 127.0.0.1 7001        # (or: socat - UDP:127.0.0.1:7001)
 *
 * What to look for: with RINGCORE_TRACE=1, one RECVMSG SQE (ioprio=2: multishot,
 * flags=BUFFER_SELECT), then per datagram a RECVMSG CQE with flags 0x...3 (F_BUFFER |
 * F_MORE: the buffer id is in the high 16 bits) and a SENDMSG SQE/CQE pair; on Ctrl-C
 * an ASYNC_CANCEL naming the socket's fd and the RECVMSG CQE with res=-125 ECANCELED.
 * The final stats show inFlight: 0.
 */
import { inspect } from 'node:util';
import { defaultRing } from 'ringcore';
import { UdpSocket } from 'ringcore/dgram';

function usage(msg?: string): never {
  if (msg) console.error(msg);
  console.error('usage: npm run example udp_echo -- [--port N] [--host H] [--once]');
  process.exit(2);
}

let port = 0;
let host = '127.0.0.1';
let once = false;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--once') once = true;
  else if (a === '--port') {
    port = Number(argv[++i]);
    if (!Number.isInteger(port) || port < 0 || port > 65535) usage(`--port: an integer 0..65535, got '${argv[i]}'`);
  } else if (a === '--host') {
    host = argv[++i] ?? usage('--host needs a value');
  } else usage(`unknown argument '${a}'`);
}

const ring = defaultRing();
const socket = await UdpSocket.bind({ port, host }).catch((e: Error): never => {
  console.error(`udp_echo: ${e.message}`); // e.g. bind EADDRINUSE 127.0.0.1:7001
  process.exit(1);
});
const local = socket.address();
console.log(`listening on udp ${local.family === 'IPv6' ? `[${local.address}]` : local.address}:${local.port}`);

let echoed = 0;
let failed = 0;
const sending = new Set<Promise<unknown>>();

let stopped: Promise<void> | undefined;
function shutdown(reason: string): Promise<void> {
  stopped ??= (async () => {
    console.log(`${reason}: closing the socket`);
    await socket.close(); // cancels the multishot RECVMSG: messages() ends
    await serving;
    await Promise.all(sending);
    console.log(`echoed ${echoed} datagram(s)${failed ? `, ${failed} send(s) failed` : ''}`);
    const s = ring.stats();
    console.log('ring stats:', inspect(s, { breakLength: Infinity }));
    if (s.inFlight !== 0) {
      console.error('FAIL: requests still in flight after shutdown');
      process.exitCode = 1;
    }
    await ring.close();
  })();
  return stopped;
}

const serving = (async () => {
  try {
    for await (const d of socket.messages()) {
      // The datagram's Buffer is ours: it can be sent back as it is.
      const p = socket.send(d.data, d.port, d.address).then(() => { echoed++; }, () => { failed++; });
      sending.add(p);
      void p.finally(() => sending.delete(p));
      if (once) {
        await p;
        void shutdown('--once: echoed one datagram');
        break;
      }
    }
  } catch (e) {
    console.error(`udp_echo: ${(e as Error).message}`);
    process.exitCode = 1;
  }
})();

process.once('SIGINT', () => void shutdown('SIGINT'));
process.once('SIGTERM', () => void shutdown('SIGTERM'));
