/**
 * The native gate: loads the Node-API addon built from native/ringcore.c and gives
 * it types.  Every call into C in RingCore goes through the object exported here,
 * so this file is the complete list of what JavaScript asks of native code.
 *
 * May touch: the addon only.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Byte offsets of the SQ ring's fields inside its mapping (io_sqring_offsets). */
export interface SqOffsets {
  head: number; tail: number; ringMask: number; ringEntries: number;
  flags: number; dropped: number; array: number;
}
/** Byte offsets of the CQ ring's fields inside its mapping (io_cqring_offsets). */
export interface CqOffsets {
  head: number; tail: number; ringMask: number; ringEntries: number;
  overflow: number; cqes: number; flags: number;
}

/** What io_uring_setup(2) + the three mmaps give back. */
export interface SetupResult {
  /** Opaque: what close() needs to unmap and close. */
  handle: object;
  fd: number;
  sqEntries: number;
  cqEntries: number;
  /** The setup flags the ring really has (the kernel may add some, e.g. CQSIZE). */
  flags: number;
  /** IORING_FEAT_* bits. */
  features: number;
  sqOff: SqOffsets;
  cqOff: CqOffsets;
  /** The SQ ring (head, tail, mask, flags, the index array). */
  sqRing: ArrayBuffer;
  /** The CQ ring (head, tail, CQEs); the same ArrayBuffer as sqRing with SINGLE_MMAP. */
  cqRing: ArrayBuffer;
  /** The SQE array: sqEntries × 64 bytes. */
  sqes: ArrayBuffer;
  /**
   * Words the native cleanup reads when the thread ends with the ring open:
   * [0] = requests whose SQE is written and whose terminal CQE JavaScript has not
   * consumed; [1] = the SQ tail after the last SQE written (runtime/ring.ts writeSqe
   * and reap keep them, each as adjacent stores; native/ringcore.c ring_cleanup).
   */
  shared: ArrayBuffer;
}

export interface Native {
  /** io_uring_setup(entries, params) + mmaps, or -errno. */
  setup(entries: number, flags: number, cqEntries: number, sqThreadIdle: number,
        sqThreadCpu: number, wqFd: number): SetupResult | number;
  /** Detach the ring ArrayBuffers, munmap, close the fd. 0 or -errno. */
  close(handle: object): number;
  /** io_uring_enter(fd, toSubmit, minComplete, flags, NULL, 0): result or -errno. */
  enter(fd: number, toSubmit: number, minComplete: number, flags: number): number;
  /** io_uring_register(fd, opcode, arg, nrArgs): result or -errno. */
  register(fd: number, opcode: number, arg: ArrayBuffer | ArrayBufferView | null, nrArgs: number): number;
  /** Base address of an ArrayBuffer's backing store. */
  address(ab: ArrayBuffer): number;
  /**
   * Base address, and the backing store kept allocated for as long as the ArrayBuffer
   * object lives, even if it is detached (native/v8pin.cc).  Only where `v8Native`.
   */
  addressPinned(ab: ArrayBuffer): number;
  /** Make an ArrayBuffer non-detachable (V8 detach key).  Only where `v8Native`. */
  seal(ab: ArrayBuffer): void;
  /** uv_poll(fd, READABLE) that calls fn in Node's poll phase. Starts referenced. */
  watch(fd: number, drainEventfd: boolean, fn: (status: number) => void): object;
  /** uv_ref / uv_unref of a watcher. */
  setRef(watcher: object, on: boolean): void;
  /** Stop and close a watcher. */
  unwatch(watcher: object): void;
  /** eventfd(0, EFD_NONBLOCK|EFD_CLOEXEC): fd or -errno. */
  eventfd(): number;
  /** close(2): 0 or -errno. */
  closeFd(fd: number): number;
  /** The thread's fd ledger (sys/fds.ts): one byte per fd number, closed out at thread exit. */
  fdLedger(): ArrayBuffer;
  /** getsockname(2) (or getpeername(2) with `peer`): the sockaddr bytes, or -errno. */
  sockname(fd: number, peer: boolean): ArrayBuffer | number;
  /** socketpair(2): two connected fds, or -errno. */
  socketpair(domain: number, type: number): [number, number] | number;
}

/**
 * The addon, built by node-gyp into <package>/build/Release: found from this module's
 * own location — dist/src/sys/native.js (three levels below the package root) or a
 * bundled entry point in dist/bundle/ (two).
 */
function addonPath(): string {
  const rel = 'build/Release/ringcore.node';
  for (const up of ['../../../', '../../']) {
    const p = fileURLToPath(new URL(up + rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  return fileURLToPath(new URL('../../../' + rel, import.meta.url));
}

function load(): Native {
  const path = addonPath();
  try {
    // process.dlopen is what require() does for a .node file, without loading the
    // CommonJS loader into an ES module graph.
    const mod = { exports: {} as Native };
    process.dlopen(mod, path);
    return mod.exports;
  } catch (cause) {
    const err = new Error(
      `RingCore: the native addon could not be loaded from ${path}. ` +
        'Run `npm ci` (or `npm rebuild ringcore`): it compiles native/ringcore.c with node-gyp.',
      { cause },
    );
    (err as NodeJS.ErrnoException).code = 'ERR_RINGCORE_NO_ADDON';
    throw err;
  }
}

export const native: Native = load();

/**
 * Are Node-API values V8 handles here, so that native/v8pin.cc may use V8's own API
 * (pinning and sealing ArrayBuffers)?  True on Node; false in runtimes that implement
 * Node-API over another engine (Bun) or without V8's C++ symbols (Deno).
 */
export const v8Native: boolean = process.versions.bun === undefined && !('Deno' in globalThis);
