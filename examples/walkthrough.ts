/**
 * The program docs/walkthrough.md follows: one `await file.read(buf)` and one abort,
 * small enough that its whole RINGCORE_TRACE=1 output fits on a page.
 *
 *     RINGCORE_TRACE=1 npm run example walkthrough
 *
 * What it does, and what the trace shows for each step:
 *   1. open this very file (an OPENAT SQE, its CQE with the new fd);
 *   2. read its first 64 bytes: `await file.read(buf, 0, 64, 0)` — one READ SQE, one
 *      io_uring_enter that submits it, one CQE with res=64;
 *   3. start a 60 s sleep with an AbortSignal (a TIMEOUT SQE), let one loop turn pass
 *      so that it reaches the kernel, then abort: an ASYNC_CANCEL SQE naming the
 *      TIMEOUT's user_data; two CQEs come back (the TIMEOUT's with -ECANCELED, the
 *      cancel's with 0) and the await rejects with an AbortError;
 *   4. close the file (CLOSE).
 * test/docs.test.ts runs it and checks that its trace has the shape the walkthrough
 * shows (the same lines, modulo numbers and addresses).
 *
 * May touch: reads its own file; stdout; the default ring.
 */
import { fileURLToPath } from 'node:url';
import { sleep } from 'ringcore';
import { open } from 'ringcore/fs';

const file = await open(fileURLToPath(import.meta.url));
const buf = Buffer.alloc(64);
const { bytesRead } = await file.read(buf, 0, 64, 0);
console.log(`read ${bytesRead} bytes: ${JSON.stringify(buf.subarray(0, 16).toString('latin1'))}...`);

const ac = new AbortController();
const slept = sleep(60_000, { signal: ac.signal }).promise(); // the SQE is written now
await new Promise((resolve) => setImmediate(resolve)); // one loop turn: the TIMEOUT is in the kernel
ac.abort();
const outcome = await slept.then(() => 'slept', (e: Error) => `${e.name} (${(e as Error & { code?: string }).code})`);
console.log(`sleep: ${outcome}`);

await file.close();
