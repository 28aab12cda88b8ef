/**
 * The UDP echo servers of the dgram benchmark, one per process:
 *   ringcore     UdpSocket.messages() (one multishot RECVMSG into provided buffers) and
 *                a send() (SENDMSG) back to each datagram's source, not awaited one by one
 *   node:dgram   dgram.createSocket('udp4'), on 'message' send(msg, rinfo.port, rinfo.address)
 * Both bind 127.0.0.1 port 0, print {"port":N} first, and exit when stdin closes.
 *
 * May touch: its socket, stdout.
 */
import dgram from 'node:dgram';
import { UdpSocket } from 'ringcore/dgram';

const which = process.argv[2];
process.stdin.on('end', () => process.exit(0)).resume();
const RCVBUF = 4 << 20; // the same for both: bursts of a window wait in the kernel

if (which === 'ringcore') {
  const s = await UdpSocket.bind({ port: 0, host: '127.0.0.1', recvBufferSize: RCVBUF });
  console.log(JSON.stringify({ port: s.address().port }));
  const dropped = () => {}; // a send the kernel refused (ENOBUFS...): UDP, the client counts it lost
  for await (const d of s.messages()) s.send(d.data, d.port, d.address).then(undefined, dropped);
} else if (which === 'node:dgram') {
  const s = dgram.createSocket({ type: 'udp4', recvBufferSize: RCVBUF });
  s.on('message', (msg, rinfo) => s.send(msg, rinfo.port, rinfo.address));
  s.on('error', () => {});
  s.bind(0, '127.0.0.1', () => console.log(JSON.stringify({ port: s.address().port })));
} else {
  console.error('usage: dgram_servers ringcore|node:dgram');
  process.exit(2);
}
