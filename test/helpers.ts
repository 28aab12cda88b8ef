/**
 * Shared helpers for the RingCore test suite (not a test file itself: it defines no
 * tests, so node --test reports it as an empty, passing file).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { execFileSync, spawn } from 'node:child_process';
import { after, before } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Ring } from '../src/index.js';

/** file: URL of the compiled entry point (dist/src/index.js), for child processes and workers. */
export const INDEX_URL = new URL('../src/index.js', import.meta.url).href;
export const INDEX_PATH = fileURLToPath(INDEX_URL);

/** A fresh temp directory, removed by `cleanup()`. */
export function tempDir(prefix = 'ringcore-test-'): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** mkfifo at `p` and open it O_RDWR (so that neither open blocks); returns the fd. */
export function openFifo(p: string): number {
  execFileSync('mkfifo', [p]);
  return fs.openSync(p, fs.constants.O_RDWR);
}

/**
 * A real Promise for an op, calling its `then` synchronously (so the SQE is written
 * now).  `Promise.resolve(op)` would call `then` only in a later microtask.
 */
export function started<T>(op: PromiseLike<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    op.then(resolve, reject);
  });
}

/** Resolve after one event-loop turn (a setImmediate). */
export function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Wait (event-loop turns and short timers) until `cond()` holds; throws with `what`
 * if it does not within `ms`.  A bound for "eventually", not a speed assertion.
 */
