/**
 * An open-file cache for the file_server example, like nginx's open_file_cache: per
 * request path, the open fd, its statx metadata (size, mtime, inode) and — for small
 * files — the content itself, so that a repeated request costs no open, no statx and
 * no read: the server answers it with one send from memory.
 *
 * May touch: files opened through its `open` function (it owns and closes their
 * handles), statx by path (ringcore/fs stat) to revalidate; nothing else.
 *
 * Bounds and guarantees:
 *  - At most `maxEntries` files are kept open (least recently used evicted first,
 *    approximately: CLOCK's second chance, so that a hit costs no Map reordering);
 *    contents are kept for files of at most `maxBodyBytes` bytes, `maxTotalBodyBytes`
 *    in all.  Refusals (404/403...) are remembered too, `maxEntries` of them.
 *  - STALENESS BOUND: an entry is served without a look at the filesystem for at most
 *    `validMs` milliseconds after it was last validated.  The first request after that
 *    revalidates it with one STATX by path (the same path, following the same
 *    symlinks): a different inode or device (replaced by rename, retargeted symlink), a
 *    different size, mtime or ctime (modified in place), or an error (deleted) drops
 *    the entry and the request opens the file afresh.  So a changed, replaced or
 *    deleted file is served stale for at most `validMs` ms (0: every request
 *    revalidates).  A refusal is retried after the same bound.
 *  - An entry's handle is closed only when no response is using it: `acquire`
 *    counts a reference that the caller gives back with `release` once its send
 *    has completed, and an evicted entry closes its fd on the last release.
 *  - Concurrent misses on one path share one open; concurrent revalidations of one
 *    entry share one statx.
 *  - An entry no request has used for `inactiveMs` (60 s, nginx's `inactive=`) is
 *    closed by a sweep: a deleted file's fd (and its disk space) is not held until the
 *    path is asked for again.
 *  - Out of fds (the opener answers 503: EMFILE/ENFILE): the idle half of the entries
 *    (no response using them) is closed, oldest first, and the open tried once more;
 *    only if that fails too is the answer 503 — a full cache never locks new files out.
 */
import { stat, type FileHandle, type BigIntStats } from 'ringcore/fs';
import type { OpenedFile, RefusedStatus } from './confine.js';

export interface CacheOptions {
  /** Files kept open (1000, nginx's example `max=1000`). */
  maxEntries?: number;
  /** The staleness bound in ms (1000). */
  validMs?: number;
  /** Largest file whose content is kept in memory (64 KiB). */
  maxBodyBytes?: number;
  /** Content kept in memory in all (32 MiB). */
  maxTotalBodyBytes?: number;
  /** Entries unused for this long are closed (60000 ms). */
  inactiveMs?: number;
}

/** A cached open file.  Read-only for users, except `extra`, a slot for their own per-entry data. */
export interface CachedFile {
  readonly key: string;
  readonly fh: FileHandle;
  readonly rel: string;
  readonly real: string;
  readonly size: number;
  readonly stat: BigIntStats;
  /** The whole content when the file is small (see maxBodyBytes), else undefined. */
  readonly body: Buffer | undefined;
  /** For the user: e.g. preformatted response heads; dropped with the entry. */
  extra: unknown;
}

interface Entry extends CachedFile {
  refs: number;
  /** Hit since the eviction sweep last passed it (CLOCK: an approximation of LRU). */
  used: boolean;
  dead: boolean;
  validatedAt: number;
  /** When a request last took it (the inactivity sweep's clock). */
  usedAt: number;
  statPath: string;
  revalidating: Promise<boolean> | undefined;
}

interface Refusal {
  status: RefusedStatus;
  at: number;
}

/** Opens a key: the server's confinement (ServedRoot.openTarget) plus the path to revalidate by. */
export type Opener = (key: string) => Promise<{ file: OpenedFile; statPath: string } | { status: RefusedStatus }>;

function sameFile(a: BigIntStats, b: BigIntStats): boolean {
  return a.ino === b.ino && a.dev === b.dev && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}

