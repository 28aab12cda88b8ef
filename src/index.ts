/**
 * `ringcore`: the runtime's public surface.  Free functions act on the thread's
 * default ring (created on first use, living in Node's event loop); `new Ring()` gives
 * an explicit one; `run()` hands the thread to a ring.
 *
 * May touch: nothing of its own; it re-exports and forwards.
 */
import { defaultRing } from './runtime/current.js';
import { Op as OpClass, type Op } from './op/op.js';
import { invalidArgType } from './op/errors.js';
import type { OpOptions } from './op/io.js';
import { linkOps, linkOpTimeout } from './op/link.js';
import { allOps } from './op/batch.js';
import type { Ring, RingStats } from './runtime/ring.js';

export { Ring, type RingOptions, type RingStats, type Driver } from './runtime/ring.js';
export { run, spawn, type RunOptions } from './runtime/run.js';
export { defaultRing } from './runtime/current.js';
export { Op } from './op/op.js';
export type { OpOptions } from './op/io.js';
export { AbortError, errnoError, type RingError } from './op/errors.js';
export { explainSetupFailure, type UnavailableError } from './runtime/setup.js';
export * as constants from './sys/constants.js';

/** IORING_OP_NOP on the default ring. */
export function nop(opts?: OpOptions): Op<number> {
  return defaultRing().nop(opts);
}
/** read(2) through the default ring; resolves with the byte count (0 at EOF). */
export function read(fd: number, buffer: ArrayBufferView, position?: number | bigint | null, opts?: OpOptions): Op<number> {
  return defaultRing().read(fd, buffer, position, opts);
}
/** write(2) through the default ring; resolves with the byte count. */
export function write(fd: number, buffer: ArrayBufferView, position?: number | bigint | null, opts?: OpOptions): Op<number> {
  return defaultRing().write(fd, buffer, position, opts);
}
/** readv(2) through the default ring. */
export function readv(fd: number, buffers: ArrayBufferView[], position?: number | bigint | null, opts?: OpOptions): Op<number> {
  return defaultRing().readv(fd, buffers, position, opts);
}
/** writev(2) through the default ring. */
export function writev(fd: number, buffers: ArrayBufferView[], position?: number | bigint | null, opts?: OpOptions): Op<number> {
  return defaultRing().writev(fd, buffers, position, opts);
}
/** close(2) through the default ring. */
export function close(fd: number, opts?: OpOptions): Op<void> {
  return defaultRing().closeFd(fd, opts);
}
/** posix_fadvise(2) through the default ring (IORING_OP_FADVISE); advice: `FADV.*`. */
export function fadvise(fd: number, offset: number, length: number, advice: number, opts?: OpOptions): Op<void> {
  return defaultRing().fadvise(fd, offset, length, advice, opts);
}
export { FADV } from './op/fsops.js';
/** IORING_OP_TIMEOUT: resolves after `ms` milliseconds (abortable). */
export function timeout(ms: number, opts?: OpOptions): Op<void> {
  return defaultRing().timeout(ms, opts);
}
/** `await sleep(ms, { signal })` — a timeout op, under the name people look for. */
export function sleep(ms: number, opts?: OpOptions): Op<void> {
  return defaultRing().timeout(ms, opts);
}
/** IORING_OP_ASYNC_CANCEL of `target`: resolves 0, -2 (ENOENT) or -114 (EALREADY). */
export function cancel(target: Op<unknown>, opts?: OpOptions): Op<number> {
  if (!(target instanceof OpClass)) throw invalidArgType('target', 'an instance of Op', target);
  return (target.ring as Ring).cancel(target, opts);
}
/** Start all ops and wait for them with one promise (cheaper than Promise.all). */
export function all<T>(ops: Op<T>[]): Promise<T[]> {
  return allOps(ops);
}
/** Submit ops (of one ring, not yet started) as one IOSQE_IO_LINK chain. */
export function link(...ops: Op<unknown>[]): Promise<unknown[]> {
  return linkOps((ops[0]?.ring ?? defaultRing()) as Ring, ops);
}
/** Run `op` with a linked timeout: rejects with ETIMEDOUT if `ms` passes first. */
export function linkTimeout<T>(op: Op<T>, ms: number): Promise<T> {
  if (!(op instanceof OpClass)) throw invalidArgType('op', 'an instance of Op', op);
  return linkOpTimeout(op.ring as Ring, op, ms);
}
/** Counters of the default ring. */
export function stats(): RingStats {
  return defaultRing().stats();
}
