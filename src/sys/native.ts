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
  /**
   * The portable wake-up (standard Node-API only, for runtimes without a working
   * uv_poll): a native thread in poll(2) on `eventfd` (registered with the ring, owned
   * by the watcher once this returns) calls fn through a napi_threadsafe_function,
   * coalesced — at most one call queued.  Starts referenced.  `ring` is the ring's
   * handle: the thread skips a call when JavaScript has already reaped every CQE, and
   * is stopped before the ring's memory is unmapped.
   */
  threadWatch(eventfd: number, ring: object, fn: () => void): object;
  /** napi_ref / napi_unref_threadsafe_function of a threadWatch watcher. */
  threadSetRef(watcher: object, on: boolean): void;
  /** Stop and join the thread, close the eventfd, release the threadsafe function. */
  threadUnwatch(watcher: object): void;
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
  /**
   * pipe2(O_CLOEXEC) and, when `size` > 0, F_SETPIPE_SZ (a refusal keeps the default):
   * [read fd, write fd, the capacity it has (F_GETPIPE_SZ)], or -errno.  net/pipes.ts.
   */
  pipe(size: number): [number, number, number] | number;
}

/**
 * Where the addon may be, first found first tried: the prebuilt one the package ships
 * (prebuilds/<platform>-<arch>/ringcore.node, `npm run prebuilds`), then the one
 * node-gyp built (build/Release/ringcore.node: tools/install.mjs builds it when no
 * prebuild loads).  Both are found from this module's own location — dist/src/sys/
 * native.js or a chunk in dist/bundle/chunks/ (three levels below the package root) or
 * a bundled entry point in dist/bundle/ (two).
 */
function addonPaths(): string[] {
  const found: string[] = [];
  for (const rel of [`prebuilds/${process.platform}-${process.arch}/ringcore.node`, 'build/Release/ringcore.node']) {
    for (const up of ['../../../', '../../']) {
      const p = fileURLToPath(new URL(up + rel, import.meta.url));
      if (existsSync(p)) {
        found.push(p);
        break;
      }
    }
  }
  return found.length > 0 ? found : [fileURLToPath(new URL('../../../build/Release/ringcore.node', import.meta.url))];
}

function load(): Native {
  const paths = addonPaths();
  const causes: unknown[] = [];
  for (const path of paths) {
    try {
      // process.dlopen is what require() does for a .node file, without loading the
      // CommonJS loader into an ES module graph.
      const mod = { exports: {} as Native };
      process.dlopen(mod, path);
      return mod.exports;
    } catch (cause) {
      causes.push(cause); // a prebuild for another libc, say: try the next
    }
  }
  const err = new Error(
    `RingCore: the native addon could not be loaded from ${paths.join(' or ')}. ` +
      'Run `npm rebuild ringcore` (or `npm ci` in its repository): it compiles native/ringcore.c with node-gyp.',
    { cause: causes.length === 1 ? causes[0] : new AggregateError(causes, 'each path failed') },
  );
  (err as NodeJS.ErrnoException).code = 'ERR_RINGCORE_NO_ADDON';
  throw err;
}

export const native: Native = load();

/**
 * Are Node-API values V8 handles here, so that native/v8pin.cc may use V8's own API
 * (pinning and sealing ArrayBuffers)?  True on Node; false in runtimes that implement
 * Node-API over another engine (Bun) or without V8's C++ symbols (Deno).
 */
export const v8Native: boolean = process.versions.bun === undefined && !('Deno' in globalThis);

/** How completions that arrive while the JavaScript thread sleeps wake it (runtime/loop.ts). */
export type WakeupMode = 'poll' | 'thread';

/**
 * 'poll': a uv_poll in the runtime's libuv loop (native `watch`) — on Node, one more
 * fd in the epoll set Node already sleeps in, the cheapest wake-up.  'thread': a
 * native thread and a napi_threadsafe_function (native `threadWatch`), standard
 * Node-API only — where libuv's poll is missing (Bun aborts the process on
 * uv_poll_init) or does not reliably call back (Deno).  Chosen by detection;
 * RINGCORE_WAKEUP=thread forces the portable path anywhere (tests, measurement),
 * RINGCORE_WAKEUP=poll the uv_poll one (not on Bun, which has no uv_poll).  Read when
 * a ring is created.
 */
export function wakeupMode(): WakeupMode {
  const forced = process.env.RINGCORE_WAKEUP;
  if (forced === 'thread') return 'thread';
  if (process.versions.bun !== undefined) return 'thread';
  if (forced === 'poll') return 'poll';
  return 'Deno' in globalThis ? 'thread' : 'poll';
}
