// The stats parsing pool: packs raw stats bodies into one owned buffer per task and parses
// them on worker threads, several hosts' bodies per task (stats-batcher.ts), or on the main
// thread when threads = 0.
import { setMaxListeners } from 'node:events';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { DEADLINE_REASON, parseBatch } from '../../workers/parse-stats.ts';
import type { ParseResult, ParseTask } from '../../workers/stats-layout.ts';
import { StatsBatcher } from './stats-batcher.ts';

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

/** workers/parse-stats with this file's extension: .ts under tsx, .js once compiled to dist/. */
export function defaultWorkerUrl(): URL {
  const ext = extname(fileURLToPath(import.meta.url));
  return new URL(`../../workers/parse-stats${ext}`, import.meta.url);
}

export class StatsPool {
  private closing: Promise<void> | null = null;
  /** Set when no thread can start (e.g. the worker module fails to load). */
  private failure: Error | null = null;
  /** Aborted with `failure`: piscina would otherwise queue tasks forever. */
  private readonly broken = new AbortController();
  /** With threads only: on the main thread a task costs nothing to send. */
  private readonly batcher: StatsBatcher | null;

  private constructor(
    private readonly pool: Piscina<ParseTask, ParseResult> | null,
    chunkSize: number,
    batchWindowMs: number,
  ) {
    // Every task in flight listens on it (piscina removes each listener when its task ends).
    setMaxListeners(0, this.broken.signal);
    this.batcher = pool === null ? null : new StatsBatcher((bodies, signal, hostStarts) => this.run(bodies, signal, hostStarts), chunkSize, batchWindowMs);
  }

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
    if (threads === 0) return new StatsPool(null, chunkSize, windowMs);
    const pool = new Piscina<ParseTask, ParseResult>({
      filename: (opts.workerUrl ?? defaultWorkerUrl()).href,
      minThreads: threads,
      maxThreads: threads,
      // piscina's default (0) ends idle threads at once; keep them between probes.
      idleTimeout: Infinity,
    });
    const self = new StatsPool(pool, chunkSize, windowMs);
    const onError = opts.onError ?? (() => {});
    // Without a listener, a pool 'error' would crash the process. Failures inside a task
    // reject that task's parse() instead and never come here.
    pool.on('error', (e: unknown) => {
      const err = e instanceof Error ? e : new Error(String(e));
      // piscina replaces a thread that crashed after starting; one that fails while
      // starting is not replaced, so no threads left means no thread can ever start.
      if (pool.threads.length === 0 && self.failure === null) {
        self.failure = new Error(`stats worker could not start: ${err.message}`, { cause: err });
        self.broken.abort(self.failure);
      }
      onError(err);
    });
    return self;
  }

  get threads(): number {
    return this.pool === null ? 0 : this.pool.options.maxThreads;
  }

  /**
   * Row i of the result belongs to bodies[i]. Rejects if a worker fails, if the pool is closed
   * or cannot start, or at `deadline` (unix ms; the caller's probe deadline): a worker still
   * parsing then is stopped (piscina ends the thread and starts another). On the main thread
   * nothing can interrupt a parse: bodies not started by the deadline fail instead.
   */
  async parse(bodies: Uint8Array[], deadline = Infinity): Promise<ParseResult> {
    if (this.closing !== null) throw new Error('stats pool is closed');
    if (this.failure !== null) throw this.failure;
    if (bodies.length === 0) return { values: new Float64Array(0), errors: [], networks: [] };
    const batcher = this.batcher;
    if (batcher === null) return parseBatch(pack(bodies), deadline);
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
    if (this.closing === null) this.batcher?.flush();
    this.closing ??= this.pool === null ? Promise.resolve() : this.pool.close();
    return this.closing;
  }

  /** One task on a worker thread. */
  private async run(bodies: Uint8Array[], signal: AbortSignal | undefined, hostStarts: number[] | undefined): Promise<ParseResult> {
    signal?.throwIfAborted();
    if (this.failure !== null) throw this.failure; // `broken` aborted already: it would not fire again
    if (this.pool === null) throw new Error('stats pool: no threads'); // parse() parses those itself
    const task = pack(bodies, hostStarts);
    const transferList = [task.buf.buffer, task.offsets.buffer, ...(task.hostStarts ? [task.hostStarts.buffer] : [])];
    // Either signal stops the task; listeners by hand, not AbortSignal.any(): one of those per
    // task would hang on the pool's long-lived `broken` signal (Node 20 grew memory with them).
    const stop = new AbortController();
    const onStop = (): void => stop.abort(signal?.reason);
    const onBroken = (): void => stop.abort(this.broken.signal.reason);
    signal?.addEventListener('abort', onStop, { once: true });
    this.broken.signal.addEventListener('abort', onBroken, { once: true });
    try {
      return await this.pool.run(task, { transferList, signal: stop.signal });
    } catch (err) {
      if (this.failure !== null) throw this.failure;
      if (signal?.aborted) throw signal.reason;
      const msg = err instanceof Error ? err.message : String(err);
      throw new Error(`stats worker failed (batch of ${bodies.length}): ${msg}`, { cause: err });
    } finally {
      signal?.removeEventListener('abort', onStop);
      this.broken.signal.removeEventListener('abort', onBroken);
    }
  }
}

/** A ParseTask whose memory is plain, transferable ArrayBuffers. */
interface OwnedTask extends ParseTask {
  buf: Uint8Array<ArrayBuffer>;
  offsets: Uint32Array<ArrayBuffer>;
  hostStarts?: Uint32Array<ArrayBuffer>;
}

/** One owned buffer (never a pooled Buffer slab: transferring one would copy the slab). */
export function pack(bodies: Uint8Array[], hostStarts?: number[]): OwnedTask {
  let total = 0;
  for (const b of bodies) total += b.byteLength;
  if (total > 0xffffffff) throw new RangeError(`stats batch of ${total} bytes exceeds 4 GiB offsets`);
  const buf = new Uint8Array(total);
  const offsets = new Uint32Array(bodies.length * 2);
  let pos = 0;
  for (let i = 0; i < bodies.length; i++) {
    const b = bodies[i];
    buf.set(b, pos);
    offsets[2 * i] = pos;
    pos += b.byteLength;
    offsets[2 * i + 1] = pos;
  }
  return hostStarts && hostStarts.length > 1 ? { buf, offsets, hostStarts: Uint32Array.from(hostStarts) } : { buf, offsets };
}
