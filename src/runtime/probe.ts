/**
 * Which opcodes this kernel supports: IORING_REGISTER_PROBE, asked once per ring
 * (`Ring.supported`, `ringcore doctor`).  A kernel that does not know the register
 * opcode (before 5.6) answers -EINVAL: the set is then empty.
 *
 * May touch: the native register call on the ring fd it is given.
 */
import { native } from '../sys/native.js';
import { IO_URING_OP_SUPPORTED, Register } from '../sys/constants.js';

/** Opcodes the kernel supports, from IORING_REGISTER_PROBE; empty if probing failed. */
export function probeOpcodes(fd: number): ReadonlySet<number> {
  // struct io_uring_probe { u8 last_op; u8 ops_len; u16 resv; u32 resv2[3];
  //                         struct io_uring_probe_op { u8 op; u8 resv; u16 flags; u32 resv2; } ops[]; }
  const n = 256;
  const buf = new Uint8Array(new ArrayBuffer(16 + n * 8));
  const r = native.register(fd, Register.PROBE, buf, n);
  const set = new Set<number>();
  if (r < 0) return set;
  const len = buf[1];
  const dv = new DataView(buf.buffer);
  for (let i = 0; i < len; i++) {
    const flags = dv.getUint16(16 + i * 8 + 2, true);
    if (flags & IO_URING_OP_SUPPORTED) set.add(buf[16 + i * 8]);
  }
  return set;
}
