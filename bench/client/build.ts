/**
 * Builds the benchmarks' independent clients (bench/client/*.c: HTTP, echo, UDP) on
 * demand: `cc -O2` into build/bench/http_client (build/ is git-ignored), again only
 * when the binary is missing or older than the source.  `buildClient()` returns the
 * binary's path; `node dist/bench/client/build.js` builds and prints it.
 *
 * May touch: build/bench/ (the binary and a temporary file beside it).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url)); // dist/bench/client
const root = join(here, '..', '..', '..');
export const clientSource = join(root, 'bench', 'client', 'http_client.c');
export const clientBinary = join(root, 'build', 'bench', 'http_client');

/** The HTTP client (bench/client/http_client.c). */
export function buildClient(): string {
  return buildC(clientSource, clientBinary);
}

/** The echo ping-pong client (bench/client/echo_client.c). */
export function buildEchoClient(): string {
  return buildC(join(root, 'bench', 'client', 'echo_client.c'), join(root, 'build', 'bench', 'echo_client'));
}

/** The UDP echo client (bench/client/udp_client.c). */
export function buildUdpClient(): string {
  return buildC(join(root, 'bench', 'client', 'udp_client.c'), join(root, 'build', 'bench', 'udp_client'));
}

function buildC(clientSource: string, clientBinary: string): string {
  const src = fs.statSync(clientSource);
  const bin = fs.statSync(clientBinary, { throwIfNoEntry: false });
  if (bin && bin.mtimeMs >= src.mtimeMs) return clientBinary;
  fs.mkdirSync(dirname(clientBinary), { recursive: true });
  const tmp = `${clientBinary}.${process.pid}.tmp`;
  const r = spawnSync('cc', ['-O2', '-Wall', '-Wextra', '-o', tmp, clientSource], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.error) throw new Error(`cannot run cc: ${r.error.message} (a C compiler is needed for the HTTP benchmarks)`);
  if (r.status !== 0) {
    fs.rmSync(tmp, { force: true });
    throw new Error(`cc failed (exit ${r.status}) on ${clientSource}`);
  }
  fs.renameSync(tmp, clientBinary); // atomic: a concurrent run never sees half a binary
  return clientBinary;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === fs.realpathSync(process.argv[1])) {
  console.log(buildClient());
}
