// bcrypt comparisons on one worker thread, started at the first check and ended after a minute
// idle (a scrape every 15 s is answered from BasicAuth's memory of a success, without bcrypt).
// One thread: comparisons run one at a time, as on the main thread before, but the main thread
// only posts the task (well under 1 ms) and keeps answering meanwhile.
import { setMaxListeners } from 'node:events';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { CompareTask } from '../../workers/bcrypt-compare.ts';

export type Compare = (password: string, hash: string) => Promise<boolean>;

const IDLE_MS = 60_000;

/** workers/bcrypt-compare with this file's extension: .ts under tsx, .js once compiled to dist/. */
function workerUrl(): URL {
  return new URL(`../../workers/bcrypt-compare${extname(fileURLToPath(import.meta.url))}`, import.meta.url);
}

let pool: Piscina<CompareTask, boolean> | undefined;
/** Aborted when no thread can start: piscina would otherwise queue the checks for ever. */
const broken = new AbortController();
// every check waiting listens on it (piscina removes each listener when its check ends)
setMaxListeners(0, broken.signal);

/** Compares on the shared worker thread; rejects when the thread cannot run it (a denial, then). */
export const compareInWorker: Compare = (password, hash) => {
  if (pool === undefined) {
    const p = new Piscina<CompareTask, boolean>({ filename: workerUrl().href, minThreads: 0, maxThreads: 1, idleTimeout: IDLE_MS });
    // without a listener a pool 'error' would crash the process
    p.on('error', (err: unknown) => {
      if (p.threads.length === 0) broken.abort(err);
    });
    pool = p;
  }
  return pool.run({ password, hash }, { signal: broken.signal });
};
