/**
 * Where io_uring is refused — Docker's default seccomp profile, `kernel.io_uring_disabled`,
 * an old kernel — `ringcore/fs` still works: every function then calls Node's own
 * `node:fs/promises` (or `node:fs`' streams), with the same arguments, so a program
 * written against ringcore/fs runs there, slower, through libuv's thread pool.  It says
 * so once, on stderr, with the reason.  `RINGCORE_FALLBACK=off` in the environment turns
 * the fallback into the error (ERR_IO_URING_UNAVAILABLE) for those who want io_uring or
 * nothing.
 *
 * Decided on the first call that needs the ring: if the thread's default ring cannot be
 * created because io_uring is unavailable (and only then: other errors are thrown),
 * this thread uses Node's functions from then on.  In that mode `open()` returns Node's
 * own FileHandle (not `instanceof` ours) and streams are node:fs' — the same API.
 *
 * ringcore/net has no such fallback: see the README ("Where io_uring is unavailable").
 *
 * May touch: the default ring (created to find out), node:fs, stderr (one warning).
 */
import { createRequire } from 'node:module';
import { defaultRing } from '../runtime/current.js';

let viaNode = false;

/** Use Node's implementation for this call?  Creates the default ring the first time. */
export function fallBack(): boolean {
  if (viaNode) return true;
  try {
    defaultRing();
    return false;
  } catch (e) {
    const err = e as { code?: string; reason?: string; message?: string };
    if (err.code !== 'ERR_IO_URING_UNAVAILABLE' || process.env.RINGCORE_FALLBACK === 'off') throw e;
    viaNode = true;
    process.emitWarning(
      `io_uring is unavailable (${err.reason ?? err.message}): ringcore/fs uses node:fs/promises instead ` +
      '(slower; RINGCORE_FALLBACK=off makes this an error)', { code: 'RINGCORE_FALLBACK' });
    return true;
  }
}

type NodeFs = typeof import('node:fs');
let nodeFs: NodeFs | undefined;

/** node:fs (its `promises` and streams), loaded on first use. */
export function node(): NodeFs {
  return (nodeFs ??= createRequire(import.meta.url)('node:fs') as NodeFs);
}

/**
 * The fallback of a ringcore/fs function: node:fs/promises' `name` called with these
 * arguments when io_uring is refused here; undefined when the ring is there.  (With
 * RINGCORE_FALLBACK=off the refusal is the returned rejection.)
 */
export function viaNodeIfRefused(name: string, args: ArrayLike<unknown>): Promise<never> | undefined {
  try {
    if (!fallBack()) return undefined;
  } catch (e) {
    return Promise.reject(e);
  }
  const f = (node().promises as unknown as Record<string, (...a: unknown[]) => Promise<never>>)[name];
  return f(...Array.from(args));
}