export async function waitUntil(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  for (let i = 0; !cond(); i++) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for: ${what}`);
    if (i < 50) await tick();
    else await delay(2);
  }
}

/** Wait until `ring` has nothing in flight. */
export function drained(ring: Ring, ms = 5000): Promise<void> {
  return waitUntil(() => ring.stats().inFlight === 0, `inFlight === 0 (now ${ring.stats().inFlight})`, ms);
}

/** The runtime running the suite (tools/test-runtime.mjs runs it under Bun and Deno too). */
export const RUNTIME: 'node' | 'bun' | 'deno' =
  process.versions.bun !== undefined ? 'bun' : 'Deno' in globalThis ? 'deno' : 'node';

/**
 * The command that runs the script `file` (with `args`) under this same runtime, as
 * [command, argv]: `node file` and `bun file`; Deno needs `deno run -A file`.
 */
export function scriptCommand(file: string, ...args: string[]): [string, string[]] {
  return [process.execPath, RUNTIME === 'deno' ? ['run', '-A', file, ...args] : [file, ...args]];
}

let gcFn: (() => void) | undefined;
/**
 * A full garbage collection, without --expose-gc on the command line: V8's gc() (Node,
 * Deno), JavaScriptCore's synchronous Bun.gc(true) (Bun).
 */
export function getGc(): () => void {
  if (gcFn === undefined) {
    const bun = (globalThis as { Bun?: { gc(force: boolean): void } }).Bun;
    if (bun !== undefined) {
      gcFn = () => bun.gc(true);
    } else {
      v8.setFlagsFromString('--expose-gc');
      gcFn = vm.runInNewContext('gc') as () => void;
    }
  }
  return gcFn;
}

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/**
 * Run an ES module script (written to a temp .mjs file) in a child of the same runtime
 * (`node`; `bun`, `deno run -A` under tools/test-runtime.mjs), with `env` added to the environment.
 * The child is killed (and timedOut set) if it has not exited after `timeoutMs`.
 */
export function runChild(script: string, env: Record<string, string> = {}, timeoutMs = 10000,
                         onStdout?: (chunk: string, child: ReturnType<typeof spawn>) => void): Promise<ChildResult> {
  const tmp = tempDir('ringcore-child-');
  const file = path.join(tmp.dir, 'main.mjs');
  fs.writeFileSync(file, script);
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete childEnv.NODE_TEST_CONTEXT;
  if (!('RINGCORE_TRACE' in env)) delete childEnv.RINGCORE_TRACE;
  return new Promise<ChildResult>((resolve, reject) => {
    const [cmd, argv] = scriptCommand(file);
    const child = spawn(cmd, argv, { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      onStdout?.(d, child);
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  }).finally(() => tmp.cleanup());
}

/** Per-suite timeout: a hang fails the suite (with its name) instead of stalling the run. */
export const SUITE = { timeout: 30_000 };

/**
 * Call at the top level of a test file: if, after the file's tests, something (a ring
 * request that never completed) still keeps the process alive, fail the file instead
 * of hanging the whole run.
 */
export function failIfKeptAlive(ms = 5000): void {
  after(() => {
    setTimeout(() => {
      // What keeps it alive (Node's list of active handles and requests; this timer is
      // unref'd, so it is not among them), so that a rare failure says what to look at.
      const info = (process as { getActiveResourcesInfo?: () => string[] }).getActiveResourcesInfo?.() ?? ['(not available here)'];
      process.stderr.write(`ringcore tests: process still alive ${ms} ms after its tests finished; active: ${info.join(', ')}\n`);
      process.exit(1);
    }, ms).unref();
  });
}

/**
 * Bun's first synchronous spawn (execFileSync, e.g. openFifo's mkfifo) opens an epoll fd
 * and an eventfd for its spawnSync loop and keeps them for the life of the process
 * (count /proc/self/fd around two execFileSync('true') under `bun`: 8, 11, 11; Node and
 * Deno: unchanged).  Made here, on import, so that the fd counts of the tests (before
 * and after) see only what the tests open.
 */
if (RUNTIME === 'bun') execFileSync('true');

/**
 * Send `sig` to a child with process.kill(pid), not `child.kill(sig)`: Deno's
 * ChildProcess.kill(sig) makes the child's 'exit' report (null, sig) even when the child
 * handles the signal and exits with 0 (deno 2.9.6: a child running
 * `process.on('SIGTERM', () => process.exit(0))` reports code null, signal 'SIGTERM' after
 * child.kill('SIGTERM'), and code 0 after process.kill(child.pid, 'SIGTERM')).
 */
export function sendSignal(child: { pid?: number }, sig: NodeJS.Signals): void {
  process.kill(child.pid!, sig);
}

/** Number of open file descriptors of this process. */
export function fdCount(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

/**
 * This process's open fds, each with what it points at and its inode (fdinfo's `ino:`):
 * a baseline for fdsOpenedSince().  The inode tells a new ring, socket or
 * pipe from the one whose number it reused, which the link text alone does not (every
 * ring reads `anon_inode:[io_uring]`).
 */
export function fdSnapshot(): Map<number, string> {
  const m = new Map<number, string>();
  for (const name of fs.readdirSync('/proc/self/fd')) {
    const t = fdTarget(Number(name));
    if (t === null) continue;
    let ino = '';
    try {
      ino = /^ino:\s*(\d+)/m.exec(fs.readFileSync(`/proc/self/fdinfo/${name}`, 'utf8'))?.[1] ?? '';
    } catch {
      continue; // closed meanwhile
    }
    m.set(Number(name), `${t} (ino ${ino})`);
  }
  return m;
}

/**
 * The fds open now that were not open at `before`, or that now point at something else
 * ("fd -> target" each): what the code under test left open.  Compare this with []
 * rather than a bare count with the count before: Bun and Deno close some of their own
 * fds late (a count then drops below the baseline and an equality fails, as it did under
 * Bun in CI) and a leak can hide behind such a close.  Not caught: a leaked fd that
 * reuses the number of one closed meanwhile AND has its inode (the same file opened
 * again).  The fd that lists /proc/self/fd is left out.
 */
export function fdsOpenedSince(before: Map<number, string>): string[] {
  const opened: string[] = [];
  for (const [fd, target] of fdSnapshot()) {
    if (before.get(fd) === target || /^\/proc\/(self|\d+)\/fd /.test(target)) continue;
    opened.push(`${fd} -> ${target}`);
  }
  return opened;
}

/** Lines of /proc/self/maps that are io_uring mappings. */
export function uringMappings(): number {
  return fs.readFileSync('/proc/self/maps', 'utf8').split('\n').filter((l) => l.includes('io_uring')).length;
}

/** What /proc/self/fd/<fd> points at, or null when the fd is not open. */
export function fdTarget(fd: number): string | null {
  try {
    return fs.readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return null;
  }
}

export { pathToFileURL };

/**
 * A fresh Ring (and, if asked, a temp dir) for a test file: created before its tests,
 * closed (and removed) after.  `ready` receives them, for the file's own variables.
 */
export function ringFixture(ready: (ring: Ring, tmp: { dir: string; cleanup: () => void } | undefined) => void,
                            options: { tempDir?: boolean } = {}): void {
  let ring: Ring | undefined;
  let tmp: { dir: string; cleanup: () => void } | undefined;
  before(() => {
    ring = new Ring();
    if (options.tempDir) tmp = tempDir();
    ready(ring, tmp);
  });
  after(async () => {
    await ring?.close();
    tmp?.cleanup();
  });
}