export class OpenFileCache {
  readonly maxEntries: number;
  readonly validMs: number;
  readonly maxBodyBytes: number;
  readonly maxTotalBodyBytes: number;
  private readonly entries = new Map<string, Entry>(); // insertion order = LRU order
  private readonly refusals = new Map<string, Refusal>();
  private readonly opening = new Map<string, Promise<Entry | { status: RefusedStatus }>>();
  private bodyBytes = 0;
  private closed = false;
  readonly inactiveMs: number;
  private sweeper: NodeJS.Timeout | undefined = undefined;
  /** Counters, for tests and curiosity. */
  readonly counts = { hits: 0, misses: 0, revalidations: 0, invalidations: 0, evictions: 0, inactive: 0, outOfFds: 0 };

  constructor(private readonly open: Opener, options: CacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 1000;
    this.validMs = options.validMs ?? 1000;
    this.maxBodyBytes = options.maxBodyBytes ?? 64 * 1024;
    this.maxTotalBodyBytes = options.maxTotalBodyBytes ?? 32 * 1024 * 1024;
    this.inactiveMs = options.inactiveMs ?? 60_000;
    if (!(this.inactiveMs >= 1)) throw new RangeError(`inactiveMs must be >= 1, got ${this.inactiveMs}`);
    if (this.maxEntries < 1) throw new RangeError(`maxEntries must be >= 1, got ${this.maxEntries}`);
    for (const [k, v] of [['maxEntries', this.maxEntries], ['validMs', this.validMs], ['maxBodyBytes', this.maxBodyBytes],
                          ['maxTotalBodyBytes', this.maxTotalBodyBytes]] as const) {
      if (!Number.isInteger(v) || v < 0) throw new RangeError(`${k} must be an integer >= 0, got ${v}`);
    }
  }

  /**
   * The fast path: a fresh entry (referenced: call release) or a fresh refusal
   * status, synchronously; undefined when `acquire` must do I/O.
   */
  tryAcquire(key: string, now = Date.now()): CachedFile | RefusedStatus | undefined {
    const e = this.entries.get(key);
    if (e !== undefined) {
      if (now - e.validatedAt >= this.validMs) return undefined; // fresh for [0, validMs) ms: 0 = never
      this.counts.hits++;
      e.used = true; // for the eviction's second chance (see load): no Map reordering per hit
      e.usedAt = now;
      e.refs++;
      return e;
    }
    const r = this.refusals.get(key);
    if (r !== undefined && now - r.at < this.validMs) return r.status;
    return undefined;
  }

  /** The entry for `key` (referenced: call release), revalidated or opened as needed, or the status. */
  async acquire(key: string): Promise<CachedFile | RefusedStatus> {
    if (this.closed) return 500;
    const now = Date.now();
    const fast = this.tryAcquire(key, now);
    if (fast !== undefined) return fast;
    const e = this.entries.get(key);
    if (e !== undefined) {
      if (await (e.revalidating ??= this.revalidate(e))) {
        if (!e.dead) {
          e.usedAt = Date.now();
          e.refs++;
          return e;
        }
      }
    }
    let p = this.opening.get(key);
    if (p === undefined) {
      p = this.load(key);
      this.opening.set(key, p);
      void p.finally(() => this.opening.delete(key)).catch(() => {});
    }
    const r = await p;
    if (typeof r === 'object' && 'status' in r) return r.status;
    if (r.dead) return this.acquire(key); // dropped (revalidated away) before we got it: look again
    r.refs++;
    return r;
  }

  /** Gives back a reference from acquire/tryAcquire; the last one closes an evicted entry's fd. */
  release(f: CachedFile): void {
    const e = f as Entry;
    if (--e.refs === 0 && e.dead) void e.fh.close().catch(() => {});
  }

