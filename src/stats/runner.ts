// Runs ONE parse task on a piscina worker thread: the bodies packed into one owned buffer that is
// transferred (not copied), stopped when its signal aborts. Batching is batcher.ts' job.
import { setMaxListeners } from 'node:events';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { errorMessage } from '../util/errors.ts';
import { pack, type ParseResult, type ParseTask } from './layout.ts';

/**
 * Parses up to a chunk of bodies as one task, stopped when `signal` aborts; row i belongs to
 * bodies[i]; `hostStarts` are the rows where each request's bodies begin (each gets its own
 * parse budget).
 */
export type RunChunk = (bodies: Uint8Array[], signal?: AbortSignal, hostStarts?: number[]) => Promise<ParseResult>;

/** workers/parse-stats with this file's extension: .ts under tsx, .js once compiled to dist/. */
export function defaultWorkerUrl(): URL {
  const ext = extname(fileURLToPath(import.meta.url));
  return new URL(`../../workers/parse-stats${ext}`, import.meta.url);
}

export class WorkerRunner {
  readonly #pool: Piscina<ParseTask, ParseResult>;
  /** Set when no thread can start (e.g. the worker module fails to load). */
  #failure: Error | null = null;
  /** Aborted with the failure: piscina would otherwise queue tasks forever. */
  readonly #broken = new AbortController();

  /** `onError`: pool-level failures outside any task (a thread failing to start, a close timeout). */
  constructor(threads: number, workerUrl: URL, onError: (err: Error) => void) {
    // Every task in flight listens on it (piscina removes each listener when its task ends).
    setMaxListeners(0, this.#broken.signal);
    const pool = new Piscina<ParseTask, ParseResult>({
      filename: workerUrl.href,
      minThreads: threads,
      maxThreads: threads,
      // piscina's default (0) ends idle threads at once; keep them between probes.
      idleTimeout: Infinity,
    });
    this.#pool = pool;
    // Without a listener, a pool 'error' would crash the process. Failures inside a task
    // reject that task instead and never come here.
    pool.on('error', (e: unknown) => {
      const err = e instanceof Error ? e : new Error(String(e));
      // piscina replaces a thread that crashed after starting; one that fails while
      // starting is not replaced, so no threads left means no thread can ever start.
      if (pool.threads.length === 0 && this.#failure === null) {
        this.#failure = new Error(`stats worker could not start: ${err.message}`, { cause: err });
        this.#broken.abort(this.#failure);
      }
      onError(err);
    });
  }

  get threads(): number {
    return this.#pool.options.maxThreads;
  }

  get failure(): Error | null {
    return this.#failure;
  }

  /** One task on a worker thread. */
  readonly run: RunChunk = async (bodies, signal, hostStarts) => {
    signal?.throwIfAborted();
    if (this.#failure !== null) throw this.#failure; // `broken` aborted already: it would not fire again
    const task = pack(bodies, hostStarts);
    const transferList = [task.buf.buffer, task.offsets.buffer, ...(task.hostStarts ? [task.hostStarts.buffer] : [])];
    // Either signal stops the task; listeners by hand, not AbortSignal.any(): one of those per
    // task would hang on the long-lived `broken` signal (Node 20 grew memory with them).
    const stop = new AbortController();
    const onStop = (): void => stop.abort(signal?.reason);
    const onBroken = (): void => stop.abort(this.#broken.signal.reason);
    signal?.addEventListener('abort', onStop, { once: true });
    this.#broken.signal.addEventListener('abort', onBroken, { once: true });
    try {
      return await this.#pool.run(task, { transferList, signal: stop.signal });
    } catch (err) {
      if (this.#failure !== null) throw this.#failure;
      if (signal?.aborted) throw signal.reason;
      throw new Error(`stats worker failed (batch of ${bodies.length}): ${errorMessage(err)}`, { cause: err });
    } finally {
      signal?.removeEventListener('abort', onStop);
      this.#broken.signal.removeEventListener('abort', onBroken);
    }
  };

  close(): Promise<void> {
    return this.#pool.close();
  }
}
