// The stats parsing facade the trackers use: bodies in, numbers out, by a probe's deadline. With
// threads, requests go through the batcher (several hosts' bodies per task) to the worker runner;
// with threads = 0 they are parsed on the main thread.
import { StatsBatcher } from './batcher.ts';
import type { ParseResult } from './layout.ts';
import { DEADLINE_REASON, parseSliced } from './parse.ts';
import { defaultWorkerUrl, WorkerRunner } from './runner.ts';

export interface StatsPoolOptions {
  /** Worker threads; 0 parses on the main thread. */
  threads: number;
  /** Bodies per task; larger batches run as several tasks at once. */
  chunkSize?: number;
  /**
   * With threads: how long a parse request waits for other hosts' requests to share its
   * tasks (a full chunk goes at once). 0 still batches what arrives in the same turn.
   */
  batchWindowMs?: number;
  /** Pool-level failures outside any task (a thread failing to start, a close timeout). */
  onError?: (err: Error) => void;
  /** Worker module to load instead of workers/parse-stats (tests only). */
  workerUrl?: URL;
}

const DEFAULT_CHUNK = 256;
/** A few ms: small against a probe, long enough for hosts answering together to share tasks. */
const DEFAULT_BATCH_WINDOW_MS = 3;

/** With threads only: on the main thread a task costs nothing to send. */
interface Threads {
  runner: WorkerRunner;
  batcher: StatsBatcher;
}

export class StatsPool {
  #closing: Promise<void> | null = null;

  private constructor(private readonly workers: Threads | null) {}

  static create(opts: StatsPoolOptions): StatsPool {
    const { threads } = opts;
    if (!Number.isInteger(threads) || threads < 0) {
      throw new RangeError(`stats pool: threads must be an integer >= 0, got ${threads}`);
    }
    const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK;
    if (!Number.isInteger(chunkSize) || chunkSize < 1) {
      throw new RangeError(`stats pool: chunkSize must be an integer >= 1, got ${chunkSize}`);
    }
    const windowMs = opts.batchWindowMs ?? DEFAULT_BATCH_WINDOW_MS;
    if (!(windowMs >= 0 && windowMs <= 1000)) {
      throw new RangeError(`stats pool: batchWindowMs must be between 0 and 1000, got ${windowMs}`);
    }
    if (threads === 0) return new StatsPool(null);
    const runner = new WorkerRunner(threads, opts.workerUrl ?? defaultWorkerUrl(), opts.onError ?? (() => {}));
    return new StatsPool({ runner, batcher: new StatsBatcher(runner.run, chunkSize, windowMs) });
  }

  get threads(): number {
    return this.workers?.runner.threads ?? 0;
  }

  /**
   * Row i of the result belongs to bodies[i]. Rejects if a worker fails, if the pool is closed
   * or cannot start, or at `deadline` (unix ms; the caller's probe deadline): a worker still
   * parsing then is stopped (piscina ends the thread and starts another). On the main thread
   * nothing can interrupt a parse: bodies not started by the deadline fail instead.
   */
  async parse(bodies: Uint8Array[], deadline = Infinity): Promise<ParseResult> {
    if (this.#closing !== null) throw new Error('stats pool is closed');
    const failure = this.workers?.runner.failure;
    if (failure) throw failure;
    if (bodies.length === 0) return { values: new Float64Array(0), errors: [], networks: [] };
    if (this.workers === null) return parseSliced(bodies, deadline);
    const { batcher } = this.workers;
    if (deadline === Infinity) return batcher.submit(bodies);
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(new Error(`stats parse: ${DEADLINE_REASON}`)), Math.max(0, deadline - Date.now()));
    try {
      return await batcher.submit(bodies, ac.signal);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): Promise<void> {
    // requests still waiting for their window go out first, so they finish with the pool
    if (this.#closing === null) this.workers?.batcher.flush();
    this.#closing ??= this.workers === null ? Promise.resolve() : this.workers.runner.close();
    return this.#closing;
  }
}