  /** Drops every entry (fds close as their last sends complete); later acquires answer 500. */
  close(): void {
    this.closed = true;
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    this.sweeper = undefined;
    for (const e of [...this.entries.values()]) this.drop(e);
    this.refusals.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  private async revalidate(e: Entry): Promise<boolean> {
    this.counts.revalidations++;
    try {
      const st = await stat(e.statPath, { bigint: true });
      if (!e.dead && sameFile(st, e.stat)) {
        e.validatedAt = Date.now();
        return true;
      }
    } catch {
      // deleted, or a path component replaced: open afresh
    } finally {
      e.revalidating = undefined;
    }
    this.counts.invalidations++;
    this.drop(e);
    return false;
  }

  private drop(e: Entry): void {
    if (e.dead) return;
    e.dead = true;
    if (this.entries.get(e.key) === e) this.entries.delete(e.key);
    if (e.body !== undefined) this.bodyBytes -= e.body.length;
    e.extra = undefined;
    if (e.refs === 0) void e.fh.close().catch(() => {});
  }

  /** Close entries no request uses that were last used `inactiveMs` ago or more. */
  private sweep(): void {
    const limit = Date.now() - this.inactiveMs;
    for (const e of [...this.entries.values()]) {
      if (e.refs === 0 && e.usedAt <= limit) {
        this.counts.inactive++;
        this.drop(e);
      }
    }
    if (this.entries.size === 0 && this.sweeper !== undefined) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  /** Out of fds: close the older half of the entries no response is using; resolves once their fds are closed. */
  private async shed(): Promise<number> {
    const idle = [...this.entries.values()].filter((e) => e.refs === 0);
    const n = Math.ceil(idle.length / 2);
    for (let i = 0; i < n; i++) this.drop(idle[i]); // Map order: oldest first
    await Promise.all(idle.slice(0, n).map((e) => e.fh.close().catch(() => {}))); // (the closes drop() started)
    return n;
  }

  private async load(key: string): Promise<Entry | { status: RefusedStatus }> {
    this.counts.misses++;
    let r = await this.open(key);
    if ('status' in r && r.status === 503) {
      this.counts.outOfFds++;
      if (await this.shed() > 0) r = await this.open(key);
    }
    if ('status' in r) {
      if (r.status !== 500 && r.status !== 503) {
        if (this.refusals.size >= this.maxEntries) this.refusals.delete(this.refusals.keys().next().value!);
        this.refusals.set(key, { status: r.status, at: Date.now() });
      }
      return r;
    }
    this.refusals.delete(key);
    const { file, statPath } = r;
    const size = Number(file.stat.size);
    let body: Buffer | undefined;
    if (size <= this.maxBodyBytes && this.bodyBytes + size <= this.maxTotalBodyBytes) {
      try {
        body = await readWhole(file.fh, size);
      } catch {
        body = undefined; // read per request instead (and fail there, visibly)
      }
    }
    const e: Entry = {
      key, fh: file.fh, rel: file.rel, real: file.real, size, stat: file.stat, body, extra: undefined,
      refs: 0, used: false, dead: false, validatedAt: Date.now(), usedAt: Date.now(), statPath, revalidating: undefined,
    };
    if (this.closed) {
      await file.fh.close();
      return { status: 500 };
    }
    const old = this.entries.get(key);
    if (old !== undefined) this.drop(old);
    if (body !== undefined) this.bodyBytes += body.length;
    this.entries.set(key, e);
    if (this.sweeper === undefined) {
      this.sweeper = setInterval(() => this.sweep(), Math.min(this.inactiveMs, 10_000));
      this.sweeper.unref();
    }
    // Evict from the old end of the Map; an entry hit since it was last looked at gets
    // a second chance (moved to the young end, flag cleared) — least recently used
    // approximately, without reordering the Map on every hit.
    while (this.entries.size > this.maxEntries) {
      const old = this.entries.values().next().value!;
      if (old.used || old === e) { // (the new entry itself is never the one evicted)
        old.used = false;
        this.entries.delete(old.key);
        this.entries.set(old.key, old);
        continue;
      }
      this.counts.evictions++;
      this.drop(old);
    }
    return e;
  }
}

/**
 * `size` bytes from offset 0 (a file that shrank meanwhile: what is there; one that
 * grew: the first `size` bytes, consistent with the statx the headers come from).
 */
async function readWhole(fh: FileHandle, size: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(size);
  let got = 0;
  while (got < size) {
    const { bytesRead } = await fh.read(buf, got, size - got, got);
    if (bytesRead === 0) throw new Error('file shrank while being cached');
    got += bytesRead;
  }
  return buf;
}
