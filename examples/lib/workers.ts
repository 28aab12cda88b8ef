/**
 * Every core: an example server run as N threads, each with its own ring (RingCore's
 * default ring is per thread) and its own listening socket on the same port
 * (SO_REUSEPORT: the kernel spreads new connections over the listeners).  Nothing is
 * shared between the threads but the port: no locks, no hand-off of connections.
 *
 * The main thread serves too (it is thread 0), starts the others with `startWorkers`
 * once its own listener is bound (so `--port 0` picks one port for all), and is the
 * only one to receive SIGINT/SIGTERM: it then asks every worker to stop (a 'stop'
 * message), and each drains the way the main thread does (examples/lib/lifecycle.ts).
 * A worker reports how many connections it served when it ends.
 *
 * May touch: worker threads, their message ports.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

export interface WorkerData {
  /** The port every thread binds (the main thread's, known by then). */
  port: number;
  /** The example's own command line. */
  argv: string[];
}

/** Running workers, and how to stop them. */
export interface Workers {
  /**
   * Every worker is listening (the main thread announces the port only then).  Rejects
   * if one ended before it was (it could not bind, say): the caller stops the others.
   */
  ready: Promise<void>;
  /**
   * Ask every worker to stop and wait for them; resolves with what each served.  A
   * worker that ended with a non-zero exit code (its own failure check, an uncaught
   * error) sets the process's exit code to 1: the server as a whole failed.
   */
  stop(): Promise<number[]>;
}

/** `--workers N` from the command line (default 1: the main thread alone). */
export function workerCount(argv: string[]): number {
  const i = argv.indexOf('--workers');
  if (i < 0) return 1;
  const n = Number(argv[i + 1]);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new RangeError('--workers must be an integer from 1 to 256');
  return n;
}

/** In the main thread: start `n - 1` workers running the module at `url` with `data`. */
export function startWorkers(url: URL, n: number, data: WorkerData): Workers {
  const served: number[] = [];
  const exits: Promise<void>[] = [];
  const readies: Promise<void>[] = [];
  const workers: Worker[] = [];
  for (let i = 1; i < n; i++) {
    const w = new Worker(url, { workerData: data });
    workers.push(w);
    let ready!: () => void;
    let failed!: (e: Error) => void;
    readies.push(new Promise((resolve, reject) => { ready = resolve; failed = reject; }));
    exits.push(new Promise((resolve) => {
      let isReady = false;
      w.on('message', (m: { served?: number; ready?: boolean }) => {
        if (m?.ready) {
          isReady = true;
          ready();
        }
        if (typeof m?.served === 'number') served[i] = m.served;
      });
      w.on('error', (e) => process.stderr.write(`worker ${i}: ${e.message}\n`));
      w.on('exit', (code) => {
        if (code !== 0) {
          process.stderr.write(`worker ${i} exited with code ${code}\n`);
          process.exitCode = 1;
        }
        if (!isReady) failed(new Error(`worker ${i} ended before it was listening (exit code ${code})`));
        resolve();
      });
    }));
  }
  return {
    ready: Promise.all(readies).then(() => {}),
    async stop() {
      for (const w of workers) w.postMessage('stop');
      await Promise.all(exits);
      return served.slice(1);
    },
  };
}

/** Is this thread one of the workers (not the main thread)? */
export function inWorker(): boolean {
  return !isMainThread && (workerData as WorkerData | undefined)?.port !== undefined;
}

/** In a worker: its data, and a signal that aborts when the main thread says stop. */
export function workerContext(): { data: WorkerData; stop: AbortSignal; ready(): void; report(served: number): void } {
  const ac = new AbortController();
  const onMessage = (m: unknown): void => {
    if (m === 'stop') ac.abort();
  };
  parentPort!.on('message', onMessage);
  return {
    data: workerData as WorkerData,
    stop: ac.signal,
    ready() {
      parentPort!.postMessage({ ready: true });
    },
    report(served) {
      parentPort!.postMessage({ served });
      // Without a 'message' listener the port no longer keeps the thread: it ends when its
      // ring is idle.  (Not parentPort.close(): Deno's parentPort has none.)
      parentPort!.off('message', onMessage);
    },
  };
}
