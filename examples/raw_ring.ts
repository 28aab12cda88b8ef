/**
 * The whole SQ/CQ protocol in about thirty lines: a ring with no promises, no slots,
 * no event loop — JavaScript writes NOP SQEs straight into the SQE array the kernel
 * mapped into our memory, publishes the SQ tail, makes one io_uring_enter per batch,
 * and reads the CQEs back out of the CQ.  This is what every layer above it does,
 * with the bookkeeping that makes it safe to share (op/, runtime/); and it is the
 * ceiling `npm run bench -- nop` compares the runtime with.
 *
 *     npm run example raw_ring [batch] [batches]        (defaults: 32 and 10000)
 *
 * The rules it follows (io_uring(7); src/sys/rings.ts says why each holds):
 *   - SQ: we own the tail, the kernel the head.  Fill SQEs, then store the tail with
 *     Atomics (release) so the kernel sees complete entries.
 *   - CQ: the kernel owns the tail, we own the head.  Load the tail with Atomics
 *     (acquire) before reading CQEs; store the head after, which hands the entries
 *     back.  CQEs may come in any order: user_data says which request each is.
 *
 * May touch: one ring of its own, stdout.
 */
import { raw, constants } from 'ringcore';

const { Opcode, Enter } = constants;
const batch = Number(process.argv[2] ?? 32);
const batches = Number(process.argv[3] ?? 10_000);
if (!Number.isInteger(batch) || batch < 1 || batch > 256 || !Number.isInteger(batches) || batches < 1) {
  console.error('usage: npm run example raw_ring [batch 1..256] [batches >= 1]');
  process.exit(2);
}

const ring = new raw.RawRing({ entries: 256 });
const { sq, cq } = ring;
const seen = new Uint8Array(batch); // which user_data values came back in this batch
const t0 = performance.now();
for (let b = 0; b < batches; b++) {
  // 1. Write `batch` SQEs: take an entry, encode its 64 bytes, stamp user_data.
  for (let i = 0; i < batch; i++) {
    const index = sq.next(); // tail & mask; -1 if the SQ were full (it cannot be here)
    raw.prep(sq.sqes, index, Opcode.NOP, -1, 0, 0, 0);
    raw.setUserData(sq.sqes, index, i, b); // any 64 bits: the CQE carries them back
  }
  // 2. Publish the tail (Atomics.store) and enter once: submit them all, wait for all.
  const submitted = ring.enter(sq.publish(), batch, Enter.GETEVENTS);
  if (submitted !== batch) throw new Error(`kernel took ${submitted} of ${batch} SQEs`);
  // 3. Reap: acquire the tail, read each CQE, release the head.
  let head = cq.head();
  const tail = cq.tail();
  seen.fill(0);
  while (head !== tail) {
    const w = cq.cqesIdx + (head & cq.mask) * cq.cqeWords;
    const res = cq.ringI32[w + raw.CW.RES];
    const slot = cq.ring[w + raw.CW.UD_LO];
    if (res !== 0 || cq.ring[w + raw.CW.UD_HI] !== b || seen[slot]++) throw new Error(`bad CQE ${slot}/${res}`);
    head = (head + 1) >>> 0;
  }
  Atomics.store(cq.ring, cq.headIdx, head); // the entries are the kernel's again
  if (seen.some((s) => s !== 1)) throw new Error('a NOP did not complete');
}
const ms = performance.now() - t0;
const total = batch * batches;
console.log(`${total} NOPs in ${batches} enters of ${batch}: ${ms.toFixed(1)} ms, ` +
  `${(total / ms / 1000).toFixed(2)} M NOPs/s, ${((ms * 1000) / batches).toFixed(2)} µs per enter`);
ring.close();
